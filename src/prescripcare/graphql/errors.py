"""The `UserError` payload type and top-level errors with `extensions.code`."""

from __future__ import annotations

import strawberry
from graphql import GraphQLError

from prescripcare.errors import ERROR_MEANINGS, Problem, TopLevelCode, UserFacingError


@strawberry.type(description="A failure of a mutation the client can act on. Nothing was written.")
class UserError:
    code: str = strawberry.field(
        description="Machine-readable, one of: "
        + "; ".join(f"{code.value} ({meaning})" for code, meaning in ERROR_MEANINGS.items())
        + ". Errors of the request itself are top-level, with `extensions.code` "
        "(docs/errors.md)."
    )
    field: str | None = strawberry.field(
        description=(
            "The input field at fault, as a dotted path (`input.schedule.timesOfDay`), or null."
        )
    )
    message: str


def user_errors(error: UserFacingError) -> list[UserError]:
    return [from_problem(p) for p in error.problems]


def from_problem(problem: Problem) -> UserError:
    return UserError(code=problem.code.value, field=problem.field, message=problem.message)


def top_level(code: TopLevelCode, message: str, field: str | None = None) -> GraphQLError:
    extensions: dict[str, object] = {"code": code.value}
    if field is not None:
        extensions["field"] = field
    return GraphQLError(message, extensions=extensions)


def bad_input(field: str, message: str) -> GraphQLError:
    return top_level(TopLevelCode.BAD_USER_INPUT, message, field)
