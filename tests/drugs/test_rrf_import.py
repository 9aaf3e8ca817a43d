"""`prescripcare import-rxnorm`: an RxNorm release into the catalog."""

from __future__ import annotations

import shutil
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlmodel import col

from prescripcare.db import transaction
from prescripcare.drugs.models import DrugConcept, DrugIngredient, DrugNdc, DrugSearchTerm
from prescripcare.drugs.rrf import ImportRejected, import_rxnorm
from prescripcare.resources import Resources
from tests.drugs.catalog_state import empty_catalog  # noqa: F401

SYNTHETIC = Path(__file__).resolve().parent / "data" / "synthetic_rrf"
pytestmark = pytest.mark.usefixtures("empty_catalog")


async def run(res: Resources, directory: Path, **options: object):  # type: ignore[no-untyped-def]
    async with transaction(res.sessions) as session:
        return await import_rxnorm(session, directory, res.clock.now(), **options)  # type: ignore[arg-type]


async def snapshot(res: Resources) -> dict[str, list[tuple[Any, ...]]]:
    async with res.sessions() as s:
        return {
            "concepts": sorted(
                tuple(r)
                for r in await s.execute(
                    select(
                        col(DrugConcept.rxcui),
                        col(DrugConcept.tty),
                        col(DrugConcept.name),
                        col(DrugConcept.strength),
                        col(DrugConcept.imported_at),
                    )
                )
            ),
            "ingredients": sorted(
                tuple(r)
                for r in await s.execute(
                    select(col(DrugIngredient.rxcui), col(DrugIngredient.ingredient_rxcui))
                )
            ),
            "terms": sorted(
                tuple(r)
                for r in await s.execute(
                    select(
                        col(DrugSearchTerm.rxcui),
                        col(DrugSearchTerm.term),
                        col(DrugSearchTerm.kind),
                    )
                )
            ),
            "ndcs": sorted(
                tuple(r) for r in await s.execute(select(col(DrugNdc.ndc), col(DrugNdc.rxcui)))
            ),
        }


async def test_synthetic_release_loads_exactly(resources: Resources) -> None:
    result = await run(resources, SYNTHETIC, release="synthetic-1")
    assert not result.skipped_as_imported
    state = await snapshot(resources)
    assert [c[:4] for c in state["concepts"]] == [
        ("9900001", "IN", "examplamine", None),
        ("9900002", "PIN", "examplamine hydrochloride", None),
        ("9900003", "BN", "Exampla", None),
        # The prescribable name (PSN) is the display name.
        ("9900006", "SCD", "examplamine 10 mg tablet", "10 MG"),
        ("9900007", "SBD", "examplamine 10 MG Oral Tablet [Exampla]", None),
    ]  # 9900010 is suppressed (O); SCDC, SCDF and DF only link; MTHSPL/MMSL skipped
    assert state["ingredients"] == [
        ("9900002", "9900001"),
        ("9900003", "9900001"),
        ("9900006", "9900001"),
        ("9900007", "9900001"),
    ]
    assert state["ndcs"] == [("00000000001", "9900006")]  # not the MMSL one
    terms = {(rxcui, term) for rxcui, term, _ in state["terms"]}
    assert ("9900001", "exampla") in terms  # the brand, as an alias of its ingredient
    assert ("9900007", "exampla 10 mg oral tablet") in terms  # its SY
    assert not any("vendor" in t or t == "examplamine 20 mg oral tablet" for _, t in terms)


async def test_importing_a_release_again_changes_nothing(resources: Resources) -> None:
    await run(resources, SYNTHETIC, release="synthetic-1")
    before = await snapshot(resources)
    resources.clock.advance(timedelta(days=1))  # type: ignore[attr-defined]
    again = await run(resources, SYNTHETIC, release="synthetic-1")
    assert again.skipped_as_imported
    forced = await run(resources, SYNTHETIC, release="synthetic-1", force=True)
    assert forced.written["concepts"] == 0
    assert await snapshot(resources) == before


async def test_a_malformed_file_changes_nothing(resources: Resources, tmp_path: Path) -> None:
    broken = tmp_path / "release"
    shutil.copytree(SYNTHETIC, broken)
    conso = broken / "RXNCONSO.RRF"
    lines = conso.read_text().splitlines(keepends=True)
    lines[3] = lines[3].replace("|", ";", 4)  # line 4 loses fields
    lines[5] = lines[5].rstrip("\n").rstrip("|") + "\n"  # line 6 loses its final '|'
    conso.write_text("".join(lines))
    with pytest.raises(ImportRejected) as rejected:
        await run(resources, broken, release="broken")
    assert [p.split(":")[0] for p in rejected.value.problems] == [
        "RXNCONSO.RRF line 4",
        "RXNCONSO.RRF line 6",
    ]
    assert await snapshot(resources) == {"concepts": [], "ingredients": [], "terms": [], "ndcs": []}
