"""Keyset pagination helpers: opaque cursors, `first` clamping, PageInfo."""

from __future__ import annotations

import base64
import binascii
import uuid
from dataclasses import dataclass

import strawberry
from graphql import GraphQLError

from prescripcare.graphql.errors import bad_input
from prescripcare.ids import parse_uuid


@strawberry.type
class PageInfo:
    has_next_page: bool
    has_previous_page: bool
    start_cursor: str | None
    end_cursor: str | None


@dataclass(frozen=True, slots=True)
class PageSize:
    """A list's `first`: what it gives when unset and the most it gives.
    The resolver and the cost map both read it from here."""

    default: int
    maximum: int

    def clamp(self, first: int | None) -> int:
        return clamp_first(first, default=self.default, maximum=self.maximum)


PATIENTS_PAGE = PageSize(default=20, maximum=100)
DRUGS_PAGE = PageSize(default=10, maximum=50)
AUDIT_LOG_PAGE = PageSize(default=20, maximum=100)


def clamp_first(first: int | None, *, default: int, maximum: int) -> int:
    if first is None:
        return default
    return max(1, min(first, maximum))


def wrap_cursor(kind: str, payload: str) -> str:
    """An opaque cursor: `kind:payload`, URL-safe base64 without padding."""
    return base64.urlsafe_b64encode(f"{kind}:{payload}".encode()).decode().rstrip("=")


def unwrap_cursor(kind: str, cursor: str) -> str | None:
    """The payload of a cursor of this kind, or None for anything else."""
    try:
        text = base64.urlsafe_b64decode((cursor + "=" * (-len(cursor) % 4)).encode()).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    prefix, _, payload = text.partition(":")
    return payload if prefix == kind else None


def invalid_cursor(field: str = "after") -> GraphQLError:
    return bad_input(field, "Invalid cursor: use a cursor from a previous page.")


def encode_cursor(kind: str, row_id: uuid.UUID, sort_value: float | None = None) -> str:
    # The cursor names a row (and, for computed orders, the sort key it was
    # seen with), never its values: a patient's name must not travel in URLs.
    return wrap_cursor(kind, f"{row_id}" if sort_value is None else f"{row_id}:{sort_value!r}")


def decode_cursor_with_value(
    kind: str, cursor: str | None, field: str = "after"
) -> tuple[uuid.UUID, float | None] | None:
    if cursor is None:
        return None
    payload = unwrap_cursor(kind, cursor)
    raw, _, value = (payload or "").partition(":")
    row_id = parse_uuid(raw) if payload is not None else None
    sort_value: float | None = None
    if value:
        try:
            sort_value = float(value)
        except ValueError:
            row_id = None
    if row_id is None:
        raise invalid_cursor(field)
    return row_id, sort_value


def decode_cursor(kind: str, cursor: str | None, field: str = "after") -> uuid.UUID | None:
    found = decode_cursor_with_value(kind, cursor, field)
    return found[0] if found else None
