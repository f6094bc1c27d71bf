"""Time of one incremental plain-Lloyd step, per cell: for comparing kernels.

Usage::

    python benchmarks/step_times.py [--n N] [--repeats R] d:k:dtype ...

``dtype`` is ``f`` (float32) or ``d`` (float64); overlapping blobs, centres
from the same seeded init as ``compare.py``. After one full step (labels
set), the same incremental ``lloyd_step`` runs ``R`` times and the median is
printed in milliseconds. It prints no comparison itself: to compare two
versions of the kernels, run it from each checkout in alternating processes,
each with its own ``NUMBA_CACHE_DIR``, and compare the best of several runs
(the numbers in ``docs/algorithms.md`` were taken that way).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.registry import init_centers, make_blobs  # noqa: E402
from segmint._kernels import assign  # noqa: E402

DTYPES = {"f": "float32", "d": "float64"}


def step_ms(n: int, d: int, k: int, dtype: str, repeats: int) -> float:
    """Median milliseconds of one incremental Lloyd step on this cell."""
    X, _ = make_blobs(n, d, k, dtype=dtype, separation="overlapping", seed=0)
    centers = init_centers(X, k, 0).astype(dtype)
    weights = np.ones(n, dtype=dtype)
    labels = np.full(n, -1, dtype=np.int32)
    n_blocks = assign.n_row_blocks(n, k, d)
    partials = [
        np.empty((n_blocks, k, d)),
        np.empty((n_blocks, k)),
        np.empty((n_blocks, k)),
        np.empty((n_blocks, k), dtype=np.int64),
        np.empty(n_blocks, dtype=np.int64),
    ]
    assign.lloyd_step(X, weights, centers, labels, *partials, False)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        assign.lloyd_step(X, weights, centers, labels, *partials, True)
        times.append(time.perf_counter() - start)
    return 1e3 * float(np.median(times))


def parse_cell(text: str) -> tuple[int, int, str]:
    try:
        d, k, dt = text.split(":")
        return int(d), int(k), DTYPES[dt]
    except (ValueError, KeyError):
        raise argparse.ArgumentTypeError(
            f"cell {text!r}: expected d:k:dtype with dtype f or d, e.g. 8:64:f"
        ) from None


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("cells", type=parse_cell, nargs="+")
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=20)
    args = parser.parse_args(argv)
    out = []
    for d, k, dtype in args.cells:
        ms = step_ms(args.n, d, k, dtype, args.repeats)
        out.append(f"d={d} k={k} {dtype}: {ms:.3f} ms")
    print(" | ".join(out))


if __name__ == "__main__":
    main()
