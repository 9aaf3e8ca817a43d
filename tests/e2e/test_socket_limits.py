"""Issue 19, finding 2: the rate limits hold on a socket as over HTTP, in
the same buckets (the account's and the client address's), so a socket is
no way around a limit HTTP already enforces. Driven through the graphql-ws
client against a live API process with rate limits on."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from prescripcare.auth.models import Role
from prescripcare.resources import Resources
from prescripcare.settings import Settings
from tests.e2e.live import HERE, needs_node
from tests.e2e.socket_client import SocketClient, live_token, socket_client
from tests.factories import PASSWORD, Account, account
from tests.processes import running_api

pytestmark = needs_node("graphql-ws", "ws")

LOGIN = """mutation Login($email: String!, $password: String!) {
  login(email: $email, password: $password) { accessToken errors { code } }
}"""
RESET = "mutation($email: String!) { requestPasswordReset(email: $email) { ok } }"
ME = "{ me { id } }"
ACCOUNT_LIMIT = 20


@pytest.fixture(scope="module")
def limited_api(migrated: Settings) -> Iterator[str]:
    with running_api(
        migrated,
        HERE,
        RATE_LIMIT_ENABLED="true",
        RATE_LIMIT_ACCOUNT=f"{ACCOUNT_LIMIT}/1h",
    ) as url:
        yield url


@pytest.fixture
async def attacker(resources: Resources) -> Account:
    return await account(resources, Role.CAREGIVER)


@pytest.fixture
async def victim(resources: Resources) -> Account:
    return await account(resources, Role.PATIENT)


def _code(ended: dict[str, Any]) -> str:
    """The code of an operation's answer: a refusal, or the payload's first error."""
    if "error" in ended:
        code: str = ended["error"][0]["extensions"]["code"]
        return code
    result = ended["results"][0]
    if result.get("errors"):
        return str(result["errors"][0]["extensions"]["code"])
    field = next(iter(result["data"].values()))
    errors = field.get("errors") or []
    return str(errors[0]["code"]) if errors else "OK"


def _login(socket: SocketClient, email: str, password: str) -> str:
    return _code(socket.run(LOGIN, {"email": email, "password": password}))


async def test_a_login_limited_over_http_is_limited_on_the_socket(
    limited_api: str, resources: Resources, attacker: Account, victim: Account
) -> None:
    wrong = {"query": LOGIN, "variables": {"email": victim.email, "password": "wrong guess"}}
    async with httpx.AsyncClient() as client:
        answers = [
            (await client.post(f"{limited_api}/graphql", json=wrong)).status_code for _ in range(11)
        ]
    assert answers == [200] * 10 + [429]
    with socket_client(limited_api, live_token(resources, attacker)) as socket:
        assert _login(socket, victim.email, PASSWORD) == "RATE_LIMITED"
        assert _login(socket, victim.email, "another guess") == "RATE_LIMITED"
        # The socket stays open for what is within its limits.
        assert socket.data(ME)["me"]["id"] == str(attacker.id)


async def test_password_guessing_on_a_socket_stops_at_the_limit(
    limited_api: str, resources: Resources, attacker: Account, victim: Account
) -> None:
    with socket_client(limited_api, live_token(resources, attacker)) as socket:
        guesses = [_login(socket, victim.email, f"guess {n}") for n in range(12)]
        assert guesses[:10] == ["INVALID_CREDENTIALS"] * 10
        assert guesses[10:] == ["RATE_LIMITED"] * 2
        # The right password no longer tells the attacker anything.
        assert _login(socket, victim.email, PASSWORD) == "RATE_LIMITED"


async def test_password_reset_mail_on_a_socket_keeps_its_hourly_limit(
    limited_api: str, resources: Resources, attacker: Account, victim: Account
) -> None:
    with socket_client(limited_api, live_token(resources, attacker)) as socket:
        answers = [_code(socket.run(RESET, {"email": victim.email})) for _ in range(10)]
    assert answers == ["OK"] * 3 + ["RATE_LIMITED"] * 7


async def test_the_account_limit_counts_socket_and_http_together(
    limited_api: str, resources: Resources, attacker: Account
) -> None:
    token = live_token(resources, attacker)
    http = httpx.AsyncClient(base_url=limited_api, headers={"Authorization": f"Bearer {token}"})
    async with http:
        for _ in range(ACCOUNT_LIMIT // 2):
            assert (await http.post("/graphql", json={"query": ME})).status_code == 200
        with socket_client(limited_api, token) as socket:
            answers = [_code(socket.run(ME)) for _ in range(ACCOUNT_LIMIT // 2 + 1)]
        assert answers == ["OK"] * (ACCOUNT_LIMIT // 2) + ["RATE_LIMITED"]
        assert (await http.post("/graphql", json={"query": ME})).status_code == 429
