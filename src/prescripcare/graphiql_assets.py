"""`prescripcare graphiql-assets`: GraphiQL's scripts and styles from the npm
registry into GRAPHIQL_ASSETS_DIR, so the development GraphiQL page works
without internet.

Each package tarball is checked against the registry's `dist.integrity`
(SHA-512) and each file taken from it against the SRI hash the page pins, so
what lands on disk is exactly what the CDN would have served."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import os
import tarfile
import urllib.request
from collections.abc import Iterable
from pathlib import Path
from urllib.parse import quote

from prescripcare.graphql.graphiql import ASSETS, Asset

DEFAULT_REGISTRY = "https://registry.npmjs.org"
TIMEOUT_SECONDS = 60


class AssetFetchError(Exception):
    pass


def registry_url() -> str:
    """npm's own setting, so a mirror configured for npm is used here too."""
    return os.environ.get("NPM_CONFIG_REGISTRY") or DEFAULT_REGISTRY


def matches_integrity(data: bytes, integrity: str) -> bool:
    """True when any of the SRI entries (`algo-base64`, space-separated) fits."""
    for entry in integrity.split():
        algorithm, _, expected = entry.partition("-")
        if algorithm not in ("sha256", "sha384", "sha512"):
            continue
        digest = base64.b64encode(hashlib.new(algorithm, data).digest()).decode()
        if digest == expected:
            return True
    return False


def _get(url: str) -> bytes:
    if not url.startswith(("https://", "http://")):
        raise AssetFetchError(f"refusing to fetch {url!r}")
    try:
        with urllib.request.urlopen(url, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310
            body: bytes = response.read()
    except OSError as exc:
        raise AssetFetchError(f"cannot fetch {url}: {exc}") from None
    return body


def _present(directory: Path, asset: Asset) -> bool:
    path = directory / asset.relative
    return path.is_file() and matches_integrity(path.read_bytes(), asset.integrity)


def _package_files(registry: str, package: str, version: str, assets: list[Asset]) -> list[bytes]:
    metadata_url = f"{registry.rstrip('/')}/{quote(package, safe='@')}/{quote(version)}"
    try:
        dist = json.loads(_get(metadata_url))["dist"]
        tarball_url, integrity = str(dist["tarball"]), str(dist["integrity"])
    except (ValueError, KeyError, TypeError):
        raise AssetFetchError(f"{metadata_url}: not npm package metadata") from None
    tarball = _get(tarball_url)
    if not matches_integrity(tarball, integrity):
        raise AssetFetchError(f"{package}@{version}: the tarball does not match dist.integrity")
    contents = []
    with tarfile.open(fileobj=io.BytesIO(tarball), mode="r:gz") as archive:
        for asset in assets:
            try:
                member = archive.extractfile(f"package/{asset.path}")
            except KeyError:
                member = None
            if member is None:
                raise AssetFetchError(f"{package}@{version} has no file {asset.path}")
            data = member.read()
            if not matches_integrity(data, asset.integrity):
                raise AssetFetchError(f"{asset.relative} does not match the pinned hash")
            contents.append(data)
    return contents


def fetch_assets(
    directory: Path, registry: str | None = None, assets: Iterable[Asset] = ASSETS
) -> list[str]:
    """Downloads what is missing or altered; answers the files written. All
    packages are checked before anything is written."""
    registry = registry or registry_url()
    wanted: dict[tuple[str, str], list[Asset]] = {}
    for asset in assets:
        if not _present(directory, asset):
            wanted.setdefault((asset.package, asset.version), []).append(asset)
    fetched: list[tuple[Asset, bytes]] = []
    for (package, version), group in wanted.items():
        fetched.extend(zip(group, _package_files(registry, package, version, group), strict=True))
    for asset, data in fetched:
        path = directory / asset.relative
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(path.name + ".partial")
        partial.write_bytes(data)
        partial.replace(path)
    return [asset.relative for asset, _ in fetched]
