"""The drug knowledge PrescripCare ships, loaded by `prescripcare seed`.

Sources (see data/NOTICE.md for licences and attribution):
- CPIC drug table (CC0): ingredient RXCUIs and ATC codes, and ATC classes.
- data/ingredients.tsv: more ingredients, RXCUI and ATC from NLM's RxNorm and
  RxClass data (public domain), each row with the page it came from.
- data/brands.tsv: brand names confirmed from FDA labels, searchable as
  aliases of their ingredients.
- data/international_names.tsv: INN and British names (paracetamol,
  salbutamol...) searchable as aliases of the ingredient RxNorm names.
- data/prescribing_ranks.tsv: the most prescribed drugs (ClinCalc DrugStats
  top 300, from MEPS), the search's national prior.
- ONC high-priority DDI pairs (Phansalkar 2012) as CONTRAINDICATED class rules.
- drug-interaction-mcp pairs (MIT), flagged not clinically reviewed.
"""

from __future__ import annotations

import csv
import functools
import hashlib
import logging
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from importlib import resources
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from prescripcare.drugs.catalog import Origin, upsert
from prescripcare.drugs.models import (
    ATC_CODE,
    DrugAtcCode,
    DrugClass,
    DrugClassMember,
    DrugConcept,
    DrugIngredient,
    DrugInteraction,
    DrugPrescribingRank,
    DrugRelease,
    DrugSearchTerm,
    Severity,
    severity_from,
)
from prescripcare.drugs.search.base import clean_query
from prescripcare.drugs.search.priors import refresh_priors

log = logging.getLogger("prescripcare.drugs.data")

SEED_VERSION = "2026-11"
CPIC_SOURCE = "CPIC drug table (cpicpgx cpic-schema drug.sql)"
CPIC_VERSION = "97f9e3bf4c49"
ONC_SOURCE = "ONC high-priority DDI list (Phansalkar et al., JAMIA 2012;19(5):735-43)"
MCP_SOURCE = "drug-interaction-mcp 0.1.0"
MCP_LICENCE = "MIT (c) 2026 Pillright; see drug_interaction_mcp_pairs.LICENSE"
RANKS_SOURCE = "ClinCalc DrugStats Top 300 of 2022 (MEPS 2022), see prescribing_ranks.tsv"
RANKS_LICENCE = "CC BY-SA 4.0 (ClinCalc DrugStats)"
NAMES_SOURCE = "WHO INN lists and British Approved Names (BNF), compiled by PrescripCare"


DATA = "prescripcare.drugs.data"


def _rows(name: str, delimiter: str = ",") -> Iterator[dict[str, str]]:
    text = resources.files(DATA).joinpath(name).read_text(encoding="utf-8")
    lines = [line for line in text.splitlines() if line and not line.startswith("#")]
    yield from csv.DictReader(lines, delimiter=delimiter)


@dataclass
class SeedReport:
    concepts: int = 0
    interactions: int = 0
    skipped: list[str] = field(default_factory=list)


@dataclass
class _Catalog:
    """What the seed builds in memory before writing it in a few statements."""

    at: datetime
    concepts: dict[str, dict[str, Any]] = field(default_factory=dict)
    atc: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    links: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    terms: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    by_name: dict[str, str] = field(default_factory=dict)
    ranks: dict[str, dict[str, Any]] = field(default_factory=dict)

    def add_concept(self, origin: Origin, rxcui: str, tty: str, name: str) -> None:
        self.concepts[rxcui] = origin.stamp({"rxcui": rxcui, "tty": tty, "name": name})
        self.add_term(origin, rxcui, name, "name")
        self.by_name.setdefault(clean_query(name), rxcui)

    def add_term(self, origin: Origin, rxcui: str, term: str, kind: str) -> None:
        cleaned = clean_query(term)
        if cleaned:
            self.terms.setdefault(
                (rxcui, cleaned), origin.stamp({"rxcui": rxcui, "term": cleaned, "kind": kind})
            )

    def add_atc(self, origin: Origin, rxcui: str, codes: str) -> None:
        for code in filter(None, (c.strip() for c in codes.split(","))):
            if ATC_CODE.match(code):
                self.atc[(rxcui, code)] = origin.stamp({"rxcui": rxcui, "atc_code": code})

    def link(self, origin: Origin, rxcui: str, ingredient: str) -> None:
        self.links[(rxcui, ingredient)] = origin.stamp(
            {"rxcui": rxcui, "ingredient_rxcui": ingredient}
        )

    def lookup(self, name: str) -> str | None:
        return self.by_name.get(clean_query(name))

    def lookup_base(self, name: str) -> str | None:
        """The ingredient (IN) a label's name means, dropping salt words from
        the end ("warfarin sodium" is warfarin); a salt or combination concept
        only when no ingredient matches."""
        words = clean_query(name).split()
        fallback = None
        while words:
            found = self.by_name.get(" ".join(words))
            if found is not None:
                if self.concepts[found]["tty"] == "IN":
                    return found
                fallback = fallback or found
            words.pop()
        return fallback


def _load_concepts(cat: _Catalog) -> list[dict[str, Any]]:
    """Ingredients from CPIC and seed/ingredients.tsv, classes from CPIC."""
    cpic = Origin(CPIC_SOURCE, CPIC_VERSION, "CC0-1.0", cat.at)
    extra = {r["rxcui"]: r for r in _rows("ingredients.tsv", "\t")}
    classes: list[dict[str, Any]] = []
    for row in _rows("cpic_drug_ids.tsv", "\t"):
        rxcui = row["rxnormId"].strip()
        if not rxcui:
            if row["drugId"].startswith("ATC:"):
                classes.append(
                    cpic.stamp(
                        {
                            "id": f"atc:{row['atcId']}",
                            "name": row["name"],
                            "atc_prefix": row["atcId"],
                        }
                    )
                )
            continue
        # RxNorm's own spelling where we have it (albuterol, not salbutamol);
        # CPIC's name stays searchable.
        nlm = extra.get(rxcui)
        name = nlm["name"] if nlm else row["name"]
        tty = nlm["tty"] if nlm else ("MIN" if "/" in row["name"] else "IN")
        cat.add_concept(cpic, rxcui, tty, name)
        cat.add_term(cpic, rxcui, row["name"], "synonym")
        cat.by_name.setdefault(clean_query(row["name"]), rxcui)
        cat.add_atc(cpic, rxcui, row["atcId"])
    for rxcui, row in extra.items():
        origin = Origin(row["source"], row["source_version"], row["licence"], cat.at)
        if rxcui not in cat.concepts:
            cat.add_concept(origin, rxcui, row["tty"], row["name"])
        cat.add_atc(origin, rxcui, row["atc_codes"])
    # RxNorm names a combination after its ingredients ("a / b") and a salt
    # after its ingredient ("warfarin sodium"): link them.
    for rxcui, concept in list(cat.concepts.items()):
        origin = Origin(concept["source"], concept["source_version"], concept["licence"], cat.at)
        if concept["tty"] == "MIN":
            parts = [cat.lookup(p) for p in concept["name"].split("/")]
        elif concept["tty"] == "PIN":
            parts = [cat.lookup_base(concept["name"])]
        else:
            continue
        for part in parts:
            if part is not None and cat.concepts[part]["tty"] == "IN":
                cat.link(origin, rxcui, part)
    return classes


def _load_aliases(cat: _Catalog) -> None:
    for row in _rows("aliases.tsv", "\t"):
        target = cat.lookup(row["ingredient"])
        if target is not None:
            cat.by_name.setdefault(clean_query(row["term"]), target)


def _load_international_names(cat: _Catalog, report: SeedReport) -> None:
    origin = Origin(NAMES_SOURCE, SEED_VERSION, "facts about names; our compilation", cat.at)
    for row in _rows("international_names.tsv", "\t"):
        target = cat.lookup(row["ingredient"])
        if target is None:
            report.skipped.append(f"international name {row['name']}: {row['ingredient']} absent")
            continue
        cat.add_term(origin, target, row["name"], "international")
        cat.by_name.setdefault(clean_query(row["name"]), target)


def _load_ranks(cat: _Catalog, report: SeedReport) -> None:
    """Each ingredient of a ranked drug, and the combination concept when
    the catalog has it, gets the drug's rank (its best when several)."""
    origin = Origin(RANKS_SOURCE, SEED_VERSION, RANKS_LICENCE, cat.at)
    for row in _rows("prescribing_ranks.tsv", "\t"):
        rank = int(row["rank"])
        names = [n.strip() for n in row["drug"].split(";") if n.strip()]
        targets = [cat.lookup_base(n) for n in names]
        found = [t for t in targets if t is not None]
        if len(found) != len(names):
            report.skipped.append(f"prescribing rank {rank} {row['drug']}: not in the catalog")
        if len(names) > 1 and len(found) == len(names):
            combination = cat.lookup(" / ".join(sorted(cat.concepts[t]["name"] for t in found)))
            found += [combination] if combination else []
        for rxcui in found:
            held = cat.ranks.get(rxcui)
            if held is None or held["rank"] > rank:
                cat.ranks[rxcui] = origin.stamp({"rxcui": rxcui, "rank": rank})


def _load_brands(cat: _Catalog, report: SeedReport) -> None:
    for row in _rows("brands.tsv", "\t"):
        names = [n.strip() for n in row["ingredients"].split(";") if n.strip()]
        targets = [cat.lookup_base(n) for n in names]
        combination = (
            cat.lookup(" / ".join(sorted(cat.concepts[t]["name"] for t in targets if t)))
            if len(names) > 1 and all(targets)
            else None
        )
        origin = Origin(
            f"FDA label: {row['source']}", SEED_VERSION, "public domain (US FDA label)", cat.at
        )
        if combination:
            targets = [combination]
        if not targets or any(t is None for t in targets):
            report.skipped.append(f"brand {row['brand']}: ingredient not in the catalog")
            continue
        for target in targets:
            assert target is not None
            cat.add_term(origin, target, row["brand"], "brand")
        bn = row.get("bn_rxcui", "").strip()
        if bn:
            cat.add_concept(origin, bn, "BN", row["brand"])
            for target in targets:
                assert target is not None
                cat.link(origin, bn, target)


@dataclass
class _Rules:
    at: datetime
    classes: list[dict[str, Any]] = field(default_factory=list)
    members: list[dict[str, Any]] = field(default_factory=list)
    rules: list[dict[str, Any]] = field(default_factory=list)

    def rule(
        self,
        origin: Origin,
        a: tuple[str, str],
        b: tuple[str, str],
        severity: Severity,
        description: str,
        reviewed: bool,
    ) -> None:
        first, second = sorted((a, b))
        self.rules.append(
            origin.stamp(
                {
                    "id": uuid.uuid4(),
                    "a_kind": first[0],
                    "a_ref": first[1],
                    "b_kind": second[0],
                    "b_ref": second[1],
                    "severity": severity.value,
                    "description": description,
                    "clinically_reviewed": reviewed,
                }
            )
        )


def _onc_rules(cat: _Catalog, out: _Rules, report: SeedReport) -> None:
    origin = Origin(
        ONC_SOURCE, "Table 2, 2012", "facts from a published paper; our wording", cat.at
    )
    for row in _rows("onc_high_priority_ddi_seed.csv"):
        number = row["onc_candidate_no"]
        if row["object_members"].startswith("("):
            # QT prolongation (the paper's pair 21) waits for a QT list of our own: the
            # paper's list (CredibleMeds) may not be redistributed.
            report.skipped.append(f"ONC #{number} {row['object_class']}: no membership list")
            continue
        ends = []
        for side, label in (
            ("object", row["object_class"]),
            ("precipitant", row["precipitant_class"]),
        ):
            class_id = f"onc-{number}-{side}"
            out.classes.append(origin.stamp({"id": class_id, "name": label, "atc_prefix": None}))
            for member in row[f"{side}_members"].split(";"):
                rxcui = cat.lookup(member)
                if rxcui is None:
                    report.skipped.append(f"ONC #{number}: {member.strip()} not in the catalog")
                    continue
                out.members.append(origin.stamp({"class_id": class_id, "rxcui": rxcui}))
            ends.append(("class", class_id))
        description = (
            f"{row['object_class']} with {row['precipitant_class']}: "
            f"{row['consequence_short']}. Avoid the combination (ONC high-priority list)."
        )
        out.rule(
            origin, ends[0], ends[1], Severity(row["seed_severity"].upper()), description, True
        )


def _mcp_end(cat: _Catalog, name: str, groups: dict[str, str]) -> tuple[str, str] | None:
    if clean_query(name) in groups:
        return ("class", groups[clean_query(name)])
    rxcui = cat.lookup(name)
    return ("ingredient", rxcui) if rxcui else None


def _mcp_rules(cat: _Catalog, out: _Rules, report: SeedReport) -> None:
    origin = Origin(MCP_SOURCE, "0.1.0", MCP_LICENCE, cat.at)
    groups: dict[str, str] = {}
    for row in _rows("classes.tsv", "\t"):
        groups[clean_query(row["alias"])] = row["id"]
        out.classes.append(
            origin.stamp(
                {
                    "id": row["id"],
                    "name": row["name"],
                    "atc_prefix": row["atc_prefix"] or None,
                }
            )
        )
    for row in _rows("drug_interaction_mcp_pairs.csv"):
        a = _mcp_end(cat, row["drug_a"], groups)
        b = _mcp_end(cat, row["drug_b"], groups)
        if a is None or b is None:
            report.skipped.append(
                f"MCP pair {row['drug_a']} + {row['drug_b']}: not a catalog drug or class"
            )
            continue
        level = row["severity_original"]
        description = (
            f"{row['drug_a'].capitalize()} with {row['drug_b']}: an interaction reported by "
            f"{row['source_label']} (rated '{level}' there). Not clinically reviewed: check a "
            "current reference before acting."
        )
        out.rule(origin, a, b, severity_from(level), description, False)


async def load_seed(session: AsyncSession, now: datetime) -> SeedReport:
    report = SeedReport()
    cat = _Catalog(at=now)
    cpic_classes = _load_concepts(cat)
    _load_aliases(cat)
    _load_international_names(cat, report)
    _load_brands(cat, report)
    _load_ranks(cat, report)
    rules = _Rules(at=now, classes=cpic_classes)
    _onc_rules(cat, rules, report)
    _mcp_rules(cat, rules, report)

    report.concepts = len(cat.concepts)
    await upsert(session, DrugConcept, cat.concepts.values(), ["rxcui"])
    await upsert(session, DrugAtcCode, cat.atc.values(), ["rxcui", "atc_code"])
    await upsert(session, DrugIngredient, cat.links.values(), ["rxcui", "ingredient_rxcui"])
    await upsert(session, DrugSearchTerm, cat.terms.values(), ["rxcui", "term"])
    await upsert(session, DrugClass, rules.classes, ["id"])
    await upsert(session, DrugClassMember, rules.members, ["class_id", "rxcui"])
    await upsert(
        session, DrugInteraction, rules.rules, ["a_kind", "a_ref", "b_kind", "b_ref", "source"]
    )
    await upsert(session, DrugPrescribingRank, cat.ranks.values(), ["rxcui"])
    report.interactions = len(rules.rules)
    await refresh_priors(session, now)
    await _record_release(session, report, now)
    # Known gaps of the shipped sources, summarised by the caller; the list
    # is for whoever curates the data (LOG_LEVEL=DEBUG).
    for line in report.skipped:
        log.debug("seed skipped %s", line)
    return report


SEED_SOURCE = "prescripcare shipped seed"


@functools.cache
def seed_version() -> str:
    """A fingerprint of the shipped data files: a new release of the package
    with changed data is a new version."""
    digest = hashlib.sha256()
    for entry in sorted(resources.files(DATA).iterdir(), key=lambda e: e.name):
        if entry.is_file():
            digest.update(entry.name.encode() + b"\0" + entry.read_bytes())
    return digest.hexdigest()[:16]


async def _record_release(session: AsyncSession, report: SeedReport, now: datetime) -> None:
    await session.execute(
        pg_insert(DrugRelease)
        .values(
            source=SEED_SOURCE, version=seed_version(), imported_at=now, concepts=report.concepts
        )
        .on_conflict_do_update(index_elements=["source", "version"], set_={"imported_at": now})
    )


async def seed_is_current(session: AsyncSession) -> bool:
    """Whether this package's seed data is loaded already (a warm start of
    `prescripcare dev` skips reloading it)."""
    found = await session.scalar(
        select(col(DrugRelease.version)).where(
            col(DrugRelease.source) == SEED_SOURCE, col(DrugRelease.version) == seed_version()
        )
    )
    return found is not None
