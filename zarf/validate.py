"""Cross-file checks for zarf/ that no schema can make (called by zarf/validate.sh).

The schemas (compose-spec, Kubernetes OpenAPI) say each file is well formed. This
says the files agree with each other and with the service: a Service selects a pod
and its target ports exist, every referenced ConfigMap/Secret/claim is rendered (or
is one of the documented out-of-band secrets), the migrate init container is there,
probes and resources are set, the prod overlay has >= 2 replicas, an HPA and a
PDB that match the Deployment, kind publishes exactly the dev NodePorts on the host
ports compose uses, image tags follow the workspace version, and every Grafana file
is listed in the dev overlay.

usage: python zarf/validate.py RENDER_DIR   (RENDER_DIR holds base.yaml, dev.yaml, prod.yaml)
Run from the repository root. Exit status 1 lists every failed check.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import yaml

ROOT = Path.cwd()
ZARF = ROOT / "zarf"
COMPOSE = ZARF / "compose" / "compose.yaml"
KIND = ZARF / "k8s" / "dev" / "kind-config.yaml"
NAMESPACE = "sales-system"
OUR_IMAGES = ("garagesale/sales-api", "garagesale/metrics")
# Created by an operator, not by the base or prod overlay (base/kustomization.yaml).
OUT_OF_BAND_SECRETS = {"sales-db", "sales-keys"}
WORKLOAD_KINDS = {"Deployment", "StatefulSet", "DaemonSet", "Job"}
CLUSTER_SCOPED = {"Namespace", "PersistentVolume", "StorageClass", "ClusterRole", "ClusterRoleBinding"}

failures: list[str] = []
passed = 0


def check(ok: bool, what: str) -> bool:
    global passed
    if ok:
        passed += 1
    else:
        failures.append(what)
    return ok


def workspace_version() -> str:
    """`version` under [workspace.package] (a regex: tomllib needs Python 3.11)."""
    text = (ROOT / "Cargo.toml").read_text()
    section = re.search(r"^\[workspace\.package\]\n(.*?)(?=^\[|\Z)", text, re.M | re.S)
    version = section and re.search(r'^version\s*=\s*"([^"]+)"', section.group(1), re.M)
    if not version:
        sys.exit("zarf/validate.py: no version under [workspace.package] in Cargo.toml")
    return version.group(1)


def image_tag_ok(image: str, version: str, where: str) -> None:
    if any(name in image for name in OUR_IMAGES):
        check(image.endswith(f":{version}"), f"{where}: image {image} should be tagged :{version} (workspace version)")
    else:
        tag = image.rsplit(":", 1)[-1] if ":" in image.rsplit("/", 1)[-1] else ""
        check(tag not in ("", "latest"), f"{where}: image {image} needs a pinned tag")


# ---------------------------------------------------------------- compose

def compose_host_ports(services: dict) -> set[int]:
    ports = set()
    for svc in services.values():
        for p in svc.get("ports", []):
            parts = str(p).split(":")
            if len(parts) >= 2:
                ports.add(int(parts[-2]))
    return ports


def check_compose(version: str) -> set[int]:
    doc = yaml.safe_load(COMPOSE.read_text())
    services = doc["services"]
    base = COMPOSE.parent
    for name, svc in services.items():
        where = f"compose service {name}"
        deps = svc.get("depends_on", {})
        for dep in deps if isinstance(deps, list) else deps.keys():
            check(dep in services, f"{where}: depends_on unknown service {dep}")
        mode = svc.get("network_mode", "")
        if mode.startswith("service:"):
            check(mode.split(":", 1)[1] in services, f"{where}: network_mode names an unknown service")
            check(mode.split(":", 1)[1] in (deps if isinstance(deps, list) else deps.keys()),
                  f"{where}: network_mode service must also be in depends_on")
            check(not svc.get("ports"), f"{where}: publish ports on the service whose network it shares")
        for vol in svc.get("volumes", []):
            src = vol.split(":", 1)[0] if isinstance(vol, str) else vol.get("source", "")
            if src.startswith((".", "/")):
                check((base / src).exists(), f"{where}: bind mount source {src} does not exist "
                      f"(expected {(base / src).resolve().relative_to(ROOT)})")
        build = svc.get("build")
        if build:
            ctx = base / build["context"]
            check((ctx / build["dockerfile"]).is_file(), f"{where}: dockerfile {build['dockerfile']} not found")
        if "image" in svc:
            image_tag_ok(svc["image"], version, where)

    check("healthcheck" in services.get("database", {}), "compose: database needs a healthcheck")
    init = services.get("init-migrate-seed", {})
    check(init.get("command") == ["migrate-seed"] and init.get("entrypoint") == ["/app/sales-admin"],
          "compose: init-migrate-seed must run `/app/sales-admin migrate-seed`")
    check(init.get("depends_on", {}).get("database", {}).get("condition") == "service_healthy",
          "compose: init-migrate-seed must wait for a healthy database")
    api = services.get("sales-api", {})
    check(api.get("depends_on", {}).get("init-migrate-seed", {}).get("condition") == "service_completed_successfully",
          "compose: sales-api must start after init-migrate-seed succeeded")
    check(str(api.get("environment", {}).get("SALES_DB_AUTO_MIGRATE")) == "false",
          "compose: sales-api must not migrate itself (SALES_DB_AUTO_MIGRATE=false)")
    for needed in ("metrics", "tempo", "prometheus", "grafana"):
        check(needed in services, f"compose: service {needed} missing")
    return compose_host_ports(services)


# ---------------------------------------------------------------- kubernetes

def load_render(path: Path) -> list[dict]:
    return [d for d in yaml.safe_load_all(path.read_text()) if d]


def pod_specs(docs: list[dict]):
    for d in docs:
        if d["kind"] in WORKLOAD_KINDS:
            yield d, d["spec"]["template"]


def containers(tpl: dict, init: bool = True) -> list[dict]:
    spec = tpl["spec"]
    return (spec.get("initContainers", []) if init else []) + spec.get("containers", [])


def check_render(name: str, docs: list[dict], version: str) -> None:
    where = f"k8s {name}"
    by_kind: dict[str, dict[str, dict]] = {}
    for d in docs:
        meta = d.get("metadata", {})
        check(bool(d.get("apiVersion") and d.get("kind") and meta.get("name")), f"{where}: object without apiVersion/kind/name")
        if d["kind"] not in CLUSTER_SCOPED:
            check(meta.get("namespace") == NAMESPACE, f"{where}: {d['kind']}/{meta['name']} not in namespace {NAMESPACE}")
        check(meta["name"] not in by_kind.get(d["kind"], {}), f"{where}: duplicate {d['kind']}/{meta['name']}")
        by_kind.setdefault(d["kind"], {})[meta["name"]] = d

    configmaps = set(by_kind.get("ConfigMap", {}))
    secrets = set(by_kind.get("Secret", {})) | (OUT_OF_BAND_SECRETS if name != "dev" else set())
    claims = set(by_kind.get("PersistentVolumeClaim", {}))

    # References from pods to ConfigMaps, Secrets and claims.
    for wl, tpl in pod_specs(docs):
        w = f"{where}: {wl['kind']}/{wl['metadata']['name']}"
        for vol in tpl["spec"].get("volumes", []):
            if "configMap" in vol:
                check(vol["configMap"]["name"] in configmaps, f"{w}: volume {vol['name']} needs ConfigMap {vol['configMap']['name']}")
            if "secret" in vol:
                check(vol["secret"]["secretName"] in secrets, f"{w}: volume {vol['name']} needs Secret {vol['secret']['secretName']}")
            if "persistentVolumeClaim" in vol:
                check(vol["persistentVolumeClaim"]["claimName"] in claims, f"{w}: volume {vol['name']} needs a claim")
        for c in containers(tpl):
            for src in c.get("envFrom", []):
                if "configMapRef" in src:
                    check(src["configMapRef"]["name"] in configmaps, f"{w}/{c['name']}: envFrom needs ConfigMap {src['configMapRef']['name']}")
                if "secretRef" in src:
                    check(src["secretRef"]["name"] in secrets, f"{w}/{c['name']}: envFrom needs Secret {src['secretRef']['name']}")
            for env in c.get("env", []):
                ref = env.get("valueFrom", {})
                if "configMapKeyRef" in ref:
                    check(ref["configMapKeyRef"]["name"] in configmaps, f"{w}/{c['name']}: env {env['name']} needs ConfigMap")
                if "secretKeyRef" in ref:
                    check(ref["secretKeyRef"]["name"] in secrets, f"{w}/{c['name']}: env {env['name']} needs Secret {ref['secretKeyRef']['name']}")
            mounts = {v["name"] for v in tpl["spec"].get("volumes", [])}
            for m in c.get("volumeMounts", []):
                check(m["name"] in mounts, f"{w}/{c['name']}: volumeMount {m['name']} has no volume")
            image = c.get("image", "")
            if name != "base":
                check(not image.endswith("-image"), f"{w}/{c['name']}: placeholder image {image} not replaced")
                image_tag_ok(image, version, f"{w}/{c['name']}")
            # Every container says what it needs; an unbounded one can starve the node.
            res = c.get("resources", {})
            check({"cpu", "memory"} <= set(res.get("requests", {})) and "memory" in res.get("limits", {}),
                  f"{w}/{c['name']}: needs cpu+memory requests and a memory limit")
            # Named probe ports must be declared.
            declared = {p.get("name") for p in c.get("ports", [])} | {p["containerPort"] for p in c.get("ports", [])}
            for probe in ("readinessProbe", "livenessProbe", "startupProbe"):
                handler = c.get(probe, {})
                port = (handler.get("httpGet") or handler.get("tcpSocket") or {}).get("port")
                if port is not None:
                    check(port in declared, f"{w}/{c['name']}: {probe} port {port} is not a container port")
        for c in containers(tpl, init=False):
            check("readinessProbe" in c and "livenessProbe" in c, f"{w}/{c['name']}: needs readiness and liveness probes")

    # Services select pods and their target ports exist on them.
    for svc in by_kind.get("Service", {}).values():
        s = f"{where}: Service/{svc['metadata']['name']}"
        sel = svc["spec"].get("selector", {})
        matched = [tpl for _, tpl in pod_specs(docs) if sel and sel.items() <= tpl["metadata"].get("labels", {}).items()]
        if not check(bool(matched), f"{s}: selector {sel} matches no pod template"):
            continue
        ports = {p.get("name") for tpl in matched for c in containers(tpl, False) for p in c.get("ports", [])}
        ports |= {p["containerPort"] for tpl in matched for c in containers(tpl, False) for p in c.get("ports", [])}
        for p in svc["spec"]["ports"]:
            check(p.get("targetPort", p["port"]) in ports, f"{s}: targetPort {p.get('targetPort')} not on the selected pods")

    # The service itself.
    dep = by_kind.get("Deployment", {}).get("sales-api")
    if not check(dep is not None, f"{where}: Deployment sales-api missing"):
        return
    tpl = dep["spec"]["template"]
    inits = {c["name"]: c for c in tpl["spec"].get("initContainers", [])}
    cont = {c["name"]: c for c in tpl["spec"]["containers"]}
    want_args = ["migrate-seed"] if name == "dev" else ["migrate"]
    init = inits.get("init-migrate", {})
    check(init.get("command") == ["/app/sales-admin"] and init.get("args") == want_args,
          f"{where}: init container init-migrate must run `/app/sales-admin {' '.join(want_args)}`")
    check({"sales-api", "metrics"} <= set(cont), f"{where}: pod needs containers sales-api and metrics")
    check(tpl["spec"].get("securityContext", {}).get("runAsNonRoot") is True, f"{where}: sales-api pod must run as non-root")
    cfg = next((cm for n, cm in by_kind.get("ConfigMap", {}).items() if n.startswith("sales-api-config")), {})
    check(cfg.get("data", {}).get("SALES_DB_AUTO_MIGRATE") == "false",
          f"{where}: SALES_DB_AUTO_MIGRATE must be false (the init container migrates)")
    labels = tpl["metadata"]["labels"]

    if name == "dev":
        services = by_kind.get("Service", {})
        for needed in ("database", "tempo", "prometheus", "grafana"):
            check(needed in services, f"{where}: Service {needed} missing")
        host, _, port = cfg.get("data", {}).get("SALES_TEMPO_HOST", "").partition(":")
        check(host in services and int(port or 0) in {p["port"] for p in services.get(host, {}).get("spec", {}).get("ports", [])},
              f"{where}: SALES_TEMPO_HOST {host}:{port} is not a Service port")

    if name == "prod":
        check(dep["spec"].get("replicas", 1) >= 2, f"{where}: sales-api needs replicas >= 2")
        hpas = [h for h in by_kind.get("HorizontalPodAutoscaler", {}).values()
                if h["spec"]["scaleTargetRef"].get("kind") == "Deployment" and h["spec"]["scaleTargetRef"]["name"] == "sales-api"]
        if check(len(hpas) == 1, f"{where}: exactly one HorizontalPodAutoscaler must target Deployment sales-api"):
            h = hpas[0]["spec"]
            check(h.get("minReplicas", 1) >= 2 and h["maxReplicas"] >= h.get("minReplicas", 1),
                  f"{where}: HPA needs minReplicas >= 2 and maxReplicas >= minReplicas")
        pdbs = [p for p in by_kind.get("PodDisruptionBudget", {}).values()
                if p["spec"]["selector"].get("matchLabels", {}).items() <= labels.items()]
        check(len(pdbs) == 1, f"{where}: exactly one PodDisruptionBudget must select the sales-api pods")


def nodeports(docs: list[dict]) -> set[int]:
    return {p["nodePort"] for d in docs if d["kind"] == "Service" for p in d["spec"]["ports"] if "nodePort" in p}


def check_kind(dev_docs: list[dict], compose_ports: set[int]) -> None:
    cfg = yaml.safe_load(KIND.read_text())
    check(cfg.get("kind") == "Cluster" and cfg.get("apiVersion") == "kind.x-k8s.io/v1alpha4",
          "kind-config.yaml: must be a kind.x-k8s.io/v1alpha4 Cluster")
    maps = [m for n in cfg.get("nodes", []) for m in n.get("extraPortMappings", [])]
    container_ports = [m["containerPort"] for m in maps]
    host_ports = [m["hostPort"] for m in maps]
    check(len(set(host_ports)) == len(host_ports), "kind-config.yaml: a host port is mapped twice")
    np = nodeports(dev_docs)
    check(set(container_ports) == np,
          f"kind-config.yaml: mapped node ports {sorted(set(container_ports))} != dev Service nodePorts {sorted(np)}")
    check(set(host_ports) == compose_ports,
          f"kind-config.yaml host ports {sorted(set(host_ports))} != compose published ports {sorted(compose_ports)}")


def check_grafana_listed() -> None:
    """Every Grafana file must be in a dev ConfigMap (kustomize can't glob)."""
    kust = yaml.safe_load((ZARF / "k8s" / "dev" / "kustomization.yaml").read_text())
    listed = set()
    for gen in kust.get("configMapGenerator", []):
        for f in gen.get("files", []):
            listed.add((ZARF / "k8s" / "dev" / f.split("=", 1)[-1]).resolve())
    for folder in ("provisioning/datasources", "provisioning/dashboards", "dashboards"):
        for f in sorted((ZARF / "grafana" / folder).glob("*")):
            if f.is_file():
                check(f.resolve() in listed,
                      f"zarf/grafana/{folder}/{f.name} is not in zarf/k8s/dev/kustomization.yaml (configMapGenerator)")


def main() -> int:
    render = Path(sys.argv[1])
    version = workspace_version()
    compose_ports = check_compose(version)
    docs = {n: load_render(render / f"{n}.yaml") for n in ("base", "dev", "prod")}
    for n, d in docs.items():
        check_render(n, d, version)
    check_kind(docs["dev"], compose_ports)
    check_grafana_listed()
    for f in failures:
        print(f"FAIL {f}")
    print(f"cross-file checks: {passed} passed, {len(failures)} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
