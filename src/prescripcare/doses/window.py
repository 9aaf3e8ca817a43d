"""How far back a dose can still be open, so readers bound `scheduled_at`
and PostgreSQL scans only the monthly partitions they need
(doses/partitions.py).

A dose is open (SCHEDULED: reminded, snoozable, not yet missed) for at most
OPEN_REACH after it was scheduled: missed-dose marking (doses/missed.py)
closes it then however often it was snoozed. The due scan, the missed-dose
marking and the next-dose readers therefore look no further back than that.
"""

from __future__ import annotations

from datetime import datetime, timedelta

# Far beyond the grace period (DOSE_GRACE_MINUTES <= 24 h) and a snooze
# (<= 4 h): only a dose snoozed again and again for two days is closed by it.
OPEN_REACH = timedelta(days=2)

# A local day is at most 25 hours long (a DST change): today's local midnight,
# in any zone, is less than this before now.
LOCAL_DAY_REACH = timedelta(hours=26)


def open_since(now: datetime) -> datetime:
    """The earliest instant a dose still open at `now` can be scheduled at."""
    return now - OPEN_REACH
