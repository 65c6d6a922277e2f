#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# make canary-auto SERVICE=<service>: a progressive canary. Deploys the working tree as
# the service's canary, steps its weight through the rollout steps, and at each step
# checks the gates (gRPC-aware success rate and p95 latency of the canary, from Istio's
# metrics in Prometheus) before the next; promotes after the last step, rolls back on
# a failed gate. Steps, window and gates: deploy/src/canary-auto/rollout-policy.ts.
#
# Prometheus: PROMETHEUS_URL, else a port-forward to Istio's Prometheus sample
# (make dev ADDONS=1). DRY_RUN=1 prints the plan and the queries, changes nothing.
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

SERVICE=${1:-}
is_service "$SERVICE" || die "usage: canary-auto.sh <service> (one of: ${SERVICES[*]})"
need_repo_tools
detect_cluster

if [[ -z ${PROMETHEUS_URL:-} ]]; then
  PROMETHEUS_URL=http://127.0.0.1:19090
  step "Prometheus: port-forward to istio-system/prometheus on $PROMETHEUS_URL"
  printf '+ %s &\n' "${KUBECTL[*]} --namespace istio-system port-forward service/prometheus 19090:9090"
  if ! dry_run; then
    need_tool kubectl "$hint_kubectl"
    "${KUBECTL[@]}" --namespace istio-system port-forward service/prometheus 19090:9090 >/dev/null &
    forward=$!
    trap 'kill "$forward" 2>/dev/null || true' EXIT
    for _ in $(seq 1 30); do
      curl -fsS "$PROMETHEUS_URL/-/ready" >/dev/null 2>&1 && break
      sleep 1
    done
  fi
fi

"$TSX" deploy/src/canary-auto/main.ts "$SERVICE" "$PROMETHEUS_URL"
