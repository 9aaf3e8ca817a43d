"""Sentry gets the failure and none of the patient's data: the real SDK with
its Starlette, Strawberry, SQLAlchemy and arq integrations, posting to a
local stand-in of Sentry's ingest endpoint."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
import sentry_sdk
from asgi_lifespan import LifespanManager
from starlette.applications import Starlette

from prescripcare import __version__
from prescripcare import worker as worker_module
from prescripcare.app import create_app
from prescripcare.auth.models import Role
from prescripcare.observability.errors import scrub
from prescripcare.patients import service
from prescripcare.resources import Resources
from prescripcare.settings import Settings
from prescripcare.worker import build_worker
from tests.conftest import GraphQLClient, asgi_client
from tests.factories import account
from tests.patients.documents import CREATE_PATIENT
from tests.providers import SentryStandIn

NAME = "Octavia Marchbanks-Fennimore"
PHONE = "+1 202-555-0166"
EMAIL = "octavia.fennimore@example.org"
COMMIT = "0123456789abcdef0123456789abcdef01234567"


@pytest.fixture
async def sentry_app(migrated: Settings, sentry: SentryStandIn) -> AsyncIterator[Starlette]:
    dsn = sentry.dsn(42)
    app = create_app(migrated.model_copy(update={"sentry_dsn": dsn, "build_commit": COMMIT}))
    async with LifespanManager(app):
        yield app


async def test_an_unexpected_error_reaches_sentry_without_patient_data(
    sentry_app: Starlette,
    sentry: SentryStandIn,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from prescripcare.app import resources_of

    async def broken(*args: Any, **kwargs: Any) -> None:
        details = {"name": NAME, "phone": PHONE}  # a local a careless SDK would send
        raise RuntimeError(f"cannot store {details['name']} at {EMAIL} / {PHONE}")

    monkeypatch.setattr(service, "create_patient", broken)
    res = resources_of(sentry_app)
    doctor = await account(res, Role.CLINICIAN)
    async with asgi_client(sentry_app, "http://t") as http:
        body = await GraphQLClient(http).raw(
            CREATE_PATIENT,
            {
                "input": {
                    "name": NAME,
                    "dateOfBirth": "1950-01-01",
                    "timezone": "UTC",
                    "phone": PHONE,
                    "email": EMAIL,
                }
            },
            token=doctor.token,
        )
    assert body["errors"][0]["extensions"]["code"] == "INTERNAL_SERVER_ERROR"
    sentry_sdk.flush(timeout=5)
    events = sentry.events()
    assert events, "the error was not reported"
    assert any(v["type"] == "RuntimeError" for e in events for v in e["exception"]["values"])
    # The release names the code: the version and the image's build commit.
    assert {e["release"] for e in events} == {f"prescripcare@{__version__}+{COMMIT[:12]}"}
    everything = b"\n".join(sentry.envelopes).decode()
    for secret in (NAME, "Fennimore", EMAIL, "202-555-0166", "2025550166", doctor.email):
        assert secret not in everything, f"{secret!r} reached Sentry"


def test_scrub_keeps_the_code_path_and_drops_the_data() -> None:
    event: dict[str, Any] = {
        "request": {
            "url": "https://api.example/graphql?query=x&variables=%7B%22name%22%7D",
            "data": {"variables": {"name": NAME}},
            "query_string": "variables=...",
            "cookies": {"session": "s"},
            "headers": {"Authorization": "Bearer t", "User-Agent": "app/1"},
        },
        "user": {"id": "u-1", "email": EMAIL, "ip_address": "10.0.0.1"},
        "contexts": {"graphql": {"operation_name": "CreatePatient", "variables": {"n": NAME}}},
        "extra": {"patient": NAME},
        "exception": {
            "values": [
                {
                    "type": "ValueError",
                    "value": f"bad {EMAIL}",
                    "stacktrace": {"frames": [{"function": "f", "vars": {"name": NAME}}]},
                }
            ]
        },
        "breadcrumbs": {"values": [{"message": f"sms to {PHONE}", "data": {"to": PHONE}}]},
    }
    out = json.dumps(scrub(event))
    for secret in (NAME, EMAIL, PHONE, "Bearer t", "10.0.0.1", "variables"):
        assert secret not in out
    assert "CreatePatient" in out and "ValueError" in out and "u-1" in out


async def test_a_failing_worker_job_reaches_sentry(
    migrated: Settings,
    resources: Resources,
    sentry: SentryStandIn,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async def broken(*args: Any, **kwargs: Any) -> list[Any]:
        raise RuntimeError(f"missed dose of {NAME}")

    monkeypatch.setattr(worker_module, "mark_missed", broken)
    dsn = sentry.dsn(42)
    settings = migrated.model_copy(
        update={"sentry_dsn": dsn, "redis_prefix": f"{migrated.redis_prefix}-sentry"}
    )
    worker = build_worker(settings, burst=True, handle_signals=False)
    try:
        await worker.async_run()
    finally:
        await worker.close()
        keys = [k async for k in resources.redis.scan_iter(match=f"{settings.redis_prefix}:*")]
        if keys:
            await resources.redis.delete(*keys)
    sentry_sdk.flush(timeout=5)
    events = [e for e in sentry.events() if e.get("tags", {}).get("component") == "worker"]
    assert any(v["type"] == "RuntimeError" for e in events for v in e["exception"]["values"])
    assert {e["release"] for e in events} == {f"prescripcare@{__version__}"}
    assert NAME not in b"\n".join(sentry.envelopes).decode()
