"""Every table holding data about people is reached by export and erasure."""

from __future__ import annotations

from prescripcare.db import metadata
from prescripcare.privacy.collect import REFERENCE_TABLES, owned_by_account

# Tables deliberately not reached by the walk: about a patient but kept apart
# on purpose, or about no one (backup_runs: when backups ran, where they went).
KEPT_APART = {"erasure_ledger", "audit_log", "audit_chain_head", "backup_runs"}


def reachable_from_patient() -> set[str]:
    reached = {"patients", "users"} | {table.name for table, _ in owned_by_account()}
    changed = True
    while changed:
        changed = False
        for table in metadata.sorted_tables:
            if table.name in reached or table.name in REFERENCE_TABLES:
                continue
            targets = {fk.column.table.name for fk in table.foreign_keys} - {"users"}
            if targets & reached:
                reached.add(table.name)
                changed = True
    return reached


def test_every_table_is_reached_or_named() -> None:
    """A new table must either hang off a patient (and so be exported and
    erased) or be named here as reference data or kept apart on purpose."""
    unaccounted = set(metadata.tables) - reachable_from_patient() - REFERENCE_TABLES - KEPT_APART
    assert unaccounted == set()
