"""Reads written together (audit/batch.py) are the entries each caller would
have written alone (its slow twin: record_reads in a transaction of its
own): same actor, patient, action, request id, address and break-glass
grant, on generated callers; a planted defect (every entry under the first
caller's request id) is caught; a failed transaction fails every caller."""

from __future__ import annotations

import asyncio
import random
import uuid
from collections.abc import Sequence
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlmodel import col

from prescripcare.audit import batch as batch_module
from prescripcare.audit.batch import ReadAuditBatcher
from prescripcare.audit.models import AuditAction, AuditEntry, BreakGlassGrant
from prescripcare.audit.service import record_reads
from prescripcare.auth.models import Role
from prescripcare.auth.viewer import Viewer
from prescripcare.db import transaction
from prescripcare.requestid import current_client_ip, current_request_id
from prescripcare.resources import Resources
from tests.factories import account, patient

Call = tuple[Viewer, list[tuple[uuid.UUID, AuditAction]], str, str]


@pytest.fixture
async def calls(resources: Resources) -> list[Call]:
    rng = random.Random(14)
    now = resources.clock.now()
    doctors = [await account(resources, Role.CLINICIAN) for _ in range(3)]
    carer = await account(resources, Role.CAREGIVER)
    patients = [await patient(resources, doctors[0], f"Read {i}") for i in range(5)]
    async with transaction(resources.sessions) as session:
        # A grant lets a clinician off the team read one patient.
        session.add(
            BreakGlassGrant(
                patient_id=patients[1],
                clinician_id=doctors[1].id,
                reason="generated",
                created_at=now,
                expires_at=now + timedelta(hours=1),
            )
        )
    viewers = [d.viewer for d in doctors] + [carer.viewer]
    out: list[Call] = []
    for n in range(30):
        chosen = rng.sample(patients, rng.randint(1, 3))
        action = rng.choice([AuditAction.PATIENT_READ, AuditAction.PATIENT_SUBSCRIBED])
        out.append((rng.choice(viewers), [(p, action) for p in chosen], f"req-{n}", f"10.0.0.{n}"))
    return out


class Log:
    """The entries written since the last look (the log is append-only)."""

    def __init__(self, resources: Resources) -> None:
        self.resources = resources
        self.seen = 0

    async def new(self) -> list[tuple[Any, ...]]:
        async with self.resources.sessions() as session:
            newer = select(AuditEntry).where(col(AuditEntry.seq) > self.seen)
            rows = list(await session.scalars(newer))
        self.seen = max([self.seen, *(e.seq for e in rows if e.seq is not None)])
        return sorted(
            (
                (
                    e.actor_id,
                    e.actor_role,
                    e.action,
                    e.entity,
                    e.entity_id,
                    e.patient_id,
                    e.request_id,
                    e.ip,
                    e.break_glass_grant_id,
                )
                for e in rows
            ),
            key=repr,
        )


async def _alone(resources: Resources, calls: Sequence[Call]) -> None:
    now = resources.clock.now()
    for viewer, reads, request_id, ip in calls:
        current_request_id.set(request_id)
        current_client_ip.set(ip)
        async with transaction(resources.sessions) as session:
            await record_reads(session, viewer, reads, now)


async def _together(resources: Resources, batcher: ReadAuditBatcher, calls: Sequence[Call]) -> None:
    now = resources.clock.now()

    async def one(viewer: Viewer, reads: Any, request_id: str, ip: str) -> None:
        current_request_id.set(request_id)
        current_client_ip.set(ip)
        await batcher.record(viewer, reads, now)

    await asyncio.gather(*(one(*call) for call in calls))


async def test_entries_written_together_are_those_written_alone(
    resources: Resources, calls: list[Call]
) -> None:
    log = Log(resources)
    await log.new()  # whatever the fixtures wrote
    await _alone(resources, calls)
    alone = await log.new()
    await _together(resources, ReadAuditBatcher(resources.sessions), calls)
    assert await log.new() == alone
    assert any(entry[-1] is not None for entry in alone)  # a grant was used


async def test_a_batch_under_one_request_id_is_caught(
    resources: Resources, calls: list[Call]
) -> None:
    log = Log(resources)
    await log.new()
    await _alone(resources, calls)
    alone = await log.new()

    class UnderOneRequest(ReadAuditBatcher):
        # The planted defect: every entry under the first caller's request
        # id and address.
        first: Any = None

        def _reading(self, one: Any) -> Any:  # type: ignore[override]
            self.first = self.first or one
            return super()._reading(replace(one, request_id=self.first.request_id))

    await _together(resources, UnderOneRequest(resources.sessions), calls)
    assert await log.new() != alone


async def test_a_failed_transaction_fails_every_caller(
    resources: Resources, calls: list[Call], monkeypatch: pytest.MonkeyPatch
) -> None:
    async def fail(*_: object) -> None:
        raise RuntimeError("the database is away")

    monkeypatch.setattr(batch_module, "record_readings", fail)
    batcher = ReadAuditBatcher(resources.sessions)
    now = resources.clock.now()
    outcomes = await asyncio.gather(
        *(batcher.record(v, r, now) for v, r, _, _ in calls[:5]), return_exceptions=True
    )
    assert all(isinstance(o, RuntimeError) for o in outcomes)
