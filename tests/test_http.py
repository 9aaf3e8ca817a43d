"""HTTP behaviour: health, readiness, request ids, masked errors, GET."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import NoReturn

import httpx
import pytest
from asgi_lifespan import LifespanManager

from prescripcare import __version__
from prescripcare.app import create_app
from prescripcare.auth.models import Role
from prescripcare.patients.loaders import PatientByIdLoader
from prescripcare.resources import Resources
from prescripcare.settings import Settings
from tests.conftest import GraphQLClient, asgi_client
from tests.factories import account, patient

COMMIT = "5d13f7b9c2e4a1f0b8d6c3e2a1f0b9c8d7e6f5a4"


async def test_health_and_ready(client: httpx.AsyncClient) -> None:
    assert (await client.get("/health")).json() == {"status": "ok", "version": __version__}
    ready = await client.get("/ready")
    assert ready.status_code == 200
    assert ready.json()["checks"] == {"postgres": "ok", "redis": "ok"}


async def test_health_names_the_build_commit_when_the_image_has_one(migrated: Settings) -> None:
    app = create_app(migrated.model_copy(update={"build_commit": COMMIT}))
    async with LifespanManager(app), asgi_client(app, "http://t") as client:
        health = (await client.get("/health")).json()
    assert health == {"status": "ok", "version": __version__, "commit": COMMIT}


def test_the_version_is_the_packages() -> None:
    project = tomllib.loads((Path(__file__).parents[1] / "pyproject.toml").read_text())
    assert project["project"]["version"] == __version__


@pytest.mark.parametrize("broken", ["redis", "postgres"])
async def test_ready_is_503_when_a_dependency_is_down(migrated: Settings, broken: str) -> None:
    if broken == "redis":
        settings = migrated.model_copy(update={"redis_url": "redis://127.0.0.1:1/0"})
    else:
        url = migrated.database_url or ""
        settings = migrated.model_copy(
            update={"database_url": url.rsplit("/", 1)[0] + "/no_such_database"}
        )
    app = create_app(settings)
    async with LifespanManager(app), asgi_client(app, "http://t") as client:
        response = await client.get("/ready")
    assert response.status_code == 503
    assert response.json()["checks"][broken] == "unreachable"


async def test_request_id_is_echoed_or_generated(client: httpx.AsyncClient) -> None:
    given = await client.get("/health", headers={"X-Request-ID": "abc-123"})
    assert given.headers["x-request-id"] == "abc-123"
    hostile = await client.get("/health", headers={"X-Request-ID": "bad id\r\nx"})
    assert hostile.headers["x-request-id"] not in ("", "bad id\r\nx")


async def test_unexpected_errors_are_masked_with_the_request_id(
    client: httpx.AsyncClient,
    resources: Resources,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    doc = await account(resources, Role.CLINICIAN)
    pid = await patient(resources, doc, "Ada Byron")

    async def broken(self: object, session: object, keys: object) -> NoReturn:
        raise RuntimeError("password=hunter2 in a stack trace")

    monkeypatch.setattr(PatientByIdLoader, "load_batch", broken)
    response = await client.post(
        "/graphql",
        json={
            "query": "query($id: ID!) { patient(id: $id) { id } }",
            "variables": {"id": str(pid)},
        },
        headers={"Authorization": f"Bearer {doc.token}", "X-Request-ID": "req-42"},
    )
    error = response.json()["errors"][0]
    assert error["extensions"] == {"code": "INTERNAL_SERVER_ERROR", "requestId": "req-42"}
    assert "req-42" in error["message"]
    assert "hunter2" not in response.text and "Traceback" not in response.text


async def test_queries_work_over_get_but_mutations_do_not(
    client: httpx.AsyncClient,
    gql: GraphQLClient,
    resources: Resources,
) -> None:
    user = await account(resources, Role.CAREGIVER)
    got = await client.get(
        "/graphql",
        params={"query": "{ me { role } }"},
        headers={"Authorization": f"Bearer {user.token}"},
    )
    assert got.json() == {"data": {"me": {"role": "CAREGIVER"}}}
    mutation = await client.get(
        "/graphql", params={"query": 'mutation { logout(refreshToken: "x") { ok } }'}
    )
    assert mutation.status_code in (400, 405)


async def test_graphiql_is_served_in_development(client: httpx.AsyncClient) -> None:
    page = await client.get("/graphql", headers={"Accept": "text/html"})
    assert page.status_code == 200 and "graphiql" in page.text.lower()
