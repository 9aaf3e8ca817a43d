from __future__ import annotations

import pytest
from sqlalchemy import update
from sqlmodel import col

from prescripcare.db import transaction
from prescripcare.patients.models import Patient
from prescripcare.resources import Resources
from tests.conftest import GraphQLClient
from tests.factories import Account, patient
from tests.prescriptions.documents import PRESCRIBE, prescription


@pytest.fixture
async def dose(gql: GraphQLClient, resources: Resources, doctor: Account) -> str:
    pid = await patient(resources, doctor, "Rem", timezone="Europe/London")
    async with transaction(resources.sessions) as session:
        await session.execute(
            update(Patient)
            .where(col(Patient.id) == pid)
            .values(
                phone="+442079460123",
                phone_blind_index="+442079460123",
                email="rem@example.org",
                reminder_channels=["SMS", "EMAIL"],
            )
        )
    out = await gql.data(PRESCRIBE, prescription(str(pid), "6809"), token=doctor.token)
    found: str = out["prescribe"]["prescription"]["nextDose"]["id"]
    return found
