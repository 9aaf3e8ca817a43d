"""Column types that encrypt on the way in and decrypt on the way out, so
models and services keep handling plain strings and dates.

The keyring travels with the engine: `prescripcare.db.create_engine` attaches
it to the engine's dialect, which is what a type sees when it converts a
value. The API, the worker, the CLI and migrations all build their engines
there, so each uses the keys of its own settings.
"""

from __future__ import annotations

import weakref
from datetime import date
from typing import Any, TypeVar

from sqlalchemy import LargeBinary, event, inspect
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.sql import ClauseElement, operators
from sqlalchemy.types import TypeDecorator

from prescripcare.encryption.envelope import blind_index, open_sealed, seal
from prescripcare.encryption.keys import Keyring

_KEYRINGS: weakref.WeakKeyDictionary[Dialect, Keyring] = weakref.WeakKeyDictionary()


class NoKeyringError(RuntimeError):
    """An engine built outside `prescripcare.db.create_engine` touched an
    encrypted column."""


def attach_keyring(engine: AsyncEngine, keyring: Keyring) -> None:
    _KEYRINGS[engine.sync_engine.dialect] = keyring


def keyring_of(dialect: Dialect) -> Keyring:
    try:
        return _KEYRINGS[dialect]
    except KeyError:
        raise NoKeyringError(
            "this engine has no encryption keyring; build it with prescripcare.db.create_engine"
        ) from None


class _NotComparable(TypeDecorator.Comparator[Any]):
    """Ciphertexts are random: comparing one with a value would silently
    match nothing, and sorting them sorts noise. Lookups go through a blind
    index. (Comparisons between SQL elements stay allowed: SQLAlchemy itself
    compares columns while it builds statements.)"""

    _allowed = frozenset({operators.is_, operators.is_not})

    def operate(self, op: Any, *other: Any, **kwargs: Any) -> Any:
        ordering = op in (operators.asc_op, operators.desc_op)
        with_value = any(not isinstance(o, ClauseElement) for o in other)
        if op not in self._allowed and (ordering or with_value):
            raise TypeError(
                f"{self.expr} is encrypted: it cannot be compared with a value or sorted in "
                "SQL (use its blind index for equality)"
            )
        return super().operate(op, *other, **kwargs)

    def reverse_operate(self, op: Any, other: Any, **kwargs: Any) -> Any:
        return self.operate(op, other, **kwargs)


T = TypeVar("T")


class _Sealed(TypeDecorator[T]):
    """A value stored as an AES-256-GCM envelope of its text, bound to
    `where` ("table.column")."""

    impl = LargeBinary
    cache_ok = True
    comparator_factory = _NotComparable

    def __init__(self, where: str) -> None:
        super().__init__()
        self.where = where

    def to_text(self, value: T) -> str:
        raise NotImplementedError

    def from_text(self, text: str) -> T:
        raise NotImplementedError

    def process_bind_param(self, value: T | None, dialect: Dialect) -> bytes | None:
        if value is None:
            return None
        return seal(keyring_of(dialect), self.to_text(value).encode(), self.where)

    def process_result_value(self, value: bytes | None, dialect: Dialect) -> T | None:
        if value is None:
            return None
        return self.from_text(open_sealed(keyring_of(dialect), value, self.where).decode())


class EncryptedText(_Sealed[str]):
    """A string, encrypted."""

    # SQLAlchemy asks each class itself: the `where` it holds is a safe key.
    cache_ok = True

    def to_text(self, value: str) -> str:
        return value

    def from_text(self, text: str) -> str:
        return text


class EncryptedDate(_Sealed[date]):
    """A date, encrypted as its ISO form."""

    # SQLAlchemy asks each class itself: the `where` it holds is a safe key.
    cache_ok = True

    def to_text(self, value: date) -> str:
        return value.isoformat()

    def from_text(self, text: str) -> date:
        return date.fromisoformat(text)


class BlindIndex(TypeDecorator[Any]):
    """The keyed hash of a plain value, for equality lookups and uniqueness.

    Written and compared as the plain value (`User.email_blind_index ==
    address`): the hash is taken when the value is bound. Read back, it is
    the hash, which nothing needs."""

    impl = LargeBinary
    cache_ok = True

    def __init__(self, where: str) -> None:
        super().__init__()
        self.where = where

    def process_bind_param(self, value: Any, dialect: Dialect) -> bytes | None:
        if value is None:
            return None
        if not isinstance(value, str):
            raise TypeError(f"{self.where} blind index takes the plain string value")
        return blind_index(keyring_of(dialect), value, self.where)


def index_blindly(model: type[Any], source: str, index: str) -> None:
    """Keep `model.<index>` the blind index of `model.<source>` whenever the
    ORM writes a row, however the value was set."""

    def on_insert(_mapper: Any, _connection: Any, target: Any) -> None:
        setattr(target, index, getattr(target, source))

    def on_update(_mapper: Any, _connection: Any, target: Any) -> None:
        if inspect(target).attrs[source].history.has_changes():
            setattr(target, index, getattr(target, source))

    event.listen(model, "before_insert", on_insert)
    event.listen(model, "before_update", on_update)
