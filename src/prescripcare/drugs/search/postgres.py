"""Search with PostgreSQL: indexes find the candidates, `ranking.rank`
orders them by Damerau-Levenshtein distance and prescribing prior, which SQL
cannot compute.

- exact names and prefixes, products' too: a btree `text_pattern_ops` index;
- word prefixes and typos among the names people type (not product names):
  a partial pg_trgm GIN index, typos by trigram word similarity.
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from prescripcare.drugs.search.base import TTY_ORDER
from prescripcare.drugs.search.ranking import Candidate, allowed_typos, rank

_TTY_ORDER = sorted(TTY_ORDER, key=TTY_ORDER.__getitem__)
# Candidates ranked beyond the page asked for: typo matches come out of SQL
# in trigram order, which only approximates edit distance.
POOL = 120

# Exact, prefix and word-prefix matches leave SQL already in the final order
# (ranking.key without the typo part), so a short prefix matching thousands
# of names still hands the best of them to the re-ranking. Typo matches are
# looked for only within the typo budget (ranking.allowed_typos: none under
# five letters, where trigrams would match thousands of names) and only the
# `pool` closest by trigram word similarity are ranked.
_NAMED = """
    named AS (
        SELECT t.rxcui, t.term, CASE WHEN t.term = :q THEN 3 ELSE 2 END AS kind
        FROM drug_search_terms AS t
        WHERE t.term LIKE :prefix ESCAPE '\\'
        UNION ALL
        SELECT t.rxcui, t.term, 1
        FROM drug_search_terms AS t
        WHERE t.kind <> 'product' AND t.term LIKE :word_prefix ESCAPE '\\'
    )"""
_TYPOS = """
    typos AS (
        SELECT t.rxcui, t.term, 0 AS kind
        FROM drug_search_terms AS t
        WHERE t.kind <> 'product' AND {match}
          AND NOT (t.term LIKE :prefix ESCAPE '\\' OR t.term LIKE :word_prefix ESCAPE '\\')
        ORDER BY word_similarity(:q, t.term) DESC, t.term
        LIMIT :pool
    )"""
_RANKED = """
    hits AS ({hits}),
    pool AS (SELECT rxcui, max(kind) AS kind, array_agg(term) AS terms FROM hits GROUP BY rxcui)
    SELECT p.rxcui, c.tty, c.name, coalesce(s.prior, 0) AS prior, p.terms
    FROM pool AS p
    JOIN drug_concepts AS c ON c.rxcui = p.rxcui
    LEFT JOIN drug_search_priors AS s ON s.rxcui = p.rxcui
    ORDER BY p.kind DESC, coalesce(s.prior, 0) DESC,
             coalesce(array_position(CAST(:tty_order AS text[]), c.tty), 99),
             length(c.name), c.name
    LIMIT :pool
"""
# One word is a name being typed: its typos are looked for word by word
# (`<%`, so "warfrin" meets "warfarin sodium"); several words are matched
# as a whole (`%`), or every "... mg oral tablet" product would match.
_WORD = ":q <% t.term"
_PHRASE = "t.term % :q"
# Assembled from the constants above only; every value is a bound parameter.
_WITHOUT_TYPOS = text("WITH" + _NAMED + "," + _RANKED.format(hits="SELECT * FROM named"))  # noqa: S608
_TYPOS_IN_WORD, _TYPOS_IN_PHRASE = (
    text(
        "WITH"  # noqa: S608
        + _NAMED
        + ","
        + _TYPOS.format(match=match)
        + ","
        + _RANKED.format(hits="SELECT * FROM named UNION ALL SELECT * FROM typos")
    )
    for match in (_WORD, _PHRASE)
)


_SETTINGS = text(
    "SELECT set_config('enable_seqscan', 'off', true), "
    "set_config('pg_trgm.similarity_threshold', :s, true), "
    "set_config('pg_trgm.word_similarity_threshold', :w, true)"
)


def _thresholds(query: str) -> tuple[str, str]:
    # Low enough for one word that two typos in a long name, or a swap in a
    # short one, still share enough trigrams (tests/drugs/test_search_twin.py
    # finds the cases that need it); long phrases need a closer match or
    # thousands of product names are ranked.
    if " " not in query:
        return ("0.2", "0.25") if allowed_typos(query) > 1 else ("0.2", "0.3")
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
    # concepts against milliseconds through the indexes; bench/search.py).
    similarity, word_similarity = _thresholds(query)
    await session.execute(_SETTINGS, {"s": similarity, "w": word_similarity})
    if allowed_typos(query) == 0:
        statement = _WITHOUT_TYPOS
    else:
        statement = _TYPOS_IN_PHRASE if " " in query else _TYPOS_IN_WORD
    escaped = _escape_like(query)
    rows = await session.execute(
        statement,
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
        if not found and " " in query:
            # A product name the catalog lacks ("simvastatin 20 mg oral
            # tablet") still finds the drug its first word names.
            found = await candidates(session, query.split()[0], first + self.pool)
        return rank(query, found, first)

    async def sync(self, session: AsyncSession) -> int:
        # The terms table is the index: nothing to copy.
        count = await session.scalar(text("SELECT count(*) FROM drug_search_terms"))
        return int(count or 0)
