"""The one schema, assembled from each domain's root fields."""

from __future__ import annotations

import strawberry
from strawberry.schema.config import StrawberryConfig
from strawberry.tools import merge_types

from prescripcare.auth.mutations import AuthMutation
from prescripcare.auth.queries import AuthQuery
from prescripcare.doses.mutations import DoseMutation
from prescripcare.drugs.queries import DrugQuery
from prescripcare.graphql.presenter import ErrorPresenter
from prescripcare.graphql.scalars import SCALAR_OVERRIDES
from prescripcare.patients.mutations import PatientMutation
from prescripcare.patients.queries import PatientQuery
from prescripcare.prescriptions.mutations import PrescriptionMutation
from prescripcare.reminders.mutations import DeviceMutation
from prescripcare.reminders.subscription import ReminderSubscription

Query = merge_types("Query", (AuthQuery, PatientQuery, DrugQuery))
Mutation = merge_types(
    "Mutation",
    (AuthMutation, PatientMutation, PrescriptionMutation, DoseMutation, DeviceMutation),
)


def build_schema() -> strawberry.Schema:
    return strawberry.Schema(
        query=Query,
        mutation=Mutation,
        subscription=ReminderSubscription,
        extensions=[ErrorPresenter],
        scalar_overrides=SCALAR_OVERRIDES,  # type: ignore[arg-type]
        config=StrawberryConfig(auto_camel_case=True),
    )


schema = build_schema()


def export_sdl() -> str:
    return schema.as_str() + "\n"
