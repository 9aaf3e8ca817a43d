"""GraphQL types of accounts."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Annotated

import strawberry

from prescripcare.auth.models import Role, User
from prescripcare.graphql.enums import RoleEnum
from prescripcare.graphql.errors import UserError
from prescripcare.graphql.info import Info

if TYPE_CHECKING:
    from prescripcare.patients.types import PatientType

PatientRef = Annotated["PatientType", strawberry.lazy("prescripcare.patients.types")]


@strawberry.type(name="User")
class UserType:
    id: strawberry.ID
    email: str
    role: RoleEnum  # type: ignore[valid-type]
    name: str | None
    _model: strawberry.Private[User]

    @classmethod
    def from_model(cls, user: User) -> UserType:
        return cls(
            id=strawberry.ID(str(user.id)),
            email=user.email,
            role=Role(user.role),
            name=user.name,
            _model=user,
        )

    @strawberry.field(description="The patient record of a PATIENT account, when visible.")
    async def patient(self, info: Info) -> PatientRef | None:
        from prescripcare.patients.types import PatientType

        if self._model.role != Role.PATIENT.value:
            return None
        found = await info.context.loaders.patient_by_user_id.load(self._model.id)
        return PatientType.from_model(found) if found else None


@strawberry.input
class RegisterInput:
    email: str
    password: str
    name: str
    role: RoleEnum | None = strawberry.field(  # type: ignore[valid-type]
        default=None, description="PATIENT (default) or CAREGIVER; anything else is FORBIDDEN."
    )
    date_of_birth: date | None = None
    timezone: str | None = strawberry.field(
        default=None, description="IANA name; required when role is PATIENT."
    )


@strawberry.input
class CreateUserInput:
    email: str
    password: str
    role: RoleEnum  # type: ignore[valid-type]
    name: str | None = None


@strawberry.type
class AuthPayload:
    access_token: str | None = None
    refresh_token: str | None = None
    user: UserType | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class RefreshTokenPayload:
    access_token: str | None = None
    refresh_token: str | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class LogoutPayload:
    ok: bool
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class CreateUserPayload:
    user: UserType | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)
