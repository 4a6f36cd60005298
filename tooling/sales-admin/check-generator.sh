#!/usr/bin/env bash
# CI proof that the domain generator does not rot: copy the workspace (tracked and
# untracked files, never target/), generate a throwaway domain with every field
# type, run the generator again (it must change nothing), then check formatting,
# layering and clippy, and run the domain's own tests: the business conformance
# suite on SQLite and PostgreSQL and its API tests in sales-api, plus the OpenAPI
# structure tests that every documented operation must pass.
#
#   tooling/sales-admin/check-generator.sh        (make generator-check, .ci/run generator)
#
# The copy lives at a fixed place inside the target dir and shares it, so registry
# crates are never rebuilt and file times are kept (cp -p): only crates that the
# generation changed are compiled again.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/../.."
root=$PWD
: "${CI:=true}"
export CI
export SALES_TEST_DATABASE_URL="${SALES_TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$root/target}"
mkdir -p "$CARGO_TARGET_DIR"
CARGO_TARGET_DIR="$(cd "$CARGO_TARGET_DIR" && pwd)"
domain=gencheck
work="$CARGO_TARGET_DIR/generator-check/workspace"

step() { printf '\n--> %s\n' "$*"; }
run() { printf '+ %s\n' "$*"; "$@"; }
start=$SECONDS

step "build sales-admin"
run cargo build --quiet -p sales-admin
admin="$CARGO_TARGET_DIR/debug/sales-admin"

step "copy the workspace to $work"
rm -rf "$work"
mkdir -p "$work"
git ls-files -co --exclude-standard -z | xargs -0 cp -p --parents -t "$work"
cd "$work"

fields=(
    --field title:string --field notes:text:optional --field count:int --field price:money
    --field active:bool --field due:timestamp:optional --field ref_code:uuid:unique
    --field owner:user --field buyer:user --field tags:string[] --field scores:int[]
    --field refs:uuid[] --field flags:bool[]
)
step "generate domain $domain with every field type"
run "$admin" domain new "$domain" "${fields[@]}"

step "run it again: nothing may change"
again="$("$admin" domain new "$domain" "${fields[@]}")"
if printf '%s\n' "$again" | grep -v -e '^unchanged' -e '^note:' | grep .; then
    echo "the second run was not a no-op" >&2
    exit 1
fi
echo "second run: all unchanged"
run "$admin" domain list

step "format, layering, clippy"
run cargo fmt --all -- --check
run cargo run --quiet -p layercheck
run cargo clippy --quiet -p "${domain}bus" -p "${domain}app" -p sales-api --all-targets -- -D warnings

step "tests: ${domain}bus on SQLite and PostgreSQL, /v1/${domain}s API tests, OpenAPI rules"
# UPDATE_OPENAPI=1: the committed api/openapi.json of this throwaway copy is rewritten
# rather than compared (it cannot know the new domain); the structure tests still run.
run env UPDATE_OPENAPI=1 cargo nextest run --no-fail-fast -p "${domain}bus" -p sales-api \
    -E "package(${domain}bus) | test(/^${domain}s::/) | test(/^openapi::/)"

printf '\ngenerator check ok (%ss)\n' "$((SECONDS - start))"
