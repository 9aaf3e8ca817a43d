"""Fixtures of the operations tests."""

from __future__ import annotations

import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy.engine import make_url

from tests import s3server
from tests.s3server import S3Server


@pytest.fixture
async def empty_database(service_urls: tuple[str, str]) -> AsyncIterator[str]:
    server = make_url(service_urls[0]).set(drivername="postgresql")
    name = f"prescripcare_restore_{uuid.uuid4().hex[:10]}"
    admin = await asyncpg.connect(server.render_as_string(hide_password=False))
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
        yield server.set(database=name).render_as_string(hide_password=False)
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


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
