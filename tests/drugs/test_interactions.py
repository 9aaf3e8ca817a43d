"""Interaction checks over ingredients and classes."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import GraphQLClient, StatementCounter
from tests.drugs.documents import DRUG, INTERACTION_CHECK
from tests.factories import Account

WARFARIN, ASPIRIN, ATAZANAVIR, OMEPRAZOLE = "11289", "1191", "343047", "7646"
SMX_TMP, LISINOPRIL = "10831", "29046"


async def check(gql: GraphQLClient, who: Account, *rxcuis: str) -> list[dict[str, Any]]:
    data = await gql.data(INTERACTION_CHECK, {"rxcuis": list(rxcuis)}, token=who.token)
    found: list[dict[str, Any]] = data["interactions"]
    return found


def pair(finding: dict[str, Any]) -> set[str]:
    return {d["name"] for d in finding["drugs"]}


async def test_warfarin_and_aspirin_is_major(gql: GraphQLClient, clinician: Account) -> None:
    found = await check(gql, clinician, WARFARIN, ASPIRIN)
    assert [(f["severity"], pair(f)) for f in found] == [("MAJOR", {"warfarin", "aspirin"})]
    assert found[0]["description"].startswith("Warfarin with aspirin")


async def test_atazanavir_and_omeprazole_through_the_ppi_class_rule(
    gql: GraphQLClient, clinician: Account
) -> None:
    found = await check(gql, clinician, OMEPRAZOLE, ATAZANAVIR)
    assert [(f["severity"], pair(f)) for f in found] == [
        ("CONTRAINDICATED", {"atazanavir", "omeprazole"})
    ]
    assert "Proton pump inhibitors" in found[0]["description"]


async def test_most_severe_first_each_pair_once(gql: GraphQLClient, clinician: Account) -> None:
    found = await check(gql, clinician, WARFARIN, OMEPRAZOLE, ASPIRIN, ATAZANAVIR, WARFARIN)
    severities = [f["severity"] for f in found]
    assert severities[0] == "CONTRAINDICATED"
    order = ["CONTRAINDICATED", "MAJOR", "MODERATE", "MINOR"]
    assert severities == sorted(severities, key=order.index)
    pairs = [frozenset(pair(f)) for f in found]
    assert len(pairs) == len(set(pairs))
    assert frozenset({"warfarin", "aspirin"}) in pairs


async def test_a_combination_product_reports_its_ingredients(
    gql: GraphQLClient, clinician: Account
) -> None:
    drug = (await gql.data(DRUG, {"rxcui": SMX_TMP}, token=clinician.token))["drug"]
    assert {i["name"] for i in drug["ingredients"]} == {"sulfamethoxazole", "trimethoprim"}
    found = await check(gql, clinician, SMX_TMP, LISINOPRIL)
    # trimethoprim with an ACE inhibitor (class rule) raises potassium.
    assert ("MODERATE", {"trimethoprim", "lisinopril"}) in [(f["severity"], pair(f)) for f in found]


async def test_no_interaction_is_an_empty_list(gql: GraphQLClient, clinician: Account) -> None:
    assert await check(gql, clinician, LISINOPRIL) == []
    assert await check(gql, clinician) == []


@pytest.mark.parametrize("bad", ["99999999", "not-a-number", ""])
async def test_unknown_rxcui_is_a_top_level_unknown_drug(
    gql: GraphQLClient, clinician: Account, bad: str
) -> None:
    body = await gql.raw(INTERACTION_CHECK, {"rxcuis": [WARFARIN, bad]}, token=clinician.token)
    assert body["data"] is None
    error = body["errors"][0]
    assert error["extensions"]["code"] == "UNKNOWN_DRUG"
    assert error["extensions"]["rxcuis"] == [bad]


async def test_drug_with_ingredients_and_null_for_unknown(
    gql: GraphQLClient, clinician: Account
) -> None:
    warfarin = (await gql.data(DRUG, {"rxcui": WARFARIN}, token=clinician.token))["drug"]
    assert warfarin == {
        "rxcui": WARFARIN,
        "name": "warfarin",
        "tty": "IN",
        "ingredients": [{"rxcui": WARFARIN, "name": "warfarin"}],
    }
    assert (await gql.data(DRUG, {"rxcui": "99999999"}, token=clinician.token))["drug"] is None


async def test_fifteen_drugs_cost_the_same_statements_as_three(
    gql: GraphQLClient, clinician: Account, count_statements: StatementCounter
) -> None:
    many = [
        WARFARIN,
        ASPIRIN,
        ATAZANAVIR,
        OMEPRAZOLE,
        SMX_TMP,
        LISINOPRIL,
        "36567",
        "83367",
        "6809",
        "32968",
        "4493",
        "36437",
        "2551",
        "7804",
        "5487",
    ]
    await check(gql, clinician, *many[:3])
    small = count_statements.count
    count_statements.count = 0
    found = await check(gql, clinician, *many)
    assert found
    assert count_statements.count == small, count_statements.statements
