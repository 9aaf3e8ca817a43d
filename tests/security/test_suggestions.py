"""Issue 19: in production no error suggests a name ("Did you mean ..."),
whatever was misspelt: a field, an argument, an enum value (in the document
or a variable), an input field or a type. Development keeps them for
GraphiQL."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

TYPOS: list[tuple[str, dict[str, Any]]] = [
    ("{ patien { id } }", {}),  # field
    ('{ patient(idd: "x") { id } }', {}),  # argument
    ("{ patients(orderBy: NAM) { totalCount } }", {}),  # enum value, literal
    (
        "query($o: PatientOrder!) { patients(orderBy: $o) { totalCount } }",
        {"o": "NAM"},
    ),  # enum value, variable
    (
        'mutation { updatePatient(id: "x", input: {nam: "A"}) { errors { code } } }',
        {},
    ),  # input field, literal
    (
        "mutation($i: UpdatePatientInput!) "
        '{ updatePatient(id: "x", input: $i) { errors { code } } }',
        {"i": {"nam": "A"}},
    ),  # input field, variable
    ("query($o: PatientOrdr!) { patients(orderBy: $o) { totalCount } }", {"o": "NAME"}),  # type
    ("{ me { ... on Usr { id } } }", {}),  # type in a fragment
]


@pytest.mark.parametrize(("query", "variables"), TYPOS)
async def test_production_suggests_nothing(
    production_client: httpx.AsyncClient,
    client: httpx.AsyncClient,
    query: str,
    variables: dict[str, Any],
) -> None:
    body = {"query": query, "variables": variables}
    development = (await client.post("/graphql", json=body)).json()
    assert "Did you mean" in str(development["errors"]), development  # the probe works
    production = (await production_client.post("/graphql", json=body)).json()
    assert production["errors"], production
    assert "Did you mean" not in str(production), production
