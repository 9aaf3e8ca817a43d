"""Only an ADMIN creates staff accounts."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from prescripcare.auth.models import Role, User
from prescripcare.resources import Resources
from tests.auth.documents import CREATE_USER
from tests.conftest import GraphQLClient
from tests.factories import account


def new_user(role: str = "CLINICIAN", **overrides: object) -> dict[str, Any]:
    data: dict[str, object] = {
        "email": "dr.osei@clinic.example.org",
        "password": "a long clinic passphrase",
        "role": role,
        "name": "Dr Osei",
    }
    data.update(overrides)
    return {"input": data}


async def user_count(res: Resources) -> int:
    async with res.sessions() as s:
        return int(await s.scalar(select(func.count()).select_from(User)) or 0)


@pytest.mark.parametrize("role", ["CLINICIAN", "ADMIN", "CAREGIVER"])
async def test_admin_creates_accounts(gql: GraphQLClient, resources: Resources, role: str) -> None:
    admin = await account(resources, Role.ADMIN)
    out = (await gql.data(CREATE_USER, new_user(role), token=admin.token))["createUser"]
    assert out["errors"] == []
    assert out["user"]["role"] == role and out["user"]["email"] == "dr.osei@clinic.example.org"


@pytest.mark.parametrize("role", [Role.CLINICIAN, Role.PATIENT, Role.CAREGIVER])
async def test_other_roles_are_forbidden_before_any_validation(
    gql: GraphQLClient, resources: Resources, role: Role
) -> None:
    caller = await account(resources, role)
    before = await user_count(resources)
    # Even an invalid input answers FORBIDDEN: the role check comes first.
    body = await gql.raw(CREATE_USER, new_user(email="bad"), token=caller.token)
    assert body["data"]["createUser"] is None
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert await user_count(resources) == before


async def test_unauthenticated(gql: GraphQLClient, resources: Resources) -> None:
    body = await gql.raw(CREATE_USER, new_user())
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert await user_count(resources) == 0


async def test_patient_accounts_come_from_register(
    gql: GraphQLClient, resources: Resources
) -> None:
    admin = await account(resources, Role.ADMIN)
    out = (await gql.data(CREATE_USER, new_user("PATIENT"), token=admin.token))["createUser"]
    assert [(e["code"], e["field"]) for e in out["errors"]] == [("INVALID", "input.role")]
    assert await user_count(resources) == 1


async def test_duplicate_and_weak(gql: GraphQLClient, resources: Resources) -> None:
    admin = await account(resources, Role.ADMIN)
    dup = await gql.data(CREATE_USER, new_user(email=admin.email.upper()), token=admin.token)
    assert [e["code"] for e in dup["createUser"]["errors"]] == ["EMAIL_TAKEN"]
    weak = await gql.data(CREATE_USER, new_user(password="password1234"), token=admin.token)
    assert [(e["code"], e["field"]) for e in weak["createUser"]["errors"]] == [
        ("WEAK_PASSWORD", "input.password")
    ]
    assert await user_count(resources) == 1
