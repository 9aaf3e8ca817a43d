"""The development GraphiQL page works without internet once
`prescripcare graphiql-assets` has filled GRAPHIQL_ASSETS_DIR, and falls back
to the CDN otherwise; the files come from npm tarballs checked against the
registry's SHA-512 and the page's pinned hashes."""

from __future__ import annotations

import base64
import hashlib
import io
import subprocess
import sys
import tarfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from asgi_lifespan import LifespanManager
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from prescripcare.app import create_app
from prescripcare.demo import CLINICIAN
from prescripcare.graphiql_assets import AssetFetchError, fetch_assets
from prescripcare.graphql.graphiql import ASSETS, CDN, Asset, demo_document
from prescripcare.settings import Settings
from tests.conftest import asgi_client
from tests.standin import LocalServer

SCRIPT = b"window.Demo = 1;\n"
STYLE = b".demo { color: red }\n"


def _sri(data: bytes, algorithm: str = "sha384") -> str:
    return f"{algorithm}-{base64.b64encode(hashlib.new(algorithm, data).digest()).decode()}"


DEMO_ASSETS = (
    Asset("@demo/widget", "1.0.0", "dist/widget.js", _sri(SCRIPT), "body-script"),
    Asset("@demo/widget", "1.0.0", "dist/widget.css", _sri(STYLE), "style"),
)


def _tarball(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for name, data in files.items():
            info = tarfile.TarInfo(f"package/{name}")
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


class Registry:
    """Answers as registry.npmjs.org does: version metadata, then the tarball."""

    def __init__(self) -> None:
        self.tarball = _tarball({"dist/widget.js": SCRIPT, "dist/widget.css": STYLE})
        self.integrity = _sri(self.tarball, "sha512")
        self.requests: list[str] = []
        app = Starlette(
            routes=[
                Route("/@demo/widget/1.0.0", self.metadata),
                Route("/tarballs/widget-1.0.0.tgz", self.download),
            ]
        )
        self.server = LocalServer(app)

    async def metadata(self, request: Request) -> Response:
        self.requests.append(request.url.path)
        tarball = f"{self.server.url}/tarballs/widget-1.0.0.tgz"
        return JSONResponse({"dist": {"tarball": tarball, "integrity": self.integrity}})

    async def download(self, request: Request) -> Response:
        self.requests.append(request.url.path)
        return Response(self.tarball, media_type="application/octet-stream")


@pytest.fixture
def registry() -> Iterator[Registry]:
    stand_in = Registry()
    stand_in.server.start()
    yield stand_in
    stand_in.server.stop()


def test_assets_come_from_the_tarball_once(tmp_path: Path, registry: Registry) -> None:
    written = fetch_assets(tmp_path, registry.server.url, DEMO_ASSETS)
    assert written == ["@demo/widget@1.0.0/dist/widget.js", "@demo/widget@1.0.0/dist/widget.css"]
    assert (tmp_path / written[0]).read_bytes() == SCRIPT
    assert registry.requests == ["/@demo/widget/1.0.0", "/tarballs/widget-1.0.0.tgz"]

    assert fetch_assets(tmp_path, registry.server.url, DEMO_ASSETS) == []
    assert len(registry.requests) == 2, "files already in place are not fetched again"

    (tmp_path / written[1]).write_bytes(b"tampered")
    assert fetch_assets(tmp_path, registry.server.url, DEMO_ASSETS) == [written[1]]
    assert (tmp_path / written[1]).read_bytes() == STYLE


def test_a_tarball_that_fails_its_integrity_check_writes_nothing(
    tmp_path: Path, registry: Registry
) -> None:
    registry.integrity = _sri(b"another tarball", "sha512")
    with pytest.raises(AssetFetchError, match=r"does not match dist\.integrity"):
        fetch_assets(tmp_path, registry.server.url, DEMO_ASSETS)
    assert not any(tmp_path.iterdir())


def test_a_file_that_differs_from_the_pinned_hash_writes_nothing(
    tmp_path: Path, registry: Registry
) -> None:
    pinned = (Asset("@demo/widget", "1.0.0", "dist/widget.js", _sri(b"other"), "body-script"),)
    with pytest.raises(AssetFetchError, match="does not match the pinned hash"):
        fetch_assets(tmp_path, registry.server.url, pinned)
    assert not any(tmp_path.iterdir())


def test_the_command_reports_an_unreachable_registry(tmp_path: Path) -> None:
    run = subprocess.run(
        [
            *(sys.executable, "-m", "prescripcare.cli", "graphiql-assets"),
            *("--output", str(tmp_path), "--registry", "http://127.0.0.1:9"),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode != 0
    assert "cannot fetch" in run.stderr and "falls back to the CDN" in run.stderr


async def _client(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings)
    async with LifespanManager(app), asgi_client(app, "http://t") as client:
        yield client


@pytest.fixture
async def offline_client(migrated: Settings, tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    """Assets in place (the bytes only need to exist for serving)."""
    for asset in ASSETS:
        path = tmp_path / asset.relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"/* {asset.relative} */")
    async for client in _client(migrated.model_copy(update={"graphiql_assets_dir": tmp_path})):
        yield client


@pytest.fixture
async def cdn_client(migrated: Settings, tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    settings = migrated.model_copy(update={"graphiql_assets_dir": tmp_path / "absent"})
    async for client in _client(settings):
        yield client


async def test_the_page_uses_local_assets_when_present(offline_client: httpx.AsyncClient) -> None:
    page = (await offline_client.get("/graphql", headers={"Accept": "text/html"})).text
    assert CDN not in page
    for asset in ASSETS:
        assert f'"/graphiql-assets/{asset.relative}" integrity="{asset.integrity}"' in page
        served = await offline_client.get(f"/graphiql-assets/{asset.relative}")
        assert served.status_code == 200 and served.text == f"/* {asset.relative} */"
    # The first screen: the demo clinician's Login, short, ready to run.
    assert CLINICIAN.email in page and CLINICIAN.password in page
    document = demo_document()
    assert document.count("\n") <= 12 and document.count("#") <= 2
    assert "mutation Login" in document


async def test_the_page_falls_back_to_the_cdn(cdn_client: httpx.AsyncClient) -> None:
    page = (await cdn_client.get("/graphql", headers={"Accept": "text/html"})).text
    for asset in ASSETS:
        assert f'"{CDN}/{asset.relative}" integrity="{asset.integrity}"' in page
    assert (await cdn_client.get(f"/graphiql-assets/{ASSETS[0].relative}")).status_code == 404


def test_production_mounts_no_graphiql_assets(migrated: Settings, tmp_path: Path) -> None:
    for asset in ASSETS:
        (tmp_path / asset.relative).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / asset.relative).write_text("x")
    development = create_app(migrated.model_copy(update={"graphiql_assets_dir": tmp_path}))
    production = create_app(
        migrated.model_copy(
            update={"graphiql_assets_dir": tmp_path, "prescripcare_env": "production"}
        )
    )
    mounted = {getattr(route, "path", None) for route in development.routes}
    assert "/graphiql-assets" in mounted
    assert "/graphiql-assets" not in {getattr(route, "path", None) for route in production.routes}
