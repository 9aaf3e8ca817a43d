"""Test services: real PostgreSQL and Redis, never stand-ins.

With TEST_DATABASE_URL / REDIS_URL set (CI: the machine's servers) each test
run gets its own fresh database and Redis key prefix; without them the
embedded servers start in a temporary directory.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
import sentry_sdk
from asgi_lifespan import LifespanManager
from sqlalchemy import event, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection
from starlette.applications import Starlette

from prescripcare.app import create_app, resources_of
from prescripcare.auth.models import Role
from prescripcare.clock import SettableClock
from prescripcare.db import create_engine, metadata, transaction
from prescripcare.drugs.seed import SeedReport, load_seed
from prescripcare.embedded import EmbeddedServices
from prescripcare.migrate import upgrade
from prescripcare.resources import Resources
from prescripcare.settings import Settings
from tests.factories import Account, account, patient
from tests.providers import SENDGRID_KEY, SendGridStandIn, SentryStandIn, TwilioStandIn

# A Tuesday in winter: far from any daylight-saving change unless a test moves it.
START = datetime(2026, 1, 13, 15, 0, tzinfo=UTC)


def _asyncpg_dsn(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def service_urls() -> Iterator[tuple[str, str]]:
    """(server URL to create databases on, Redis URL)."""
    database_url = os.environ.get("TEST_DATABASE_URL")
    redis_url = os.environ.get("REDIS_URL")
    with (
        tempfile.TemporaryDirectory(prefix="prescripcare-test-") as tmp,
        EmbeddedServices(
            Path(tmp), database_url=database_url, redis_url=redis_url, delete_on_stop=True
        ) as services,
    ):
        assert services.database_url and services.redis_url
        yield services.database_url, services.redis_url


@pytest.fixture(scope="session")
def database_url(service_urls: tuple[str, str]) -> Iterator[str]:
    """A database of our own on the test server, dropped at the end."""
    server_url = service_urls[0]
    name = f"prescripcare_test_{uuid.uuid4().hex[:12]}"

    async def admin(sql: str) -> None:
        conn = await asyncpg.connect(_asyncpg_dsn(server_url))
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    asyncio.run(admin(f'CREATE DATABASE "{name}"'))
    url = make_url(server_url).set(database=name).render_as_string(hide_password=False)
    yield url
    asyncio.run(admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture
async def empty_database(service_urls: tuple[str, str]) -> AsyncIterator[str]:
    """The URL of an empty database of this test's own, dropped after it."""
    server = make_url(service_urls[0]).set(drivername="postgresql")
    name = f"prescripcare_empty_{uuid.uuid4().hex[:10]}"
    admin = await asyncpg.connect(server.render_as_string(hide_password=False))
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
        yield server.set(database=name).render_as_string(hide_password=False)
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


@pytest.fixture(scope="session")
def settings(database_url: str, service_urls: tuple[str, str]) -> Settings:
    return Settings(
        prescripcare_env="development",
        database_url=database_url,
        redis_url=service_urls[1],
        redis_prefix=f"pctest-{uuid.uuid4().hex[:10]}",
        jwt_secret="test-secret-" + uuid.uuid4().hex,
        # Still Argon2id, at a cost that keeps the suite fast.
        argon2_time_cost=1,
        argon2_memory_kib=1024,
        argon2_parallelism=1,
    )


@pytest.fixture(scope="session")
def migrated(settings: Settings) -> Settings:
    async def run() -> None:
        engine = create_engine(settings)
        await upgrade(engine)
        await engine.dispose()

    asyncio.run(run())
    return settings


@pytest.fixture(scope="session")
def clock() -> SettableClock:
    return SettableClock(START)


@pytest.fixture(scope="session")
async def app(migrated: Settings, clock: SettableClock) -> AsyncIterator[Starlette]:
    application = create_app(migrated, clock=clock)
    async with LifespanManager(application):
        yield application


@pytest.fixture
def resources(app: Starlette) -> Resources:
    return resources_of(app)


@pytest.fixture(scope="session")
async def catalog(app: Starlette) -> SeedReport:
    """The shipped drug knowledge, loaded once for the run."""
    res = resources_of(app)
    async with transaction(res.sessions) as session:
        return await load_seed(session, res.clock.now())


@pytest.fixture(autouse=True)
async def _clean_state(request: pytest.FixtureRequest, clock: SettableClock) -> AsyncIterator[None]:
    clock.set(START)
    yield
    if "app" not in request.fixturenames:
        return
    res = resources_of(request.getfixturevalue("app"))
    # The drug catalog is reference data, loaded once per run (see `catalog`);
    # tests that change it restore it themselves.
    tables = ", ".join(
        f'"{t.name}"' for t in metadata.sorted_tables if not t.name.startswith(("drug_", "audit_"))
    )
    async with res.engine.begin() as conn:
        await conn.execute(text(f"TRUNCATE {tables} CASCADE"))
        await reset_audit_log(conn)
    keys = [k async for k in res.redis.scan_iter(match=res.keys.key("*"))]
    if keys:
        await res.redis.delete(*keys)


# The audit log refuses TRUNCATE even from a superuser; between tests its
# guards are lifted (as only the table owner can) and put back ALWAYS-enabled.
AUDIT_GUARDS = {
    "audit_log": ("audit_log_append_only", "audit_log_no_truncate"),
    "audit_chain_head": ("audit_chain_head_guard", "audit_chain_head_no_truncate"),
}


async def reset_audit_log(conn: AsyncConnection) -> None:
    if not await conn.scalar(text("SELECT EXISTS (SELECT 1 FROM audit_log)")):
        return
    for table, triggers in AUDIT_GUARDS.items():
        for trigger in triggers:
            await conn.execute(text(f"ALTER TABLE {table} DISABLE TRIGGER {trigger}"))
    await conn.execute(text("TRUNCATE audit_log"))
    await conn.execute(text("UPDATE audit_chain_head SET seq = 0, hash = :h"), {"h": bytes(32)})
    for table, triggers in AUDIT_GUARDS.items():
        for trigger in triggers:
            await conn.execute(text(f"ALTER TABLE {table} ENABLE ALWAYS TRIGGER {trigger}"))


def asgi_client(app: Starlette, base_url: str = "http://testserver") -> httpx.AsyncClient:
    """An HTTP client calling `app` in process (use it with `async with`)."""
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=base_url)


@pytest.fixture
async def client(app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    async with asgi_client(app) as c:
        yield c


class GraphQLClient:
    def __init__(self, http: httpx.AsyncClient) -> None:
        self.http = http

    async def raw(
        self, query: str, variables: dict[str, Any] | None = None, token: str | None = None
    ) -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        response = await self.http.post(
            "/graphql", json={"query": query, "variables": variables or {}}, headers=headers
        )
        assert response.status_code in (200, 400), response.text
        body: dict[str, Any] = response.json()
        return body

    async def data(
        self, query: str, variables: dict[str, Any] | None = None, token: str | None = None
    ) -> dict[str, Any]:
        body = await self.raw(query, variables, token)
        assert not body.get("errors"), body
        data: dict[str, Any] = body["data"]
        return data


@pytest.fixture
def gql(client: httpx.AsyncClient) -> GraphQLClient:
    return GraphQLClient(client)


@pytest.fixture
async def doctor(resources: Resources, catalog: SeedReport) -> Account:
    """A clinician, with the drug catalog loaded to prescribe from."""
    return await account(resources, Role.CLINICIAN)


@pytest.fixture
async def patient_id(resources: Resources, doctor: Account) -> str:
    """The doctor's patient Grace, in New York."""
    return str(await patient(resources, doctor, "Grace Hopper", timezone="America/New_York"))


class StatementCounter:
    def __init__(self) -> None:
        self.count = 0
        self.statements: list[str] = []

    def __call__(self, conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        self.count += 1
        self.statements.append(statement)


@pytest.fixture
def count_statements(resources: Resources) -> Iterator[StatementCounter]:
    counter = StatementCounter()
    target = resources.engine.sync_engine
    event.listen(target, "before_cursor_execute", counter)
    yield counter
    event.remove(target, "before_cursor_execute", counter)


# Local stand-ins of the external providers, for their real client libraries.


@pytest.fixture
def twilio() -> Iterator[TwilioStandIn]:
    with TwilioStandIn() as standin:
        yield standin


@pytest.fixture
def sendgrid() -> Iterator[SendGridStandIn]:
    with SendGridStandIn() as standin:
        yield standin


@pytest.fixture
def sentry() -> Iterator[SentryStandIn]:
    with SentryStandIn() as standin:
        yield standin
        sentry_sdk.get_client().close()
        # Back to no client for the rest of the run, without auto-enabled
        # integrations (Strawberry's would warn on every schema built after).
        sentry_sdk.init(default_integrations=False, auto_enabling_integrations=False)


@pytest.fixture
async def mailing_app(
    app: Starlette, migrated: Settings, clock: SettableClock, sendgrid: SendGridStandIn
) -> AsyncIterator[Starlette]:
    """An application whose e-mail goes through the SendGrid stand-in."""
    from pydantic import SecretStr

    from tests.auth.limited import custom_app

    async with custom_app(
        migrated,
        clock,
        sendgrid_api_key=SecretStr(SENDGRID_KEY),
        sendgrid_from_email="accounts@prescripcare.example",
        sendgrid_api_url=sendgrid.server.url,
    ) as application:
        yield application
