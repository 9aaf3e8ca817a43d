"""Error codes and the one error shape the business layer raises.

Services raise `UserFacingError` for anything the client can act on; the
GraphQL layer turns it into the payload's `errors` list (and the transaction
has been rolled back, so nothing was written).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class ErrorCode(StrEnum):
    """Codes of `UserError.code` in mutation payloads (contract README)."""

    INVALID = "INVALID"
    EMAIL_TAKEN = "EMAIL_TAKEN"
    WEAK_PASSWORD = "WEAK_PASSWORD"
    INVALID_CREDENTIALS = "INVALID_CREDENTIALS"
    TOKEN_INVALID = "TOKEN_INVALID"
    TOKEN_REUSED = "TOKEN_REUSED"
    NOT_FOUND = "NOT_FOUND"
    UNKNOWN_DRUG = "UNKNOWN_DRUG"
    INTERACTION_REQUIRES_ACKNOWLEDGEMENT = "INTERACTION_REQUIRES_ACKNOWLEDGEMENT"
    INTERACTION_CONTRAINDICATED = "INTERACTION_CONTRAINDICATED"
    TOO_EARLY = "TOO_EARLY"
    INVALID_STATE = "INVALID_STATE"
    # Accounts: the password was right, the account also needs a TOTP code.
    TWO_FACTOR_REQUIRED = "TWO_FACTOR_REQUIRED"


class WarningCode(StrEnum):
    """Codes of warnings a mutation answers alongside its result (it still
    happened): `PrescribePayload.warnings`."""

    DUPLICATE_THERAPY = "DUPLICATE_THERAPY"


# What each payload code means, for the schema's description of
# `UserError.code` and docs/errors.md (a test keeps the three in step).
ERROR_MEANINGS: dict[ErrorCode, str] = {
    ErrorCode.INVALID: "an input value breaks a rule; `field` names it",
    ErrorCode.EMAIL_TAKEN: "another account uses this e-mail address",
    ErrorCode.WEAK_PASSWORD: "the password is too short, too common or built from the e-mail",
    ErrorCode.INVALID_CREDENTIALS: "wrong e-mail or password (never says which)",
    ErrorCode.TOKEN_INVALID: "the refresh or reset token is unknown, expired or revoked",
    ErrorCode.TOKEN_REUSED: "a refresh token was used twice; the whole login was ended",
    ErrorCode.NOT_FOUND: "the thing named does not exist or is not visible to you",
    ErrorCode.UNKNOWN_DRUG: "the RXCUI is not in the drug catalog",
    ErrorCode.INTERACTION_REQUIRES_ACKNOWLEDGEMENT: (
        "a MAJOR interaction: set acknowledgeInteractions to prescribe"
    ),
    ErrorCode.INTERACTION_CONTRAINDICATED: (
        "a CONTRAINDICATED interaction: acknowledge it and give an overrideReason"
    ),
    ErrorCode.TOO_EARLY: (
        "the dose is due more than two hours from now: record or snooze it closer to its time"
    ),
    ErrorCode.INVALID_STATE: "the thing is in a state that does not allow this change",
    ErrorCode.TWO_FACTOR_REQUIRED: "the password was right; the account also needs twoFactorCode",
}


class TopLevelCode(StrEnum):
    """Codes of top-level GraphQL errors (`extensions.code`)."""

    UNAUTHENTICATED = "UNAUTHENTICATED"
    FORBIDDEN = "FORBIDDEN"
    NOT_FOUND = "NOT_FOUND"
    # A variable's value does not coerce to its type (extensions.field names it).
    BAD_USER_INPUT = "BAD_USER_INPUT"
    # The document itself: not GraphQL, or not valid against the schema.
    GRAPHQL_PARSE_FAILED = "GRAPHQL_PARSE_FAILED"
    GRAPHQL_VALIDATION_FAILED = "GRAPHQL_VALIDATION_FAILED"
    UNKNOWN_DRUG = "UNKNOWN_DRUG"
    RATE_LIMITED = "RATE_LIMITED"
    PERSISTED_QUERY_NOT_FOUND = "PERSISTED_QUERY_NOT_FOUND"
    # API protection (docs/api-protection.md).
    QUERY_TOO_COMPLEX = "QUERY_TOO_COMPLEX"
    PERSISTED_QUERY_HASH_MISMATCH = "PERSISTED_QUERY_HASH_MISMATCH"
    IDEMPOTENCY_KEY_REUSED = "IDEMPOTENCY_KEY_REUSED"
    IDEMPOTENCY_KEY_IN_PROGRESS = "IDEMPOTENCY_KEY_IN_PROGRESS"
    INTERNAL_SERVER_ERROR = "INTERNAL_SERVER_ERROR"
    # Refusals of the HTTP request itself, before any GraphQL runs.
    BAD_REQUEST = "BAD_REQUEST"
    METHOD_NOT_ALLOWED = "METHOD_NOT_ALLOWED"
    UNSUPPORTED_MEDIA_TYPE = "UNSUPPORTED_MEDIA_TYPE"


@dataclass(frozen=True, slots=True)
class Problem:
    code: ErrorCode
    message: str
    field: str | None = None


class UserFacingError(Exception):
    """One or more problems the client can fix; nothing was written."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("; ".join(p.message for p in problems))
        self.problems = problems

    @classmethod
    def single(cls, code: ErrorCode, message: str, field: str | None = None) -> UserFacingError:
        return cls([Problem(code, message, field)])


class Problems:
    """Collects every validation problem of an input before failing once."""

    def __init__(self) -> None:
        self.items: list[Problem] = []

    def add(self, code: ErrorCode, field: str | None, message: str) -> None:
        self.items.append(Problem(code, message, field))

    def invalid(self, field: str, message: str) -> None:
        self.add(ErrorCode.INVALID, field, message)

    def has(self, field: str) -> bool:
        return any(p.field == field for p in self.items)

    def raise_if_any(self) -> None:
        if self.items:
            raise UserFacingError(list(self.items))


class NotFound(UserFacingError):
    """Nothing of that kind the viewer may see. A mutation answers it as a
    payload error; a query field, as a top-level NOT_FOUND
    (`graphql/presenter.py`)."""


def not_found(what: str, field: str | None = None) -> NotFound:
    """The one way to say NOT_FOUND, in a mutation's payload or at top level."""
    return NotFound([Problem(ErrorCode.NOT_FOUND, f"{what} not found", field)])


class AccessDenied(Exception):
    """The viewer's role may never run this operation (top-level FORBIDDEN)."""


class NotAuthenticated(Exception):
    """No valid access token (top-level UNAUTHENTICATED)."""
