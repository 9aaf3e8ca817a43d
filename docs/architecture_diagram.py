"""Draws docs/architecture.png with Graphviz (`apt-get install graphviz`).

    python docs/architecture_diagram.py

The picture is a map for docs/architecture.md: the boxes name the modules
under src/prescripcare/, so a change to one of them should change this file.
Only the standard library here: the service does not depend on drawing.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

OUT = Path(__file__).with_name("architecture.png")

# Each box: its label lines (module paths under src/prescripcare/) and fill.
API = {
    "mw": (
        [
            "middleware (app.py)",
            "headers.py  requestid.py",
            "observability/http.py  CORS",
            "bodylimit.py (413)",
        ],
        "#ffffff",
    ),
    "view": (
        [
            "graphql/view.py  PrescripCareGraphQL",
            "context.py: authenticate (session)",
            "socket.py: per-operation re-check",
        ],
        "#ffffff",
    ),
    "adm": (
        [
            "graphql/admission.py  Admission.admit",
            "trusted.py (trusted documents)",
            "ratelimit/guard.py (Redis GCRA)",
        ],
        "#ffffff",
    ),
    "exe": (
        [
            "graphql/schema.py  extensions",
            "cost_limiter.py  presenter.py (masking)",
            "audit/extension.py (reads)",
            "replica.py  textguard.py  metrics",
            "then plans/ (planned queries)",
            "or Strawberry's executor",
        ],
        "#ffffff",
    ),
    "dom": (
        [
            "domain packages (resolvers -> service.py)",
            "auth  patients  prescriptions  doses",
            "adherence  drugs  reminders  audit",
            "privacy  reports  i18n",
            "encryption (columns)",
        ],
        "#fff7e6",
    ),
    "hub": (["realtime/hub.py  EventHub", "one XREAD per process"], "#f0fff0"),
}
WORKER = {
    "jobs": (
        [
            "extend_dose_horizons  (doses/materialize.py)",
            "mark_missed_doses  (doses/missed.py)",
            "send_due_reminders  (reminders/service.py)",
            "refresh_search_priors  (drugs/search/priors.py)",
        ],
        "#fff7e6",
    ),
}
OUTSIDE = {
    "client": (
        [
            "Apps and GraphiQL",
            "HTTP POST/GET /graphql",
            "WebSocket /graphql",
            "(graphql-transport-ws)",
        ],
        "#eef3ff",
    ),
    "pg": (
        ["PostgreSQL", "(reminders outbox, dose_days", "rollup triggers, audit chain)"],
        "#f4f4f4",
    ),
    "redis": (["Redis", "(rate limits, idempotency,", "event stream, arq queue)"], "#f4f4f4"),
    "prov": (
        ["Twilio SMS  SendGrid e-mail", "FCM push", "(notifications/)"],
        "#eef3ff",
    ),
    "hooks": (["Twilio webhooks", "reminders/webhooks.py"], "#eef3ff"),
}
CYLINDERS = {"pg", "redis"}
EDGES = """
  client -> mw -> view -> adm -> exe -> dom;
  dom -> pg   [label="SQLAlchemy / asyncpg"];
  adm -> redis [style=dashed];
  jobs -> pg  [label="outbox: queue, claim,\\nrecord result"];
  jobs -> prov [label="send (one claim\\nper outbox row)"];
  jobs -> redis [label="publish events", style=dashed];
  redis -> hub [label="XREAD", style=dashed];
  hub -> view [label="reminderStatus\\nsubscription", style=dashed];
  prov -> hooks [label="status / STOP", style=dotted];
  hooks -> mw [style=dotted];
  {rank=same; pg; redis; prov}
  {rank=same; view; jobs}
"""


def _nodes(boxes: dict[str, tuple[list[str], str]]) -> str:
    lines = []
    for name, (label, fill) in boxes.items():
        shape = ", shape=cylinder" if name in CYLINDERS else ""
        text = "\\n".join(label)
        lines.append(f'  {name} [label="{text}", fillcolor="{fill}"{shape}];')
    return "\n".join(lines)


def dot_source() -> str:
    return f"""digraph prescripcare {{
  graph [rankdir=TB, fontname="Helvetica", fontsize=13, nodesep=0.35, ranksep=0.35,
         pad=0.2, newrank=true];
  node  [shape=box, style="rounded,filled", fontname="Helvetica", fontsize=12,
         margin="0.12,0.06"];
  edge  [fontname="Helvetica", fontsize=10, color="#555555"];
  subgraph cluster_api {{
    label="API process: app.py (Starlette + uvicorn)"; style="rounded"; color="#4a6fa5";
{_nodes(API)}
  }}
  subgraph cluster_worker {{
    label="worker process: worker.py (arq cron)"; style="rounded"; color="#a56f4a";
{_nodes(WORKER)}
  }}
{_nodes(OUTSIDE)}
{EDGES}
}}
"""


def main() -> int:
    dot = shutil.which("dot")
    if dot is None:
        print("Graphviz `dot` not found: apt-get install graphviz", file=sys.stderr)
        return 1
    # `dot` found on PATH, fixed arguments: nothing untrusted reaches the command.
    subprocess.run(  # noqa: S603
        [dot, "-Tpng", "-Gdpi=110", "-o", str(OUT)], input=dot_source(), text=True, check=True
    )
    print(OUT)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
