# Every target puts Node >= 22 first on PATH (installing Node 24 into .tools/ when the machine's is older).
SHELL := /bin/bash
NODE_BIN := $(shell scripts/ensure-node.sh)
export PATH := $(NODE_BIN):$(PATH)
BIN := node_modules/.bin

.DEFAULT_GOAL := help
.PHONY: help install lint typecheck test test-unit build dev

help: ## Show the targets
	@grep -hE '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  \033[36m%-14s\033[0m %s\n", $$1, $$2}'

node_modules/.package-lock.json: package.json package-lock.json services/*/package.json
	npm ci --no-audit --no-fund

install: node_modules/.package-lock.json ## Install dependencies (npm ci) when the lockfile changed

lint: install ## Biome lint and format check
	$(BIN)/biome check .

typecheck: install ## TypeScript, strict, no emit
	$(BIN)/tsc -p tsconfig.json

test: lint typecheck ## Everything: lint, types and every test suite (what CI runs)
	$(BIN)/vitest run

test-unit: install ## The webapp and generator suites only
	$(BIN)/vitest run --project webapp --project request-generator

build: install ## Compile both services to dist/
	npm run build

dev: install ## Run the webapp on :3000 and the generator against it, pretty logs (Ctrl-C stops both)
	@mkdir -p .data
	@trap 'kill 0' EXIT INT TERM; \
	NODE_ENV=development COUNTER_CHECKPOINT_PATH=.data/counter-checkpoint.json $(BIN)/tsx watch services/webapp/src/server.ts & \
	until curl -fsS http://127.0.0.1:3000/health >/dev/null 2>&1; do sleep 0.3; done; \
	echo "webapp: http://127.0.0.1:3000  metrics: http://127.0.0.1:3000/metrics  docs: http://127.0.0.1:3000/docs"; \
	$(BIN)/tsx services/request-generator/src/cli.ts --target http://127.0.0.1:3000 --report-every 10 & \
	wait
