"""The shipped manifests agree about drug search: Meilisearch is off unless
a manifest deploys the server the configuration names."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

K8S = Path(__file__).resolve().parents[2] / "infra" / "k8s"


def _documents() -> list[dict[str, Any]]:
    found = []
    for path in sorted(K8S.glob("*.yaml")):
        found += [d for d in yaml.safe_load_all(path.read_text()) if isinstance(d, dict)]
    return found


def test_meilisearch_is_off_or_deployed() -> None:
    documents = _documents()
    config = next(d for d in documents if d["kind"] == "ConfigMap")
    url = config["data"].get("MEILISEARCH_URL")
    if url is None:
        return  # PostgreSQL pg_trgm, the default
    host = urlsplit(url).hostname
    services = {d["metadata"]["name"] for d in documents if d["kind"] == "Service"}
    workloads = {d["kind"] for d in documents if d["metadata"]["name"] == host}
    assert host in services and "StatefulSet" in workloads, f"nothing deploys {url}"
