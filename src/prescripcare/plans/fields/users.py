"""Plans of the account fields."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from prescripcare.auth.models import Role
from prescripcare.auth.queries import signed_in_user
from prescripcare.auth.types import UserType
from prescripcare.graphql.context import Context
from prescripcare.patients.types import PatientType
from prescripcare.plans.registry import batch

Parents = Sequence[Any]
Arguments = Mapping[str, Any]


@batch("Query", "me")
async def me(ctx: Context, parents: Parents, args: Arguments) -> list[UserType | None]:
    return [await signed_in_user(ctx)]


@batch("User", "patient")
async def patient(ctx: Context, parents: Parents, args: Arguments) -> list[PatientType | None]:
    ids = [u._model.id for u in parents if u._model.role == Role.PATIENT.value]
    found = dict(zip(ids, await ctx.loaders.patient_by_user_id.load_many(ids), strict=True))
    out: list[PatientType | None] = []
    for user in parents:
        record = found.get(user._model.id)
        out.append(PatientType.from_model(record) if record else None)
    return out
