"""Search that degrades instead of failing: with Meilisearch stopped, slow or
refusing, PostgreSQL answers, the fallback is counted and logged, and
`prescripcare seed` finishes its database work."""

from __future__ import annotations

import logging
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from asgi_lifespan import LifespanManager
from prometheus_client import REGISTRY
from pydantic import SecretStr
from sqlalchemy import select
from sqlmodel import col

from prescripcare.app import create_app
from prescripcare.auth.models import User
from prescripcare.clock import SettableClock
from prescripcare.drugs.models import DrugConcept
from prescripcare.drugs.search.fallback import FallbackDrugSearch
from prescripcare.drugs.search.meili import MeiliDrugSearch
from prescripcare.drugs.search.postgres import PostgresDrugSearch
from prescripcare.drugs.seed import SeedReport
from prescripcare.resources import Resources
from prescripcare.settings import Settings
from tests.conftest import GraphQLClient, asgi_client
from tests.drugs.documents import DRUG_SEARCH
from tests.drugs.meili_standin import MeiliStandIn
from tests.factories import Account
from tests.processes import CLI, cli_env, free_port

KEY = "fallback-key"


def fallbacks(reason: str) -> float:
    value = REGISTRY.get_sample_value(
        "prescripcare_drug_search_fallbacks_total", {"reason": reason}
    )
    return value or 0.0


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def meili() -> Iterator[MeiliStandIn]:
    server = MeiliStandIn(api_key=KEY)
    server.start()
    yield server
    server.stop()


async def _first_name(resources: Resources, search: FallbackDrugSearch, query: str) -> str:
    async with resources.sessions() as session:
        found = await search.search(session, query, 5)
        name = await session.scalar(
            select(col(DrugConcept.name)).where(col(DrugConcept.rxcui) == found[0])
        )
    assert name is not None
    return name


async def _synced(resources: Resources, meili: MeiliStandIn, wait: float) -> MeiliDrugSearch:
    backend = MeiliDrugSearch(meili.url, KEY, "drugs_fallback", timeout_seconds=wait)
    async with resources.sessions() as session:
        await backend.sync(session)
    return backend


async def test_an_outage_falls_back_to_postgres(
    resources: Resources, catalog: SeedReport, meili: MeiliStandIn, caplog: pytest.LogCaptureFixture
) -> None:
    clock = Clock()
    search = FallbackDrugSearch(
        await _synced(resources, meili, 2.0), PostgresDrugSearch(), 30, clock
    )
    assert await _first_name(resources, search, "paracetamol") == "acetaminophen"
    before, cooling = fallbacks("unreachable"), fallbacks("cooling_down")
    meili.stop()
    with caplog.at_level(logging.WARNING, logger="prescripcare.drugs.search"):
        assert await _first_name(resources, search, "tylenol") == "acetaminophen"
    assert fallbacks("unreachable") == before + 1
    assert "meilisearch failed (unreachable" in caplog.text
    # Within the retry window PostgreSQL answers without trying Meilisearch.
    assert await _first_name(resources, search, "advil") == "ibuprofen"
    assert fallbacks("cooling_down") == cooling + 1
    assert fallbacks("unreachable") == before + 1


async def test_a_slow_meilisearch_times_out_and_is_retried_later(
    resources: Resources, catalog: SeedReport, meili: MeiliStandIn
) -> None:
    clock = Clock()
    search = FallbackDrugSearch(
        await _synced(resources, meili, 0.2), PostgresDrugSearch(), 30, clock
    )
    before = fallbacks("timeout")
    meili.delay = 1.0
    assert await _first_name(resources, search, "salbutamol") == "albuterol"
    assert fallbacks("timeout") == before + 1
    meili.delay = 0.0
    served = len([r for r in meili.requests if r[1].endswith("/search")])
    clock.now += 31  # the retry window is over: Meilisearch answers again
    assert await _first_name(resources, search, "frusemide") == "furosemide"
    assert len([r for r in meili.requests if r[1].endswith("/search")]) == served + 1
    assert fallbacks("timeout") == before + 1


async def test_a_refusing_meilisearch_falls_back(
    resources: Resources, catalog: SeedReport, meili: MeiliStandIn
) -> None:
    """An index that does not exist (never synced) answers an API error."""
    backend = MeiliDrugSearch(meili.url, KEY, "never_synced", timeout_seconds=2.0)
    search = FallbackDrugSearch(backend, PostgresDrugSearch(), 30, Clock())
    before = fallbacks("error")
    assert await _first_name(resources, search, "glibenclamide") == "glyburide"
    assert fallbacks("error") == before + 1


async def test_seed_finishes_its_database_work_when_meilisearch_is_down(
    migrated: Settings, resources: Resources, tmp_path: Path
) -> None:
    nobody = f"http://127.0.0.1:{free_port()}"
    done = subprocess.run(  # noqa: ASYNC221  (the command under test, once)
        [*CLI, "seed", "--demo"],
        env=cli_env(migrated, MEILISEARCH_URL=nobody, MEILISEARCH_TIMEOUT_MS="200"),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "drug search index not updated (meilisearch" in done.stderr
    assert "demo accounts created" in done.stdout
    async with resources.sessions() as session:
        assert await session.scalar(select(col(User.id)).limit(1)) is not None


async def test_drug_search_answers_through_the_api_with_meilisearch_down(
    migrated: Settings, catalog: SeedReport, clock: SettableClock, clinician: Account
) -> None:
    settings = migrated.model_copy(
        update={
            "meilisearch_url": f"http://127.0.0.1:{free_port()}",
            "meilisearch_api_key": SecretStr(KEY),
            "meilisearch_timeout_ms": 200,
        }
    )
    app = create_app(settings, clock=clock)
    async with LifespanManager(app), asgi_client(app, "http://t") as http:
        assert app.state.resources.drug_search.name == "meilisearch"
        answer = await GraphQLClient(http).raw(DRUG_SEARCH, {"q": "tylenol"}, token=clinician.token)
    assert "errors" not in answer, answer
    assert answer["data"]["drugs"][0]["name"] == "acetaminophen"
