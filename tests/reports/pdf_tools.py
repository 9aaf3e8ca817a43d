"""Reading a PDF as a person would, with Debian's poppler-utils: its text
(pdftotext), its pages as pictures (pdftoppm) and its embedded images
(pdfimages). Tests skip, saying why, where poppler is not installed."""

from __future__ import annotations

import shutil
import subprocess
from collections import deque
from pathlib import Path

import pytest
from PIL import Image

TOOLS = ("pdftotext", "pdftoppm", "pdfimages", "pdfinfo")
needs_poppler = pytest.mark.skipif(
    any(shutil.which(t) is None for t in TOOLS),
    reason="poppler-utils (pdftotext, pdftoppm, pdfimages) is not installed; .ci/run installs it",
)


def _run(*args: str | Path) -> str:
    done = subprocess.run(
        [str(a) for a in args], check=True, capture_output=True, text=True, timeout=60
    )
    return done.stdout


def text_of(pdf: Path) -> str:
    return _run("pdftotext", "-layout", "-enc", "UTF-8", pdf, "-")


def pages_of(pdf: Path) -> int:
    for line in _run("pdfinfo", pdf).splitlines():
        if line.startswith("Pages:"):
            return int(line.split()[1])
    raise AssertionError("pdfinfo printed no page count")


def render_pages(pdf: Path, out: Path, dpi: int = 80) -> list[Path]:
    _run("pdftoppm", "-r", str(dpi), "-png", pdf, out / "page")
    return sorted(out.glob("page*.png"))


def images_of(pdf: Path, out: Path) -> list[Path]:
    _run("pdfimages", "-png", pdf, out / "image")
    return sorted(out.glob("image*.png"))


def count_squares(png: Path, min_side: int = 12) -> int:
    """Connected regions of non-white, non-text pixels that are roughly square
    and at least `min_side` pixels a side: the heat map's day cells (the
    colour bar is long and thin, glyphs are small)."""
    image = Image.open(png).convert("RGB")
    width, height = image.size
    pixels = image.load()
    assert pixels is not None

    def filled(x: int, y: int) -> bool:
        pixel = pixels[x, y]
        assert isinstance(pixel, tuple)
        r, g, b = pixel[:3]
        return min(r, g, b) < 235 and max(r, g, b) > 120

    seen = bytearray(width * height)
    squares = 0
    for y0 in range(height):
        for x0 in range(width):
            if seen[y0 * width + x0] or not filled(x0, y0):
                continue
            seen[y0 * width + x0] = 1
            queue = deque([(x0, y0)])
            left, right, top, bottom = x0, x0, y0, y0
            while queue:
                x, y = queue.popleft()
                left, right, top, bottom = min(left, x), max(right, x), min(top, y), max(bottom, y)
                for nx, ny in ((x + 1, y), (x - 1, y), (x, y + 1), (x, y - 1)):
                    inside = 0 <= nx < width and 0 <= ny < height
                    if inside and not seen[ny * width + nx] and filled(nx, ny):
                        seen[ny * width + nx] = 1
                        queue.append((nx, ny))
            w, h = right - left + 1, bottom - top + 1
            if min(w, h) >= min_side and 0.75 <= w / h <= 1.33:
                squares += 1
    return squares
