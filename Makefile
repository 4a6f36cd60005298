# Daily commands, mirroring the Go kit's makefile. `make` lists them.
#
# Everything runs from the repository root. The database is SALES_DB_URL
# (default sqlite://var/sales.db, the same file `make run` uses).

SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

CARGO ?= cargo
ADMIN := $(CARGO) run -p sales-admin --
# The seeded admin (business/sdk/seed/*.sql); `make token` signs for this user.
ADMIN_ID := 5cf37266-3473-4006-984f-9325122678b7
# Where PostgreSQL tests create their databases unless SALES_TEST_DATABASE_URL says otherwise.
TEST_PG_URL := postgres://postgres@127.0.0.1:5432/postgres

.PHONY: help run test lint fmt layercheck generator-check ci migrate seed migrate-seed token users genkey

help: ## list the targets
	@echo 'usage: make <target>'
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  %-14s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

run: ## run the sales API on http://localhost:3000 (SQLite var/sales.db, migrated and seeded on first start)
	$(CARGO) run -p sales-api

# nextest hides the output of passing tests, where the skip notices are: say up front
# when PostgreSQL tests will be skipped.
test: ## run every test: cargo nextest if installed, else cargo test (PostgreSQL tests need SALES_TEST_DATABASE_URL or a local server)
	@url="$${SALES_TEST_DATABASE_URL:-$(TEST_PG_URL)}"; \
	if command -v pg_isready >/dev/null 2>&1 && ! pg_isready -q -d "$$url"; then \
		echo "NOTICE: no PostgreSQL at $$(echo "$$url" | sed -E 's#(://[^:/@]*):[^@]*@#\1:***@#'): PostgreSQL tests will be skipped (CI=true makes that a failure)"; \
	fi
	@if command -v cargo-nextest >/dev/null 2>&1; then \
		echo "$(CARGO) nextest run --workspace"; $(CARGO) nextest run --workspace; \
	else \
		echo "cargo-nextest not found (cargo install cargo-nextest --locked); using cargo test"; \
		echo "$(CARGO) test --workspace"; $(CARGO) test --workspace; \
	fi

lint: ## check formatting and run clippy with warnings as errors (what CI runs)
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings

fmt: ## format the whole workspace
	$(CARGO) fmt --all

layercheck: ## fail if a crate depends up a layer (app -> business -> foundation)
	$(CARGO) run --quiet -p layercheck

generator-check: ## generate a throwaway domain (every field type) in a copy of the workspace; build, lint and test it
	bash tooling/sales-admin/check-generator.sh

ci: ## run the CI pipeline locally (.ci/run: fmt, layers, clippy, tests on PostgreSQL)
	bash .ci/run

migrate: ## apply the database migrations to SALES_DB_URL
	$(ADMIN) migrate

seed: ## insert the seed users (admin@example.com / user@example.com, password garagesale)
	$(ADMIN) seed

migrate-seed: ## migrate, then seed
	$(ADMIN) migrate-seed

token: ## print an 8h token for the seeded admin: TOKEN=$(make -s token)
	@$(ADMIN) gentoken $(ADMIN_ID)

users: ## list the users in SALES_DB_URL
	$(ADMIN) users

genkey: ## write a new RSA signing key to zarf/keys/<kid>.pem and print its kid
	$(ADMIN) genkey --dir zarf/keys

# ==============================================================================
# Shipping: images, compose, kind, load test, vendoring (files in zarf/)
#
# docker-build and compose-* need a Docker engine; dev-* also need kind and kubectl.
# CI has none of these: it runs zarf-validate (lint + schema + cross-file checks).

.PHONY: docker-build docker-build-sales-api docker-build-metrics compose-up compose-down compose-logs \
	dev-up dev-down dev-load dev-apply dev-status dev-logs load vendor zarf-validate

# Image tags follow the workspace version; zarf/validate.sh checks that compose and
# the k8s overlays use the same tag.
VERSION := $(shell sed -n '/^\[workspace\.package\]/,/^\[/s/^version *= *"\(.*\)"/\1/p' Cargo.toml)
SALES_IMAGE := localhost/garagesale/sales-api:$(VERSION)
METRICS_IMAGE := localhost/garagesale/metrics:$(VERSION)
COMPOSE := docker compose -f zarf/compose/compose.yaml
KIND_CLUSTER := garagesale
KUBECTL := kubectl --context kind-$(KIND_CLUSTER) --namespace sales-system
# The dev overlay reads zarf/keys, zarf/tempo, ... outside its folder: hence the flag.
KUSTOMIZE_DEV := kubectl kustomize --load-restrictor LoadRestrictionsNone zarf/k8s/dev
LOAD_BASE_URL ?= http://localhost:3000
LOAD_TOOL ?= auto

define print_urls
	@echo "API         http://localhost:3000   (curl -u admin@example.com:garagesale http://localhost:3000/v1/auth/token/54bb2165-71e1-41a6-af3e-7da4a0e1e2c1)"
	@echo "debug       http://localhost:3010/debug/vars   /v1/liveness   /v1/readiness"
	@echo "metrics     http://localhost:4000/metrics (JSON)   http://localhost:4020/metrics (Prometheus)"
	@echo "Prometheus  http://localhost:9090    Grafana http://localhost:3100    Tempo http://localhost:3200"
	@echo "PostgreSQL  postgres://postgres:postgres@localhost:5433/sales"
endef

docker-build: docker-build-sales-api docker-build-metrics ## build both images, tagged with the workspace version (needs a Docker engine)

# One image at a time: localhost/garagesale/sales-api (with sales-admin) and .../metrics.
docker-build-sales-api:
	docker build -f zarf/docker/dockerfile.sales-api -t $(SALES_IMAGE) --build-arg BUILD_REF=$(VERSION) .

docker-build-metrics:
	docker build -f zarf/docker/dockerfile.metrics -t $(METRICS_IMAGE) --build-arg BUILD_REF=$(VERSION) .

compose-up: docker-build ## build the images, start the compose stack, wait until the API is ready
	$(COMPOSE) up --detach
	@echo "waiting for http://localhost:3010/v1/readiness ..."
	@for _ in $$(seq 1 90); do \
		curl -fsS -o /dev/null http://localhost:3010/v1/readiness 2>/dev/null && exit 0; sleep 2; \
	done; \
	echo "sales-api is not ready after 3 minutes:"; $(COMPOSE) ps --all; \
	$(COMPOSE) logs --tail=30 init-migrate-seed sales-api; exit 1
	$(print_urls)
	@echo "logs: make compose-logs   stop and delete the data: make compose-down"

compose-down: ## stop the compose stack and delete its volumes (the database)
	$(COMPOSE) down --volumes --remove-orphans

compose-logs: ## follow the compose stack's logs
	$(COMPOSE) logs --follow --tail=100

dev-up: ## create the kind cluster `garagesale` (zarf/k8s/dev/kind-config.yaml)
	@command -v kind >/dev/null || { echo "kind is not installed: https://kind.sigs.k8s.io/docs/user/quick-start/#installation"; exit 1; }
	@command -v kubectl >/dev/null || { echo "kubectl is not installed: https://kubernetes.io/docs/tasks/tools/"; exit 1; }
	@if kind get clusters 2>/dev/null | grep -qx $(KIND_CLUSTER); then \
		echo "kind cluster $(KIND_CLUSTER) already exists"; \
	else \
		kind create cluster --name $(KIND_CLUSTER) --config zarf/k8s/dev/kind-config.yaml --wait 120s; \
	fi

dev-down: ## delete the kind cluster (and everything in it)
	kind delete cluster --name $(KIND_CLUSTER)

dev-load: docker-build ## build the images and load them into the kind node
	kind load docker-image --name $(KIND_CLUSTER) $(SALES_IMAGE) $(METRICS_IMAGE)

dev-apply: dev-load ## build + load the images, apply zarf/k8s/dev, restart sales-api, wait until ready
	$(KUSTOMIZE_DEV) | kubectl --context kind-$(KIND_CLUSTER) apply -f -
	$(KUBECTL) rollout status deployment/database --timeout=180s
# Same tag, new image: a restart makes the pods use what was just loaded.
	$(KUBECTL) rollout restart deployment/sales-api
	$(KUBECTL) rollout status deployment/sales-api --timeout=300s
	$(print_urls)

dev-status: ## show the pods and services in sales-system
	$(KUBECTL) get pods,services -o wide

dev-logs: ## follow the sales-api logs in kind
	$(KUBECTL) logs deployment/sales-api --container sales-api --follow --tail=100

# The Go kit runs `hey -c 100 -n 1000`. oha takes the same flags; wrk runs for a
# duration instead. LOAD_TOOL=oha|wrk forces one (oha installs with cargo, ~7 min).
load: ## load test: 100 connections, 1000 requests of GET /v1/users?page=1&rows=10 as the seeded admin
	@token="$${TOKEN:-}"; \
	if [ -z "$$token" ]; then \
		echo "minting an admin token (sales-admin gentoken) against $${SALES_DB_URL:-sqlite://var/sales.db}" \
			"(for compose or kind: SALES_DB_URL=postgres://postgres:postgres@localhost:5433/sales make load)"; \
		token="$$($(ADMIN) --quiet gentoken $(ADMIN_ID))"; \
	fi; \
	url='$(LOAD_BASE_URL)/v1/users?page=1&rows=10'; \
	curl -fsS -o /dev/null "$(LOAD_BASE_URL)/v1/liveness" || { echo "no service answers at $(LOAD_BASE_URL): make run, make compose-up or make dev-apply first"; exit 1; }; \
	curl -fsS -o /dev/null -H "Authorization: Bearer $$token" "$$url" || { echo "the token was refused: is SALES_DB_URL the database this service uses?"; exit 1; }; \
	tool='$(LOAD_TOOL)'; \
	if [ "$$tool" = auto ]; then \
		if command -v oha >/dev/null; then tool=oha; \
		elif command -v wrk >/dev/null; then tool=wrk; \
		elif command -v apt-get >/dev/null && [ "$$(id -u)" -eq 0 ]; then \
			echo "installing wrk from Debian (seconds; LOAD_TOOL=oha installs oha with cargo, ~7 min)"; \
			export DEBIAN_FRONTEND=noninteractive; apt-get install -y -qq wrk >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }; tool=wrk; \
		else tool=oha; fi; \
	fi; \
	if [ "$$tool" = oha ] && ! command -v oha >/dev/null; then \
		echo "installing oha: cargo install oha --locked (about 7 minutes on 2 cores, once)"; \
		$(CARGO) install oha --locked; \
	fi; \
	echo "GET $$url  (429s mean SALES_WEB_RATE_LIMIT is on)"; \
	if [ "$$tool" = oha ]; then \
		oha --no-tui -c 100 -n 1000 -H "Authorization: Bearer $$token" "$$url"; \
	else \
		wrk -t 2 -c 100 -d 10s --latency -H "Authorization: Bearer $$token" "$$url"; \
	fi

vendor: ## copy every crate into vendor/crates for offline builds: cargo build --offline --config vendor/config.toml
	@mkdir -p vendor
	{ echo "# Written by \`make vendor\`. Use: cargo build --offline --config vendor/config.toml"; \
	  $(CARGO) vendor --locked vendor/crates; } > vendor/config.toml.tmp
	mv vendor/config.toml.tmp vendor/config.toml
	@echo "vendored $$(ls vendor/crates | wc -l) crates; build offline with: cargo build --offline --config vendor/config.toml"

zarf-validate: ## lint the Dockerfiles, validate compose and the k8s overlays offline (zarf/validate.sh, run by CI)
	bash zarf/validate.sh

# ==============================================================================
# Performance (tooling/bench/run.sh, docs/performance.md)

.PHONY: bench
bench: ## benchmark: release build, seeded PostgreSQL + SQLite, sales-api vs bare axum and pgbench; table + target/bench/results.json
	bash tooling/bench/run.sh

.PHONY: fuzz-api
fuzz-api: ## hostile input: schemathesis (PyPI) against the running service's OpenAPI document, SQLite and PostgreSQL
	bash tooling/schemathesis/run.sh

.PHONY: openapi
openapi: ## regenerate the committed api/openapi.json from the code
	UPDATE_OPENAPI=1 $(CARGO) nextest run -p sales-api -E 'test(/openapi/)'
