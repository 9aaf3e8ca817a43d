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


def encode_cursor(kind: str, row_id: uuid.UUID, sort_value: float | None = None) -> str:
    # The cursor names a row (and, for computed orders, the sort key it was
    # seen with), never its values: a patient's name must not travel in URLs.
    text = f"{kind}:{row_id}" if sort_value is None else f"{kind}:{row_id}:{sort_value!r}"
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def decode_cursor_with_value(
    kind: str, cursor: str | None, field: str = "after"
) -> tuple[uuid.UUID, float | None] | None:
    if cursor is None:
        return None
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        text = base64.urlsafe_b64decode(padded.encode()).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        text = ""
    prefix, _, rest = text.partition(":")
    raw, _, value = rest.partition(":")
    row_id = parse_uuid(raw) if prefix == kind else None
    sort_value: float | None = None
    if value:
        try:
            sort_value = float(value)
        except ValueError:
            row_id = None
    if row_id is None:
        raise bad_input(field, "Invalid cursor: use a cursor from a previous page.")
    return row_id, sort_value


def decode_cursor(kind: str, cursor: str | None, field: str = "after") -> uuid.UUID | None:
    found = decode_cursor_with_value(kind, cursor, field)
    return found[0] if found else None
