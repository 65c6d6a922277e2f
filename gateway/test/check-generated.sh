#!/usr/bin/env bash
# Regenerates the gateway's own descriptors into a temporary folder and fails when they
# differ from what is committed (the same freshness rule as gen/): the test-only
# contract (gateway/test/proto -> gateway/test/gen) and gRPC's reflection and health
# protos served at the edge (gateway/proto -> gateway/src/gen). Run from anywhere:
#   bash gateway/test/check-generated.sh          # check (for `make proto-check`)
#   bash gateway/test/check-generated.sh --write  # regenerate in place
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
generate() {
  node_modules/.bin/buf generate gateway/test/proto \
    --config gateway/test/buf.yaml --template gateway/test/buf.gen.yaml "$@"
  node_modules/.bin/buf generate gateway/proto \
    --config gateway/proto/buf.yaml --template gateway/proto/buf.gen.yaml "$@"
}
if [[ "${1:-}" == "--write" ]]; then
  generate
  exit 0
fi
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
generate -o "$tmp"
stale=0
for dir in gateway/test/gen gateway/src/gen; do
  diff -r "$tmp/$dir" "$dir" || stale=1
done
if [[ $stale -ne 0 ]]; then
  echo "gateway's generated descriptors are stale: run 'bash gateway/test/check-generated.sh --write'" >&2
  exit 1
fi
