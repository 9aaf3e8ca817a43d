"""A production-mode application over the suite's PostgreSQL and Redis.

One app for the whole run, on the suite's settable clock, so accounts built
with the factories hold tokens it accepts. It depends on the development
`app` only so that the suite's per-test cleanup empties the shared database
and Redis prefix after these tests too.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager
from sqlalchemy import text
from starlette.applications import Starlette

from prescripcare.app import create_app, resources_of
from prescripcare.clock import SettableClock
from prescripcare.db import metadata
from prescripcare.resources import Resources
from prescripcare.settings import Settings
from tests.conftest import asgi_client

ALLOWED_ORIGIN = "https://app.prescripcare.example"

# Append-only trails that may record a refused attempt (failed logins, denied
# reads): a refusal writing there is intended, so they are left out of the
# "nothing was written" comparison.
ATTEMPT_LOGS = ("audit", "login_attempt", "auth_attempt")


def production_settings(migrated: Settings) -> Settings:
    return migrated.model_copy(
        update={"prescripcare_env": "production", "cors_origins": ALLOWED_ORIGIN}
    )


@pytest.fixture(scope="session")
async def production_app(
    app: Starlette, migrated: Settings, clock: SettableClock
) -> AsyncIterator[Starlette]:
    application = create_app(production_settings(migrated), clock=clock)
    async with LifespanManager(application):
        yield application


@pytest.fixture
def production_resources(production_app: Starlette) -> Resources:
    return resources_of(production_app)


@pytest.fixture
async def production_client(production_app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    async with asgi_client(production_app) as c:
        yield c


class Hostile:
    """Posts anything, asserts nothing: the tests judge the answers."""

    def __init__(self, http: httpx.AsyncClient) -> None:
        self.http = http

    async def post(
        self, query: str, variables: dict[str, Any] | None = None, token: str | None = None
    ) -> httpx.Response:
        headers = {"Content-Type": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        # json.dumps escapes what httpx would refuse to encode (a lone surrogate).
        body = json.dumps({"query": query, "variables": variables or {}})
        return await self.http.post("/graphql", content=body, headers=headers)


@pytest.fixture
def hostile(production_client: httpx.AsyncClient) -> Hostile:
    return Hostile(production_client)


async def row_counts(resources: Resources) -> dict[str, int]:
    """Rows in every table (one statement), to prove a refusal wrote nothing."""
    tables = [t.name for t in metadata.sorted_tables if not t.name.startswith(ATTEMPT_LOGS)]
    union = " UNION ALL ".join(f"SELECT '{t}', count(*) FROM \"{t}\"" for t in tables)
    async with resources.engine.connect() as conn:
        rows = (await conn.execute(text(union))).all()
    return {str(name): int(count) for name, count in rows}
