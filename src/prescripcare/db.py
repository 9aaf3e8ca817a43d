"""Database engine and sessions: asyncpg under SQLAlchemy's async engine."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime

from sqlalchemy import Column, DateTime, MetaData
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlmodel import SQLModel

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


def utc_column(*, nullable: bool = False, index: bool = False) -> Column[datetime]:
    """A `timestamptz` column: instants are stored in UTC, never naive."""
    return Column(DateTime(timezone=True), nullable=nullable, index=index)


def async_url(database_url: str) -> URL:
    """`postgresql://...` from the settings, with the asyncpg driver added."""
    url = make_url(database_url)
    return url.set(drivername="postgresql+asyncpg")


def create_engine(settings: Settings, *, database_url: str | None = None) -> AsyncEngine:
    url = async_url(database_url or settings.require_database_url())
    engine = create_async_engine(
        url,
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_max_overflow,
        pool_pre_ping=True,
        # Every timestamp is UTC in the database, whatever the server's default.
        connect_args={"server_settings": {"timezone": "UTC", "application_name": "prescripcare"}},
    )
    # Encrypted columns find their keys through the engine (see encryption.columns).
    attach_keyring(engine, keyring_from_settings(settings))
    return engine


def create_session_factory(engine: AsyncEngine) -> SessionFactory:
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=False)


@asynccontextmanager
async def transaction(factory: SessionFactory) -> AsyncIterator[AsyncSession]:
    """One unit of work: committed when the block ends, rolled back on error."""
    async with factory() as session, session.begin():
        yield session
