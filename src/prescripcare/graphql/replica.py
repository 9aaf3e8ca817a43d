"""Query operations load through the read replica (DATABASE_READ_URL).

Chosen per operation once the document is parsed: a mutation's payload is
read back from the primary it just wrote to, so a client never sees its own
write missing; a query may trail the primary by the replica's lag. Who the
viewer is (token and revocation check) is always read from the primary.
"""

from __future__ import annotations

from collections.abc import Iterator

from strawberry.extensions import SchemaExtension
from strawberry.types.graphql import OperationType

from prescripcare.graphql.context import Context, Loaders


class ReadReplicaLoaders(SchemaExtension):
    def on_execute(self) -> Iterator[None]:
        context = self.execution_context.context
        if (
            isinstance(context, Context)
            and self.execution_context.operation_type is OperationType.QUERY
            and context.resources.read_engine is not context.resources.engine
        ):
            context.loaders = Loaders.for_viewer(
                context.resources, context.viewer, context.reads, read_only=True
            )
        yield
