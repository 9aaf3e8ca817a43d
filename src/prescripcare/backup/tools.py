"""Finding pg_dump and pg_restore of the server's own major version.

pg_dump refuses a newer server, and an older pg_restore cannot read a newer
archive; a matching major version is always right, so that is what is used,
from PATH, the Debian/Ubuntu layout or the embedded server's own binaries.
"""

from __future__ import annotations

import glob
import importlib.util
import os
import re
import shutil
import subprocess
from pathlib import Path

_VERSION = re.compile(r"\(PostgreSQL\)\s+(\d+)")


class ToolMissing(RuntimeError):
    """No client binary of the server's major version is installed."""


def _candidates(name: str) -> list[Path]:
    found: list[Path] = []
    on_path = shutil.which(name)
    if on_path:
        found.append(Path(on_path))
    found += [Path(p) for p in sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))]
    found += [Path(p) for p in sorted(glob.glob(f"/usr/pgsql-*/bin/{name}"))]
    spec = importlib.util.find_spec("pgserver")
    if spec is not None and spec.origin:
        found.append(Path(spec.origin).parent / "pginstall" / "bin" / name)
    return [p for p in dict.fromkeys(found) if p.is_file() and os.access(p, os.X_OK)]


def major_of(binary: Path) -> int | None:
    try:
        out = subprocess.run(  # noqa: S603 - a binary we located, no shell
            [str(binary), "--version"], capture_output=True, text=True, timeout=10, check=False
        ).stdout
    except OSError:
        return None
    match = _VERSION.search(out)
    return int(match.group(1)) if match else None


def find_tool(name: str, server_major: int) -> Path:
    seen = []
    for binary in _candidates(name):
        major = major_of(binary)
        seen.append(f"{binary} ({major})")
        if major == server_major:
            return binary
    raise ToolMissing(
        f"no {name} for PostgreSQL {server_major} (the server's major version) is installed; "
        f"found: {', '.join(seen) or 'none'}. Install postgresql-client-{server_major}."
    )
