"""Drug-drug interaction checks over ingredients and classes.

Every concept is reduced to its ingredients (a combination product to all of
them), each ingredient to the classes it belongs to; a rule matches when its
two ends hold ingredients of two different drugs. Each ingredient pair is
reported once, at its most severe rule.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from prescripcare.drugs.loaders import (
    ClassIdsByIngredientLoader,
    End,
    IngredientsByRxcuiLoader,
    InteractionRulesByEndLoader,
)
from prescripcare.drugs.models import DrugConcept, DrugInteraction, Severity


@dataclass(frozen=True)
class Finding:
    severity: Severity
    description: str
    source: str
    clinically_reviewed: bool
    drugs: tuple[DrugConcept, DrugConcept]
    # The input concepts the two ingredients came from, in the same order.
    via: tuple[str, str]


class InteractionLoaders(Protocol):
    ingredients: IngredientsByRxcuiLoader
    classes: ClassIdsByIngredientLoader
    rules: InteractionRulesByEndLoader


def _ends(ingredient: str, classes: Sequence[str]) -> list[End]:
    return [End("ingredient", ingredient), *(End("class", c) for c in classes)]


async def find_interactions(
    loaders: InteractionLoaders, rxcuis: Sequence[str], *, against: Sequence[str] | None = None
) -> list[Finding]:
    """Interactions among `rxcuis` (all concepts known), or, with `against`,
    only those between `rxcuis` and `against` (a new drug against current
    ones). Three batched statements, whatever the number of drugs."""
    concepts = list(dict.fromkeys([*rxcuis, *(against or [])]))
    ingredient_lists = await asyncio.gather(*(loaders.ingredients.load(r) for r in concepts))
    ingredients_of = dict(zip(concepts, ingredient_lists, strict=True))
    all_ingredients = {i.rxcui: i for group in ingredient_lists for i in group}
    class_lists = await asyncio.gather(*(loaders.classes.load(i) for i in all_ingredients))
    classes_of = dict(zip(all_ingredients, class_lists, strict=True))
    ends = {e for i, cs in classes_of.items() for e in _ends(i, cs)}
    rule_lists = await asyncio.gather(*(loaders.rules.load(e) for e in ends))
    rules = {r.id: r for group in rule_lists for r in group}

    def holds(end_kind: str, end_ref: str, ingredient: str) -> bool:
        if end_kind == "ingredient":
            return end_ref == ingredient
        return end_ref in classes_of.get(ingredient, ())

    pairs = _concept_pairs(rxcuis, against)
    best: dict[frozenset[str], Finding] = {}
    for left, right in pairs:
        for a in ingredients_of[left]:
            for b in ingredients_of[right]:
                if a.rxcui == b.rxcui:
                    continue  # the same ingredient twice is duplicate therapy, not this
                for rule in rules.values():
                    forward = holds(rule.a_kind, rule.a_ref, a.rxcui) and holds(
                        rule.b_kind, rule.b_ref, b.rxcui
                    )
                    backward = holds(rule.a_kind, rule.a_ref, b.rxcui) and holds(
                        rule.b_kind, rule.b_ref, a.rxcui
                    )
                    if forward or backward:
                        _keep_worst(best, rule, a, b, (left, right))
    return sorted(
        best.values(),
        key=lambda f: (-f.severity.rank, f.drugs[0].name, f.drugs[1].name),
    )


def _concept_pairs(rxcuis: Sequence[str], against: Sequence[str] | None) -> list[tuple[str, str]]:
    if against is not None:
        return [(new, old) for new in rxcuis for old in against if new != old]
    unique = list(dict.fromkeys(rxcuis))
    return [(x, y) for i, x in enumerate(unique) for y in unique[i + 1 :]]


def _keep_worst(
    best: dict[frozenset[str], Finding],
    rule: DrugInteraction,
    a: DrugConcept,
    b: DrugConcept,
    via: tuple[str, str],
) -> None:
    key = frozenset((a.rxcui, b.rxcui))
    severity = Severity(rule.severity)
    current = best.get(key)
    if current is not None and current.severity.rank >= severity.rank:
        return
    first, second = sorted((a, b), key=lambda c: c.name)
    order = via if first is a else (via[1], via[0])
    best[key] = Finding(
        severity=severity,
        description=rule.description,
        source=rule.source,
        clinically_reviewed=rule.clinically_reviewed,
        drugs=(first, second),
        via=order,
    )
