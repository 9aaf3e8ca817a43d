"""Drives tests/e2e/socket-session.mjs (the graphql-ws client) from a test:
commands in, events out, one JSON line each."""

from __future__ import annotations

import json
import queue
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt

from prescripcare.resources import Resources
from tests.e2e.live import HERE
from tests.factories import Account

Event = dict[str, Any]


def live_token(resources: Resources, who: Account, lifetime: timedelta | None = None) -> str:
    """An access token of `who`'s login on the real clock (the live API's),
    expiring after `lifetime` (a whole token's life by default)."""
    issued = jwt.decode(who.token, options={"verify_signature": False})["iat"]
    claims = resources.tokens.decode(who.token, datetime.fromtimestamp(issued, tz=UTC))
    full = timedelta(minutes=resources.settings.access_token_minutes)
    issued_at = datetime.now(UTC) - full + (lifetime or full)
    return resources.tokens.issue(who.id, who.role, claims.family_id, issued_at)


class SocketClient:
    def __init__(self, process: subprocess.Popen[str]) -> None:
        self.process = process
        self.events: queue.Queue[Event] = queue.Queue()
        self.seen: list[Event] = []
        self._count = 0
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.events.put(json.loads(line))

    def _send(self, command: dict[str, Any]) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(json.dumps(command) + "\n")
        self.process.stdin.flush()

    def wait_for(self, wanted: Callable[[Event], bool], timeout: float = 30) -> Event:
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            assert remaining > 0, f"no matching event; seen {self.seen}"
            try:
                event = self.events.get(timeout=remaining)
            except queue.Empty:
                continue
            self.seen.append(event)
            if wanted(event):
                return event

    def start(
        self,
        query: str,
        variables: dict[str, Any] | None = None,
        extensions: dict[str, Any] | None = None,
        *,
        stream: bool = False,
    ) -> str:
        self._count += 1
        op_id = f"op{self._count}"
        command = {"do": "stream" if stream else "run", "id": op_id, "query": query}
        self._send(command | {"variables": variables or {}, "extensions": extensions or {}})
        return op_id

    def run(
        self,
        query: str,
        variables: dict[str, Any] | None = None,
        extensions: dict[str, Any] | None = None,
    ) -> Event:
        """The operation's end: {"complete": True, "results": [...]} or {"error": ...}."""
        op_id = self.start(query, variables, extensions)
        return self.wait_for(lambda e: e.get("id") == op_id and "next" not in e)

    def data(self, query: str, variables: dict[str, Any] | None = None) -> Any:
        ended = self.run(query, variables)
        assert ended.get("complete") and not ended["results"][0].get("errors"), ended
        return ended["results"][0]["data"]


@contextmanager
def socket_client(
    api: str, token: str, refresh_token: str | None = None, retries: int = 0
) -> Iterator[SocketClient]:
    """A connected graphql-ws client of the live API at `api`."""
    ws_url = api.replace("http://", "ws://") + "/graphql"
    process = subprocess.Popen(
        [
            "node",
            str(HERE / "socket-session.mjs"),
            ws_url,
            api + "/graphql",
            token,
            refresh_token or "-",
            str(retries),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    client = SocketClient(process)
    try:
        client.wait_for(lambda e: e.get("event") == "connected")
        yield client
    finally:
        if process.poll() is None:
            process.kill()
        process.wait()
