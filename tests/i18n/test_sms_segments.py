"""SMS length in segments, GSM-7 against UCS-2, and every shipped language's
reminders held to one segment with the deployment's default link."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from prescripcare.i18n.languages import SHIPPED
from prescripcare.i18n.translator import speak
from prescripcare.reminders.models import ReminderKind
from prescripcare.reminders.segments import Encoding, sms_length
from prescripcare.reminders.texts import reminder_text
from prescripcare.settings import Settings


@pytest.mark.parametrize(
    ("text", "encoding", "units", "segments"),
    [
        ("", Encoding.GSM7, 0, 0),
        ("a" * 160, Encoding.GSM7, 160, 1),
        ("a" * 161, Encoding.GSM7, 161, 2),
        ("a" * 306, Encoding.GSM7, 306, 2),
        ("a" * 307, Encoding.GSM7, 307, 3),
        ("€" * 80, Encoding.GSM7, 160, 1),  # two septets each
        ("a" * 152 + "€", Encoding.GSM7, 154, 1),
        ("a" * 159 + "€", Encoding.GSM7, 161, 2),
        ("Öffnen Sie, é à ñ ü ß", Encoding.GSM7, 21, 1),
        ("á" * 70, Encoding.UCS2, 70, 1),
        ("á" * 71, Encoding.UCS2, 71, 2),
        ("a" * 133 + "ã", Encoding.UCS2, 134, 2),
        ("a" * 134 + "ã", Encoding.UCS2, 135, 3),
        ("💊" * 35, Encoding.UCS2, 70, 1),  # a surrogate pair is two units
        # 134 units would fit two segments of 67, but the pair cannot be split.
        ("a" * 66 + "💊" + "a" * 66, Encoding.UCS2, 134, 3),
    ],
)
def test_length_in_segments(text: str, encoding: Encoding, units: int, segments: int) -> None:
    found = sms_length(text)
    assert (found.encoding, found.units, found.segments) == (encoding, units, segments)


# 08:00 in Mexico City in January (14:00 UTC): 12-hour there ("8:00 a.m."),
# with the longest default-link text.
DUE = datetime(2026, 1, 14, 14, tzinfo=UTC)
SNOOZED = datetime(2026, 1, 14, 14, 30, tzinfo=UTC)
ZONES = ("America/Mexico_City", "Europe/Madrid", "America/New_York", "America/Sao_Paulo")


def sms_texts(tag: str, zone: str) -> dict[str, str]:
    lang = speak(tag, zone)
    link = Settings().public_app_url
    medication = ReminderKind.MEDICATION.value
    return {
        "reminder": reminder_text(medication, DUE, DUE, zone, lang, link).body,
        "follow-up": reminder_text(medication, SNOOZED, DUE, zone, lang, link).body,
        "refill": reminder_text(ReminderKind.REFILL.value, DUE, None, zone, lang, link).body,
    }


def test_every_reminder_fits_one_segment_in_every_shipped_language() -> None:
    over = {
        f"{tag} in {zone}, {kind}: {sms_length(text)} {text!r}"
        for tag in SHIPPED
        for zone in ZONES
        for kind, text in sms_texts(tag, zone).items()
        if sms_length(text).segments > 1
    }
    assert not over, "more than one SMS segment:\n" + "\n".join(sorted(over))


def test_the_texts_stay_in_the_gsm_alphabet() -> None:
    """One character outside GSM-7 would halve the room (70 instead of 160):
    the catalogs' SMS texts avoid them, and CLDR's no-break spaces are
    turned into plain ones."""
    for tag in SHIPPED:
        for kind, text in sms_texts(tag, "America/Mexico_City").items():
            assert sms_length(text).encoding is Encoding.GSM7, (tag, kind, text)
