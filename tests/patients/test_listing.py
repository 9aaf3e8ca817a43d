"""`patients`: keyset pages by name then id, search, totalCount, no N+1."""

from __future__ import annotations

import pytest

from prescripcare.auth.models import Role
from prescripcare.db import transaction
from prescripcare.patients import service
from prescripcare.resources import Resources
from tests.conftest import GraphQLClient, StatementCounter
from tests.factories import Account, account, patient
from tests.patients.documents import PATIENT_LIST

NAMES = [
    "Zoe Adams",
    "amy Brown",
    "Amy Brown",
    "Amy Brown",
    "Bob Stone",
    "Émile Zola",
    "Carl Jung",
    "Dana Scully",
    "Eve Polastri",
    "Fox Mulder",
    "Gil Grissom",
    "Hal Jordan",
]


async def all_pages(
    gql: GraphQLClient, who: Account, first: int, search: str | None = None
) -> list[list[str]]:
    pages, after = [], None
    while True:
        data = (
            await gql.data(
                PATIENT_LIST, {"first": first, "after": after, "search": search}, token=who.token
            )
        )["patients"]
        pages.append([e["node"]["name"] for e in data["edges"]])
        if not data["pageInfo"]["hasNextPage"]:
            return pages
        after = data["pageInfo"]["endCursor"]
        assert after == data["edges"][-1]["cursor"]


@pytest.fixture
async def doctor(resources: Resources) -> Account:
    doc = await account(resources, Role.CLINICIAN)
    for name in NAMES:
        await patient(resources, doc, name)
    return doc


async def test_pages_cover_every_patient_once_in_name_then_id_order(
    gql: GraphQLClient, doctor: Account
) -> None:
    one_page = (await gql.data(PATIENT_LIST, {"first": 100}, token=doctor.token))["patients"]
    ids = [e["node"]["id"] for e in one_page["edges"]]
    names = [e["node"]["name"] for e in one_page["edges"]]
    assert one_page["totalCount"] == len(NAMES) == len(set(ids))
    # Three patients share a name (up to case): ids break the tie, stably.
    assert names.count("Amy Brown") == 2
    pages = await all_pages(gql, doctor, 5)
    assert [len(p) for p in pages] == [5, 5, 2]
    assert [n for p in pages for n in p] == names


async def test_first_defaults_to_20_and_is_clamped(
    gql: GraphQLClient, resources: Resources, doctor: Account
) -> None:
    for i in range(100):
        await patient(resources, doctor, f"Patient {i:03d}")

    async def size(first: int | None) -> int:
        data = (await gql.data(PATIENT_LIST, {"first": first}, token=doctor.token))["patients"]
        return len(data["edges"])

    assert await size(None) == 20
    assert await size(0) == 1
    assert await size(-5) == 1
    assert await size(1000) == 100


async def test_search_matches_every_word_case_insensitively(
    gql: GraphQLClient, doctor: Account
) -> None:
    data = (await gql.data(PATIENT_LIST, {"search": "brown AMY"}, token=doctor.token))["patients"]
    assert data["totalCount"] == 3
    found = [p for page in await all_pages(gql, doctor, 1, "brown amy") for p in page]
    assert sorted(found) == ["Amy Brown", "Amy Brown", "amy Brown"]
    accented = await gql.data(PATIENT_LIST, {"search": "émile"}, token=doctor.token)
    assert [e["node"]["name"] for e in accented["patients"]["edges"]] == ["Émile Zola"]
    assert (await gql.data(PATIENT_LIST, {"search": "100%_"}, token=doctor.token))["patients"][
        "totalCount"
    ] == 0


async def test_bad_cursors_and_huge_searches_are_bad_input(
    gql: GraphQLClient, resources: Resources, doctor: Account
) -> None:
    for after in ("garbage", "cGF0aWVudDpub3QtYS11dWlk", ""):
        body = await gql.raw(PATIENT_LIST, {"after": after}, token=doctor.token)
        assert body["errors"][0]["extensions"] == {"code": "BAD_USER_INPUT", "field": "after"}
    body = await gql.raw(PATIENT_LIST, {"search": "x" * 101}, token=doctor.token)
    assert body["errors"][0]["extensions"] == {"code": "BAD_USER_INPUT", "field": "search"}
    # Another clinician's cursor points at a patient this one cannot see.
    other = await account(resources, Role.CLINICIAN)
    await patient(resources, other, "Secret Person")
    foreign = (await gql.data(PATIENT_LIST, {"first": 1}, token=other.token))["patients"]
    body = await gql.raw(
        PATIENT_LIST, {"after": foreign["pageInfo"]["endCursor"]}, token=doctor.token
    )
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def _clinic_of(resources: Resources, size: int) -> Account:
    doc = await account(resources, Role.CLINICIAN)
    carer = await account(resources, Role.CAREGIVER)
    for i in range(size):
        pid = await patient(resources, doc, f"Patient {i:03d}")
        async with transaction(resources.sessions) as s:
            await service.link_caregiver(
                s, doc.viewer, str(pid), carer.email, resources.clock.now()
            )
    return doc


@pytest.mark.parametrize("size", [10, 50])
async def test_patient_list_costs_a_fixed_number_of_statements(
    gql: GraphQLClient, resources: Resources, count_statements: StatementCounter, size: int
) -> None:
    doc = await _clinic_of(resources, size)
    count_statements.count = 0
    data = (await gql.data(PATIENT_LIST, {"first": 50}, token=doc.token))["patients"]
    assert len(data["edges"]) == size
    assert all(len(e["node"]["caregivers"]) == 1 for e in data["edges"])
    # viewer, page, totalCount, caregivers, care team, and one audit INSERT
    # for every listed patient: the same for 10 or 50.
    assert count_statements.count == 6, count_statements.statements
