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

.PHONY: help run test lint fmt layercheck ci migrate seed migrate-seed token users genkey

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
