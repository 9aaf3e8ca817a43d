"""`prescripcare import-rxnorm DIR`: an RxNorm release (RRF files) into the
catalog.

The files are streamed line by line into temporary tables with COPY (memory
stays bounded whatever the release size), checked, then merged into the
catalog in a handful of set-based statements, all in one transaction: a bad
file changes nothing. Only SAB=RXNORM, SUPPRESS=N, English rows are read (the
public-domain part of a release). Importing the same release again is a
no-op, and even a forced re-import rewrites no unchanged row.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from prescripcare.drugs.models import CONCEPT_TTYS, PRODUCT_TTYS, DrugRelease
from prescripcare.drugs.search.base import clean_query
from prescripcare.drugs.search.priors import refresh_priors

SOURCE = "RxNorm (U.S. National Library of Medicine)"
LICENCE = "public domain (SAB=RXNORM); courtesy of the U.S. National Library of Medicine"
BATCH = 10_000
MAX_REPORTED = 50
# Atoms that name a concept for search, besides its own name.
NAME_TTYS = (*CONCEPT_TTYS, "PSN", "SY", "TMSY", "SCDC")
WANTED_ATTRIBUTES = ("NDC", "RXN_AVAILABLE_STRENGTH")


@dataclass(frozen=True)
class RrfFile:
    name: str
    columns: int
    table: str
    record_columns: tuple[str, ...]


CONSO = RrfFile("RXNCONSO.RRF", 18, "rrf_atoms", ("rxcui", "tty", "str", "term"))
REL = RrfFile("RXNREL.RRF", 16, "rrf_rels", ("rxcui1", "rela", "rxcui2"))
SAT = RrfFile("RXNSAT.RRF", 13, "rrf_sats", ("rxcui", "atn", "atv"))


class ImportRejected(Exception):
    """The files are malformed; `problems` names each bad line."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__(f"{len(problems)} problem(s)")
        self.problems = problems


@dataclass
class ImportResult:
    release: str
    skipped_as_imported: bool = False
    read: dict[str, int] = field(default_factory=dict)
    written: dict[str, int] = field(default_factory=dict)


def release_of(directory: Path) -> str:
    """The release date from NLM's Readme file name, else the folder name."""
    for readme in sorted(directory.glob("Readme*.txt")):
        found = re.search(r"(\d{8})", readme.name)
        if found:
            return found.group(1)
    return directory.resolve().name


def _digits(value: str) -> bool:
    return value.isdigit() and len(value) <= 16


def _parse(path: Path, spec: RrfFile, problems: list[str], bar: Any) -> Iterator[tuple[Any, ...]]:
    with path.open(encoding="utf-8", newline="") as handle:
        for number, raw in enumerate(handle, start=1):
            if bar is not None:
                bar.update(len(raw))
            line = raw.rstrip("\r\n")
            if not line:
                continue
            fields = line.split("|")
            # Every field ends with "|", so N fields split into N + 1 pieces.
            if len(fields) != spec.columns + 1 or fields[-1] != "":
                problems.append(
                    f"{spec.name} line {number}: expected {spec.columns} '|'-terminated fields, "
                    f"found {len(fields) - 1}"
                )
                continue
            record = _select(spec, fields)
            if record is None:
                continue
            if not _digits(record[0]) or (spec is REL and not _digits(record[2])):
                problems.append(f"{spec.name} line {number}: RXCUI is not a number")
                continue
            yield record


def _select(spec: RrfFile, f: list[str]) -> tuple[Any, ...] | None:
    if spec is CONSO:
        # LAT, SAB, TTY, STR, SUPPRESS (STR is kept exactly, never trimmed)
        if f[1] != "ENG" or f[11] != "RXNORM" or f[16] != "N" or f[12] not in NAME_TTYS:
            return None
        return (f[0], f[12], f[14], clean_query(f[14]))
    if spec is REL:
        if f[10] != "RXNORM" or f[14] != "N" or f[2] != "CUI" or f[6] != "CUI":
            return None
        return (f[0], f[7], f[4])
    if f[9] != "RXNORM" or f[11] != "N" or f[8] not in WANTED_ATTRIBUTES:
        return None
    return (f[0], f[8], f[10])


async def _copy(session: AsyncSession, spec: RrfFile, records: list[tuple[Any, ...]]) -> None:
    connection = await session.connection()
    raw = await connection.get_raw_connection()
    driver = raw.driver_connection
    assert driver is not None
    await driver.copy_records_to_table(spec.table, records=records, columns=spec.record_columns)


async def _stage(
    session: AsyncSession, directory: Path, problems: list[str], progress: bool
) -> dict[str, int]:
    await session.execute(
        text(
            "CREATE TEMP TABLE rrf_atoms (rxcui text, tty text, str text, term text) ON COMMIT DROP"
        )
    )
    await session.execute(
        text("CREATE TEMP TABLE rrf_rels (rxcui1 text, rela text, rxcui2 text) ON COMMIT DROP")
    )
    await session.execute(
        text("CREATE TEMP TABLE rrf_sats (rxcui text, atn text, atv text) ON COMMIT DROP")
    )
    counts: dict[str, int] = {}
    for spec in (CONSO, REL, SAT):
        path = directory / spec.name
        if not path.is_file():
            if spec is SAT:
                continue  # attributes are optional
            problems.append(f"{spec.name}: missing from {directory}")
            continue
        counts[spec.name] = 0
        batch: list[tuple[Any, ...]] = []
        bar = _progress_bar(path) if progress else None
        try:
            for record in _parse(path, spec, problems, bar):
                batch.append(record)
                if len(batch) >= BATCH:
                    await _copy(session, spec, batch)
                    counts[spec.name] += len(batch)
                    batch = []
            if batch:
                await _copy(session, spec, batch)
                counts[spec.name] += len(batch)
        finally:
            if bar is not None:
                bar.close()
    return counts


def _progress_bar(path: Path) -> Any:
    from tqdm import tqdm

    # Characters, not bytes: close enough for a progress bar on RRF text.
    return tqdm(total=path.stat().st_size, unit="B", unit_scale=True, desc=path.name)


_MERGE = [
    "CREATE INDEX ON rrf_atoms (rxcui, tty)",
    "CREATE INDEX ON rrf_sats (rxcui, atn)",
    "ANALYZE rrf_atoms",
    "ANALYZE rrf_sats",
    # Concepts: the concept's own atom gives its type; its prescribable name
    # (PSN), where it has one, is the display name.
    """
    CREATE TEMP TABLE rrf_concepts ON COMMIT DROP AS
    SELECT DISTINCT ON (a.rxcui) a.rxcui, a.tty,
           coalesce(p.str, a.str) AS name, s.atv AS strength
    FROM rrf_atoms a
    LEFT JOIN LATERAL (SELECT str FROM rrf_atoms p WHERE p.rxcui = a.rxcui AND p.tty = 'PSN'
                       ORDER BY str LIMIT 1) p ON true
    LEFT JOIN LATERAL (SELECT atv FROM rrf_sats s WHERE s.rxcui = a.rxcui
                       AND s.atn = 'RXN_AVAILABLE_STRENGTH' ORDER BY atv LIMIT 1) s ON true
    WHERE a.tty = ANY(CAST(:concept_ttys AS text[]))
    ORDER BY a.rxcui, array_position(CAST(:concept_ttys AS text[]), a.tty), a.str
    """,
    "CREATE INDEX ON rrf_rels (rela, rxcui2)",
    "CREATE INDEX ON rrf_concepts (rxcui)",
    "ANALYZE rrf_rels",
    "ANALYZE rrf_concepts",
    # Ingredients, following RxNorm's relations (RXCUI2 has RELA to RXCUI1):
    # salts, combinations and brands point at ingredients directly; clinical
    # drugs through their components; branded drugs and packs through the
    # clinical drugs they are forms of or contain.
    """
    CREATE TEMP TABLE rrf_links ON COMMIT DROP AS
    WITH ingredient AS (SELECT rxcui FROM rrf_concepts WHERE tty = 'IN'),
    precise AS (
        SELECT r.rxcui2 AS pin, r.rxcui1 AS ing FROM rrf_rels r
        JOIN ingredient i ON i.rxcui = r.rxcui1 WHERE r.rela = 'form_of'
    ),
    direct AS (
        SELECT r.rxcui2 AS rxcui, r.rxcui1 AS ing FROM rrf_rels r
        JOIN ingredient i ON i.rxcui = r.rxcui1
        WHERE r.rela IN ('form_of', 'has_part', 'tradename_of', 'has_ingredient')
    ),
    component AS (
        SELECT rxcui, ing FROM direct
        UNION
        SELECT r.rxcui2, p.ing FROM rrf_rels r JOIN precise p ON p.pin = r.rxcui1
        WHERE r.rela IN ('has_precise_ingredient', 'has_ingredient')
    ),
    clinical AS (
        SELECT r.rxcui2 AS rxcui, c.ing FROM rrf_rels r JOIN component c ON c.rxcui = r.rxcui1
        WHERE r.rela = 'consists_of'
    ),
    branded AS (
        SELECT r.rxcui2 AS rxcui, c.ing FROM rrf_rels r JOIN clinical c ON c.rxcui = r.rxcui1
        WHERE r.rela IN ('tradename_of', 'contains')
    )
    SELECT DISTINCT x.rxcui, x.ing AS ingredient_rxcui
    FROM (SELECT * FROM component UNION SELECT * FROM clinical UNION SELECT * FROM branded) x
    JOIN rrf_concepts k ON k.rxcui = x.rxcui AND k.tty <> 'IN'
    """,
]

_UPSERTS = {
    "concepts": """
        INSERT INTO drug_concepts AS d (rxcui, tty, name, strength, source, source_version,
                                        licence, imported_at)
        SELECT rxcui, tty, name, strength, CAST(:source AS text), CAST(:version AS text),
               CAST(:licence AS text), CAST(:at AS timestamptz) FROM rrf_concepts
        ON CONFLICT (rxcui) DO UPDATE SET tty = excluded.tty, name = excluded.name,
            strength = excluded.strength, source = excluded.source,
            source_version = excluded.source_version, licence = excluded.licence,
            imported_at = excluded.imported_at
        WHERE (d.tty, d.name, d.strength) IS DISTINCT FROM
              (excluded.tty, excluded.name, excluded.strength)
    """,
    "ingredients": """
        INSERT INTO drug_ingredients (rxcui, ingredient_rxcui, source, source_version, licence,
                                      imported_at)
        SELECT rxcui, ingredient_rxcui, CAST(:source AS text), CAST(:version AS text),
               CAST(:licence AS text), CAST(:at AS timestamptz) FROM rrf_links
        ON CONFLICT DO NOTHING
    """,
    "search_terms": """
        INSERT INTO drug_search_terms (rxcui, term, kind, source, source_version, licence,
                                       imported_at)
        SELECT DISTINCT ON (a.rxcui, a.term) a.rxcui, a.term,
               CASE WHEN k.tty = ANY(CAST(:product_ttys AS text[])) THEN 'product'
                    WHEN a.tty = ANY(CAST(:concept_ttys AS text[])) THEN 'name'
                    ELSE 'synonym' END,
               CAST(:source AS text), CAST(:version AS text),
               CAST(:licence AS text), CAST(:at AS timestamptz)
        FROM rrf_atoms a JOIN rrf_concepts k ON k.rxcui = a.rxcui
        WHERE a.term <> '' AND a.tty <> 'SCDC'
        ORDER BY a.rxcui, a.term
        ON CONFLICT DO NOTHING
    """,
    # A brand is also searched as a name of the ingredients it is a brand of.
    "brand_aliases": """
        INSERT INTO drug_search_terms (rxcui, term, kind, source, source_version, licence,
                                       imported_at)
        SELECT DISTINCT l.ingredient_rxcui, a.term, 'brand', CAST(:source AS text),
               CAST(:version AS text), CAST(:licence AS text), CAST(:at AS timestamptz)
        FROM rrf_links l JOIN rrf_concepts b ON b.rxcui = l.rxcui AND b.tty = 'BN'
        JOIN rrf_atoms a ON a.rxcui = b.rxcui AND a.tty = 'BN'
        ON CONFLICT DO NOTHING
    """,
    "ndcs": """
        INSERT INTO drug_ndcs (ndc, rxcui, source, source_version, licence, imported_at)
        SELECT DISTINCT s.atv, s.rxcui, CAST(:source AS text), CAST(:version AS text),
               CAST(:licence AS text), CAST(:at AS timestamptz)
        FROM rrf_sats s JOIN rrf_concepts k ON k.rxcui = s.rxcui
        WHERE s.atn = 'NDC' AND s.atv ~ '^[0-9]{11}$'
        ON CONFLICT DO NOTHING
    """,
}


async def import_rxnorm(
    session: AsyncSession,
    directory: Path,
    now: datetime,
    *,
    release: str | None = None,
    force: bool = False,
    progress: bool = False,
) -> ImportResult:
    version = release or release_of(directory)
    result = ImportResult(release=version)
    known = await session.scalar(
        select(col(DrugRelease.version)).where(
            col(DrugRelease.source) == SOURCE, col(DrugRelease.version) == version
        )
    )
    if known and not force:
        result.skipped_as_imported = True
        return result
    problems: list[str] = []
    result.read = await _stage(session, directory, problems, progress)
    if problems:
        raise ImportRejected(
            problems[:MAX_REPORTED]
            + (
                [f"... and {len(problems) - MAX_REPORTED} more"]
                if len(problems) > MAX_REPORTED
                else []
            )
        )
    params = {"concept_ttys": list(CONCEPT_TTYS), "product_ttys": list(PRODUCT_TTYS)}
    for statement in _MERGE:
        await session.execute(text(statement), params if ":concept_ttys" in statement else {})
    stamp = {"source": SOURCE, "version": version, "licence": LICENCE, "at": now, **params}
    for name, statement in _UPSERTS.items():
        written = await session.execute(text(statement), stamp)
        result.written[name] = int(getattr(written, "rowcount", 0) or 0)
    concepts = await session.scalar(text("SELECT count(*) FROM rrf_concepts"))
    await session.execute(
        text(
            "INSERT INTO drug_releases (source, version, imported_at, concepts) "
            "VALUES (:source, :version, :at, :n) ON CONFLICT DO NOTHING"
        ),
        {"source": SOURCE, "version": version, "at": now, "n": int(concepts or 0)},
    )
    await refresh_priors(session, now)
    return result
