"""DateTime, Date and LocalTime exactly as the contract formats them."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time

import strawberry
from graphql import GraphQLError

from prescripcare.errors import TopLevelCode


def _bad_input(message: str) -> GraphQLError:
    return GraphQLError(message, extensions={"code": TopLevelCode.BAD_USER_INPUT.value})


_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:\d{2})$")
_LOCAL_TIME = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)(:00)?$")


def serialize_datetime(value: datetime) -> str:
    if value.tzinfo is None:
        raise ValueError("naive datetimes never leave the server")
    utc = value.astimezone(UTC)
    spec = "seconds" if utc.microsecond == 0 else "milliseconds"
    return utc.replace(tzinfo=None).isoformat(timespec=spec) + "Z"


def parse_datetime(value: object) -> datetime:
    if not isinstance(value, str) or not _DATETIME.match(value):
        raise _bad_input(
            "DateTime must be ISO-8601 with an offset, such as 2026-03-08T08:00:00-05:00."
        )
    try:
        return datetime.fromisoformat(value).astimezone(UTC)
    except ValueError:
        raise _bad_input(f"{value!r} is not a real date-time.") from None


def parse_date(value: object) -> date:
    if not isinstance(value, str) or not _DATE.match(value):
        raise _bad_input("Date must be YYYY-MM-DD.")
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise _bad_input(f"{value!r} is not a real date.") from None


def parse_local_time(value: object) -> time:
    match = _LOCAL_TIME.match(value) if isinstance(value, str) else None
    if match is None:
        raise _bad_input("LocalTime must be HH:MM (24-hour).")
    return time(int(match.group(1)), int(match.group(2)))


DateTime = strawberry.scalar(
    name="DateTime",
    description=(
        "ISO-8601 date-time. Output: always UTC with a `Z`. Input: must carry an offset; "
        "a naive value is BAD_USER_INPUT."
    ),
    serialize=serialize_datetime,
    parse_value=parse_datetime,
)

Date = strawberry.scalar(
    name="Date",
    description="Calendar date, YYYY-MM-DD.",
    serialize=lambda value: value.isoformat(),
    parse_value=parse_date,
)

LocalTime = strawberry.scalar(
    name="LocalTime",
    description=(
        "Wall-clock time HH:MM in the patient's IANA time zone (input may also be HH:MM:SS "
        "with :00 seconds; output is HH:MM)."
    ),
    serialize=lambda value: value.strftime("%H:%M"),
    parse_value=parse_local_time,
)

# Python types map to the contract's scalars everywhere in the schema.
SCALAR_OVERRIDES = {datetime: DateTime, date: Date, time: LocalTime}
