# shellcheck shell=bash
# shellcheck disable=SC2034 # settings and hints are for the scripts that source this
# Shared by deploy/scripts/*.sh (sourced, never run): settings, step messages, DRY_RUN,
# tool checks with install hints, cluster detection, image tags, building and loading
# images, and applying the dev overlay in phases.
#
# DRY_RUN=1 prints every command that would change something (prefixed with "+ ")
# without running it, and skips the probes that ask the cluster what exists (the plan
# then shows the path for a machine that has nothing yet). Reading the repository
# (git, the canary registry) still happens: it changes nothing.

set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$ROOT"

# The Istio release `make dev` installs. istioctl must be this version.
ISTIO_VERSION=${ISTIO_VERSION:-1.30.4}
CLUSTER_NAME=${CLUSTER_NAME:-shop}
NAMESPACE=shop
SERVICES=(user-service product-service order-service api-gateway)
DRY_RUN=${DRY_RUN:-0}
TSX=node_modules/.bin/tsx
DEPLOY_CLI=("$TSX" deploy/src/cli.ts)
GOVERN=("$TSX" tools/govern/src/cli.ts)
ISTIO_ADDONS_URL=https://raw.githubusercontent.com/istio/istio/$ISTIO_VERSION/samples/addons

step() { printf '\n==> %s\n' "$*"; }
note() { printf '    %s\n' "$*"; }
die() {
  printf '\nerror: %s\n' "$*" >&2
  exit 1
}

dry_run() { [[ $DRY_RUN == 1 ]]; }

# Prints a command, then runs it unless DRY_RUN=1.
run() {
  local quoted=() arg
  for arg in "$@"; do quoted+=("$(printf '%q' "$arg")"); done
  printf '+ %s\n' "${quoted[*]}"
  dry_run && return 0
  "$@"
}

# The same for a pipeline or a redirection, given as one shell string.
run_sh() {
  printf '+ %s\n' "$1"
  dry_run && return 0
  bash -o pipefail -c "$1"
}

# need_tool <command> <how to install it>: fails naming the tool and how to get it.
# Under DRY_RUN a missing tool is only noted: the plan is still printed.
need_tool() {
  if command -v "$1" >/dev/null 2>&1; then return 0; fi
  if dry_run; then
    note "($1 is not installed: the plan needs it. Install: $2)"
    return 0
  fi
  die "$1 is not installed. Install: $2"
}

hint_docker="Docker Desktop or Docker Engine, https://docs.docker.com/get-docker/"
hint_kubectl="https://kubernetes.io/docs/tasks/tools/ (e.g. brew install kubectl)"
hint_kind="https://kind.sigs.k8s.io/docs/user/quick-start/#installation (e.g. brew install kind, or go install sigs.k8s.io/kind@latest)"
hint_minikube="https://minikube.sigs.k8s.io/docs/start/ (e.g. brew install minikube)"
hint_istioctl="curl -L https://istio.io/downloadIstio | ISTIO_VERSION=$ISTIO_VERSION sh - then put istio-$ISTIO_VERSION/bin on your PATH"

need_repo_tools() {
  [[ -x $TSX ]] || die "$TSX is missing: run npm ci in $ROOT first"
}

need_docker() {
  need_tool docker "$hint_docker"
  dry_run && return 0
  docker info >/dev/null 2>&1 ||
    die "docker cannot reach a Docker engine: start Docker Desktop (or: sudo systemctl start docker)"
}

# CLUSTER=kind|minikube, or the first of the two found on PATH. Sets CONTEXT (every
# kubectl call names it, so no command ever reaches another cluster) and WORK.
detect_cluster() {
  case ${CLUSTER:-} in
    kind | minikube) ;;
    "")
      if command -v kind >/dev/null 2>&1; then
        CLUSTER=kind
      elif command -v minikube >/dev/null 2>&1; then
        CLUSTER=minikube
      elif dry_run; then
        CLUSTER=kind
        note "(neither kind nor minikube is installed: planning for kind)"
      else
        die "neither kind nor minikube is installed. Install one: kind: $hint_kind; minikube: $hint_minikube"
      fi
      ;;
    *) die "CLUSTER must be kind or minikube, not '$CLUSTER'" ;;
  esac
  if [[ $CLUSTER == kind ]]; then CONTEXT=kind-$CLUSTER_NAME; else CONTEXT=$CLUSTER_NAME; fi
  WORK=deploy/.work/$CLUSTER
  KUBECTL=(kubectl --context "$CONTEXT")
}

# The image tag: the commit, plus a hash of uncommitted changes when the tree is dirty,
# so a tag always names the code inside and a new build of changed code rolls out.
image_tag() {
  local commit
  commit=$(git rev-parse --short=12 HEAD 2>/dev/null) || {
    printf 'dev'
    return
  }
  if [[ -n $(git status --porcelain 2>/dev/null) ]]; then
    local changes
    changes=$({
      git diff HEAD --binary
      git ls-files --others --exclude-standard | git hash-object --stdin-paths
    } | git hash-object --stdin)
    commit="$commit-dirty-${changes:0:8}"
  fi
  printf '%s' "$commit"
}

dockerfile_of() {
  case $1 in
    user-service) echo services/user/Dockerfile ;;
    product-service) echo services/product/Dockerfile ;;
    order-service) echo services/order/Dockerfile ;;
    api-gateway) echo gateway/Dockerfile ;;
    *) die "unknown service '$1' (one of: ${SERVICES[*]})" ;;
  esac
}

is_service() {
  local s
  for s in "${SERVICES[@]}"; do [[ $s == "$1" ]] && return 0; done
  return 1
}

# build_images <tag> <service>...
build_images() {
  local tag=$1 service revision
  shift
  revision=$(git rev-parse HEAD 2>/dev/null || echo unknown)
  for service in "$@"; do
    run docker build --file "$(dockerfile_of "$service")" --tag "shop/$service:$tag" \
      --label "org.opencontainers.image.revision=$revision" .
  done
}

# load_images <tag> <service>...: into the cluster's nodes, without a registry.
load_images() {
  local tag=$1 images=() service
  shift
  for service in "$@"; do images+=("shop/$service:$tag"); done
  if [[ $CLUSTER == kind ]]; then
    run kind load docker-image --name "$CLUSTER_NAME" "${images[@]}"
  else
    local image
    for image in "${images[@]}"; do run minikube --profile "$CLUSTER_NAME" image load "$image"; done
  fi
}

# Services whose canary component the base includes now (the committed registry).
canary_services() {
  sed -n 's#^  - \.\./canary/##p' deploy/components/canaries/kustomization.yaml
}

# build_manifests <tag change...>: the work kustomization (image tags), built and split
# into the apply phases of deploy/src/manifest-phases.ts.
build_manifests() {
  run "${DEPLOY_CLI[@]}" kustomization "$WORK" deploy/overlays/dev "$@"
  run_sh "kubectl kustomize $WORK/kustomize > $WORK/manifests.yaml"
  run "${DEPLOY_CLI[@]}" phases "$WORK/manifests.yaml" "$WORK/phases"
}

apply_phase_file() {
  run "${KUBECTL[@]}" apply --filename "$WORK/phases/$1.yaml"
}

apply_workloads() {
  apply_phase_file 5-workloads
  local deployment
  for deployment in "$@"; do
    run "${KUBECTL[@]}" --namespace "$NAMESPACE" rollout status "deployment/$deployment" --timeout=300s
  done
}

# Istio resources in an order that never routes to a subset not yet defined: a new
# subset's DestinationRule before the VirtualService sending traffic to it, and for a
# removed subset the other way round. The rest of istio/ after.
apply_routing() {
  local service=$1 order=$2
  if [[ $order == subset-first ]]; then
    run "${KUBECTL[@]}" apply --filename "istio/$service/destination-rule.yaml"
    run "${KUBECTL[@]}" apply --filename "istio/$service/virtual-service.yaml"
  else
    run "${KUBECTL[@]}" apply --filename "istio/$service/virtual-service.yaml"
    run "${KUBECTL[@]}" apply --filename "istio/$service/destination-rule.yaml"
  fi
  run "${KUBECTL[@]}" apply --recursive --filename istio/
}
