"""Combine grid runs of ``compare.py`` into one table.

Usage::

    python benchmarks/merge_grid.py OUT.md RUN.json [RUN.json ...] [--plot OUT.png]

The table ends with plain Lloyd's steps against the machine limit, one
line per (d, k) and one column per (n, dtype, data), for the runs that
timed ``lloyd`` (``--algorithms lloyd`` or ``auto,lloyd``).

Each ``RUN.json`` is a ``--suite grid`` result. Cells are keyed by their
name; a cell measured again in a later file replaces the earlier
measurement (for instance the cells a kernel change touches, re-run after
the change). The merged table, its summary and the issue-3 targets are
computed exactly as ``compare.py`` computes them for a single run, and the
output says which run each cell came from.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from types import SimpleNamespace

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks import compare  # noqa: E402


def merge(paths: list[Path]) -> tuple[list[dict], dict, str | None, list[dict]]:
    """Rows of every run, later runs replacing earlier cells of the same name."""
    cells: dict[str, dict] = {}
    runs = []
    primary = None
    for index, path in enumerate(paths, 1):
        result = json.loads(path.read_text())
        if result.get("suite") != "grid":
            raise SystemExit(f"{path}: not a --suite grid result")
        primary = primary or result.get("primary")
        runs.append(
            {"run": index, "command": result["command"], "date": result["date"]}
        )
        for row in result["fit_rows"]:
            cells[row["cell_name"]] = dict(row, run=index)
    rows = list(cells.values())
    return rows, compare.fit_summary(rows, primary), primary, runs


def limit_table(rows: list[dict]) -> list[str]:
    """Plain Lloyd's steps per iteration / machine limit, pivoted by cell.

    Empty when no run timed plain Lloyd.
    """
    values = {}
    for row in rows:
        ratio = row.get("ratios", {}).get("lloyd_step_vs_limit")
        if ratio is None:
            continue
        c = row["cell"]
        column = (c["n"], c["dtype"], c["data"])
        values[(c["d"], c["k"]), column] = ratio
    if not values:
        return []
    lines = sorted({key for key, _ in values})
    columns = sorted({col for _, col in values})
    head = [f"n=1e{len(str(n)) - 1} {dt} {data[:3]}" for n, dt, data in columns]
    out = [
        "Plain Lloyd, steps alone per iteration / machine limit "
        "(target 1.50x; `-`: not run):",
        "",
        "| cell | " + " | ".join(head) + " |",
        "|---|" + "---|" * len(columns),
    ]
    for d, k in lines:
        cells = []
        for col in columns:
            r = values.get(((d, k), col))
            cells.append("-" if r is None else f"{r:.2f}x")
        out.append(f"| d={d} k={k} | " + " | ".join(cells) + " |")
    ratios = list(values.values())
    within = sum(r <= 1.5 for r in ratios)
    out += ["", f"{within} of {len(ratios)} cells within 1.50x."]
    return out


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("runs", type=Path, nargs="+")
    parser.add_argument("--plot", type=Path, default=None)
    args = parser.parse_args(argv)
    rows, summary, primary, runs = merge(args.runs)
    labels = {}
    for row in rows:
        for name, lib in row["libs"].items():
            labels.setdefault(name, SimpleNamespace(label=lib["label"]))
    table = compare.fit_table(rows, labels, primary).splitlines()
    # which run each cell comes from, as a last column
    table[0] += " run |"
    table[1] += "---|"
    for i, row in enumerate(rows):
        table[i + 2] += f" {row['run']} |"
    md = ["# Grid, merged runs", ""]
    md += [f"{r['run']}. `{r['command']}` ({r['date']})" for r in runs]
    md += ["", "\n".join(table), "", compare.fit_summary_text(summary), ""]
    md += ["- " + line for line in compare.check_targets_grid(summary)]
    pivot = limit_table(rows)
    if pivot:
        md += ["", *pivot]
    if args.plot:
        compare.plot_fit(rows, primary, args.plot, f"grid: {primary} / other")
        md += ["", f"![ratios]({args.plot.name})"]
    args.out.write_text("\n".join(md) + "\n")
    print("\n".join(md[-6:]))


if __name__ == "__main__":
    main()
