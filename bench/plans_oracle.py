"""The planner's conformance oracle, long: the contract's query documents
and thousands of random valid documents from schema.graphql, for every role,
planned path against the reference executor (tests/plans/test_oracle.py with
a large example count; CI runs the same test with a few dozen).

    TEST_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test \\
    REDIS_URL=redis://127.0.0.1:6379/0 python bench/plans_oracle.py [--examples 1000] [--seed 13]

Prints the tally: documents compared (each once per viewer), how many the
planner answered, how many answered with errors.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--examples", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=13)
    args = parser.parse_args()
    env = {
        **os.environ,
        "PLAN_ORACLE_EXAMPLES": str(args.examples),
        "PLAN_ORACLE_SEED": str(args.seed),
    }
    started = time.monotonic()
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-s",
            "-p",
            "no:cacheprovider",
            "tests/plans/test_oracle.py",
            "-k",
            "agree",
        ],
        cwd=ROOT,
        env=env,
        check=False,
    )
    print(
        f"{args.examples} generated documents, seed {args.seed}: "
        f"{'passed' if done.returncode == 0 else 'FAILED'} in {time.monotonic() - started:.0f} s"
    )
    raise SystemExit(done.returncode)


if __name__ == "__main__":
    main()
