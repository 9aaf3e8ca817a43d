"""Search with Meilisearch (typo tolerance and prefix search built in),
through the official `meilisearch` client, when MEILISEARCH_URL is set.

PostgreSQL stays the source of truth: every import rewrites the index from
the catalog's search terms (into a staging index swapped in when complete),
so the two never disagree for long. The index
ranks as `ranking.py` does, as far as Meilisearch's rules can say it:
typos (Meilisearch counts a swapped pair of letters as one), then exact
over prefix, then the prescribing prior, the kind of concept and the shorter
name; product names are matched without typos, as in PostgreSQL; the
international names are pushed as synonyms too.

Searches wait `timeout_seconds` (MEILISEARCH_TIMEOUT_MS) and raise; the
caller falls back to PostgreSQL (fallback.py). Index writes wait longer.
"""

from __future__ import annotations

import asyncio
import hashlib
from typing import Any

import meilisearch
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from prescripcare.drugs.models import PRODUCT_TTYS
from prescripcare.drugs.search.base import TTY_ORDER

BATCH = 5000
TASK_TIMEOUT_MS = 120_000
# One HTTP call of an index rewrite (a batch of 5,000 documents).
SYNC_TIMEOUT_SECONDS = 30
RANKING_RULES = [
    "words",
    "typo",
    "proximity",
    "attribute",
    "exactness",
    "prior:desc",
    "tty_rank:asc",
    "name_length:asc",
]
SETTINGS: dict[str, Any] = {
    "searchableAttributes": ["term", "product"],
    "displayedAttributes": ["rxcui", "term", "product"],
    "rankingRules": RANKING_RULES,
    "typoTolerance": {"disableOnAttributes": ["product"]},
}

_TERMS = text(
    "SELECT t.rxcui, t.term, c.tty, c.name, coalesce(p.prior, 0) FROM drug_search_terms t "
    "JOIN drug_concepts c ON c.rxcui = t.rxcui "
    "LEFT JOIN drug_search_priors p ON p.rxcui = t.rxcui ORDER BY t.rxcui, t.term"
)
_INTERNATIONAL = text(
    "SELECT t.term, lower(c.name) FROM drug_search_terms t "
    "JOIN drug_concepts c ON c.rxcui = t.rxcui "
    "WHERE t.kind = 'international' AND t.term <> lower(c.name) ORDER BY t.term"
)


def _document(rxcui: str, term: str, tty: str, name: str, prior: float) -> dict[str, Any]:
    digest = hashlib.sha1(f"{rxcui}\x00{term}".encode(), usedforsecurity=False).hexdigest()
    field = "product" if tty in PRODUCT_TTYS else "term"
    return {
        "id": digest[:20],
        "rxcui": rxcui,
        field: term,
        "tty_rank": TTY_ORDER.get(tty, 9),
        "name_length": len(name),
        # Rounded so that near-equal priors tie, as they do in ranking.key.
        "prior": round(float(prior), 6),
    }


def synonyms(pairs: list[tuple[str, str]]) -> dict[str, list[str]]:
    """One-way: an international name also finds the RxNorm name."""
    found: dict[str, list[str]] = {}
    for name, us_name in pairs:
        found.setdefault(name, [])
        if us_name not in found[name]:
            found[name].append(us_name)
    return found


class MeiliDrugSearch:
    name = "meilisearch"

    def __init__(
        self, url: str, api_key: str | None, index_uid: str, timeout_seconds: float = 0.5
    ) -> None:
        # The client's annotation says int; requests takes seconds as a float.
        self.client = meilisearch.Client(url, api_key, timeout=timeout_seconds)  # type: ignore[arg-type]
        self.writer = meilisearch.Client(url, api_key, timeout=SYNC_TIMEOUT_SECONDS)
        self.index_uid = index_uid

    def _search(self, query: str, first: int) -> list[str]:
        # Several terms of one concept may match: ask for more, keep the first
        # occurrence of each concept.
        found = self.client.index(self.index_uid).search(
            query, {"limit": first * 4, "attributesToRetrieve": ["rxcui"]}
        )
        ranked: dict[str, None] = {}
        for hit in found.get("hits", []):
            ranked.setdefault(str(hit["rxcui"]), None)
        return list(ranked)[:first]

    async def search(self, session: AsyncSession, query: str, first: int) -> list[str]:
        return await asyncio.to_thread(self._search, query, first)

    def _replace_all(self, documents: list[dict[str, Any]], settings: dict[str, Any]) -> None:
        """Fills a fresh index beside the live one and swaps them, so that
        searches never see a half-written index."""
        client = self.writer
        staging = f"{self.index_uid}_next"
        # Either may not exist: a failed task here is expected.
        client.wait_for_task(client.delete_index(staging).task_uid, TASK_TIMEOUT_MS)
        for uid in (staging, self.index_uid):
            client.wait_for_task(
                client.create_index(uid, {"primaryKey": "id"}).task_uid, TASK_TIMEOUT_MS
            )
        index = client.index(staging)
        client.wait_for_task(index.update_settings(settings).task_uid, TASK_TIMEOUT_MS)
        for start in range(0, len(documents), BATCH):
            task = index.add_documents(documents[start : start + BATCH], primary_key="id")
            done = client.wait_for_task(task.task_uid, TASK_TIMEOUT_MS)
            if done.status != "succeeded":
                raise RuntimeError(f"Meilisearch rejected a batch: {done.error}")
        swapped = client.wait_for_task(
            client.swap_indexes([{"indexes": [self.index_uid, staging]}]).task_uid,
            TASK_TIMEOUT_MS,
        )
        if swapped.status != "succeeded":
            raise RuntimeError(f"Meilisearch did not swap the indexes: {swapped.error}")
        client.wait_for_task(client.delete_index(staging).task_uid, TASK_TIMEOUT_MS)

    async def sync(self, session: AsyncSession) -> int:
        documents = [_document(*row) for row in await session.execute(_TERMS)]
        pairs = [(str(a), str(b)) for a, b in await session.execute(_INTERNATIONAL)]
        settings = {**SETTINGS, "synonyms": synonyms(pairs)}
        await asyncio.to_thread(self._replace_all, documents, settings)
        return len(documents)
