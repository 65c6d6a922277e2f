#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# make dev-down: deletes the cluster `make dev` created (kind cluster or minikube profile
# "shop"; CLUSTER=kind|minikube as for make dev) and its git-ignored work folder
# (image tags, built manifests, dev secrets). Safe to re-run. DRY_RUN=1 prints only.
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

detect_cluster
step "Deleting the $CLUSTER cluster '$CLUSTER_NAME'"
if [[ $CLUSTER == kind ]]; then
  need_tool kind "$hint_kind"
  run kind delete cluster --name "$CLUSTER_NAME"
else
  need_tool minikube "$hint_minikube"
  run minikube delete --profile "$CLUSTER_NAME"
fi
step "Removing $WORK"
run rm -rf "$WORK"
