"""The long-lived objects a process needs: database, Redis, clock, services.

The API, the worker and the CLI open the same resources, so they share one
implementation of every rule.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncEngine

from prescripcare.audit.batch import ReadAuditBatcher
from prescripcare.auth.mail import AccountMail
from prescripcare.auth.passwords import PasswordService
from prescripcare.auth.service import AuthService
from prescripcare.auth.tokens import AccessTokenCodec
from prescripcare.clock import Clock
from prescripcare.db import (
    SessionFactory,
    create_engine,
    create_read_engine,
    create_session_factory,
)
from prescripcare.drugs.search.base import DrugSearch
from prescripcare.drugs.search.factory import create_drug_search
from prescripcare.notifications.enabled import account_mailer
from prescripcare.notifications.http import HttpPool
from prescripcare.patients.visible_sets import VisibleSets
from prescripcare.realtime.hub import EventHub
from prescripcare.redis import RedisKeys, create_redis
from prescripcare.settings import Settings


@dataclass
class Resources:
    settings: Settings
    clock: Clock
    engine: AsyncEngine
    sessions: SessionFactory
    redis: Redis
    keys: RedisKeys
    auth: AuthService
    drug_search: DrugSearch
    # DATABASE_READ_URL's replica (the primary when unset): read-only
    # query operations load through it, never a mutation's read-back.
    read_engine: AsyncEngine | None = None
    read_sessions: SessionFactory | None = None
    # The process's one HTTP pool for the providers (notifications/http.py).
    http: HttpPool = field(default_factory=HttpPool)
    # The process's one reader of the reminder-event stream (subscriptions).
    events: EventHub = field(init=False)
    # Who may hear of which patient, shared by the process's sockets.
    visible_sets: VisibleSets = field(init=False)
    # Patient reads of the process's sockets, written together.
    read_audit: ReadAuditBatcher = field(init=False)

    def __post_init__(self) -> None:
        self.events = EventHub(self.redis, self.keys)
        self.visible_sets = VisibleSets(self.sessions, self.clock)
        self.read_audit = ReadAuditBatcher(self.sessions)

    @property
    def tokens(self) -> AccessTokenCodec:
        return self.auth.codec


@asynccontextmanager
async def open_resources(
    settings: Settings, clock: Clock | None = None
) -> AsyncIterator[Resources]:
    engine = create_engine(settings)
    read_engine = create_read_engine(settings, engine)
    redis = create_redis(settings)
    http = HttpPool(max(64, settings.reminder_concurrency))
    mail = AccountMail(account_mailer(settings, http))
    resources: Resources | None = None
    try:
        resources = Resources(
            settings=settings,
            clock=clock or Clock(),
            engine=engine,
            sessions=create_session_factory(engine),
            redis=redis,
            keys=RedisKeys(settings.redis_prefix),
            auth=AuthService(settings, PasswordService(settings), AccessTokenCodec(settings), mail),
            drug_search=create_drug_search(settings),
            read_engine=read_engine,
            read_sessions=create_session_factory(read_engine),
            http=http,
        )
        yield resources
    finally:
        if resources is not None:
            await resources.events.close()
        await mail.drain()  # reset e-mails already promised
        await http.close()
        await redis.aclose()
        if read_engine is not engine:
            await read_engine.dispose()
        await engine.dispose()
