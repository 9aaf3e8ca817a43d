"""How errors reach the client.

Known errors keep their code; domain exceptions become FORBIDDEN or
UNAUTHENTICATED; anything unexpected is masked to a message with the request
id (the log and Sentry get the exception), never a stack trace.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

from graphql import GraphQLError, GraphQLSyntaxError
from strawberry.extensions import SchemaExtension

from prescripcare.errors import AccessDenied, NotAuthenticated, NotFound, TopLevelCode
from prescripcare.graphql.coercion import variable_error, with_code
from prescripcare.observability.metrics import GRAPHQL_INTERNAL_ERRORS
from prescripcare.requestid import current_request_id

log = logging.getLogger("prescripcare.graphql")


def _with_code(error: GraphQLError, code: TopLevelCode, message: str) -> GraphQLError:
    return GraphQLError(
        message,
        nodes=error.nodes,
        source=error.source,
        positions=error.positions,
        path=error.path,
        extensions={**(error.extensions or {}), "code": code.value},
    )


def present(error: GraphQLError) -> GraphQLError:
    original = error.original_error
    syntax = isinstance(error, GraphQLSyntaxError) or isinstance(original, GraphQLSyntaxError)
    if syntax and not (error.extensions or {}).get("code"):
        return with_code(error, TopLevelCode.GRAPHQL_PARSE_FAILED)
    if original is None:
        return error
    if isinstance(original, AccessDenied):
        return _with_code(error, TopLevelCode.FORBIDDEN, str(original) or "Forbidden.")
    if isinstance(original, NotFound):
        return _with_code(error, TopLevelCode.NOT_FOUND, original.problems[0].message)
    if isinstance(original, NotAuthenticated):
        return _with_code(
            error, TopLevelCode.UNAUTHENTICATED, str(original) or "Authentication required."
        )
    if isinstance(original, GraphQLError):
        # Input coercion wraps a scalar's error: keep the scalar's code.
        if original.extensions and not error.extensions:
            error.extensions = dict(original.extensions)
        return error
    request_id = current_request_id.get()
    GRAPHQL_INTERNAL_ERRORS.inc()
    log.error("unexpected error in GraphQL execution (request %s)", request_id, exc_info=original)
    # Imported here: only an unexpected error needs it, and it is a tenth of
    # a second of every process's start-up.
    import sentry_sdk

    sentry_sdk.capture_exception(original)
    return GraphQLError(
        f"Internal server error. Quote request id {request_id} to support.",
        nodes=error.nodes,
        source=error.source,
        positions=error.positions,
        path=error.path,
        extensions={"code": TopLevelCode.INTERNAL_SERVER_ERROR.value, "requestId": request_id},
    )


class ErrorPresenter(SchemaExtension):
    _invalid: frozenset[int] = frozenset()

    def on_validate(self) -> Iterator[None]:
        # The outermost validation hook: it sees every rule's errors.
        yield
        self._invalid = frozenset(map(id, self.execution_context.pre_execution_errors or []))

    def on_operation(self) -> Iterator[None]:
        yield
        result = self.execution_context.result
        errors = getattr(result, "errors", None)
        if result is not None and errors:
            result.errors = [present(self._classify(e)) for e in errors]

    def _classify(self, error: GraphQLError) -> GraphQLError:
        """graphql-core's own errors carry no code: give each the code of the
        step that refused the request."""
        own = error.original_error is None or isinstance(error.original_error, GraphQLError)
        if not own or (error.extensions or {}).get("code"):
            return error
        context = self.execution_context
        if id(error) in self._invalid:
            return with_code(error, TopLevelCode.GRAPHQL_VALIDATION_FAILED)
        if error.path is None:
            if error.message.startswith("Variable '$"):
                return variable_error(error, context.variables)
            # No operation to run: a wrong or missing operationName.
            return with_code(error, TopLevelCode.BAD_REQUEST)
        return error
