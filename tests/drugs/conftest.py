from __future__ import annotations

import pytest

from prescripcare.auth.models import Role
from prescripcare.drugs.seed import SeedReport
from prescripcare.resources import Resources
from tests.factories import Account, account


@pytest.fixture
async def clinician(resources: Resources, catalog: SeedReport) -> Account:
    return await account(resources, Role.CLINICIAN)
