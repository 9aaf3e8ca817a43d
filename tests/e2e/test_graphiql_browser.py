"""The development GraphiQL page in a real browser (Debian's headless
Chromium), with every request leaving this machine blocked: the demo login
runs by clicking, and a query with the token in the Headers pane answers the
demo clinician. Screenshots are kept under test-artifacts/graphiql/."""

from __future__ import annotations

import json
import shutil

import pytest

from prescripcare.db import transaction
from prescripcare.demo import CLINICIAN, seed_demo
from prescripcare.graphql.graphiql import assets_present
from prescripcare.resources import Resources
from tests.e2e.conftest import GRAPHIQL_ASSETS, ROOT
from tests.e2e.live import needs_node, node

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
ARTIFACTS = ROOT / "test-artifacts" / "graphiql"

pytestmark = [
    needs_node("playwright-core"),
    pytest.mark.skipif(
        CHROMIUM is None,
        reason="needs Debian's chromium (`apt-get install chromium`; .ci/run does it as root)",
    ),
    pytest.mark.skipif(
        not assets_present(GRAPHIQL_ASSETS),
        reason=f"needs GraphiQL's assets in {GRAPHIQL_ASSETS} "
        "(`prescripcare graphiql-assets`; scripts/test does it)",
    ),
]


async def test_demo_login_and_a_query_by_clicking_without_internet(
    live_api: str, resources: Resources
) -> None:
    async with transaction(resources.sessions) as session:
        await seed_demo(session, resources.auth, resources.clock.now())
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for old in ARTIFACTS.glob("*.png"):
        old.unlink()
    assert CHROMIUM is not None

    run = node("graphiql-browser.mjs", f"{live_api}/graphql", CHROMIUM, str(ARTIFACTS), timeout=120)
    print(f"GraphiQL screenshots: {ARTIFACTS}")
    assert run.returncode == 0, run.stderr
    seen = json.loads(run.stdout)
    assert "error" not in seen, f"{seen['error']} (screenshots in {ARTIFACTS})"
    assert seen["blocked"] == [], "the page asked for something off this machine"
    assert '"accessToken": "ey' in seen["login"] and '"errors": []' in seen["login"]
    # The result pane's text (CodeMirror's rendering, not strict JSON).
    assert f'"email": "{CLINICIAN.email}"' in seen["me"] and '"role": "CLINICIAN"' in seen["me"]
    assert seen["consoleErrors"] == []
    assert sorted(p.name for p in ARTIFACTS.glob("*.png")) == ["1-login.png", "2-me.png"]
