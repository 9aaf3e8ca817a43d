"""/ready follows its dependencies: a Redis server of the test's own is
stopped and started again, and readiness answers 503 then 200."""

from __future__ import annotations

import asyncio
import shutil
import socket
import subprocess
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from asgi_lifespan import LifespanManager

from prescripcare.app import create_app
from prescripcare.settings import Settings
from tests.conftest import asgi_client
from tests.processes import free_port

REDIS_SERVER = shutil.which("redis-server")
pytestmark = pytest.mark.skipif(REDIS_SERVER is None, reason="needs a redis-server binary")


class OwnRedis:
    def __init__(self, directory: Path) -> None:
        self.port = free_port()
        self.directory = directory
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        assert REDIS_SERVER is not None
        self.process = subprocess.Popen(
            [
                REDIS_SERVER,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.directory),
            ],
            stdout=subprocess.DEVNULL,
        )
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.1).close()
                return
            except OSError:
                time.sleep(0.05)
        raise AssertionError("redis-server did not start")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[OwnRedis]:
    server = OwnRedis(tmp_path)
    server.start()
    yield server
    server.stop()


@pytest.fixture
async def http(migrated: Settings, own_redis: OwnRedis) -> AsyncIterator[httpx.AsyncClient]:
    settings = migrated.model_copy(update={"redis_url": f"redis://127.0.0.1:{own_redis.port}/0"})
    app = create_app(settings)
    async with LifespanManager(app), asgi_client(app, "http://t") as client:
        yield client


async def _ready(http: httpx.AsyncClient, expected: int) -> httpx.Response:
    for _ in range(50):
        response = await http.get("/ready")
        if response.status_code == expected:
            return response
        await asyncio.sleep(0.1)
    raise AssertionError(f"/ready never answered {expected}: {response.text}")


async def test_readiness_flips_with_redis_and_liveness_does_not(
    http: httpx.AsyncClient, own_redis: OwnRedis
) -> None:
    ready = await _ready(http, 200)
    assert ready.json() == {"status": "ready", "checks": {"postgres": "ok", "redis": "ok"}}

    own_redis.stop()
    down = await _ready(http, 503)
    assert down.json()["checks"] == {"postgres": "ok", "redis": "unreachable"}
    assert (await http.get("/health")).status_code == 200

    own_redis.start()
    await _ready(http, 200)


async def test_a_database_behind_the_migrations_is_not_ready(
    migrated: Settings, empty_database: str
) -> None:
    app = create_app(migrated.model_copy(update={"database_url": empty_database}))
    async with LifespanManager(app), asgi_client(app, "http://t") as client:
        response = await client.get("/ready")
    assert response.status_code == 503
    assert response.json()["checks"]["postgres"] == "not migrated"
