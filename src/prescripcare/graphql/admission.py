"""What every GraphQL operation passes before it runs, whichever transport
carries it: HTTP requests and operations on a graphql-transport-ws socket
call these same functions, so a limit or check added here holds on both.

In order: the session (`context.authenticate`: the bearer token is valid
now, its login not ended, the account enabled and not erased), then here the
trusted-document check (a hash
alone, hash and text, or only allowlisted text), then the rate limits (per
client address, per account, and the stricter authentication buckets). The
cost check, the audit of patient reads and the metrics run inside execution
as schema extensions, so they hold for any transport too.

Nothing here depends on how the document is then executed: a compiled
executor runs after `admit` exactly as Strawberry's does.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from prescripcare.auth.viewer import Viewer
from prescripcare.graphql.trusted import Refusal, TrustedDocuments
from prescripcare.ratelimit.guard import GraphQLRequest, RequestGuard


@dataclass(frozen=True, slots=True)
class Operation:
    """One GraphQL operation as a client sent it."""

    query: str | None
    variables: Mapping[str, Any] | None
    operation_name: str | None
    extensions: Mapping[str, Any] | None


class Admission:
    def __init__(self, trusted: TrustedDocuments, guard: RequestGuard) -> None:
        self.trusted = trusted
        self.guard = guard

    async def admit(
        self, ip: str, viewer: Viewer | None, operation: Operation
    ) -> str | Refusal | None:
        """The document text to execute (None: none was sent), or the
        refusal to answer instead.
        Raises RateLimited (and counts nothing) when a limit is reached;
        each transport answers that its own way (HTTP 429, a socket error
        message)."""
        outcome = self.trusted.resolve(operation.query, operation.extensions)
        # A document sent by hash alone counts as its text: `login` by hash
        # meets the same strict limit as `login` spelled out.
        text = outcome if isinstance(outcome, str) else operation.query
        await self.guard.check(
            ip,
            viewer.user_id if viewer else None,
            [GraphQLRequest(text, operation.variables, operation.operation_name)],
        )
        return outcome
