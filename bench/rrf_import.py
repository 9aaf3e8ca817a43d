"""RxNorm RRF import speed and memory on a generated release.

    python bench/rrf_import.py [--lines 1000000]

Writes a made-up release in the genuine RRF layout (ingredients, salts,
brands, components, clinical and branded drugs with their relations, NDCs and
strengths; about 18 lines per ingredient) and imports it into a fresh
database. Prints the elapsed time, lines per second and the process's peak
memory, which stays bounded because the files are streamed.
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _db import bench_database

from prescripcare.db import create_engine, create_session_factory, transaction
from prescripcare.drugs.rrf import import_rxnorm
from prescripcare.settings import Settings

LINES_PER_INGREDIENT = 18


def _conso(rxcui: int, tty: str, name: str, aui: int) -> str:
    return f"{rxcui}|ENG||||||{aui}|{aui}|{rxcui}||RXNORM|{tty}|{rxcui}|{name}||N|4096|\n"


def _rel(a: int, rela: str, b: int, rui: int) -> str:
    return f"{a}||CUI|RO|{b}||CUI|{rela}|{rui}||RXNORM||||N|4096|\n"


def _sat(rxcui: int, atn: str, value: str, atui: int) -> str:
    return f"{rxcui}|||{rxcui}|AUI|{rxcui}|AT{atui}||{atn}|RXNORM|{value}|N|4096|\n"


def generate(directory: Path, lines: int) -> int:
    ingredients = max(1, lines // LINES_PER_INGREDIENT)
    written = 0
    with (
        (directory / "RXNCONSO.RRF").open("w") as conso,
        (directory / "RXNREL.RRF").open("w") as rel,
        (directory / "RXNSAT.RRF").open("w") as sat,
    ):
        for i in range(ingredients):
            base = 10_000_000 + i * 10
            ing, pin, bn, scdc, scd, sbd = base, base + 1, base + 2, base + 3, base + 4, base + 5
            name = f"benchamine{i}"
            rows_c = [
                _conso(ing, "IN", name, base),
                _conso(pin, "PIN", f"{name} hydrochloride", base + 1),
                _conso(bn, "BN", f"Bench{i}", base + 2),
                _conso(scdc, "SCDC", f"{name} 10 MG", base + 3),
                _conso(scd, "SCD", f"{name} 10 MG Oral Tablet", base + 4),
                _conso(scd, "PSN", f"{name} 10 mg tablet", base + 5),
                _conso(sbd, "SBD", f"{name} 10 MG Oral Tablet [Bench{i}]", base + 6),
                _conso(sbd, "SY", f"Bench{i} 10 MG Oral Tablet", base + 7),
            ]
            rows_r = [
                _rel(ing, "has_ingredient", scdc, base),
                _rel(scdc, "ingredient_of", ing, base + 1),
                _rel(ing, "form_of", pin, base + 2),
                _rel(ing, "tradename_of", bn, base + 3),
                _rel(scdc, "consists_of", scd, base + 4),
                _rel(scd, "constitutes", scdc, base + 5),
                _rel(scd, "tradename_of", sbd, base + 6),
                _rel(bn, "has_ingredient", sbd, base + 7),
            ]
            rows_s = [
                _sat(scd, "NDC", f"{i:011d}", base),
                _sat(scd, "RXN_AVAILABLE_STRENGTH", "10 MG", base + 1),
            ]
            conso.writelines(rows_c)
            rel.writelines(rows_r)
            sat.writelines(rows_s)
            written += len(rows_c) + len(rows_r) + len(rows_s)
    return written


async def _import(settings: Settings, directory: Path) -> dict[str, int]:
    engine = create_engine(settings)
    sessions = create_session_factory(engine)
    async with transaction(sessions) as session:
        result = await import_rxnorm(session, directory, datetime.now(UTC), release="bench")
    await engine.dispose()
    return result.written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--lines", type=int, default=1_000_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="rrf-bench-") as tmp, bench_database() as settings:
        directory = Path(tmp)
        lines = generate(directory, args.lines)
        size = sum(p.stat().st_size for p in directory.iterdir()) / 1e6
        print(f"generated {lines} lines ({size:.0f} MB)")
        started = time.perf_counter()
        written = asyncio.run(_import(settings, directory))
        elapsed = time.perf_counter() - started
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"imported in {elapsed:.1f} s ({lines / elapsed:,.0f} lines/s); written {written}")
        print(f"peak memory of this process: {peak:.0f} MB")


if __name__ == "__main__":
    main()
