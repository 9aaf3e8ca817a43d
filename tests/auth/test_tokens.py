"""Access tokens, refresh rotation, theft detection and logout."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import jwt
import pytest
from sqlalchemy import select
from sqlmodel import col

from prescripcare.auth.models import RefreshToken, Role
from prescripcare.clock import SettableClock
from prescripcare.resources import Resources
from prescripcare.settings import load_settings
from tests.auth.documents import LOGOUT, ME, REFRESH
from tests.conftest import GraphQLClient
from tests.factories import account


async def me_code(gql: GraphQLClient, token: str) -> str | None:
    body = await gql.raw(ME, token=token)
    if not body.get("errors"):
        return None
    code: str = body["errors"][0]["extensions"]["code"]
    return code


async def refresh(gql: GraphQLClient, token: str) -> dict[str, Any]:
    out: dict[str, Any] = (await gql.data(REFRESH, {"refreshToken": token}))["refreshToken"]
    return out


async def test_access_token_claims(resources: Resources) -> None:
    user = await account(resources, Role.CLINICIAN)
    claims = jwt.decode(user.token, options={"verify_signature": False})
    assert jwt.get_unverified_header(user.token)["alg"] == "HS256"
    assert claims["iss"] == "prescripcare" and claims["aud"] == "prescripcare-api"
    assert claims["sub"] == str(user.id) and claims["jti"]
    assert claims["exp"] - claims["iat"] == 15 * 60


async def test_access_token_expires_after_15_minutes(
    gql: GraphQLClient, resources: Resources, clock: SettableClock
) -> None:
    user = await account(resources, Role.PATIENT)
    clock.advance(timedelta(minutes=14, seconds=59))
    assert await me_code(gql, user.token) is None
    clock.advance(timedelta(seconds=1))
    assert await me_code(gql, user.token) == "UNAUTHENTICATED"


async def test_forged_and_malformed_tokens_are_refused(
    gql: GraphQLClient, resources: Resources
) -> None:
    user = await account(resources, Role.ADMIN)
    claims = jwt.decode(user.token, options={"verify_signature": False})
    forged = jwt.encode(
        claims, "not-the-server-secret-but-long-enough-for-hs256", algorithm="HS256"
    )
    unsigned = jwt.encode(claims, key=None, algorithm="none")  # type: ignore[arg-type]
    wrong_audience = jwt.encode(
        {**claims, "aud": "another-api"}, resources.settings.signing_secret, algorithm="HS256"
    )
    for token in (forged, unsigned, wrong_audience, "garbage", user.token[:-3] + "abc"):
        assert await me_code(gql, token) == "UNAUTHENTICATED", token


async def test_refresh_rotates_and_the_new_pair_works(
    gql: GraphQLClient, resources: Resources
) -> None:
    user = await account(resources, Role.PATIENT)
    first = await refresh(gql, user.refresh_token)
    assert first["errors"] == []
    assert first["refreshToken"] != user.refresh_token
    assert await me_code(gql, first["accessToken"]) is None
    second = await refresh(gql, first["refreshToken"])
    assert second["errors"] == [] and second["accessToken"]


async def test_reusing_a_rotated_token_revokes_the_whole_family(
    gql: GraphQLClient, resources: Resources
) -> None:
    user = await account(resources, Role.PATIENT)
    rotated = await refresh(gql, user.refresh_token)
    # The stolen copy of the first token comes back.
    reuse = await refresh(gql, user.refresh_token)
    assert [(e["code"], e["field"]) for e in reuse["errors"]] == [("TOKEN_REUSED", "refreshToken")]
    assert reuse["accessToken"] is None
    # Nobody in the family can go on: not the legitimate holder's newer token,
    # and not the access tokens already issued.
    later = await refresh(gql, rotated["refreshToken"])
    assert [e["code"] for e in later["errors"]] == ["TOKEN_INVALID"]
    assert await me_code(gql, rotated["accessToken"]) == "UNAUTHENTICATED"
    assert await me_code(gql, user.token) == "UNAUTHENTICATED"


async def test_reuse_revokes_only_that_login(gql: GraphQLClient, resources: Resources) -> None:
    user = await account(resources, Role.CLINICIAN)
    other_login = await account(resources, Role.CLINICIAN)
    await refresh(gql, user.refresh_token)
    await refresh(gql, user.refresh_token)
    assert await me_code(gql, other_login.token) is None


async def test_concurrent_refreshes_of_one_token_let_only_one_through(
    gql: GraphQLClient, resources: Resources
) -> None:
    user = await account(resources, Role.PATIENT)
    results = await asyncio.gather(*(refresh(gql, user.refresh_token) for _ in range(2)))
    assert sorted(bool(r["accessToken"]) for r in results) == [False, True]


async def test_unknown_and_expired_refresh_tokens_are_invalid(
    gql: GraphQLClient, resources: Resources, clock: SettableClock
) -> None:
    user = await account(resources, Role.PATIENT)
    unknown = await refresh(gql, "not-a-token")
    assert [e["code"] for e in unknown["errors"]] == ["TOKEN_INVALID"]
    clock.advance(timedelta(days=30, seconds=1))
    expired = await refresh(gql, user.refresh_token)
    assert [e["code"] for e in expired["errors"]] == ["TOKEN_INVALID"]


async def test_a_login_lasts_seven_days_unless_configured_otherwise(
    gql: GraphQLClient, resources: Resources, clock: SettableClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    used, idle = [await account(resources, Role.PATIENT) for _ in range(2)]
    clock.advance(timedelta(days=7, minutes=-1))
    assert (await refresh(gql, used.refresh_token))["accessToken"]
    clock.advance(timedelta(minutes=2))
    assert [e["code"] for e in (await refresh(gql, idle.refresh_token))["errors"]] == [
        "TOKEN_INVALID"
    ]
    monkeypatch.setenv("REFRESH_TOKEN_DAYS", "30")
    assert load_settings().refresh_token_days == 30


async def test_logout_needs_only_the_refresh_token_and_ends_the_login(
    gql: GraphQLClient, resources: Resources
) -> None:
    user = await account(resources, Role.CAREGIVER)
    out = (await gql.data(LOGOUT, {"refreshToken": user.refresh_token}))["logout"]
    assert out == {"ok": True, "errors": []}
    assert [e["code"] for e in (await refresh(gql, user.refresh_token))["errors"]] == [
        "TOKEN_INVALID"
    ]
    assert await me_code(gql, user.token) == "UNAUTHENTICATED"


async def test_logout_with_an_unknown_token(gql: GraphQLClient) -> None:
    out = (await gql.data(LOGOUT, {"refreshToken": "nope"}))["logout"]
    assert out["ok"] is False
    assert [e["code"] for e in out["errors"]] == ["TOKEN_INVALID"]


async def test_refresh_tokens_are_stored_hashed(resources: Resources) -> None:
    user = await account(resources, Role.PATIENT)
    async with resources.sessions() as s:
        stored = list(await s.scalars(select(col(RefreshToken.token_hash))))
    assert len(stored) == 1
    assert user.refresh_token not in stored[0] and len(stored[0]) == 64
