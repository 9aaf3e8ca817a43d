"""Account rules: sign-up, login, token rotation, logout, user creation."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from prescripcare.audit.models import AuditAction
from prescripcare.audit.service import record
from prescripcare.auth.mail import AccountMail
from prescripcare.auth.models import RefreshToken, Role, User
from prescripcare.auth.notices import AccountNotices
from prescripcare.auth.passwords import PasswordService, check_password
from prescripcare.auth.reset import PasswordResetService
from prescripcare.auth.tokens import AccessTokenCodec, hash_refresh_token, new_refresh_token
from prescripcare.auth.twofactor import TwoFactorService
from prescripcare.auth.viewer import Viewer
from prescripcare.errors import AccessDenied, ErrorCode, Problem, Problems, UserFacingError
from prescripcare.patients.models import Patient
from prescripcare.patients.service import check_birth_date
from prescripcare.settings import Settings
from prescripcare.validation import clean_email, clean_name, clean_timezone


@dataclass
class Registration:
    email: str
    password: str
    name: str
    role: Role = Role.PATIENT
    date_of_birth: date | None = None
    timezone: str | None = None


@dataclass
class TokenPair:
    access_token: str
    refresh_token: str


@dataclass
class SignedIn:
    user: User
    tokens: TokenPair


@dataclass
class RefreshOutcome:
    """Refresh answers either tokens or a problem; on TOKEN_REUSED the
    family's revocation must be committed even though the call failed."""

    tokens: TokenPair | None = None
    problem: Problem | None = None


def _email_taken(field: str) -> UserFacingError:
    return UserFacingError.single(
        ErrorCode.EMAIL_TAKEN, "An account already uses this e-mail.", field
    )


class AuthService:
    def __init__(
        self,
        settings: Settings,
        passwords: PasswordService,
        codec: AccessTokenCodec,
        mail: AccountMail | None = None,
    ) -> None:
        self.passwords = passwords
        self.codec = codec
        self.refresh_lifetime = timedelta(days=settings.refresh_token_days)
        self.two_factor = TwoFactorService(settings)
        self.resets = PasswordResetService(settings, passwords, mail or AccountMail(None))
        self.notices = AccountNotices(mail or AccountMail(None), settings.default_language)

    async def _email_in_use(self, session: AsyncSession, email: str) -> bool:
        found = await session.execute(
            select(col(User.id)).where(col(User.email_blind_index) == email)
        )
        return found.first() is not None

    async def _new_user(
        self,
        session: AsyncSession,
        email: str,
        password: str,
        role: Role,
        name: str | None,
        now: datetime,
    ) -> User:
        user = User(
            email=email,
            password_hash=await self.passwords.hash(password),
            role=role.value,
            name=name,
            created_at=now,
        )
        session.add(user)
        try:
            # The unique index decides a race between two sign-ups.
            await session.flush()
        except IntegrityError:
            raise _email_taken("input.email") from None
        return user

    async def _issue(
        self, session: AsyncSession, user: User, family_id: uuid.UUID, now: datetime
    ) -> TokenPair:
        token = new_refresh_token()
        session.add(
            RefreshToken(
                user_id=user.id,
                family_id=family_id,
                token_hash=hash_refresh_token(token),
                created_at=now,
                expires_at=now + self.refresh_lifetime,
            )
        )
        await session.flush()
        access = self.codec.issue(user.id, Role(user.role), family_id, now)
        return TokenPair(access_token=access, refresh_token=token)

    async def sign_in(self, session: AsyncSession, user: User, now: datetime) -> TokenPair:
        """Starts a new login (a new refresh family) for an authenticated user."""
        return await self._issue(session, user, uuid.uuid4(), now)

    async def register(self, session: AsyncSession, data: Registration, now: datetime) -> SignedIn:
        if data.role not in (Role.PATIENT, Role.CAREGIVER):
            raise AccessDenied("Only PATIENT and CAREGIVER accounts can sign up.")
        problems = Problems()
        email = clean_email(data.email, problems, "input.email")
        check_password(data.password, problems, "input.password", email=email or "")
        name = clean_name(data.name, problems, "input.name")
        timezone: str | None = None
        if data.role is Role.PATIENT:
            if not data.timezone:
                problems.invalid("input.timezone", "A patient needs an IANA time zone.")
            else:
                timezone = clean_timezone(data.timezone, problems, "input.timezone")
            if data.date_of_birth is not None:
                check_birth_date(data.date_of_birth, now.date(), problems, "input.dateOfBirth")
        problems.raise_if_any()
        assert email is not None and name is not None
        if await self._email_in_use(session, email):
            raise _email_taken("input.email")
        user = await self._new_user(session, email, data.password, data.role, name, now)
        patient_id: uuid.UUID | None = None
        if timezone is not None:
            patient = Patient(
                user_id=user.id,
                name=name,
                date_of_birth=data.date_of_birth,
                timezone=timezone,
                email=email,
                created_by=user.id,
                created_at=now,
                updated_at=now,
            )
            session.add(patient)
            await session.flush()
            patient_id = patient.id
        await record(
            session,
            Viewer(user_id=user.id, role=data.role, email=email),
            AuditAction.USER_REGISTERED,
            "User",
            user.id,
            patient_id,
            now,
        )
        return SignedIn(user=user, tokens=await self.sign_in(session, user, now))

    async def login(
        self,
        session: AsyncSession,
        email: str,
        password: str,
        now: datetime,
        two_factor_code: str | None = None,
    ) -> SignedIn:
        address = email.strip().lower()
        user = (
            await session.execute(
                select(User).where(
                    col(User.email_blind_index) == address, col(User.disabled_at).is_(None)
                )
            )
        ).scalar_one_or_none()
        # The hash is always verified, so an unknown e-mail costs the same time.
        ok = await self.passwords.verify(user.password_hash if user else None, password)
        if user is None or not ok:
            raise UserFacingError.single(
                ErrorCode.INVALID_CREDENTIALS, "Wrong e-mail or password.", None
            )
        await self.two_factor.check_login(session, user, two_factor_code, now)
        return SignedIn(user=user, tokens=await self.sign_in(session, user, now))

    async def _find_token(self, session: AsyncSession, token: str) -> RefreshToken | None:
        return (
            await session.execute(
                select(RefreshToken)
                .where(col(RefreshToken.token_hash) == hash_refresh_token(token))
                .with_for_update()
            )
        ).scalar_one_or_none()

    async def _revoke_family(
        self, session: AsyncSession, family_id: uuid.UUID, now: datetime
    ) -> None:
        await session.execute(
            update(RefreshToken)
            .where(col(RefreshToken.family_id) == family_id, col(RefreshToken.revoked_at).is_(None))
            .values(revoked_at=now)
        )

    async def refresh(self, session: AsyncSession, token: str, now: datetime) -> RefreshOutcome:
        invalid = Problem(
            ErrorCode.TOKEN_INVALID,
            "This refresh token is not valid; log in again.",
            "refreshToken",
        )
        row = await self._find_token(session, token)
        if row is None or row.revoked_at is not None or row.expires_at <= now:
            return RefreshOutcome(problem=invalid)
        if row.used_at is not None:
            # A rotated token came back: someone holds a copy. Revoke the whole
            # login so neither the thief nor the victim can continue.
            await self._revoke_family(session, row.family_id, now)
            return RefreshOutcome(
                problem=Problem(
                    ErrorCode.TOKEN_REUSED,
                    "This refresh token was already used; every session of this login "
                    "has been ended. Log in again.",
                    "refreshToken",
                )
            )
        user = await session.get(User, row.user_id)
        if user is None or user.disabled_at is not None:
            return RefreshOutcome(problem=invalid)
        row.used_at = now
        return RefreshOutcome(tokens=await self._issue(session, user, row.family_id, now))

    async def logout(self, session: AsyncSession, token: str, now: datetime) -> None:
        row = await self._find_token(session, token)
        if row is None:
            raise UserFacingError.single(
                ErrorCode.TOKEN_INVALID, "This refresh token is not valid.", "refreshToken"
            )
        await self._revoke_family(session, row.family_id, now)

    async def create_user(
        self,
        session: AsyncSession,
        viewer: Viewer | None,
        email: str,
        password: str,
        role: Role,
        name: str | None,
        now: datetime,
    ) -> User:
        """An ADMIN creates staff and caregiver accounts; `viewer` None is the
        operator's CLI, trusted as an administrator."""
        if viewer is not None:
            viewer.require_role(Role.ADMIN)
        problems = Problems()
        address = clean_email(email, problems, "input.email")
        check_password(password, problems, "input.password", email=address or "")
        clean = clean_name(name, problems, "input.name") if name is not None else None
        if role is Role.PATIENT:
            # A patient account needs its patient record and time zone.
            problems.invalid("input.role", "Patients sign up with `register`.")
        problems.raise_if_any()
        assert address is not None
        if await self._email_in_use(session, address):
            raise _email_taken("input.email")
        user = await self._new_user(session, address, password, role, clean, now)
        await record(session, viewer, AuditAction.USER_CREATED, "User", user.id, None, now)
        return user
