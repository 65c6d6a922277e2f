#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# Canary releases of one service, through its policy (govern) and the dev cluster:
#
#   canary.sh canary <service> <weight>   deploy the working tree as <service>'s canary
#                                         (version v2 when v1 is stable) and send it
#                                         <weight>% of the traffic (make canary)
#   canary.sh weight <service> <weight>   only change the weights (make canary-auto's steps)
#   canary.sh promote <service>           the canary becomes the stable version (make promote)
#   canary.sh rollback <service>          all traffic back to the stable version, the
#                                         canary removed (make rollback)
#
# Each edits the policy's `versions` with govern (comments kept), which re-renders
# istio/ and deploy/generated/; commit those files with the policy. The canary
# registry (deploy/components/canaries) follows. CLUSTER and DRY_RUN as for make dev.
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

usage() { die "usage: canary.sh canary|weight <service> <weight> | promote|rollback <service>"; }

action=${1:-}
SERVICE=${2:-}
WEIGHT=${3:-}
[[ -n $SERVICE ]] || usage
is_service "$SERVICE" || die "unknown service '$SERVICE' (one of: ${SERVICES[*]})"
case $action in
  canary | weight)
    if ! [[ $WEIGHT =~ ^[0-9]+$ ]] || ((WEIGHT > 100)); then die "WEIGHT must be 0 to 100, not '$WEIGHT'"; fi
    ;;
  promote | rollback) ;;
  *) usage ;;
esac

need_repo_tools
detect_cluster
need_tool kubectl "$hint_kubectl"

set_weight() {
  local version
  version=$("${DEPLOY_CLI[@]}" next-version "$SERVICE")
  step "Policy: $SERVICE's canary${version:+ $version} at $1%"
  run "${GOVERN[@]}" canary "$SERVICE" "$1" ${version:+--version "$version"}
  run "${DEPLOY_CLI[@]}" sync-canaries
}

case $action in
  canary)
    need_docker
    need_tool "$CLUSTER" "$([[ $CLUSTER == kind ]] && echo "$hint_kind" || echo "$hint_minikube")"
    set_weight "$WEIGHT"
    TAG=$(image_tag)
    step "Image shop/$SERVICE:$TAG for the canary"
    build_images "$TAG" "$SERVICE"
    load_images "$TAG" "$SERVICE"
    step "Deploying $SERVICE-canary before any traffic reaches it"
    build_manifests canary "$SERVICE" "$TAG"
    apply_workloads "$SERVICE-canary"
    step "Routing $WEIGHT% to the canary"
    apply_routing "$SERVICE" subset-first
    ;;
  weight)
    set_weight "$WEIGHT"
    step "Routing $WEIGHT% to the canary"
    apply_routing "$SERVICE" subset-first
    ;;
  promote)
    step "1/4 All traffic to the canary"
    set_weight 100
    apply_routing "$SERVICE" subset-first
    step "2/4 Policy: the canary becomes the only version"
    run "${GOVERN[@]}" promote "$SERVICE"
    run "${DEPLOY_CLI[@]}" sync-canaries
    step "3/4 $SERVICE rolls to the canary's image and version"
    build_manifests promote "$SERVICE"
    apply_workloads "$SERVICE"
    step "4/4 Routing to the promoted version only; the canary Deployment goes"
    apply_routing "$SERVICE" route-first
    run "${KUBECTL[@]}" --namespace "$NAMESPACE" delete deployment "$SERVICE-canary" --ignore-not-found
    ;;
  rollback)
    step "1/2 Policy: all traffic back to the stable version"
    run "${GOVERN[@]}" rollback "$SERVICE"
    run "${DEPLOY_CLI[@]}" sync-canaries
    apply_routing "$SERVICE" route-first
    step "2/2 Removing $SERVICE-canary"
    build_manifests rollback "$SERVICE"
    run "${KUBECTL[@]}" --namespace "$NAMESPACE" delete deployment "$SERVICE-canary" --ignore-not-found
    ;;
esac
