"""What people type finds what a pharmacist would put first: the test set's
top-1 score through PostgreSQL (docs/drugs.md records it)."""

from __future__ import annotations

from collections import Counter

from prescripcare.drugs.search.postgres import PostgresDrugSearch
from prescripcare.drugs.seed import SeedReport
from prescripcare.resources import Resources
from tests.drugs.search_quality import REQUIRED_TOP1, load_queries, misses


def test_the_set_covers_every_kind_of_query() -> None:
    queries = load_queries()
    assert len(queries) >= 100
    kinds = Counter(q.kind for q in queries)
    assert set(kinds) == {"typo", "brand", "international", "prefix"}
    assert min(kinds.values()) >= 20
    assert len({q.query for q in queries}) == len(queries)


async def test_top1_through_postgres(resources: Resources, catalog: SeedReport) -> None:
    asked, missed = await misses(resources, PostgresDrugSearch())
    score = 1 - len(missed) / asked
    print(f"\nPostgreSQL top-1: {asked - len(missed)}/{asked} = {score:.1%}")
    print("\n".join(missed))
    assert score >= REQUIRED_TOP1, "\n".join(missed)
