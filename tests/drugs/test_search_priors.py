"""The prior: how often a drug is prescribed, nationally and here, decides
between equally good matches."""

from __future__ import annotations

from sqlalchemy import select, text
from sqlmodel import col

from prescripcare.db import transaction
from prescripcare.drugs.models import DrugConcept, DrugSearchPrior
from prescripcare.drugs.search.postgres import PostgresDrugSearch
from prescripcare.drugs.search.priors import refresh_priors
from prescripcare.drugs.seed import SeedReport
from prescripcare.resources import Resources
from prescripcare.worker import refresh_search_priors
from tests.conftest import GraphQLClient
from tests.factories import Account
from tests.prescriptions.documents import PRESCRIBE, prescription

DEANOL = "3116"
RANOLAZINE = "35829"


async def _priors(resources: Resources, *names: str) -> dict[str, float]:
    async with resources.sessions() as session:
        rows = await session.execute(
            select(col(DrugConcept.name), col(DrugSearchPrior.prior))
            .join(DrugSearchPrior, col(DrugSearchPrior.rxcui) == col(DrugConcept.rxcui))
            .where(col(DrugConcept.name).in_(names))
        )
    return {name: prior for name, prior in rows}


async def _first(resources: Resources, query: str) -> str:
    async with resources.sessions() as session:
        return (await PostgresDrugSearch().search(session, query, 1))[0]


async def test_the_national_ranking_orders_the_priors(
    resources: Resources, catalog: SeedReport
) -> None:
    priors = await _priors(resources, "atorvastatin", "metformin", "warfarin", "deanol")
    assert priors["atorvastatin"] == 1.0  # the most prescribed
    assert 1.0 > priors["metformin"] > priors["warfarin"] > 0
    assert "deanol" not in priors  # not ranked, never prescribed here: 0
    # A brand, salt or product takes its ingredient's prior.
    assert (await _priors(resources, "Jantoven"))["Jantoven"] == priors["warfarin"]


async def test_an_ambiguous_typo_goes_to_the_drug_prescribed_more(
    resources: Resources, catalog: SeedReport, gql: GraphQLClient, doctor: Account, patient_id: str
) -> None:
    """'danol' is one typo from ranolazine (nationally ranked) and from
    deanol (not): ranolazine first, until this deployment prescribes deanol."""
    assert await _first(resources, "danol") == RANOLAZINE
    try:
        for _ in range(2):
            out = await gql.data(PRESCRIBE, prescription(patient_id, DEANOL), token=doctor.token)
            assert out["prescribe"]["errors"] == []
        assert await refresh_search_priors({"resources": resources}) > 0
        assert await _first(resources, "danol") == DEANOL
    finally:
        async with transaction(resources.sessions) as session:
            await session.execute(text("TRUNCATE prescriptions CASCADE"))
            await refresh_priors(session, resources.clock.now())
    assert await _first(resources, "danol") == RANOLAZINE
