# Sourced by scripts/dev and scripts/test: creates .venv with Python 3.11+
# (first of $PYTHON, python3.12, python3.11, python3) and installs the project
# from the hash-pinned lock file requirements/$LOCK.txt (runtime, dev or test).
# A venv whose lock and pyproject have not changed since its last install is
# used as it is, so a warm start costs no resolver run.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

find_python() {
    for candidate in "${PYTHON:-}" python3.12 python3.11 python3; do
        [ -n "$candidate" ] || continue
        if command -v "$candidate" >/dev/null 2>&1 &&
            "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
            echo "$candidate"
            return 0
        fi
    done
    echo "PrescripCare needs Python 3.11 or newer" >&2
    return 1
}

lock="requirements/${LOCK:?LOCK names a lock file in requirements/}.txt"
if [ ! -x .venv/bin/python ]; then
    "$(find_python)" -m venv .venv
fi
stamp=.venv/.prescripcare-installed
lock_digest() { cat "requirements/$1.txt" requirements/uv.txt pyproject.toml | sha256sum | cut -d' ' -f1; }
wanted=$(lock_digest "$LOCK")
installed=$(cat "$stamp" 2>/dev/null || true)
# The test lock pins every package of the dev lock at the same version
# (scripts/lock compiles both from pyproject; tests/ops/test_dev_script.py
# checks it), so ./scripts/dev after ./scripts/test uses that venv as it is
# instead of reinstalling, and the next ./scripts/test then stays warm too.
if [ "$LOCK" = dev ] && [ "$installed" = "$(lock_digest test)" ]; then
    wanted=$installed
fi
if [ "$installed" != "$wanted" ]; then
    echo "installing $lock into .venv" >&2
    .venv/bin/python -m pip install --quiet --disable-pip-version-check --require-hashes -r requirements/uv.txt
    .venv/bin/uv pip install --quiet --python .venv/bin/python --require-hashes -r "$lock"
    .venv/bin/uv pip install --quiet --python .venv/bin/python --no-deps -e .
    echo "$wanted" >"$stamp"
fi
