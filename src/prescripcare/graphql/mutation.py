"""Running a mutation's work in one transaction, failures as payload errors;
an unsent input field as `KEEP` (`prescripcare/partial.py`)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from prescripcare.errors import UserFacingError
from prescripcare.graphql.context import Context
from prescripcare.graphql.errors import UserError, user_errors
from prescripcare.partial import KEEP, Keep

T = TypeVar("T")


async def in_transaction(
    context: Context, work: Callable[[AsyncSession], Awaitable[T]]
) -> tuple[T | None, list[UserError]]:
    """(result, []) when committed; (None, errors) when refused: the
    transaction is rolled back, so nothing was written."""
    try:
        async with context.transaction() as session:
            return await work(session), []
    except UserFacingError as error:
        return None, user_errors(error)


def keep_unset(value: T) -> T | Keep:
    """An input field the client did not send is KEEP; null stays None."""
    return KEEP if value is strawberry.UNSET else value
