"""schema.graphql keeps every released client working: compared with the
last released schema, a breaking change fails unless schema-changes.toml
records it with a reason."""

from __future__ import annotations

import tomllib
from pathlib import Path

from graphql import GraphQLSchema, build_schema, find_breaking_changes

ROOT = Path(__file__).resolve().parents[2]
RELEASED = ROOT / "schema.released.graphql"
ALLOWLIST = ROOT / "schema-changes.toml"


def accepted_changes(path: Path) -> dict[str, str]:
    """Description -> reason of each recorded breaking change."""
    entries = tomllib.loads(path.read_text()).get("change", [])
    accepted: dict[str, str] = {}
    for entry in entries:
        description, reason = entry.get("description"), entry.get("reason")
        assert isinstance(description, str) and description, f"{path}: {entry} has no description"
        assert isinstance(reason, str) and reason.strip(), f"{path}: {description!r} has no reason"
        accepted[description] = reason
    return accepted


def unrecorded_breaking_changes(
    released: GraphQLSchema, current: GraphQLSchema, accepted: dict[str, str]
) -> tuple[list[str], list[str]]:
    """Breaking changes nobody recorded, and recorded ones that no longer
    happen (stale entries would silently excuse a future break)."""
    found = [change.description for change in find_breaking_changes(released, current)]
    return [d for d in found if d not in accepted], [d for d in accepted if d not in found]


def test_no_unrecorded_breaking_change_since_the_last_release() -> None:
    released = build_schema(RELEASED.read_text())
    current = build_schema((ROOT / "schema.graphql").read_text())
    unrecorded, stale = unrecorded_breaking_changes(released, current, accepted_changes(ALLOWLIST))
    assert not unrecorded, (
        "breaking schema changes since schema.released.graphql (fix them, or record each "
        "in schema-changes.toml with a reason):\n  " + "\n  ".join(unrecorded)
    )
    assert not stale, f"schema-changes.toml lists changes that no longer happen: {stale}"


RELEASED_SAMPLE = """
type Query { patient(id: ID!): Patient, patients(first: Int): [Patient!]! }
type Patient { id: ID!, name: String!, phone: String }
"""


def test_a_removed_field_or_a_new_required_argument_is_caught(tmp_path: Path) -> None:
    released = build_schema(RELEASED_SAMPLE)
    current = build_schema(
        """
        type Query { patient(id: ID!): Patient, patients(first: Int, ward: ID!): [Patient!]! }
        type Patient { id: ID!, name: String!, email: String }
        """
    )
    unrecorded, _ = unrecorded_breaking_changes(released, current, {})
    assert sorted(unrecorded) == [
        "A required argument Query.patients(ward:) was added.",
        "Field Patient.phone was removed.",
    ]

    allowlist = tmp_path / "changes.toml"
    allowlist.write_text(
        '[[change]]\ndescription = "Field Patient.phone was removed."\n'
        'reason = "No released app reads it."\n'
    )
    unrecorded, stale = unrecorded_breaking_changes(released, current, accepted_changes(allowlist))
    assert unrecorded == ["A required argument Query.patients(ward:) was added."] and not stale


def test_additions_are_not_breaking_and_stale_records_are_reported() -> None:
    released = build_schema(RELEASED_SAMPLE)
    current = build_schema(
        RELEASED_SAMPLE + "extend type Patient { email: String }\n"
        "extend type Query { drugs(first: Int): [String!]! }"
    )
    unrecorded, stale = unrecorded_breaking_changes(
        released, current, {"Field Patient.phone was removed.": "old"}
    )
    assert unrecorded == [] and stale == ["Field Patient.phone was removed."]
