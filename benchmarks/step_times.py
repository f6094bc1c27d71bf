"""Time of one incremental plain-Lloyd step, per cell: for comparing kernels.

Usage::

    python benchmarks/step_times.py [--n N] [--repeats R] [--moved F]
        [--weights ones|unit|both] d:k:dtype ...

``dtype`` is ``f`` (float32) or ``d`` (float64); overlapping blobs, centres
from the same seeded init as ``compare.py``. After one full step (labels
set), the same incremental ``lloyd_step`` runs ``R`` times and the median is
printed in milliseconds. With ``--moved F`` a share ``F`` of the labels is
moved to another cluster before each timed step, so that about that share
of rows changes cluster (the step moves them back).

``--weights`` picks what the step gets as sample weights: explicit ones, or
``unit``, the empty array the estimator passes when every weight is 1 (no
weight read); ``both`` times the two alternately in one process and prints
``unit/ones``.

To compare two versions of the kernels use ``ab_kernels.py``, which times
them alternately in one process; this script's figures from separate
processes moved by up to a third with unchanged code.
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


def first_step(assign, X, centers):
    """``(weights, labels, partials)`` after one full ``lloyd_step`` of the
    ``assign`` module given (labels set, partial buffers allocated)."""
    n, d = X.shape
    k = centers.shape[0]
    weights = np.ones(n, dtype=X.dtype)
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
    return weights, labels, partials


def step_runner(assign, X, centers, moved=0.0, unit_weights=False, seed=0):
    """A function that times one incremental ``lloyd_step`` (seconds).

    Before each call a share ``moved`` of the labels (drawn at random) is
    moved to the next cluster, so that about that share of rows changes
    cluster in the step, which moves them back. ``unit_weights`` passes the
    empty weight array (every weight 1) instead of explicit ones.
    """
    n = X.shape[0]
    k = centers.shape[0]
    weights, labels, partials = first_step(assign, X, centers)
    if unit_weights:
        weights = weights[:0]
    rng = np.random.default_rng(seed)
    n_moved = int(n * moved)

    def run() -> float:
        if n_moved:
            rows = rng.integers(0, n, n_moved)
            labels[rows] = (labels[rows] + 1) % k
        start = time.perf_counter()
        assign.lloyd_step(X, weights, centers, labels, *partials, True)
        return time.perf_counter() - start

    return run


def step_ms(
    n: int,
    d: int,
    k: int,
    dtype: str,
    repeats: int,
    moved: float = 0.0,
    kinds: tuple[str, ...] = ("ones",),
) -> dict[str, float]:
    """Median milliseconds of one incremental Lloyd step on this cell, per
    kind of weights (``"ones"``, ``"unit"``), the kinds timed alternately."""
    X, _ = make_blobs(n, d, k, dtype=dtype, separation="overlapping", seed=0)
    centers = init_centers(X, k, 0).astype(dtype)
    runners = {
        name: step_runner(assign, X, centers, moved, name == "unit") for name in kinds
    }
    times = {name: [] for name in runners}
    for _ in range(repeats):
        for name, run in runners.items():
            times[name].append(run())
    return {name: 1e3 * float(np.median(t)) for name, t in times.items()}


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
    parser.add_argument("--moved", type=float, default=0.0)
    parser.add_argument("--weights", choices=("ones", "unit", "both"), default="ones")
    args = parser.parse_args(argv)
    out = []
    for d, k, dtype in args.cells:
        kinds = ("ones", "unit") if args.weights == "both" else (args.weights,)
        ms = step_ms(args.n, d, k, dtype, args.repeats, args.moved, kinds)
        if args.weights == "both":
            ratio = ms["unit"] / ms["ones"]
            out.append(
                f"d={d} k={k} {dtype}: ones {ms['ones']:.3f} ms, "
                f"unit {ms['unit']:.3f} ms, unit/ones {ratio:.2f}"
            )
        else:
            out.append(f"d={d} k={k} {dtype}: {ms[args.weights]:.3f} ms")
    print(" | ".join(out))


if __name__ == "__main__":
    main()
