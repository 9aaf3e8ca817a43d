"""The per-viewer sets the live subscription decides with (the fast path)
answer exactly what the one-patient SQL filter answers (its slow twin), on
generated care teams, caregiver links and break-glass grants; a planted
defect (grants ignored) is caught."""

from __future__ import annotations

import random
import uuid
from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlmodel import col

from prescripcare.audit.models import BreakGlassGrant
from prescripcare.auth.models import Role
from prescripcare.auth.viewer import Viewer
from prescripcare.clock import SettableClock
from prescripcare.db import transaction
from prescripcare.patients import visible_sets as module
from prescripcare.patients.access import visible_patients
from prescripcare.patients.models import CaregiverLink, CareTeamMember, Patient
from prescripcare.patients.visible_sets import RECHECK, VisibleSets
from prescripcare.resources import Resources
from tests.factories import account, patient


async def _slow(res: Resources, viewer: Viewer, patient_id: uuid.UUID) -> bool:
    async with res.sessions() as session:
        found = await session.scalar(
            select(col(Patient.id)).where(
                col(Patient.id) == patient_id,
                visible_patients(replace(viewer, at=res.clock.now())),
            )
        )
    return found is not None


@pytest.fixture
async def world(resources: Resources) -> tuple[list[Viewer], list[uuid.UUID]]:
    """Clinicians, caregivers, a patient account and an admin, and patients
    joined to them at random (three seeds' worth of shapes in one world)."""
    rng = random.Random(17)
    res = resources
    now = res.clock.now()
    clinicians = [await account(res, Role.CLINICIAN) for _ in range(4)]
    carers = [await account(res, Role.CAREGIVER) for _ in range(2)]
    own = await account(res, Role.PATIENT)
    admin = await account(res, Role.ADMIN)
    patients = [await patient(res, clinicians[0], f"Gen {i}") for i in range(8)]
    assert own.patient_id is not None
    patients.append(own.patient_id)
    async with transaction(res.sessions) as session:
        for p in patients[:-1]:
            for c in clinicians[1:]:
                if rng.random() < 0.4:
                    session.add(CareTeamMember(patient_id=p, user_id=c.id, created_at=now))
            for carer in carers:
                if rng.random() < 0.3:
                    session.add(CaregiverLink(patient_id=p, caregiver_id=carer.id, created_at=now))
            for c in clinicians[1:]:
                if rng.random() < 0.3:
                    session.add(
                        BreakGlassGrant(
                            patient_id=p,
                            clinician_id=c.id,
                            reason="generated",
                            created_at=now,
                            # About half have already expired.
                            expires_at=now + timedelta(minutes=rng.choice([-30, 30])),
                        )
                    )
    viewers = [a.viewer for a in [*clinicians, *carers, own, admin]]
    return viewers, patients


async def _mismatches(
    res: Resources, sets: VisibleSets, world: tuple[list[Viewer], list[uuid.UUID]]
) -> list[tuple[uuid.UUID, uuid.UUID]]:
    viewers, patients = world
    return [
        (v.user_id, p)
        for v in viewers
        for p in patients
        if await sets.allows(v, p) != await _slow(res, v, p)
    ]


async def test_sets_answer_as_the_one_patient_filter(
    resources: Resources, world: tuple[list[Viewer], list[uuid.UUID]]
) -> None:
    sets = VisibleSets(resources.sessions, resources.clock)
    assert await _mismatches(resources, sets, world) == []
    # Every answer was from a loaded set, and every viewer saw someone.
    viewers, patients = world
    assert all(sets.may_see(v, patients[0]) is not None for v in viewers)


async def test_wide_viewers_are_asked_patient_by_patient(
    resources: Resources,
    world: tuple[list[Viewer], list[uuid.UUID]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(module, "WIDE", 2)
    sets = VisibleSets(resources.sessions, resources.clock)
    assert await _mismatches(resources, sets, world) == []


async def test_a_set_ignoring_grants_is_caught(
    resources: Resources, world: tuple[list[Viewer], list[uuid.UUID]]
) -> None:
    class IgnoresGrants(VisibleSets):
        async def _query(self, viewer: Viewer) -> module._Loaded:
            loaded = await super()._query(viewer)
            # The planted defect: the set built as of no moment (no grant counts).
            async with resources.sessions() as session:
                rows = await session.scalars(
                    select(col(Patient.id)).where(visible_patients(replace(viewer, at=None)))
                )
                return module._Loaded(loaded.at, frozenset(rows), wide=False)

    sets = IgnoresGrants(resources.sessions, resources.clock)
    assert await _mismatches(resources, sets, world) != []


async def test_access_that_ends_is_heard_within_the_recheck(
    resources: Resources, clock: SettableClock, world: tuple[list[Viewer], list[uuid.UUID]]
) -> None:
    viewers, patients = world
    clinician = viewers[0]  # on every generated patient's team
    sets = VisibleSets(resources.sessions, resources.clock)
    assert await sets.allows(clinician, patients[0])
    async with transaction(resources.sessions) as session:
        member = await session.get(CareTeamMember, (patients[0], clinician.user_id))
        await session.delete(member)
    assert sets.may_see(clinician, patients[0]) is True  # still within the recheck
    clock.advance(RECHECK)
    assert sets.may_see(clinician, patients[0]) is None  # stale: only a query can tell
    assert not await sets.allows(clinician, patients[0])
