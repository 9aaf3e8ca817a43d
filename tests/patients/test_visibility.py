"""Who sees which patient: the contract README's table, enforced in SQL."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from prescripcare.auth.models import Role
from prescripcare.resources import Resources
from tests.conftest import GraphQLClient
from tests.factories import Account, account, patient
from tests.patients.documents import (
    ADD_TEAM,
    LINK_CAREGIVER,
    PATIENT,
    PATIENT_LIST,
    REMOVE_TEAM,
    UNLINK_CAREGIVER,
    UPDATE_PATIENT,
)


async def listed(gql: GraphQLClient, who: Account) -> set[str]:
    data = await gql.data(PATIENT_LIST, {"first": 100}, token=who.token)
    return {e["node"]["id"] for e in data["patients"]["edges"]}


async def one(gql: GraphQLClient, who: Account, pid: object) -> tuple[Any, str | None]:
    body = await gql.raw(PATIENT, {"id": str(pid)}, token=who.token)
    code = body["errors"][0]["extensions"]["code"] if body.get("errors") else None
    return body["data"]["patient"], code


@pytest.fixture
async def clinic(resources: Resources) -> dict[str, object]:
    """Two clinicians with a patient each, a self-registered patient with a
    linked caregiver, an unlinked caregiver and an admin."""
    doc_a = await account(resources, Role.CLINICIAN)
    doc_b = await account(resources, Role.CLINICIAN)
    pat = await account(resources, Role.PATIENT)
    carer = await account(resources, Role.CAREGIVER)
    stranger = await account(resources, Role.CAREGIVER)
    admin = await account(resources, Role.ADMIN)
    pa = await patient(resources, doc_a, "Ada Byron")
    pb = await patient(resources, doc_b, "Ben Carter")
    return {
        "doc_a": doc_a,
        "doc_b": doc_b,
        "pat": pat,
        "carer": carer,
        "stranger": stranger,
        "admin": admin,
        "pa": str(pa),
        "pb": str(pb),
        "own": str(pat.patient_id),
    }


async def test_each_role_sees_exactly_what_the_table_allows(
    gql: GraphQLClient, clinic: dict[str, Any]
) -> None:
    c = clinic
    r = await gql.data(
        LINK_CAREGIVER, {"patientId": c["own"], "email": c["carer"].email}, token=c["pat"].token
    )
    assert r["linkCaregiver"]["errors"] == []
    everyone = {c["pa"], c["pb"], c["own"]}
    assert await listed(gql, c["admin"]) == everyone
    assert await listed(gql, c["doc_a"]) == {c["pa"]}
    assert await listed(gql, c["doc_b"]) == {c["pb"]}
    assert await listed(gql, c["pat"]) == {c["own"]}
    assert await listed(gql, c["carer"]) == {c["own"]}
    assert await listed(gql, c["stranger"]) == set()
    for who, allowed in [
        ("doc_a", {"pa"}),
        ("pat", {"own"}),
        ("carer", {"own"}),
        ("stranger", set()),
        ("admin", {"pa", "pb", "own"}),
    ]:
        for key in ("pa", "pb", "own"):
            found, code = await one(gql, c[who], c[key])
            if key in allowed:
                assert found is not None and code is None, (who, key)
            else:
                assert (found, code) == (None, "NOT_FOUND"), (who, key)


@pytest.mark.parametrize("bad_id", ["not-a-uuid", "", str(uuid.uuid4()), "1' OR '1'='1"])
async def test_malformed_and_missing_ids_look_like_hidden_ones(
    gql: GraphQLClient,
    clinic: dict[str, Any],
    bad_id: str,
) -> None:
    assert await one(gql, clinic["admin"], bad_id) == (None, "NOT_FOUND")
    out = (
        await gql.data(
            UPDATE_PATIENT, {"id": bad_id, "input": {"name": "X"}}, token=clinic["doc_a"].token
        )
    )["updatePatient"]
    assert [(e["code"], e["field"]) for e in out["errors"]] == [("NOT_FOUND", "id")]


async def test_mutations_on_a_hidden_patient_answer_not_found(
    gql: GraphQLClient,
    clinic: dict[str, Any],
) -> None:
    c = clinic
    out = (
        await gql.data(
            UPDATE_PATIENT, {"id": c["pb"], "input": {"name": "Hacked"}}, token=c["doc_a"].token
        )
    )["updatePatient"]
    assert out["patient"] is None
    assert [e["code"] for e in out["errors"]] == ["NOT_FOUND"]
    assert (await one(gql, c["doc_b"], c["pb"]))[0]["name"] == "Ben Carter"
    link = (
        await gql.data(
            LINK_CAREGIVER, {"patientId": c["pb"], "email": c["carer"].email}, token=c["pat"].token
        )
    )["linkCaregiver"]
    assert [e["code"] for e in link["errors"]] == ["NOT_FOUND"]
    assert await listed(gql, c["carer"]) == set()


async def test_role_check_comes_before_the_target(
    gql: GraphQLClient,
    clinic: dict[str, Any],
) -> None:
    c = clinic
    # A caregiver may never update a patient: FORBIDDEN whether or not the
    # patient exists or is linked.
    for target in (c["own"], c["pb"], "junk"):
        body = await gql.raw(
            UPDATE_PATIENT, {"id": target, "input": {"name": "X"}}, token=c["carer"].token
        )
        assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
        assert body["data"]["updatePatient"] is None


async def test_unauthenticated_calls(gql: GraphQLClient, clinic: dict[str, Any]) -> None:
    for query, variables in [
        (PATIENT_LIST, {}),
        (PATIENT, {"id": clinic["pa"]}),
        (UPDATE_PATIENT, {"id": clinic["pa"], "input": {"name": "X"}}),
    ]:
        body = await gql.raw(query, variables)
        assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_care_team_membership_grants_and_removal_revokes(
    gql: GraphQLClient,
    clinic: dict[str, Any],
) -> None:
    c = clinic
    added = (
        await gql.data(
            ADD_TEAM, {"patientId": c["pa"], "email": c["doc_b"].email}, token=c["doc_a"].token
        )
    )["addCareTeamMember"]
    assert added["errors"] == []
    assert {m["email"] for m in added["patient"]["careTeam"]} == {
        c["doc_a"].email,
        c["doc_b"].email,
    }
    assert c["pa"] in await listed(gql, c["doc_b"])
    # The patient themself can remove a clinician; so can a team member.
    removed = (
        await gql.data(
            REMOVE_TEAM,
            {"patientId": c["pa"], "userId": str(c["doc_a"].id)},
            token=c["doc_b"].token,
        )
    )["removeCareTeamMember"]
    assert removed["errors"] == []
    assert await listed(gql, c["doc_a"]) == set()
    assert await one(gql, c["doc_a"], c["pa"]) == (None, "NOT_FOUND")


async def test_patient_manages_own_team_and_caregivers(
    gql: GraphQLClient,
    clinic: dict[str, Any],
) -> None:
    c = clinic
    pat = c["pat"]
    # Adding a clinician is staff-only (issue 19: no probing which e-mails
    # are clinicians'): the patient is FORBIDDEN whatever the e-mail.
    for email in (c["doc_a"].email, "nobody@clinic.example.org"):
        refused = await gql.raw(ADD_TEAM, {"patientId": c["own"], "email": email}, token=pat.token)
        assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"
        assert refused["data"] == {"addCareTeamMember": None}
    added = (
        await gql.data(
            ADD_TEAM, {"patientId": c["own"], "email": c["doc_a"].email}, token=c["admin"].token
        )
    )["addCareTeamMember"]
    assert added["errors"] == []
    assert c["own"] in await listed(gql, c["doc_a"])
    await gql.data(
        LINK_CAREGIVER, {"patientId": c["own"], "email": c["carer"].email}, token=pat.token
    )
    gone = (
        await gql.data(
            UNLINK_CAREGIVER,
            {"patientId": c["own"], "caregiverId": str(c["carer"].id)},
            token=pat.token,
        )
    )["unlinkCaregiver"]
    assert gone == {"patient": {"id": c["own"], "caregivers": []}, "errors": []}
    assert await listed(gql, c["carer"]) == set()


async def test_caregiver_may_step_back_but_not_remove_others(
    gql: GraphQLClient,
    resources: Resources,
    clinic: dict[str, Any],
) -> None:
    c = clinic
    other = await account(resources, Role.CAREGIVER)
    for carer in (c["carer"], other):
        await gql.data(
            LINK_CAREGIVER, {"patientId": c["own"], "email": carer.email}, token=c["pat"].token
        )
    not_mine = (
        await gql.data(
            UNLINK_CAREGIVER,
            {"patientId": c["own"], "caregiverId": str(other.id)},
            token=c["carer"].token,
        )
    )["unlinkCaregiver"]
    assert [e["code"] for e in not_mine["errors"]] == ["NOT_FOUND"]
    mine = (
        await gql.data(
            UNLINK_CAREGIVER,
            {"patientId": c["own"], "caregiverId": str(c["carer"].id)},
            token=c["carer"].token,
        )
    )["unlinkCaregiver"]
    assert mine["errors"] == []
    assert await listed(gql, c["carer"]) == set()
    assert await listed(gql, other) == {c["own"]}


async def test_linking_needs_an_account_of_the_right_role(
    gql: GraphQLClient,
    clinic: dict[str, Any],
) -> None:
    c = clinic
    for email in ("nobody@example.org", c["doc_b"].email):
        out = (
            await gql.data(
                LINK_CAREGIVER, {"patientId": c["pa"], "email": email}, token=c["doc_a"].token
            )
        )["linkCaregiver"]
        assert [(e["code"], e["field"]) for e in out["errors"]] == [("NOT_FOUND", "email")]
    out = (
        await gql.data(
            ADD_TEAM, {"patientId": c["pa"], "email": c["carer"].email}, token=c["doc_a"].token
        )
    )["addCareTeamMember"]
    assert [(e["code"], e["field"]) for e in out["errors"]] == [("NOT_FOUND", "email")]
    bad = (
        await gql.data(
            LINK_CAREGIVER, {"patientId": c["pa"], "email": "not an email"}, token=c["doc_a"].token
        )
    )["linkCaregiver"]
    assert [(e["code"], e["field"]) for e in bad["errors"]] == [("INVALID", "email")]
