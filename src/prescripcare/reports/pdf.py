"""The adherence report as a PDF, laid out with reportlab's platypus.

A4, one or two pages: who and when, the headline figures, the medicines
with their schedules and figures, the calendar heat map, the missed and late
doses, refill gaps and run-out dates, and interaction notes. Every word
comes from the gettext catalogs in the patient's language; every number is
formatted by Babel for that language.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any

from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import inch, mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    Flowable,
    Image,
    KeepTogether,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from prescripcare.doses.models import DoseStatus
from prescripcare.i18n.translator import Language
from prescripcare.reports.data import MAX_LISTED_DOSES, ReportData
from prescripcare.reports.schedule import describe_schedule

INK = colors.HexColor("#1f2d3d")
MUTED = colors.HexColor("#5d6d7e")
ACCENT = colors.HexColor("#1a5276")
RULE = colors.HexColor("#d5dbe1")
BAND = colors.HexColor("#eef3f7")
SEVERITY = {
    "CONTRAINDICATED": colors.HexColor("#922b21"),
    "MAJOR": colors.HexColor("#c0392b"),
    "MODERATE": colors.HexColor("#b9770e"),
    "MINOR": colors.HexColor("#5d6d7e"),
}
MAX_INTERACTIONS = 6
MAX_GAPS = 8

_BASE = ParagraphStyle("base", fontName="Helvetica", fontSize=8.5, leading=11, textColor=INK)
TITLE = ParagraphStyle(
    "title", _BASE, fontName="Helvetica-Bold", fontSize=17, leading=21, textColor=ACCENT
)
META = ParagraphStyle("meta", _BASE, fontSize=8.5, leading=12, textColor=MUTED)
HEAD = ParagraphStyle(
    "head",
    _BASE,
    fontName="Helvetica-Bold",
    fontSize=10.5,
    leading=14,
    textColor=ACCENT,
    spaceBefore=9,
    spaceAfter=4,
)
CELL = ParagraphStyle("cell", _BASE, fontSize=8, leading=10)
CELL_R = ParagraphStyle("cellr", CELL, alignment=TA_RIGHT)
CELL_B = ParagraphStyle("cellb", CELL, fontName="Helvetica-Bold")
TH = ParagraphStyle("th", CELL, fontName="Helvetica-Bold", textColor=MUTED)
TH_R = ParagraphStyle("thr", TH, alignment=TA_RIGHT)
FIGURE = ParagraphStyle(
    "figure", _BASE, fontName="Helvetica-Bold", fontSize=19, leading=22, textColor=ACCENT
)
NOTE = ParagraphStyle("note", _BASE, fontSize=7.5, leading=9.5, textColor=MUTED)


def _esc(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _p(text: str, style: ParagraphStyle = CELL) -> Paragraph:
    return Paragraph(_esc(text), style)


def _table(rows: list[list[Any]], widths: Sequence[float]) -> Table:
    table = Table(rows, colWidths=list(widths), repeatRows=1, hAlign="LEFT")
    table.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LINEBELOW", (0, 0), (-1, 0), 0.8, ACCENT),
                ("LINEBELOW", (0, 1), (-1, -1), 0.3, RULE),
                ("TOPPADDING", (0, 0), (-1, -1), 2.5),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 2.5),
                ("LEFTPADDING", (0, 0), (-1, -1), 3),
                ("RIGHTPADDING", (0, 0), (-1, -1), 3),
            ]
        )
    )
    return table


def _summary(data: ReportData, lang: Language, width: float) -> Table:
    o = data.overall
    boxes = [
        (
            lang.gettext("Dose adherence"),
            lang.percent(o.dose_adherence),
            lang.gettext("%(taken)s of %(counted)s doses taken")
            % {"taken": lang.number(o.taken), "counted": lang.number(o.settled)},
        ),
        (
            lang.gettext("On time"),
            lang.percent(o.on_time_rate),
            lang.ngettext(
                "taken within %(num)s minute of their time",
                "taken within %(num)s minutes of their time",
                data.on_time_minutes,
            )
            % {"num": lang.number(data.on_time_minutes)},
        ),
        (
            lang.gettext("PDC"),
            lang.percent(o.pdc),
            lang.gettext("proportion of days covered by fills"),
        ),
        (
            lang.gettext("Missed"),
            lang.number(o.missed),
            lang.ngettext("%(num)s dose late", "%(num)s doses late", data.late)
            % {"num": lang.number(data.late)},
        ),
    ]
    cells = [
        [_p(label, TH) for label, _, _ in boxes],
        [_p(figure, FIGURE) for _, figure, _ in boxes],
        [_p(note, NOTE) for _, _, note in boxes],
    ]
    table = Table(cells, colWidths=[width / 4] * 4, hAlign="LEFT")
    table.setStyle(
        TableStyle(
            [
                ("BACKGROUND", (0, 0), (-1, -1), BAND),
                ("LINEAFTER", (0, 0), (-2, -1), 2, colors.white),
                ("TOPPADDING", (0, 0), (-1, -1), 3),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
                ("LEFTPADDING", (0, 0), (-1, -1), 7),
                ("TOPPADDING", (0, 0), (-1, 0), 6),
                ("BOTTOMPADDING", (0, -1), (-1, -1), 7),
            ]
        )
    )
    return table


def _medications(data: ReportData, lang: Language, width: float) -> list[Flowable]:
    if not data.medications:
        return [_p(lang.gettext("No medicines in this period."), META)]
    rows: list[list[Any]] = [
        [
            _p(lang.gettext("Medicine"), TH),
            _p(lang.gettext("Schedule"), TH),
            _p(lang.gettext("Taken / counted"), TH_R),
            _p(lang.gettext("Dose adherence"), TH_R),
            _p(lang.gettext("PDC"), TH_R),
            _p(lang.gettext("Runs out"), TH_R),
            _p(lang.gettext("Refill due"), TH_R),
        ]
    ]
    for m in data.medications:
        rx, a = m.prescription, m.adherence
        name = m.name if rx.status == "ACTIVE" else f"{m.name} ({_status(rx.status, lang)})"
        rows.append(
            [
                _p(name, CELL_B),
                _p(describe_schedule(rx, lang)),
                _p(f"{lang.number(a.taken)} / {lang.number(a.settled)}", CELL_R),
                _p(lang.percent(a.dose_adherence), CELL_R),
                _p(lang.percent(a.pdc), CELL_R),
                _p(lang.date(m.runs_out_on, "short") if m.runs_out_on else "-", CELL_R),
                _p(lang.date(m.refill_due_on, "short") if m.refill_due_on else "-", CELL_R),
            ]
        )
    parts = [0.25, 0.27, 0.1, 0.1, 0.07, 0.105, 0.105]
    return [_table(rows, [width * f for f in parts])]


def _status(status: str, lang: Language) -> str:
    return {
        "PAUSED": lang.gettext("paused"),
        "DISCONTINUED": lang.gettext("stopped"),
        "COMPLETED": lang.gettext("completed"),
    }.get(status, status.lower())


def _heat_map(data: ReportData, lang: Language) -> list[Flowable]:
    # matplotlib loads with the first report, not with every process start.
    from prescripcare.reports.charts import heat_map_png, heat_map_size

    png = heat_map_png(data.overall.daily, lang)
    w, h = heat_map_size(data.overall.daily)
    image = Image(io.BytesIO(png), width=w * inch, height=h * inch, hAlign="LEFT")
    legend = lang.gettext(
        "One square per day: green when every dose due was taken, red when none was, "
        "grey when no dose was due. Columns are weeks."
    )
    return [image, Spacer(1, 2), _p(legend, NOTE)]


def _events(data: ReportData, lang: Language, width: float, timezone: str) -> list[Flowable]:
    o = data.overall
    intro = lang.ngettext(
        "%(missed)s missed and %(late)s taken late (more than %(num)s minute from their time).",
        "%(missed)s missed and %(late)s taken late (more than %(num)s minutes from their time).",
        data.on_time_minutes,
    ) % {
        "missed": lang.number(o.missed),
        "late": lang.number(data.late),
        "num": lang.number(data.on_time_minutes),
    }
    out: list[Flowable] = [_p(intro, META)]
    if not data.events:
        return out
    rows: list[list[Any]] = [
        [
            _p(lang.gettext("Date"), TH),
            _p(lang.gettext("Due at"), TH),
            _p(lang.gettext("Medicine"), TH),
            _p(lang.gettext("What happened"), TH),
        ]
    ]
    for e in data.events:
        if e.status == DoseStatus.MISSED.value or e.taken_at is None:
            happened = lang.gettext("Not taken (missed)")
        else:
            happened = lang.gettext("Taken at %(time)s") % {
                "time": lang.datetime(e.taken_at, timezone, "short")
            }
        rows.append(
            [
                _p(lang.date(e.scheduled_at, "medium", timezone)),
                _p(lang.time(e.scheduled_at, timezone)),
                _p(e.medication),
                _p(happened),
            ]
        )
    out.append(_table(rows, [width * f for f in (0.18, 0.12, 0.4, 0.3)]))
    if data.events_total > MAX_LISTED_DOSES:
        more = data.events_total - MAX_LISTED_DOSES
        note = lang.ngettext(
            "The %(shown)s most recent are listed; %(num)s more is not.",
            "The %(shown)s most recent are listed; %(num)s more are not.",
            more,
        ) % {"shown": MAX_LISTED_DOSES, "num": lang.number(more)}
        out.append(_p(note, NOTE))
    return out


def _refills(data: ReportData, lang: Language, width: float) -> list[Flowable]:
    if not data.gaps:
        return [_p(lang.gettext("No days without supply in this period."), META)]
    rows: list[list[Any]] = [
        [
            _p(lang.gettext("Medicine"), TH),
            _p(lang.gettext("Without supply"), TH),
            _p(lang.gettext("Days"), TH_R),
        ]
    ]
    for g in data.gaps[:MAX_GAPS]:
        span = lang.gettext("%(first)s to %(last)s") % {
            "first": lang.date(g.first),
            "last": lang.date(g.last),
        }
        rows.append([_p(g.medication), _p(span), _p(lang.number(g.days), CELL_R)])
    return [_table(rows, [width * f for f in (0.45, 0.43, 0.12)])]


def _interactions(data: ReportData, lang: Language) -> list[Flowable]:
    if not data.interactions:
        return [_p(lang.gettext("No known interactions among the active medicines."), META)]
    label = {
        "CONTRAINDICATED": lang.gettext("Contraindicated"),
        "MAJOR": lang.gettext("Major"),
        "MODERATE": lang.gettext("Moderate"),
        "MINOR": lang.gettext("Minor"),
    }
    out: list[Flowable] = []
    for f in data.interactions[:MAX_INTERACTIONS]:
        colour = SEVERITY.get(f.severity.value, MUTED).hexval()[2:]
        out.append(
            Paragraph(
                f'<font color="#{colour}"><b>{_esc(label[f.severity.value])}</b></font> '
                f"<b>{_esc(f.drugs[0].name)} + {_esc(f.drugs[1].name)}</b>: "
                f"{_esc(f.description)}",
                ParagraphStyle("ix", CELL, spaceAfter=2),
            )
        )
    out.append(
        _p(
            lang.gettext("Interaction descriptions are quoted from the interaction source."),
            NOTE,
        )
    )
    return out


def _header(data: ReportData, lang: Language) -> list[Flowable]:
    p = data.patient
    days = (data.last - data.first).days + 1
    who = [p.name]
    if p.date_of_birth:
        who.append(lang.gettext("born %(date)s") % {"date": lang.date(p.date_of_birth)})
    who.append(p.timezone)
    period = lang.ngettext(
        "%(first)s to %(last)s (%(num)s day)", "%(first)s to %(last)s (%(num)s days)", days
    ) % {"first": lang.date(data.first), "last": lang.date(data.last), "num": lang.number(days)}
    made = lang.gettext("Made %(when)s") % {
        "when": f"{lang.date(data.generated_at, 'medium', p.timezone)}, "
        f"{lang.time(data.generated_at, p.timezone)}"
    }
    return [
        _p(lang.gettext("Medication adherence report"), TITLE),
        Spacer(1, 2),
        Paragraph(f"<b>{_esc(who[0])}</b> · " + " · ".join(_esc(w) for w in who[1:]), META),
        _p(f"{period} · {made}", META),
        Spacer(1, 8),
    ]


def render(data: ReportData, lang: Language) -> bytes:
    out = io.BytesIO()
    margin = 15 * mm
    doc = SimpleDocTemplate(
        out,
        pagesize=A4,
        leftMargin=margin,
        rightMargin=margin,
        topMargin=margin,
        bottomMargin=margin + 4 * mm,
        title=lang.gettext("Medication adherence report"),
        author="PrescripCare",
        creator="PrescripCare",
        lang=lang.tag,
    )
    width = doc.width
    tz = data.patient.timezone
    story: list[Flowable] = [
        *_header(data, lang),
        _summary(data, lang, width),
        _p(lang.gettext("Medicines"), HEAD),
        *_medications(data, lang, width),
        KeepTogether([_p(lang.gettext("Doses taken each day"), HEAD), *_heat_map(data, lang)]),
        KeepTogether(
            [_p(lang.gettext("Missed and late doses"), HEAD), *_events(data, lang, width, tz)]
        ),
        KeepTogether([_p(lang.gettext("Refill gaps"), HEAD), *_refills(data, lang, width)]),
        KeepTogether([_p(lang.gettext("Interaction notes"), HEAD), *_interactions(data, lang)]),
    ]
    footer = lang.gettext("Confidential: contains health information.")
    page_of = lang.gettext("Page %(page)s of %(pages)s")

    def numbered(*args: Any, **kwargs: Any) -> Canvas:
        return _NumberedCanvas(footer, page_of, *args, **kwargs)

    doc.build(story, canvasmaker=numbered)
    return out.getvalue()


class _NumberedCanvas(Canvas):
    """Two passes over the pages, so each footer can say "page 1 of 2"."""

    def __init__(self, footer: str, page_of: str, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._footer, self._page_of = footer, page_of
        self._pages: list[dict[str, Any]] = []

    def showPage(self) -> None:
        self._pages.append(dict(self.__dict__))
        # Deferred: save() draws each page once the count is known.
        self._startPage()  # type: ignore[attr-defined]

    def save(self) -> None:
        total = len(self._pages)
        for state in self._pages:
            self.__dict__.update(state)
            self._draw_footer(total)
            super().showPage()
        super().save()

    def _draw_footer(self, total: int) -> None:
        width, _ = A4
        self.setFont("Helvetica", 7)
        self.setFillColor(MUTED)
        self.setStrokeColor(RULE)
        self.line(15 * mm, 13 * mm, width - 15 * mm, 13 * mm)
        self.drawString(15 * mm, 9 * mm, f"PrescripCare · {self._footer}")
        self.drawRightString(
            width - 15 * mm,
            9 * mm,
            self._page_of % {"page": self.getPageNumber(), "pages": total},
        )
