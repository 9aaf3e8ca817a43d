"""Trusted documents over graphql-transport-ws: a subscribe message goes
through the same check as an HTTP request (hash alone, hash and text, or
text only in trusted-only mode) and a refusal is the operation's error."""

from __future__ import annotations

from typing import Any

from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler,
)
from strawberry.subscriptions.protocols.graphql_transport_ws.types import SubscribeMessage

from prescripcare.graphql.context import Context
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
