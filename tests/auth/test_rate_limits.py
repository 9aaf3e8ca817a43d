"""Rate limits in Redis: a login flood is refused with 429 RATE_LIMITED and
Retry-After before anything runs, the victim can still log in from
elsewhere, and two replicas over one Redis share the count."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest
from redis.asyncio import Redis
from sqlalchemy import func, select
from starlette.applications import Starlette
from starlette.testclient import TestClient, WebSocketDenialResponse

from prescripcare.app import create_app
from prescripcare.auth.models import RefreshToken, Role
from prescripcare.clock import SettableClock
from prescripcare.graphql.trusted import contract_manifest
from prescripcare.ratelimit.fields import root_fields
from prescripcare.ratelimit.guard import GraphQLRequest, RequestGuard
from prescripcare.ratelimit.rate import Rate
from prescripcare.redis import RedisKeys
from prescripcare.resources import Resources
from prescripcare.settings import Settings, load_settings
from tests.auth.documents import LOGIN, ME
from tests.auth.limited import client_from, limited_app
from tests.conftest import START
from tests.factories import PASSWORD, Account, account
from tests.production_config import GOOD

ATTACKER, VICTIM_HOME = "203.0.113.66", "198.51.100.7"


@pytest.fixture
async def victim(resources: Resources) -> Account:
    return await account(resources, Role.CAREGIVER)


async def login(http: httpx.AsyncClient, email: str, password: str) -> httpx.Response:
    return await http.post(
        "/graphql", json={"query": LOGIN, "variables": {"email": email, "password": password}}
    )


def code(response: httpx.Response) -> str:
    body: dict[str, Any] = response.json()
    if body.get("errors"):
        return str(body["errors"][0]["extensions"]["code"])
    errors = body["data"]["login"]["errors"]
    return str(errors[0]["code"]) if errors else "OK"


async def sessions_started(res: Resources) -> int:
    async with res.sessions() as s:
        return int(await s.scalar(select(func.count()).select_from(RefreshToken)) or 0)


async def test_a_hundred_rapid_logins_are_refused_and_the_victim_still_logs_in(
    app: Starlette, migrated: Settings, clock: SettableClock, resources: Resources, victim: Account
) -> None:
    before = await sessions_started(resources)
    async with limited_app(migrated, clock) as limited:
        async with client_from(limited, ATTACKER) as attacker:
            answers = [
                await login(attacker, victim.email, f"guess-{i:04d}-xyz") for i in range(100)
            ]
            codes = [code(r) for r in answers]
            assert codes[:10] == ["INVALID_CREDENTIALS"] * 10
            assert codes[10:] == ["RATE_LIMITED"] * 90
            refused = answers[10]
            assert refused.status_code == 429
            assert int(refused.headers["Retry-After"]) == 90  # 15 minutes / 10
            assert refused.json()["data"] is None
            # Even the right password from the attacker's address is refused now.
            assert code(await login(attacker, victim.email, PASSWORD)) == "RATE_LIMITED"
            # The service stays up for everything else.
            assert (await attacker.get("/health")).status_code == 200
        assert await sessions_started(resources) == before  # nothing written

        async with client_from(limited, VICTIM_HOME) as home:
            assert code(await login(home, victim.email, PASSWORD)) == "OK"


async def test_the_limit_lifts_after_retry_after(
    app: Starlette, migrated: Settings, clock: SettableClock, victim: Account
) -> None:
    async with limited_app(migrated, clock) as limited, client_from(limited, ATTACKER) as http:
        for _ in range(10):
            await login(http, victim.email, "not the password at all")
        refused = await login(http, victim.email, PASSWORD)
        assert refused.status_code == 429
        clock.advance(timedelta(seconds=int(refused.headers["Retry-After"]) - 1))
        assert code(await login(http, victim.email, PASSWORD)) == "RATE_LIMITED"
        clock.advance(timedelta(seconds=1))
        assert code(await login(http, victim.email, PASSWORD)) == "OK"


async def test_aliases_count_each_login(
    app: Starlette,
    migrated: Settings,
    clock: SettableClock,
    resources: Resources,
    victim: Account,
) -> None:
    def aliased(n: int) -> str:
        fields = " ".join(
            f'a{i}: login(email: "{victim.email}", password: "wrong-{i}-password") '
            "{ accessToken errors { code } }"
            for i in range(n)
        )
        return f"mutation {{ {fields} }}"

    async with limited_app(migrated, clock) as limited, client_from(limited, ATTACKER) as http:
        bomb = await http.post("/graphql", json={"query": aliased(11)})
        assert bomb.status_code == 429  # more logins than the burst: never runs
        assert bomb.json()["errors"][0]["extensions"]["code"] == "RATE_LIMITED"

        eight = (await http.post("/graphql", json={"query": aliased(8)})).json()
        assert len(eight["data"]) == 8
        # 8 of 10 used: a document of three logins no longer fits, one does.
        assert (await http.post("/graphql", json={"query": aliased(3)})).status_code == 429
        assert (await http.post("/graphql", json={"query": aliased(2)})).status_code == 200
    assert await sessions_started(resources) == 1  # the victim's own, from the factory


async def test_a_login_sent_by_hash_alone_counts_as_a_login(
    app: Starlette, migrated: Settings, clock: SettableClock, victim: Account
) -> None:
    """Apollo's persisted-query shape carries no text: the strict login limit
    must still apply, judged on the document the hash names."""
    [digest] = [h for h, doc in contract_manifest().items() if "mutation Login(" in doc]
    body = {
        "variables": {"email": victim.email, "password": "wrong pass 123"},
        "extensions": {"persistedQuery": {"version": 1, "sha256Hash": digest}},
    }
    async with limited_app(migrated, clock) as limited, client_from(limited, ATTACKER) as http:
        codes = [code(await http.post("/graphql", json=body)) for _ in range(12)]
    assert codes == ["INVALID_CREDENTIALS"] * 10 + ["RATE_LIMITED"] * 2


async def test_two_replicas_share_one_count(
    app: Starlette, migrated: Settings, clock: SettableClock, victim: Account
) -> None:
    async with (
        limited_app(migrated, clock) as first,
        limited_app(migrated, clock) as second,
        client_from(first, ATTACKER) as one,
        client_from(second, ATTACKER) as two,
    ):
        codes = [
            code(await login((one, two)[i % 2], victim.email, "wrong pass 123")) for i in range(14)
        ]
    assert codes == ["INVALID_CREDENTIALS"] * 10 + ["RATE_LIMITED"] * 4


async def test_every_request_counts_against_the_ip_and_account_limits(
    app: Starlette, migrated: Settings, clock: SettableClock, victim: Account
) -> None:
    async with limited_app(migrated, clock, rate_limit_ip="5/1m") as limited:
        async with client_from(limited, ATTACKER) as http:
            headers = {"Authorization": f"Bearer {victim.token}"}
            statuses = [
                (await http.post("/graphql", json={"query": ME}, headers=headers)).status_code
                for _ in range(6)
            ]
        assert statuses == [200] * 5 + [429]
        async with client_from(limited, VICTIM_HOME) as other:
            ok = await other.post("/graphql", json={"query": ME}, headers=headers)
            assert ok.json()["data"]["me"]["email"] == victim.email
    async with limited_app(migrated, clock, rate_limit_account="2/1m") as limited:
        for ip in ("192.0.2.1", "192.0.2.2", "192.0.2.3"):
            async with client_from(limited, ip) as http:
                last = await http.post("/graphql", json={"query": ME}, headers=headers)
        assert last.status_code == 429  # the third request of the account, from anywhere


async def test_limits_are_off_in_development_unless_enabled(
    client: httpx.AsyncClient, victim: Account
) -> None:
    codes = [code(await login(client, victim.email, "wrong password 12")) for _ in range(15)]
    assert set(codes) == {"INVALID_CREDENTIALS"}


def test_limits_default_on_in_production_and_parse_as_rates() -> None:
    assert load_settings().rate_limits_on is False
    assert load_settings(**GOOD).rate_limits_on is True
    assert load_settings(**GOOD, rate_limit_enabled=False).rate_limits_on is False
    assert Rate.parse("10/15m") == Rate(10, 15 * 60_000)
    assert Rate.parse("50/1h").interval_ms == 72_000
    with pytest.raises(ValueError, match="is not a rate"):
        Rate.parse("ten per minute")
    with pytest.raises(Exception, match="RATE_LIMIT_AUTH_IP"):
        load_settings(rate_limit_auth_ip="0/1m")


def test_a_socket_flood_is_refused_before_the_upgrade(migrated: Settings) -> None:
    settings = migrated.model_copy(update={"rate_limit_enabled": True, "rate_limit_ip": "2/1m"})
    with TestClient(create_app(settings)) as http:
        for _ in range(2):
            with http.websocket_connect("/graphql", subprotocols=["graphql-transport-ws"]) as ws:
                assert ws.accepted_subprotocol == "graphql-transport-ws"
        with (
            pytest.raises(WebSocketDenialResponse) as refused,
            http.websocket_connect("/graphql", subprotocols=["graphql-transport-ws"]),
        ):
            pass
    assert refused.value.status_code == 429
    assert refused.value.headers["Retry-After"] == "30"


async def test_limits_fail_open_when_redis_is_down(migrated: Settings) -> None:
    settings = migrated.model_copy(update={"rate_limit_enabled": True})
    broken = Redis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=0.2)
    guard = RequestGuard(settings, broken, RedisKeys("x"), SettableClock(START))
    login = GraphQLRequest(LOGIN, {"email": "a@b.example", "password": "p"}, None)
    assert [h.key.split(":")[2] for h in guard.hits("192.0.2.9", None, [login])] == [
        "ip",
        "auth-ip",
        "target-ip",
        "target",
    ]
    await guard.check("192.0.2.9", None, [login])  # logged, not raised
    await broken.aclose()


def test_fields_behind_fragments_and_variables_are_counted() -> None:
    document = """
    mutation M($e: String!) { ...Twice ... on Mutation { c: register(input: {email: "r@x.example"
      password: "p", name: "n"}) { accessToken } } }
    fragment Twice on Mutation {
      a: login(email: $e, password: "x") { accessToken }
      b: login(email: $e, password: "y") { accessToken }
    }
    query Other { me { id } }"""
    found = root_fields(document, {"e": "v@x.example"}, "M", 4000)
    assert [(f.name, f.arguments.get("email")) for f in found] == [
        ("login", "v@x.example"),
        ("login", "v@x.example"),
        ("register", None),
    ]
    assert found[2].arguments["input"]["email"] == "r@x.example"
    assert root_fields("{ not graphql", None, None, 4000) == []
