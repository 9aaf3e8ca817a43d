"""Monthly dose partitions: the worker creates the months ahead, doses that
waited in the default partition move to their month with their references,
and the hot reads plan only the months they need (EXPLAIN, plan-time
pruning)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import text

from prescripcare.auth.models import Role
from prescripcare.clock import SettableClock
from prescripcare.db import transaction
from prescripcare.doses.missed import mark_missed
from prescripcare.doses.partitions import ensure_partitions, partition_names
from prescripcare.doses.window import open_since
from prescripcare.drugs.seed import SeedReport
from prescripcare.graphql.trusted import contract_operation
from prescripcare.notifications.enabled import ALL_CHANNELS
from prescripcare.reminders.service import queue_due
from prescripcare.resources import Resources
from prescripcare.worker import ensure_dose_partitions
from tests.conftest import START, GraphQLClient
from tests.doses.explain import capture, partitions_read
from tests.factories import Account, account, patient
from tests.prescriptions.documents import PRESCRIBE, prescription

# START is 2026-01-13: the months before January are history no hot read needs.
OLD_MONTHS = {f"doses_y2025m{m:02d}" for m in range(6, 13)}
THIS_MONTH = "doses_y2026m01"


async def _prescribed(gql: GraphQLClient, resources: Resources) -> tuple[Account, str]:
    doctor = await account(resources, Role.CLINICIAN)
    pid = str(await patient(resources, doctor, "Ada Byron", timezone="Pacific/Auckland"))
    out = await gql.data(
        PRESCRIBE,
        prescription(pid, "29046", schedule={"timesOfDay": ["08:00", "20:00"]}),
        token=doctor.now_token,
    )
    assert out["prescribe"]["errors"] == [], out
    return doctor, pid


async def test_the_worker_keeps_the_months_ahead(resources: Resources) -> None:
    created = await ensure_dose_partitions({"resources": resources})
    names = set(await _names(resources))
    assert {f"doses_y2026m{m:02d}" for m in range(1, 6)} <= names
    assert "doses_default" in names
    # Again: nothing left to create.
    assert await ensure_dose_partitions({"resources": resources}) == 0
    assert created >= 0


async def _names(resources: Resources) -> list[str]:
    async with resources.sessions() as session:
        return await partition_names(session)


async def test_doses_waiting_in_the_default_partition_move_to_their_month(
    gql: GraphQLClient, resources: Resources, catalog: SeedReport
) -> None:
    _, pid = await _prescribed(gql, resources)
    far = datetime(2031, 3, 10, 7, tzinfo=UTC)
    async with transaction(resources.sessions) as session:
        assert "doses_y2031m03" not in await partition_names(session)
        dose = (
            await session.execute(
                text(
                    "INSERT INTO doses (id, prescription_id, patient_id, scheduled_at, status, "
                    "taken_at, created_at) SELECT gen_random_uuid(), id, patient_id, :at, "
                    "'TAKEN', :at, :at FROM prescriptions WHERE patient_id = :pid "
                    "RETURNING id, scheduled_at"
                ),
                {"at": far, "pid": pid},
            )
        ).one()
        await session.execute(
            text(
                "INSERT INTO dose_records (id, dose_id, dose_scheduled_at, status, taken_at, "
                "recorded_at) VALUES (gen_random_uuid(), :id, :at, 'TAKEN', :at, :at)"
            ),
            {"id": dose.id, "at": far},
        )
        await session.execute(
            text(
                "INSERT INTO reminders (id, kind, dose_id, dose_scheduled_at, patient_id, "
                "channel, due_at, status, attempts, next_attempt_at, created_at, updated_at) "
                "VALUES (gen_random_uuid(), 'medication_reminder', :id, :at, :pid, 'SMS', :at, "
                "'SENT', 1, :at, :at, :at)"
            ),
            {"id": dose.id, "at": far, "pid": pid},
        )
    rollup = "SELECT doses, taken FROM dose_days WHERE patient_id = :pid AND day = '2031-03-10'"
    async with transaction(resources.sessions) as session:
        assert list(await session.execute(text(rollup), {"pid": pid})) == [(1, 1)]
        where = (await session.execute(text("SELECT tableoid::regclass::text FROM doses"))).all()
        assert ("doses_default",) in where
        assert await ensure_partitions(session, far, months_ahead=0) == 1
    async with resources.sessions() as session:
        home = await session.scalar(
            text("SELECT tableoid::regclass::text FROM doses WHERE id = :id"), {"id": dose.id}
        )
        assert home == "doses_y2031m03"
        assert (
            await session.scalar(
                text("SELECT count(*) FROM doses_default WHERE scheduled_at >= '2031-03-01'")
            )
            == 0
        )
        # Its record and reminder stayed, the rollup did not count it twice,
        # and both references are enforced again.
        kept = "SELECT count(*) FROM {} WHERE dose_id = :id AND dose_scheduled_at = :at"
        for table in ("dose_records", "reminders"):
            assert await session.scalar(text(kept.format(table)), {"id": dose.id, "at": far}) == 1
        assert list(await session.execute(text(rollup), {"pid": pid})) == [(1, 1)]
        constraints = await session.scalars(
            text(
                "SELECT conname FROM pg_constraint WHERE contype = 'f' AND conname IN "
                "('fk_reminders_dose_id_doses', 'fk_dose_records_dose_id_doses') AND convalidated"
            )
        )
        assert sorted(constraints) == [
            "fk_dose_records_dose_id_doses",
            "fk_reminders_dose_id_doses",
        ]


async def test_the_hot_reads_plan_only_the_months_they_need(
    gql: GraphQLClient, resources: Resources, clock: SettableClock, catalog: SeedReport
) -> None:
    async with transaction(resources.sessions) as session:
        await ensure_partitions(session, datetime(2025, 6, 1, tzinfo=UTC), months_ahead=12)
    doctor, pid = await _prescribed(gql, resources)
    clock.advance(timedelta(days=1))
    now = clock.now()
    grace = resources.settings.dose_grace
    flows: dict[str, set[str]] = {}
    with capture(resources.engine) as captured:
        async with transaction(resources.sessions) as session:
            await queue_due(session, now, grace, ALL_CHANNELS)
        flows["due scan"] = await _read(resources, captured.statements)
        captured.statements.clear()
        async with transaction(resources.sessions) as session:
            await mark_missed(session, now, grace, since=open_since(now - timedelta(minutes=1)))
        flows["missed-dose marking"] = await _read(resources, captured.statements)
        captured.statements.clear()
        window = {
            "id": pid,
            "from": (now - timedelta(days=3)).isoformat(),
            "to": (now + timedelta(days=1)).isoformat(),
        }
        data = await gql.data(
            contract_operation("PatientDashboard"), window, token=doctor.now_token
        )
        assert data["patient"]["doses"]
        flows["PatientDashboard"] = await _read(resources, captured.statements)
        captured.statements.clear()
        data = await gql.data(
            contract_operation("PatientList"), {"first": 50}, token=doctor.now_token
        )
        assert data["patients"]["edges"][0]["node"]["nextDose"] is not None
        flows["PatientList"] = await _read(resources, captured.statements)
        captured.statements.clear()
        # The twin without a bound: the same marking sweeping every month,
        # which is what the check above would catch.
        async with transaction(resources.sessions) as session:
            await mark_missed(session, now, grace)
        unbounded = await _read(resources, captured.statements)
    assert unbounded >= OLD_MONTHS
    for flow, read in flows.items():
        assert read, f"{flow} read no dose partition"
        assert not read & OLD_MONTHS, (flow, sorted(read))
    # What falls due and what is missed is this month's alone.
    assert flows["due scan"] == {THIS_MONTH}
    assert flows["missed-dose marking"] == {THIS_MONTH}


async def _read(resources: Resources, statements: list[tuple[str, object]]) -> set[str]:
    read: set[str] = set()
    for statement, parameters in statements:
        read |= await partitions_read(resources.engine, statement, parameters)
    return read


def test_the_window_reaches_back_past_grace_and_snooze() -> None:
    assert open_since(START) == START - timedelta(days=2)
