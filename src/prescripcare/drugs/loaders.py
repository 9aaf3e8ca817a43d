"""Drug loaders. The catalog is reference data every signed-in user may read,
so these need no viewer filter."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any

from sqlalchemy import and_, or_, select, tuple_, union_all
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from prescripcare.db import SessionFactory
from prescripcare.drugs.models import (
    INGREDIENT_TTY,
    DrugAtcCode,
    DrugClass,
    DrugClassMember,
    DrugConcept,
    DrugIngredient,
    DrugInteraction,
)
from prescripcare.loading import AnySelect, SessionLoader, any_of, many_per_key, one_per_key


def concepts_by_rxcui(viewer: object = None) -> AnySelect:
    """The concepts `:rxcuis` (reference data: the viewer is not asked)."""
    return select(DrugConcept).where(col(DrugConcept.rxcui) == any_of("rxcuis", str))


class DrugByRxcuiLoader(SessionLoader[str, DrugConcept | None]):
    async def load_batch(self, session: AsyncSession, keys: list[str]) -> list[DrugConcept | None]:
        rows = await session.scalars(concepts_by_rxcui(), {"rxcuis": list(keys)})
        return one_per_key(keys, rows, lambda c: c.rxcui)


@cache
def _built(build: Callable[[], AnySelect]) -> AnySelect:
    """A catalog statement built once: its values are all parameters, and
    SQLAlchemy keeps its compiled form for the same statement object."""
    return build()


def _ingredient_links() -> Any:
    """(key, ingredient) of the concepts `:rxcuis`: a product's ingredients,
    and an ingredient itself."""
    return union_all(
        select(
            col(DrugIngredient.rxcui).label("key"),
            col(DrugIngredient.ingredient_rxcui).label("ingredient"),
        ).where(col(DrugIngredient.rxcui) == any_of("rxcuis", str)),
        select(
            col(DrugConcept.rxcui).label("key"), col(DrugConcept.rxcui).label("ingredient")
        ).where(
            col(DrugConcept.rxcui) == any_of("rxcuis", str),
            col(DrugConcept.tty) == INGREDIENT_TTY,
        ),
    ).subquery()


def ingredient_concepts_of(viewer: object = None) -> AnySelect:
    """Each key of `:rxcuis` with its ingredient concepts, by name (reference
    data: the viewer is not asked)."""
    links = _ingredient_links()
    return (
        select(links.c.key, DrugConcept)
        .join(DrugConcept, col(DrugConcept.rxcui) == links.c.ingredient)
        .order_by(col(DrugConcept.name))
    )


class IngredientsByRxcuiLoader(SessionLoader[str, list[DrugConcept]]):
    """The ingredient concepts of any concept; an ingredient is its own."""

    async def load_batch(self, session: AsyncSession, keys: list[str]) -> list[list[DrugConcept]]:
        rows = await session.execute(_built(ingredient_concepts_of), {"rxcuis": list(keys)})
        pairs = [(row[0], row[1]) for row in rows]
        return [
            list({c.rxcui: c for _, c in group}.values())
            for group in many_per_key(keys, pairs, lambda r: r[0])
        ]


def atc_codes_of(viewer: object = None) -> AnySelect:
    """(rxcui, atc_code) of the concepts `:rxcuis`, by code (reference data)."""
    return (
        select(col(DrugAtcCode.rxcui), col(DrugAtcCode.atc_code))
        .where(col(DrugAtcCode.rxcui) == any_of("rxcuis", str))
        .order_by(col(DrugAtcCode.atc_code))
    )


class AtcCodesByRxcuiLoader(SessionLoader[str, list[str]]):
    async def load_batch(self, session: AsyncSession, keys: list[str]) -> list[list[str]]:
        rows = await session.execute(_built(atc_codes_of), {"rxcuis": list(keys)})
        pairs = [(r[0], r[1]) for r in rows]
        return [[code for _, code in group] for group in many_per_key(keys, pairs, lambda r: r[0])]


class ClassIdsByIngredientLoader(SessionLoader[str, list[str]]):
    """Classes an ingredient belongs to: explicitly, or through an ATC code
    under the class's ATC prefix."""

    async def load_batch(self, session: AsyncSession, keys: list[str]) -> list[list[str]]:
        explicit = select(col(DrugClassMember.rxcui), col(DrugClassMember.class_id)).where(
            col(DrugClassMember.rxcui).in_(keys)
        )
        by_atc = (
            select(col(DrugAtcCode.rxcui), col(DrugClass.id))
            .join(
                DrugClass,
                and_(
                    col(DrugClass.atc_prefix).is_not(None),
                    col(DrugAtcCode.atc_code).startswith(col(DrugClass.atc_prefix)),
                ),
            )
            .where(col(DrugAtcCode.rxcui).in_(keys))
        )
        rows = await session.execute(explicit.union(by_atc))
        pairs = [(r[0], r[1]) for r in rows]
        return [sorted({c for _, c in g}) for g in many_per_key(keys, pairs, lambda r: r[0])]


@dataclass(frozen=True)
class End:
    kind: str  # "ingredient" or "class"
    ref: str


class InteractionRulesByEndLoader(SessionLoader[End, list[DrugInteraction]]):
    """Rules with the given end on either side."""

    async def load_batch(
        self, session: AsyncSession, keys: list[End]
    ) -> list[list[DrugInteraction]]:
        pairs = [(k.kind, k.ref) for k in keys]
        rows = list(
            await session.scalars(
                select(DrugInteraction).where(
                    or_(
                        tuple_(col(DrugInteraction.a_kind), col(DrugInteraction.a_ref)).in_(pairs),
                        tuple_(col(DrugInteraction.b_kind), col(DrugInteraction.b_ref)).in_(pairs),
                    )
                )
            )
        )
        result: list[list[DrugInteraction]] = []
        for key in keys:
            result.append(
                [
                    r
                    for r in rows
                    if (r.a_kind, r.a_ref) == (key.kind, key.ref)
                    or (r.b_kind, r.b_ref) == (key.kind, key.ref)
                ]
            )
        return result


@dataclass
class DrugLoaders:
    by_rxcui: DrugByRxcuiLoader
    ingredients: IngredientsByRxcuiLoader
    atc_codes: AtcCodesByRxcuiLoader
    classes: ClassIdsByIngredientLoader
    rules: InteractionRulesByEndLoader

    @classmethod
    def create(cls, sessions: SessionFactory) -> DrugLoaders:
        return cls(
            by_rxcui=DrugByRxcuiLoader(sessions, None),
            ingredients=IngredientsByRxcuiLoader(sessions, None),
            atc_codes=AtcCodesByRxcuiLoader(sessions, None),
            classes=ClassIdsByIngredientLoader(sessions, None),
            rules=InteractionRulesByEndLoader(sessions, None),
        )
