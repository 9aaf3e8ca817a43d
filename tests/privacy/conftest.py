"""One patient with a full record: account, contact details, a caregiver, a
care team, a prescription with free-text instructions, a taken dose, a fill
and reminders waiting to go out."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import pytest

from prescripcare.auth.models import Role
from prescripcare.clock import SettableClock
from prescripcare.db import transaction
from prescripcare.drugs.seed import SeedReport
from prescripcare.reminders.service import queue_due
from prescripcare.resources import Resources
from tests.conftest import GraphQLClient
from tests.factories import Account, account
from tests.patients.documents import ADD_TEAM, LINK_CAREGIVER, UPDATE_PATIENT
from tests.prescriptions.documents import (
    PRESCRIBE,
    RECORD_DOSE,
    RECORD_FILL,
    WARFARIN,
    prescription,
)

NAME = "Ada Quillfeather"
PHONE = "+442079460999"
EMAIL = "ada.quillfeather@example.net"
SIG = "One tablet with the Quillfeather breakfast"
FIRST_DOSE = datetime(2026, 1, 14, 8, tzinfo=UTC)


@dataclass
class Record:
    patient: Account
    doctor: Account
    carer: Account
    patient_id: str
    prescription_id: str
    taken_dose_id: str
    fill_id: str

    @property
    def personal_values(self) -> list[str]:
        """Everything that identifies the patient, as a search for it by value."""
        return [NAME, PHONE, EMAIL, self.patient.email, SIG, "1980-05-17"]


@pytest.fixture
async def record(
    resources: Resources, gql: GraphQLClient, clock: SettableClock, catalog: SeedReport
) -> Record:
    pat = await account(resources, Role.PATIENT, timezone="Europe/London")
    doc = await account(resources, Role.CLINICIAN)
    carer = await account(resources, Role.CAREGIVER)
    pid = str(pat.patient_id)
    details = {"name": NAME, "phone": PHONE, "email": EMAIL, "reminderChannels": ["SMS"]}
    out = await gql.data(UPDATE_PATIENT, {"id": pid, "input": details}, token=pat.token)
    assert not out["updatePatient"]["errors"]
    admin = await account(resources, Role.ADMIN)  # adding a clinician is staff-only
    for document, email, who in ((ADD_TEAM, doc.email, admin), (LINK_CAREGIVER, carer.email, pat)):
        payload = await gql.data(document, {"patientId": pid, "email": email}, token=who.token)
        assert not next(iter(payload.values()))["errors"]
    rx = (
        await gql.data(
            PRESCRIBE,
            prescription(pid, WARFARIN, sig=SIG, quantity=30, daysSupply=30, refills=2),
            token=doc.token,
        )
    )["prescribe"]
    assert not rx["errors"], rx
    rx_id, dose_id = rx["prescription"]["id"], rx["prescription"]["nextDose"]["id"]
    fill = (
        await gql.data(
            RECORD_FILL,
            {"input": {"prescriptionId": rx_id, "filledOn": "2026-01-13", "daysSupply": 30}},
            token=pat.token,
        )
    )["recordFill"]
    assert not fill["errors"], fill
    clock.set(FIRST_DOSE)
    taken = await gql.data(
        RECORD_DOSE,
        {"doseId": dose_id, "status": "TAKEN", "takenAt": "2026-01-14T08:05:00Z"},
        token=pat.now_token,
    )
    assert not taken["recordDose"]["errors"], taken
    # The next morning's dose falls due and its SMS waits in the outbox.
    clock.set(datetime(2026, 1, 15, 8, 1, tzinfo=UTC))
    async with transaction(resources.sessions) as session:
        assert await queue_due(session, clock.now(), resources.settings.dose_grace, ["SMS"]) == 1
    return Record(pat, doc, carer, pid, rx_id, dose_id, fill["fill"]["id"])
