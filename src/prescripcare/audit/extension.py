"""Writes the patient reads an operation gathered, once, when it ends.

No record, no disclosure: if the entries cannot be written the response
carries no data, only a masked error.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from graphql import GraphQLError
from strawberry.extensions import SchemaExtension

from prescripcare.audit.service import record_reads
from prescripcare.db import one_statement
from prescripcare.graphql.context import Context


async def flush_reads(ctx: Context) -> None:
    pending = ctx.reads.drain()
    if pending and ctx.viewer is not None:
        # record_reads is one INSERT ... SELECT: atomic on its own.
        async with one_statement(ctx.resources.sessions) as session:
            await record_reads(session, ctx.viewer, pending, ctx.now())


class AuditReads(SchemaExtension):
    async def on_operation(self) -> AsyncIterator[None]:
        yield
        ctx = self.execution_context.context
        if not isinstance(ctx, Context):
            return
        try:
            await flush_reads(ctx)
        except Exception as exc:
            result = self.execution_context.result
            if result is None:
                raise
            result.data = None
            result.errors = [GraphQLError("audit write failed", original_error=exc)]
