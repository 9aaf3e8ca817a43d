"""Plans of the catalog's fields (reference data: no viewer filter)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from prescripcare.drugs.types import DrugType
from prescripcare.graphql.context import Context
from prescripcare.plans.registry import batch

Parents = Sequence[Any]
Arguments = Mapping[str, Any]


@batch("Drug", "ingredients")
async def ingredients(ctx: Context, parents: Parents, args: Arguments) -> list[list[DrugType]]:
    found = await ctx.loaders.drugs.ingredients.load_many([d.rxcui for d in parents])
    return [[DrugType.from_model(c) for c in group] for group in found]


@batch("Drug", "atcCodes")
async def atc_codes(ctx: Context, parents: Parents, args: Arguments) -> list[list[str]]:
    return list(await ctx.loaders.drugs.atc_codes.load_many([d.rxcui for d in parents]))
