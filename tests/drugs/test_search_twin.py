"""The fast search (trigram candidates from SQL, then re-ranked) against its
slow, obviously-correct twin: every concept of the catalog ranked by the same
rule in Python. On generated typos and prefixes of catalog names both must
put the same drug first; a planted defect must be caught."""

from __future__ import annotations

import random
import string
from dataclasses import replace

from sqlalchemy import text

from prescripcare.drugs.search.postgres import PostgresDrugSearch
from prescripcare.drugs.search.ranking import (
    TYPO,
    Candidate,
    allowed_typos,
    key,
    match,
    rank,
)
from prescripcare.drugs.seed import SeedReport
from prescripcare.resources import Resources


async def _whole_catalog(resources: Resources) -> list[Candidate]:
    async with resources.sessions() as session:
        rows = await session.execute(
            text(
                "SELECT c.rxcui, c.tty, c.name, coalesce(p.prior, 0), array_agg(t.term) "
                "FROM drug_concepts c JOIN drug_search_terms t ON t.rxcui = c.rxcui "
                "LEFT JOIN drug_search_priors p ON p.rxcui = c.rxcui "
                "GROUP BY c.rxcui, c.tty, c.name, p.prior"
            )
        )
    return [Candidate(r, tty, n, float(p), tuple(terms)) for r, tty, n, p, terms in rows]


def slow_first(query: str, catalog: list[Candidate]) -> str | None:
    """The best concept within the typo budget, by brute force."""
    budget = allowed_typos(query)
    within = [
        c
        for c in catalog
        if any((m := match(query, term))[0] < TYPO or m[1] <= budget for term in c.terms)
    ]
    found = rank(query, within, 1)
    return found[0] if found else None


def typed_queries(names: list[str], count: int, seed: int = 17) -> list[str]:
    """Names as people mistype them: one edit (a swap, a missing, extra or
    wrong letter), two in long names, or the first few letters."""
    rng = random.Random(seed)
    queries: list[str] = []
    while len(queries) < count:
        word = rng.choice(names)
        edits = 2 if len(word) >= 11 and rng.random() < 0.3 else 1
        if rng.random() < 0.2:
            queries.append(word[: rng.randint(2, max(2, len(word) - 1))])
            continue
        for _ in range(edits):
            i = rng.randrange(len(word) - 1)
            kind = rng.choice(["swap", "drop", "add", "change"])
            if kind == "swap":
                word = word[:i] + word[i + 1] + word[i] + word[i + 2 :]
            elif kind == "drop":
                word = word[:i] + word[i + 1 :]
            elif kind == "add":
                word = word[:i] + rng.choice(string.ascii_lowercase) + word[i:]
            else:
                word = word[:i] + rng.choice(string.ascii_lowercase) + word[i + 1 :]
        queries.append(word)
    return queries


async def _disagreements(
    resources: Resources, backend: PostgresDrugSearch, queries: list[str]
) -> list[str]:
    catalog = await _whole_catalog(resources)
    by_rxcui = {c.rxcui: c for c in catalog}
    found = []
    async with resources.sessions() as session:
        for query in queries:
            expected = slow_first(query, catalog)
            if expected is None:
                continue
            fast = await backend.search(session, query, 1)
            if not fast or fast[0] != expected:
                got = by_rxcui[fast[0]].name if fast else None
                found.append(f"{query!r}: slow {by_rxcui[expected].name}, fast {got}")
    return found


async def _names(resources: Resources) -> list[str]:
    async with resources.sessions() as session:
        rows = await session.execute(
            text("SELECT name FROM drug_concepts WHERE tty = 'IN' AND length(name) >= 5")
        )
    return sorted(r[0] for r in rows if r[0].isalpha())


async def test_fast_and_slow_search_agree(resources: Resources, catalog: SeedReport) -> None:
    queries = typed_queries(await _names(resources), 200)
    missed = await _disagreements(resources, PostgresDrugSearch(), queries)
    assert missed == [], "\n".join(missed)


async def test_a_planted_defect_is_caught(resources: Resources, catalog: SeedReport) -> None:
    """A search that keeps only SQL's first candidate (no re-ranking room)
    must disagree with the twin."""
    queries = typed_queries(await _names(resources), 200)
    assert await _disagreements(resources, PostgresDrugSearch(pool=0), queries)


def test_the_twin_ranks_by_the_shared_rule() -> None:
    common = Candidate("1", "IN", "metformin", 1.0, ("metformin",))
    rare = replace(common, rxcui="2", name="metfornin", prior=0.0, terms=("metfornin",))
    assert key("metfxrmin", common) < key("metfxrmin", rare)
    assert slow_first("metfxrmin", [rare, common]) == "1"
