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

DOT = r"""
digraph prescripcare {
  graph [rankdir=TB, fontname="Helvetica", fontsize=13, nodesep=0.35, ranksep=0.35,
         pad=0.2, newrank=true];
  node  [shape=box, style="rounded,filled", fillcolor="#ffffff", fontname="Helvetica",
         fontsize=12, margin="0.12,0.06"];
  edge  [fontname="Helvetica", fontsize=10, color="#555555"];

  client [label="Apps and GraphiQL\nHTTP POST/GET /graphql\nWebSocket /graphql\n(graphql-transport-ws)",
          fillcolor="#eef3ff"];

  subgraph cluster_api {
    label="API process: app.py (Starlette + uvicorn)"; style="rounded"; color="#4a6fa5";
    mw   [label="middleware (app.py)\nheaders.py  requestid.py\nobservability/http.py  CORS\nbodylimit.py (413)"];
    view [label="graphql/view.py  PrescripCareGraphQL\ncontext.py: authenticate (session)\nsocket.py: per-operation re-check"];
    adm  [label="graphql/admission.py  Admission.admit\ntrusted.py (trusted documents)\nratelimit/guard.py (Redis GCRA)"];
    exe  [label="graphql/schema.py  extensions\ncost_limiter.py  presenter.py (masking)\naudit/extension.py (reads)\nreplica.py  textguard.py  metrics"];
    dom  [label="domain packages (resolvers -> service.py)\nauth  patients  prescriptions  doses\nadherence  drugs  reminders  audit\nprivacy  encryption (columns)", fillcolor="#fff7e6"];
    hub  [label="realtime/hub.py  EventHub\none XREAD per process", fillcolor="#f0fff0"];
  }

  subgraph cluster_worker {
    label="worker process: worker.py (arq cron)"; style="rounded"; color="#a56f4a";
    jobs [label="extend_dose_horizons  (doses/materialize.py)\nmark_missed_doses  (materialize.mark_missed)\nsend_due_reminders  (reminders/service.py)\nrefresh_search_priors  (drugs/search/priors.py)",
          fillcolor="#fff7e6"];
  }

  pg    [label="PostgreSQL\n(reminders outbox, dose_days\nrollup triggers, audit chain)", shape=cylinder, fillcolor="#f4f4f4"];
  redis [label="Redis\n(rate limits, idempotency,\nevent stream, arq queue)", shape=cylinder, fillcolor="#f4f4f4"];
  prov  [label="Twilio SMS  SendGrid e-mail\nFCM push\n(reminders/providers.py, fcm.py)", fillcolor="#eef3ff"];
  hooks [label="Twilio webhooks\nreminders/webhooks.py", fillcolor="#eef3ff"];

  client -> mw -> view -> adm -> exe -> dom;
  dom -> pg   [label="SQLAlchemy / asyncpg"];
  adm -> redis [style=dashed];
  jobs -> pg  [label="outbox: queue, claim,\nrecord result"];
  jobs -> prov [label="send (one claim\nper outbox row)"];
  jobs -> redis [label="publish events", style=dashed];
  redis -> hub [label="XREAD", style=dashed];
  hub -> view [label="reminderStatus\nsubscription", style=dashed];
  prov -> hooks [label="status / STOP", style=dotted];
  hooks -> mw [style=dotted];

  {rank=same; pg; redis; prov}
  {rank=same; view; jobs}
}
"""


def main() -> int:
    dot = shutil.which("dot")
    if dot is None:
        print("Graphviz `dot` not found: apt-get install graphviz", file=sys.stderr)
        return 1
    subprocess.run([dot, "-Tpng", "-Gdpi=110", "-o", str(OUT)], input=DOT, text=True, check=True)
    print(OUT)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
