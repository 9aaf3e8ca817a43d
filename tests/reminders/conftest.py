from __future__ import annotations

import pytest

from prescripcare.auth.models import Role
from prescripcare.drugs.seed import SeedReport
from prescripcare.resources import Resources
from tests.factories import Account, account, patient


@pytest.fixture
async def doctor(resources: Resources, catalog: SeedReport) -> Account:
    return await account(resources, Role.CLINICIAN)


@pytest.fixture
async def patient_id(resources: Resources, doctor: Account) -> str:
    return str(await patient(resources, doctor, "Grace Hopper", timezone="America/New_York"))
