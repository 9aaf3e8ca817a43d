"""Parsing the IDs clients send."""

from __future__ import annotations

import uuid


def parse_uuid(value: str | None) -> uuid.UUID | None:
    """A UUID, or None for anything malformed (treated like a missing row)."""
    if value is None or len(value) > 64:
        return None
    try:
        return uuid.UUID(value)
    except ValueError:
        return None
