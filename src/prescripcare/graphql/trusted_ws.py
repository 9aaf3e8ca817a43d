"""Our graphql-transport-ws handler.

Trusted documents: a subscribe message goes through the same check as an
HTTP request (hash alone, hash and text, or text only in trusted-only mode)
and a refusal is the operation's error. Masking: every error a subscription
yields goes through the same presenter as HTTP answers, so an unexpected
exception reaches the socket as INTERNAL_SERVER_ERROR with the request id,
never as its own message (which may quote a patient's data)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from strawberry.schema.schema import StreamResult
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler,
    Operation,
)
from strawberry.subscriptions.protocols.graphql_transport_ws.types import SubscribeMessage

from prescripcare.graphql.context import Context
from prescripcare.graphql.presenter import present
from prescripcare.graphql.trusted import Refusal, TrustedDocuments


class TrustedTransportWSHandler(BaseGraphQLTransportWSHandler[Context, None]):
    trusted: TrustedDocuments

    async def handle_subscribe(self, message: SubscribeMessage) -> None:
        payload: dict[str, Any] = dict(message["payload"])
        outcome = self.trusted.resolve(payload.get("query"), payload.get("extensions"))
        if isinstance(outcome, Refusal):
            await self.send_message(
                {"id": message["id"], "type": "error", "payload": [outcome.error().formatted]}
            )
            return
        payload["query"] = outcome
        await super().handle_subscribe({**message, "payload": payload})  # type: ignore[typeddict-item]

    async def _send_result_stream(
        self, operation: Operation[Context, None], result_source: StreamResult
    ) -> None:
        # Strawberry sends subscription results without the schema's error
        # presenter; this is the one place every result passes through.
        async def presented() -> AsyncIterator[Any]:
            async for result in result_source:
                errors = getattr(result, "errors", None)
                if errors:
                    result.errors = [present(error) for error in errors]  # type: ignore[union-attr]
                yield result

        await super()._send_result_stream(operation, presented())  # type: ignore[arg-type]
