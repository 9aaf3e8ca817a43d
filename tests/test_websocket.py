"""Subscriptions are served over graphql-transport-ws only."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from starlette.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from prescripcare.app import create_app
from prescripcare.auth.models import Role
from prescripcare.clock import SettableClock
from prescripcare.resources import Resources
from prescripcare.settings import Settings
from tests.factories import Account, account


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


@pytest.fixture
async def me(resources: Resources) -> Account:
    return await account(resources, Role.PATIENT)


def test_an_expected_4403_close_logs_at_info_without_a_traceback(
    migrated: Settings, clock: SettableClock, me: Account, caplog: pytest.LogCaptureFixture
) -> None:
    """Issue 19: every token expires; its close is routine, not an ERROR."""
    with (
        TestClient(create_app(migrated, clock=clock)) as client,
        client.websocket_connect("/graphql", subprotocols=["graphql-transport-ws"]) as ws,
    ):
        init = {"authorization": f"Bearer {me.now_token}"}
        ws.send_json({"type": "connection_init", "payload": init})
        assert ws.receive_json() == {"type": "connection_ack"}
        subscription = {"query": "subscription { reminderStatus { id } }"}
        ws.send_json({"id": "1", "type": "subscribe", "payload": subscription})
        clock.advance(timedelta(minutes=16))
        with caplog.at_level(logging.INFO), pytest.raises(WebSocketDisconnect) as closed:
            ws.receive_json()
    assert closed.value.code == 4403
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING or r.exc_info]
    assert "session ended" in caplog.text
