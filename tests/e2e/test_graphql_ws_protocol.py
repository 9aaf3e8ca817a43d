"""GraphQL over WebSocket (graphql-transport-ws): the protocol's edge cases
end with the close codes the protocol names. Cases the graphql-ws client can
produce are driven through it; the others (a second connection_init, a
subscribe before the ack, a reused operation id) are raw frames sent with
the `ws` package, since the client never sends them."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta

import jwt
import pytest

from prescripcare.auth.models import Role
from prescripcare.resources import Resources
from tests.e2e.conftest import WS_INIT_TIMEOUT_SECONDS
from tests.e2e.live import needs_node, node
from tests.factories import account

pytestmark = needs_node("graphql-ws", "ws")


async def _token(resources: Resources, issued_at: datetime) -> str:
    """The server checks expiry on the real clock, not the suite's clock."""
    clinician = await account(resources, Role.CLINICIAN)
    issued = jwt.decode(clinician.token, options={"verify_signature": False})["iat"]
    claims = resources.tokens.decode(clinician.token, datetime.fromtimestamp(issued, tz=UTC))
    return resources.tokens.issue(clinician.id, Role.CLINICIAN, claims.family_id, issued_at)


def _closed(case: str, url: str, token: str) -> dict[str, object]:
    ws_url = url.replace("http://", "ws://") + "/graphql"
    run = node("ws-protocol.mjs", case, ws_url, token, timeout=30)
    assert run.returncode == 0, run.stderr
    closed: dict[str, object] = json.loads(run.stdout)
    return closed


@pytest.mark.parametrize(
    ("case", "code", "reason", "received"),
    [
        ("raw-duplicate-init", 4429, "Too many initialisation requests", ["connection_ack"]),
        ("raw-subscribe-before-ack", 4401, "Unauthorized", []),
        ("raw-duplicate-id", 4409, "Subscriber for 1 already exists", ["connection_ack"]),
    ],
)
async def test_protocol_violations_close_with_the_named_code(
    live_api: str, resources: Resources, case: str, code: int, reason: str, received: list[str]
) -> None:
    token = await _token(resources, datetime.now(UTC))
    assert _closed(case, live_api, token) == {"code": code, "reason": reason, "received": received}


async def test_a_client_that_never_sends_connection_init_is_closed_with_4408(
    live_api: str,
) -> None:
    started = time.monotonic()
    closed = _closed("client-no-init", live_api, "unused")
    assert closed == {"code": 4408, "reason": "Connection initialisation timeout"}
    assert time.monotonic() - started >= WS_INIT_TIMEOUT_SECONDS


@pytest.mark.parametrize("token", ["not-a-jwt", "expired"])
async def test_a_bad_or_expired_token_is_forbidden_with_4403(
    live_api: str, resources: Resources, token: str
) -> None:
    if token == "expired":
        token = await _token(resources, datetime.now(UTC) - timedelta(days=1))
    assert _closed("client-token", live_api, token) == {"code": 4403, "reason": "Forbidden"}
