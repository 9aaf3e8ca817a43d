"""The arq worker runs the periodic dose jobs against real Redis."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select
from sqlmodel import col

from prescripcare.clock import SettableClock
from prescripcare.doses.models import Dose
from prescripcare.drugs.seed import SeedReport
from prescripcare.realtime.events import stream_key
from prescripcare.resources import Resources
from prescripcare.settings import Settings
from prescripcare.worker import build_worker, redis_settings
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
