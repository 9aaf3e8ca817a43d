"""The one schema, assembled from each domain's root fields."""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import partial
from typing import Any

import strawberry
from graphql import GraphQLError
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
from strawberry.schema.schema import DEFAULT_ALLOWED_OPERATION_TYPES
from strawberry.tools import merge_types
from strawberry.types import ExecutionResult
from strawberry.types.graphql import OperationType

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
from prescripcare.graphql.trusted import load_manifests
from prescripcare.observability.graphqlmetrics import OperationMetrics, known_operation_names
from prescripcare.patients.mutations import PatientMutation
from prescripcare.patients.queries import PatientQuery
from prescripcare.plans.extension import planned_execution
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


# graphql-core's suggestion suffix, wherever it appears: field and argument
# names, enum values, input fields, type names, in documents and variables.
_SUGGESTION = re.compile(r" Did you mean [^?]*\?")


class PrescripCareSchema(strawberry.Schema):
    @staticmethod
    def remove_field_suggestion(error: GraphQLError) -> None:
        """Strawberry's disable_field_suggestions removes only the field
        suggestion ("Cannot query field"); with the same switch on (in
        production) every "Did you mean" goes, so an attacker cannot map
        arguments, enum values, input fields or types by typos."""
        error.message = _SUGGESTION.sub("", error.message)

    async def execute(
        self,
        query: str | None,
        variable_values: dict[str, Any] | None = None,
        context_value: Any | None = None,
        root_value: Any | None = None,
        operation_name: str | None = None,
        allowed_operation_types: Iterable[OperationType] | None = None,
        operation_extensions: dict[str, Any] | None = None,
    ) -> ExecutionResult:
        """One answer per document: a subscription streams, and is served
        only over graphql-transport-ws (`stream`). Strawberry allows it over
        HTTP for multipart delivery, which we do not serve; refused here, it
        answers a 400 naming the WebSocket instead of an internal error."""
        allowed = set(allowed_operation_types or DEFAULT_ALLOWED_OPERATION_TYPES)
        return await super().execute(
            query,
            variable_values,
            context_value,
            root_value,
            operation_name,
            allowed - {OperationType.SUBSCRIPTION},
            operation_extensions,
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
    # Metric labels: only the known documents' operation names.
    operation_names = known_operation_names(
        load_manifests(settings.trusted_documents_files).values()
    )
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
        partial(OperationMetrics, known=operation_names),
        ReadReplicaLoaders,
        partial(MaxTokensLimiter, max_token_count=settings.graphql_max_tokens),
        # The depth and alias rule classes are made once: the validation
        # cache keys on them, so classes made afresh per request never hit.
        partial(AddValidationRules, limit_rules),
        partial(QueryCostLimiter, max_cost=settings.graphql_max_cost),
        StorableTextGuard,
    ]
    if settings.graphql_plans:
        # Last, so it runs after every check above and only when none of
        # them has answered the operation already.
        extensions.append(planned_execution(cache_size))
    if settings.is_production:
        extensions.append(DisableIntrospection)
    return PrescripCareSchema(
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
