from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from prescripcare.settings import Settings
from tests.e2e.live import HERE
from tests.processes import running_api

ROOT = Path(__file__).resolve().parents[2]
# Where `prescripcare graphiql-assets` puts GraphiQL's files by default
# (scripts/test fills it); the browser test skips without them.
GRAPHIQL_ASSETS = ROOT / ".prescripcare" / "graphiql-assets"
WS_INIT_TIMEOUT_SECONDS = 1


@pytest.fixture(scope="session")
def live_api(migrated: Settings) -> Iterator[str]:
    """One API process for the e2e modules that need a network server."""
    with running_api(
        migrated,
        HERE,
        GRAPHQL_WS_INIT_TIMEOUT_SECONDS=str(WS_INIT_TIMEOUT_SECONDS),
        GRAPHQL_WS_SESSION_CHECK_SECONDS="1",
        GRAPHIQL_ASSETS_DIR=str(GRAPHIQL_ASSETS),
    ) as url:
        yield url
