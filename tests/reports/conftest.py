"""The report tests' patient with ninety days of history."""

from __future__ import annotations

import pytest

from prescripcare.clock import SettableClock
from prescripcare.resources import Resources
from tests.conftest import GraphQLClient
from tests.factories import Account
from tests.reports.history import History, build_history


@pytest.fixture
async def history(
    gql: GraphQLClient, resources: Resources, doctor: Account, clock: SettableClock
) -> History:
    return await build_history(gql, resources, doctor, clock.now())
