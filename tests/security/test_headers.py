"""Security headers on every response and CORS limited to configured origins
(plus localhost in development only)."""

from __future__ import annotations

import httpx
import pytest
from pydantic import ValidationError

from prescripcare.settings import Settings
from tests.security.conftest import ALLOWED_ORIGIN

EVIL = "https://evil.example"


async def test_production_responses_carry_hardened_headers(
    production_client: httpx.AsyncClient,
) -> None:
    for response in (
        await production_client.get("/health"),
        await production_client.post("/graphql", json={"query": "{ me { id } }"}),
        await production_client.post("/graphql", content=b"x" * 300_000),
    ):
        headers = response.headers
        assert headers["strict-transport-security"].startswith("max-age=63072000")
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["x-frame-options"] == "DENY"
        assert headers["content-security-policy"].startswith("default-src 'none'")
        assert headers["referrer-policy"] == "no-referrer"


async def test_development_csp_lets_graphiql_load_and_sets_no_hsts(
    client: httpx.AsyncClient,
) -> None:
    page = await client.get("/graphql", headers={"Accept": "text/html"})
    assert page.status_code == 200 and "graphiql" in page.text.lower()
    csp = page.headers["content-security-policy"]
    assert "https://unpkg.com" in csp and "frame-ancestors 'none'" in csp
    assert "strict-transport-security" not in page.headers


def _preflight(origin: str) -> dict[str, str]:
    return {
        "Origin": origin,
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization,content-type",
    }


async def test_cors_answers_only_configured_origins_in_production(
    production_client: httpx.AsyncClient,
) -> None:
    allowed = await production_client.options("/graphql", headers=_preflight(ALLOWED_ORIGIN))
    assert allowed.status_code == 200
    assert allowed.headers["access-control-allow-origin"] == ALLOWED_ORIGIN

    for origin in (EVIL, "http://localhost:3000"):
        refused = await production_client.options("/graphql", headers=_preflight(origin))
        assert refused.status_code == 400
        assert "access-control-allow-origin" not in refused.headers
        simple = await production_client.post(
            "/graphql", json={"query": "{ me { id } }"}, headers={"Origin": origin}
        )
        assert "access-control-allow-origin" not in simple.headers


async def test_development_allows_a_local_web_app_but_not_other_sites(
    client: httpx.AsyncClient,
) -> None:
    local = await client.options("/graphql", headers=_preflight("http://localhost:5173"))
    assert local.headers["access-control-allow-origin"] == "http://localhost:5173"
    evil = await client.options("/graphql", headers=_preflight(EVIL))
    assert evil.status_code == 400
    spoof = await client.options("/graphql", headers=_preflight("http://localhost.evil.example"))
    assert spoof.status_code == 400


@pytest.mark.parametrize("origin", ["app.example.org", "https://app.example.org/path", "ftp://x"])
def test_a_malformed_cors_origin_is_refused_at_start(origin: str) -> None:
    with pytest.raises(ValidationError, match="CORS_ORIGINS"):
        Settings(cors_origins=origin)
