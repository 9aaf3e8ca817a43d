"""The patient's language: set at creation, by update, by registration, and
by `setPatientLanguage` (the patient, a linked caregiver, the care team, an
ADMIN); tags are spelled canonically, unknown ones refused with the field
named and nothing written; null goes back to the deployment's default."""

from __future__ import annotations

from typing import Any

from prescripcare.auth.models import Role
from prescripcare.resources import Resources
from tests.conftest import GraphQLClient
from tests.factories import Account, account
from tests.patients.documents import LINK_CAREGIVER, SET_LANGUAGE

CREATE = """
mutation($input: CreatePatientInput!) {
  createPatient(input: $input) { patient { id language } errors { code field message } }
}"""
UPDATE = """
mutation($id: ID!, $input: UpdatePatientInput!) {
  updatePatient(id: $id, input: $input) { patient { language } errors { code field message } }
}"""
LANGUAGE = "query($id: ID!) { patient(id: $id) { language } }"


async def set_language(
    gql: GraphQLClient, who: Account, pid: str, language: str | None
) -> dict[str, Any]:
    out: dict[str, Any] = (
        await gql.data(SET_LANGUAGE, {"id": pid, "language": language}, token=who.now_token)
    )["setPatientLanguage"]
    return out


async def test_everyone_who_sees_the_patient_may_set_the_language(
    gql: GraphQLClient, resources: Resources, doctor: Account
) -> None:
    me = await account(resources, Role.PATIENT)
    carer = await account(resources, Role.CAREGIVER)
    pid = str(me.patient_id)
    linked = await gql.data(
        LINK_CAREGIVER, {"patientId": pid, "email": carer.email}, token=me.token
    )
    assert linked["linkCaregiver"]["errors"] == []
    assert (await gql.data(LANGUAGE, {"id": pid}, token=me.token))["patient"]["language"] == "en"
    assert (await set_language(gql, carer, pid, "pt-br"))["patient"]["language"] == "pt-BR"
    assert (await set_language(gql, me, pid, "es-MX"))["patient"]["language"] == "es-MX"
    admin = await account(resources, Role.ADMIN)
    assert (await set_language(gql, admin, pid, None))["patient"]["language"] == "en"
    stranger = await account(resources, Role.CAREGIVER)
    refused = await set_language(gql, stranger, pid, "fr")
    assert refused["patient"] is None and refused["errors"][0]["code"] == "NOT_FOUND"
    assert refused["errors"][0]["field"] == "patientId"
    outsider = await set_language(gql, doctor, pid, "fr")  # not on this patient's team
    assert outsider["errors"][0]["code"] == "NOT_FOUND"


async def test_an_unknown_language_is_refused_and_nothing_changes(
    gql: GraphQLClient, doctor: Account
) -> None:
    made = (
        await gql.data(
            CREATE,
            {
                "input": {
                    "name": "Ana Souza",
                    "dateOfBirth": "1961-04-02",
                    "timezone": "America/Sao_Paulo",
                    "language": "pt-BR",
                }
            },
            token=doctor.token,
        )
    )["createPatient"]
    assert made["errors"] == [] and made["patient"]["language"] == "pt-BR"
    pid = made["patient"]["id"]
    refused = await set_language(gql, doctor, pid, "tlh")
    assert refused["errors"][0]["code"] == "INVALID"
    assert refused["errors"][0]["field"] == "language"
    assert "en, es, fr, de, pt-BR" in refused["errors"][0]["message"]
    bad = (await gql.data(UPDATE, {"id": pid, "input": {"language": "xx-??"}}, token=doctor.token))[
        "updatePatient"
    ]
    assert bad["errors"][0]["field"] == "input.language"
    assert (await gql.data(LANGUAGE, {"id": pid}, token=doctor.token))["patient"] == {
        "language": "pt-BR"
    }
    cleared = (
        await gql.data(UPDATE, {"id": pid, "input": {"language": None}}, token=doctor.token)
    )["updatePatient"]
    assert cleared["patient"]["language"] == "en"
