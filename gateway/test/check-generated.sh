#!/usr/bin/env bash
# Regenerates the gateway's test-only descriptors into a temporary folder and fails when
# gateway/test/gen/ differs (the same freshness rule as gen/). Run from anywhere:
#   bash gateway/test/check-generated.sh          # check (for `make proto-check`)
#   bash gateway/test/check-generated.sh --write  # regenerate in place
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
generate() {
  node_modules/.bin/buf generate gateway/test/proto \
    --config gateway/test/buf.yaml --template gateway/test/buf.gen.yaml "$@"
}
if [[ "${1:-}" == "--write" ]]; then
  generate
  exit 0
fi
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
generate -o "$tmp"
if ! diff -r "$tmp/gateway/test/gen" gateway/test/gen; then
  echo "gateway/test/gen is stale: run 'bash gateway/test/check-generated.sh --write'" >&2
  exit 1
fi
