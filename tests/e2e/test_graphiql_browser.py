"""The development GraphiQL page in a real browser (Debian's headless
Chromium), with every request leaving this machine blocked: the first
screen's Login runs by clicking and signs the page in, so a query answers
the demo clinician with nothing pasted anywhere; a subscription started by
clicking survives the token's refresh (restarted on a new socket with the
new token) and shows a dose taken meanwhile; every request after the refresh
carries the new token. Screenshots are kept under test-artifacts/graphiql/."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlmodel import col

from prescripcare.auth.models import User
from prescripcare.db import transaction
from prescripcare.demo import CLINICIAN, PATIENT, seed_demo
from prescripcare.graphql.graphiql import assets_present
from prescripcare.patients.service import patient_of_user
from prescripcare.resources import Resources
from tests.e2e.conftest import GRAPHIQL_ASSETS, ROOT
from tests.e2e.live import needs_node, node
from tests.reminders.due import sms_doses_due

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


async def test_demo_login_a_query_and_a_subscription_by_clicking_without_internet(
    live_api: str, resources: Resources, catalog: object
) -> None:
    # On the real clock the API process runs on.
    await seed_demo(resources, datetime.now(UTC))
    async with transaction(resources.sessions) as session:
        maria = (
            await session.execute(select(User).where(col(User.email_blind_index) == PATIENT.email))
        ).scalar_one()
        her_record = await patient_of_user(session, maria.id)
        assert her_record is not None
        # A dose of Maria's (the demo clinician is on her care team), due
        # on the real clock the API process runs on.
        [dose] = await sms_doses_due(
            session, datetime.now(UTC), 1, timedelta(minutes=5), patient_id=her_record.id
        )
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for old in ARTIFACTS.glob("*.png"):
        old.unlink()
    assert CHROMIUM is not None

    page = f"{live_api}/graphql"
    run = node("graphiql-browser.mjs", page, CHROMIUM, str(ARTIFACTS), str(dose), timeout=120)
    print(f"GraphiQL screenshots: {ARTIFACTS}")
    assert run.returncode == 0, run.stderr
    seen = json.loads(run.stdout)
    assert "error" not in seen, f"{seen['error']} (screenshots in {ARTIFACTS})"
    assert seen["blocked"] == [], "the page asked for something off this machine"
    assert '"accessToken": "ey' in seen["login"] and '"errors": []' in seen["login"]
    # The first screen is the Login itself, with a two-line note.
    assert seen["firstScreen"].count("#") <= 2 and "mutation Login" in seen["firstScreen"]
    # The result pane's text (CodeMirror's rendering, not strict JSON).
    assert f'"email": "{CLINICIAN.email}"' in seen["me"] and '"role": "CLINICIAN"' in seen["me"]
    login, refreshed = seen["loginToken"], seen["refreshedToken"]
    assert refreshed and refreshed != login and seen["refreshes"] == 1
    # Requests before the refresh carried the login's token, every request
    # after it the new one; the subscription's sockets likewise.
    bearer = [a for a in seen["authorizations"] if a]
    assert bearer[0] == f"Bearer {login}" and bearer[-1] == f"Bearer {refreshed}", bearer
    assert seen["authorizations"][0] is None  # the Login itself
    assert seen["connectionInits"] == [f"Bearer {login}", f"Bearer {refreshed}"]
    assert seen["recorded"] == {"data": {"recordDose": {"errors": []}}}
    assert f'"id": "{dose}"' in seen["subscription"] and '"status": "TAKEN"' in seen["subscription"]
    assert f'"email": "{CLINICIAN.email}"' in seen["meAfter"]
    assert seen["consoleErrors"] == []
    shots = sorted(p.name for p in ARTIFACTS.glob("*.png"))
    assert shots == ["1-login.png", "2-me.png", "3-subscription.png", "4-me-after-refresh.png"]
