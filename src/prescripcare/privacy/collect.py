"""Every row held about one patient, found by following foreign keys.

Walking the schema's foreign keys from the patient's row means a table added
later is exported and erased without anyone remembering to list it here;
`tests/privacy/test_collect.py` fails if a table is neither reachable from the
patient nor explicitly kept out.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import Table, select
from sqlalchemy.ext.asyncio import AsyncSession

import prescripcare.models  # noqa: F401  (every table registered in the metadata)
from prescripcare.db import metadata

# Catalog tables: reference data about drugs, nothing about a person.
REFERENCE_TABLES = frozenset(
    {
        "drug_concepts",
        "drug_ingredients",
        "drug_atc_codes",
        "drug_search_terms",
        "drug_classes",
        "drug_class_members",
        "drug_interactions",
        "drug_ndcs",
        "drug_releases",
        "drug_prescribing_ranks",
        # Derived from prescriptions as counts per drug: nothing about a person.
        "drug_search_priors",
    }
)
# Secrets are held about the patient but never handed out, even to them: a
# hash of a password or token is of no use to its owner and of use to a thief.
# Blind indexes are keyed hashes for lookups: derived data, and a guessing
# oracle for whoever holds one.
SECRET_COLUMNS = frozenset({"password_hash", "token_hash", "code_hash", "secret"})
SECRET_SUFFIXES = ("_blind_index",)

Row = dict[str, Any]


class _Walk:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.rows: dict[str, list[Row]] = {}
        self.keys: dict[str, set[Any]] = {}
        # (table, column) -> referenced ids already looked up through it
        self.followed: dict[tuple[str, str], set[Any]] = {}

    async def add(self, table: Table, column: str, values: set[Any]) -> bool:
        seen = self.followed.setdefault((table.name, column), set())
        wanted = values - seen
        if not wanted:
            return False
        seen.update(wanted)
        result = await self.session.execute(select(table).where(table.c[column].in_(wanted)))
        have = self.rows.setdefault(table.name, [])
        pk = [c.name for c in table.primary_key.columns]
        known = {tuple(r[c] for c in pk) for r in have}
        for row in result:
            data = dict(row._mapping)
            key = tuple(data[c] for c in pk)
            if key not in known:
                known.add(key)
                have.append(data)
        referred_by = _key_column(table)
        if referred_by is not None:
            self.keys.setdefault(table.name, set()).update(r[referred_by] for r in have)
        return True


def _key_column(table: Table) -> str | None:
    """The column other rows refer to this table's rows by: its key, or `id`
    in a key that also carries a partition key (doses: id, scheduled_at)."""
    pk = [c.name for c in table.primary_key.columns]
    if len(pk) == 1:
        return pk[0]
    return "id" if "id" in pk else None


def owned_by_account() -> list[tuple[Table, str]]:
    """(table, column) of rows an account owns outright: a foreign key to
    `users` that deletes the row with the account (its tokens, its two-factor
    secret). A key that is set to null instead marks authorship (who
    recorded a dose), which leaves the row to the record it is about."""
    return [
        (table, fk.parent.name)
        for table in metadata.sorted_tables
        for fk in table.foreign_keys
        if fk.column.table.name == "users" and fk.ondelete == "CASCADE"
    ]


async def rows_about_patient(
    session: AsyncSession, patient_id: uuid.UUID, user_id: uuid.UUID | None
) -> dict[str, list[Row]]:
    """table name -> rows, from the patient's row and their own account.

    A row belongs to the patient when a foreign key leads from it to a row
    already collected (dose_records -> doses -> patients). References to
    other people (a caregiver's account, the prescriber) are not followed:
    their rows are theirs, and the export names them by id only. From the
    patient's own account only the rows it owns outright (its refresh
    tokens, its two-factor enrolment) are collected, not what it wrote.
    """
    walk = _Walk(session)
    await walk.add(metadata.tables["patients"], "id", {patient_id})
    if user_id is not None:
        await walk.add(metadata.tables["users"], "id", {user_id})
        for table, column in owned_by_account():
            await walk.add(table, column, {user_id})
    changed = True
    while changed:
        changed = False
        for table in metadata.sorted_tables:
            if table.name in REFERENCE_TABLES or table.name in ("patients", "users"):
                continue
            for fk in table.foreign_keys:
                target = fk.column.table.name
                if target == "users" or target not in walk.keys:
                    continue
                # A composite reference (dose id and instant) is followed by
                # its id alone.
                if fk.column.name != _key_column(fk.column.table):
                    continue
                changed |= await walk.add(table, fk.parent.name, walk.keys[target])
    return {name: rows for name, rows in walk.rows.items() if rows}


def without_secrets(row: Row) -> Row:
    return {
        k: v for k, v in row.items() if k not in SECRET_COLUMNS and not k.endswith(SECRET_SUFFIXES)
    }
