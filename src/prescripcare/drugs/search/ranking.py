"""The order of search results: one rule, applied to every backend's
candidates and, in tests, to the whole catalog.

For each concept, its best-matching name decides how well it matches:
1. an exact name, then a name starting with the query, then a word of a
   name starting with it;
2. then a typo match, by Damerau-Levenshtein distance (optimal string
   alignment: a swapped pair of adjacent letters is one edit, as a pharmacist
   would count it) to the name or to a prefix of it (so "amlodpi" is one edit
   from "amlodipine"), a whole-name match before a match on a later word;
3. among equally good matches, the drug prescribed more often first (the
   prior, drugs/search/priors.py), so a rare drug never outranks a common one
   on an ambiguous typo;
4. then an ingredient before its brand, salts, combinations and products,
   the shorter name, and the name alphabetically.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from rapidfuzz.distance import OSA

from prescripcare.drugs.search.base import TTY_ORDER

EXACT, PREFIX, WORD_PREFIX, TYPO = 0, 1, 2, 3
# Beyond the typo budget a match still ranks, after every match within it.
_FAR = 99

Match = tuple[int, int, int]
Key = tuple[int, int, int, float, int, int, str]


def allowed_typos(query: str) -> int:
    """Meilisearch's default budget, kept by both backends: none under five
    letters, one from five, two from nine."""
    return 0 if len(query) < 5 else 1 if len(query) < 9 else 2


@dataclass(frozen=True)
class Candidate:
    rxcui: str
    tty: str
    name: str
    prior: float
    terms: tuple[str, ...]


def prefix_distance(query: str, text: str, limit: int = _FAR) -> int:
    """The fewest edits turning `query` into `text` or into a prefix of it
    (up to two letters shorter or longer than the query)."""
    best = OSA.distance(query, text, score_cutoff=limit)
    size = len(query)
    for length in range(max(1, size - 2), min(len(text), size + 2) + 1):
        best = min(best, OSA.distance(query, text[:length], score_cutoff=best))
    return best


def _word_starts(term: str) -> Iterable[int]:
    return (i + 1 for i, ch in enumerate(term) if ch == " " and i + 1 < len(term))


def match(query: str, term: str) -> Match:
    """(kind, typos, later word): smaller is better."""
    if term == query:
        return (EXACT, 0, 0)
    if term.startswith(query):
        return (PREFIX, 0, 0)
    starts = list(_word_starts(term))
    if any(term.startswith(query, i) for i in starts):
        return (WORD_PREFIX, 0, 0)
    whole = prefix_distance(query, term)
    word = min((prefix_distance(query, term[i:], whole) for i in starts), default=_FAR)
    return (TYPO, whole, 0) if whole <= word else (TYPO, word, 1)


def key(query: str, candidate: Candidate) -> Key:
    kind, typos, later = min(match(query, term) for term in candidate.terms)
    return (
        kind,
        typos,
        later,
        -candidate.prior,
        TTY_ORDER.get(candidate.tty, 9),
        len(candidate.name),
        candidate.name,
    )


def rank(query: str, candidates: Sequence[Candidate], first: int) -> list[str]:
    """RXCUIs of the best `first` candidates, best first."""
    ordered = sorted(candidates, key=lambda c: key(query, c))
    return [c.rxcui for c in ordered[:first]]
