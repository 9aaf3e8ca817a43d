"""Refuses an operation whose cost is over GRAPHQL_MAX_COST before it runs."""

from __future__ import annotations

from collections.abc import Iterator

from graphql import ExecutionResult as GraphQLExecutionResult
from graphql import GraphQLError
from strawberry.extensions import SchemaExtension

from prescripcare.errors import TopLevelCode
from prescripcare.graphql.cost import operation_cost


class QueryCostLimiter(SchemaExtension):
    """Runs once the document is parsed and validated, when the variables
    are known, and answers in place of execution: no resolver, no SQL."""

    def __init__(self, *, max_cost: int) -> None:
        self.max_cost = max_cost

    def on_execute(self) -> Iterator[None]:
        context = self.execution_context
        document = context.graphql_document
        if document is not None and context.result is None:
            cost = operation_cost(
                context.schema._schema, document, context.operation_name, context.variables
            )
            if cost > self.max_cost:
                context.result = GraphQLExecutionResult(
                    data=None,
                    errors=[
                        GraphQLError(
                            f"The operation costs {cost}, over the limit of {self.max_cost}: "
                            "ask for fewer items (`first`) or a shorter window.",
                            extensions={
                                "code": TopLevelCode.QUERY_TOO_COMPLEX.value,
                                "cost": cost,
                                "maxCost": self.max_cost,
                            },
                        )
                    ],
                )
        yield
