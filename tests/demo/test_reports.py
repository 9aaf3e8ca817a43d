"""Every demo patient's adherence report renders, in the patient's language,
with the figures the API gives for the same window.

Asked to, it also writes the sample pages in docs/ from the demo clinic:

    SAMPLE_REPORT_DIR=docs/images .venv/bin/pytest tests/demo/test_reports.py

Maria Lopez's report (Spanish) and Arjun Mehta's (English), first pages,
rendered by pdftoppm."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx

from prescripcare.clock import SettableClock
from prescripcare.demo import CLINICIAN, seed_demo
from prescripcare.drugs.seed import SeedReport
from prescripcare.i18n.translator import speak
from prescripcare.resources import Resources
from tests.conftest import GraphQLClient
from tests.demo.helpers import demo_token
from tests.reports.pdf_tools import needs_poppler, pages_of, render_pages, text_of

SAMPLES = {"Maria Lopez": "es", "Arjun Mehta": "en"}
TARGET = os.environ.get("SAMPLE_REPORT_DIR")

PATIENTS = """
query {
  patients(first: 20) {
    edges { node { id name timezone language } }
  }
}"""
FIGURES = """
query($id: ID!, $from: Date, $to: Date) {
  patient(id: $id) { adherence(from: $from, to: $to) { doseAdherence onTimeRate pdc } }
}"""


@needs_poppler
async def test_each_demo_patients_report_renders_with_the_apis_figures(
    client: httpx.AsyncClient,
    gql: GraphQLClient,
    resources: Resources,
    clock: SettableClock,
    catalog: SeedReport,
    tmp_path: Path,
) -> None:
    await seed_demo(resources)
    token = await demo_token(resources, CLINICIAN.email)
    listed = await gql.data(PATIENTS, {}, token=token)
    patients = [edge["node"] for edge in listed["patients"]["edges"]]
    assert len(patients) == 5
    for patient in patients:
        today = clock.now().astimezone(ZoneInfo(patient["timezone"])).date()
        window = {"from": (today - timedelta(days=89)).isoformat(), "to": today.isoformat()}
        response = await client.get(
            f"/reports/patients/{patient['id']}/adherence.pdf",
            params=window,
            headers={"Authorization": f"Bearer {token}"},
        )
        assert response.status_code == 200, (patient["name"], response.text)
        pdf = tmp_path / f"{patient['id']}.pdf"
        pdf.write_bytes(response.content)
        assert pages_of(pdf) in (1, 2), patient["name"]
        text = text_of(pdf)
        api = (await gql.data(FIGURES, {"id": patient["id"], **window}, token=token))["patient"]
        figures = api["adherence"]
        shown = speak(patient["language"] or "en", patient["timezone"])
        summary = "\n".join(text.splitlines()[:14])
        for figure in (figures["doseAdherence"], figures["pdc"]):
            assert shown.percent(figure) in summary, (patient["name"], figure, summary)
        if TARGET and patient["name"] in SAMPLES:
            pages = tmp_path / patient["id"]
            pages.mkdir()
            first = render_pages(pdf, pages, dpi=110)[0]
            first.replace(Path(TARGET) / f"sample-adherence-report-{SAMPLES[patient['name']]}.png")
