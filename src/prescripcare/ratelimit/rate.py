"""A limit written as "N/period": N requests at once, then one more every
period/N (the generic cell rate algorithm's rate and burst in one string)."""

from __future__ import annotations

import re
from dataclasses import dataclass

_FORMAT = re.compile(r"^\s*(\d{1,6})\s*/\s*(\d{0,5})\s*([smh])\s*$")
_UNIT_MS = {"s": 1000, "m": 60_000, "h": 3_600_000}


@dataclass(frozen=True, slots=True)
class Rate:
    count: int
    period_ms: int

    @classmethod
    def parse(cls, text: str) -> Rate:
        match = _FORMAT.match(text)
        if match is None:
            raise ValueError(f"{text!r} is not a rate like 10/1m, 5/15m or 50/1h")
        count, amount, unit = int(match[1]), int(match[2] or 1), match[3]
        if count < 1 or amount < 1:
            raise ValueError(f"{text!r}: count and period must be at least 1")
        return cls(count=count, period_ms=amount * _UNIT_MS[unit])

    @property
    def interval_ms(self) -> int:
        """Time that pays back one request."""
        return max(1, self.period_ms // self.count)
