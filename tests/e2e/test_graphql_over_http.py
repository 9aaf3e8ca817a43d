"""GraphQL over HTTP: graphql-http's server audit suite (the npm package
that is the spec's reference implementation) against the running API.
Every MUST and every SHOULD audit passes."""

from __future__ import annotations

import json

from tests.e2e.live import needs_node, node

pytestmark = needs_node("graphql-http")


def test_every_must_and_should_audit_passes(live_api: str) -> None:
    run = node("audit.mjs", f"{live_api}/graphql", timeout=120)
    assert run.returncode == 0, run.stderr
    audits = [json.loads(line) for line in run.stdout.splitlines()]
    required = [a for a in audits if a["name"].startswith(("MUST", "SHOULD"))]
    assert len(required) >= 30, f"only {len(required)} MUST/SHOULD audits ran"
    failed = [f"{a['id']} {a['name']}: {a['reason']}" for a in required if a["status"] != "ok"]
    assert not failed, "\n".join(failed)
