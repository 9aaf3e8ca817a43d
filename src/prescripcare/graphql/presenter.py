"""How errors reach the client.

Known errors keep their code; domain exceptions become FORBIDDEN or
UNAUTHENTICATED; anything unexpected is masked to a message with the request
id (the log and Sentry get the exception), never a stack trace.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

import sentry_sdk
from graphql import GraphQLError
from strawberry.extensions import SchemaExtension

from prescripcare.errors import AccessDenied, NotAuthenticated, TopLevelCode
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
    if original is None:
        return error
    if isinstance(original, AccessDenied):
        return _with_code(error, TopLevelCode.FORBIDDEN, str(original) or "Forbidden.")
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
    def on_operation(self) -> Iterator[None]:
        yield
        result = self.execution_context.result
        errors = getattr(result, "errors", None)
        if result is not None and errors:
            result.errors = [present(e) for e in errors]
