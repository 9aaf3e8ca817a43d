"""Drug search backends: PostgreSQL pg_trgm (default) and Meilisearch."""

from prescripcare.drugs.search.base import DrugSearch, clean_query

__all__ = ["DrugSearch", "clean_query"]
