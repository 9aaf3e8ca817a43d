"""Requests refused before GraphQL runs answer like GraphQL does.

Strawberry answers a malformed request (bad JSON, wrong content type, a
mutation over GET) with a plain-text body; clients parse every /graphql
answer as `{"errors": [...]}`, so those refusals get that shape and a code.
"""

from __future__ import annotations

import orjson
from cross_web import HTTPException
from starlette.responses import Response

from prescripcare.errors import TopLevelCode

UNSUPPORTED_CONTENT_TYPE = "Unsupported content type"
# Strawberry's reason when a subscription comes by HTTP (graphql/schema.py).
SUBSCRIPTION_OVER_HTTP = "subscriptions are not allowed when using"

_CODES = {
    400: TopLevelCode.BAD_REQUEST,
    404: TopLevelCode.NOT_FOUND,
    405: TopLevelCode.METHOD_NOT_ALLOWED,
    415: TopLevelCode.UNSUPPORTED_MEDIA_TYPE,
}


def decode_request_json(data: str | bytes) -> object:
    """orjson instead of json.loads: it refuses invalid UTF-8, unpaired
    surrogates and nesting deeper than 1024 with a JSONDecodeError (a 400),
    where json.loads would raise UnicodeDecodeError or RecursionError (a 500).
    The body or a query parameter must be an object (a list is a batch)."""
    value = orjson.loads(data)
    if not isinstance(value, dict | list):
        raise HTTPException(400, "The request must be a JSON object.")
    return value


def refusal_response(error: HTTPException) -> Response:
    status = error.status_code
    message = error.reason
    if status == 400 and message == UNSUPPORTED_CONTENT_TYPE:
        status, message = 415, "Send the request as application/json."
    elif status == 400 and message.startswith(SUBSCRIPTION_OVER_HTTP):
        message = "Subscriptions are served over WebSocket only (graphql-transport-ws on /graphql)."
    code = _CODES.get(status, TopLevelCode.BAD_REQUEST)
    body = {"data": None, "errors": [{"message": message, "extensions": {"code": code.value}}]}
    return Response(orjson.dumps(body), status_code=status, media_type="application/json")
