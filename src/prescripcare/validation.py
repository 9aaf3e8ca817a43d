"""Field validators shared by every domain: e-mail, names, time zones, phones.

Each adds a problem for the named input field and returns the normalised
value (or None), so a service can report every bad field in one answer.
"""

from __future__ import annotations

import functools
import zoneinfo

import phonenumbers
from email_validator import EmailNotValidError, validate_email

from prescripcare.errors import Problems

MAX_NAME_LENGTH = 200


def clean_email(value: str, problems: Problems, field: str) -> str | None:
    try:
        result = validate_email(value.strip(), check_deliverability=False)
    except EmailNotValidError as exc:
        problems.invalid(field, f"Not a valid e-mail address: {exc}")
        return None
    # One address, one account, whatever case the user typed it in.
    return result.normalized.lower()


def clean_name(value: str, problems: Problems, field: str) -> str | None:
    name = " ".join(value.split())
    if not name:
        problems.invalid(field, "Name must not be empty.")
        return None
    if len(name) > MAX_NAME_LENGTH:
        problems.invalid(field, f"Name must be at most {MAX_NAME_LENGTH} characters.")
        return None
    return name


# Present in some system zone directories but not zones a patient lives in.
_NOT_ZONES = {"localtime", "posixrules", "Factory"}


@functools.cache
def _known_timezones() -> frozenset[str]:
    return frozenset(
        name
        for name in zoneinfo.available_timezones()
        if name not in _NOT_ZONES
        and not name.startswith(("posix/", "right/"))
        # Legacy names such as EST or MST are fixed offsets without daylight
        # saving: a New Yorker picking "EST" would get summer doses an hour off.
        and ("/" in name or name == "UTC")
    )


def clean_timezone(value: str, problems: Problems, field: str) -> str | None:
    # Only names from the IANA database: "localtime", file paths and POSIX TZ
    # strings would make a patient's schedule depend on the server.
    name = value.strip()
    if name not in _known_timezones():
        problems.invalid(
            field, f"Unknown time zone {value!r}: use an IANA name such as Europe/Paris."
        )
        return None
    return name


def clean_phone(value: str, problems: Problems, field: str) -> str | None:
    raw = value.strip()
    message = "Phone must be an E.164 number such as +14155550123."
    if not raw.startswith("+"):
        problems.invalid(field, message)
        return None
    try:
        number = phonenumbers.parse(raw, None)
    except phonenumbers.NumberParseException:
        problems.invalid(field, message)
        return None
    if not phonenumbers.is_valid_number(number):
        problems.invalid(field, "Phone number is not valid for its country.")
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def clean_language(value: str, problems: Problems, field: str) -> str | None:
    """A BCP 47 tag we have a catalog for, spelled canonically (pt-br -> pt-BR)."""
    from prescripcare.i18n.languages import UnknownLanguage, normalize

    try:
        return normalize(value)
    except UnknownLanguage as unknown:
        problems.invalid(field, str(unknown))
        return None
