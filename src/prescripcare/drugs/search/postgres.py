"""Search with PostgreSQL's pg_trgm: one GIN trigram index finds the
candidates (exact, prefix and word-prefix names through LIKE, typos through
trigram similarity), and `ranking.rank` orders them by Damerau-Levenshtein
distance and prescribing prior, which SQL cannot compute."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from prescripcare.drugs.search.base import TTY_ORDER
from prescripcare.drugs.search.ranking import Candidate, rank

_TTY_ORDER = sorted(TTY_ORDER, key=TTY_ORDER.__getitem__)
# Candidates ranked beyond the page asked for: typo matches come out of SQL
# in trigram order, which only approximates edit distance.
POOL = 120

# Exact, prefix and word-prefix matches leave SQL already in the final order
# (ranking.key without the typo part), so a short prefix matching thousands
# of names still hands the best of them to the re-ranking; typo matches
# follow in trigram-similarity order.
_CANDIDATES = text(
    """
    WITH hits AS (
        SELECT t.rxcui, t.term,
               CASE WHEN t.term = :q THEN 3
                    WHEN t.term LIKE :prefix ESCAPE '\\' THEN 2
                    WHEN t.term LIKE :word_prefix ESCAPE '\\' THEN 1
                    ELSE 0 END AS kind,
               similarity(:q, t.term) + word_similarity(:q, t.term) AS sim
        FROM drug_search_terms AS t
        WHERE t.term LIKE :prefix ESCAPE '\\'
           OR t.term LIKE :word_prefix ESCAPE '\\'
           OR t.term % :q
           OR :q <% t.term
    ),
    pool AS (
        SELECT rxcui, max(kind) AS kind, max(sim) AS sim, array_agg(term) AS terms
        FROM hits GROUP BY rxcui
    )
    SELECT p.rxcui, c.tty, c.name, coalesce(s.prior, 0) AS prior, p.terms
    FROM pool AS p
    JOIN drug_concepts AS c ON c.rxcui = p.rxcui
    LEFT JOIN drug_search_priors AS s ON s.rxcui = p.rxcui
    ORDER BY p.kind DESC,
             CASE WHEN p.kind > 0 THEN coalesce(s.prior, 0) END DESC NULLS LAST,
             CASE WHEN p.kind > 0
                  THEN coalesce(array_position(CAST(:tty_order AS text[]), c.tty), 99) END,
             CASE WHEN p.kind > 0 THEN length(c.name) END,
             p.sim DESC, c.name
    LIMIT :pool
    """
)


_SETTINGS = text(
    "SELECT set_config('enable_seqscan', 'off', true), "
    "set_config('pg_trgm.similarity_threshold', :s, true), "
    "set_config('pg_trgm.word_similarity_threshold', :w, true)"
)


def _thresholds(query: str) -> tuple[str, str]:
    if len(query) <= 12:
        return "0.3", "0.6"
    if len(query) <= 20:
        return "0.45", "0.7"
    return "0.6", "0.8"


def _escape_like(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


async def candidates(session: AsyncSession, query: str, pool: int) -> list[Candidate]:
    # The planner underestimates trigram operators and would scan the whole
    # terms table, computing similarity on every row (0.6 s at 100,000
    # concepts against 15 ms through the GIN index; bench/search.py).
    # Long queries share trigrams with many product names ("... mg oral
    # tablet"): they need a closer match to count, or thousands of rows
    # are ranked (0.9 s for a full product name at 100,000 concepts).
    similarity, word_similarity = _thresholds(query)
    await session.execute(_SETTINGS, {"s": similarity, "w": word_similarity})
    escaped = _escape_like(query)
    rows = await session.execute(
        _CANDIDATES,
        {
            "q": query,
            "prefix": f"{escaped}%",
            "word_prefix": f"% {escaped}%",
            "pool": pool,
            "tty_order": _TTY_ORDER,
        },
    )
    return [
        Candidate(rxcui, tty, name, float(prior), tuple(terms))
        for rxcui, tty, name, prior, terms in rows
    ]


class PostgresDrugSearch:
    name = "postgres"

    def __init__(self, pool: int = POOL) -> None:
        self.pool = pool

    async def search(self, session: AsyncSession, query: str, first: int) -> list[str]:
        found = await candidates(session, query, first + self.pool)
        return rank(query, found, first)

    async def sync(self, session: AsyncSession) -> int:
        # The terms table is the index: nothing to copy.
        count = await session.scalar(text("SELECT count(*) FROM drug_search_terms"))
        return int(count or 0)
