"""The sample page in docs/ is made by this test when asked:

    SAMPLE_REPORT_DIR=docs/images .venv/bin/pytest tests/reports/test_sample_page.py

It writes the first page of the demo-like patient's report (tests/reports/
history.py), in English and in Spanish, as PNG files rendered by pdftoppm."""

from __future__ import annotations

import os
from pathlib import Path

import httpx
import pytest

from tests.reports.history import History
from tests.reports.pdf_tools import needs_poppler, render_pages
from tests.reports.test_report_pdf import WINDOW, download, history, path, saved

__all__ = ["history"]

TARGET = os.environ.get("SAMPLE_REPORT_DIR")


@needs_poppler
@pytest.mark.skipif(not TARGET, reason="writes docs/ only when SAMPLE_REPORT_DIR is set")
async def test_write_the_sample_pages(
    client: httpx.AsyncClient, history: History, tmp_path: Path
) -> None:
    assert TARGET is not None
    for language in ("en", "es"):
        url = path(history, language=language, **WINDOW)
        pdf = saved(await download(client, url, history.doctor), tmp_path)
        pages = tmp_path / language
        pages.mkdir()
        first = render_pages(pdf, pages, dpi=110)[0]
        first.replace(Path(TARGET) / f"sample-adherence-report-{language}.png")
