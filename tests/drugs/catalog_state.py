"""Restoring the shipped catalog after a test that imports into it."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy import text

from prescripcare.db import metadata, transaction
from prescripcare.drugs.seed import SeedReport, load_seed
from prescripcare.resources import Resources

DRUG_TABLES = [t.name for t in metadata.sorted_tables if t.name.startswith("drug_")]


async def reset_catalog(resources: Resources, *, seed: bool) -> None:
    async with transaction(resources.sessions) as session:
        await session.execute(text(f"TRUNCATE {', '.join(DRUG_TABLES)} CASCADE"))
        if seed:
            await load_seed(session, resources.clock.now())


@pytest.fixture
async def empty_catalog(resources: Resources, catalog: SeedReport) -> AsyncIterator[None]:
    """An empty catalog for this test; the shipped one is back afterwards."""
    await reset_catalog(resources, seed=False)
    yield
    await reset_catalog(resources, seed=True)


@pytest.fixture
async def scratch_catalog(resources: Resources, catalog: SeedReport) -> AsyncIterator[None]:
    """The shipped catalog, to change freely; restored afterwards."""
    yield
    await reset_catalog(resources, seed=True)
