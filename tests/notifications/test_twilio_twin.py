"""The direct Twilio call (`TwilioSmsChannel`) against its twin through
twilio-python (`TwilioSdkSmsChannel`): on generated messages and answers,
both send byte-for-byte the same request (URL, headers, form) and end alike
(the same provider id or the same send error); planted defects must show."""

from __future__ import annotations

import json
import random
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from prescripcare.notifications.http import HttpPool
from prescripcare.notifications.message import Message
from prescripcare.notifications.twilio import TwilioSdkSmsChannel, TwilioSmsChannel
from tests.standin import LocalServer

SID, TOKEN, FROM = "AC" + "7" * 32, "twin-token", "+15005550006"
Seen = tuple[str, str, str, list[tuple[str, str]], bytes]
Ending = tuple[str, str]


class Recording:
    """Records every request as received and gives the next planned answer
    (status, content type, body)."""

    def __init__(self) -> None:
        self.requests: list[Seen] = []
        self.answers: list[tuple[int, str, bytes]] = []
        route = Route("/{path:path}", self.answer, methods=["POST", "GET"])
        self.server = LocalServer(Starlette(routes=[route]))

    async def answer(self, request: Request) -> Response:
        body = await request.body()
        headers = [(k.decode(), v.decode()) for k, v in request.headers.raw]
        self.requests.append((request.method, request.url.path, request.url.query, headers, body))
        status, media, content = self.answers.pop(0)
        return Response(content, status_code=status, media_type=media)


@pytest.fixture(scope="module")
def recording() -> Iterator[Recording]:
    server = Recording()
    server.server.start()
    yield server
    server.server.stop()


def _answers(rng: random.Random) -> tuple[int, str, bytes]:
    code = rng.choice([21211, 21610, 20003, 20429, 30001, 11200])
    legacy = {"code": code, "message": "no", "more_info": "https://www.twilio.com/docs"}
    return rng.choice(
        [
            (201, "application/json", json.dumps({"sid": "SM" + uuid.uuid4().hex}).encode()),
            (201, "application/json", b""),
            (400, "application/json", json.dumps({**legacy, "status": 400}).encode()),
            (401, "application/json", json.dumps({**legacy, "status": 401}).encode()),
            (404, "application/json", json.dumps({"message": "gone"}).encode()),
            (429, "application/json", json.dumps({**legacy, "status": 429}).encode()),
            (500, "text/html", b"<html>Internal error</html>"),
            (503, "application/json", json.dumps({**legacy, "status": 503}).encode()),
            (
                400,
                "application/problem+json",
                json.dumps(
                    {"type": "about:blank", "title": "Bad", "status": 400, "code": 21211}
                ).encode(),
            ),
        ]
    )


def _messages(rng: random.Random, count: int) -> list[tuple[Message, tuple[int, str, bytes]]]:
    alphabet = "abc XYZ 019 &=+%?#/\n\t'\"<>éüñ中文😀\u02bc"
    cases = []
    for _ in range(count):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 400)))
        address = "+" + "".join(rng.choice("0123456789") for _ in range(rng.randint(8, 15)))
        message = Message(uuid.uuid4(), uuid.uuid4(), "SMS", address, text)
        cases.append((message, _answers(rng)))
    return cases


async def _ending(channel: Any, message: Message) -> Ending:
    try:
        return ("sent", await channel.send(message))
    except Exception as error:  # the comparison is of whatever each one raises
        return (type(error).__name__, str(error))


async def _both(
    recording: Recording,
    fast: TwilioSmsChannel,
    sdk: TwilioSdkSmsChannel,
    cases: list[tuple[Message, tuple[int, str, bytes]]],
) -> tuple[list[tuple[Seen, Ending]], list[tuple[Seen, Ending]]]:
    fast_seen, sdk_seen = [], []
    for message, answer in cases:
        # The same provider id for both on success: the answer is replayed.
        recording.answers[:] = [answer, answer]
        recording.requests.clear()
        fast_end = await _ending(fast, message)
        sdk_end = await _ending(sdk, message)
        fast_seen.append((recording.requests[0], fast_end))
        sdk_seen.append((recording.requests[1], sdk_end))
    return fast_seen, sdk_seen


def _pair(
    recording: Recording, callback: str | None, fast: type[TwilioSmsChannel] = TwilioSmsChannel
) -> tuple[TwilioSmsChannel, TwilioSdkSmsChannel]:
    pool = HttpPool()
    url = recording.server.url
    return (
        fast(SID, TOKEN, FROM, url, callback, pool),
        TwilioSdkSmsChannel(SID, TOKEN, FROM, url, callback, pool),
    )


@pytest.mark.parametrize(
    "callback", [None, "https://clinic.example/webhooks/twilio/status?x=1&y=é"]
)
async def test_the_direct_call_sends_and_ends_as_the_sdk(
    recording: Recording, callback: str | None
) -> None:
    rng = random.Random(14 + (callback is None))
    fast, sdk = _pair(recording, callback)
    cases = _messages(rng, 120)
    fast_seen, sdk_seen = await _both(recording, fast, sdk, cases)
    assert fast_seen == sdk_seen
    endings = {end[0] for _, end in fast_seen}
    # The generated answers reached every branch of the mapping.
    assert {"sent", "PermanentSendError", "TransientSendError"} <= endings
    assert all(seen[1] == f"/2010-04-01/Accounts/{SID}/Messages.json" for seen, _ in fast_seen)
    await fast.pool.close()


class _DropsTheCallback(TwilioSmsChannel):
    def form(self, message: Message) -> dict[str, str]:
        form = super().form(message)
        form.pop("StatusCallback", None)
        return form


class _CallsEveryAnswerSent(TwilioSmsChannel):
    async def send(self, message: Message) -> str:
        await super(TwilioSmsChannel, self).send(message)  # the SDK's path
        return "SM-planted"


@pytest.mark.parametrize("planted", [_DropsTheCallback, _CallsEveryAnswerSent])
async def test_a_planted_difference_shows(
    recording: Recording, planted: type[TwilioSmsChannel]
) -> None:
    fast, sdk = _pair(recording, "https://clinic.example/status", planted)
    fast_seen, sdk_seen = await _both(recording, fast, sdk, _messages(random.Random(7), 30))
    assert fast_seen != sdk_seen
    await fast.pool.close()
