"""Masks contact details in free text (log messages, exception values)."""

from __future__ import annotations

import re

REDACTED = "[redacted]"
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
# International numbers as people type them: "+1 202-555-0143", "+442079460123".
_PHONE = re.compile(r"\+\d[\d\s().-]{6,}\d")


def redact(text: str) -> str:
    return _PHONE.sub(REDACTED, _EMAIL.sub(REDACTED, text))
