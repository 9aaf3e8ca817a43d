"""Choosing the drug search backend from the settings."""

from __future__ import annotations

from prescripcare.drugs.search.base import DrugSearch
from prescripcare.drugs.search.postgres import PostgresDrugSearch
from prescripcare.settings import Settings


def create_drug_search(settings: Settings) -> DrugSearch:
    if settings.meilisearch_url:
        from prescripcare.drugs.search.fallback import FallbackDrugSearch
        from prescripcare.drugs.search.meili import MeiliDrugSearch

        key = (
            settings.meilisearch_api_key.get_secret_value()
            if settings.meilisearch_api_key
            else None
        )
        meili = MeiliDrugSearch(
            settings.meilisearch_url,
            key,
            settings.meilisearch_index,
            timeout_seconds=settings.meilisearch_timeout_ms / 1000,
        )
        return FallbackDrugSearch(
            meili, PostgresDrugSearch(), retry_after=settings.meilisearch_retry_seconds
        )
    return PostgresDrugSearch()
