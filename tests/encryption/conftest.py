"""A patient whose every encrypted field holds a known value, written through
the API as a clinician would."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from prescripcare.auth.models import Role
from prescripcare.db import transaction
from prescripcare.drugs.seed import SeedReport
from prescripcare.resources import Resources
from tests.conftest import GraphQLClient
from tests.factories import Account, account
from tests.patients.documents import CREATE_PATIENT
from tests.prescriptions.documents import (
    ATAZANAVIR,
    DISCONTINUE,
    OMEPRAZOLE,
    PRESCRIBE,
    prescription,
)

PHONE = "+442079460777"
EMAIL = "ada.lovelace@example.org"
BIRTH = "1948-07-05"
SIG = "Take with breakfast; lives alone on Fleet Street"
OVERRIDE = "Specialist agreed: omeprazole stops on Friday"
STOPPED = "Rash on both forearms after the second week"


@dataclass
class Record:
    doctor: Account
    patient_id: str
    # Every plaintext the database must not show, by "table.column".
    secrets: dict[str, str]


@pytest.fixture
async def record(gql: GraphQLClient, resources: Resources, catalog: SeedReport) -> Record:
    doctor = await account(resources, Role.CLINICIAN)
    created = await gql.data(
        CREATE_PATIENT,
        {
            "input": {
                "name": "Ada Lovelace",
                "dateOfBirth": BIRTH,
                "timezone": "Europe/London",
                "phone": PHONE,
                "email": EMAIL,
            }
        },
        token=doctor.token,
    )
    assert created["createPatient"]["errors"] == []
    pid = created["createPatient"]["patient"]["id"]
    first = await gql.data(PRESCRIBE, prescription(pid, OMEPRAZOLE, sig=SIG), token=doctor.token)
    assert first["prescribe"]["errors"] == []
    second = await gql.data(
        PRESCRIBE,
        prescription(pid, ATAZANAVIR, acknowledgeInteractions=True, overrideReason=OVERRIDE),
        token=doctor.token,
    )
    assert second["prescribe"]["errors"] == []
    stopped = await gql.data(
        DISCONTINUE,
        {"id": second["prescribe"]["prescription"]["id"], "reason": STOPPED},
        token=doctor.token,
    )
    assert stopped["discontinuePrescription"]["errors"] == []
    async with transaction(resources.sessions) as session:
        enrolled = await resources.auth.two_factor.enroll(
            session, doctor.viewer, resources.clock.now()
        )
    return Record(
        doctor=doctor,
        patient_id=pid,
        secrets={
            "users.email": doctor.email,
            "patients.phone": PHONE,
            "patients.email": EMAIL,
            "patients.date_of_birth": BIRTH,
            "prescriptions.sig": SIG,
            "prescriptions.status_reason": STOPPED,
            "interaction_overrides.reason": OVERRIDE,
            "two_factor.secret": enrolled.secret,
        },
    )
