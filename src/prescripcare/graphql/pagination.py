"""Keyset pagination helpers: opaque cursors, `first` clamping, PageInfo."""

from __future__ import annotations

import base64
import binascii
import uuid

import strawberry

from prescripcare.graphql.errors import bad_input
from prescripcare.ids import parse_uuid


@strawberry.type
class PageInfo:
    has_next_page: bool
    has_previous_page: bool
    start_cursor: str | None
    end_cursor: str | None


def clamp_first(first: int | None, *, default: int, maximum: int) -> int:
    if first is None:
        return default
    return max(1, min(first, maximum))


def encode_cursor(kind: str, row_id: uuid.UUID) -> str:
    # The cursor names a row, not its sort values: a patient's name must not
    # travel in URLs and logs.
    return base64.urlsafe_b64encode(f"{kind}:{row_id}".encode()).decode().rstrip("=")


def decode_cursor(kind: str, cursor: str | None, field: str = "after") -> uuid.UUID | None:
    if cursor is None:
        return None
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        text = base64.urlsafe_b64decode(padded.encode()).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        text = ""
    prefix, _, raw = text.partition(":")
    row_id = parse_uuid(raw) if prefix == kind else None
    if row_id is None:
        raise bad_input(field, "Invalid cursor: use a cursor from a previous page.")
    return row_id
