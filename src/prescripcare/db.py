"""Database engine and sessions: asyncpg under SQLAlchemy's async engine."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Column, DateTime, MetaData
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.pool import NullPool
from sqlmodel import SQLModel

from prescripcare.dbtls import DatabaseTLS, resolve
from prescripcare.encryption.columns import attach_keyring
from prescripcare.encryption.keys import keyring_from_settings
from prescripcare.settings import Settings

# Stable constraint names, so Alembic migrations can refer to them.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
SQLModel.metadata.naming_convention = NAMING_CONVENTION
metadata: MetaData = SQLModel.metadata

SessionFactory = async_sessionmaker[AsyncSession]


def one_of(column: str, values: Iterable[str]) -> str:
    """`column IN ('A', 'B')`: the CHECK of a column that stores an enum is
    built from the enum itself, so the two cannot drift apart (the values are
    our constants, never input)."""
    return f"{column} IN ({quoted(values)})"


def quoted(values: Iterable[str]) -> str:
    """'A', 'B': SQL literals of our own constants (an enum's values)."""
    return ", ".join(f"'{value}'" for value in values)


def utc_column(*, nullable: bool = False, index: bool = False) -> Column[datetime]:
    """A `timestamptz` column: instants are stored in UTC, never naive."""
    return Column(DateTime(timezone=True), nullable=nullable, index=index)


def async_url(database_url: str) -> URL:
    """`postgresql://...` from the settings, with the asyncpg driver added."""
    url = make_url(database_url)
    return url.set(drivername="postgresql+asyncpg")


@dataclass(frozen=True)
class Database:
    """Where a client connects and how: the URL without TLS parameters and
    the TLS mode, the same for asyncpg and for libpq's tools (dbtls.py)."""

    url: URL
    tls: DatabaseTLS

    @classmethod
    def of(cls, database_url: str, settings: Settings | None = None) -> Database:
        mode = settings.database_ssl if settings else None
        root = settings.database_ssl_root_cert if settings else None
        return cls(*resolve(database_url, mode, root))

    @property
    def asyncpg_url(self) -> URL:
        return self.url.set(drivername="postgresql+asyncpg")

    @property
    def connect_args(self) -> dict[str, Any]:
        return {"ssl": self.tls.asyncpg_ssl()}

    def one_off_engine(self) -> AsyncEngine:
        """An engine without a pool, for a command's few statements."""
        return create_async_engine(
            self.asyncpg_url, poolclass=NullPool, connect_args=self.connect_args
        )


def table_names() -> frozenset[str]:
    """Every table of the schema, and Alembic's: the labels SQL metrics may use."""
    import prescripcare.models  # noqa: F401 - registers every table

    return frozenset(metadata.tables) | {"alembic_version"}


def create_engine(
    settings: Settings, *, database_url: str | None = None, role: str = "primary"
) -> AsyncEngine:
    """The pool keeps DATABASE_POOL_MIN connections and opens up to
    DATABASE_POOL_MAX under load; `role` names the engine in metrics and in
    `pg_stat_activity` (application_name), so an operator sees which
    connections are the replica's."""
    from prescripcare.observability.dbmetrics import instrument_engine

    database = Database.of(database_url or settings.require_database_url(), settings)
    server_settings = {
        # Every timestamp is UTC in the database, whatever the server's default.
        "timezone": "UTC",
        "application_name": "prescripcare" if role == "primary" else f"prescripcare-{role}",
        "statement_timeout": str(settings.database_statement_timeout_ms),
    }
    engine = create_async_engine(
        database.asyncpg_url,
        pool_size=settings.database_pool_min,
        max_overflow=settings.database_pool_max - settings.database_pool_min,
        pool_pre_ping=settings.db_pre_ping,
        # Bound parameters hold patient data: never in logs or error messages.
        hide_parameters=True,
        connect_args={
            **database.connect_args,
            "server_settings": server_settings,
            # SQLAlchemy's cache of prepared statements and asyncpg's own; an IN
            # list renders one text per length, so a hundred is soon churned.
            "prepared_statement_cache_size": settings.db_statement_cache_size,
            "statement_cache_size": settings.db_statement_cache_size,
        },
    )
    instrument_engine(engine, role, settings.database_pool_max, table_names())
    # Encrypted columns find their keys through the engine (see encryption.columns).
    attach_keyring(engine, keyring_from_settings(settings))
    return engine


def create_read_engine(settings: Settings, primary: AsyncEngine) -> AsyncEngine:
    """The replica's engine, or the primary itself when DATABASE_READ_URL is unset."""
    if not settings.database_read_url:
        return primary
    return create_engine(settings, database_url=settings.database_read_url, role="replica")


def create_session_factory(engine: AsyncEngine) -> SessionFactory:
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=False)


@asynccontextmanager
async def reading(factory: SessionFactory) -> AsyncIterator[AsyncSession]:
    """A session for reads: autocommit, so each statement is its own snapshot
    and a loader batch costs one round trip instead of BEGIN, the statement
    and ROLLBACK. Never for writes, nor for reads that must agree with each
    other."""
    async with factory() as session:
        await session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
        yield session


@asynccontextmanager
async def one_statement(factory: SessionFactory) -> AsyncIterator[AsyncSession]:
    """A session for a single write statement, which PostgreSQL runs
    atomically by itself (its triggers included): autocommit saves the
    BEGIN and COMMIT round trips. Only ever one statement: two would not be
    one unit of work."""
    async with factory() as session:
        await session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
        yield session


@asynccontextmanager
async def transaction(factory: SessionFactory) -> AsyncIterator[AsyncSession]:
    """One unit of work: committed when the block ends, rolled back on error."""
    async with factory() as session, session.begin():
        yield session
