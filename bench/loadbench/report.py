"""The table the load benchmark prints, with ratios to PostGraphile and to
the raw floor for the same query."""

from __future__ import annotations

import argparse
import os
from dataclasses import dataclass
from datetime import UTC, datetime

from loadbench.wrk import LoadResult


@dataclass(frozen=True)
class Row:
    target: str
    query: str
    result: LoadResult
    sql_per_request: float
    control_per_request: float
    # Database execution time (pg_stat_statements) and CPU time of the server
    # process (or of the replaying process, for the floor) per request.
    db_ms_per_request: float
    cpu_ms_per_request: float


def _ratio(row: Row, rows: list[Row], target: str) -> str:
    other = next((r for r in rows if r.target == target and r.query == row.query), None)
    if other is None or not other.result.rps:
        return "-"
    return f"{row.result.rps / other.result.rps:.2f}x"


def print_table(rows: list[Row], args: argparse.Namespace) -> None:
    print()
    print(
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {os.cpu_count()} CPUs, "
        f"{args.connections} connections, {args.seconds} s per run, {args.patients} patients"
    )
    header = (
        f"{'target':<13}{'query':<18}{'req/s':>8}{'p50 ms':>9}{'p99 ms':>9}"
        f"{'SQL/req':>8}{'tx/req':>7}{'DB ms':>7}{'CPU ms':>8}{'fail':>5}"
        f"{'vs PostGraphile':>16}{'vs floor':>9}"
    )
    print(header)
    print("-" * len(header))
    for row in rows:
        r = row.result
        print(
            f"{row.target:<13}{row.query:<18}{r.rps:>8.1f}{r.p50_ms:>9.1f}{r.p99_ms:>9.1f}"
            f"{row.sql_per_request:>8.1f}{row.control_per_request:>7.1f}"
            f"{row.db_ms_per_request:>7.1f}{row.cpu_ms_per_request:>8.1f}{r.failures:>5}"
            f"{_ratio(row, rows, 'postgraphile'):>16}{_ratio(row, rows, 'raw asyncpg'):>9}"
        )


def print_verdict(rows: list[Row]) -> None:
    """Issue 13's bar for our server: at least PostGraphile's requests per
    second, p99 within twice p50, no failures."""
    for row in rows:
        if row.target != "prescripcare":
            continue
        theirs = next(
            (r for r in rows if r.target == "postgraphile" and r.query == row.query), None
        )
        r = row.result
        ratio = r.rps / theirs.result.rps if theirs and theirs.result.rps else None
        checks = {
            ">= 1.0x PostGraphile": ratio is not None and ratio >= 1.0,
            "p99 <= 2 x p50": r.p99_ms <= 2 * r.p50_ms,
            "no failures": r.failures == 0,
        }
        verdict = ", ".join(f"{name}: {'yes' if ok else 'NO'}" for name, ok in checks.items())
        print(f"{row.query:<18} {verdict}")
