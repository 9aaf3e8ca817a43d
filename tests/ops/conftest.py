"""Fixtures of the operations tests."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests import s3server
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
