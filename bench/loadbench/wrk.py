"""wrk as the load generator: a fixed number of connections for a fixed time,
POSTing one GraphQL document; latency percentiles from wrk's own histogram.

wrk sends whatever body it is given, so a Lua script supplies the JSON, and
counts responses carrying GraphQL `errors` (an HTTP 200 that failed).
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

_LUA = """
wrk.method = "POST"
wrk.body = %(body)s
wrk.headers["Content-Type"] = "application/json"
%(headers)s
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args) graphql_errors = 0 end
function response(status, headers, body)
  if string.find(body, '"errors"', 1, true) then graphql_errors = graphql_errors + 1 end
end
function done(summary, latency, requests)
  local failed = 0
  for _, t in ipairs(threads) do failed = failed + t:get("graphql_errors") end
  io.write(string.format(
    'RESULT {"requests": %%d, "duration_us": %%d, "p50_us": %%d, "p99_us": %%d, '
    .. '"socket_errors": %%d, "non_2xx": %%d, "graphql_errors": %%d}\\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    summary.errors.connect + summary.errors.read + summary.errors.write
      + summary.errors.timeout,
    summary.errors.status, failed))
end
"""


@dataclass(frozen=True)
class LoadResult:
    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    failures: int

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def require_wrk() -> str:
    found = shutil.which("wrk")
    if found is None:
        raise SystemExit("wrk is not installed: apt-get install -y wrk")
    return found


def _lua_string(text: str) -> str:
    # A Lua long string needs no escaping, as long as its brackets are unique.
    level = 0
    while f"]{'=' * level}]" in text:
        level += 1
    return f"[{'=' * level}[{text}]{'=' * level}]"


def run_wrk(
    url: str,
    payload: dict[str, object],
    headers: dict[str, str],
    *,
    connections: int,
    seconds: int,
    cpus: list[int],
) -> LoadResult:
    header_lines = "\n".join(
        f"wrk.headers[ {_lua_string(k)} ] = {_lua_string(v)}" for k, v in headers.items()
    )
    script = _LUA % {"body": _lua_string(json.dumps(payload)), "headers": header_lines}
    with tempfile.TemporaryDirectory(prefix="prescripcare-wrk-") as tmp:
        path = Path(tmp) / "graphql.lua"
        path.write_text(script)
        out = subprocess.run(
            [
                "taskset",
                "-c",
                ",".join(map(str, cpus)),
                require_wrk(),
                "-t1",
                f"-c{connections}",
                f"-d{seconds}s",
                "--timeout",
                "30s",
                "-s",
                str(path),
                url,
            ],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
    found = re.search(r"^RESULT (\{.*\})$", out, re.MULTILINE)
    if found is None:
        raise RuntimeError(f"wrk printed no result:\n{out}")
    result = json.loads(found.group(1))
    return LoadResult(
        requests=result["requests"],
        seconds=result["duration_us"] / 1e6,
        p50_ms=result["p50_us"] / 1000,
        p99_ms=result["p99_us"] / 1000,
        failures=result["socket_errors"] + result["non_2xx"] + result["graphql_errors"],
    )
