"""TOTP two-factor authentication (RFC 6238, through pyotp) with recovery
codes.

Any account may enrol; once confirmed, every password login also needs a
current code or an unused recovery code. CLINICIAN and ADMIN accounts cannot
switch it off themselves (an ADMIN can reset another account's, for a lost
phone); PATIENT and CAREGIVER accounts can, with a valid code.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime

import pyotp
from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from prescripcare.auth.models import RecoveryCode, Role, TwoFactor, User
from prescripcare.auth.reset import revoke_all_logins
from prescripcare.auth.viewer import Viewer
from prescripcare.errors import AccessDenied, ErrorCode, UserFacingError, not_found
from prescripcare.settings import Settings

RECOVERY_CODES = 10
# 16 base32 characters: 80 random bits, so a fast hash at rest is enough.
_RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
_RECOVERY_LENGTH = 16
# A code from the step before or after is accepted (phone clocks drift).
_DRIFT_STEPS = 1
STAFF = (Role.CLINICIAN, Role.ADMIN)


@dataclass(frozen=True, slots=True)
class Enrollment:
    secret: str
    otpauth_uri: str


@dataclass(frozen=True, slots=True)
class Status:
    enabled: bool
    pending: bool
    recovery_codes_left: int


def _recovery_code() -> str:
    raw = "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(_RECOVERY_LENGTH))
    return "-".join(raw[i : i + 4] for i in range(0, _RECOVERY_LENGTH, 4))


def _hash_recovery(code: str) -> str:
    normal = "".join(code.lower().split()).replace("-", "")
    return hashlib.sha256(normal.encode()).hexdigest()


def _wrong_code(field: str) -> UserFacingError:
    return UserFacingError.single(
        ErrorCode.INVALID_CREDENTIALS, "Wrong or already used two-factor code.", field
    )


class TwoFactorService:
    def __init__(self, settings: Settings) -> None:
        self.issuer = settings.two_factor_issuer

    async def _row(self, session: AsyncSession, user_id: uuid.UUID) -> TwoFactor | None:
        return (
            await session.execute(
                select(TwoFactor).where(col(TwoFactor.user_id) == user_id).with_for_update()
            )
        ).scalar_one_or_none()

    def _totp(self, row: TwoFactor) -> pyotp.TOTP:
        return pyotp.TOTP(row.secret)

    def _accept_totp(self, row: TwoFactor, code: str, now: datetime) -> bool:
        """True, and the step remembered, for a current code not used before."""
        code = code.strip()
        if len(code) != 6 or not code.isdigit():
            return False
        totp = self._totp(row)
        current = totp.timecode(now)
        for step in range(current - _DRIFT_STEPS, current + _DRIFT_STEPS + 1):
            if row.last_used_step is not None and step <= row.last_used_step:
                continue  # replay of a code already accepted, or an older one
            if pyotp.utils.strings_equal(code, totp.generate_otp(step)):
                row.last_used_step = step
                return True
        return False

    async def _accept_recovery(
        self, session: AsyncSession, user_id: uuid.UUID, code: str, now: datetime
    ) -> bool:
        found = (
            await session.execute(
                select(RecoveryCode)
                .where(
                    col(RecoveryCode.user_id) == user_id,
                    col(RecoveryCode.code_hash) == _hash_recovery(code),
                    col(RecoveryCode.used_at).is_(None),
                )
                .with_for_update()
            )
        ).scalar_one_or_none()
        if found is None:
            return False
        found.used_at = now
        return True

    async def _accept(
        self, session: AsyncSession, row: TwoFactor, code: str, now: datetime
    ) -> bool:
        return self._accept_totp(row, code, now) or await self._accept_recovery(
            session, row.user_id, code, now
        )

    async def _new_recovery_codes(
        self, session: AsyncSession, user_id: uuid.UUID, now: datetime
    ) -> list[str]:
        await session.execute(delete(RecoveryCode).where(col(RecoveryCode.user_id) == user_id))
        codes = [_recovery_code() for _ in range(RECOVERY_CODES)]
        for code in codes:
            session.add(
                RecoveryCode(user_id=user_id, code_hash=_hash_recovery(code), created_at=now)
            )
        await session.flush()
        return codes

    async def status(self, session: AsyncSession, user_id: uuid.UUID) -> Status:
        row = await session.get(TwoFactor, user_id)
        left = await session.scalar(
            select(func.count()).where(
                col(RecoveryCode.user_id) == user_id, col(RecoveryCode.used_at).is_(None)
            )
        )
        on = row is not None and row.confirmed_at is not None
        return Status(
            enabled=on,
            pending=row is not None and not on,
            recovery_codes_left=int(left or 0) if on else 0,
        )

    async def enroll(self, session: AsyncSession, viewer: Viewer, now: datetime) -> Enrollment:
        """A new secret, pending until confirmed; enrolling again before
        confirming replaces it."""
        row = await self._row(session, viewer.user_id)
        if row is not None and row.confirmed_at is not None:
            raise UserFacingError.single(
                ErrorCode.INVALID_STATE, "Two-factor authentication is already on.", None
            )
        secret = pyotp.random_base32()
        if row is None:
            session.add(TwoFactor(user_id=viewer.user_id, secret=secret, created_at=now))
        else:
            row.secret, row.created_at, row.last_used_step = secret, now, None
        await session.flush()
        uri = pyotp.TOTP(secret).provisioning_uri(name=viewer.email, issuer_name=self.issuer)
        return Enrollment(secret=secret, otpauth_uri=uri)

    async def confirm(
        self, session: AsyncSession, viewer: Viewer, code: str, now: datetime
    ) -> list[str]:
        """Switches two-factor on with a first code; answers the recovery
        codes, shown this once (only their hashes are kept)."""
        row = await self._row(session, viewer.user_id)
        if row is None or row.confirmed_at is not None:
            raise UserFacingError.single(
                ErrorCode.INVALID_STATE,
                "Nothing to confirm: call enrollTwoFactor first."
                if row is None
                else "Two-factor authentication is already on.",
                None,
            )
        if not self._accept_totp(row, code, now):
            raise _wrong_code("code")
        row.confirmed_at = now
        return await self._new_recovery_codes(session, viewer.user_id, now)

    async def regenerate_recovery_codes(
        self, session: AsyncSession, viewer: Viewer, code: str, now: datetime
    ) -> list[str]:
        row = await self._row(session, viewer.user_id)
        if row is None or row.confirmed_at is None:
            raise UserFacingError.single(
                ErrorCode.INVALID_STATE, "Two-factor authentication is not on.", None
            )
        if not self._accept_totp(row, code, now):
            raise _wrong_code("code")
        return await self._new_recovery_codes(session, viewer.user_id, now)

    async def check_login(
        self, session: AsyncSession, user: User, code: str | None, now: datetime
    ) -> None:
        """Passes for an account without confirmed two-factor; otherwise
        needs a current TOTP code or an unused recovery code, spent here."""
        row = await self._row(session, user.id)
        if row is None or row.confirmed_at is None:
            return
        if not code or not code.strip():
            raise UserFacingError.single(
                ErrorCode.TWO_FACTOR_REQUIRED,
                "This account uses two-factor authentication: send twoFactorCode.",
                "twoFactorCode",
            )
        if not await self._accept(session, row, code, now):
            raise _wrong_code("twoFactorCode")

    async def _remove(self, session: AsyncSession, user_id: uuid.UUID) -> None:
        await session.execute(delete(RecoveryCode).where(col(RecoveryCode.user_id) == user_id))
        await session.execute(delete(TwoFactor).where(col(TwoFactor.user_id) == user_id))

    async def disable(
        self, session: AsyncSession, viewer: Viewer, code: str, now: datetime
    ) -> None:
        if viewer.role in STAFF:
            raise AccessDenied(
                "Two-factor authentication stays on for clinicians and admins; "
                "an admin can reset it for a lost device."
            )
        row = await self._row(session, viewer.user_id)
        if row is None or row.confirmed_at is None:
            raise UserFacingError.single(
                ErrorCode.INVALID_STATE, "Two-factor authentication is not on.", None
            )
        if not await self._accept(session, row, code, now):
            raise _wrong_code("code")
        await self._remove(session, viewer.user_id)

    async def reset_for(
        self, session: AsyncSession, admin: Viewer | None, user_id: uuid.UUID, now: datetime
    ) -> None:
        """An ADMIN removes another account's two-factor (a lost phone and
        lost recovery codes) and ends that account's logins; the owner logs
        in with the password alone and should enrol again. `admin` None is
        the operator's CLI (the last admin's own lost phone)."""
        if admin is not None:
            admin.require_role(Role.ADMIN)
            if user_id == admin.user_id:
                raise UserFacingError.single(
                    ErrorCode.INVALID, "Another admin must reset your two-factor.", "userId"
                )
        if await session.get(User, user_id) is None:
            raise not_found("User", "userId")
        await self._remove(session, user_id)
        await revoke_all_logins(session, user_id, now)
