"""Answers a query operation through its plan, in place of graphql-core.

It is the last schema extension, so by the time it runs the request has been
through everything the reference path goes through: the trusted-document
check and rate limits (view), the token check (context), parsing, validation,
the depth, alias, token and cost limits, the text guard, and the choice of
the read replica. The error presenter wraps it as it wraps graphql-core's
execution. The audit of patient reads is written by the plan itself, on its
own connection, when that connection is the primary's; otherwise (a read
replica) `AuditReads` writes it as for graphql-core.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from typing import Any, cast

from graphql import DocumentNode, GraphQLSchema, OperationType
from graphql import ExecutionResult as GraphQLExecutionResult
from graphql.execution.values import get_variable_values
from graphql.utilities import get_operation_ast
from strawberry.extensions import SchemaExtension

import prescripcare.plans.fields  # noqa: F401  (registers the plans)
from prescripcare.audit.service import record_reads
from prescripcare.db import SessionFactory, reading
from prescripcare.graphql.context import Context, Loaders
from prescripcare.plans.compile import PlanCache
from prescripcare.plans.execute import run_tree
from prescripcare.plans.session import READS, SharedReads

log = logging.getLogger("prescripcare.plans")

# Marks a context whose operation the planner answered (tests, the oracle).
PLANNED = "planned"


async def answer(
    schema: GraphQLSchema,
    cache: PlanCache,
    text: str,
    document: DocumentNode,
    operation_name: str | None,
    raw_variables: dict[str, Any] | None,
    ctx: Context,
) -> dict[str, Any] | None:
    """The operation's data through its plan; None when it has none or the
    plan gave up (the caller then executes it the reference way)."""
    if ctx.viewer is None:
        # Every planned root field requires a signed-in viewer: the reference
        # path answers UNAUTHENTICATED without a wasted attempt.
        return None
    operation = get_operation_ast(document, operation_name)
    if operation is None or operation.operation is not OperationType.QUERY:
        return None
    variables = get_variable_values(
        schema, operation.variable_definitions or (), raw_variables or {}
    )
    if isinstance(variables, list):  # coercion errors: graphql-core reports them
        return None
    tree = cache.get(schema, text, document, operation, variables)
    if tree is None:
        return None
    before = ctx.reads.drain()
    _restore(ctx, before)
    resources = ctx.resources
    kept = ctx.loaders
    try:
        async with reading(resources.read_sessions or resources.sessions) as session:
            shared = SharedReads(session)
            ctx.extras[READS] = shared
            ctx.loaders = Loaders.for_viewer(
                resources,
                ctx.viewer,
                ctx.reads,
                read_only=True,
                sessions=cast(SessionFactory, shared),
            )
            try:
                data = await run_tree(ctx, tree, variables)
                if resources.read_sessions is None or resources.read_engine is resources.engine:
                    # Last, so nothing can abandon the plan once it is written.
                    await _record_reads(ctx, shared)
            finally:
                await shared.close()
                del ctx.extras[READS]
        ctx.loaders = kept
    except Exception as reason:  # any error: the reference path reports it
        log.debug("plan of %s abandoned: %r", operation_name, reason)
        # The reference run must see what this one saw: no reads recorded by
        # the abandoned plan, no loader results cached by it.
        ctx.reads.drain()
        _restore(ctx, before)
        ctx.loaders = Loaders.for_viewer(ctx.resources, ctx.viewer, ctx.reads, read_only=True)
        return None
    ctx.extras[PLANNED] = True
    return data


async def _record_reads(ctx: Context, shared: SharedReads) -> None:
    """The operation's patient reads, written on the connection that read
    them (the primary's): one INSERT, atomic by itself, with no checkout of
    its own. `AuditReads` then finds nothing left to write. Were it to fail,
    the plan is abandoned and the reference run writes them (or fails) as
    it always does."""
    pending = ctx.reads.drain()
    if pending and ctx.viewer is not None:
        async with shared() as session:
            await record_reads(session, ctx.viewer, pending, ctx.now())


def _restore(ctx: Context, reads: list[tuple[Any, Any]]) -> None:
    for patient_id, action in reads:
        ctx.reads.add(patient_id, action)


def planned_execution(cache_size: int) -> type[SchemaExtension]:
    """The extension class, with one plan cache for the schema's lifetime."""
    cache = PlanCache(cache_size)

    class PlannedExecution(SchemaExtension):
        async def on_execute(self) -> AsyncIterator[None]:
            context = self.execution_context
            ctx = context.context
            if (
                context.result is None
                and isinstance(ctx, Context)
                and context.query is not None
                and context.graphql_document is not None
            ):
                data = await answer(
                    context.schema._schema,
                    cache,
                    context.query,
                    context.graphql_document,
                    context.operation_name,
                    context.variables,
                    ctx,
                )
                if data is not None:
                    context.result = GraphQLExecutionResult(data=data, errors=None)
            yield

    return PlannedExecution
