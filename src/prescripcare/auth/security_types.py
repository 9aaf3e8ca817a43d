"""GraphQL payloads of password reset and two-factor authentication."""

from __future__ import annotations

import strawberry

from prescripcare.graphql.errors import UserError


@strawberry.type
class OkPayload:
    ok: bool
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class EnrollTwoFactorPayload:
    secret: str | None = strawberry.field(
        default=None, description="Base32 TOTP secret, for typing into an authenticator app."
    )
    otpauth_uri: str | None = strawberry.field(
        default=None, description="otpauth:// URI, for a QR code."
    )
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class RecoveryCodesPayload:
    recovery_codes: list[str] | None = strawberry.field(
        default=None,
        description="Single-use codes that stand in for a TOTP code; shown only this once.",
    )
    errors: list[UserError] = strawberry.field(default_factory=list)
