"""Live status fan-out: up to 10,000 `reminderStatus` subscribers on ONE API
process.

    python bench/fanout.py [--levels 10,100,1000,10000] [--rate 5] [--seconds 20]
                           [--clients 4]

Starts `prescripcare serve` (one process) on the bench database, then for
each level opens that many graphql-transport-ws sockets from --clients client
processes and commits dose records the way RecordDose does
(`doses.service.record_dose` in a transaction, then `realtime.events.publish`
after the commit) at --rate a second for --seconds.

The crowd is a set of clinics of 100 patients and 10 clinicians each (all on
the care team of the clinic's patients); every clinician keeps 8 dashboards
(no patientId: every patient they may see) and 2 patient pages (patientId of
one of their patients) open, so a clinic holds 100 sockets and a level of N
sockets has N/100 clinics. Events fall on random patients of those clinics:
each reaches its clinic's dashboards and the pages of that patient, and no
socket of another clinic (the clients count anything they should not have
heard). Five events a second is the morning peak of the largest level: 100
clinics' 10,000 patients each hearing of about two events (reminder sent,
dose taken) within the hour; the smaller levels get the same rate, harsher
per clinic, so that each level has enough deliveries for a p99.

Printed per level: deliveries, latency from the commit's return to the
socket's `next` message (p50, p99, max), the same for a bare XREAD reader in
the driver (the floor: Redis and the event loop alone), and the Redis
connections the API process holds (CLIENT LIST entries whose address is one
of the API process's sockets), idle before the events and the most seen
while they flow; and the p99 apart for a socket's first event about a
patient (audited before it is sent) and for the later ones. Targets: p99
under 50 ms; connections constant.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import multiprocessing as mp
import os
import random
import resource
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock_time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import httpx
import psutil
from _db import bench_database
from sqlalchemy import insert
from websockets.asyncio.client import connect

from prescripcare.auth.models import Role, User
from prescripcare.auth.viewer import Viewer
from prescripcare.db import transaction
from prescripcare.doses import service as doses
from prescripcare.doses.models import Dose
from prescripcare.drugs.seed import load_seed
from prescripcare.patients.models import CareTeamMember, Patient
from prescripcare.prescriptions.models import Prescription
from prescripcare.realtime.events import Event, EventKind, publish, stream_key
from prescripcare.resources import Resources, open_resources
from prescripcare.settings import Settings

TARGET_P99_MS = 50.0
PATIENTS_PER_CLINIC = 100
CLINICIANS_PER_CLINIC = 10
DASHBOARDS_PER_CLINICIAN = 8
PAGES_PER_CLINICIAN = 2
SOCKETS_PER_CLINIC = CLINICIANS_PER_CLINIC * (DASHBOARDS_PER_CLINICIAN + PAGES_PER_CLINICIAN)
CONNECTING_AT_ONCE = 100
SUBSCRIBE = """
subscription Status($patientId: ID) {
  reminderStatus(patientId: $patientId) { id kind at }
}"""


@dataclass
class Clinic:
    patients: list[uuid.UUID]
    doses: dict[uuid.UUID, uuid.UUID]  # patient -> a dose due half an hour ago
    clinicians: list[uuid.UUID]


# --- the crowd's data --------------------------------------------------------


async def build_clinics(res: Resources, count: int, rng: random.Random) -> list[Clinic]:
    """Clinics written straight to the tables (one password hash for all: no
    socket signs in with it)."""
    now = datetime.now(UTC)
    password = await res.auth.passwords.hash("bench fan-out password 1")
    async with transaction(res.sessions) as session:
        await load_seed(session, now)  # the drug the prescriptions name
    clinics = []
    for c in range(count):
        async with transaction(res.sessions) as session:
            users = [
                User(
                    email=f"fanout-{c}-{i}-{uuid.uuid4().hex[:6]}@bench.invalid",
                    password_hash=password,
                    role=Role.CLINICIAN.value,
                    name=f"Clinician {c}.{i}",
                    created_at=now,
                )
                for i in range(CLINICIANS_PER_CLINIC)
            ]
            patients = [
                Patient(
                    name=f"Patient {c}.{i}",
                    date_of_birth=date(1950 + i % 40, 1, 1),
                    timezone="Europe/London",
                    created_at=now,
                    updated_at=now,
                )
                for i in range(PATIENTS_PER_CLINIC)
            ]
            session.add_all(users + patients)
            await session.flush()
            prescriptions = [
                Prescription(
                    id=uuid.uuid4(),
                    patient_id=p.id,
                    rxcui="6809",
                    prescriber_id=users[0].id,
                    dose_quantity=1,
                    dose_unit="tablet",
                    start_date=now.date() - timedelta(days=1),
                    times_of_day=[clock_time(8), clock_time(20)],
                    status="ACTIVE",
                    created_at=now,
                    updated_at=now,
                )
                for p in patients
            ]
            session.add_all(prescriptions)
            await session.flush()
            dose_rows = [
                Dose(
                    prescription_id=rx.id,
                    patient_id=rx.patient_id,
                    scheduled_at=now - timedelta(minutes=30),
                    created_at=now,
                )
                for rx in prescriptions
            ]
            session.add_all(dose_rows)
            await session.execute(
                insert(CareTeamMember),
                [
                    {"patient_id": p.id, "user_id": u.id, "created_at": now}
                    for p in patients
                    for u in users
                ],
            )
            await session.flush()
            clinics.append(
                Clinic(
                    patients=[p.id for p in patients],
                    doses={d.patient_id: d.id for d in dose_rows},
                    clinicians=[u.id for u in users],
                )
            )
    return clinics


async def sockets_for(
    res: Resources, clinics: list[Clinic], count: int, rng: random.Random
) -> list[tuple[str, str | None]]:
    """(access token, patientId or None) for `count` sockets, clinic by
    clinic, with a fresh login per clinician (tokens last 15 minutes)."""
    plan: list[tuple[str, str | None]] = []
    now = datetime.now(UTC)
    async with transaction(res.sessions) as session:
        for clinic in clinics:
            for user_id in clinic.clinicians:
                if len(plan) >= count:
                    return plan
                user = await session.get(User, user_id)
                assert user is not None
                token = (await res.auth.sign_in(session, user, now)).access_token
                plan += [(token, None)] * DASHBOARDS_PER_CLINICIAN
                plan += [(token, str(rng.choice(clinic.patients)))] * PAGES_PER_CLINICIAN
    return plan[:count]


# --- client processes -------------------------------------------------------


def _raise_fd_limit() -> None:
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


async def _client(url: str, plan: list[tuple[str, str | None]], pipe: Any) -> None:
    received: list[tuple[str, float, int, str]] = []
    gate = asyncio.Semaphore(CONNECTING_AT_ONCE)
    stop = asyncio.Event()
    open_sockets: list[Any] = []

    async def one(index: int, token: str, patient: str | None) -> None:
        async with gate:
            ws = await connect(url, subprotocols=["graphql-transport-ws"], max_queue=None)
            open_sockets.append(ws)
            await ws.send(
                json.dumps(
                    {"type": "connection_init", "payload": {"authorization": f"Bearer {token}"}}
                )
            )
            ack = json.loads(await ws.recv())
            assert ack["type"] == "connection_ack", ack
            payload = {"query": SUBSCRIBE, "variables": {"patientId": patient}}
            await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": payload}))
        async for raw in ws:
            at = time.time()
            message = json.loads(raw)
            if message.get("type") != "next":
                received.append(("?", at, index, raw if isinstance(raw, str) else ""))
                continue
            event = message["payload"]["data"]["reminderStatus"]
            received.append((event["at"], at, index, ""))

    tasks = [
        asyncio.create_task(one(index, token, patient))
        for index, (token, patient) in enumerate(plan)
    ]
    loop = asyncio.get_running_loop()
    pipe_ready = asyncio.Event()
    loop.add_reader(pipe.fileno(), pipe_ready.set)
    pipe.send(("started", len(plan)))
    while True:
        await pipe_ready.wait()
        pipe_ready.clear()
        while pipe.poll():
            command = pipe.recv()
            if command == "report":
                failed = [t for t in tasks if t.done() and t.exception() is not None]
                pipe.send(
                    ("report", received, [repr(t.exception()) for t in failed[:3]], len(failed))
                )
                received = []
            elif command == "stop":
                stop.set()
        if stop.is_set():
            break
    for ws in open_sockets:
        with contextlib.suppress(Exception):
            await ws.close()
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    pipe.send(("stopped",))


def client_main(url: str, plan: list[tuple[str, str | None]], pipe: Any) -> None:
    _raise_fd_limit()
    asyncio.run(_client(url, plan, pipe))


# --- the API process and what it holds --------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _profiled() -> list[str]:
    """FANOUT_PROFILE=out.txt runs the API under pyinstrument (its call tree
    written there when the API stops)."""
    out = os.environ.get("FANOUT_PROFILE")
    if not out:
        return []
    return [str(Path(sys.executable).parent / "pyinstrument"), "-r", "text", "-o", out]


def start_api(settings: Settings, prefix: str) -> tuple[subprocess.Popen[bytes], int, int]:
    port, metrics = _free_port(), _free_port()
    env = {
        **os.environ,
        "DATABASE_URL": settings.database_url or "",
        "REDIS_URL": settings.redis_url or "",
        "REDIS_PREFIX": prefix,
        "METRICS_PORT": str(metrics),
        "LOG_LEVEL": "WARNING",
        # One bench host stands for thousands of devices: its one address
        # must not be throttled as one browser would be.
        "RATE_LIMIT_IP": "999999/1m",
    }
    exe = Path(sys.executable).parent / "prescripcare"
    log = open(Path(tempfile.gettempdir()) / f"{prefix}-api.log", "wb")  # noqa: SIM115
    api = subprocess.Popen(
        [*_profiled(), str(exe), "serve", "--port", str(port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        preexec_fn=_raise_fd_limit,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        with contextlib.suppress(httpx.TransportError):
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code < 500:
                return api, port, metrics
        time.sleep(0.2)
    api.kill()
    raise SystemExit("the API did not start")


def active_subscriptions(metrics_port: int) -> int:
    text = httpx.get(f"http://127.0.0.1:{metrics_port}/metrics", timeout=5).text
    for line in text.splitlines():
        if line.startswith("prescripcare_active_subscriptions "):
            return int(float(line.split()[1]))
    return 0


async def redis_connections(res: Resources, pid: int) -> int:
    """Redis's own view: CLIENT LIST entries whose address is one of the API
    process's TCP sockets."""
    mine = {
        f"{c.laddr.ip}:{c.laddr.port}"
        for c in psutil.Process(pid).net_connections(kind="tcp")
        if c.raddr and c.status == psutil.CONN_ESTABLISHED
    }
    clients = await res.redis.client_list()
    return sum(1 for c in clients if c["addr"] in mine)


# --- one level --------------------------------------------------------------


@dataclass
class Level:
    sockets: int
    deliveries: int
    expected: int
    wrong: int
    p50: float
    p99: float
    worst: float
    first_p99: float
    later_p99: float
    first_count: int
    floor_p99: float
    idle_connections: int
    peak_connections: int


async def _until(condition: Callable[[], bool], seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(0.5)
    return True


def _ms(at: datetime | str) -> int:
    """An event's `at` to the millisecond, as the API serialises it."""
    if isinstance(at, str):
        at = datetime.fromisoformat(at)
    return round(at.replace(microsecond=at.microsecond // 1000 * 1000).timestamp() * 1000)


def _p99(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))] if ordered else 0.0


async def _floor_reader(res: Resources, seen: dict[int, float], stop: asyncio.Event) -> None:
    key = stream_key(res.keys)
    last = "$"
    while not stop.is_set():
        answer = await res.redis.xread({key: last}, block=200, count=100)
        arrived = time.time()
        for _, entries in answer or ():
            for entry_id, fields in entries:
                last = entry_id
                seen[_ms(fields["at"])] = arrived


async def run_level(
    res: Resources,
    clinics: list[Clinic],
    sockets: int,
    args: argparse.Namespace,
    api_pid: int,
    url: str,
    metrics_port: int,
    rng: random.Random,
) -> Level:
    in_play = clinics[: max(1, math.ceil(sockets / SOCKETS_PER_CLINIC))]
    plan = await sockets_for(res, in_play, sockets, rng)
    ctx = mp.get_context("spawn")
    shares = [plan[i :: args.clients] for i in range(min(args.clients, len(plan)))]
    pipes, procs = [], []
    for share in shares:
        mine, theirs = ctx.Pipe()
        proc = ctx.Process(target=client_main, args=(url, share, theirs), daemon=True)
        proc.start()
        pipes.append(mine)
        procs.append(proc)
    for pipe in pipes:
        assert pipe.recv()[0] == "started"
    if not await _until(lambda: active_subscriptions(metrics_port) >= sockets, 300):
        raise SystemExit(f"only {active_subscriptions(metrics_port)} of {sockets} subscribed")
    await asyncio.sleep(2)  # connections opened for the burst of subscribes settle
    idle = await redis_connections(res, api_pid)

    # Who should hear each patient's events.
    audience: dict[uuid.UUID, int] = {}
    for clinic_index, clinic in enumerate(in_play):
        first = clinic_index * SOCKETS_PER_CLINIC
        dashboards = sum(1 for token, p in plan[first : first + SOCKETS_PER_CLINIC] if p is None)
        for patient in clinic.patients:
            audience[patient] = dashboards
    for _, page in plan:
        if page is not None:
            audience[uuid.UUID(page)] += 1
    owner = {p: clinic for clinic in in_play for p in clinic.patients}

    committed: dict[int, tuple[float, uuid.UUID]] = {}
    floor_seen: dict[int, float] = {}
    stop = asyncio.Event()
    floor_task = asyncio.create_task(_floor_reader(res, floor_seen, stop))
    await asyncio.sleep(0.3)
    peak = idle
    events = int(args.rate * args.seconds)
    started = time.monotonic()
    for n in range(events):
        await asyncio.sleep(max(0.0, started + n / args.rate - time.monotonic()))
        patient = rng.choice(list(owner))
        clinic = owner[patient]
        clinician = clinic.clinicians[0]
        now = datetime.now(UTC)
        viewer = Viewer(clinician, Role.CLINICIAN, "bench@bench.invalid", at=now)
        action = doses.DoseAction.TAKEN if n % 2 else doses.DoseAction.SKIPPED
        async with transaction(res.sessions) as session:
            dose = await doses.record_dose(
                session, viewer, str(clinic.doses[patient]), action, None, now
            )
        done = time.time()
        kind = EventKind.DOSE_TAKEN if n % 2 else EventKind.DOSE_SKIPPED
        event = Event(patient_id=dose.patient_id, kind=kind, at=now, dose_id=dose.id)
        await publish(res.redis, res.keys, [event])
        committed[_ms(now)] = (done, patient)
        if n % max(1, int(args.rate)) == 0:
            peak = max(peak, await redis_connections(res, api_pid))
    await asyncio.sleep(3)  # the last deliveries
    stop.set()
    await floor_task
    peak = max(peak, await redis_connections(res, api_pid))

    latencies: list[float] = []
    # A socket's first event about a patient waits for its audit entry
    # (written before disclosure); later ones do not.
    first_readings: list[float] = []
    wrong = 0
    problems: list[str] = []
    for pipe in pipes:
        pipe.send("report")
    for pipe in pipes:
        _, received, errors, failed = pipe.recv()
        heard: set[tuple[int, uuid.UUID]] = set()
        received.sort(key=lambda r: r[1])
        problems += errors
        if failed:
            problems.append(f"{failed} sockets failed")
        for at, arrived, socket_index, _who in received:
            if at == "?":
                wrong += 1
                if wrong < 3:
                    print("  not an event:", _who[:300], flush=True)
                continue
            key = _ms(at)
            if key not in committed:
                wrong += 1
                if wrong < 3:
                    print("  unknown event", at, socket_index, flush=True)
                continue
            latency = (arrived - committed[key][0]) * 1000
            latencies.append(latency)
            if (socket_index, committed[key][1]) not in heard:
                heard.add((socket_index, committed[key][1]))
                first_readings.append(latency)
    for pipe in pipes:
        pipe.send("stop")
    for pipe, proc in zip(pipes, procs, strict=True):
        with contextlib.suppress(EOFError):
            pipe.recv()
        proc.join(timeout=30)
    if problems:
        print(f"  client problems: {problems[:5]}", flush=True)
    expected = sum(audience[p] for _, p in committed.values())
    floor = [(floor_seen[k] - t) * 1000 for k, (t, _) in committed.items() if k in floor_seen]
    await _until(lambda: active_subscriptions(metrics_port) == 0, 60)
    return Level(
        sockets=sockets,
        deliveries=len(latencies),
        expected=expected,
        wrong=wrong,
        p50=statistics.median(latencies) if latencies else 0.0,
        p99=_p99(latencies),
        worst=max(latencies, default=0.0),
        first_p99=_p99(first_readings),
        later_p99=_p99(sorted(set(latencies) - set(first_readings))),
        first_count=len(first_readings),
        floor_p99=_p99(floor),
        idle_connections=idle,
        peak_connections=peak,
    )


async def bench(settings: Settings, args: argparse.Namespace) -> list[Level]:
    rng = random.Random(14)
    levels = [int(x) for x in args.levels.split(",")]
    prefix = f"fanout{uuid.uuid4().hex[:8]}"
    settings = settings.model_copy(update={"redis_prefix": prefix})
    results = []
    async with open_resources(settings) as res:
        started = time.monotonic()
        clinics = await build_clinics(res, math.ceil(max(levels) / SOCKETS_PER_CLINIC), rng)
        print(
            f"crowd: {len(clinics)} clinics of {PATIENTS_PER_CLINIC} patients and "
            f"{CLINICIANS_PER_CLINIC} clinicians ({time.monotonic() - started:.0f} s to write)",
            flush=True,
        )
        api, port, metrics = start_api(settings, prefix)
        try:
            url = f"ws://127.0.0.1:{port}/graphql"
            print(
                f"{'sockets':>8}{'delivered':>11}{'expected':>10}{'wrong':>7}{'p50 ms':>9}"
                f"{'p99 ms':>9}{'max ms':>9}{'floor p99':>11}{'x floor':>9}"
                f"{'redis idle':>12}{'redis peak':>12}{'first p99':>11}{'later p99':>11}",
                flush=True,
            )
            for sockets in levels:
                level = await run_level(res, clinics, sockets, args, api.pid, url, metrics, rng)
                results.append(level)
                ratio = level.p99 / level.floor_p99 if level.floor_p99 else float("nan")
                print(
                    f"{level.sockets:>8}{level.deliveries:>11}{level.expected:>10}"
                    f"{level.wrong:>7}{level.p50:>9.1f}{level.p99:>9.1f}{level.worst:>9.1f}"
                    f"{level.floor_p99:>11.1f}{ratio:>9.1f}{level.idle_connections:>12}"
                    f"{level.peak_connections:>12}"
                    f"{level.first_p99:>11.1f}{level.later_p99:>11.1f}"
                    f"  ({level.first_count} first readings)",
                    flush=True,
                )
        finally:
            api.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                api.wait(timeout=30)
            if api.poll() is None:
                api.kill()
            await res.redis.delete(stream_key(res.keys))
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--levels", default="10,100,1000,10000")
    parser.add_argument("--rate", type=float, default=5.0, help="events committed per second")
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--clients", type=int, default=4)
    args = parser.parse_args()
    _raise_fd_limit()
    print(f"load average at start: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    with bench_database() as settings:
        results = asyncio.run(bench(settings, args))
    worst = max(level.p99 for level in results)
    connections = {level.peak_connections for level in results}
    print(
        f"p99 {'within' if worst < TARGET_P99_MS else 'OVER'} the {TARGET_P99_MS:.0f} ms target "
        f"(worst level {worst:.1f} ms); Redis connections of the API process: "
        f"{'constant' if len(connections) == 1 else 'NOT constant'} "
        f"({', '.join(str(level.peak_connections) for level in results)})"
    )
    print(f"load average at end: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
