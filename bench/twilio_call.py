"""CPU per SMS send: the direct Twilio call against twilio-python's, on the
same shared aiohttp session, against the Twilio stand-in in a process of its
own.

    python bench/twilio_call.py [--sends 3000] [--in-flight 32]

Each channel sends `--sends` messages (after as many to warm up) with
`--in-flight` at once, twice, alternating; prints this process's CPU time
per send and the ratio direct / SDK (the SDK being the peer).
"""

from __future__ import annotations

import argparse
import asyncio
import subprocess
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import aiohttp
from standin_twilio import SID, TOKEN
from tests.processes import free_port

from prescripcare.notifications.http import HttpPool
from prescripcare.notifications.message import Message
from prescripcare.notifications.twilio import TwilioSdkSmsChannel, TwilioSmsChannel

HERE = Path(__file__).resolve().parent


async def _cpu_per_send(
    channel: TwilioSdkSmsChannel, sends: int, in_flight: int
) -> tuple[float, float]:
    message = Message(uuid.uuid4(), uuid.uuid4(), "SMS", "+442079460123", "x" * 120)
    left = 0

    async def sender() -> None:
        nonlocal left
        while left > 0:
            left -= 1
            await channel.send(message)

    left = sends
    await asyncio.gather(*(sender() for _ in range(in_flight)))  # warm
    left = sends
    cpu, wall = time.process_time(), time.perf_counter()
    await asyncio.gather(*(sender() for _ in range(in_flight)))
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    await channel.pool.close()
    return cpu / sends * 1000, sends / wall


async def _ready(url: str) -> None:
    deadline = time.monotonic() + 20
    while True:
        try:
            async with aiohttp.ClientSession() as s, s.get(f"{url}/_bench/count") as r:
                await r.read()
                return
        except aiohttp.ClientError:
            assert time.monotonic() < deadline, "the stand-in did not start"
            await asyncio.sleep(0.2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sends", type=int, default=3000)
    parser.add_argument("--in-flight", type=int, default=32)
    args = parser.parse_args()
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    standin = subprocess.Popen([sys.executable, str(HERE / "standin_twilio.py"), str(port)])
    try:
        asyncio.run(_ready(url))
        figures: dict[str, list[float]] = {"sdk": [], "direct": []}
        for _ in range(2):
            for name, kind in (("sdk", TwilioSdkSmsChannel), ("direct", TwilioSmsChannel)):
                channel = kind(SID, TOKEN, "+15005550006", url, None, HttpPool())
                cpu, rate = asyncio.run(_cpu_per_send(channel, args.sends, args.in_flight))
                figures[name].append(cpu)
                print(f"{name:>6}: {cpu:.3f} ms CPU per send, {rate:.0f} sends/s")
    finally:
        standin.terminate()
        standin.wait(timeout=10)
    sdk, direct = min(figures["sdk"]), min(figures["direct"])
    print(f"direct / SDK CPU per send (best of 2 each): {direct / sdk:.2f}x")


if __name__ == "__main__":
    main()
