"""How often a drug is prescribed: the search's prior between equally good
matches, so a rare drug never outranks a common one on an ambiguous typo.

A weight per concept is the sum of
- the national rank (data/prescribing_ranks.tsv): 1.0 for the most prescribed
  drug falling linearly to 1/N for the N-th, 0 unranked;
- this deployment's prescribing: prescriptions naming the concept (or a
  product, salt or brand of it) over those of its most prescribed concept,
  so 1.0 for the deployment's most prescribed drug.
A concept without a weight of its own (a product, salt, brand or combination)
takes the smallest weight of its ingredients: a combination is as common as
its rarest part. `drug_search_priors` holds the result for every concept
with a prior above 0; the seed, the RxNorm import and the worker's hourly job
rebuild it in one statement pair.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

_REBUILD = text(
    """
    WITH prescribed AS (
        SELECT p.rxcui AS rxcui FROM prescriptions AS p
        UNION ALL
        SELECT i.ingredient_rxcui FROM prescriptions AS p
        JOIN drug_ingredients AS i ON i.rxcui = p.rxcui
    ),
    local_counts AS (
        SELECT rxcui, count(*) AS n FROM prescribed GROUP BY rxcui
    ),
    weights AS (
        SELECT rxcui, sum(w) AS w FROM (
            SELECT rxcui,
                   (max(rank) OVER () + 1 - rank)::float8 / max(rank) OVER () AS w
            FROM drug_prescribing_ranks
            UNION ALL
            SELECT rxcui, n::float8 / max(n) OVER () FROM local_counts
        ) AS parts
        GROUP BY rxcui
    ),
    inherited AS (
        SELECT i.rxcui, min(coalesce(w.w, 0)) AS w
        FROM drug_ingredients AS i LEFT JOIN weights AS w ON w.rxcui = i.ingredient_rxcui
        WHERE NOT EXISTS (SELECT 1 FROM weights AS own WHERE own.rxcui = i.rxcui)
        GROUP BY i.rxcui
    )
    INSERT INTO drug_search_priors (rxcui, prior, refreshed_at)
    SELECT rxcui, w, CAST(:now AS timestamptz) FROM weights WHERE w > 0
    UNION ALL
    SELECT rxcui, w, CAST(:now AS timestamptz) FROM inherited WHERE w > 0
    """
)


async def refresh_priors(session: AsyncSession, now: datetime) -> int:
    """Rebuilds every concept's prior; answers how many concepts have one.
    Runs inside the caller's transaction, so searches see the old priors or
    the new ones, never an empty table."""
    await session.execute(text("DELETE FROM drug_search_priors"))
    result = await session.execute(_REBUILD, {"now": now})
    return int(getattr(result, "rowcount", 0) or 0)
