"""Refuses text that PostgreSQL cannot store before any resolver runs.

A NUL character or an unpaired UTF-16 surrogate in any String or ID (a
variable or a literal in the document) would otherwise reach asyncpg and fail
deep inside a transaction as an internal error. Here it is the client's
BAD_USER_INPUT, naming the argument, and nothing has been read or written.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterator

from graphql import (
    ArgumentNode,
    GraphQLError,
    ListValueNode,
    Node,
    ObjectValueNode,
    StringValueNode,
)
from strawberry.extensions import SchemaExtension

from prescripcare.errors import TopLevelCode


def storable(text: str) -> bool:
    if "\x00" in text:
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate, which JSON can spell as \ud800
        return False
    return True


def _bad_variable(value: object, path: str) -> str | None:
    # A loop, not recursion: variables may nest as deep as the JSON parser
    # allows (1024), deeper than Python's recursion limit.
    pending = [(value, path)]
    while pending:
        item, where = pending.pop()
        if isinstance(item, str):
            if not storable(item):
                return where
        elif isinstance(item, dict):
            pending += [(v, f"{where}.{k}") for k, v in item.items()]
        elif isinstance(item, list):
            pending += [(v, f"{where}.{i}") for i, v in enumerate(item)]
    return None


def _literals(node: Node, path: str) -> Iterator[tuple[str, str]]:
    if isinstance(node, StringValueNode):
        yield path, node.value
    elif isinstance(node, ObjectValueNode):
        for field in node.fields:
            yield from _literals(field.value, f"{path}.{field.name.value}")
    elif isinstance(node, ListValueNode):
        for index, item in enumerate(node.values):
            yield from _literals(item, f"{path}.{index}")


def _arguments(node: object) -> Iterator[ArgumentNode]:
    """Every argument anywhere in the document (fields, directives)."""
    if isinstance(node, ArgumentNode):
        yield node
        return
    if isinstance(node, Node):
        for key in node.keys:
            yield from _arguments(getattr(node, key, None))
    elif isinstance(node, tuple | list):
        for item in node:
            yield from _arguments(item)


def _scan(document: Node) -> str | None:
    return next(
        (
            path
            for argument in _arguments(document)
            for path, text in _literals(argument.value, argument.name.value)
            if not storable(text)
        ),
        None,
    )


# The apps send a few dozen documents: the literals of each are read once,
# not walked on every request (least recently used first out).
_SCANNED: OrderedDict[str, str | None] = OrderedDict()
_SCANNED_MAX = 256


def _bad_literal(text: str | None, document: Node) -> str | None:
    """The path of an unstorable literal in the document parsed from `text`."""
    if text is None:
        return _scan(document)
    if text in _SCANNED:
        _SCANNED.move_to_end(text)
        return _SCANNED[text]
    found = _SCANNED[text] = _scan(document)
    if len(_SCANNED) > _SCANNED_MAX:
        _SCANNED.popitem(last=False)
    return found


class StorableTextGuard(SchemaExtension):
    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        field = None
        for name, value in (context.variables or {}).items():
            field = _bad_variable(value, name)
            if field:
                break
        if field is None and context.graphql_document is not None:
            field = _bad_literal(context.query, context.graphql_document)
        if field is not None:
            # Set before validation runs, so Strawberry stops there.
            context.pre_execution_errors = [
                GraphQLError(
                    "Text must not contain NUL characters or unpaired surrogates.",
                    extensions={"code": TopLevelCode.BAD_USER_INPUT.value, "field": field},
                )
            ]
        yield
