"""`prescripcare import-interactions FILE.csv`: interaction rules from a feed
the institution is licensed to use.

The format (UTF-8 CSV with a header line; documented in the README):

    drug_a,drug_b,severity,description,source[,source_version][,licence]

`drug_a`/`drug_b` is an ingredient RXCUI, an ingredient name as the catalog
spells it, `class:<id>` for a class the catalog has, or `atc:<code>` for every
ingredient under a WHO ATC code. `severity` is one of ours or a level from
SEVERITY_MAP; any other level counts as MAJOR (and is reported). Every bad row
is reported with its line number, and then nothing at all is written.
"""

from __future__ import annotations

import csv
import io
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from prescripcare.drugs.catalog import Origin, upsert
from prescripcare.drugs.models import (
    ATC_CODE,
    SEVERITY_MAP,
    DrugClass,
    DrugConcept,
    DrugInteraction,
    Severity,
)

REQUIRED = ("drug_a", "drug_b", "severity", "description", "source")
MAX_DESCRIPTION = 2000


class CsvRejected(Exception):
    def __init__(self, problems: list[str]) -> None:
        super().__init__(f"{len(problems)} bad row(s)")
        self.problems = problems


@dataclass
class CsvResult:
    rows: int = 0
    written: int = 0
    notes: list[str] = field(default_factory=list)


@dataclass
class _Catalog:
    ingredients: set[str]
    by_name: dict[str, str]
    classes: set[str]


async def _catalog(session: AsyncSession, refs: set[str]) -> _Catalog:
    digits = [r for r in refs if r.isdigit()]
    names = [r.lower() for r in refs if not r.isdigit() and ":" not in r]
    concepts = await session.execute(
        select(col(DrugConcept.rxcui), col(DrugConcept.name)).where(
            col(DrugConcept.tty) == "IN",
            (col(DrugConcept.rxcui).in_(digits)) | (func.lower(DrugConcept.name).in_(names)),
        )
    )
    rows = list(concepts)
    classes = await session.scalars(
        select(col(DrugClass.id)).where(
            col(DrugClass.id).in_(
                [r.removeprefix("class:") for r in refs if r.startswith("class:")]
            )
        )
    )
    return _Catalog(
        ingredients={r[0] for r in rows},
        by_name={r[1].lower(): r[0] for r in rows},
        classes=set(classes),
    )


def _end(ref: str, cat: _Catalog) -> tuple[str, str] | str:
    """("ingredient"|"class", id), or a problem description."""
    if ref.startswith("class:"):
        name = ref.removeprefix("class:")
        return ("class", name) if name in cat.classes else f"unknown class {name!r}"
    if ref.startswith("atc:"):
        code = ref.removeprefix("atc:")
        return ("class", f"atc:{code}") if ATC_CODE.match(code) else f"bad ATC code {code!r}"
    if ref.isdigit():
        return ("ingredient", ref) if ref in cat.ingredients else f"no ingredient RXCUI {ref}"
    found = cat.by_name.get(ref.lower())
    return ("ingredient", found) if found else f"no ingredient named {ref!r}"


async def import_interactions(
    session: AsyncSession, content: str, now: datetime, *, default_licence: str
) -> CsvResult:
    reader = csv.DictReader(io.StringIO(content))
    header = reader.fieldnames or []
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise CsvRejected([f"line 1: missing column(s) {', '.join(missing)}"])
    rows = [(reader.line_num, row) for row in reader]
    refs = {(row.get(c) or "").strip() for _, row in rows for c in ("drug_a", "drug_b")}
    cat = await _catalog(session, refs)
    problems: list[str] = []
    result = CsvResult(rows=len(rows))
    records: list[dict[str, Any]] = []
    atc_classes: dict[str, dict[str, Any]] = {}
    for line, row in rows:
        if None in row or any(row.get(c) is None for c in REQUIRED):
            problems.append(f"line {line}: wrong number of fields")
            continue
        values = {k: (v or "").strip() for k, v in row.items() if k is not None}
        bad: list[str] = []
        ends = []
        for column in ("drug_a", "drug_b"):
            end = _end(values[column], cat)
            if isinstance(end, str):
                bad.append(f"{column}: {end}")
            else:
                ends.append(end)
        if len(ends) == 2 and ends[0] == ends[1]:
            bad.append("a drug cannot interact with itself")
        level = values["severity"].lower()
        if not level:
            bad.append("severity is empty")
        if not values["description"] or len(values["description"]) > MAX_DESCRIPTION:
            bad.append(f"description must be 1 to {MAX_DESCRIPTION} characters")
        if not values["source"]:
            bad.append("source is empty")
        if bad:
            problems.append(f"line {line}: " + "; ".join(bad))
            continue
        severity = SEVERITY_MAP.get(level)
        if severity is None:
            severity = Severity.MAJOR
            result.notes.append(f"line {line}: unknown severity {level!r} counted as MAJOR")
        origin = Origin(
            values["source"],
            values.get("source_version") or "unversioned",
            values.get("licence") or default_licence,
            now,
        )
        first, second = sorted(ends)
        for kind, ref in (first, second):
            if kind == "class" and ref.startswith("atc:"):
                atc_classes[ref] = origin.stamp(
                    {"id": ref, "name": f"ATC {ref[4:]}", "atc_prefix": ref[4:]}
                )
        records.append(
            origin.stamp(
                {
                    "id": uuid.uuid4(),
                    "a_kind": first[0],
                    "a_ref": first[1],
                    "b_kind": second[0],
                    "b_ref": second[1],
                    "severity": severity.value,
                    "description": values["description"],
                    "clinically_reviewed": False,
                }
            )
        )
    if problems:
        raise CsvRejected(problems)
    await upsert(session, DrugClass, atc_classes.values(), ["id"])
    result.written = await upsert(
        session, DrugInteraction, records, ["a_kind", "a_ref", "b_kind", "b_ref", "source"]
    )
    return result
