"""What a provider call can fail with below HTTP: refused, reset, timed out.

Apart from http.py, whose pool every process makes, so that only the provider
modules import aiohttp at start-up."""

from __future__ import annotations

import aiohttp

UNREACHABLE = (aiohttp.ClientError, TimeoutError, OSError)
