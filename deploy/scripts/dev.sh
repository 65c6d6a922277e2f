#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# make dev: the mesh on a local kind or minikube cluster with Istio.
#
#   make dev                  kind if installed, else minikube
#   make dev CLUSTER=minikube
#   make dev ADDONS=1         also Istio's Prometheus, Jaeger and Kiali samples
#   make dev DRY_RUN=1        print every command, run none
#
# Creates the cluster if missing (deploy/cluster/), installs Istio at the pinned
# version if missing, builds the four images tagged with the commit, loads them into
# the cluster without a registry, generates the dev secrets, applies istio/ and
# deploy/overlays/dev in phases (data stores, database init, migrations, workloads),
# waits for each, and prints how to reach the gateway. Safe to re-run: every step
# checks what exists or applies idempotently. `make dev-down` removes it all.
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

ADDONS=${ADDONS:-0}

detect_cluster
step "Checking tools for a $CLUSTER cluster$(dry_run && echo ' (dry run: printing commands, running none)')"
need_repo_tools
need_docker
need_tool kubectl "$hint_kubectl"
need_tool "$CLUSTER" "$([[ $CLUSTER == kind ]] && echo "$hint_kind" || echo "$hint_minikube")"
need_tool istioctl "$hint_istioctl"

step "Cluster: $CLUSTER '$CLUSTER_NAME' (kubectl context $CONTEXT)"
if [[ $CLUSTER == kind ]]; then
  if ! dry_run && kind get clusters 2>/dev/null | grep -qx "$CLUSTER_NAME"; then
    note "exists; refreshing its kubectl context"
    run kind export kubeconfig --name "$CLUSTER_NAME"
  else
    dry_run && note "(dry run: not checking whether it exists)"
    run kind create cluster --name "$CLUSTER_NAME" --config deploy/cluster/kind.yaml --wait 120s
  fi
else
  if ! dry_run && [[ $(minikube status --profile "$CLUSTER_NAME" --format '{{.Host}}' 2>/dev/null) == Running ]]; then
    note "running"
  else
    dry_run && note "(dry run: not checking whether it runs)"
    # Calico: minikube's default network enforces no NetworkPolicy.
    run minikube start --profile "$CLUSTER_NAME" --driver=docker --cpus=4 --memory=8g --cni=calico
  fi
fi

step "Istio $ISTIO_VERSION"
if ! dry_run; then
  client=$(istioctl version --remote=false 2>/dev/null | grep -Eo '[0-9]+\.[0-9]+\.[0-9]+' | head -1 || true)
  [[ $client == "$ISTIO_VERSION" ]] ||
    die "istioctl ${client:-?} found; this repository pins Istio $ISTIO_VERSION. Install: $hint_istioctl"
fi
installed=""
if ! dry_run; then
  installed=$("${KUBECTL[@]}" --namespace istio-system get deployment istiod \
    --output 'jsonpath={.spec.template.spec.containers[0].image}' 2>/dev/null || true)
else
  note "(dry run: not checking whether Istio is installed)"
fi
if [[ $installed == *":$ISTIO_VERSION"* ]]; then
  note "installed"
elif [[ -n $installed ]]; then
  die "Istio is installed at another version ($installed); upgrade it to $ISTIO_VERSION (istioctl upgrade) or run make dev-down first"
else
  # The ingress gateway exposes 8000 (REST) and 9000 (gRPC) as NodePorts 30080 and 30090.
  run istioctl install --context "$CONTEXT" --skip-confirmation --filename deploy/cluster/istio-operator.yaml
fi
run "${KUBECTL[@]}" --namespace istio-system rollout status deployment/istiod --timeout=300s
run "${KUBECTL[@]}" --namespace istio-system rollout status deployment/istio-ingressgateway --timeout=300s
if [[ $ADDONS == 1 ]]; then
  step "Istio's Prometheus, Jaeger and Kiali samples ($ISTIO_VERSION)"
  for addon in prometheus jaeger kiali; do
    run "${KUBECTL[@]}" apply --filename "$ISTIO_ADDONS_URL/$addon.yaml"
  done
  for addon in prometheus jaeger kiali; do
    run "${KUBECTL[@]}" --namespace istio-system rollout status "deployment/$addon" --timeout=300s
  done
fi

TAG=$(image_tag)
step "Images shop/<service>:$TAG (the commit$([[ $TAG == *-dirty-* ]] && echo ', plus a hash of uncommitted changes'))"
build_images "$TAG" "${SERVICES[@]}"
step "Loading the images into the $CLUSTER node (no registry)"
load_images "$TAG" "${SERVICES[@]}"

step "Manifests: deploy/overlays/dev with tag $TAG"
build_manifests all "$TAG"

step "Namespace $NAMESPACE (sidecar injection on)"
apply_phase_file 1-namespace

step "Secrets (generated once into $WORK/secrets, git-ignored)"
run "${DEPLOY_CLI[@]}" secrets "$WORK/secrets"
run "${KUBECTL[@]}" apply --filename "$WORK/secrets/secrets.yaml"

step "Istio resources rendered from the policies (istio/)"
run "${KUBECTL[@]}" apply --recursive --filename istio/

step "Data stores: PostgreSQL and Redis"
apply_phase_file 2-data-stores
run "${KUBECTL[@]}" --namespace "$NAMESPACE" rollout status statefulset/postgres --timeout=300s
run "${KUBECTL[@]}" --namespace "$NAMESPACE" rollout status statefulset/redis --timeout=300s

step "One database and role per service (Job postgres-init)"
# A Job's pod template is immutable: the finished one goes before the new one.
run "${KUBECTL[@]}" --namespace "$NAMESPACE" delete job postgres-init --ignore-not-found
apply_phase_file 3-database-init
run "${KUBECTL[@]}" --namespace "$NAMESPACE" wait --for=condition=complete job/postgres-init --timeout=300s

step "Migrations (a Job per service)"
run "${KUBECTL[@]}" --namespace "$NAMESPACE" delete job \
  --selector app.kubernetes.io/component=migration --ignore-not-found
apply_phase_file 4-migrations
run "${KUBECTL[@]}" --namespace "$NAMESPACE" wait --for=condition=complete job \
  --selector app.kubernetes.io/component=migration --timeout=300s

mapfile -t canaries < <(canary_services)
deployments=("${SERVICES[@]}")
for service in "${canaries[@]}"; do deployments+=("$service-canary"); done
step "Workloads: ${deployments[*]}"
apply_workloads "${deployments[@]}"

step "Demo catalog (idempotent: existing products are kept)"
run "${KUBECTL[@]}" --namespace "$NAMESPACE" exec deployment/product-service --container product-service -- \
  node /app/services/product/src/commands/seed.js

step "Ready. The gateway, through Istio's ingress gateway:"
if [[ $CLUSTER == kind ]]; then
  note "REST:  curl http://localhost:8000/api/products"
  note "gRPC:  grpcurl -plaintext localhost:9000 list"
else
  note "REST:  curl http://\$(minikube --profile $CLUSTER_NAME ip):30080/api/products"
  note "gRPC:  grpcurl -plaintext \$(minikube --profile $CLUSTER_NAME ip):30090 list"
  note "(Docker driver on macOS or Windows: kubectl --context $CONTEXT --namespace istio-system port-forward service/istio-ingressgateway 8000:8000 9000:9000, then localhost)"
fi
note "Pods:  kubectl --context $CONTEXT --namespace $NAMESPACE get pods"
if [[ $ADDONS == 1 ]]; then
  note "Dashboards: istioctl dashboard kiali|prometheus|jaeger --context $CONTEXT"
fi
note "Canary: make canary SERVICE=product-service WEIGHT=10 (deploy/README.md)"
