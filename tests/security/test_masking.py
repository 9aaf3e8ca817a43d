"""An unexpected failure in a resolver answers a masked error that quotes the
request id, never the exception or a stack trace; the log and Sentry (through
the real SDK, against a local stand-in) get the exception."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

import httpx
import pytest
import sentry_sdk

from prescripcare.app import create_app
from prescripcare.auth.models import Role
from prescripcare.auth.types import UserType
from prescripcare.clock import SettableClock
from prescripcare.resources import Resources
from prescripcare.settings import Settings
from tests.conftest import asgi_client
from tests.factories import account
from tests.providers import SentryStandIn

SECRET = "database row 42 of patient Ann Example"


@pytest.fixture
async def production_with_sentry(
    migrated: Settings, sentry: SentryStandIn, clock: SettableClock
) -> AsyncIterator[httpx.AsyncClient]:
    dsn = sentry.dsn(1)
    settings = migrated.model_copy(update={"prescripcare_env": "production", "sentry_dsn": dsn})
    app = create_app(settings, clock=clock)
    async with app.router.lifespan_context(app), asgi_client(app) as c:
        yield c


def _explode(*args: object, **kwargs: object) -> UserType:
    raise RuntimeError(SECRET)


async def test_an_unexpected_error_is_masked_logged_and_sent_to_sentry(
    production_with_sentry: httpx.AsyncClient,
    sentry: SentryStandIn,
    resources: Resources,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    token = (await account(resources, Role.PATIENT)).token
    monkeypatch.setattr(UserType, "from_model", _explode)

    with caplog.at_level(logging.ERROR, logger="prescripcare.graphql"):
        response = await production_with_sentry.post(
            "/graphql",
            json={"query": "query Me { me { id } }"},
            headers={"Authorization": f"Bearer {token}", "X-Request-ID": "req-masking-1"},
        )

    body = response.json()
    assert body["data"] == {"me": None}
    [error] = body["errors"]
    assert error["message"] == "Internal server error. Quote request id req-masking-1 to support."
    assert error["extensions"] == {"code": "INTERNAL_SERVER_ERROR", "requestId": "req-masking-1"}
    assert response.headers["x-request-id"] == "req-masking-1"
    assert SECRET not in response.text
    assert "Traceback" not in response.text and "RuntimeError" not in response.text

    logged = [r for r in caplog.records if r.name == "prescripcare.graphql"]
    assert logged and "req-masking-1" in logged[0].getMessage()
    assert logged[0].exc_info is not None and str(logged[0].exc_info[1]) == SECRET

    sentry_sdk.flush(timeout=5)
    events = [e for e in sentry.envelopes if b'"RuntimeError"' in e]
    assert events, sentry.envelopes
    # Sentry gets the exception's type and stack, for the engineers; its
    # message may quote a patient's data, so the scrubber redacts it
    # (docs/operations.md).
    assert b"_explode" in events[0]
    assert SECRET.encode() not in events[0]
