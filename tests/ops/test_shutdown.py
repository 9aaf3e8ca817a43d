"""SIGTERM drains the API: a request already being received finishes with
200, new connections are refused meanwhile, and the process exits 0."""

from __future__ import annotations

import asyncio
import json
import signal
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed
from websockets.typing import Subprotocol

from prescripcare.auth.models import Role
from prescripcare.resources import Resources
from prescripcare.settings import Settings
from tests.factories import account
from tests.ops.scrape import scrape
from tests.processes import free_port, kill, serve, wait_healthy


async def _refused(port: int) -> bool:
    try:
        _, writer = await asyncio.open_connection("127.0.0.1", port)
    except OSError:
        return True
    writer.close()
    return False


async def test_sigterm_closes_subscriptions_with_service_restart(
    migrated: Settings, resources: Resources, tmp_path: Path
) -> None:
    doctor = await account(resources, Role.CLINICIAN)
    family = resources.tokens.decode(doctor.token, resources.clock.now()).family_id
    # The API process checks expiry on the real clock, not the suite's.
    token = resources.tokens.issue(doctor.id, Role.CLINICIAN, family, datetime.now(UTC))
    port = free_port()
    process = serve(migrated, port, tmp_path, stderr=subprocess.PIPE)
    try:
        await asyncio.to_thread(wait_healthy, f"http://127.0.0.1:{port}", process)
        async with connect(
            f"ws://127.0.0.1:{port}/graphql", subprotocols=[Subprotocol("graphql-transport-ws")]
        ) as ws:
            await ws.send(
                json.dumps(
                    {"type": "connection_init", "payload": {"authorization": f"Bearer {token}"}}
                )
            )
            assert json.loads(await ws.recv())["type"] == "connection_ack"
            await ws.send(
                json.dumps(
                    {
                        "id": "1",
                        "type": "subscribe",
                        "payload": {"query": "subscription { reminderStatus { id kind } }"},
                    }
                )
            )
            await asyncio.sleep(0.5)  # the subscription is streaming
            async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http:
                assert (await scrape(http))["prescripcare_active_subscriptions{}"] == 1
            process.send_signal(signal.SIGTERM)
            with pytest.raises(ConnectionClosed) as closed:
                await asyncio.wait_for(ws.recv(), timeout=15)
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 1012
        assert await asyncio.to_thread(process.wait, 30) == 0
    finally:
        kill(process)


async def test_sigterm_lets_a_request_in_flight_finish_and_exits_zero(
    migrated: Settings, tmp_path: Path
) -> None:
    port = free_port()
    process = serve(migrated, port, tmp_path, stderr=subprocess.PIPE)
    try:
        await asyncio.to_thread(wait_healthy, f"http://127.0.0.1:{port}", process)
        body = json.dumps({"query": "{ __typename }"}).encode()
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(
            b"POST /graphql HTTP/1.1\r\nHost: api\r\nContent-Type: application/json\r\n"
            + f"Content-Length: {len(body)}\r\n\r\n".encode()
            + body[:10]
        )
        await writer.drain()
        await asyncio.sleep(0.3)  # the server is now inside the request

        process.send_signal(signal.SIGTERM)
        for _ in range(50):
            if await _refused(port):
                break
            await asyncio.sleep(0.1)
        else:
            pytest.fail("the API kept accepting connections after SIGTERM")
        assert process.poll() is None, "the API exited with a request in flight"

        writer.write(body[10:])
        await writer.drain()
        response = await asyncio.wait_for(reader.read(), timeout=20)
        writer.close()
        assert response.startswith(b"HTTP/1.1 200"), response[:200]
        assert b'"__typename":"Query"' in response
        exit_code = await asyncio.to_thread(process.wait, 30)
        assert exit_code == 0, process.stderr.read() if process.stderr else b""
    finally:
        kill(process)
