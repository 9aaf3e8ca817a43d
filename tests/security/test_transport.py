"""Malformed requests: every one is a clear 4xx with a GraphQL error body
and a code, nothing is written, and the next valid request is served."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from prescripcare.auth.models import Role
from prescripcare.graphql import textguard
from prescripcare.resources import Resources
from tests.factories import Account, account
from tests.security.conftest import row_counts

CREATE = (
    "mutation CreatePatient($input: CreatePatientInput!) "
    "{ createPatient(input: $input) { patient { id } errors { code } } }"
)
VALID: dict[str, Any] = {
    "query": CREATE,
    "variables": {"input": {"name": "Ok", "dateOfBirth": "1970-01-01", "timezone": "UTC"}},
}
VALID_JSON = json.dumps(VALID).encode()
JSON = "application/json"

# (what, content type, body, status, code)
MALFORMED: list[tuple[str, str, bytes, int, str]] = [
    ("truncated JSON", JSON, VALID_JSON[:-5], 400, "BAD_REQUEST"),
    ("not JSON at all", JSON, b"query=mutation{x}", 400, "BAD_REQUEST"),
    ("invalid UTF-8", JSON, b'{"query": "{ me { id } }\xff"}', 400, "BAD_REQUEST"),
    ("a lone surrogate", JSON, b'{"query": "{ me { id } }", "x": "\\ud800"}', 400, "BAD_REQUEST"),
    (
        "nesting 5,000 deep",
        JSON,
        b'{"query": "{ me { id } }", "variables": {"a": ' + b"[" * 5000 + b"]" * 5000 + b"}}",
        400,
        "BAD_REQUEST",
    ),
    ("a JSON number", JSON, b"1", 400, "BAD_REQUEST"),
    ("a JSON string", JSON, b'"{ me { id } }"', 400, "BAD_REQUEST"),
    ("JSON null", JSON, b"null", 400, "BAD_REQUEST"),
    ("an empty body", JSON, b"", 400, "BAD_REQUEST"),
    ("a batch", JSON, b"[" + VALID_JSON + b"]", 400, "BAD_REQUEST"),
    ("no query", JSON, b'{"variables": {}}', 400, "BAD_REQUEST"),
    ("query is a number", JSON, b'{"query": 1}', 400, "BAD_REQUEST"),
    ("query is an object", JSON, b'{"query": {"a": 1}}', 400, "BAD_REQUEST"),
    (
        "variables a list",
        JSON,
        json.dumps({**VALID, "variables": [1]}).encode(),
        400,
        "BAD_REQUEST",
    ),
    (
        "variables a string",
        JSON,
        json.dumps({**VALID, "variables": "{}"}).encode(),
        400,
        "BAD_REQUEST",
    ),
    (
        "extensions a list",
        JSON,
        json.dumps({**VALID, "extensions": []}).encode(),
        400,
        "BAD_REQUEST",
    ),
    ("text/plain", "text/plain", VALID_JSON, 415, "UNSUPPORTED_MEDIA_TYPE"),
    ("no content type", "", VALID_JSON, 415, "UNSUPPORTED_MEDIA_TYPE"),
    (
        "a form",
        "application/x-www-form-urlencoded",
        b"query=" + CREATE.encode(),
        415,
        "UNSUPPORTED_MEDIA_TYPE",
    ),
    (
        "multipart",
        "multipart/form-data; boundary=x",
        b'--x\r\nContent-Disposition: form-data; name="operations"\r\n\r\n'
        + VALID_JSON
        + b"\r\n--x--\r\n",
        415,
        "UNSUPPORTED_MEDIA_TYPE",
    ),
]


@pytest.fixture
async def clinician(production_resources: Resources) -> Account:
    return await account(production_resources, Role.CLINICIAN)


def _refusal(response: httpx.Response) -> tuple[int, str]:
    assert response.headers["content-type"].startswith(JSON), response.text
    body = response.json()
    assert body["data"] is None and body["errors"][0]["message"], body
    return response.status_code, body["errors"][0]["extensions"]["code"]


async def _still_serving(client: httpx.AsyncClient, who: Account) -> None:
    ok = await client.post(
        "/graphql",
        json={"query": "{ me { id } }"},
        headers={"Authorization": f"Bearer {who.token}"},
    )
    assert ok.status_code == 200 and ok.json()["data"]["me"]["id"] == str(who.id)


async def test_malformed_requests_are_refused_with_a_graphql_error_body(
    production_client: httpx.AsyncClient, production_resources: Resources, clinician: Account
) -> None:
    before = await row_counts(production_resources)
    seen = {}
    for what, content_type, body, _status, _code in MALFORMED:
        headers = {"Authorization": f"Bearer {clinician.token}"}
        if content_type:
            headers["Content-Type"] = content_type
        response = await production_client.post("/graphql", content=body, headers=headers)
        seen[what] = _refusal(response)
    assert seen == {what: (status, code) for what, _t, _b, status, code in MALFORMED}
    assert await row_counts(production_resources) == before
    await _still_serving(production_client, clinician)


async def test_get_may_read_but_never_write(
    production_client: httpx.AsyncClient, production_resources: Resources, clinician: Account
) -> None:
    auth = {"Authorization": f"Bearer {clinician.token}"}
    before = await row_counts(production_resources)
    mutation = await production_client.get(
        "/graphql",
        params={"query": CREATE, "variables": json.dumps(VALID["variables"])},
        headers=auth,
    )
    assert _refusal(mutation) == (400, "BAD_REQUEST")
    assert "not allowed when using GET" in mutation.json()["errors"][0]["message"]
    for variables in ("{not json", "[1]", "3"):
        bad = await production_client.get(
            "/graphql", params={"query": "{ me { id } }", "variables": variables}, headers=auth
        )
        assert _refusal(bad) == (400, "BAD_REQUEST"), variables
    put = await production_client.put("/graphql", content=VALID_JSON, headers=auth)
    assert put.status_code == 405
    assert await row_counts(production_resources) == before
    read = await production_client.get("/graphql", params={"query": "{ me { id } }"}, headers=auth)
    assert read.status_code == 200 and read.json()["data"]["me"]["id"] == str(clinician.id)


async def test_huge_variable_values_are_refused_or_answered_never_a_server_error(
    production_client: httpx.AsyncClient, production_resources: Resources, clinician: Account
) -> None:
    auth = {"Authorization": f"Bearer {clinician.token}"}
    before = await row_counts(production_resources)
    huge = [
        # The longest string that fits in a body.
        ("query DrugSearch($q: String!) { drugs(search: $q) { rxcui } }", {"q": "x" * 250_000}),
        # More list items than PostgreSQL takes bind parameters (32,767).
        (
            "query I($r: [String!]!) { interactions(rxcuis: $r) { severity } }",
            {"r": ["1"] * 50_000},
        ),
        ("query P($f: Int) { patients(first: $f) { totalCount } }", {"f": 2**40}),
        ("query P($a: String) { patients(after: $a) { totalCount } }", {"a": "=" * 200_000}),
        (CREATE, {"input": {**VALID["variables"]["input"], "name": "N" * 200_000}}),
    ]
    for query, variables in huge:
        response = await production_client.post(
            "/graphql", json={"query": query, "variables": variables}, headers=auth
        )
        assert response.status_code < 500, response.text[:300]
        body = response.json()
        assert body.get("errors") or body["data"]["createPatient"]["errors"], body
        assert "INTERNAL_SERVER_ERROR" not in response.text, response.text[:300]
    assert await row_counts(production_resources) == before
    await _still_serving(production_client, clinician)


async def test_a_failure_outside_resolvers_is_masked_too(
    production_client: httpx.AsyncClient, clinician: Account, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A schema extension that breaks ends the operation before the error
    presenter runs: the client still gets a masked error with a request id."""

    def broken(text: str) -> bool:
        raise RuntimeError("secret detail from deep inside")

    monkeypatch.setattr(textguard, "storable", broken)
    response = await production_client.post(
        "/graphql",
        json={"query": "{ me { id } }", "variables": {"x": "y"}},
        headers={"Authorization": f"Bearer {clinician.token}", "X-Request-ID": "req-123"},
    )
    assert response.status_code == 200
    assert "secret detail" not in response.text
    error = response.json()["errors"][0]
    assert error["extensions"] == {"code": "INTERNAL_SERVER_ERROR", "requestId": "req-123"}
    await _still_serving(production_client, clinician)


async def test_variables_nested_as_deep_as_json_allows_are_no_server_error(
    production_client: httpx.AsyncClient, clinician: Account
) -> None:
    body = b'{"query": "{ me { id } }", "variables": {"a": ' + b"[" * 1000 + b"]" * 1000 + b"}}"
    response = await production_client.post(
        "/graphql",
        content=body,
        headers={"Authorization": f"Bearer {clinician.token}", "Content-Type": JSON},
    )
    assert response.status_code == 200
    assert response.json() == {"data": {"me": {"id": str(clinician.id)}}}


@pytest.mark.parametrize("method", ["POST", "GET"])
async def test_a_subscription_over_http_is_a_clear_4xx(
    production_client: httpx.AsyncClient, production_resources: Resources, method: str
) -> None:
    """Issue 19: subscriptions are served on the WebSocket only; over HTTP
    the answer says so, instead of a masked internal error."""
    who = await account(production_resources, Role.PATIENT)
    document = "subscription { reminderStatus { id } }"
    headers = {"Authorization": f"Bearer {who.token}"}
    if method == "POST":
        response = await production_client.post(
            "/graphql", json={"query": document}, headers=headers
        )
    else:
        response = await production_client.get(
            "/graphql", params={"query": document}, headers=headers
        )
    assert 400 <= response.status_code < 500, response.text
    (error,) = response.json()["errors"]
    assert error["extensions"]["code"] in ("BAD_REQUEST", "METHOD_NOT_ALLOWED")
    assert "WebSocket" in error["message"]
