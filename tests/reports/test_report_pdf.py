"""The adherence report, read the way a clinician reads it: the PDF's own
text (pdftotext) carries the same figures as the GraphQL `adherence` answers
for the same window, its heat map (pdfimages) has one square per day, its
pages render (pdftoppm); only those who may see the patient get it, and each
download is in the audit log."""

from __future__ import annotations

import re
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlmodel import col

from prescripcare.audit.models import AuditEntry
from prescripcare.auth.models import Role
from prescripcare.clock import SettableClock
from prescripcare.i18n.translator import speak
from prescripcare.resources import Resources
from tests.conftest import GraphQLClient
from tests.factories import account
from tests.reports.download import WINDOW, download, path
from tests.reports.history import ZONE, History
from tests.reports.pdf_tools import (
    count_squares,
    images_of,
    needs_poppler,
    pages_of,
    render_pages,
    text_of,
)

FIGURES = """
query($id: ID!, $from: Date, $to: Date) {
  patient(id: $id) {
    language
    adherence(from: $from, to: $to) {
      scheduled taken missed skipped doseAdherence onTimeRate pdc daily { date }
    }
    prescriptions {
      drug { name }
      adherence(from: $from, to: $to) { taken missed skipped doseAdherence pdc }
    }
  }
}"""

LINK = """
mutation($id: ID!, $from: Date, $to: Date, $language: String) {
  adherenceReportLink(patientId: $id, from: $from, to: $to, language: $language) {
    url expiresAt errors { code field message }
  }
}"""


def saved(response: httpx.Response, tmp_path: Path) -> Path:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["cache-control"] == "no-store"
    pdf = tmp_path / "report.pdf"
    pdf.write_bytes(response.content)
    return pdf


def line_of(text: str, name: str) -> str:
    found = [line for line in text.splitlines() if re.search(rf"\b{re.escape(name)}\b", line)]
    assert found, f"{name!r} is not in the report:\n{text}"
    return found[0]


@needs_poppler
async def test_the_printed_figures_are_the_apis_for_the_same_window(
    client: httpx.AsyncClient, gql: GraphQLClient, history: History, tmp_path: Path
) -> None:
    pdf = saved(await download(client, path(history, **WINDOW), history.doctor), tmp_path)
    text = text_of(pdf)
    api = (
        await gql.data(
            FIGURES, {"id": history.patient_id, **WINDOW}, token=history.doctor.now_token
        )
    )["patient"]
    assert api["language"] == "es"
    es = speak("es", ZONE)
    overall = api["adherence"]
    assert overall["missed"] > 0 and overall["taken"] > 0
    # The headline figures, in Spanish, as Babel formats them for Spain.
    assert "Informe de adherencia a la medicación" in text
    summary = "\n".join(text.splitlines()[:14])
    for figure in (overall["doseAdherence"], overall["onTimeRate"], overall["pdc"]):
        assert es.percent(figure) in summary, (es.percent(figure), summary)
    counted = overall["taken"] + overall["missed"] + overall["skipped"]
    assert f"{es.number(overall['taken'])} de {es.number(counted)} dosis tomadas" in text
    assert re.search(rf"\b{overall['missed']}\b", summary)
    # One row per medicine with its own figures.
    for rx in api["prescriptions"]:
        a = rx["adherence"]
        row = line_of(text, rx["drug"]["name"])
        settled = a["taken"] + a["missed"] + a["skipped"]
        assert f"{es.number(a['taken'])} / {es.number(settled)}" in row, row
        assert es.percent(a["doseAdherence"]) in row, row
        assert es.percent(a["pdc"]) in row, row
    # The window as the API counts it, and both pages or one.
    assert len(overall["daily"]) == 90
    assert "(90 días)" in text
    assert pages_of(pdf) in (1, 2)


@needs_poppler
async def test_the_heat_map_has_one_square_per_day_and_the_pages_render(
    client: httpx.AsyncClient, history: History, tmp_path: Path
) -> None:
    for window, days in ((WINDOW, 90), ({"from": "2025-12-01", "to": "2025-12-31"}, 31)):
        pdf = saved(await download(client, path(history, **window), history.patient), tmp_path)
        [heat_map] = images_of(pdf, tmp_path)
        assert count_squares(heat_map) == days
        pages = render_pages(pdf, tmp_path)
        assert 1 <= len(pages) <= 2
        for page in pages:
            assert page.stat().st_size > 10_000  # a page with content, not a blank
            page.unlink()
        heat_map.unlink()


@needs_poppler
async def test_a_clinician_may_read_it_in_another_language(
    client: httpx.AsyncClient, history: History, tmp_path: Path
) -> None:
    pdf = saved(
        await download(client, path(history, language="en", **WINDOW), history.doctor), tmp_path
    )
    text = text_of(pdf)
    assert "Medication adherence report" in text and "Informe" not in text
    # English in Madrid: Babel's en-ES dates.
    assert "16 Oct 2025" in text


async def test_only_those_who_see_the_record_get_the_report(
    client: httpx.AsyncClient, resources: Resources, history: History
) -> None:
    url = path(history)
    for who in (history.patient, history.doctor, history.caregiver):
        assert (await download(client, url, who)).status_code == 200
    admin = await account(resources, Role.ADMIN)
    assert (await download(client, url, admin)).status_code == 200
    strangers = [
        await account(resources, Role.CAREGIVER),
        await account(resources, Role.CLINICIAN),
        await account(resources, Role.PATIENT),
    ]
    for stranger in strangers:
        denied = await download(client, url, stranger)
        assert denied.status_code == 404
        assert denied.json()["error"]["code"] == "NOT_FOUND"
    unknown = f"/reports/patients/{history.caregiver.id}/adherence.pdf"
    assert (await download(client, unknown, admin)).json()["error"]["code"] == "NOT_FOUND"
    assert (await download(client, url, None)).status_code == 401


async def test_each_download_is_an_audited_read(
    client: httpx.AsyncClient, resources: Resources, history: History
) -> None:
    assert (await download(client, path(history), history.caregiver)).status_code == 200
    assert (
        await download(client, path(history), await account(resources, Role.CAREGIVER))
    ).status_code == 404
    async with resources.sessions() as session:
        entries = list(
            await session.scalars(
                select(AuditEntry).where(col(AuditEntry.action) == "PATIENT_REPORT_READ")
            )
        )
    assert [(e.actor_id, str(e.patient_id), e.entity) for e in entries] == [
        (history.caregiver.id, history.patient_id, "AdherenceReport")
    ]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"from": "2026-01-10", "to": "2026-01-01"}, "to"),
        ({"from": "2026-01-10"}, "to"),
        ({"from": "2024-01-01", "to": "2026-01-01"}, "to"),
        ({"from": "10/01/2026", "to": "2026-01-13"}, "from"),
        ({"language": "tlh"}, "language"),
    ],
)
async def test_a_bad_window_or_language_is_a_clear_error(
    client: httpx.AsyncClient, history: History, query: dict[str, str], field: str
) -> None:
    answer = await download(client, path(history, **query), history.doctor)
    assert answer.status_code == 400
    assert answer.json()["error"]["code"] == "INVALID"
    assert answer.json()["error"]["field"] == field


async def test_a_signed_link_opens_the_report_without_a_header_until_it_expires(
    client: httpx.AsyncClient,
    gql: GraphQLClient,
    resources: Resources,
    clock: SettableClock,
    history: History,
) -> None:
    made: dict[str, Any] = (
        await gql.data(
            LINK, {"id": history.patient_id, **WINDOW}, token=history.caregiver.now_token
        )
    )["adherenceReportLink"]
    assert made["errors"] == []
    url = httpx.URL(made["url"])
    assert url.path == path(history)
    opened = await client.get(url.raw_path.decode())
    assert opened.status_code == 200 and opened.content.startswith(b"%PDF")
    tampered = url.raw_path.decode()[:-3] + "abc"
    assert (await client.get(tampered)).status_code == 401
    stranger = await account(resources, Role.CAREGIVER)
    refused = (await gql.data(LINK, {"id": history.patient_id}, token=stranger.now_token))[
        "adherenceReportLink"
    ]
    assert refused["url"] is None and refused["errors"][0]["code"] == "NOT_FOUND"
    clock.set(clock.now() + resources.settings.report_link + timedelta(seconds=1))
    assert (await client.get(url.raw_path.decode())).status_code == 401


async def test_a_link_ends_with_the_access_it_was_made_from(
    client: httpx.AsyncClient, gql: GraphQLClient, history: History
) -> None:
    made = (await gql.data(LINK, {"id": history.patient_id}, token=history.caregiver.now_token))[
        "adherenceReportLink"
    ]
    unlink = """mutation($p: ID!, $c: ID!) { unlinkCaregiver(patientId: $p, caregiverId: $c) {
      errors { code } } }"""
    out = await gql.data(
        unlink,
        {"p": history.patient_id, "c": str(history.caregiver.id)},
        token=history.patient.now_token,
    )
    assert out["unlinkCaregiver"]["errors"] == []
    answer = await client.get(httpx.URL(made["url"]).raw_path.decode())
    assert answer.status_code == 404


def test_the_default_window_is_the_last_ninety_local_days() -> None:
    from datetime import UTC, datetime

    from prescripcare.reports.data import default_window

    first, last = default_window("Pacific/Auckland", datetime(2026, 1, 13, 15, tzinfo=UTC))
    assert (first, last) == (date(2025, 10, 17), date(2026, 1, 14))
