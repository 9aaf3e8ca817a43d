"""The report's calendar heat map, drawn with matplotlib.

One square per local date of the window, in weeks (columns) by weekday
(rows): its colour is the share of that day's scheduled doses that were
taken, grey when no dose was due. Squares are separated by white gaps so a
reader (and tests/reports/test_report_pdf.py) can count them.

Drawn on a bare `Figure` with the Agg canvas, not pyplot: pyplot keeps global
state, and reports render in worker threads.
"""

from __future__ import annotations

import io
from datetime import date, timedelta

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.cm import ScalarMappable
from matplotlib.colors import LinearSegmentedColormap, Normalize
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle
from PIL import Image as PILImage

from prescripcare.i18n.translator import Language

# Red (none taken) through amber to green (all taken).
TAKEN_COLOURS = LinearSegmentedColormap.from_list(
    "taken", ["#c0392b", "#e67e22", "#f4d03f", "#27ae60"]
)
NO_DOSE = "#d5d8dc"
INK = "#2c3e50"
# Inches: the largest square, and the margins around the grid for labels.
CELL, LEFT, RIGHT, TOP, BOTTOM = 0.26, 0.42, 0.8, 0.3, 0.08
GRID_WIDTH = 5.6


def _week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


def heat_map_png(daily: list[tuple[date, int, int]], lang: Language, dpi: int = 200) -> bytes:
    """`daily` is (date, scheduled, taken) for every date of the window."""
    start = _week_start(daily[0][0])
    weeks = (daily[-1][0] - start).days // 7 + 1
    cell = min(CELL, GRID_WIDTH / weeks)
    fig_w, fig_h = LEFT + weeks * cell + RIGHT, TOP + 7 * cell + BOTTOM
    fig = Figure(figsize=(fig_w, fig_h), dpi=dpi)
    FigureCanvasAgg(fig)
    ax = fig.add_axes((LEFT / fig_w, BOTTOM / fig_h, weeks * cell / fig_w, 7 * cell / fig_h))
    for day, scheduled, taken in daily:
        column, row = (day - start).days // 7, day.weekday()
        colour = TAKEN_COLOURS(taken / scheduled) if scheduled else NO_DOSE
        ax.add_patch(
            Rectangle((column, 6 - row), 1, 1, facecolor=colour, edgecolor="white", linewidth=1.5)
        )
    ax.set_xlim(0, weeks)
    ax.set_ylim(0, 7)
    names = lang.locale.days["format"]["abbreviated"]
    ax.set_yticks([6.5 - i for i in range(7)], [names[i] for i in range(7)])
    months = lang.locale.months["stand-alone"]["abbreviated"]
    ticks: list[float] = []
    labels: list[str] = []
    for day, _, _ in daily:
        if day == daily[0][0] or day.day == 1:
            ticks.append((day - start).days // 7 + 0.5)
            labels.append(f"{months[day.month]} {day.year}" if not labels else months[day.month])
    ax.set_xticks(ticks, labels, ha="left")
    ax.xaxis.tick_top()
    ax.tick_params(length=0, labelsize=7, colors=INK, pad=2)
    for side in ax.spines.values():
        side.set_visible(False)
    bar_ax = fig.add_axes(
        (
            (LEFT + weeks * cell + 0.15) / fig_w,
            (BOTTOM + cell) / fig_h,
            0.09 / fig_w,
            5 * cell / fig_h,
        )
    )
    bar = fig.colorbar(ScalarMappable(Normalize(0, 1), TAKEN_COLOURS), cax=bar_ax)
    bar.set_ticks([0, 0.5, 1], labels=[lang.percent(v) for v in (0, 0.5, 1)])
    bar.ax.tick_params(labelsize=6, colors=INK, length=2)
    bar.outline.set_visible(False)
    drawn = io.BytesIO()
    fig.savefig(drawn, format="png", dpi=dpi, facecolor="white")
    # Opaque RGB: a PNG with alpha would reach the PDF as an image plus a
    # soft mask, for nothing (the page is white).
    out = io.BytesIO()
    PILImage.open(drawn).convert("RGB").save(out, format="PNG", optimize=True)
    return out.getvalue()


def heat_map_size(daily: list[tuple[date, int, int]]) -> tuple[float, float]:
    """The image's size in inches, to place it in the PDF at its own scale."""
    weeks = (daily[-1][0] - _week_start(daily[0][0])).days // 7 + 1
    cell = min(CELL, GRID_WIDTH / weeks)
    return LEFT + weeks * cell + RIGHT, TOP + 7 * cell + BOTTOM
