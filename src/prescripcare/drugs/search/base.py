"""What a search backend does, and the rules every backend shares."""

from __future__ import annotations

import unicodedata
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession

MAX_QUERY_LENGTH = 100

# Best first when two concepts match equally well: the ingredient a user
# most likely means, then its brand, then salts, combinations and products.
TTY_ORDER = {"IN": 0, "BN": 1, "PIN": 2, "MIN": 3, "SCD": 4, "SBD": 5, "GPCK": 6, "BPCK": 7}


def clean_query(text: str) -> str:
    """Lower case, accents folded, spaces collapsed: what terms are stored as."""
    folded = unicodedata.normalize("NFKD", text)
    plain = "".join(ch for ch in folded if not unicodedata.combining(ch))
    return " ".join(plain.lower().split())


class DrugSearch(Protocol):
    name: str

    async def search(self, session: AsyncSession, query: str, first: int) -> list[str]:
        """RXCUIs of the best matches, best first, at most `first`."""
        ...

    async def sync(self, session: AsyncSession) -> int:
        """Bring the backend's index up to date with the catalog; answers
        how many terms it holds."""
        ...
