"""Subscriptions are served over graphql-transport-ws only."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from prescripcare.app import create_app
from prescripcare.settings import Settings


def test_graphql_transport_ws_is_accepted_and_wants_a_token(migrated: Settings) -> None:
    with (
        TestClient(create_app(migrated)) as client,
        client.websocket_connect("/graphql", subprotocols=["graphql-transport-ws"]) as ws,
    ):
        assert ws.accepted_subprotocol == "graphql-transport-ws"
        ws.send_json({"type": "connection_init", "payload": {"authorization": "Bearer junk"}})
        with pytest.raises(WebSocketDisconnect) as refused:
            ws.receive_json()
        assert refused.value.code == 4403


def test_the_legacy_graphql_ws_protocol_is_refused(migrated: Settings) -> None:
    with TestClient(create_app(migrated)) as client:
        with (
            pytest.raises(WebSocketDisconnect) as refused,
            client.websocket_connect("/graphql", subprotocols=["graphql-ws"]) as ws,
        ):
            ws.receive_json()
        assert refused.value.code == 4406
