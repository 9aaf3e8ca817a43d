"""The CHECK constraints the migrations created hold exactly the values of the
enums the models build them from: a value added to an enum without a migration
(or a migration that forgets one) fails here, before a write fails in
production."""

from __future__ import annotations

import re

from sqlalchemy import CheckConstraint, text

from prescripcare import models  # noqa: F401  (registers every table)
from prescripcare.db import metadata
from prescripcare.resources import Resources

_LITERAL = re.compile(r"'([^']*)'")


def _enum_checks() -> dict[str, set[str]]:
    """Constraint name -> the values a model's `IN (...)`/`ARRAY[...]` check allows."""
    checks: dict[str, set[str]] = {}
    for table in metadata.sorted_tables:
        for constraint in table.constraints:
            if isinstance(constraint, CheckConstraint):
                values = set(_LITERAL.findall(str(constraint.sqltext)))
                if values and constraint.name:
                    checks[str(constraint.name)] = values
    return checks


def test_models_build_their_enum_checks() -> None:
    checks = _enum_checks()
    assert checks["ck_doses_status_known"] == {"SCHEDULED", "TAKEN", "SKIPPED", "MISSED"}
    assert "ck_reminders_status_known" in checks
    assert "ck_patients_reminder_channels_known" in checks


async def test_the_database_checks_allow_exactly_the_enum_values(resources: Resources) -> None:
    expected = _enum_checks()
    async with resources.sessions() as session:
        rows = await session.execute(
            text(
                "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
                "WHERE contype = 'c' AND conname = ANY(:names)"
            ),
            {"names": list(expected)},
        )
        found = {name: set(_LITERAL.findall(definition)) for name, definition in rows}
    assert _drift(expected, found) == []


def _drift(expected: dict[str, set[str]], found: dict[str, set[str]]) -> list[str]:
    return [
        f"{name}: the models allow {sorted(values)}, the database {sorted(found.get(name, []))}"
        for name, values in expected.items()
        if found.get(name) != values
    ]


def test_a_drifted_enum_is_caught() -> None:
    """A value the enum gained but no migration added (the planted drift)."""
    found = _enum_checks()
    expected = {**found, "ck_doses_status_known": found["ck_doses_status_known"] | {"PAUSED"}}
    assert _drift(expected, found) == [
        "ck_doses_status_known: the models allow "
        "['MISSED', 'PAUSED', 'SCHEDULED', 'SKIPPED', 'TAKEN'], "
        "the database ['MISSED', 'SCHEDULED', 'SKIPPED', 'TAKEN']"
    ]
