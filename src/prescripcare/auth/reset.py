"""Password reset by an e-mailed one-time token.

Asking answers the same whether or not the address has an account (no
enumeration), and the e-mail leaves after the answer (no timing
difference). The token is stored hashed, expires, and works once; using it
ends every login of the account, so whoever knew the old password is out.
Two-factor authentication stays on: a reset changes the password only.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from urllib.parse import urlencode

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from prescripcare.auth.mail import AccountMail, OutgoingMail
from prescripcare.auth.models import PasswordResetToken, RefreshToken, User
from prescripcare.auth.passwords import PasswordService, check_password
from prescripcare.auth.tokens import hash_refresh_token, new_refresh_token
from prescripcare.errors import ErrorCode, Problems, UserFacingError
from prescripcare.settings import Settings
from prescripcare.validation import clean_email

SUBJECT = "Reset your PrescripCare password"
CHANGED_SUBJECT = "Your PrescripCare password was changed"
CHANGED_TEXT = (
    "The password of your PrescripCare account was just changed with a reset link, "
    "and every device was signed out.\n\n"
    "If it was not you, reset your password again at once and contact your clinic."
)


async def revoke_all_logins(session: AsyncSession, user_id: uuid.UUID, now: datetime) -> None:
    await session.execute(
        update(RefreshToken)
        .where(col(RefreshToken.user_id) == user_id, col(RefreshToken.revoked_at).is_(None))
        .values(revoked_at=now)
    )


class PasswordResetService:
    def __init__(self, settings: Settings, passwords: PasswordService, mail: AccountMail) -> None:
        self.lifetime = timedelta(minutes=settings.password_reset_minutes)
        self.url = settings.password_reset_url
        self.passwords = passwords
        self.mail = mail

    def _text(self, token: str) -> str:
        joiner = "&" if "?" in self.url else "?"
        minutes = int(self.lifetime.total_seconds() // 60)
        return (
            "Someone asked to reset the password of your PrescripCare account.\n\n"
            f"To choose a new password, open this link within {minutes} minutes:\n"
            f"{self.url}{joiner}{urlencode({'token': token})}\n\n"
            "If it was not you, ignore this e-mail: your password stays as it is."
        )

    async def request(
        self, session: AsyncSession, email: str, now: datetime
    ) -> OutgoingMail | None:
        """The e-mail to send once committed, or None for an address without
        an enabled account; the caller answers the same either way."""
        problems = Problems()
        address = clean_email(email, problems, "email")
        problems.raise_if_any()
        user = (
            await session.execute(
                select(User).where(
                    col(User.email_blind_index) == address, col(User.disabled_at).is_(None)
                )
            )
        ).scalar_one_or_none()
        if user is None:
            return None
        token = new_refresh_token()
        session.add(
            PasswordResetToken(
                user_id=user.id,
                token_hash=hash_refresh_token(token),
                created_at=now,
                expires_at=now + self.lifetime,
            )
        )
        await session.flush()
        return OutgoingMail(user.email, SUBJECT, self._text(token))

    def deliver(self, mail: OutgoingMail | None) -> None:
        if mail is not None:
            self.mail.send_later(mail)

    async def reset(
        self, session: AsyncSession, token: str, new_password: str, now: datetime
    ) -> OutgoingMail:
        """Sets the password; answers the notice to e-mail once committed, so
        an owner whose mailbox was borrowed learns of it."""
        row = (
            await session.execute(
                select(PasswordResetToken)
                .where(col(PasswordResetToken.token_hash) == hash_refresh_token(token))
                .with_for_update()
            )
        ).scalar_one_or_none()
        user = await session.get(User, row.user_id) if row is not None else None
        if (
            row is None
            or row.used_at is not None
            or row.expires_at <= now
            or user is None
            or user.disabled_at is not None
        ):
            raise UserFacingError.single(
                ErrorCode.TOKEN_INVALID,
                "This reset link is not valid: it expired or was used. Ask for a new one.",
                "token",
            )
        problems = Problems()
        check_password(new_password, problems, "newPassword", email=user.email)
        problems.raise_if_any()
        user.password_hash = await self.passwords.hash(new_password)
        # Every outstanding link of the account dies with the one used.
        await session.execute(
            update(PasswordResetToken)
            .where(
                col(PasswordResetToken.user_id) == user.id,
                col(PasswordResetToken.used_at).is_(None),
            )
            .values(used_at=now)
        )
        await revoke_all_logins(session, user.id, now)
        return OutgoingMail(user.email, CHANGED_SUBJECT, CHANGED_TEXT)
