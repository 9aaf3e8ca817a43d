"""A patient's doses in a window, through GraphQL, and their local times."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from tests.conftest import GraphQLClient
from tests.factories import Account
from tests.prescriptions.documents import DOSES


async def doses(
    gql: GraphQLClient, who: Account, pid: str, start: datetime, end: datetime
) -> list[dict[str, Any]]:
    data = await gql.data(
        DOSES, {"id": pid, "from": start.isoformat(), "to": end.isoformat()}, token=who.now_token
    )
    found: list[dict[str, Any]] = data["patient"]["doses"]
    return found


def local(items: list[dict[str, Any]], zone: str) -> list[str]:
    return [
        datetime.fromisoformat(d["scheduledAt"])
        .astimezone(ZoneInfo(zone))
        .strftime("%m-%d %H:%M %Z")
        for d in items
    ]
