"""Abuse limits: a depth, alias or token bomb and an oversized body are
refused with a clear error before any resolver or SQL statement runs; in
production the schema cannot be introspected or probed by suggestions."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from prescripcare.auth.models import Role
from prescripcare.resources import Resources
from tests.conftest import StatementCounter
from tests.factories import account


def _nested(depth: int) -> str:
    """patient → prescriptions → nextDose → prescription → nextDose → ..."""
    inner = "id"
    for level in range(depth):
        inner = f"nextDose {{ id {inner} }}" if level % 2 else f"prescription {{ id {inner} }}"
    nobody = "00000000-0000-0000-0000-000000000000"
    return f'query Deep {{ patient(id: "{nobody}") {{ prescriptions {{ {inner} }} }} }}'


async def _post(
    client: httpx.AsyncClient, token: str, body: dict[str, Any] | list[dict[str, Any]]
) -> httpx.Response:
    return await client.post("/graphql", json=body, headers={"Authorization": f"Bearer {token}"})


@pytest.fixture
async def clinician_token(resources: Resources) -> str:
    return (await account(resources, Role.CLINICIAN)).token


async def test_a_deep_query_is_refused_before_execution(
    client: httpx.AsyncClient, clinician_token: str, count_statements: StatementCounter
) -> None:
    within = await _post(client, clinician_token, {"query": _nested(6)})
    assert "exceeds maximum operation depth" not in within.text
    assert "data" in within.json(), within.text  # valid, executed
    count_statements.count = 0

    response = await _post(client, clinician_token, {"query": _nested(30)})
    body = response.json()
    assert body.get("data") is None
    assert "exceeds maximum operation depth of 12" in body["errors"][0]["message"]
    assert count_statements.count <= 2  # the token check only, no resolver


async def test_an_alias_bomb_is_refused(
    client: httpx.AsyncClient, clinician_token: str, count_statements: StatementCounter
) -> None:
    fields = " ".join(f"a{i}: me {{ id }}" for i in range(31))
    body = (await _post(client, clinician_token, {"query": f"{{ {fields} }}"})).json()
    assert body.get("data") is None
    assert "aliases found. Allowed: 30" in body["errors"][0]["message"]
    assert count_statements.count <= 2

    fine = " ".join(f"a{i}: me {{ id }}" for i in range(30))
    assert (
        not (await _post(client, clinician_token, {"query": f"{{ {fine} }}"})).json().get("errors")
    )


async def test_a_token_bomb_is_refused(client: httpx.AsyncClient, clinician_token: str) -> None:
    query = "{ me { " + " ".join(["id"] * 5000) + " } }"
    body = (await _post(client, clinician_token, {"query": query})).json()
    assert body.get("data") is None
    assert "more than 4000 tokens" in body["errors"][0]["message"]


async def test_an_oversized_body_gets_413_and_is_not_parsed(
    client: httpx.AsyncClient, clinician_token: str, count_statements: StatementCounter
) -> None:
    padding = "x" * (256 * 1024)
    response = await _post(client, clinician_token, {"query": "{ me { id } }", "pad": padding})
    assert response.status_code == 413
    assert response.json()["errors"][0]["extensions"]["code"] == "PAYLOAD_TOO_LARGE"
    assert count_statements.count == 0

    async def streamed() -> AsyncIterator[bytes]:
        yield b'{"query": "{ me { id } }", "pad": "'
        for _ in range(300):
            yield b"x" * 1024
        yield b'"}'

    chunked = await client.post(
        "/graphql",
        content=streamed(),
        headers={"Authorization": f"Bearer {clinician_token}", "Content-Type": "application/json"},
    )
    assert chunked.status_code == 413  # cut off while streaming, before parsing


async def test_production_refuses_introspection_and_gives_no_suggestions(
    production_client: httpx.AsyncClient,
) -> None:
    body = (
        await production_client.post("/graphql", json={"query": "{ __schema { types { name } } }"})
    ).json()
    assert body.get("data") is None
    assert "introspection" in body["errors"][0]["message"].lower()

    probe = (await production_client.post("/graphql", json={"query": "{ patien { id } }"})).json()
    assert "Did you mean" not in probe["errors"][0]["message"]
    assert (
        await production_client.get("/graphql", headers={"Accept": "text/html"})
    ).status_code != 200


async def test_http_batching_is_off(
    client: httpx.AsyncClient, clinician_token: str, count_statements: StatementCounter
) -> None:
    """A JSON array of operations would multiply every per-request limit."""
    count_statements.count = 0
    one = {"query": "{ me { id } }"}
    response = await _post(client, clinician_token, [one, one])
    assert response.status_code == 400
    error = response.json()["errors"][0]
    assert (error["message"], error["extensions"]["code"]) == (
        "Batching is not enabled",
        "BAD_REQUEST",
    )
    assert count_statements.count <= 1
