"""The shipped drug knowledge: what `prescripcare seed` loads."""

from __future__ import annotations

from importlib import resources as package_files

from sqlalchemy import func, select
from sqlmodel import col

from prescripcare.db import transaction
from prescripcare.drugs.models import DrugConcept, DrugInteraction
from prescripcare.drugs.seed import SeedReport, load_seed
from prescripcare.resources import Resources


async def test_seed_loads_catalog_and_rules(resources: Resources, catalog: SeedReport) -> None:
    async with resources.sessions() as s:
        concepts = await s.scalar(select(func.count()).select_from(DrugConcept))
        onc = await s.scalar(
            select(func.count())
            .select_from(DrugInteraction)
            .where(
                col(DrugInteraction.source).startswith("ONC"),
                col(DrugInteraction.severity) == "CONTRAINDICATED",
            )
        )
        unreviewed = await s.scalar(
            select(func.count())
            .select_from(DrugInteraction)
            .where(col(DrugInteraction.clinically_reviewed).is_(False))
        )
    assert concepts is not None and concepts >= 1000
    assert onc == 14  # the 15 ONC pairs, less the QT pair
    assert unreviewed is not None and unreviewed > 100
    assert any("QT" in line for line in catalog.skipped)


async def test_seeding_again_changes_nothing(resources: Resources, catalog: SeedReport) -> None:
    async with resources.sessions() as s:
        before = list(await s.execute(select(col(DrugConcept.rxcui), col(DrugConcept.imported_at))))
    async with transaction(resources.sessions) as session:
        await load_seed(session, resources.clock.now())
    async with resources.sessions() as s:
        after = list(await s.execute(select(col(DrugConcept.rxcui), col(DrugConcept.imported_at))))
    assert sorted(before) == sorted(after)


def test_the_mit_licence_travels_with_its_data() -> None:
    seed = package_files.files("prescripcare.drugs.data")
    licence = seed.joinpath("drug_interaction_mcp_pairs.LICENSE").read_text()
    assert "MIT" in licence and "Pillright" in licence
    assert "courtesy of the U.S. National Library" in seed.joinpath("NOTICE.md").read_text()
