"""The Meilisearch backend, through the real `meilisearch` client, against a
local server that answers as Meilisearch's API does."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest
from asgi_lifespan import LifespanManager
from pydantic import SecretStr
from sqlalchemy import func, select

from prescripcare.app import create_app
from prescripcare.clock import SettableClock
from prescripcare.drugs.models import DrugSearchTerm
from prescripcare.drugs.search.meili import MeiliDrugSearch
from prescripcare.drugs.seed import SeedReport
from prescripcare.resources import Resources
from prescripcare.settings import Settings
from tests.conftest import GraphQLClient, asgi_client
from tests.drugs.documents import DRUG_SEARCH
from tests.drugs.meili_standin import MeiliStandIn
from tests.drugs.search_quality import REQUIRED_TOP1, misses
from tests.factories import Account

KEY = "test-master-key"


@pytest.fixture(scope="module")
def meili() -> Iterator[MeiliStandIn]:
    server = MeiliStandIn(api_key=KEY)
    server.start()
    yield server
    server.stop()


async def test_sync_sends_every_search_term(
    resources: Resources, catalog: SeedReport, meili: MeiliStandIn
) -> None:
    backend = MeiliDrugSearch(meili.url, KEY, "drugs_sync")
    async with resources.sessions() as session:
        sent = await backend.sync(session)
        terms = await session.scalar(select(func.count()).select_from(DrugSearchTerm))
    assert sent == terms == len(meili.indexes["drugs_sync"].documents)
    # A rewrite fills a staging index and swaps it in: the live index is
    # never empty or half-written, and no staging index is left behind.
    live = meili.indexes["drugs_sync"]
    async with resources.sessions() as session:
        assert await backend.sync(session) == sent
    assert meili.indexes["drugs_sync"] is not live
    assert len(meili.indexes["drugs_sync"].documents) == sent
    assert "drugs_sync_next" not in meili.indexes
    settings = meili.indexes["drugs_sync"].settings
    assert settings["searchableAttributes"] == ["term", "product"]
    assert settings["rankingRules"][5:] == ["prior:desc", "tty_rank:asc", "name_length:asc"]
    assert settings["synonyms"]["paracetamol"] == ["acetaminophen"]


async def test_a_wrong_key_fails_loudly(
    resources: Resources, catalog: SeedReport, meili: MeiliStandIn
) -> None:
    from meilisearch.errors import MeilisearchApiError

    backend = MeiliDrugSearch(meili.url, "wrong-key", "drugs_denied")
    async with resources.sessions() as session:
        with pytest.raises(MeilisearchApiError, match="invalid_api_key"):
            await backend.sync(session)


@pytest.fixture
async def meili_gql(
    migrated: Settings, catalog: SeedReport, meili: MeiliStandIn, clock: SettableClock
) -> AsyncIterator[GraphQLClient]:
    settings = migrated.model_copy(
        update={
            "meilisearch_url": meili.url,
            "meilisearch_api_key": SecretStr(KEY),
            "meilisearch_index": "drugs_api",
        }
    )
    app = create_app(settings, clock=clock)
    async with LifespanManager(app):
        res: Resources = app.state.resources
        assert res.drug_search.name == "meilisearch"
        async with res.sessions() as session:
            await res.drug_search.sync(session)
        async with asgi_client(app, "http://t") as http:
            yield GraphQLClient(http)


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("warfrin", "warfarin"),
        ("lisino", "lisinopril"),
        ("zoc", "simvastatin"),
        ("metphormin", "metformin"),
        ("amlodipin", "amlodipine"),
    ],
)
async def test_search_through_meilisearch(
    meili_gql: GraphQLClient, clinician: Account, typed: str, expected: str
) -> None:
    found = (await meili_gql.data(DRUG_SEARCH, {"q": typed}, token=clinician.token))["drugs"]
    assert found[0]["name"] == expected, [d["name"] for d in found[:5]]
    assert len({d["rxcui"] for d in found}) == len(found)


async def test_the_search_test_set_through_meilisearch(
    resources: Resources, catalog: SeedReport, meili: MeiliStandIn
) -> None:
    """The same ranking with the rules and synonyms pushed to the index, as
    far as the stand-in shows Meilisearch's ranking."""
    backend = MeiliDrugSearch(meili.url, KEY, "drugs_quality", timeout_seconds=30)
    async with resources.sessions() as session:
        await backend.sync(session)
    asked, missed = await misses(resources, backend)
    score = 1 - len(missed) / asked
    print(f"\nMeilisearch (stand-in) top-1: {asked - len(missed)}/{asked} = {score:.1%}")
    print("\n".join(missed))
    assert score >= REQUIRED_TOP1, "\n".join(missed)
