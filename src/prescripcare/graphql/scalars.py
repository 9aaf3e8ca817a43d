"""DateTime, Date and LocalTime exactly as the contract formats them."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time

import strawberry
from graphql import GraphQLError

from prescripcare.errors import TopLevelCode


def _bad_input(message: str) -> GraphQLError:
    return GraphQLError(message, extensions={"code": TopLevelCode.BAD_USER_INPUT.value})


# Every date and instant the API takes lies in this span: wide enough for a
# birth in 1900 and a prescription far ahead, narrow enough that a window or
# a time zone moved from it never leaves the calendar (year 1 at +23:59 is
# an OverflowError, not an answer).
EARLIEST = date(1900, 1, 1)
LATEST = date(2199, 12, 31)
_RANGE = f"between {EARLIEST.isoformat()} and {LATEST.isoformat()}"

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
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise _bad_input(f"{value!r} is not a real date-time.") from None
    # Judged on the local date first: converting year 1 or 9999 to UTC may
    # itself overflow.
    if not EARLIEST <= parsed.date() <= LATEST:
        raise _bad_input(f"DateTime must be {_RANGE}.")
    return parsed.astimezone(UTC)


def parse_date(value: object) -> date:
    if not isinstance(value, str) or not _DATE.match(value):
        raise _bad_input("Date must be YYYY-MM-DD.")
    try:
        parsed = date.fromisoformat(value)
    except ValueError:
        raise _bad_input(f"{value!r} is not a real date.") from None
    if not EARLIEST <= parsed <= LATEST:
        raise _bad_input(f"Date must be {_RANGE}.")
    return parsed


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
