"""A clinician's panel of bench patients, each on the same twice-daily drugs."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from datetime import time as clock_time

from sqlalchemy.ext.asyncio import AsyncSession

from prescripcare.patients.models import CareTeamMember, Patient
from prescripcare.prescriptions.models import Prescription

# Five common chronic drugs of the shipped seed (RxCUIs).
DRUGS = ["11289", "6809", "29046", "36567", "7646"]


async def add_patients(
    session: AsyncSession,
    doctor_id: uuid.UUID,
    *,
    count: int,
    label: str,
    start: date,
    now: datetime,
) -> list[uuid.UUID]:
    """`count` patients in London on the doctor's care team, each with an
    ACTIVE 08:00 and 20:00 prescription of every drug from `start`."""
    ids = []
    for i in range(count):
        patient = Patient(
            name=f"{label} {i:02d}",
            date_of_birth=date(1960, 1, 1),
            timezone="Europe/London",
            created_at=now,
            updated_at=now,
        )
        session.add(patient)
        await session.flush()
        ids.append(patient.id)
        session.add(CareTeamMember(patient_id=patient.id, user_id=doctor_id, created_at=now))
        for drug in DRUGS:
            session.add(
                Prescription(
                    id=uuid.uuid4(),
                    patient_id=patient.id,
                    rxcui=drug,
                    prescriber_id=doctor_id,
                    dose_quantity=1,
                    dose_unit="tablet",
                    start_date=start,
                    times_of_day=[clock_time(8), clock_time(20)],
                    status="ACTIVE",
                    created_at=now,
                    updated_at=now,
                )
            )
    await session.flush()
    return ids
