"""Password reset by e-mail through the real sendgrid client against a local
stand-in: one-time, expiring, no account enumeration, every login ended."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
from pydantic import SecretStr
from sqlalchemy import select
from starlette.applications import Starlette

from prescripcare.app import resources_of
from prescripcare.auth.models import PasswordResetToken, Role, User
from prescripcare.clock import SettableClock
from prescripcare.settings import Settings
from tests.auth.documents import LOGIN, ME, REFRESH
from tests.auth.limited import client_from, custom_app
from tests.factories import PASSWORD, Account, account
from tests.providers import SENDGRID_KEY, SendGridStandIn

NEW_PASSWORD = "a brand new and long passphrase"

REQUEST = """
mutation Forgot($email: String!) {
  requestPasswordReset(email: $email) { ok errors { code field message } }
}"""
RESET = """
mutation Reset($token: String!, $newPassword: String!) {
  resetPassword(token: $token, newPassword: $newPassword) { ok errors { code field message } }
}"""


@pytest.fixture
async def http(mailing_app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    async with client_from(mailing_app, "192.0.2.10") as c:
        yield c


@pytest.fixture
async def user(mailing_app: Starlette) -> Account:
    return await account(resources_of(mailing_app), Role.CAREGIVER)


async def call(
    http: httpx.AsyncClient, query: str, variables: dict[str, Any], token: str | None = None
) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    response = await http.post(
        "/graphql", json={"query": query, "variables": variables}, headers=headers
    )
    body: dict[str, Any] = response.json()
    return body


async def ask(http: httpx.AsyncClient, app: Starlette, email: str) -> dict[str, Any]:
    body = await call(http, REQUEST, {"email": email})
    await resources_of(app).auth.resets.mail.drain()
    return body


def mailed_token(sendgrid: SendGridStandIn, index: int = -1) -> str:
    text = sendgrid.mails[index]["content"][0]["value"]
    found = re.search(r"reset-password\?token=([A-Za-z0-9_-]+)", text)
    assert found, text
    return found[1]


async def login_code(http: httpx.AsyncClient, email: str, password: str) -> str:
    out = (await call(http, LOGIN, {"email": email, "password": password}))["data"]["login"]
    return out["errors"][0]["code"] if out["errors"] else "OK"


async def test_a_reset_link_sets_a_new_password_and_ends_every_login(
    http: httpx.AsyncClient, mailing_app: Starlette, sendgrid: SendGridStandIn, user: Account
) -> None:
    answer = await ask(http, mailing_app, user.email.upper())
    assert answer["data"]["requestPasswordReset"] == {"ok": True, "errors": []}
    [mail] = sendgrid.mails
    assert mail["personalizations"][0]["to"] == [{"email": user.email}]
    assert mail["subject"] == "Reset your PrescripCare password"
    token = mailed_token(sendgrid)

    async with resources_of(mailing_app).sessions() as s:
        stored = (await s.scalars(select(PasswordResetToken))).one()
    assert token not in stored.token_hash  # kept hashed

    done = await call(http, RESET, {"token": token, "newPassword": NEW_PASSWORD})
    assert done["data"]["resetPassword"] == {"ok": True, "errors": []}
    await resources_of(mailing_app).auth.resets.mail.drain()
    notice = sendgrid.mails[-1]
    assert notice["subject"] == "Your PrescripCare password was changed"
    assert notice["personalizations"][0]["to"] == [{"email": user.email}]
    assert await login_code(http, user.email, PASSWORD) == "INVALID_CREDENTIALS"
    assert await login_code(http, user.email, NEW_PASSWORD) == "OK"
    # The sessions opened before the reset are over, refresh and access alike.
    refreshed = await call(http, REFRESH, {"refreshToken": user.refresh_token})
    assert refreshed["data"]["refreshToken"]["errors"][0]["code"] == "TOKEN_INVALID"
    me = await call(http, ME, {}, token=user.token)
    assert me["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    # Single use.
    again = await call(http, RESET, {"token": token, "newPassword": "yet another long phrase"})
    assert again["data"]["resetPassword"]["errors"][0]["code"] == "TOKEN_INVALID"
    assert await login_code(http, user.email, NEW_PASSWORD) == "OK"


async def test_an_unknown_address_gets_the_same_answer_and_no_mail(
    http: httpx.AsyncClient, mailing_app: Starlette, sendgrid: SendGridStandIn, user: Account
) -> None:
    unknown = await ask(http, mailing_app, "nobody-here@clinic.example.org")
    known = await ask(http, mailing_app, user.email)
    assert unknown == known == {"data": {"requestPasswordReset": {"ok": True, "errors": []}}}
    assert [m["personalizations"][0]["to"][0]["email"] for m in sendgrid.mails] == [user.email]
    bad = await ask(http, mailing_app, "not an address")
    assert bad["data"]["requestPasswordReset"]["errors"][0]["field"] == "email"


async def test_an_expired_link_is_refused(
    http: httpx.AsyncClient,
    mailing_app: Starlette,
    sendgrid: SendGridStandIn,
    user: Account,
    clock: SettableClock,
) -> None:
    await ask(http, mailing_app, user.email)
    clock.advance(timedelta(minutes=30))
    out = await call(http, RESET, {"token": mailed_token(sendgrid), "newPassword": NEW_PASSWORD})
    assert out["data"]["resetPassword"]["errors"] == [
        {
            "code": "TOKEN_INVALID",
            "field": "token",
            "message": "This reset link is not valid: it expired or was used. Ask for a new one.",
        }
    ]
    assert await login_code(http, user.email, PASSWORD) == "OK"
    unknown = await call(http, RESET, {"token": "made-up", "newPassword": NEW_PASSWORD})
    assert unknown["data"]["resetPassword"]["errors"][0]["code"] == "TOKEN_INVALID"


async def test_a_weak_new_password_changes_nothing_and_keeps_the_link(
    http: httpx.AsyncClient, mailing_app: Starlette, sendgrid: SendGridStandIn, user: Account
) -> None:
    await ask(http, mailing_app, user.email)
    token = mailed_token(sendgrid)
    async with resources_of(mailing_app).sessions() as s:
        before = (await s.get(User, user.id)).password_hash  # type: ignore[union-attr]
    weak = await call(http, RESET, {"token": token, "newPassword": "password123"})
    assert weak["data"]["resetPassword"]["errors"][0]["code"] == "WEAK_PASSWORD"
    assert weak["data"]["resetPassword"]["errors"][0]["field"] == "newPassword"
    async with resources_of(mailing_app).sessions() as s:
        assert (await s.get(User, user.id)).password_hash == before  # type: ignore[union-attr]
    assert (await call(http, ME, {}, token=user.token))["data"]["me"]["email"] == user.email
    ok = await call(http, RESET, {"token": token, "newPassword": NEW_PASSWORD})
    assert ok["data"]["resetPassword"]["ok"] is True


async def test_reset_requests_are_rate_limited_per_address(
    app: Starlette, migrated: Settings, clock: SettableClock, sendgrid: SendGridStandIn
) -> None:
    async with custom_app(
        migrated,
        clock,
        rate_limit_enabled=True,
        sendgrid_api_key=SecretStr(SENDGRID_KEY),
        sendgrid_from_email="accounts@prescripcare.example",
        sendgrid_api_url=sendgrid.server.url,
    ) as limited:
        user = await account(resources_of(limited), Role.CAREGIVER)
        statuses = []
        for ip in ("192.0.2.20", "192.0.2.21", "192.0.2.22", "192.0.2.23"):
            async with client_from(limited, ip) as http:
                response = await http.post(
                    "/graphql", json={"query": REQUEST, "variables": {"email": user.email}}
                )
                statuses.append(response.status_code)
        await resources_of(limited).auth.resets.mail.drain()
        assert statuses == [200, 200, 200, 429]
        assert len(sendgrid.mails) == 3  # an inbox cannot be flooded
        assert int(response.headers["Retry-After"]) == 1200  # one hour / 3
