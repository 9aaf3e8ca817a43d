"""A small clinic seeded at random (from a seed), for the planner's oracle:
every role, patients some viewers may see and others may not, prescriptions
of every status, fills, doses taken, skipped, missed and still scheduled,
reminders in every state, phone, e-mail and quiet hours on some patients."""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlmodel import col

from prescripcare.auth.models import Role
from prescripcare.clock import SettableClock
from prescripcare.db import transaction
from prescripcare.doses.materialize import extend_horizons
from prescripcare.doses.missed import mark_missed
from prescripcare.doses.models import Dose
from prescripcare.reminders.models import Reminder, ReminderKind
from prescripcare.resources import Resources
from tests.conftest import GraphQLClient
from tests.factories import Account, account, patient
from tests.patients.documents import ADD_TEAM, LINK_CAREGIVER, UPDATE_PATIENT
from tests.prescriptions.documents import (
    DISCONTINUE,
    PRESCRIBE,
    RECORD_DOSE,
    RECORD_FILL,
    prescription,
)

DRUGS = ["11289", "1191", "7646", "36567", "6809", "29046", "4493", "36437", "5487", "32968"]
ZONES = ["Europe/London", "America/New_York", "Asia/Tokyo", "Australia/Sydney", "UTC"]
HISTORY_DAYS = 12


@dataclass
class World:
    viewers: dict[str, Account]
    patient_ids: list[str] = field(default_factory=list)
    prescription_ids: list[str] = field(default_factory=list)
    dose_ids: list[str] = field(default_factory=list)
    now: datetime | None = None


async def _ok(
    gql: GraphQLClient, document: str, variables: dict[str, object], token: str
) -> dict[str, Any]:
    data = await gql.data(document, variables, token=token)
    payload = next(iter(data.values()))
    assert payload["errors"] == [], payload
    return payload  # type: ignore[no-any-return]


async def build_world(
    resources: Resources, gql: GraphQLClient, clock: SettableClock, seed: int
) -> World:
    rng = random.Random(seed)
    start = clock.now()
    clock.set(start - timedelta(days=HISTORY_DAYS))
    viewers = {
        "ADMIN": await account(resources, Role.ADMIN),
        "CLINICIAN": await account(resources, Role.CLINICIAN),
        "OTHER_CLINICIAN": await account(resources, Role.CLINICIAN),
        "CAREGIVER": await account(resources, Role.CAREGIVER),
        "PATIENT": await account(resources, Role.PATIENT, timezone=rng.choice(ZONES)),
    }
    world = World(viewers)
    lead, other = viewers["CLINICIAN"], viewers["OTHER_CLINICIAN"]
    own = viewers["PATIENT"]
    assert own.patient_id is not None
    ids = [str(own.patient_id)]
    # Care-team changes are staff-only (issue 19): the admin adds the lead.
    admin = viewers["ADMIN"]
    await _ok(gql, ADD_TEAM, {"patientId": ids[0], "email": lead.email}, admin.now_token)
    for n in range(4):
        creator = lead if n < 3 else other
        ids.append(
            str(
                await patient(resources, creator, f"Patient {n} {seed}", timezone=rng.choice(ZONES))
            )
        )
    world.patient_ids = ids
    for pid in rng.sample(ids, 2):
        await _ok(
            gql,
            LINK_CAREGIVER,
            {"patientId": pid, "email": viewers["CAREGIVER"].email},
            viewers["ADMIN"].now_token,
        )
    for pid in ids[1:3]:
        changes: dict[str, object] = {
            "phone": "+442079460000",
            "email": f"p{rng.randrange(999)}@example.org",
        }
        if rng.random() < 0.5:
            changes["quietHours"] = {"start": "22:00", "end": "07:00"}
        await _ok(gql, UPDATE_PATIENT, {"id": pid, "input": changes}, lead.now_token)
    writers: dict[str, Account] = {}
    for pid in ids:
        writer = other if pid == ids[-1] else lead
        for drug in rng.sample(DRUGS, rng.randint(1, 3)):
            times = rng.choice([["08:00"], ["08:00", "20:00"], ["07:30", "13:00", "21:00"]])
            schedule: dict[str, object] = {"timesOfDay": times}
            if rng.random() < 0.2:
                schedule["daysOfWeek"] = ["MON", "THU"]
            made = await _ok(
                gql,
                PRESCRIBE,
                prescription(
                    pid,
                    drug,
                    startDate=clock.now().date().isoformat(),
                    schedule=schedule,
                    acknowledgeInteractions=True,
                    overrideReason="oracle world",
                ),
                writer.now_token,
            )
            rx = made["prescription"]["id"]
            world.prescription_ids.append(rx)
            writers[rx] = writer
            if rng.random() < 0.7:
                await _ok(
                    gql,
                    RECORD_FILL,
                    {
                        "input": {
                            "prescriptionId": rx,
                            "filledOn": clock.now().date().isoformat(),
                            "daysSupply": rng.choice([7, 30]),
                        }
                    },
                    writer.now_token,
                )
    # Days pass: the horizon job runs, some doses are recorded, the rest
    # are marked missed by the job.
    for _ in range(HISTORY_DAYS):
        clock.advance(timedelta(days=1))
        async with transaction(resources.sessions) as session:
            await extend_horizons(session, clock.now(), timedelta(days=14))
            due = list(
                await session.scalars(
                    select(Dose).where(
                        col(Dose.scheduled_at) <= clock.now(),
                        col(Dose.scheduled_at) > clock.now() - timedelta(days=1),
                    )
                )
            )
        for dose in due:
            roll = rng.random()
            if roll < 0.65:
                status = "TAKEN" if roll < 0.55 else "SKIPPED"
                writer = other if str(dose.patient_id) == ids[-1] else lead
                await _ok(
                    gql, RECORD_DOSE, {"doseId": str(dose.id), "status": status}, writer.now_token
                )
        async with transaction(resources.sessions) as session:
            await mark_missed(session, clock.now(), timedelta(minutes=60))
    async with transaction(resources.sessions) as session:
        doses = list(await session.scalars(select(Dose).order_by(col(Dose.scheduled_at))))
        for dose in rng.sample(doses, min(15, len(doses))):
            session.add(
                Reminder(
                    id=uuid.uuid4(),
                    kind=ReminderKind.MEDICATION.value,
                    dose_id=dose.id,
                    dose_scheduled_at=dose.scheduled_at,
                    patient_id=dose.patient_id,
                    channel=rng.choice(["SMS", "EMAIL", "PUSH"]),
                    due_at=dose.scheduled_at,
                    status=rng.choice(
                        ["QUEUED", "SENDING", "SENT", "DELIVERED", "FAILED", "CANCELLED"]
                    ),
                    attempts=rng.randint(0, 3),
                    next_attempt_at=dose.scheduled_at,
                    sent_at=dose.scheduled_at + timedelta(seconds=30)
                    if rng.random() < 0.6
                    else None,
                    created_at=dose.scheduled_at,
                    updated_at=dose.scheduled_at,
                )
            )
        world.dose_ids = [str(d.id) for d in doses]
    stopped = rng.choice(world.prescription_ids)
    await _ok(
        gql, DISCONTINUE, {"id": stopped, "reason": "oracle world"}, writers[stopped].now_token
    )
    world.now = clock.now()
    return world
