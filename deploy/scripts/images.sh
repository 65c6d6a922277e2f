#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# make images: builds the four images, shop/<service>:<tag>, tag = the commit (plus a
# hash of uncommitted changes). Prints the tag last. IMAGES="user-service api-gateway" builds some only.
# DRY_RUN=1 prints the commands.
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

read -r -a wanted <<<"${IMAGES:-${SERVICES[*]}}"
for service in "${wanted[@]}"; do is_service "$service" || die "unknown service '$service'"; done
need_docker
TAG=$(image_tag)
step "Building ${wanted[*]} as shop/<service>:$TAG"
build_images "$TAG" "${wanted[@]}"
printf '%s\n' "$TAG"
