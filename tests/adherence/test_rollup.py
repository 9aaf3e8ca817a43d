"""The dose-day rollup against its slow twins, on generated dose histories.

Each example builds a patient with two prescriptions and a dose history,
then runs generated changes through the same statements the service uses
(bulk inserts, recording, deleting, the missed-dose job, dropping future
doses, a time zone change, deleting a prescription). Then:
- the rollup table equals the counts recomputed in Python from the dose rows;
- the fast reader (`adherence/rollup.py`) answers what the reader over every
  dose (`adherence/dose_log.py`) answers, for patients and prescriptions,
  over generated windows, clocks and on-time thresholds.
Every example runs in a transaction that is rolled back, so a planted defect
(replacing a trigger function is transactional DDL) never escapes its test.
"""

from __future__ import annotations

import asyncio
import math
import uuid
from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, select, text, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from prescripcare.adherence.counts import DayCounts, KeyColumn, WindowKey
from prescripcare.adherence.dose_log import day_counts_from_doses
from prescripcare.adherence.models import LATENESS_CAP_MINUTES, DoseDay
from prescripcare.adherence.rollup import day_counts_from_rollup
from prescripcare.auth.viewer import Viewer
from prescripcare.db import create_engine, create_session_factory, transaction
from prescripcare.doses.materialize import drop_future
from prescripcare.doses.missed import mark_missed
from prescripcare.doses.models import Dose, DoseStatus
from prescripcare.drugs.seed import SeedReport
from prescripcare.patients.models import Patient
from prescripcare.patients.service import NewPatient, create_patient
from prescripcare.prescriptions.models import Prescription, PrescriptionStatus
from prescripcare.resources import Resources
from prescripcare.settings import Settings
from tests.factories import Account

# Around the 2026 daylight-saving changes of North America (8 March) and
# Europe (29 March), so local dates cross them.
BASE = datetime(2026, 3, 20, 12, tzinfo=UTC)
ZONES = (
    "UTC",
    "America/New_York",
    "America/Los_Angeles",
    "Europe/London",
    "Asia/Kolkata",
    "Pacific/Auckland",
)
STATUSES = tuple(s.value for s in DoseStatus)
DRUGS = ("29046", "52175")
MINUTE_SPAN = st.integers(-30 * 24 * 60, 4 * 24 * 60)
Reader = Callable[..., Awaitable[list[list[DayCounts]]]]

# (prescription, minutes from BASE, status, seconds taken after its time)
doses = st.tuples(
    st.integers(0, 1),
    MINUTE_SPAN,
    st.sampled_from(STATUSES),
    st.one_of(st.none(), st.integers(-2 * 3600, 26 * 3600)),
)
changes = st.one_of(
    st.tuples(st.just("insert"), st.lists(doses, min_size=1, max_size=8)),
    st.tuples(
        st.just("record"),
        st.integers(0, 99),
        st.sampled_from(STATUSES),
        st.integers(-2 * 3600, 3 * 3600),
    ),
    st.tuples(st.just("take_all"), st.integers(0, 1), st.integers(-3600, 7200)),
    st.tuples(st.just("delete"), st.integers(0, 99)),
    st.tuples(st.just("mark_missed"), MINUTE_SPAN),
    st.tuples(st.just("drop_future"), MINUTE_SPAN),
    st.tuples(st.just("rezone"), st.sampled_from(ZONES)),
    st.tuples(st.just("snooze"), st.integers(0, 99), st.integers(5, 240)),
    st.tuples(st.just("drop_prescription"), st.integers(0, 1)),
)
histories = st.fixed_dictionaries(
    {
        "zone": st.sampled_from(ZONES),
        "doses": st.lists(doses, max_size=30),
        "changes": st.lists(changes, max_size=6),
        "now": MINUTE_SPAN,
        # (days back from today the window starts, its length)
        "windows": st.lists(st.tuples(st.integers(-3, 35), st.integers(1, 40)), min_size=1),
        "on_time": st.integers(1, 720),
    }
)


def _dose_row(rx: uuid.UUID, patient_id: uuid.UUID, spec: tuple[Any, ...]) -> dict[str, Any]:
    _, minutes, status, taken_after = spec
    at = BASE + timedelta(minutes=minutes)
    taken = None
    if status == DoseStatus.TAKEN.value and taken_after is not None:
        taken = at + timedelta(seconds=taken_after)
    return {
        "id": uuid.uuid4(),
        "prescription_id": rx,
        "patient_id": patient_id,
        "scheduled_at": at,
        "status": status,
        "taken_at": taken,
        "created_at": BASE,
    }


async def _insert(
    session: AsyncSession, rxs: list[uuid.UUID], patient_id: uuid.UUID, specs: list[Any]
) -> None:
    alive = set(
        await session.scalars(select(col(Prescription.id)).where(col(Prescription.id).in_(rxs)))
    )
    rows = [_dose_row(rxs[spec[0]], patient_id, spec) for spec in specs if rxs[spec[0]] in alive]
    if not rows:
        return
    await session.execute(
        insert(Dose).values(rows).on_conflict_do_nothing(constraint="uq_doses_prescription_time")
    )


async def _dose_ids(session: AsyncSession, patient_id: uuid.UUID) -> list[uuid.UUID]:
    return list(
        await session.scalars(
            select(col(Dose.id))
            .where(col(Dose.patient_id) == patient_id)
            .order_by(col(Dose.scheduled_at), col(Dose.id))
        )
    )


async def _apply(
    session: AsyncSession, change: tuple[Any, ...], rxs: list[uuid.UUID], patient_id: uuid.UUID
) -> None:
    kind = change[0]
    ids = await _dose_ids(session, patient_id)
    if kind == "insert":
        await _insert(session, rxs, patient_id, change[1])
    elif kind == "record" and ids:
        dose_id = ids[change[1] % len(ids)]
        at = await session.scalar(select(col(Dose.scheduled_at)).where(col(Dose.id) == dose_id))
        assert at is not None
        taken = at + timedelta(seconds=change[3]) if change[2] == DoseStatus.TAKEN else None
        await session.execute(
            update(Dose).where(col(Dose.id) == dose_id).values(status=change[2], taken_at=taken)
        )
    elif kind == "take_all":
        # Many rows of many days in one statement.
        await session.execute(
            update(Dose)
            .where(col(Dose.prescription_id) == rxs[change[1]])
            .values(
                status=DoseStatus.TAKEN.value,
                taken_at=col(Dose.scheduled_at) + timedelta(seconds=change[2]),
            )
        )
    elif kind == "snooze" and ids:
        await session.execute(
            update(Dose)
            .where(col(Dose.id) == ids[change[1] % len(ids)])
            .values(snoozed_until=col(Dose.scheduled_at) + timedelta(minutes=change[2]))
        )
    elif kind == "delete" and ids:
        await session.execute(delete(Dose).where(col(Dose.id) == ids[change[1] % len(ids)]))
    elif kind == "mark_missed":
        await mark_missed(session, BASE + timedelta(minutes=change[1]), timedelta(minutes=60))
    elif kind == "drop_future":
        await drop_future(session, rxs, BASE + timedelta(minutes=change[1]))
    elif kind == "rezone":
        await session.execute(
            update(Patient).where(col(Patient.id) == patient_id).values(timezone=change[1])
        )
    elif kind == "drop_prescription":
        await session.execute(delete(Prescription).where(col(Prescription.id) == rxs[change[1]]))


def _lateness(dose: Dose) -> int:
    if dose.taken_at is None:
        return LATENESS_CAP_MINUTES
    seconds = abs((dose.taken_at - dose.scheduled_at).total_seconds())
    return min(math.ceil(seconds / 60), LATENESS_CAP_MINUTES)


async def _expected_rows(session: AsyncSession, patient_id: uuid.UUID) -> dict[Any, Any]:
    """The rollup recomputed in Python from the dose rows."""
    zone = ZoneInfo(
        await session.scalar(select(col(Patient.timezone)).where(col(Patient.id) == patient_id))
        or "UTC"
    )
    found: dict[tuple[uuid.UUID, date], list[Any]] = {}
    for dose in await session.scalars(select(Dose).where(col(Dose.patient_id) == patient_id)):
        key = (dose.prescription_id, dose.scheduled_at.astimezone(zone).date())
        counts = found.setdefault(key, [0, 0, 0, 0, []])
        counts[0] += 1
        if dose.status == DoseStatus.TAKEN.value:
            counts[1] += 1
            counts[4].append(_lateness(dose))
        counts[2] += dose.status == DoseStatus.MISSED.value
        counts[3] += dose.status == DoseStatus.SKIPPED.value
    return {k: (v[0], v[1], v[2], v[3], sorted(v[4])) for k, v in found.items()}


async def _rollup_rows(session: AsyncSession, patient_id: uuid.UUID) -> dict[Any, Any]:
    rows = await session.scalars(
        select(DoseDay).where(col(DoseDay.patient_id) == patient_id, col(DoseDay.doses) > 0)
    )
    return {
        (r.prescription_id, r.day): (r.doses, r.taken, r.missed, r.skipped, list(r.taken_minutes))
        for r in rows
    }


async def _check(
    session: AsyncSession, viewer: Viewer, history: dict[str, Any], fast: Reader, plant: str
) -> None:
    if plant:
        await session.execute(text(plant))
    created = await create_patient(
        session, viewer, NewPatient("Twin", date(1970, 1, 1), history["zone"]), BASE
    )
    rxs = []
    for rxcui in DRUGS:
        rx = Prescription(
            patient_id=created.id,
            rxcui=rxcui,
            dose_quantity=1,
            dose_unit="tablet",
            start_date=date(2026, 1, 1),
            as_needed=True,
            status=PrescriptionStatus.ACTIVE.value,
            created_at=BASE,
            updated_at=BASE,
        )
        session.add(rx)
        rxs.append(rx.id)
    await session.flush()
    if history["doses"]:
        await _insert(session, rxs, created.id, history["doses"])
    for change in history["changes"]:
        await _apply(session, change, rxs, created.id)
    expected = await _expected_rows(session, created.id)
    assert await _rollup_rows(session, created.id) == expected

    now = BASE + timedelta(minutes=history["now"])
    zone = await session.scalar(select(col(Patient.timezone)).where(col(Patient.id) == created.id))
    today = now.astimezone(ZoneInfo(zone or "UTC")).date()
    windows = [
        (today - timedelta(days=back), today - timedelta(days=back) + timedelta(days=length - 1))
        for back, length in history["windows"]
    ]
    # The generated threshold, and thresholds on both sides of taken doses'
    # lateness, where an off-by-one would show.
    edges = {m + d for v in expected.values() for m in v[4] for d in (-1, 0)}
    thresholds = [history["on_time"], *sorted(m for m in edges if 1 <= m <= 720)[:5]]
    asked: list[tuple[KeyColumn, list[WindowKey]]] = [
        ("patient_id", [(created.id, first, last) for first, last in windows]),
        ("prescription_id", [(rx, first, last) for rx in rxs for first, last in windows]),
    ]
    for minutes in thresholds:
        on_time = timedelta(minutes=minutes)
        for key_column, keys in asked:
            slow = await day_counts_from_doses(session, viewer, key_column, keys, now, on_time)
            quick = await fast(session, viewer, key_column, keys, now, on_time)
            assert quick == slow, (key_column, now, on_time)
            # The counts add up: every counted dose is settled or pending.
            assert all(c.pending >= 0 for days in quick for c in days)


@pytest.fixture
def run_examples(
    migrated: Settings, catalog: SeedReport, doctor: Account
) -> Iterator[Callable[[dict[str, Any], Reader, str], None]]:
    """Runs one example's check in its own rolled-back transaction, on a loop
    and engine of this test's own (Hypothesis drives examples synchronously)."""
    loop = asyncio.new_event_loop()
    engine = create_engine(migrated)
    sessions = create_session_factory(engine)

    async def one(history: dict[str, Any], fast: Reader, plant: str) -> None:
        async with sessions() as session:
            try:
                await _check(session, doctor.viewer, history, fast, plant)
            finally:
                await session.rollback()

    yield lambda history, fast, plant: loop.run_until_complete(one(history, fast, plant))
    loop.run_until_complete(engine.dispose())
    loop.close()


EXAMPLES = settings(
    max_examples=100,
    deadline=None,
    derandomize=True,
    database=None,
    # Shrinking an example costs a database transaction per step: report the
    # failing example as generated.
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@EXAMPLES
@given(history=histories)
def test_rollup_equals_the_counts_of_every_dose(
    run_examples: Callable[[dict[str, Any], Reader, str], None], history: dict[str, Any]
) -> None:
    run_examples(history, day_counts_from_rollup, "")


async def _reader_counting_one_minute_more(
    session: AsyncSession,
    viewer: Viewer,
    key_column: KeyColumn,
    keys: list[WindowKey],
    now: datetime,
    on_time: timedelta,
) -> list[list[DayCounts]]:
    return await day_counts_from_rollup(
        session, viewer, key_column, keys, now, on_time + timedelta(minutes=1)
    )


# Lateness rounded down: a dose 60.5 minutes late would count as on time.
ROUNDED_DOWN = """
CREATE OR REPLACE FUNCTION dose_lateness_minutes(status text, scheduled_at timestamptz,
                                                 taken_at timestamptz)
RETURNS integer LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE
    WHEN status <> 'TAKEN' THEN NULL
    WHEN taken_at IS NULL THEN 1441
    ELSE least(floor(abs(extract(epoch FROM taken_at - scheduled_at)) / 60), 1441)::integer
  END
$$"""


@pytest.mark.parametrize(
    ("fast", "plant"),
    [(day_counts_from_rollup, ROUNDED_DOWN), (_reader_counting_one_minute_more, "")],
    ids=["trigger rounds lateness down", "reader's threshold a minute long"],
)
def test_a_planted_defect_is_found(
    run_examples: Callable[[dict[str, Any], Reader, str], None], fast: Reader, plant: str
) -> None:
    @settings(EXAMPLES, max_examples=200, phases=[Phase.generate])
    @given(history=histories)
    def planted(history: dict[str, Any]) -> None:
        run_examples(history, fast, plant)

    with pytest.raises(AssertionError):
        planted()


def test_lateness_is_kept_in_whole_minutes_rounded_up() -> None:
    """The reference's own units: a dose taken 60 min 1 s late is 61 minutes late."""
    dose = Dose(
        prescription_id=uuid.uuid4(),
        patient_id=uuid.uuid4(),
        scheduled_at=datetime.combine(date(2026, 1, 1), time(8), UTC),
        taken_at=datetime.combine(date(2026, 1, 1), time(9, 0, 1), UTC),
        status=DoseStatus.TAKEN.value,
        created_at=BASE,
    )
    assert _lateness(dose) == 61


async def test_concurrent_writers_of_one_day_both_count(
    resources: Resources, doctor: Account
) -> None:
    """Two transactions record two doses of the same prescription and day at
    once: the second waits for the first's row and adds to what it wrote
    (a recount from its own snapshot would lose the first's dose)."""
    async with transaction(resources.sessions) as session:
        created = await create_patient(
            session, doctor.viewer, NewPatient("Pair", date(1970, 1, 1), "UTC"), BASE
        )
        rx = Prescription(
            patient_id=created.id,
            rxcui=DRUGS[0],
            dose_quantity=1,
            dose_unit="tablet",
            start_date=date(2026, 1, 1),
            as_needed=True,
            status=PrescriptionStatus.ACTIVE.value,
            created_at=BASE,
            updated_at=BASE,
        )
        session.add(rx)
        await session.flush()
        await _insert(
            session, [rx.id], created.id, [(0, 0, "SCHEDULED", None), (0, 60, "SCHEDULED", None)]
        )
    async with resources.sessions() as session:
        first, second = await _dose_ids(session, created.id)

    async def take(session: AsyncSession, dose_id: uuid.UUID) -> None:
        await session.execute(
            update(Dose)
            .where(col(Dose.id) == dose_id)
            .values(status=DoseStatus.TAKEN.value, taken_at=col(Dose.scheduled_at))
        )

    async with resources.sessions() as one, resources.sessions() as two:
        await take(one, first)
        waiting = asyncio.ensure_future(take(two, second))
        await asyncio.sleep(0.3)
        assert not waiting.done()  # blocked on the day's row
        await one.commit()
        await waiting
        await two.commit()
    async with resources.sessions() as session:
        assert await _rollup_rows(session, created.id) == {
            (rx.id, BASE.date()): (2, 2, 0, 0, [0, 0])
        }
