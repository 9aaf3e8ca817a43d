"""Trusted documents: the contract's operations are known by their SHA-256,
clients may send the hash alone (Apollo's persisted-query shape), and in
trusted-only mode nothing else runs."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from graphql import OperationDefinitionNode, parse
from starlette.testclient import TestClient

from prescripcare.app import create_app
from prescripcare.auth.models import Role
from prescripcare.cli import main
from prescripcare.clock import SettableClock
from prescripcare.graphql.trusted import (
    ManifestError,
    contract_manifest,
    load_manifests,
    read_manifest,
    sha256_hex,
    split_documents,
)
from prescripcare.resources import Resources
from prescripcare.settings import Settings
from tests.conftest import StatementCounter, asgi_client
from tests.contract.documents import outside_contract_dir
from tests.factories import Account, account

# The contract's Me, spaced as in operations.graphql rather than as printed.
ME = """query Me {
  me { id email role patient { id name } }
}"""
UNTRUSTED = "query Mine { me { id email } }"


def _by_name() -> dict[str, tuple[str, str]]:
    """Operation name -> (hash, document) of the shipped manifest."""
    out = {}
    for digest, text in contract_manifest().items():
        [operation] = [d for d in parse(text).definitions if isinstance(d, OperationDefinitionNode)]
        assert operation.name is not None
        out[operation.name.value] = (digest, text)
    return out


def _persisted(digest: str) -> dict[str, Any]:
    return {"persistedQuery": {"version": 1, "sha256Hash": digest}}


def test_the_shipped_manifest_is_the_contract_built_by_the_cli(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = outside_contract_dir() / "operations.graphql"
    output = tmp_path / "manifest.json"
    main(["trusted-documents", "build", str(source), "--output", str(output)])
    assert "24 trusted documents" in capsys.readouterr().err
    built = read_manifest(output.read_bytes(), str(output))
    assert built == contract_manifest(), "rebuild src/prescripcare/graphql/trusted_documents.json"
    names = set(_by_name())
    assert {"Me", "RecordDose", "PatientDashboard", "ReminderStatus"} <= names
    for digest, text in built.items():
        assert sha256_hex(text) == digest


def test_an_operation_carries_the_fragments_it_uses_and_no_others() -> None:
    source = """
    fragment Who on User { id email ...Role }
    fragment Role on User { role }
    fragment Unused on User { id }
    query A { me { ...Who } }
    query B { me { id } }
    """
    documents = sorted(split_documents(source).values())
    assert documents[0].startswith("query A {") and "fragment Who" in documents[0]
    assert "fragment Role" in documents[0] and "Unused" not in documents[0]
    assert documents[1] == "query B {\n  me {\n    id\n  }\n}"


def test_a_manifest_that_lies_about_a_hash_is_refused(tmp_path: Path) -> None:
    lying = tmp_path / "lying.json"
    lying.write_text(json.dumps({sha256_hex("query A { me { id } }"): "mutation { logout }"}))
    with pytest.raises(ManifestError, match="is not the SHA-256"):
        load_manifests(str(lying))
    apollo = tmp_path / "apollo.json"
    body = "query A { me { id } }"
    apollo.write_text(
        json.dumps(
            {
                "format": "apollo-persisted-query-manifest",
                "version": 1,
                "operations": [{"id": sha256_hex(body), "body": body, "name": "A"}],
            }
        )
    )
    codegen = tmp_path / "codegen.json"
    other = "query B { me { email } }"
    codegen.write_text(json.dumps({sha256_hex(other): other}))
    both = load_manifests(f"{apollo}, {codegen}")
    assert both == {sha256_hex(body): body, sha256_hex(other): other}


@pytest.fixture
async def trusted_client(
    migrated: Settings, clock: SettableClock
) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(migrated.model_copy(update={"trusted_documents_only": True}), clock=clock)
    async with app.router.lifespan_context(app), asgi_client(app) as c:
        yield c


@pytest.fixture
async def patient_account(resources: Resources) -> Account:
    return await account(resources, Role.PATIENT)


async def _post(client: httpx.AsyncClient, who: Account, body: dict[str, Any]) -> httpx.Response:
    return await client.post(
        "/graphql", json=body, headers={"Authorization": f"Bearer {who.now_token}"}
    )


async def test_trusted_only_accepts_every_contract_operation_by_hash_alone(
    trusted_client: httpx.AsyncClient, patient_account: Account
) -> None:
    for name, (digest, _text) in _by_name().items():
        if name == "ReminderStatus":
            continue  # a subscription: over the socket, below
        response = await _post(trusted_client, patient_account, {"extensions": _persisted(digest)})
        codes = [e.get("extensions", {}).get("code") for e in response.json().get("errors", [])]
        assert "PERSISTED_QUERY_NOT_FOUND" not in codes, (name, response.text)
        # Ran: the patient's own answer, or bad variables.
        assert response.status_code == 200, (name, response.text)

    me = await _post(
        trusted_client, patient_account, {"extensions": _persisted(_by_name()["Me"][0])}
    )
    assert me.json()["data"]["me"]["id"] == str(patient_account.id)


async def test_trusted_only_refuses_other_documents_without_running_them(
    trusted_client: httpx.AsyncClient,
    patient_account: Account,
    count_statements: StatementCounter,
) -> None:
    count_statements.count = 0
    response = await _post(trusted_client, patient_account, {"query": UNTRUSTED})
    assert response.status_code == 200
    assert response.json() == {
        "data": None,
        "errors": [
            {
                "message": "This server runs only trusted documents and the operation is "
                "not one of them.",
                "extensions": {"code": "PERSISTED_QUERY_NOT_FOUND"},
            }
        ],
    }
    assert count_statements.count <= 1  # the token check only
    # An invalid document gets the same answer, not a validation error naming fields.
    probe = await _post(trusted_client, patient_account, {"query": "{ patien { id } }"})
    assert probe.json()["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"


async def test_trusted_only_accepts_the_contract_text_however_it_is_spaced(
    trusted_client: httpx.AsyncClient, patient_account: Account
) -> None:
    _digest, text = _by_name()["Me"]
    for query in (text, " ".join(text.split()), ME):
        response = await _post(trusted_client, patient_account, {"query": query})
        assert response.json()["data"]["me"]["id"] == str(patient_account.id), query


async def test_an_unknown_hash_is_persisted_query_not_found(
    client: httpx.AsyncClient, patient_account: Account
) -> None:
    unknown = sha256_hex(UNTRUSTED)
    response = await _post(client, patient_account, {"extensions": _persisted(unknown)})
    assert response.status_code == 200  # as Apollo Server: the link then sends the text
    assert response.json()["errors"] == [
        {"message": "PersistedQueryNotFound", "extensions": {"code": "PERSISTED_QUERY_NOT_FOUND"}}
    ]
    # Outside trusted-only mode, text with its right hash runs...
    both = await _post(
        client, patient_account, {"query": UNTRUSTED, "extensions": _persisted(unknown)}
    )
    assert both.json()["data"]["me"]["email"] == patient_account.email
    # ...and so does text alone.
    plain = await _post(client, patient_account, {"query": UNTRUSTED})
    assert plain.json()["data"]["me"]["email"] == patient_account.email


async def test_a_hash_that_does_not_match_the_text_is_refused(
    client: httpx.AsyncClient, patient_account: Account
) -> None:
    wrong = _by_name()["Me"][0]
    response = await _post(
        client, patient_account, {"query": UNTRUSTED, "extensions": _persisted(wrong)}
    )
    assert response.json()["data"] is None
    assert response.json()["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_HASH_MISMATCH"


@pytest.mark.parametrize(
    "persisted",
    [{"version": 2, "sha256Hash": "0" * 64}, {"version": 1, "sha256Hash": "xyz"}, "abc"],
)
async def test_a_malformed_persisted_query_is_bad_user_input(
    client: httpx.AsyncClient, patient_account: Account, persisted: object
) -> None:
    response = await _post(client, patient_account, {"extensions": {"persistedQuery": persisted}})
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_get_accepts_a_hash_alone(
    trusted_client: httpx.AsyncClient, patient_account: Account
) -> None:
    digest = _by_name()["Me"][0]
    response = await trusted_client.get(
        "/graphql",
        params={"extensions": json.dumps(_persisted(digest))},
        headers={"Authorization": f"Bearer {patient_account.now_token}"},
    )
    assert response.json()["data"]["me"]["id"] == str(patient_account.id)
    refused = await trusted_client.get(
        "/graphql",
        params={"query": UNTRUSTED},
        headers={"Authorization": f"Bearer {patient_account.now_token}"},
    )
    assert refused.json()["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"


async def test_a_retried_mutation_sent_by_hash_is_the_same_request(
    trusted_client: httpx.AsyncClient, patient_account: Account
) -> None:
    digest, text = _by_name()["UpdatePatient"]
    variables = {"id": str(patient_account.patient_id), "input": {"name": "Ann Hash"}}
    headers = {"Authorization": f"Bearer {patient_account.now_token}", "Idempotency-Key": "k1"}
    first = await trusted_client.post(
        "/graphql", json={"query": text, "variables": variables}, headers=headers
    )
    retry = await trusted_client.post(
        "/graphql",
        json={"extensions": _persisted(digest), "variables": variables},
        headers=headers,
    )
    assert first.json()["data"]["updatePatient"]["patient"]["name"] == "Ann Hash"
    assert retry.headers["idempotent-replayed"] == "true"
    assert retry.content == first.content


@pytest.fixture
def trusted_socket(migrated: Settings, clock: SettableClock) -> Iterator[TestClient]:
    app = create_app(migrated.model_copy(update={"trusted_documents_only": True}), clock=clock)
    with TestClient(app) as test_client:
        yield test_client


def test_the_socket_takes_a_hash_alone_and_refuses_other_documents(
    trusted_socket: TestClient, patient_account: Account
) -> None:
    digest = _by_name()["Me"][0]
    with trusted_socket.websocket_connect("/graphql", subprotocols=["graphql-transport-ws"]) as ws:
        ws.send_json(
            {
                "type": "connection_init",
                "payload": {"authorization": f"Bearer {patient_account.now_token}"},
            }
        )
        assert ws.receive_json() == {"type": "connection_ack"}
        ws.send_json(
            {"id": "1", "type": "subscribe", "payload": {"extensions": _persisted(digest)}}
        )
        answer = ws.receive_json()
        assert answer["type"] == "next", answer
        assert answer["payload"]["data"]["me"]["id"] == str(patient_account.id)
        assert ws.receive_json() == {"id": "1", "type": "complete"}

        ws.send_json({"id": "2", "type": "subscribe", "payload": {"query": UNTRUSTED}})
        refused = ws.receive_json()
        assert refused["type"] == "error" and refused["id"] == "2"
        assert refused["payload"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"
