"""Plans of the adherence figures' own resolver fields."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from prescripcare.adherence.types import AdherenceDay
from prescripcare.graphql.context import Context
from prescripcare.plans.registry import batch

Parents = Sequence[Any]
Arguments = Mapping[str, Any]


@batch("Adherence", "daily")
async def daily(ctx: Context, parents: Parents, args: Arguments) -> list[list[AdherenceDay]]:
    return [parent.daily() for parent in parents]
