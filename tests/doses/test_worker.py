"""The arq worker runs the periodic dose jobs against real Redis."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select, text
from sqlmodel import col

from prescripcare.clock import SettableClock
from prescripcare.db import transaction
from prescripcare.doses.models import Dose
from prescripcare.doses.window import open_since
from prescripcare.drugs.seed import SeedReport
from prescripcare.realtime.events import stream_key
from prescripcare.resources import Resources
from prescripcare.settings import Settings
from prescripcare.worker import build_worker, mark_missed_doses, redis_settings
from tests.conftest import GraphQLClient
from tests.factories import Account, patient
from tests.prescriptions.documents import PRESCRIBE, WARFARIN, prescription


def test_redis_settings_from_urls() -> None:
    unix = redis_settings("unix:///tmp/redis.sock?db=3")
    assert (unix.unix_socket_path, unix.database) == ("/tmp/redis.sock", 3)
    tcp = redis_settings("redis://cache:6380/2")
    assert (tcp.host, tcp.port, tcp.database) == ("cache", 6380, 2)


async def test_a_burst_run_extends_horizons_and_marks_missed_doses(
    gql: GraphQLClient,
    resources: Resources,
    migrated: Settings,
    clock: SettableClock,
    doctor: Account,
    catalog: SeedReport,
) -> None:
    pid = str(await patient(resources, doctor, "Ada", timezone="Europe/London"))
    await gql.data(PRESCRIBE, prescription(pid, WARFARIN), token=doctor.token)
    clock.advance(timedelta(days=5))
    worker = build_worker(migrated, clock=clock, burst=True, handle_signals=False)
    try:
        await worker.async_run()
    finally:
        await worker.close()
    async with resources.sessions() as s:
        statuses = dict(
            list(await s.execute(select(col(Dose.status), func.count()).group_by(col(Dose.status))))
        )
    # Five days passed: five doses missed, and the horizon runs 14 days ahead.
    assert statuses == {"MISSED": 5, "SCHEDULED": 14}
    events = await resources.redis.xrange(stream_key(resources.keys))
    assert [f["kind"] for _, f in events] == ["DOSE_MISSED"] * 5


async def test_missed_marking_reads_from_its_last_run_and_sweeps_all_on_start(
    gql: GraphQLClient,
    resources: Resources,
    clock: SettableClock,
    doctor: Account,
    catalog: SeedReport,
) -> None:
    pid = str(await patient(resources, doctor, "Ada", timezone="Europe/London"))
    await gql.data(PRESCRIBE, prescription(pid, WARFARIN), token=doctor.token)
    clock.advance(timedelta(days=2))
    ctx: dict[str, object] = {"resources": resources}
    assert await mark_missed_doses(ctx) == 2
    assert ctx["missed_since"] == open_since(clock.now())
    # A dose the bounded runs cannot see: open, and scheduled long before the
    # last run (only a write outside the app makes one).
    async with transaction(resources.sessions) as session:
        await session.execute(
            text(
                "INSERT INTO doses (id, prescription_id, patient_id, scheduled_at, status, "
                "created_at) SELECT gen_random_uuid(), id, patient_id, :at, 'SCHEDULED', :at "
                "FROM prescriptions WHERE patient_id = :pid"
            ),
            {"at": clock.now() - timedelta(days=20), "pid": pid},
        )
    clock.advance(timedelta(hours=1))
    assert await mark_missed_doses(ctx) == 0
    # A worker's first run sweeps the whole history.
    assert await mark_missed_doses({"resources": resources}) == 1
