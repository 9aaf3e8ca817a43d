"""application/graphql-response+json with the spec's status codes for
clients that ask for it; application/json, always 200, for the others."""

from __future__ import annotations

import httpx
import pytest

from prescripcare.graphql.media import prefers_graphql_response

MODERN = {"Accept": "application/graphql-response+json, application/json;q=0.9"}


@pytest.mark.parametrize(
    ("query", "reason"),
    [("{ me { id ", "parse"), ("{ me { nope } }", "validation")],
)
async def test_a_request_error_is_400_without_data(
    client: httpx.AsyncClient, query: str, reason: str
) -> None:
    response = await client.post("/graphql", json={"query": query}, headers=MODERN)
    assert response.status_code == 400, reason
    assert response.headers["content-type"].startswith("application/graphql-response+json")
    body = response.json()
    assert "data" not in body and body["errors"][0]["message"]


async def test_a_wrongly_typed_variable_is_400(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/graphql",
        json={"query": "query($id: ID!) { patient(id: $id) { id } }", "variables": {"id": []}},
        headers=MODERN,
    )
    assert response.status_code == 400 and "data" not in response.json()


async def test_an_error_during_execution_is_200_with_data(client: httpx.AsyncClient) -> None:
    response = await client.post("/graphql", json={"query": "{ me { id } }"}, headers=MODERN)
    assert response.status_code == 200
    body = response.json()
    assert (
        body["data"] == {"me": None}
        and body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    )


async def test_plain_json_clients_keep_200(client: httpx.AsyncClient) -> None:
    response = await client.post("/graphql", json={"query": "{ me { nope } }"})
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.json()["errors"]


@pytest.mark.parametrize(
    ("accept", "modern"),
    [
        (None, False),
        ("*/*", False),
        ("application/json", False),
        ("application/graphql-response+json", True),
        ("application/json, application/graphql-response+json", True),
        ("application/graphql-response+json;q=0.5, application/json", False),
        ("application/graphql-response+json;q=0", False),
    ],
)
def test_negotiation(accept: str | None, modern: bool) -> None:
    assert prefers_graphql_response(accept) is modern
