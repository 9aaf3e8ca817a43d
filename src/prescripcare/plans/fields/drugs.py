"""Plans of the catalog's fields (reference data: no viewer filter)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from prescripcare.adherence.service import LoaderCatalog
from prescripcare.drugs.loaders import atc_codes_of
from prescripcare.drugs.types import DrugType
from prescripcare.graphql.context import Context
from prescripcare.loading import many_per_key
from prescripcare.plans.registry import batch
from prescripcare.plans.session import reads_of
from prescripcare.plans.statements import Prepared

Parents = Sequence[Any]
Arguments = Mapping[str, Any]


@batch("Drug", "ingredients")
async def ingredients(ctx: Context, parents: Parents, args: Arguments) -> list[list[DrugType]]:
    found = await ctx.loaders.drugs.ingredients.load_many([d.rxcui for d in parents])
    return [[DrugType.from_model(c) for c in group] for group in found]


@batch("Drug", "atcCodes")
async def atc_codes(ctx: Context, parents: Parents, args: Arguments) -> list[list[str]]:
    return list(await ctx.loaders.drugs.atc_codes.load_many([d.rxcui for d in parents]))


ATC_CODES = Prepared(atc_codes_of)


class PreparedCatalog:
    """The drug-catalog facts behind PDC (`adherence.service.Catalog`) on
    the planned path. ATC codes are a prepared statement on the operation's
    connection (the loader's own builder, rows instead of ORM instances).
    Ingredients stay with the request's ingredients loader: on the dashboard
    the interaction check asks it in the same tick, and one batch serves
    both (a statement of their own would cost one more per request)."""

    def __init__(self, ctx: Context) -> None:
        self._ctx = ctx

    async def ingredients(self, rxcuis: list[str]) -> dict[str, list[str]]:
        return await LoaderCatalog(self._ctx.loaders.drugs).ingredients(rxcuis)

    async def atc_codes(self, rxcuis: list[str]) -> dict[str, list[str]]:
        rows = await reads_of(self._ctx).fetch(ATC_CODES, self._ctx.require_viewer(), rxcuis=rxcuis)
        groups = many_per_key(rxcuis, [(r[0], r[1]) for r in rows], lambda r: r[0])
        return {r: [code for _, code in group] for r, group in zip(rxcuis, groups, strict=True)}
