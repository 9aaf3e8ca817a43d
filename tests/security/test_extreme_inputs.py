"""Issue 19: inputs of the right type but extreme value (year 1 at +23:59,
year 9999, a cursor holding a 29-digit number or an infinite sort key) are
the client's mistake, answered BAD_USER_INPUT, never a masked internal
error. A property test over every date, date-time and cursor input."""

from __future__ import annotations

import base64
import uuid
from collections.abc import Iterator
from datetime import date, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.testclient import TestClient

from prescripcare.app import create_app
from prescripcare.auth.models import Role
from prescripcare.clock import SettableClock
from prescripcare.drugs.seed import SeedReport
from prescripcare.graphql.scalars import EARLIEST, LATEST
from prescripcare.resources import Resources
from prescripcare.settings import Settings
from tests.factories import Account, account
from tests.prescriptions.documents import PRESCRIBE, prescription
from tests.security.conftest import production_settings

DOSES = """query($id: ID!, $from: DateTime!, $to: DateTime!) {
  patient(id: $id) { doses(from: $from, to: $to) { id } } }"""
ADHERENCE = """query($id: ID!, $from: Date, $to: Date) {
  patient(id: $id) { adherence(from: $from, to: $to) { pdc } } }"""
RECORD = """mutation($dose: ID!, $at: DateTime) {
  recordDose(doseId: $dose, status: TAKEN, takenAt: $at) { errors { code } } }"""
BIRTH = """mutation($id: ID!, $born: Date) {
  updatePatient(id: $id, input: {dateOfBirth: $born}) { errors { code } } }"""
AUDIT = "query($id: ID!, $after: String) { auditLog(patientId: $id, after: $after) { __typename } }"
PATIENTS = "query($after: String) { patients(after: $after) { totalCount } }"
BY_ADHERENCE = (
    "query($after: String) { patients(after: $after, orderBy: DOSE_ADHERENCE_ASC) { totalCount } }"
)

_OFFSETS = st.integers(-(24 * 60 - 1), 24 * 60 - 1).map(
    lambda minutes: timezone(timedelta(minutes=minutes))
)
# Hypothesis tries the ends of each range first: year 1 and 9999, offsets ±23:59.
DATETIMES = st.builds(
    lambda moment, zone: moment.replace(tzinfo=zone),
    st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31, 23, 59, 59)),
    _OFFSETS,
)
DATES = st.dates(min_value=date(1, 1, 1), max_value=date(9999, 12, 31))


def _cursor(kind: str, payload: str) -> str:
    return base64.urlsafe_b64encode(f"{kind}:{payload}".encode()).decode().rstrip("=")


CURSORS = st.one_of(
    st.integers(min_value=-(10**30), max_value=10**30).map(lambda n: _cursor("audit", str(n))),
    st.text(max_size=12).map(lambda t: _cursor("audit", t)),
    st.builds(
        lambda row, value: _cursor("patient-adherence", f"{row}:{value}"),
        st.uuids(),
        st.one_of(st.floats(), st.sampled_from(["nan", "inf", "-inf", "1e999", "1" * 400])),
    ),
    st.builds(
        lambda row, tail: _cursor("patient", f"{row}{tail}"), st.uuids(), st.text(max_size=8)
    ),
    st.text(max_size=40),
)


def _in_range(value: date | datetime) -> bool:
    day = value.date() if isinstance(value, datetime) else value
    return EARLIEST <= day <= LATEST


@pytest.fixture
def production(migrated: Settings, clock: SettableClock) -> Iterator[TestClient]:
    # Rate limits off: hundreds of probes from one address are the point here.
    unlimited = production_settings(migrated).model_copy(update={"rate_limit_enabled": False})
    with TestClient(create_app(unlimited, clock=clock)) as client:
        yield client


@pytest.fixture
async def people(production_resources: Resources, catalog: SeedReport) -> dict[str, Account]:
    return {
        "patient": await account(production_resources, Role.PATIENT),
        "clinician": await account(production_resources, Role.CLINICIAN),
    }


class Caller:
    def __init__(self, client: TestClient, who: Account) -> None:
        self.client = client
        self.who = who

    def __call__(self, query: str, variables: dict[str, Any]) -> dict[str, Any]:
        response = self.client.post(
            "/graphql",
            json={"query": query, "variables": variables},
            headers={"Authorization": f"Bearer {self.who.now_token}"},
        )
        assert response.status_code < 500, response.text
        body: dict[str, Any] = response.json()
        codes = [(e.get("extensions") or {}).get("code") for e in body.get("errors") or []]
        assert "INTERNAL_SERVER_ERROR" not in codes, (query, variables, body)
        return body


def _refused_as_bad_input(body: dict[str, Any]) -> bool:
    codes = [(e.get("extensions") or {}).get("code") for e in body.get("errors") or []]
    return bool(codes) and set(codes) == {"BAD_USER_INPUT"} and body.get("data") is None


EXAMPLES = settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def test_extreme_dates_and_times_are_bad_input(
    production: TestClient, people: dict[str, Account]
) -> None:
    me = Caller(production, people["patient"])
    pid = str(people["patient"].patient_id)
    rx = me(PRESCRIBE, prescription(pid, "6809"))["data"]["prescribe"]["prescription"]
    dose = rx["nextDose"]["id"]

    @EXAMPLES
    @given(start=DATETIMES, end=DATETIMES, day=DATES, other_day=DATES)
    def probe(start: datetime, end: datetime, day: date, other_day: date) -> None:
        answers = [
            (me(DOSES, {"id": pid, "from": start.isoformat(), "to": end.isoformat()}), start, end),
            (me(RECORD, {"dose": dose, "at": start.isoformat()}), start, start),
            (
                me(ADHERENCE, {"id": pid, "from": day.isoformat(), "to": other_day.isoformat()}),
                day,
                other_day,
            ),
            (me(BIRTH, {"id": pid, "born": day.isoformat()}), day, day),
        ]
        for body, first, second in answers:
            if not (_in_range(first) and _in_range(second)):
                assert _refused_as_bad_input(body), body

    probe()


def test_extreme_cursors_are_bad_input(production: TestClient, people: dict[str, Account]) -> None:
    me = Caller(production, people["patient"])
    doctor = Caller(production, people["clinician"])
    pid = str(people["patient"].patient_id)

    @EXAMPLES
    @given(cursor=CURSORS)
    def probe(cursor: str) -> None:
        for body in (
            me(AUDIT, {"id": pid, "after": cursor}),
            doctor(PATIENTS, {"after": cursor}),
            doctor(BY_ADHERENCE, {"after": cursor}),
        ):
            assert body.get("data") is not None or _refused_as_bad_input(body), body

    probe()
    # The one from the report: an audit cursor holding a 29-digit number.
    huge = _cursor("audit", "9" * 29)
    assert _refused_as_bad_input(me(AUDIT, {"id": pid, "after": huge}))
    assert _refused_as_bad_input(
        doctor(BY_ADHERENCE, {"after": _cursor("patient-adherence", f"{uuid.uuid4()}:inf")})
    )
