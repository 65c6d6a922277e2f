# Every target here is what CI runs, or how a developer regenerates what CI checks.
# `make check` (= `npm test`) is the whole gate.

BIN := node_modules/.bin
BASELINE := proto/baseline.binpb

.PHONY: check test lint typecheck buf-lint breaking proto proto-check proto-baseline setup local

check: buf-lint breaking proto-check lint typecheck govern test

## Contracts ----------------------------------------------------------------------

# Regenerate third_party/ and gen/ from proto/ (local plugins, no network).
proto:
	npm run --silent proto:third-party
	$(BIN)/buf generate
	bash gateway/test/check-generated.sh --write

# Fails when third_party/ or gen/ differ from a fresh generation.
proto-check:
	npm run --silent proto:third-party -- --check
	@tmp=$$(mktemp -d); trap 'rm -rf "$$tmp"' EXIT; \
	$(BIN)/buf generate -o "$$tmp" && \
	diff -r "$$tmp/gen/ts" gen/ts && diff -r "$$tmp/gen/es" gen/es || \
	{ echo "gen/ is stale: run 'make proto' and commit the result" >&2; exit 1; }
	bash gateway/test/check-generated.sh

buf-lint:
	$(BIN)/buf lint

# Compares proto/ with the committed baseline image (CI clones main, so comparing
# against main would compare main with itself).
breaking:
	$(BIN)/buf breaking proto --against $(BASELINE)

# Deliberately accept the current contracts as the new baseline. Review the diff of a
# breaking change before committing this.
proto-baseline:
	$(BIN)/buf build proto --exclude-source-info -o $(BASELINE)

## Code ---------------------------------------------------------------------------

lint:
	$(BIN)/biome check --error-on-warnings .
	$(BIN)/tsx tools/govern/src/cli.ts check imports

typecheck:
	$(BIN)/tsc --noEmit -p tsconfig.json

test:
	$(BIN)/jest --coverage

## Governance ---------------------------------------------------------------------

GOVERN := $(BIN)/tsx tools/govern/src/cli.ts
.PHONY: govern govern-validate govern-check govern-budgets govern-render

# Policies valid, generated output not drifted, boundaries and dependencies true,
# recorded benchmark results within the gates.
govern: govern-validate govern-check govern-budgets

govern-validate:
	$(GOVERN) validate

govern-check:
	$(GOVERN) check

govern-budgets:
	$(GOVERN) budgets bench/results

# After editing a policy: regenerate istio/, deploy/generated/, .repo/generated/ and
# the graph in the README, then commit them together.
govern-render:
	$(GOVERN) schema
	$(GOVERN) render
	$(GOVERN) graph

## Running ------------------------------------------------------------------------

setup:
	npm run setup

# The whole mesh locally (same as npm run dev).
local:
	npm run dev

## Reliability

.PHONY: chaos
# The long reliability suite: every fault several times, more orders (the short one
# runs in `make test`).
chaos:
	$(BIN)/tsx scripts/chaos.ts $(CHAOS_ARGS)

## Benchmarks (results are committed; CI checks them against the budgets, never reruns them)

.PHONY: bench bench-report
bench:
	npm run bench -- $(SCENARIOS)

bench-report:
	npm run bench:report

## Kubernetes + Istio (kind or minikube); CLUSTER=kind|minikube, DRY_RUN=1, ADDONS=1

.PHONY: dev dev-down images canary promote rollback canary-auto
dev:
	bash deploy/scripts/dev.sh

dev-down:
	bash deploy/scripts/dev-down.sh

images:
	bash deploy/scripts/images.sh

# make canary SERVICE=product-service WEIGHT=10, then make promote / make rollback
canary:
	bash deploy/scripts/canary.sh canary $(SERVICE) $(WEIGHT)

promote:
	bash deploy/scripts/canary.sh promote $(SERVICE)

rollback:
	bash deploy/scripts/canary.sh rollback $(SERVICE)

canary-auto:
	bash deploy/scripts/canary-auto.sh $(SERVICE)
