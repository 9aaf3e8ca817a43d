"""How many SMS segments a text costs (3GPP TS 23.038).

A text entirely in the GSM 7-bit default alphabet travels as GSM-7: 160
septets in one segment, 153 per segment once split (the rest carries the
concatenation header); the extension table's characters (€, [, ], {, }...)
take two septets. One character outside it turns the whole message into
UCS-2: 70 UTF-16 code units in one segment, 67 per segment once split. A
character is never split across segments. Providers bill, and phones show,
per segment: a reminder should stay in one.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

# The GSM 7-bit default alphabet (the escape to the extension table excluded).
GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
# Reached through the escape character: two septets each.
GSM7_EXTENSION = frozenset("\f^{}\\[~]|€")


class Encoding(StrEnum):
    GSM7 = "GSM-7"
    UCS2 = "UCS-2"


@dataclass(frozen=True)
class SmsLength:
    encoding: Encoding
    units: int  # septets (GSM-7) or UTF-16 code units (UCS-2)
    segments: int


def _pack(costs: list[int], single: int, each: int) -> int:
    total = sum(costs)
    if total <= single:
        return 1 if costs else 0
    segments, used = 1, 0
    for cost in costs:
        if used + cost > each:
            segments, used = segments + 1, 0
        used += cost
    return segments


def sms_length(text: str) -> SmsLength:
    if all(c in GSM7_BASIC or c in GSM7_EXTENSION for c in text):
        costs = [2 if c in GSM7_EXTENSION else 1 for c in text]
        return SmsLength(Encoding.GSM7, sum(costs), _pack(costs, 160, 153))
    costs = [2 if ord(c) > 0xFFFF else 1 for c in text]
    return SmsLength(Encoding.UCS2, sum(costs), _pack(costs, 70, 67))
