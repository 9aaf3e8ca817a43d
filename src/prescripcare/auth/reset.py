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
from prescripcare.auth.notices import reader_language
from prescripcare.auth.passwords import PasswordService, check_password
from prescripcare.auth.tokens import hash_refresh_token, new_refresh_token
from prescripcare.errors import ErrorCode, Problems, UserFacingError
from prescripcare.i18n.translator import Language
from prescripcare.settings import Settings
from prescripcare.validation import clean_email


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
        self.default_language = settings.default_language

    def _mail(self, address: str, lang: Language, token: str) -> OutgoingMail:
        joiner = "&" if "?" in self.url else "?"
        minutes = int(self.lifetime.total_seconds() // 60)
        link = f"{self.url}{joiner}{urlencode({'token': token})}"
        body = "\n\n".join(
            (
                lang.gettext("Someone asked to reset the password of your PrescripCare account."),
                lang.ngettext(
                    "To choose a new password, open this link within %(num)d minute:",
                    "To choose a new password, open this link within %(num)d minutes:",
                    minutes,
                )
                % {"num": minutes}
                + f"\n{link}",
                lang.gettext(
                    "If it was not you, ignore this e-mail: your password stays as it is."
                ),
            )
        )
        return OutgoingMail(address, lang.gettext("Reset your PrescripCare password"), body)

    @staticmethod
    def _changed(address: str, lang: Language) -> OutgoingMail:
        body = "\n\n".join(
            (
                lang.gettext(
                    "The password of your PrescripCare account was just changed with a reset "
                    "link, and every device was signed out."
                ),
                lang.gettext(
                    "If it was not you, reset your password again at once and contact your clinic."
                ),
            )
        )
        return OutgoingMail(address, lang.gettext("Your PrescripCare password was changed"), body)

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
        lang = await reader_language(session, user.id, self.default_language)
        return self._mail(user.email, lang, token)

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
        lang = await reader_language(session, user.id, self.default_language)
        return self._changed(user.email, lang)
