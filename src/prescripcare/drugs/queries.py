"""Drug queries: search, one concept, interaction checks."""

from __future__ import annotations

import asyncio

import strawberry

from prescripcare.drugs.interactions import find_interactions
from prescripcare.drugs.search.base import MAX_QUERY_LENGTH, clean_query
from prescripcare.drugs.types import DrugType, Interaction
from prescripcare.errors import TopLevelCode
from prescripcare.graphql.errors import bad_input, top_level
from prescripcare.graphql.info import Info
from prescripcare.graphql.pagination import DRUGS_PAGE

MAX_INTERACTION_DRUGS = 50


def _valid_rxcui(value: str) -> bool:
    return value.isdigit() and len(value) <= 16


@strawberry.type
class DrugQuery:
    @strawberry.field(
        description="Typo-tolerant, prefix-aware search over names and brand names, best "
        "match first. `first` defaults to 10 and is clamped to 1..50."
    )
    async def drugs(self, info: Info, search: str, first: int | None = None) -> list[DrugType]:
        ctx = info.context
        ctx.require_viewer()
        if len(search) > MAX_QUERY_LENGTH:
            raise bad_input("search", f"Search is limited to {MAX_QUERY_LENGTH} characters.")
        query = clean_query(search)
        if not query:
            return []
        size = DRUGS_PAGE.clamp(first)
        async with ctx.read_sessions() as session:
            rxcuis = await ctx.resources.drug_search.search(session, query, size)
        concepts = await asyncio.gather(*(ctx.loaders.drugs.by_rxcui.load(r) for r in rxcuis))
        return [DrugType.from_model(c) for c in concepts if c is not None]

    @strawberry.field(
        description="One concept by RXCUI; null when the catalog has no such concept."
    )
    async def drug(self, info: Info, rxcui: str) -> DrugType | None:
        info.context.require_viewer()
        if not _valid_rxcui(rxcui):
            return None
        found = await info.context.loaders.drugs.by_rxcui.load(rxcui)
        return DrugType.from_model(found) if found else None

    @strawberry.field(
        description="Every interaction among the given drugs' ingredients and classes, most "
        "severe first, each pair once at its highest severity. An unknown RXCUI is UNKNOWN_DRUG."
    )
    async def interactions(self, info: Info, rxcuis: list[str]) -> list[Interaction]:
        ctx = info.context
        ctx.require_viewer()
        if len(rxcuis) > MAX_INTERACTION_DRUGS:
            raise bad_input("rxcuis", f"At most {MAX_INTERACTION_DRUGS} drugs per check.")
        unique = list(dict.fromkeys(rxcuis))
        valid = [r for r in unique if _valid_rxcui(r)]
        loaded = await asyncio.gather(*(ctx.loaders.drugs.by_rxcui.load(r) for r in valid))
        known = {c.rxcui for c in loaded if c is not None}
        unknown = [r for r in unique if r not in known]
        if unknown:
            error = top_level(
                TopLevelCode.UNKNOWN_DRUG, f"Unknown RXCUI: {', '.join(unknown)}", "rxcuis"
            )
            error.extensions = {**(error.extensions or {}), "rxcuis": unknown}
            raise error
        findings = await find_interactions(ctx.loaders.drugs, unique)
        return [Interaction.from_finding(f) for f in findings]
