"""`prescripcare dev` starts the worker once the API answers, so that the
worker's start-up does not delay GraphiQL; it still starts (its reminder
sender running) if the API never answers, and stopping before or after it
started is quiet."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from arq.worker import Worker

from prescripcare import worker as worker_module
from prescripcare.cli.commands import dev
from prescripcare.settings import Settings
from tests.processes import free_port


def _sender_running(worker: Worker) -> bool:
    return any(key.endswith("reminder-sender") for key in worker.tasks)


async def _eventually(condition: Any, seconds: float = 20) -> bool:
    for _ in range(int(seconds / 0.05)):
        if condition():
            return True
        await asyncio.sleep(0.05)
    return bool(condition())


@pytest.fixture
def built(monkeypatch: pytest.MonkeyPatch) -> list[Worker]:
    """The workers `dev` builds, kept to look at."""
    workers: list[Worker] = []
    build = worker_module.build_worker

    def keep(*args: Any, **kwargs: Any) -> Worker:
        workers.append(build(*args, **kwargs))
        return workers[-1]

    monkeypatch.setattr(worker_module, "build_worker", keep)
    return workers


async def _until(event: asyncio.Event) -> None:
    """What `dev` awaits: the API answering (here, when the test says so)."""
    await event.wait()


async def _stop(serving: asyncio.Task[None]) -> None:
    serving.cancel()
    # Cancelled as Ctrl-C cancels it; anything else (a worker that did not
    # close cleanly) is raised here.
    with pytest.raises(asyncio.CancelledError):
        await serving


async def test_the_worker_starts_when_the_api_answers(
    migrated: Settings, built: list[Worker]
) -> None:
    answered = asyncio.Event()
    serving = asyncio.create_task(
        dev._serve_with_worker(migrated, "127.0.0.1", free_port(), _until(answered))
    )
    try:
        assert await _eventually(lambda: bool(built))
        await asyncio.sleep(0.5)
        assert not _sender_running(built[0]), "the worker started before the API answered"
        answered.set()
        assert await _eventually(lambda: _sender_running(built[0]))
    finally:
        await _stop(serving)


async def test_the_worker_starts_even_if_the_api_never_answers(
    migrated: Settings, built: list[Worker], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(dev, "WORKER_WAITS_FOR_API_SECONDS", 0.2)
    serving = asyncio.create_task(
        dev._serve_with_worker(migrated, "127.0.0.1", free_port(), _until(asyncio.Event()))
    )
    try:
        assert await _eventually(lambda: bool(built) and _sender_running(built[0]))
    finally:
        await _stop(serving)


async def test_stopping_before_the_api_answers_is_quiet(
    migrated: Settings, built: list[Worker]
) -> None:
    serving = asyncio.create_task(
        dev._serve_with_worker(migrated, "127.0.0.1", free_port(), _until(asyncio.Event()))
    )
    assert await _eventually(lambda: bool(built))
    await _stop(serving)
    assert not _sender_running(built[0])
