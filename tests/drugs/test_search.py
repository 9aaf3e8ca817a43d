"""Typing a few letters, or a misspelling, finds the right drug first."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import GraphQLClient
from tests.drugs.documents import DRUG_SEARCH
from tests.factories import Account


async def search(
    gql: GraphQLClient, who: Account, q: str, first: int | None = None
) -> list[dict[str, Any]]:
    data = await gql.data(DRUG_SEARCH, {"q": q, "first": first}, token=who.token)
    found: list[dict[str, Any]] = data["drugs"]
    return found


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("warfrin", "warfarin"),  # the contract's examples
        ("lisino", "lisinopril"),
        ("zoc", "simvastatin"),  # through its brand Zocor
        ("metphormin", "metformin"),
        ("atorvastatine", "atorvastatin"),
        ("simvastatn", "simvastatin"),
        ("omeprazol", "omeprazole"),
        ("amlodipin", "amlodipine"),
        ("metoprolol tartrat", "metoprolol"),
        ("sertralin", "sertraline"),
        ("fluoxetin", "fluoxetine"),
        ("gabapentine", "gabapentin"),
        ("hydrochlorthiazide", "hydrochlorothiazide"),
        ("losartin", "losartan"),
        ("clopidogrell", "clopidogrel"),
        ("ibuprofin", "ibuprofen"),
        ("acetaminophn", "acetaminophen"),
        ("citalopramm", "citalopram"),
        ("escitalopran", "escitalopram"),
        ("pantoprazol", "pantoprazole"),
        ("furosemid", "furosemide"),
        ("montelucast", "montelukast"),
        ("rosuvastatine", "rosuvastatin"),
        ("tramadoll", "tramadol"),
        ("prednisone", "prednisone"),
        ("Lipitor", "atorvastatin"),
        ("eliquis", "apixaban"),
        ("coumadin", "warfarin"),
        ("ZOLOFT", "sertraline"),
    ],
)
async def test_right_drug_first(
    gql: GraphQLClient, clinician: Account, typed: str, expected: str
) -> None:
    found = await search(gql, clinician, typed)
    assert found, typed
    assert found[0]["name"] == expected, [d["name"] for d in found[:5]]
    assert found[0]["tty"] == "IN"


async def test_brand_concepts_are_found_too(gql: GraphQLClient, clinician: Account) -> None:
    names = [d["name"] for d in await search(gql, clinician, "prozac")]
    assert names[0] == "fluoxetine"
    assert "Prozac" in names


async def test_a_product_name_the_catalog_lacks_finds_its_drug(
    gql: GraphQLClient, clinician: Account
) -> None:
    names = [d["name"] for d in await search(gql, clinician, "simvastatin 20 mg oral tablet")]
    assert names[0] == "simvastatin"


async def test_first_is_clamped(gql: GraphQLClient, clinician: Account) -> None:
    assert len(await search(gql, clinician, "ol")) <= 10
    assert len(await search(gql, clinician, "a", 0)) <= 1
    assert len(await search(gql, clinician, "pril", 500)) <= 50
    assert len(await search(gql, clinician, "a", 500)) == 50


async def test_nonsense_and_empty_find_nothing(gql: GraphQLClient, clinician: Account) -> None:
    assert await search(gql, clinician, "   ") == []
    assert await search(gql, clinician, "qqqxxzzv") == []
    assert await search(gql, clinician, "%_\\") == []


async def test_bad_input_and_authentication(gql: GraphQLClient, clinician: Account) -> None:
    long = await gql.raw(DRUG_SEARCH, {"q": "x" * 101}, token=clinician.token)
    assert long["errors"][0]["extensions"] == {"code": "BAD_USER_INPUT", "field": "search"}
    anonymous = await gql.raw(DRUG_SEARCH, {"q": "warfarin"})
    assert anonymous["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
