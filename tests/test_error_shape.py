"""One error shape: every error a client can cause carries `extensions.code`,
and no message shows a Python repr of what the client sent."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.conftest import GraphQLClient

PRESCRIBE = "mutation($input: PrescribeInput!) { prescribe(input: $input) { errors { code } } }"
PYTHON_REPR = re.compile(r"\{'|': |\bNone\b|\bTrue\b|\bFalse\b|\[\.\.\.\]")

CASES: list[tuple[str, str, dict[str, Any] | None, str | None, str | None]] = [
    ("syntax", "query { me { id", None, "GRAPHQL_PARSE_FAILED", None),
    ("unknown field", "query { nosuch }", None, "GRAPHQL_VALIDATION_FAILED", None),
    (
        "literal of the wrong type",
        'query { patients(first: "ten") { totalCount } }',
        None,
        "GRAPHQL_VALIDATION_FAILED",
        None,
    ),
    (
        "missing required input field",
        PRESCRIBE,
        {"input": {"patientId": "x", "schedule": {"timesOfDay": ["08:00"]}}},
        "BAD_USER_INPUT",
        "input.rxcui",
    ),
    ("missing variable", PRESCRIBE, {}, "BAD_USER_INPUT", "input"),
    (
        "nested scalar",
        PRESCRIBE,
        {
            "input": {
                "patientId": "x",
                "rxcui": "1",
                "dose": {"quantity": "a", "unit": "mg"},
                "schedule": {"asNeeded": True},
                "startDate": "2026-01-01",
            }
        },
        "BAD_USER_INPUT",
        "input.dose.quantity",
    ),
    (
        "unknown input field",
        PRESCRIBE,
        {
            "input": {
                "patientId": "x",
                "rxcui": "1",
                "dose": {"quantity": 1, "unit": "mg"},
                "schedule": {"asNeeded": True},
                "startDate": "2026-01-01",
                "colour": None,
            }
        },
        "BAD_USER_INPUT",
        "input.colour",
    ),
    (
        "int variable",
        "query($n: Int) { patients(first: $n) { totalCount } }",
        {"n": "ten"},
        "BAD_USER_INPUT",
        "n",
    ),
    (
        "null for non-null",
        "query($id: ID!) { patient(id: $id) { id } }",
        {"id": None},
        "BAD_USER_INPUT",
        "id",
    ),
    ("no operation chosen", "query A { me { id } } query B { me { id } }", None, None, None),
]


@pytest.mark.parametrize(
    ("query", "variables", "code", "field"),
    [pytest.param(q, v, c, f, id=name) for name, q, v, c, f in CASES],
)
async def test_every_client_error_has_a_code_and_no_python_repr(
    gql: GraphQLClient,
    query: str,
    variables: dict[str, Any] | None,
    code: str | None,
    field: str | None,
) -> None:
    body = await gql.raw(query, variables)
    errors = body["errors"]
    assert errors
    for error in errors:
        assert error.get("extensions", {}).get("code"), error
        assert not PYTHON_REPR.search(error["message"]), error["message"]
    if code is not None:
        assert {e["extensions"]["code"] for e in errors} == {code}, errors
    if field is not None:
        assert field in [e["extensions"].get("field") for e in errors], errors


async def test_the_value_sent_is_shown_as_json(gql: GraphQLClient) -> None:
    body = await gql.raw(PRESCRIBE, {"input": {"patientId": "x", "schedule": {"timesOfDay": []}}})
    message = body["errors"][0]["message"]
    assert message.endswith('found: {"patientId": "x", "schedule": {"timesOfDay": []}}.'), message
