"""The one schema, assembled from each domain's root fields."""

from __future__ import annotations

from functools import partial
from typing import Any

import strawberry
from strawberry.extensions import (
    AddValidationRules,
    DisableIntrospection,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    ParserCache,
    QueryDepthLimiter,
    ValidationCache,
)
from strawberry.schema.config import StrawberryConfig
from strawberry.tools import merge_types

from prescripcare.audit.extension import AuditReads
from prescripcare.audit.mutations import AuditMutation
from prescripcare.audit.queries import AuditQuery
from prescripcare.auth.mutations import AuthMutation
from prescripcare.auth.queries import AuthQuery
from prescripcare.auth.reset_mutations import PasswordResetMutation
from prescripcare.auth.twofactor_mutations import TwoFactorMutation
from prescripcare.auth.twofactor_queries import TwoFactorQuery
from prescripcare.doses.mutations import DoseMutation
from prescripcare.drugs.queries import DrugQuery
from prescripcare.graphql.cost_limiter import QueryCostLimiter
from prescripcare.graphql.presenter import ErrorPresenter
from prescripcare.graphql.replica import ReadReplicaLoaders
from prescripcare.graphql.scalars import SCALAR_OVERRIDES
from prescripcare.graphql.textguard import StorableTextGuard
from prescripcare.observability.graphqlmetrics import OperationMetrics
from prescripcare.patients.mutations import PatientMutation
from prescripcare.patients.queries import PatientQuery
from prescripcare.prescriptions.mutations import PrescriptionMutation
from prescripcare.privacy.mutations import PrivacyMutation
from prescripcare.reminders.mutations import DeviceMutation
from prescripcare.reminders.subscription import ReminderSubscription
from prescripcare.reports.mutations import ReportMutation
from prescripcare.settings import Settings

Query = merge_types("Query", (AuthQuery, PatientQuery, DrugQuery, TwoFactorQuery, AuditQuery))
Mutation = merge_types(
    "Mutation",
    (
        AuthMutation,
        PatientMutation,
        PrescriptionMutation,
        DoseMutation,
        DeviceMutation,
        PrivacyMutation,
        PasswordResetMutation,
        TwoFactorMutation,
        ReportMutation,
        AuditMutation,
    ),
)


def build_schema(settings: Settings | None = None) -> strawberry.Schema:
    """The schema with the deployment's abuse limits. Depth, alias and token
    limits hold everywhere so development finds a too-greedy document before
    production does; introspection and field suggestions, which map the API
    for an attacker, are off in production only (GraphiQL needs them)."""
    # Without settings (SDL export, tests), the defaults: never read from the
    # environment here, where a production env without secrets would refuse.
    settings = settings or Settings.model_construct()
    # Factories, not instances: Strawberry builds a fresh extension for each
    # request, so concurrent requests never share one's execution context.
    cache_size = settings.graphql_document_cache_size
    limit_rules = [
        *QueryDepthLimiter(max_depth=settings.graphql_max_depth).validation_rules,
        *MaxAliasesLimiter(max_alias_count=settings.graphql_max_aliases).validation_rules,
    ]
    extensions: list[Any] = [
        # Strawberry keeps these LRU caches at module level, keyed by size, so
        # a fresh extension per request still hits the shared cache.
        lambda: ParserCache(maxsize=cache_size),
        lambda: ValidationCache(maxsize=cache_size),
        ErrorPresenter,
        # After the presenter, so it closes first and the presenter masks a
        # failed audit write like any unexpected error.
        AuditReads,
        OperationMetrics,
        ReadReplicaLoaders,
        partial(MaxTokensLimiter, max_token_count=settings.graphql_max_tokens),
        # The depth and alias rule classes are made once: the validation
        # cache keys on them, so classes made afresh per request never hit.
        partial(AddValidationRules, limit_rules),
        partial(QueryCostLimiter, max_cost=settings.graphql_max_cost),
        StorableTextGuard,
    ]
    if settings.is_production:
        extensions.append(DisableIntrospection)
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
