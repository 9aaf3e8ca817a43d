"""Sign-up and login as the apps use them."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select
from sqlmodel import col

from prescripcare.auth.models import User
from prescripcare.patients.models import Patient
from prescripcare.resources import Resources
from tests.auth.documents import LOGIN, ME, REGISTER
from tests.conftest import GraphQLClient

PASSWORD = "a long and unusual passphrase"


def registration(**overrides: Any) -> dict[str, Any]:
    data = {
        "email": "Maria.Lopez@Example.org",
        "password": PASSWORD,
        "name": "Maria Lopez",
        "timezone": "America/Chicago",
        "dateOfBirth": "1952-03-09",
    }
    data.update(overrides)
    return {"input": data}


async def rows(res: Resources) -> tuple[int, int]:
    async with res.sessions() as s:
        users = await s.scalar(select(func.count()).select_from(User))
        patients = await s.scalar(select(func.count()).select_from(Patient))
    return int(users or 0), int(patients or 0)


async def test_patient_registers_and_sees_own_record(gql: GraphQLClient) -> None:
    out = (await gql.data(REGISTER, registration()))["register"]
    assert out["errors"] == []
    assert out["user"]["email"] == "maria.lopez@example.org"
    assert out["user"]["role"] == "PATIENT"
    patient_id = out["user"]["patient"]["id"]
    me = (await gql.data(ME, token=out["accessToken"]))["me"]
    assert me["patient"] == {"id": patient_id, "name": "Maria Lopez"}


async def test_caregiver_registers_without_time_zone(gql: GraphQLClient) -> None:
    out = (await gql.data(REGISTER, registration(role="CAREGIVER", timezone=None)))["register"]
    assert out["errors"] == []
    assert out["user"]["role"] == "CAREGIVER"
    assert out["user"]["patient"] is None


@pytest.mark.parametrize("role", ["CLINICIAN", "ADMIN"])
async def test_staff_roles_cannot_self_register(
    gql: GraphQLClient, resources: Resources, role: str
) -> None:
    body = await gql.raw(REGISTER, registration(role=role))
    assert body["data"]["register"] is None
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert await rows(resources) == (0, 0)


@pytest.mark.parametrize(
    ("overrides", "code", "field"),
    [
        ({"email": "not-an-email"}, "INVALID", "input.email"),
        ({"email": "x@localhost"}, "INVALID", "input.email"),
        ({"password": "short1!"}, "WEAK_PASSWORD", "input.password"),
        ({"password": "qwerty123456"}, "WEAK_PASSWORD", "input.password"),
        ({"password": "aaaaaaaaaaaaaaaa"}, "WEAK_PASSWORD", "input.password"),
        ({"timezone": "Mars/Olympus_Mons"}, "INVALID", "input.timezone"),
        ({"timezone": "localtime"}, "INVALID", "input.timezone"),
        ({"timezone": None}, "INVALID", "input.timezone"),
        ({"name": "   "}, "INVALID", "input.name"),
        ({"dateOfBirth": "2099-01-01"}, "INVALID", "input.dateOfBirth"),
    ],
)
async def test_bad_values_answer_a_user_error_and_write_nothing(
    gql: GraphQLClient, resources: Resources, overrides: dict[str, Any], code: str, field: str
) -> None:
    out = (await gql.data(REGISTER, registration(**overrides)))["register"]
    assert out["accessToken"] is None
    assert [(e["code"], e["field"]) for e in out["errors"]] == [(code, field)]
    assert out["errors"][0]["message"]
    assert await rows(resources) == (0, 0)


async def test_every_bad_field_is_reported_at_once(gql: GraphQLClient) -> None:
    out = (await gql.data(REGISTER, registration(email="nope", password="x", timezone="Nowhere")))[
        "register"
    ]
    assert {e["field"] for e in out["errors"]} == {
        "input.email",
        "input.password",
        "input.timezone",
    }


async def test_duplicate_email_is_taken_whatever_its_case(
    gql: GraphQLClient, resources: Resources
) -> None:
    await gql.data(REGISTER, registration())
    out = (await gql.data(REGISTER, registration(email="MARIA.LOPEZ@example.org")))["register"]
    assert [(e["code"], e["field"]) for e in out["errors"]] == [("EMAIL_TAKEN", "input.email")]
    assert await rows(resources) == (1, 1)


@pytest.mark.parametrize(
    ("variables", "fragment"),
    [
        ({"input": {"email": "a@example.org", "password": PASSWORD}}, "name"),
        ({"input": {**registration()["input"], "role": "SUPERUSER"}}, "SUPERUSER"),
        ({"input": {**registration()["input"], "dateOfBirth": "09/03/1952"}}, "YYYY-MM-DD"),
        ({"input": {**registration()["input"], "email": 42}}, "String"),
    ],
)
async def test_wrong_types_are_validation_errors(
    gql: GraphQLClient, resources: Resources, variables: dict[str, Any], fragment: str
) -> None:
    body = await gql.raw(REGISTER, variables)
    assert body.get("data") is None
    assert fragment in body["errors"][0]["message"]
    assert await rows(resources) == (0, 0)


async def test_login_answers_tokens(gql: GraphQLClient) -> None:
    await gql.data(REGISTER, registration())
    out = (await gql.data(LOGIN, {"email": "maria.lopez@example.org", "password": PASSWORD}))[
        "login"
    ]
    assert out["errors"] == []
    assert out["accessToken"] and out["refreshToken"]
    assert out["user"]["role"] == "PATIENT"


@pytest.mark.parametrize(
    ("email", "password"),
    [("maria.lopez@example.org", "the wrong passphrase"), ("nobody@example.org", PASSWORD)],
)
async def test_wrong_email_and_wrong_password_look_the_same(
    gql: GraphQLClient, email: str, password: str
) -> None:
    await gql.data(REGISTER, registration())
    out = (await gql.data(LOGIN, {"email": email, "password": password}))["login"]
    assert out["accessToken"] is None and out["user"] is None
    assert [(e["code"], e["field"]) for e in out["errors"]] == [("INVALID_CREDENTIALS", None)]


async def test_passwords_are_stored_as_argon2id(gql: GraphQLClient, resources: Resources) -> None:
    await gql.data(REGISTER, registration())
    async with resources.sessions() as s:
        stored = await s.scalar(select(col(User.password_hash)))
    assert stored is not None
    assert stored.startswith("$argon2id$") and PASSWORD not in stored
