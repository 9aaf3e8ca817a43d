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


class TopLevelCode(StrEnum):
    """Codes of top-level GraphQL errors (`extensions.code`)."""

    UNAUTHENTICATED = "UNAUTHENTICATED"
    FORBIDDEN = "FORBIDDEN"
    NOT_FOUND = "NOT_FOUND"
    BAD_USER_INPUT = "BAD_USER_INPUT"
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


def not_found(what: str, field: str | None = None) -> UserFacingError:
    return UserFacingError.single(ErrorCode.NOT_FOUND, f"{what} not found", field)


class AccessDenied(Exception):
    """The viewer's role may never run this operation (top-level FORBIDDEN)."""


class NotAuthenticated(Exception):
    """No valid access token (top-level UNAUTHENTICATED)."""
