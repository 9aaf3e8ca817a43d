"""The one schema, assembled from each domain's root fields."""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry.extensions import (
    DisableIntrospection,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    QueryDepthLimiter,
)
from strawberry.schema.config import StrawberryConfig
from strawberry.tools import merge_types

from prescripcare.auth.mutations import AuthMutation
from prescripcare.auth.queries import AuthQuery
from prescripcare.doses.mutations import DoseMutation
from prescripcare.drugs.queries import DrugQuery
from prescripcare.graphql.presenter import ErrorPresenter
from prescripcare.graphql.replica import ReadReplicaLoaders
from prescripcare.graphql.scalars import SCALAR_OVERRIDES
from prescripcare.observability.graphqlmetrics import OperationMetrics
from prescripcare.patients.mutations import PatientMutation
from prescripcare.patients.queries import PatientQuery
from prescripcare.prescriptions.mutations import PrescriptionMutation
from prescripcare.reminders.mutations import DeviceMutation
from prescripcare.reminders.subscription import ReminderSubscription
from prescripcare.settings import Settings

Query = merge_types("Query", (AuthQuery, PatientQuery, DrugQuery))
Mutation = merge_types(
    "Mutation",
    (AuthMutation, PatientMutation, PrescriptionMutation, DoseMutation, DeviceMutation),
)


def build_schema(settings: Settings | None = None) -> strawberry.Schema:
    """The schema with the deployment's abuse limits. Depth, alias and token
    limits hold everywhere so development finds a too-greedy document before
    production does; introspection and field suggestions, which map the API
    for an attacker, are off in production only (GraphiQL needs them)."""
    # Without settings (SDL export, tests), the defaults: never read from the
    # environment here, where a production env without secrets would refuse.
    settings = settings or Settings.model_construct()
    # Strawberry accepts configured instances, which its annotation omits.
    extensions: list[Any] = [
        ErrorPresenter,
        OperationMetrics,
        ReadReplicaLoaders,
        MaxTokensLimiter(max_token_count=settings.graphql_max_tokens),
        QueryDepthLimiter(max_depth=settings.graphql_max_depth),
        MaxAliasesLimiter(max_alias_count=settings.graphql_max_aliases),
    ]
    if settings.is_production:
        extensions.append(DisableIntrospection())
    return strawberry.Schema(
        query=Query,
        mutation=Mutation,
        subscription=ReminderSubscription,
        extensions=extensions,
        scalar_overrides=SCALAR_OVERRIDES,  # type: ignore[arg-type]
        config=StrawberryConfig(
            auto_camel_case=True, disable_field_suggestions=settings.is_production
        ),
    )


schema = build_schema()


def export_sdl() -> str:
    return schema.as_str() + "\n"
