"""Fixtures of the operations tests."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import asyncpg
import pytest
from sqlalchemy.engine import make_url


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
