"""A patient with ninety days of believable history, for the report tests:
a Spanish-speaking patient in Madrid with their own login, a clinician on
the care team, a linked caregiver, three scheduled medicines with fills (two
with a refill gap, two that interact) and a pattern of taken, late, skipped and missed doses that
slips in the last three weeks."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import insert, update
from sqlmodel import col

from prescripcare.auth.models import Role
from prescripcare.db import transaction
from prescripcare.doses.models import Dose
from prescripcare.patients.models import Patient
from prescripcare.resources import Resources
from tests.conftest import GraphQLClient
from tests.factories import Account, account
from tests.patients.documents import ADD_TEAM, LINK_CAREGIVER, SET_LANGUAGE
from tests.prescriptions.documents import PRESCRIBE, RECORD_FILL, prescription

ZONE = "Europe/Madrid"
NAME = "Lucía Fernández Ortega"
METFORMIN, LISINOPRIL, SPIRONOLACTONE = "6809", "29046", "9997"
# (drug, times, fills as (date, days' supply))
REGIMEN = [
    (
        METFORMIN,
        ["08:00", "20:00"],
        [("2025-10-01", 30), ("2025-11-06", 30), ("2025-12-06", 30), ("2026-01-05", 30)],
    ),
    (LISINOPRIL, ["08:00"], [("2025-09-20", 90), ("2026-01-02", 90)]),
    # With lisinopril: a moderate interaction (potassium), for the notes.
    (SPIRONOLACTONE, ["08:00"], [("2025-10-01", 60), ("2025-11-28", 60)]),
]
FIRST_DAY = date(2025, 10, 1)


@dataclass
class History:
    patient: Account
    doctor: Account
    caregiver: Account
    patient_id: str
    prescriptions: dict[str, str]


def outcome(day: int, slot: int, slipping: bool) -> tuple[str, timedelta | None]:
    """Deterministic: mostly on time, some late, a few skipped and missed,
    more missed once the patient starts slipping."""
    if slipping and (day + slot) % 3 == 0:
        return "MISSED", None
    if (day * 3 + slot) % 11 == 0:
        return "MISSED", None
    if day % 19 == 7 and slot == 0:
        return "SKIPPED", None
    if (day * 3 + slot) % 11 == 5:
        return "TAKEN", timedelta(minutes=150)
    return "TAKEN", timedelta(minutes=12)


async def build_history(
    gql: GraphQLClient, resources: Resources, doctor: Account, now: datetime
) -> History:
    me = await account(resources, Role.PATIENT, timezone=ZONE)
    carer = await account(resources, Role.CAREGIVER)
    pid = str(me.patient_id)
    # An ADMIN puts the clinician on the care team; the patient links the caregiver.
    admin = await account(resources, Role.ADMIN)
    for document, email, by in ((ADD_TEAM, doctor.email, admin), (LINK_CAREGIVER, carer.email, me)):
        out = await gql.data(document, {"patientId": pid, "email": email}, token=by.now_token)
        assert next(iter(out.values()))["errors"] == [], out
    async with transaction(resources.sessions) as session:
        await session.execute(
            update(Patient).where(col(Patient.id) == me.patient_id).values(name=NAME)
        )
    # The caregiver set up their relative's phone in Spanish.
    spoken = await gql.data(SET_LANGUAGE, {"id": pid, "language": "es"}, token=carer.now_token)
    assert spoken["setPatientLanguage"]["errors"] == [], spoken
    zone = ZoneInfo(ZONE)
    today = now.astimezone(zone).date()
    prescriptions: dict[str, str] = {}
    rows = []
    for drug, times, fills in REGIMEN:
        out = (
            await gql.data(
                PRESCRIBE,
                prescription(
                    pid,
                    drug,
                    startDate=FIRST_DAY.isoformat(),
                    schedule={"timesOfDay": times},
                    acknowledgeInteractions=True,
                    overrideReason="report test history",
                ),
                token=doctor.now_token,
            )
        )["prescribe"]
        assert out["errors"] == [], out
        rx = out["prescription"]["id"]
        prescriptions[drug] = rx
        for filled_on, days in fills:
            done = await gql.data(
                RECORD_FILL,
                {"input": {"prescriptionId": rx, "filledOn": filled_on, "daysSupply": days}},
                token=doctor.now_token,
            )
            assert done["recordFill"]["errors"] == [], done
        day = FIRST_DAY
        while day <= today:
            index = (day - FIRST_DAY).days
            slipping = (today - day).days < 21
            for slot, clock in enumerate(times):
                at = datetime.combine(day, time.fromisoformat(clock), zone).astimezone(UTC)
                if at >= now:
                    continue
                status, delay = outcome(index, slot, slipping)
                taken = at + delay if delay is not None else None
                rows.append(
                    {
                        "id": uuid.uuid4(),
                        "prescription_id": uuid.UUID(rx),
                        "patient_id": uuid.UUID(pid),
                        "scheduled_at": at,
                        "status": status,
                        "taken_at": taken,
                        "recorded_at": taken or at + timedelta(hours=2),
                        "created_at": at - timedelta(days=1),
                    }
                )
            day += timedelta(days=1)
    async with transaction(resources.sessions) as session:
        await session.execute(insert(Dose), rows)
    return History(me, doctor, carer, pid, prescriptions)
