"""The arq worker: periodic dose jobs (and, with the reminders issue, sends).

Several workers may run at once: cron runs are unique per deployment (arq
dedupes them by job id in Redis) and every job is idempotent anyway.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

from arq import cron
from arq import worker as arq_worker
from arq.connections import RedisSettings
from arq.worker import Worker

from prescripcare.clock import Clock
from prescripcare.db import transaction
from prescripcare.doses.materialize import extend_horizons
from prescripcare.doses.missed import mark_missed
from prescripcare.doses.partitions import ensure_partitions
from prescripcare.doses.window import open_since
from prescripcare.drugs.search.priors import refresh_priors
from prescripcare.notifications.enabled import ALL_CHANNELS, enabled_channels, send_rates
from prescripcare.notifications.message import Channel
from prescripcare.notifications.pace import SendPace
from prescripcare.observability.endpoint import refresh_scraped_gauges, serve_metrics_port
from prescripcare.observability.errors import init_sentry
from prescripcare.realtime.events import Event, EventKind, publish
from prescripcare.redis import RedisKeys
from prescripcare.reminders.devices import DeviceDirectory
from prescripcare.reminders.refills import queue_refill_reminders
from prescripcare.reminders.service import (
    RetryPolicy,
    queue_caregiver_alerts,
    queue_due,
    send_ready,
)
from prescripcare.resources import Resources, open_resources
from prescripcare.settings import Settings

Context = dict[str, Any]
log = logging.getLogger("prescripcare.worker")
WORKER_DRAIN_SECONDS = 20
# A claimed batch is this many sends per concurrent sender; the sender
# looks again this often when nothing was ready.
SENDS_PER_SENDER = 8
SENDER_IDLE_SECONDS = 1.0


def redis_settings(url: str) -> RedisSettings:
    """arq's settings from REDIS_URL, unix sockets included (embedded Redis)."""
    parts = urlsplit(url)
    if parts.scheme == "unix":
        database = int(parse_qs(parts.query).get("db", ["0"])[0])
        return RedisSettings(unix_socket_path=parts.path, database=database)
    return RedisSettings.from_dsn(url)


async def extend_dose_horizons(ctx: Context) -> int:
    """Tops every active prescription up to the dose horizon."""
    res: Resources = ctx["resources"]
    async with transaction(res.sessions) as session:
        return await extend_horizons(session, res.clock.now(), res.settings.dose_horizon)


def retry_policy(settings: Settings) -> RetryPolicy:
    return RetryPolicy(
        max_attempts=settings.reminder_max_attempts,
        lease=timedelta(seconds=settings.reminder_lease_seconds),
        drug_names=settings.reminder_text_drug_names,
        language=settings.default_language,
    )


def queue_lead(settings: Settings) -> timedelta:
    """Doses are queued this far ahead: one scan interval more than the
    claim's lead, so every reminder is queued before it can be claimed."""
    return timedelta(seconds=settings.reminder_scan_seconds + settings.reminder_lead_seconds)


async def send_due_reminders(ctx: Context) -> int:
    """Queues reminders for doses falling due before the next scan. Where no
    sender runs (a burst run: tests, a one-off catch-up), also sends what is
    ready now."""
    res: Resources = ctx["resources"]
    await refresh_scraped_gauges(res)
    async with transaction(res.sessions) as session:
        # Every channel a patient chose, provider or not: a reminder on one
        # without a provider fails at its send and is counted, never skipped.
        now, lead = res.clock.now(), queue_lead(res.settings)
        await queue_due(session, now, res.settings.dose_grace, ALL_CHANNELS, lead)
        await queue_refill_reminders(
            session, res.clock.now(), res.settings.refill_reminder_days, ALL_CHANNELS
        )
    if ctx.get("sender") is not None:
        return 0
    return await send_batches(ctx, lead=timedelta(0), until_idle=True)


async def send_batches(ctx: Context, lead: timedelta, until_idle: bool) -> int:
    """Claims and sends batches while any is ready by now + `lead`."""
    res: Resources = ctx["resources"]
    channels: dict[str, Channel] = ctx["channels"]
    settings = res.settings
    total = 0
    while True:
        report = await send_ready(
            res.sessions,
            channels,
            res.clock.now(),
            retry_policy(settings),
            settings.public_app_url,
            batch=settings.reminder_concurrency * SENDS_PER_SENDER,
            lead=lead,
            clock=res.clock.now,
            pace=ctx.get("pace"),
            concurrency=settings.reminder_concurrency,
        )
        await publish(res.redis, res.keys, report.events)
        handled = report.sent + report.retried + report.failed + report.cancelled
        total += handled
        if not handled or not until_idle:
            return total


async def run_sender(ctx: Context, worker: Worker) -> None:
    """Each worker process's sender: claims reminders `REMINDER_LEAD_SECONDS`
    before they fall due and sends them on time, looking again every
    second when nothing is ready. Told to stop (SIGTERM), it sends what is
    ready now and returns; arq waits for it as for a job."""
    res: Resources = ctx["resources"]
    lead = timedelta(seconds=res.settings.reminder_lead_seconds)
    while True:
        stopping = not worker.allow_pick_jobs
        try:
            handled = await send_batches(ctx, timedelta(0) if stopping else lead, stopping)
        except Exception:
            # Reported; the claims it held expire and are taken again.
            log.exception("reminder sender failed; retrying in %s s", SENDER_IDLE_SECONDS)
            handled = 0
        if stopping:
            return
        if not handled:
            await asyncio.sleep(SENDER_IDLE_SECONDS)


async def _as_a_job(sending: Coroutine[Any, Any, None]) -> None:
    """The sender ends as arq's jobs do when cancelled: quietly. arq's
    `close()` cancels every task it holds and gathers them, and a job's task
    returns on cancellation; a sender's CancelledError there would end the
    worker (and `prescripcare dev` on Ctrl-C) with a traceback. Its claims
    are released or expire as after a crash."""
    try:
        await sending
    except asyncio.CancelledError:
        log.info("reminder sender stopped")


async def mark_missed_doses(ctx: Context) -> int:
    res: Resources = ctx["resources"]
    now = res.clock.now()
    # The first run of this worker sweeps the whole history (catching up any
    # downtime); later ones read from the last committed run on (missed.py).
    # A clock set back sweeps everything again.
    since: datetime | None = ctx.get("missed_since")
    if since is not None and since > open_since(now):
        since = None
    async with transaction(res.sessions) as session:
        missed = await mark_missed(session, now, res.settings.dose_grace, since)
        await queue_caregiver_alerts(session, missed, now)
    ctx["missed_since"] = open_since(now)
    await publish(
        res.redis,
        res.keys,
        [
            Event(patient_id=patient, kind=EventKind.DOSE_MISSED, at=now, dose_id=dose)
            for dose, patient in missed
        ],
    )
    return len(missed)


async def ensure_dose_partitions(ctx: Context) -> int:
    """Creates the dose table's month partitions ahead (doses/partitions.py)."""
    res: Resources = ctx["resources"]
    async with transaction(res.sessions) as session:
        return await ensure_partitions(session, res.clock.now())


async def refresh_search_priors(ctx: Context) -> int:
    """This deployment's prescribing, into the drug search's prior."""
    res: Resources = ctx["resources"]
    async with transaction(res.sessions) as session:
        return await refresh_priors(session, res.clock.now())


def build_worker(
    settings: Settings,
    *,
    clock: Clock | None = None,
    burst: bool = False,
    handle_signals: bool = True,
) -> Worker:
    # Before the Worker exists: Sentry's arq integration wraps job functions
    # as the Worker is constructed.
    init_sentry(settings, component="worker")
    keys = RedisKeys(settings.redis_prefix)
    resources_cm = open_resources(settings, clock)

    async def startup(ctx: Context) -> None:
        serve_metrics_port(settings)
        res: Resources = await resources_cm.__aenter__()
        ctx["resources"] = res
        ctx["channels"] = enabled_channels(settings, DeviceDirectory(res.sessions), res.http)
        ctx["pace"] = SendPace(res.redis, res.keys, send_rates(settings))
        if not burst:
            # Among arq's own tasks, so that on SIGTERM arq waits for it
            # (within WORKER_DRAIN_SECONDS) and cancels it after, as a job.
            ctx["sender"] = asyncio.create_task(_as_a_job(run_sender(ctx, worker)))
            worker.tasks[keys.key("reminder-sender")] = ctx["sender"]

    async def shutdown(ctx: Context) -> None:
        await resources_cm.__aexit__(None, None, None)

    # Job ids carry the deployment prefix, so deployments sharing a Redis
    # server do not swallow each other's cron runs. Built through arq's
    # create_worker (looked up at call time), which Sentry's arq integration
    # wraps so that a failing job is reported.
    worker: Worker = arq_worker.create_worker(
        {},
        functions=[],
        cron_jobs=[
            cron(
                extend_dose_horizons,
                name=keys.key("extend-dose-horizons"),
                minute={0, 15, 30, 45},
                run_at_startup=True,
            ),
            cron(mark_missed_doses, name=keys.key("mark-missed-doses"), run_at_startup=True),
            cron(
                ensure_dose_partitions,
                name=keys.key("ensure-dose-partitions"),
                hour={3},
                minute={17},
                run_at_startup=True,
            ),
            cron(
                refresh_search_priors,
                name=keys.key("refresh-search-priors"),
                minute={7},
                run_at_startup=True,
            ),
            cron(
                send_due_reminders,
                name=keys.key("send-due-reminders"),
                run_at_startup=True,
                second=set(range(0, 60, settings.reminder_scan_seconds))
                if settings.reminder_scan_seconds < 60
                else {0},
            ),
        ],
        redis_settings=redis_settings(settings.require_redis_url()),
        queue_name=keys.key("arq", "queue"),
        health_check_key=keys.key("arq", "health-check"),
        on_startup=startup,
        on_shutdown=shutdown,
        burst=burst,
        handle_signals=handle_signals,
        # On SIGTERM take no new job and give running ones this long (inside
        # Kubernetes' 30 s grace period); a send job still running is then
        # cancelled and puts its untried claims back (reminders/service.py).
        job_completion_wait=WORKER_DRAIN_SECONDS,
        max_jobs=10,
    )
    return worker
