"""Security notices e-mailed to an account's owner, in their language.

A PATIENT account reads its patient record's language; other accounts (and
patients who chose none) the deployment's DEFAULT_LANGUAGE. Each notice is
built inside the transaction that made the change and sent after the commit,
so nobody is told of a change that was rolled back.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from prescripcare.auth.mail import AccountMail, OutgoingMail
from prescripcare.auth.models import User
from prescripcare.i18n.translator import Language, speak
from prescripcare.patients.models import Patient


class TwoFactorEvent(StrEnum):
    ENABLED = "ENABLED"
    DISABLED = "DISABLED"
    CODES_REPLACED = "CODES_REPLACED"
    RESET_BY_ADMIN = "RESET_BY_ADMIN"


async def reader_language(session: AsyncSession, user_id: uuid.UUID, default: str) -> Language:
    found = (
        await session.execute(
            select(col(Patient.language), col(Patient.timezone)).where(
                col(Patient.user_id) == user_id
            )
        )
    ).first()
    if found is None:
        return speak(default)
    return speak(found.language or default, found.timezone)


def _two_factor_text(lang: Language, event: TwoFactorEvent, when: str, codes: int) -> OutgoingMail:
    if event is TwoFactorEvent.ENABLED:
        subject = lang.gettext("Two-step sign-in is on for your PrescripCare account")
        first = lang.ngettext(
            "Two-step sign-in was turned on for your PrescripCare account on %(when)s. "
            "Keep your %(num)d recovery code somewhere safe: it lets you in if you lose "
            "your phone.",
            "Two-step sign-in was turned on for your PrescripCare account on %(when)s. "
            "Keep your %(num)d recovery codes somewhere safe: each lets you in once if you "
            "lose your phone.",
            codes,
        )
    elif event is TwoFactorEvent.DISABLED:
        subject = lang.gettext("Two-step sign-in is off for your PrescripCare account")
        first = lang.gettext(
            "Two-step sign-in was turned off for your PrescripCare account on %(when)s. "
            "Your password alone now signs you in."
        )
    elif event is TwoFactorEvent.CODES_REPLACED:
        subject = lang.gettext("New recovery codes for your PrescripCare account")
        first = lang.ngettext(
            "%(num)d new recovery code was made for your PrescripCare account on %(when)s; "
            "the old ones no longer work.",
            "%(num)d new recovery codes were made for your PrescripCare account on %(when)s; "
            "the old ones no longer work.",
            codes,
        )
    else:
        subject = lang.gettext("Two-step sign-in was removed from your PrescripCare account")
        first = lang.gettext(
            "An administrator removed two-step sign-in from your PrescripCare account on "
            "%(when)s and signed out every device. Sign in with your password and turn "
            "two-step sign-in on again."
        )
    last = lang.gettext("If it was not you, contact your clinic at once.")
    return OutgoingMail("", subject, f"{first % {'when': when, 'num': codes}}\n\n{last}")


class AccountNotices:
    def __init__(self, mail: AccountMail, default_language: str) -> None:
        self.mail = mail
        self.default_language = default_language

    async def two_factor(
        self,
        session: AsyncSession,
        user_id: uuid.UUID,
        event: TwoFactorEvent,
        now: datetime,
        codes: int = 0,
    ) -> OutgoingMail | None:
        user = await session.get(User, user_id)
        if user is None or user.disabled_at is not None:
            return None
        lang = await reader_language(session, user_id, self.default_language)
        # The account has no time zone of its own: the notice says UTC.
        when = lang.datetime(now, "UTC") + " UTC"
        text = _two_factor_text(lang, event, when, codes)
        return OutgoingMail(user.email, text.subject, text.text)

    def deliver(self, mail: OutgoingMail | None) -> None:
        if mail is not None:
            self.mail.send_later(mail)
