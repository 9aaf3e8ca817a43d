"""Account tables."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import BigInteger, CheckConstraint, Column, ForeignKey, Index, String
from sqlalchemy.dialects.postgresql import UUID
from sqlmodel import Field, SQLModel

from prescripcare.db import one_of, utc_column
from prescripcare.encryption.columns import BlindIndex, EncryptedText, index_blindly


class Role(StrEnum):
    PATIENT = "PATIENT"
    CAREGIVER = "CAREGIVER"
    CLINICIAN = "CLINICIAN"
    ADMIN = "ADMIN"


class User(SQLModel, table=True):
    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint(one_of("role", Role), name="role_known"),
        # E-mail addresses are normalised (lower case) before they are
        # hashed, so this is the case-insensitive uniqueness the sign-up flow
        # promises; the encrypted address itself cannot be indexed.
        Index("uq_users_email_blind_index", "email_blind_index", unique=True),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, sa_column=Column(UUID, primary_key=True))
    email: str = Field(sa_column=Column(EncryptedText("users.email"), nullable=False))
    # Written from `email` on every flush: the login lookup and the uniqueness.
    email_blind_index: str | bytes | None = Field(
        default=None, sa_column=Column(BlindIndex("users.email"), nullable=False)
    )
    password_hash: str = Field(sa_column=Column(String(255), nullable=False))
    role: str = Field(sa_column=Column(String(16), nullable=False))
    name: str | None = Field(default=None, sa_column=Column(String(200), nullable=True))
    created_at: datetime = Field(sa_column=utc_column())
    disabled_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))


class RefreshToken(SQLModel, table=True):
    """One issued refresh token. Tokens of one login form a family: rotation
    adds a member, and reuse of a rotated member revokes the whole family."""

    __tablename__ = "refresh_tokens"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, sa_column=Column(UUID, primary_key=True))
    user_id: uuid.UUID = Field(
        sa_column=Column(
            UUID, ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    family_id: uuid.UUID = Field(sa_column=Column(UUID, nullable=False, index=True))
    # SHA-256 of the opaque token: a leaked table yields no usable token.
    token_hash: str = Field(sa_column=Column(String(64), nullable=False, unique=True))
    created_at: datetime = Field(sa_column=utc_column())
    expires_at: datetime = Field(sa_column=utc_column())
    used_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    revoked_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))


index_blindly(User, "email", "email_blind_index")


def _owner_column(*, primary_key: bool = False) -> Column[uuid.UUID]:
    return Column(
        UUID,
        ForeignKey("users.id", ondelete="CASCADE"),
        nullable=False,
        primary_key=primary_key,
        index=not primary_key,
    )


class PasswordResetToken(SQLModel, table=True):
    """A one-time token e-mailed to reset a password: expires, single use."""

    __tablename__ = "password_reset_tokens"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, sa_column=Column(UUID, primary_key=True))
    user_id: uuid.UUID = Field(sa_column=_owner_column())
    # SHA-256 of the 256-bit token, as for refresh tokens.
    token_hash: str = Field(sa_column=Column(String(64), nullable=False, unique=True))
    created_at: datetime = Field(sa_column=utc_column())
    expires_at: datetime = Field(sa_column=utc_column())
    used_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))


class TwoFactor(SQLModel, table=True):
    """An account's TOTP secret: pending until confirmed with a first code,
    then required at every login."""

    __tablename__ = "two_factor"

    user_id: uuid.UUID = Field(sa_column=_owner_column(primary_key=True))
    # The base32 secret must be readable to check codes (unlike a password):
    # encrypted like every identifier, so `rotate-key` re-encrypts it too.
    secret: str = Field(sa_column=Column(EncryptedText("two_factor.secret"), nullable=False))
    created_at: datetime = Field(sa_column=utc_column())
    confirmed_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    # The last 30-second step a code was accepted for: a code seen once is
    # never accepted again, even within its own step.
    last_used_step: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))


class RecoveryCode(SQLModel, table=True):
    """A single-use code that stands in for a TOTP code (lost phone)."""

    __tablename__ = "two_factor_recovery_codes"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, sa_column=Column(UUID, primary_key=True))
    user_id: uuid.UUID = Field(sa_column=_owner_column())
    code_hash: str = Field(sa_column=Column(String(64), nullable=False, unique=True))
    created_at: datetime = Field(sa_column=utc_column())
    used_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
