"""The load benchmark's chart: requests per second and server CPU time per
request, for every target and query of one run, side by side."""

from __future__ import annotations

from pathlib import Path

from loadbench.report import Row


def write_chart(rows: list[Row], path: Path, title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")  # files only, no display
    import matplotlib.pyplot as plt

    queries = list(dict.fromkeys(r.query for r in rows))
    targets = list(dict.fromkeys(r.target for r in rows))
    width = 0.8 / max(len(targets), 1)
    figure, axes = plt.subplots(1, 2, figsize=(12, 4.8))
    for panel, (metric, label) in zip(
        axes,
        [("rps", "requests per second (higher is better)"), ("cpu", "CPU ms per request")],
        strict=True,
    ):
        for t, target in enumerate(targets):
            values = []
            for query in queries:
                row = next((r for r in rows if r.target == target and r.query == query), None)
                if row is None:
                    values.append(0.0)
                else:
                    values.append(row.result.rps if metric == "rps" else row.cpu_ms_per_request)
            positions = [q + (t - (len(targets) - 1) / 2) * width for q in range(len(queries))]
            bars = panel.bar(positions, values, width, label=target)
            panel.bar_label(bars, fmt="%.1f", fontsize=7)
        panel.set_xticks(range(len(queries)), queries)
        panel.set_title(label)
        panel.grid(axis="y", alpha=0.3)
    axes[0].legend(fontsize=8)
    figure.suptitle(title, fontsize=10)
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=110)
    plt.close(figure)
