"""`Idempotency-Key` on mutations: a mobile app's retry replays the first
answer and never records a dose or a prescription twice."""

from __future__ import annotations

import asyncio
import base64
import uuid
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from starlette.responses import Response

from prescripcare.auth.models import Role
from prescripcare.clock import SettableClock
from prescripcare.doses.models import DoseRecord
from prescripcare.encryption.keys import keyring_from_settings
from prescripcare.graphql.idempotency import IdempotencyStore
from prescripcare.prescriptions.models import Prescription
from prescripcare.resources import Resources
from tests.conftest import GraphQLClient
from tests.factories import Account, account, patient
from tests.prescriptions.documents import PRESCRIBE, RECORD_DOSE, WARFARIN, prescription


@pytest.fixture
async def patient_id(resources: Resources, doctor: Account) -> str:
    """Grace in London, where her first dose falls due at 08:00 UTC."""
    return str(await patient(resources, doctor, "Grace Hopper", timezone="Europe/London"))


@pytest.fixture
async def dose_id(
    gql: GraphQLClient, clock: SettableClock, doctor: Account, patient_id: str
) -> str:
    """Grace's first dose, now due (08:00 in London, recorded at 08:10)."""
    out = await gql.data(PRESCRIBE, prescription(patient_id, WARFARIN), token=doctor.token)
    clock.set(datetime(2026, 1, 14, 8, 10, tzinfo=UTC))
    return str(out["prescribe"]["prescription"]["nextDose"]["id"])


async def _post(
    client: httpx.AsyncClient,
    who: Account,
    query: str,
    variables: dict[str, Any],
    key: str | None,
) -> httpx.Response:
    headers = {"Authorization": f"Bearer {who.now_token}"}
    if key is not None:
        headers["Idempotency-Key"] = key
    return await client.post(
        "/graphql", json={"query": query, "variables": variables}, headers=headers
    )


async def _count(resources: Resources, model: type[Any]) -> int:
    async with resources.sessions() as session:
        return int((await session.execute(select(func.count()).select_from(model))).scalar_one())


async def test_a_retried_dose_is_recorded_once_and_answered_the_same(
    client: httpx.AsyncClient, resources: Resources, doctor: Account, dose_id: str
) -> None:
    key = str(uuid.uuid4())
    variables = {"doseId": dose_id, "status": "TAKEN"}
    first = await _post(client, doctor, RECORD_DOSE, variables, key)
    retry = await _post(client, doctor, RECORD_DOSE, variables, key)

    assert first.status_code == retry.status_code == 200
    assert first.json()["data"]["recordDose"]["dose"]["status"] == "TAKEN"
    assert retry.content == first.content
    assert retry.headers["idempotent-replayed"] == "true"
    assert "idempotent-replayed" not in first.headers
    # A web app on another origin may read it.
    cors = await client.post(
        "/graphql",
        json={"query": RECORD_DOSE, "variables": variables},
        headers={
            "Authorization": f"Bearer {doctor.now_token}",
            "Idempotency-Key": key,
            "Origin": "http://localhost:5173",
        },
    )
    assert "idempotent-replayed" in cors.headers["access-control-expose-headers"].lower()
    assert await _count(resources, DoseRecord) == 1

    # Another key is another request: recorded again (a correction keeps history).
    other = await _post(client, doctor, RECORD_DOSE, variables, str(uuid.uuid4()))
    assert other.json()["data"]["recordDose"]["errors"] == []
    assert await _count(resources, DoseRecord) == 2


async def test_stored_answers_are_encrypted_in_redis(
    client: httpx.AsyncClient, resources: Resources, doctor: Account, dose_id: str
) -> None:
    """The kept answer names the patient's dose; Redis must never see it."""
    first = await _post(client, doctor, RECORD_DOSE, {"doseId": dose_id, "status": "TAKEN"}, "k1")
    assert first.json()["data"]["recordDose"]["dose"]["id"] == dose_id
    [stored] = [k async for k in resources.redis.scan_iter(match=resources.keys.key("idem*"))]
    raw = base64.b64decode(await resources.redis.get(stored))
    assert raw and dose_id.encode() not in raw and b"TAKEN" not in raw and b"recordDose" not in raw


async def test_a_retried_prescription_is_written_once(
    client: httpx.AsyncClient, resources: Resources, doctor: Account, patient_id: str
) -> None:
    variables = prescription(patient_id, WARFARIN)
    first = await _post(client, doctor, PRESCRIBE, variables, "rx-2026-01-13-grace")
    # The same JSON with its keys in another order is the same request.
    reordered = {"input": dict(reversed(list(variables["input"].items())))}
    retry = await _post(client, doctor, PRESCRIBE, reordered, "rx-2026-01-13-grace")
    assert retry.content == first.content
    assert first.json()["data"]["prescribe"]["prescription"]["id"]
    assert await _count(resources, Prescription) == 1


async def test_the_same_key_for_another_request_is_refused_and_writes_nothing(
    client: httpx.AsyncClient, resources: Resources, doctor: Account, dose_id: str
) -> None:
    key = "dose-key-1"
    await _post(client, doctor, RECORD_DOSE, {"doseId": dose_id, "status": "TAKEN"}, key)
    reused = await _post(client, doctor, RECORD_DOSE, {"doseId": dose_id, "status": "SKIPPED"}, key)
    assert reused.status_code == 422
    assert reused.json()["errors"][0]["extensions"]["code"] == "IDEMPOTENCY_KEY_REUSED"
    assert await _count(resources, DoseRecord) == 1


async def test_concurrent_copies_execute_once(
    client: httpx.AsyncClient, resources: Resources, doctor: Account, dose_id: str
) -> None:
    variables = {"doseId": dose_id, "status": "TAKEN"}
    responses = await asyncio.gather(
        *(_post(client, doctor, RECORD_DOSE, variables, "burst") for _ in range(4))
    )
    assert [r.status_code for r in responses] == [200] * 4
    assert len({r.content for r in responses}) == 1
    assert sum(r.headers.get("idempotent-replayed") == "true" for r in responses) == 3
    assert await _count(resources, DoseRecord) == 1


async def test_keys_belong_to_the_account(
    client: httpx.AsyncClient, resources: Resources, doctor: Account, dose_id: str
) -> None:
    colleague = await account(resources, Role.CLINICIAN)
    variables = {"doseId": dose_id, "status": "TAKEN"}
    await _post(client, doctor, RECORD_DOSE, variables, "shared-key")
    theirs = await _post(client, colleague, RECORD_DOSE, variables, "shared-key")
    # Not the doctor's stored answer: the colleague's own (not on the care team).
    assert "idempotent-replayed" not in theirs.headers
    assert theirs.json()["data"]["recordDose"]["errors"][0]["code"] == "NOT_FOUND"


@pytest.mark.parametrize("key", ["", " padded ", "x" * 256, "caf\u00e9".encode(), "tab\there"])
async def test_a_malformed_key_is_bad_user_input(
    client: httpx.AsyncClient, resources: Resources, doctor: Account, dose_id: str, key: str | bytes
) -> None:
    response = await client.post(
        "/graphql",
        json={"query": RECORD_DOSE, "variables": {"doseId": dose_id, "status": "TAKEN"}},
        headers=[
            (b"Authorization", f"Bearer {doctor.now_token}".encode()),
            (b"Idempotency-Key", key if isinstance(key, bytes) else key.encode()),
        ],
    )
    assert response.status_code == 400
    error = response.json()["errors"][0]
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": "Idempotency-Key"}
    assert await _count(resources, DoseRecord) == 0


async def test_queries_ignore_the_key(client: httpx.AsyncClient, doctor: Account) -> None:
    for _ in range(2):
        response = await _post(client, doctor, "query Me { me { id } }", {}, "same-key")
        assert "idempotent-replayed" not in response.headers
        assert response.json()["data"]["me"]["id"]


async def test_a_copy_still_waiting_when_the_first_runs_long_gets_409(
    resources: Resources,
) -> None:
    store = IdempotencyStore(
        resources.redis,
        resources.keys,
        keyring_from_settings(resources.settings),
        ttl_seconds=60,
        wait_seconds=0.2,
    )
    account_id, release = uuid.uuid4(), asyncio.Event()
    runs = 0

    async def slow() -> Response:
        nonlocal runs
        runs += 1
        await release.wait()
        return Response(b'{"data": {}}', media_type="application/json")

    first = asyncio.create_task(store.run(account_id, "k", "fp", slow))
    await asyncio.sleep(0.05)
    waiting = await store.run(account_id, "k", "fp", slow)
    assert waiting.status_code == 409
    assert waiting.headers["retry-after"] == "1"
    assert b"IDEMPOTENCY_KEY_IN_PROGRESS" in bytes(waiting.body)
    release.set()
    assert (await first).status_code == 200
    assert (await store.run(account_id, "k", "fp", slow)).headers["idempotent-replayed"] == "true"
    assert runs == 1
    ttl = await resources.redis.ttl(store._key(account_id, "k"))
    assert 0 < ttl <= 60


async def test_a_failed_attempt_lets_the_retry_run(resources: Resources) -> None:
    store = IdempotencyStore(
        resources.redis, resources.keys, keyring_from_settings(resources.settings), ttl_seconds=60
    )
    account_id = uuid.uuid4()
    masked = b'{"data": null, "errors": [{"extensions": {"code": "INTERNAL_SERVER_ERROR"}}]}'

    async def crash() -> Response:
        return Response(masked, media_type="application/json")

    async def works() -> Response:
        return Response(b'{"data": {"ok": true}}', media_type="application/json")

    assert (await store.run(account_id, "k", "fp", crash)).body == masked
    answer = await store.run(account_id, "k", "fp", works)
    assert answer.body == b'{"data": {"ok": true}}' and "idempotent-replayed" not in answer.headers
