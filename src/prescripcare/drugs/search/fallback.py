"""Search that degrades instead of failing: Meilisearch first, PostgreSQL
pg_trgm when Meilisearch times out, is unreachable or answers an error.

PostgreSQL holds the same names and ranks by the same rule, so a search
answered from it differs only where Meilisearch's typo matching does. After a
failure PostgreSQL answers alone for `retry_after` seconds, so an outage
costs one timeout, not one per search. Every fallback is counted
(`prescripcare_drug_search_fallbacks_total{reason}`) and each failure logged.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from meilisearch.errors import (
    MeilisearchApiError,
    MeilisearchCommunicationError,
    MeilisearchTimeoutError,
)
from sqlalchemy.ext.asyncio import AsyncSession

from prescripcare.drugs.search.base import DrugSearch
from prescripcare.observability.metrics import DRUG_SEARCH_FALLBACKS

log = logging.getLogger("prescripcare.drugs.search")


def _reason(exc: Exception) -> str:
    if isinstance(exc, MeilisearchTimeoutError):
        return "timeout"
    if isinstance(exc, MeilisearchCommunicationError):
        return "unreachable"
    return "error"


class FallbackDrugSearch:
    def __init__(
        self,
        primary: DrugSearch,
        fallback: DrugSearch,
        retry_after: float,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.primary = primary
        self.fallback = fallback
        self.retry_after = retry_after
        self.monotonic = monotonic
        self.name = primary.name
        self._down_until = 0.0

    async def search(self, session: AsyncSession, query: str, first: int) -> list[str]:
        if self.monotonic() < self._down_until:
            DRUG_SEARCH_FALLBACKS.labels(reason="cooling_down").inc()
            return await self.fallback.search(session, query, first)
        try:
            return await self.primary.search(session, query, first)
        except (
            MeilisearchApiError,
            MeilisearchCommunicationError,
            MeilisearchTimeoutError,
        ) as exc:
            reason = _reason(exc)
            self._down_until = self.monotonic() + self.retry_after
            DRUG_SEARCH_FALLBACKS.labels(reason=reason).inc()
            log.warning(
                "drug search: %s failed (%s: %s); %s answers for the next %.0f s",
                self.primary.name,
                reason,
                exc,
                self.fallback.name,
                self.retry_after,
            )
            return await self.fallback.search(session, query, first)

    async def sync(self, session: AsyncSession) -> int:
        return await self.primary.sync(session)
