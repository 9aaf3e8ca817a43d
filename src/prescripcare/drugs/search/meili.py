"""Search with Meilisearch (typo tolerance and prefix search built in),
through the official `meilisearch` client, when MEILISEARCH_URL is set.

PostgreSQL stays the source of truth: every import rewrites the index from
the catalog's search terms, so the two never disagree for long.
"""

from __future__ import annotations

import asyncio
import hashlib
from typing import Any

import meilisearch
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from prescripcare.drugs.search.base import TTY_ORDER

BATCH = 5000
TASK_TIMEOUT_MS = 120_000
SETTINGS: dict[str, Any] = {
    "searchableAttributes": ["term"],
    "displayedAttributes": ["rxcui", "term"],
    "rankingRules": [
        "words",
        "typo",
        "proximity",
        "attribute",
        "exactness",
        "tty_rank:asc",
        "name_length:asc",
    ],
}


def _document(rxcui: str, term: str, tty: str, name: str) -> dict[str, Any]:
    digest = hashlib.sha1(f"{rxcui}\x00{term}".encode(), usedforsecurity=False).hexdigest()
    return {
        "id": digest[:20],
        "rxcui": rxcui,
        "term": term,
        "tty_rank": TTY_ORDER.get(tty, 9),
        "name_length": len(name),
    }


class MeiliDrugSearch:
    name = "meilisearch"

    def __init__(self, url: str, api_key: str | None, index_uid: str) -> None:
        self.client = meilisearch.Client(url, api_key)
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

    def _replace_all(self, documents: list[dict[str, Any]]) -> None:
        client = self.client
        client.wait_for_task(
            client.create_index(self.index_uid, {"primaryKey": "id"}).task_uid, TASK_TIMEOUT_MS
        )
        index = client.index(self.index_uid)
        client.wait_for_task(index.update_settings(SETTINGS).task_uid, TASK_TIMEOUT_MS)
        client.wait_for_task(index.delete_all_documents().task_uid, TASK_TIMEOUT_MS)
        for start in range(0, len(documents), BATCH):
            task = index.add_documents(documents[start : start + BATCH], primary_key="id")
            done = client.wait_for_task(task.task_uid, TASK_TIMEOUT_MS)
            if done.status != "succeeded":
                raise RuntimeError(f"Meilisearch rejected a batch: {done.error}")

    async def sync(self, session: AsyncSession) -> int:
        rows = await session.execute(
            text(
                "SELECT t.rxcui, t.term, c.tty, c.name FROM drug_search_terms t "
                "JOIN drug_concepts c ON c.rxcui = t.rxcui ORDER BY t.rxcui, t.term"
            )
        )
        documents = [_document(*row) for row in rows]
        await asyncio.to_thread(self._replace_all, documents)
        return len(documents)
