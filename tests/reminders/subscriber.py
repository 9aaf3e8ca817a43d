"""A client of the reminderStatus subscription over Starlette's TestClient:
GraphQL over HTTP, subscribing over graphql-transport-ws, reading events."""

from __future__ import annotations

from typing import Any

from starlette.testclient import TestClient

from tests.factories import Account
from tests.prescriptions.documents import PRESCRIBE, prescription

SUBSCRIBE = """
subscription ReminderStatus($patientId: ID, $after: ID) {
  reminderStatus(patientId: $patientId, after: $after) {
    id
    kind
    at
    channel
    dose { id scheduledAt status prescription { id } }
  }
}"""


def gql(client: TestClient, who: Account, query: str, variables: dict[str, Any]) -> Any:
    response = client.post(
        "/graphql",
        json={"query": query, "variables": variables},
        headers={"Authorization": f"Bearer {who.now_token}"},
    )
    body = response.json()
    assert not body.get("errors"), body
    return body["data"]


def subscribe(ws: Any, token: str | None, variables: dict[str, Any]) -> None:
    ws.send_json(
        {
            "type": "connection_init",
            "payload": {"authorization": f"Bearer {token}"} if token else {},
        }
    )
    assert ws.receive_json() == {"type": "connection_ack"}
    ws.send_json(
        {"id": "1", "type": "subscribe", "payload": {"query": SUBSCRIBE, "variables": variables}}
    )


def next_event(ws: Any) -> dict[str, Any]:
    message = ws.receive_json()
    assert message["type"] == "next", message
    event: dict[str, Any] = message["payload"]["data"]["reminderStatus"]
    return event


def prescribe_and_first_dose(client: TestClient, who: Account, pid: str) -> dict[str, Any]:
    out = gql(client, who, PRESCRIBE, prescription(pid, "6809"))["prescribe"]
    assert out["errors"] == []
    found: dict[str, Any] = out["prescription"]
    return found
