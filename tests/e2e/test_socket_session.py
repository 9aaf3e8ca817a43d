"""Issue 19, finding 1: a socket is only as signed in as its session. After
a logout, a two-factor reset, a disabled account, an erasure or the token's
expiry, the next operation on an open socket (query or mutation) is refused
by closing it with 4403, a running subscription ends the same way within the
session check, and the client renews by reconnecting with a fresh token.
Driven through the graphql-ws client against a live API process."""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select, update
from sqlmodel import col

from prescripcare.audit.models import AuditEntry
from prescripcare.auth.models import Role, User
from prescripcare.db import transaction
from prescripcare.doses.models import Dose
from prescripcare.drugs.seed import SeedReport
from prescripcare.resources import Resources
from tests.e2e.live import needs_node
from tests.e2e.socket_client import Event, live_token, socket_client
from tests.factories import PASSWORD, Account, account
from tests.prescriptions.documents import PRESCRIBE, RECORD_DOSE, prescription
from tests.security.bomb import BOMB, WINDOW

pytestmark = needs_node("graphql-ws", "ws")

READ = "query Read($id: ID!) { patient(id: $id) { id name email phone dateOfBirth } }"
UPDATE = """mutation Update($id: ID!, $input: UpdatePatientInput!) {
  updatePatient(id: $id, input: $input) { patient { name } errors { code } }
}"""
SUBSCRIBE = "subscription { reminderStatus { id kind } }"
ENDED = {"code": 4403, "reason": "Session ended"}
# Long enough for node to start and connect on a busy machine.
TOKEN_LIFE = timedelta(seconds=8)
EXPIRES_AT = 0.0


async def http(api: str, token: str, query: str, variables: dict[str, Any]) -> Any:
    async with httpx.AsyncClient() as client:
        response = await client.post(
            f"{api}/graphql",
            json={"query": query, "variables": variables},
            headers={"Authorization": f"Bearer {token}"} if token else {},
        )
    return response.json()


@pytest.fixture
async def me(resources: Resources, catalog: SeedReport) -> Account:
    return await account(resources, Role.PATIENT)


@pytest.fixture
async def admin(resources: Resources) -> Account:
    return await account(resources, Role.ADMIN)


async def _dose(api: str, resources: Resources, who: Account) -> str:
    out = await http(
        api, live_token(resources, who), PRESCRIBE, prescription(who.patient_id, "6809")
    )
    dose_id: str = out["data"]["prescribe"]["prescription"]["nextDose"]["id"]
    return dose_id


async def _end(how: str, api: str, resources: Resources, me: Account, admin: Account) -> None:
    """Ends `me`'s session the way an attacker's victim or an admin would."""
    if how == "logout":
        mutation = "mutation($t: String!) { logout(refreshToken: $t) { ok } }"
        answer = await http(api, live_token(resources, me), mutation, {"t": me.refresh_token})
        assert answer["data"]["logout"]["ok"], answer
    elif how == "two-factor reset":
        mutation = "mutation($u: ID!) { resetTwoFactor(userId: $u) { ok errors { code } } }"
        answer = await http(api, live_token(resources, admin), mutation, {"u": str(me.id)})
        assert answer["data"]["resetTwoFactor"]["ok"], answer
    elif how == "erasure":
        mutation = "mutation($p: ID!) { erasePatient(patientId: $p) { errors { code } } }"
        answer = await http(api, live_token(resources, admin), mutation, {"p": str(me.patient_id)})
        assert answer["data"]["erasePatient"]["errors"] == [], answer
    elif how == "disabled":
        async with transaction(resources.sessions) as session:
            await session.execute(
                update(User).where(col(User.id) == me.id).values(disabled_at=func.now())
            )
    else:
        await asyncio.sleep(max(0.0, EXPIRES_AT - time.monotonic()) + 0.5)


@pytest.mark.parametrize("how", ["logout", "two-factor reset", "disabled", "erasure", "expiry"])
async def test_an_ended_session_ends_the_socket_before_its_next_operation(
    live_api: str, resources: Resources, me: Account, admin: Account, how: str
) -> None:
    dose_id = await _dose(live_api, resources, me)
    lifetime = timedelta(seconds=2) if how == "expiry" else None
    patient = {"id": str(me.patient_id)}
    global EXPIRES_AT
    EXPIRES_AT = time.monotonic() + TOKEN_LIFE.total_seconds()
    with socket_client(live_api, live_token(resources, me, lifetime)) as socket:
        assert socket.data(READ, patient)["patient"]["email"] == me.email
        await _end(how, live_api, resources, me, admin)
        # The attacker's next moves on the same socket: a read and a write.
        read = socket.start(READ, patient)
        write = socket.start(RECORD_DOSE, {"doseId": dose_id, "status": "SKIPPED"})
        for op in (read, write):
            # Refused with 4403: by the open socket ("Session ended"), or,
            # once the socket closed by itself (an expired token is noticed
            # within a second), by the reconnection's connection_init.
            def answers(event: Event, op: str = op) -> bool:
                return event.get("id") == op

            refused = socket.wait_for(answers)
            assert refused["error"]["code"] == 4403, refused
        assert {"event": "closed", **ENDED} in socket.seen
    async with resources.sessions() as session:
        status = await session.scalar(select(col(Dose.status)).where(col(Dose.id) == dose_id))
    assert status in (None, "SCHEDULED")  # never SKIPPED (None: erased with the record)


async def test_a_running_subscription_ends_when_the_login_does(
    live_api: str, resources: Resources, me: Account
) -> None:
    with socket_client(live_api, live_token(resources, me)) as socket:
        op = socket.start(SUBSCRIBE, stream=True)
        await _end("logout", live_api, resources, me, me)
        started = time.monotonic()
        closed = socket.wait_for(lambda e: e.get("id") == op and "error" in e, timeout=15)
        assert closed["error"] == ENDED
        # GRAPHQL_WS_SESSION_CHECK_SECONDS is 1 for the live API.
        assert time.monotonic() - started < 5


async def test_an_expiring_token_is_renewed_by_reconnecting(
    live_api: str, resources: Resources, me: Account
) -> None:
    """The client's part: on 4403 it refreshes over HTTP and reconnects, and
    graphql-ws resubscribes what was running; the patient sees no gap."""
    login = "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { refreshToken } }"
    # A login on the live API's clock: the suite's clock is not today.
    signed_in = (await http(live_api, "", login, {"e": me.email, "p": PASSWORD}))["data"]["login"]
    token = live_token(resources, me, TOKEN_LIFE)
    with socket_client(live_api, token, signed_in["refreshToken"], retries=3) as socket:
        op = socket.start(SUBSCRIBE, stream=True)
        assert socket.wait_for(lambda e: e.get("event") == "closed")["code"] == 4403
        socket.wait_for(lambda e: e.get("event") == "renewed")
        socket.wait_for(lambda e: e.get("event") == "connected")
        assert socket.data(READ, {"id": str(me.patient_id)})["patient"]["id"]
        assert not [e for e in socket.seen if e.get("id") == op]  # still running


async def test_socket_operations_are_audited_costed_and_idempotent_as_over_http(
    live_api: str, resources: Resources, me: Account
) -> None:
    token = live_token(resources, me)
    with socket_client(live_api, token) as socket:
        # Audit: each read on the socket is its own entry, as each request is.
        for _ in range(2):
            socket.data(READ, {"id": str(me.patient_id)})
        # Cost: refused before execution.
        refused = socket.run(BOMB, {"first": 100, **WINDOW})
        assert refused["results"][0]["errors"][0]["extensions"]["code"] == "QUERY_TOO_COMPLEX"
        # Idempotency: a retried mutation with the same key runs once.
        key = {"idempotencyKey": "rename-retry-1"}
        renamed = {"id": str(me.patient_id), "input": {"name": "Renamed Once"}}
        first = socket.run(UPDATE, renamed, key)["results"][0]
        retry = socket.run(UPDATE, renamed, key)["results"][0]
        assert retry["extensions"] == {"idempotentReplayed": True}
        assert retry["data"] == first["data"] and first["data"]["updatePatient"]["errors"] == []
        other = {"id": str(me.patient_id), "input": {"name": "Renamed Twice"}}
        reused = socket.run(UPDATE, other, key)
        assert reused["error"][0]["extensions"]["code"] == "IDEMPOTENCY_KEY_REUSED"
    # The same key over HTTP replays the socket's answer.
    async with httpx.AsyncClient() as client:
        over_http = await client.post(
            f"{live_api}/graphql",
            json={"query": UPDATE, "variables": renamed},
            headers={"Authorization": f"Bearer {token}", "Idempotency-Key": "rename-retry-1"},
        )
    assert over_http.headers["idempotent-replayed"] == "true"
    assert over_http.json()["data"] == first["data"]
    async with resources.sessions() as session:
        actions = (
            await session.execute(
                select(col(AuditEntry.action)).where(col(AuditEntry.actor_id) == me.id)
            )
        ).scalars()
        recorded = list(actions)
    assert recorded.count("PATIENT_READ") >= 2
    assert recorded.count("PATIENT_UPDATED") == 1
