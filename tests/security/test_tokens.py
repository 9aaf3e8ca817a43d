"""Hostile access and refresh tokens against the production-mode app: every
bad token is UNAUTHENTICATED over HTTP and refused at the websocket's
connection_init (close 4403), and a replayed refresh token ends its login."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import jwt
import pytest
from sqlalchemy import text
from starlette.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from prescripcare.app import create_app
from prescripcare.auth.models import Role
from prescripcare.clock import SettableClock
from prescripcare.resources import Resources
from prescripcare.settings import Settings
from tests.factories import PASSWORD, Account, account
from tests.security.conftest import Hostile, production_settings, row_counts

ME = "{ me { id } }"
CREATE = (
    'mutation { createPatient(input: {name: "Eve", dateOfBirth: "1970-01-01", '
    'timezone: "UTC"}) { patient { id } errors { code } } }'
)
LOGIN = "mutation L($e: String!, $p: String!) { login(email: $e, password: $p) { accessToken } }"
REFRESH = (
    "mutation R($t: String!) { refreshToken(refreshToken: $t) "
    "{ accessToken refreshToken errors { code field } } }"
)


def _sign(claims: dict[str, Any], key: str | None, algorithm: str = "HS256") -> str:
    return jwt.encode(claims, key, algorithm=algorithm)  # type: ignore[arg-type]


@pytest.fixture
async def bad_tokens(production_resources: Resources, hostile: Hostile) -> dict[str, str]:
    """Tokens the server must refuse, each for an account that exists (or
    existed), so only the defect named is wrong with it."""
    res = production_resources
    secret = res.settings.signing_secret
    user = await account(res, Role.CLINICIAN)
    claims = jwt.decode(user.token, options={"verify_signature": False})
    family = uuid.UUID(claims["sid"])
    disabled = await account(res, Role.CLINICIAN)
    logged_out = await account(res, Role.PATIENT)
    async with res.engine.begin() as conn:
        await conn.execute(
            text("UPDATE users SET disabled_at = now() WHERE id = :id"), {"id": disabled.id}
        )
    logout = "mutation L($t: String!) { logout(refreshToken: $t) { ok } }"
    assert (await hostile.post(logout, {"t": logged_out.refresh_token})).json()["data"]["logout"][
        "ok"
    ]
    missing_sid = {k: v for k, v in claims.items() if k != "sid"}
    return {
        "forged (another secret)": _sign(claims, "an-attackers-secret-that-is-long-enough-32"),
        "expired": res.tokens.issue(
            user.id, Role.CLINICIAN, family, res.clock.now() - timedelta(minutes=16)
        ),
        "wrong audience": _sign({**claims, "aud": "another-api"}, secret),
        "wrong issuer": _sign({**claims, "iss": "https://evil.example"}, secret),
        "alg none": _sign(claims, None, "none"),
        "HS512 with the server's secret": _sign(claims, secret, "HS512"),
        "a claim missing": _sign(missing_sid, secret),
        "an account that does not exist": _sign({**claims, "sub": str(uuid.uuid4())}, secret),
        "a disabled account": disabled.token,
        "a logged-out login": logged_out.token,
        "a truncated signature": user.token[:-4],
        "garbage": "garbage",
        "three dots": "a.b.c",
    }


async def test_bad_access_tokens_are_unauthenticated_over_http(
    hostile: Hostile, bad_tokens: dict[str, str], production_resources: Resources
) -> None:
    before = await row_counts(production_resources)
    answers = {}
    for what, token in bad_tokens.items():
        for query in (ME, CREATE):
            body = (await hostile.post(query, None, token)).json()
            answers[what, query[:10]] = [e["extensions"]["code"] for e in body["errors"]]
    assert answers == {key: ["UNAUTHENTICATED"] for key in answers}
    assert await row_counts(production_resources) == before


def _connect(client: TestClient, token: str) -> dict[str, Any] | int:
    """The server's answer to connection_init: its message, or a close code."""
    with client.websocket_connect("/graphql", subprotocols=["graphql-transport-ws"]) as ws:
        ws.send_json({"type": "connection_init", "payload": {"authorization": f"Bearer {token}"}})
        try:
            message: dict[str, Any] = ws.receive_json()
        except WebSocketDisconnect as closed:
            return closed.code
        return message


@pytest.fixture
async def control(production_resources: Resources) -> Account:
    """A good token, to show the socket does open when nothing is wrong."""
    return await account(production_resources, Role.CAREGIVER)


def test_bad_access_tokens_are_refused_at_connection_init(
    migrated: Settings, clock: SettableClock, bad_tokens: dict[str, str], control: Account
) -> None:
    with TestClient(create_app(production_settings(migrated), clock=clock)) as client:
        answers = {what: _connect(client, token) for what, token in bad_tokens.items()}
        assert _connect(client, control.token) == {"type": "connection_ack"}
    assert answers == {what: 4403 for what in bad_tokens}


@pytest.fixture
async def replayed(production_resources: Resources, hostile: Hostile) -> dict[str, Any]:
    """A login whose first refresh token was rotated, then replayed by a thief."""
    user = await account(production_resources, Role.PATIENT)
    rotated = (await hostile.post(REFRESH, {"t": user.refresh_token})).json()["data"]
    assert rotated["refreshToken"]["errors"] == []
    replay = (await hostile.post(REFRESH, {"t": user.refresh_token})).json()["data"]
    return {"user": user, "rotated": rotated["refreshToken"], "replay": replay["refreshToken"]}


async def test_a_replayed_refresh_token_revokes_the_whole_login(
    replayed: dict[str, Any], hostile: Hostile, production_resources: Resources
) -> None:
    user: Account = replayed["user"]
    replay = replayed["replay"]
    assert replay["accessToken"] is None and replay["refreshToken"] is None
    assert replay["errors"] == [{"code": "TOKEN_REUSED", "field": "refreshToken"}]
    newest = replayed["rotated"]
    before = await row_counts(production_resources)
    after = (await hostile.post(REFRESH, {"t": newest["refreshToken"]})).json()["data"]
    assert [e["code"] for e in after["refreshToken"]["errors"]] == ["TOKEN_INVALID"]
    for token in (user.token, newest["accessToken"]):
        body = (await hostile.post(ME, None, token)).json()
        assert [e["extensions"]["code"] for e in body["errors"]] == ["UNAUTHENTICATED"]
    assert await row_counts(production_resources) == before
    # The same person's other login carries on.
    other = (
        await hostile.post(
            LOGIN,
            {"e": user.email, "p": PASSWORD},
        )
    ).json()["data"]["login"]
    assert (await hostile.post(ME, None, other["accessToken"])).json()["data"]["me"]["id"] == str(
        user.id
    )


def test_a_replayed_refresh_tokens_family_cannot_open_a_socket(
    migrated: Settings, clock: SettableClock, replayed: dict[str, Any], control: Account
) -> None:
    with TestClient(create_app(production_settings(migrated), clock=clock)) as client:
        revoked = [replayed["user"].token, replayed["rotated"]["accessToken"]]
        assert [_connect(client, token) for token in revoked] == [4403, 4403]
        assert _connect(client, control.token) == {"type": "connection_ack"}
