"""The `Info` type resolvers receive, typed with our context."""

from __future__ import annotations

from typing import TypeAlias

import strawberry

from prescripcare.graphql.context import Context

Info: TypeAlias = strawberry.Info[Context, None]
