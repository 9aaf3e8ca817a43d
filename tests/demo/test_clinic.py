"""The demo clinic: alive the moment it is seeded. Every field the web app's
PatientList and PatientDashboard ask for has data for the demo clinician;
the history shows the patterns the cast describes; the audit chain holds;
a dose falls due within the hour; and a failure leaves nothing behind."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select, text
from sqlmodel import col

from prescripcare.audit.chain import verify_chain
from prescripcare.clock import SettableClock
from prescripcare.demo import CLINICIAN, LOGINS, DemoRefused, seed_demo
from prescripcare.demo.replay import Replay, Timeline
from prescripcare.doses.models import Dose
from prescripcare.drugs.seed import SeedReport
from prescripcare.graphql.trusted import contract_operation
from prescripcare.reminders.models import Reminder
from prescripcare.resources import Resources
from tests.conftest import GraphQLClient
from tests.demo.helpers import demo_token

PATIENT_LIST = contract_operation("PatientList")
DASHBOARD = contract_operation("PatientDashboard")


def leaves(value: Any, path: str = "") -> list[tuple[str, Any]]:
    """Every (path, value) of a GraphQL answer; list indexes are dropped, so
    one path covers each field however many rows carry it, and an empty
    list is a leaf of its own."""
    if isinstance(value, dict):
        fields = [pair for key, item in value.items() for pair in leaves(item, f"{path}.{key}")]
        return [(path, "object"), *fields]
    if isinstance(value, list):
        rows = [pair for item in value for pair in leaves(item, path)]
        return [(path, "rows" if value else None), *rows]
    return [(path, value)]


def empty_fields(answers: list[Any]) -> list[str]:
    """Paths that hold no data in any of the answers."""
    filled: dict[str, bool] = {}
    for answer in answers:
        for path, value in leaves(answer):
            filled[path] = filled.get(path, False) or value not in (None, "", [])
    return sorted(path for path, ok in filled.items() if not ok)


async def test_every_field_of_the_list_and_the_dashboard_has_data_for_the_demo_clinician(
    gql: GraphQLClient, resources: Resources, clock: SettableClock, catalog: SeedReport
) -> None:
    created = await seed_demo(resources)
    assert created == list(LOGINS)
    now = clock.now()
    token = await demo_token(resources, CLINICIAN.email)

    listed = await gql.data(PATIENT_LIST, {"first": 20}, token=token)
    nodes = [edge["node"] for edge in listed["patients"]["edges"]]
    assert len(nodes) == 5
    assert empty_fields([listed]) == []
    for node in nodes:  # every patient, not just one, is alive
        assert node["prescriptions"] and node["nextDose"], node["name"]
        assert node["adherence"]["doseAdherence"] is not None, node["name"]
        assert node["adherence"]["pdc"] is not None, node["name"]

    window = {
        "from": (now - timedelta(days=2)).isoformat(),
        "to": (now + timedelta(hours=12)).isoformat(),
    }
    dashboards = {}
    for node in nodes:
        answer = await gql.data(DASHBOARD, {"id": node["id"], **window}, token=token)
        dashboards[node["name"]] = answer["patient"]
        assert answer["patient"]["doses"], node["name"]
        assert answer["patient"]["adherence"]["daily"], node["name"]
    empty = empty_fields(list(dashboards.values()))
    assert empty == [], empty

    # Maria: the acknowledged MAJOR interaction, her caregiver, and a dose
    # falling due within the hour to record, snooze and watch.
    maria = dashboards["Maria Lopez"]
    assert [i["severity"] for i in maria["interactions"]].count("MAJOR") >= 1
    assert {d["name"] for d in maria["interactions"][0]["drugs"]} >= {"warfarin", "aspirin"}
    assert [c["email"] for c in maria["caregivers"]] == ["sam.lopez@demo.prescripcare.example"]
    async with resources.sessions() as session:
        rows = (await session.execute(text("SELECT name, language FROM patients"))).all()
        languages: dict[str, str | None] = {name: language for name, language in rows}
    assert languages["Maria Lopez"] == "es"  # her reminders come in Spanish
    due = [
        d
        for d in maria["doses"]
        if d["status"] == "SCHEDULED"
        and now < _instant(d["scheduledAt"]) <= now + timedelta(hours=1)
    ]
    assert due, "no dose of Maria's falls due within the hour"
    recorded = await gql.data(
        "mutation($id: ID!) { recordDose(doseId: $id, status: TAKEN) { errors { code } } }",
        {"id": due[0]["id"]},
        token=await demo_token(resources, "maria.lopez@demo.prescripcare.example"),
    )
    assert recorded["recordDose"]["errors"] == []

    # The patterns: adherent above slipping; the refill gap in PDC.
    adherence = {name: d["adherence"] for name, d in dashboards.items()}
    assert adherence["Arjun Mehta"]["doseAdherence"] > 0.9
    assert (
        adherence["Eleanor Whitfield"]["doseAdherence"] < adherence["Arjun Mehta"]["doseAdherence"]
    )
    james_pdc = {
        p["drug"]["name"]: p["adherence"]["pdc"]
        for p in dashboards["James O'Connor"]["prescriptions"]
    }
    assert james_pdc["lisinopril"] < james_pdc["metformin"]

    async with resources.sessions() as session:
        states = Counter(
            (
                await session.execute(
                    select(col(Reminder.status), func.count()).group_by(col(Reminder.status))
                )
            ).all()
        )
        by_state = {state: n for (state, n), _ in states.items()}
        assert by_state.get("DELIVERED", 0) > 0 and by_state.get("FAILED", 0) > 0, by_state
        assert (await session.scalar(select(func.count()).select_from(Dose)) or 0) > 1000
        verdict = await verify_chain(session)
    assert verdict.ok, verdict.problem
    # Seeding again changes nothing and says so.
    assert await seed_demo(resources) == []


def _instant(text_value: str) -> Any:
    from datetime import datetime

    return datetime.fromisoformat(text_value)


async def test_a_failure_half_way_leaves_nothing_behind(
    resources: Resources, catalog: SeedReport, monkeypatch: pytest.MonkeyPatch
) -> None:
    original = Replay.run

    async def failing(self: Replay) -> None:
        self.timeline = Timeline(
            now=self.timeline.start + timedelta(days=3),
            seed=self.timeline.seed,
            start=self.timeline.start,
        )
        await original(self)
        raise RuntimeError("the disk filled up")

    monkeypatch.setattr(Replay, "run", failing)
    with pytest.raises(RuntimeError):
        await seed_demo(resources)
    async with resources.sessions() as session:
        for table in ("users", "patients", "prescriptions", "doses", "fills", "reminders"):
            assert await session.scalar(text(f"SELECT count(*) FROM {table}")) == 0, table


async def test_production_is_refused_before_anything_is_written(
    resources: Resources, catalog: SeedReport, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(
        resources,
        "settings",
        resources.settings.model_copy(update={"prescripcare_env": "production"}),
    )
    with pytest.raises(DemoRefused):
        await seed_demo(resources)
    async with resources.sessions() as session:
        assert await session.scalar(text("SELECT count(*) FROM users")) == 0
