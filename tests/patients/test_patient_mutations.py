"""Creating and updating patients: validation, partial updates, formats."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select
from sqlmodel import col

from prescripcare.auth.models import Role
from prescripcare.patients.models import CareTeamMember, Patient
from prescripcare.resources import Resources
from tests.conftest import GraphQLClient
from tests.factories import account
from tests.patients.documents import CREATE_PATIENT, UPDATE_PATIENT


def new_patient(**overrides: Any) -> dict[str, Any]:
    data = {
        "name": "  Grace   Hopper ",
        "dateOfBirth": "1946-12-09",
        "timezone": "America/New_York",
        "phone": "+1 202-555-0143",
        "email": "grace@example.org",
        "reminderChannels": ["SMS", "EMAIL", "SMS"],
    }
    data.update(overrides)
    return {"input": data}


async def patient_rows(res: Resources) -> int:
    async with res.sessions() as s:
        return int(await s.scalar(select(func.count()).select_from(Patient)) or 0)


async def test_clinician_creates_a_patient_and_joins_the_team(
    gql: GraphQLClient, resources: Resources
) -> None:
    doc = await account(resources, Role.CLINICIAN)
    out = (await gql.data(CREATE_PATIENT, new_patient(), token=doc.token))["createPatient"]
    assert out["errors"] == []
    assert out["patient"]["name"] == "Grace Hopper"
    assert out["patient"]["dateOfBirth"] == "1946-12-09"
    assert out["patient"]["reminderChannels"] == ["SMS", "EMAIL"]
    async with resources.sessions() as s:
        stored = await s.get(Patient, out["patient"]["id"])
        team = list(await s.scalars(select(col(CareTeamMember.user_id))))
    assert stored is not None and stored.phone == "+12025550143"
    assert team == [doc.id]


@pytest.mark.parametrize("role", [Role.PATIENT, Role.CAREGIVER])
async def test_patients_and_caregivers_cannot_create_patients(
    gql: GraphQLClient, resources: Resources, role: Role
) -> None:
    caller = await account(resources, role)
    before = await patient_rows(resources)
    body = await gql.raw(CREATE_PATIENT, new_patient(), token=caller.token)
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert await patient_rows(resources) == before


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"phone": "555-0143"}, "input.phone"),
        ({"phone": "+1 202 555"}, "input.phone"),
        ({"phone": "+44 20 7946 09601234"}, "input.phone"),
        ({"timezone": "EST"}, "input.timezone"),
        ({"timezone": "Europe/Atlantis"}, "input.timezone"),
        ({"email": "grace@"}, "input.email"),
        ({"dateOfBirth": "2030-01-01"}, "input.dateOfBirth"),
        ({"name": ""}, "input.name"),
        ({"name": "x" * 201}, "input.name"),
        ({"phone": None, "reminderChannels": ["SMS"]}, "input.reminderChannels"),
        ({"email": None, "reminderChannels": ["EMAIL"]}, "input.reminderChannels"),
    ],
)
async def test_bad_values_are_refused_with_their_field(
    gql: GraphQLClient, resources: Resources, overrides: dict[str, Any], field: str
) -> None:
    admin = await account(resources, Role.ADMIN)
    out = (await gql.data(CREATE_PATIENT, new_patient(**overrides), token=admin.token))[
        "createPatient"
    ]
    assert out["patient"] is None
    assert [(e["code"], e["field"]) for e in out["errors"]] == [("INVALID", field)]
    assert await patient_rows(resources) == 0


async def test_wrong_types_never_reach_the_resolver(
    gql: GraphQLClient, resources: Resources
) -> None:
    admin = await account(resources, Role.ADMIN)
    for bad in (
        {"reminderChannels": ["PIGEON"]},
        {"dateOfBirth": 19461209},
        {"name": None},
        {"dateOfBirth": "1946-02-30"},
    ):
        body = await gql.raw(CREATE_PATIENT, new_patient(**bad), token=admin.token)
        assert body.get("data") is None, bad
        assert body["errors"], bad
    assert await patient_rows(resources) == 0


async def test_update_keeps_omitted_fields_and_clears_explicit_nulls(
    gql: GraphQLClient, resources: Resources
) -> None:
    doc = await account(resources, Role.CLINICIAN)
    pid = (
        await gql.data(CREATE_PATIENT, new_patient(reminderChannels=["EMAIL"]), token=doc.token)
    )["createPatient"]["patient"]["id"]
    out = (
        await gql.data(
            UPDATE_PATIENT,
            {
                "id": pid,
                "input": {"phone": None, "quietHours": {"start": "22:00:00", "end": "07:30"}},
            },
            token=doc.token,
        )
    )["updatePatient"]
    assert out["errors"] == []
    assert out["patient"]["name"] == "Grace Hopper"
    assert out["patient"]["timezone"] == "America/New_York"
    assert out["patient"]["reminderChannels"] == ["EMAIL"]
    assert out["patient"]["quietHours"] == {"start": "22:00", "end": "07:30"}
    async with resources.sessions() as s:
        stored = await s.get(Patient, pid)
    assert stored is not None and stored.phone is None and stored.email == "grace@example.org"
    cleared = (
        await gql.data(UPDATE_PATIENT, {"id": pid, "input": {"quietHours": None}}, token=doc.token)
    )["updatePatient"]
    assert cleared["patient"]["quietHours"] is None


async def test_update_refuses_bad_values_and_writes_nothing(
    gql: GraphQLClient, resources: Resources
) -> None:
    pat = await account(resources, Role.PATIENT, timezone="Europe/London")
    pid = str(pat.patient_id)
    out = (
        await gql.data(
            UPDATE_PATIENT,
            {
                "id": pid,
                "input": {
                    "name": None,
                    "timezone": "Europe/Paris",
                    "reminderChannels": ["SMS"],
                    "quietHours": {"start": "08:00", "end": "08:00"},
                },
            },
            token=pat.token,
        )
    )["updatePatient"]
    assert out["patient"] is None
    assert {(e["code"], e["field"]) for e in out["errors"]} == {
        ("INVALID", "input.name"),
        ("INVALID", "input.reminderChannels"),
        ("INVALID", "input.quietHours"),
    }
    async with resources.sessions() as s:
        stored = await s.get(Patient, pat.patient_id)
    assert stored is not None
    assert (stored.name, stored.timezone, stored.reminder_channels) == (
        "Test Patient",
        "Europe/London",
        [],
    )


async def test_patient_updates_own_record(gql: GraphQLClient, resources: Resources) -> None:
    pat = await account(resources, Role.PATIENT)
    out = (
        await gql.data(
            UPDATE_PATIENT,
            {
                "id": str(pat.patient_id),
                "input": {
                    "timezone": "Asia/Kolkata",
                    "phone": "+919812345678",
                    "reminderChannels": ["SMS", "PUSH"],
                },
            },
            token=pat.token,
        )
    )["updatePatient"]
    assert out["errors"] == []
    assert out["patient"]["timezone"] == "Asia/Kolkata"
    assert out["patient"]["reminderChannels"] == ["SMS", "PUSH"]


@pytest.mark.parametrize("value", ["25:00", "8:00", "08:00:30", "noon"])
async def test_local_time_input_is_strict(
    gql: GraphQLClient, resources: Resources, value: str
) -> None:
    pat = await account(resources, Role.PATIENT)
    body = await gql.raw(
        UPDATE_PATIENT,
        {"id": str(pat.patient_id), "input": {"quietHours": {"start": value, "end": "07:00"}}},
        token=pat.token,
    )
    assert body.get("data") is None
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
