"""A combination product imported from an RxNorm release reports the
interactions of each of its ingredients."""

from __future__ import annotations

from pathlib import Path

import pytest

from prescripcare.db import transaction
from prescripcare.drugs.rrf import import_rxnorm
from prescripcare.resources import Resources
from tests.conftest import GraphQLClient
from tests.drugs.catalog_state import scratch_catalog  # noqa: F401
from tests.drugs.documents import INTERACTION_CHECK
from tests.factories import Account


def _write_release(directory: Path, conso: list[str], rel: list[str]) -> Path:
    directory.mkdir()
    (directory / "RXNCONSO.RRF").write_text("".join(line + "\n" for line in conso))
    (directory / "RXNREL.RRF").write_text("".join(line + "\n" for line in rel))
    return directory


def _atom(rxcui: str, tty: str, name: str, aui: str) -> str:
    return f"{rxcui}|ENG||||||{aui}|{aui}|{rxcui}||RXNORM|{tty}|{rxcui}|{name}||N|4096|"


def _rel(rxcui1: str, rela: str, rxcui2: str, rui: str) -> str:
    return f"{rxcui1}||CUI|RO|{rxcui2}||CUI|{rela}|{rui}||RXNORM||||N|4096|"


@pytest.mark.usefixtures("scratch_catalog")
async def test_combination_product_interactions_follow_its_ingredients(
    gql: GraphQLClient, resources: Resources, clinician: Account, tmp_path: Path
) -> None:
    """A made-up aspirin/omeprazole tablet (real ingredient RXCUIs) imported
    through the RRF path reports aspirin's interaction with warfarin."""
    release = _write_release(
        tmp_path / "combo",
        [
            _atom("1191", "IN", "aspirin", "1"),
            _atom("7646", "IN", "omeprazole", "2"),
            _atom("99000101", "SCDC", "aspirin 81 MG", "3"),
            _atom("99000102", "SCDC", "omeprazole 40 MG", "4"),
            _atom(
                "99000103",
                "SCD",
                "aspirin 81 MG / omeprazole 40 MG Delayed Release Oral Tablet",
                "5",
            ),
        ],
        [
            _rel("1191", "has_ingredient", "99000101", "1"),
            _rel("7646", "has_ingredient", "99000102", "2"),
            _rel("99000101", "consists_of", "99000103", "3"),
            _rel("99000102", "consists_of", "99000103", "4"),
        ],
    )
    async with transaction(resources.sessions) as session:
        await import_rxnorm(session, release, resources.clock.now(), release="combo")
    data = await gql.data(
        INTERACTION_CHECK, {"rxcuis": ["99000103", "11289"]}, token=clinician.token
    )
    pairs = [(f["severity"], {d["name"] for d in f["drugs"]}) for f in data["interactions"]]
    assert ("MAJOR", {"aspirin", "warfarin"}) in pairs
