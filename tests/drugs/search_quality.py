"""The search test set (search_queries.tsv) and its top-1 score, shared by
the PostgreSQL and Meilisearch tests."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlmodel import col

from prescripcare.drugs.models import DrugConcept
from prescripcare.drugs.search.base import DrugSearch, clean_query
from prescripcare.resources import Resources

QUERIES = Path(__file__).with_name("search_queries.tsv")
REQUIRED_TOP1 = 0.98


@dataclass(frozen=True)
class Typed:
    query: str
    expected: str
    kind: str


def load_queries() -> list[Typed]:
    lines = [line for line in QUERIES.read_text().splitlines() if not line.startswith("#")]
    rows = csv.DictReader(lines, delimiter="\t")
    return [Typed(r["query"], r["expected"], r["kind"]) for r in rows]


async def misses(resources: Resources, backend: DrugSearch) -> tuple[int, list[str]]:
    """How many queries were asked, and each one whose first result is not
    the expected drug, with what came first instead."""
    queries = load_queries()
    missed = []
    async with resources.sessions() as session:
        for typed in queries:
            found = await backend.search(session, clean_query(typed.query), 5)
            names = [
                await session.scalar(
                    select(col(DrugConcept.name)).where(col(DrugConcept.rxcui) == r)
                )
                for r in found
            ]
            if not names or names[0] != typed.expected:
                missed.append(f"{typed.kind} {typed.query!r}: want {typed.expected}, got {names}")
    return len(queries), missed
