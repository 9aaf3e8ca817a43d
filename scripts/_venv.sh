# Sourced by scripts/dev and scripts/test: creates .venv with Python 3.11+
# (first of $PYTHON, python3.12, python3.11, python3) and installs the project.
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

if [ ! -x .venv/bin/python ]; then
    "$(find_python)" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --upgrade pip
target="."
[ -z "${EXTRAS:-}" ] || target=".[${EXTRAS}]"
.venv/bin/python -m pip install --quiet -e "$target"
