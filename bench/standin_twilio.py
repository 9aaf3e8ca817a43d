"""The suite's Twilio stand-in (tests/providers.py) as a process of its own,
for bench/reminders.py: `python bench/standin_twilio.py PORT`. Besides
Twilio's Messages API it answers GET /_bench/count with the number of
messages it has accepted, so the benchmark can count duplicates."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import uvicorn
from starlette.requests import Request
from starlette.responses import JSONResponse
from tests.providers import TwilioStandIn

SID, TOKEN = "AC" + "2" * 32, "bench-token"


def main() -> None:
    twilio = TwilioStandIn(SID, TOKEN)

    async def count(_: Request) -> JSONResponse:
        return JSONResponse({"messages": len(twilio.messages)})

    app = twilio.server.app
    app.router.add_route("/_bench/count", count, methods=["GET"])  # type: ignore[attr-defined]
    uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning")


if __name__ == "__main__":
    main()
