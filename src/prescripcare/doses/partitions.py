"""Monthly partitions of `doses` (migration 0019).

`doses` is partitioned by range of `scheduled_at`, one partition per UTC
calendar month, plus a default partition for any dose no month covers. The
worker's `ensure-dose-partitions` job creates the months ahead, further than
the dose horizon reaches (at most 90 days), so new doses land in their month;
should doses ever wait in the default partition, the database function moves
them into their month as it creates it (see the migration).

Old months are kept attached: dose history is part of the clinical record,
read by adherence, reports, exports and erasure. Detaching a month is an
operator's archival step (docs/scaling.md), not a job.

Readers prune to the months they need by bounding `scheduled_at`
(doses/window.py).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

# Months kept ahead of the current one: more than the longest dose horizon
# (DOSE_HORIZON_DAYS <= 90), so a run missed for a month still leaves room.
MONTHS_AHEAD = 4

_ENSURE = text(
    "SELECT dose_partitions_ensure(CAST(:low AS timestamptz), "
    "CAST(:low AS timestamptz) + make_interval(months => :months, secs => 1))"
)

_PARTITIONS = text("""
SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
WHERE i.inhparent = 'doses'::regclass ORDER BY c.relname
""")


async def ensure_partitions(
    session: AsyncSession, now: datetime, months_ahead: int = MONTHS_AHEAD
) -> int:
    """Creates the month partitions from now's month to `months_ahead` after
    it that do not exist yet; answers how many it created."""
    return int(await session.scalar(_ENSURE, {"low": now, "months": months_ahead}) or 0)


async def partition_names(session: AsyncSession) -> list[str]:
    return [str(name) for name in await session.scalars(_PARTITIONS)]
