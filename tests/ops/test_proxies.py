"""Behind a proxy: a real `prescripcare serve` with FORWARDED_ALLOW_IPS naming
one proxy address. Clients arrive from two loopback addresses, the proxy's and
a stranger's: through the proxy each forwarded client has its own rate-limit
bucket and its own address in the audit log; the stranger's forged
X-Forwarded-For is ignored, so it can neither spread its requests over
invented addresses nor put one of them in the audit log."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from prescripcare.resources import Resources
from prescripcare.settings import Settings, SettingsError, load_settings
from tests.audit.helpers import log_rows
from tests.auth.documents import REGISTER
from tests.processes import running_api

PROXY, STRANGER = "127.0.0.2", "127.0.0.3"
CLIENTS = [f"198.51.100.{n}" for n in range(1, 6)]
FORGED = [f"203.0.113.{n}" for n in range(1, 6)]


def via(local_address: str, url: str) -> httpx.AsyncClient:
    """A client whose connections come from `local_address` (all of
    127.0.0.0/8 is this machine's loopback)."""
    transport = httpx.AsyncHTTPTransport(local_address=local_address)
    return httpx.AsyncClient(transport=transport, base_url=url, timeout=30)


async def typename(http: httpx.AsyncClient, forwarded_for: str) -> int:
    response = await http.post(
        "/graphql", json={"query": "{ __typename }"}, headers={"X-Forwarded-For": forwarded_for}
    )
    return response.status_code


async def register(http: httpx.AsyncClient, forwarded_for: str, email: str) -> dict[str, Any]:
    variables = {
        "input": {
            "email": email,
            "password": "a long and unusual passphrase",
            "name": "Proxy Tester",
            "timezone": "Europe/Lisbon",
            "dateOfBirth": "1960-05-01",
        }
    }
    response = await http.post(
        "/graphql",
        json={"query": REGISTER, "variables": variables},
        headers={"X-Forwarded-For": forwarded_for},
    )
    assert response.status_code == 200, response.text
    out: dict[str, Any] = response.json()["data"]["register"]
    assert out["errors"] == []
    return out


async def test_each_client_behind_a_trusted_proxy_is_itself_and_a_forged_header_is_ignored(
    migrated: Settings, resources: Resources, tmp_path: Path
) -> None:
    with running_api(
        migrated,
        tmp_path,
        FORWARDED_ALLOW_IPS=f"{PROXY}/32",
        RATE_LIMIT_ENABLED="true",
        RATE_LIMIT_IP="3/1m",
    ) as url:
        async with via(PROXY, url) as proxy, via(STRANGER, url) as stranger:
            # The audit log records the forwarded client, or the stranger itself.
            via_proxy = await register(proxy, CLIENTS[0], "proxied@example.org")
            direct = await register(stranger, FORGED[0], "direct@example.org")
            # nginx appends the peer it saw: a client's own X-Forwarded-For
            # stays to the left of it and is not believed either.
            assert await typename(proxy, f"{FORGED[1]}, {CLIENTS[1]}") == 200

            # Five clients through one proxy: five buckets of 3, the first
            # client's already holding its registration.
            assert [await typename(proxy, c) for c in CLIENTS[2:]] == [200, 200, 200]
            assert [await typename(proxy, CLIENTS[0]) for _ in range(3)] == [200, 200, 429]
            # Client 1 spent one above, behind the forged entry.
            assert [await typename(proxy, CLIENTS[1]) for _ in range(3)] == [200, 200, 429]

            # The stranger's forged addresses all land in its own bucket
            # (its registration spent the first of 3).
            assert [await typename(stranger, f) for f in FORGED[1:]] == [200, 200, 429, 429]

    rows = {r.actor_id: r for r in await log_rows(resources) if r.action == "USER_REGISTERED"}
    assert {str(k) for k in rows} == {via_proxy["user"]["id"], direct["user"]["id"]}
    by_user = {str(k): r.ip for k, r in rows.items()}
    assert by_user[via_proxy["user"]["id"]] == CLIENTS[0]
    assert by_user[direct["user"]["id"]] == STRANGER


@pytest.mark.parametrize(
    ("given", "kept"),
    [
        ("10.0.0.0/8, 192.168.1.7", "10.0.0.0/8,192.168.1.7"),
        # A host part in a CIDR is the network it names (uvicorn would
        # silently treat it as a literal that never matches).
        ("10.1.2.3/16,fd00::/8", "10.1.0.0/16,fd00::/8"),
        ("::1/128", "::1"),
        ("", ""),
    ],
)
def test_trusted_proxies_are_normalised_networks(given: str, kept: str) -> None:
    assert load_settings(forwarded_allow_ips=given).forwarded_allow_ips == kept


@pytest.mark.parametrize(
    ("given", "message"),
    [("*", "any client"), ("ingress-nginx", "not an IP address"), ("10.0.0.0/33", "CIDR")],
)
def test_untrustworthy_proxy_lists_are_refused(given: str, message: str) -> None:
    with pytest.raises(SettingsError, match=f"FORWARDED_ALLOW_IPS.*{message}"):
        load_settings(forwarded_allow_ips=given)
