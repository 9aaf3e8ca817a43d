"""Fixtures of the operations tests."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from prescripcare.auth.models import Role
from prescripcare.drugs.seed import SeedReport
from prescripcare.resources import Resources
from tests import s3server
from tests.conftest import GraphQLClient
from tests.factories import account, patient
from tests.prescriptions.documents import PRESCRIBE, prescription
from tests.s3server import S3Server


@pytest.fixture(scope="session")
def s3() -> Iterator[S3Server]:
    """A local S3 server for the run (off-site backups, pgBackRest)."""
    if s3server.moto_server() is None:
        pytest.skip("moto_server is not installed (pip install 'moto[server]', the test extra)")
    with (
        tempfile.TemporaryDirectory(prefix="prescripcare-s3-") as home,
        s3server.running(Path(home)) as server,
    ):
        yield server


@pytest.fixture
async def clinical_data(gql: GraphQLClient, resources: Resources, catalog: SeedReport) -> None:
    """Two patients with a prescription each, for the backup tests."""
    doctor = await account(resources, Role.CLINICIAN)
    for name in ("Ada Backup", "Bea Backup"):
        pid = await patient(resources, doctor, name)
        await gql.data(PRESCRIBE, prescription(str(pid), "6809"), token=doctor.token)
