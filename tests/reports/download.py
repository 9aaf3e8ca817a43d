"""Fetching the adherence report over HTTP."""

from __future__ import annotations

import httpx

from tests.factories import Account
from tests.reports.history import History

WINDOW = {"from": "2025-10-16", "to": "2026-01-13"}


def path(history: History, **query: str) -> str:
    q = "&".join(f"{k}={v}" for k, v in query.items())
    return f"/reports/patients/{history.patient_id}/adherence.pdf" + (f"?{q}" if q else "")


async def download(client: httpx.AsyncClient, url: str, who: Account | None) -> httpx.Response:
    headers = {"Authorization": f"Bearer {who.now_token}"} if who else {}
    return await client.get(url, headers=headers)
