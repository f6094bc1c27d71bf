"""Where one thread's Lloyd step spends its time, against the FLOP limit.

Usage::

    python benchmarks/step_parts.py [--n N] [--repeats R] d:k:dtype ...

For each cell (``dtype`` ``f`` or ``d``; overlapping blobs and centres as in
``compare.py``), on one thread, in nanoseconds per row:

- ``search``: the nearest-centre kernel alone over every row (rows in
  vector lanes up to ``LANES_MAX_FEATURES`` features, else the register
  tile): the values ``0.5||c||^2 - x.c``, best, second best and label;
- ``+ labels``: the same through ``_nearest_chunk``, which adds the
  conversion of labels and the rounding test's re-checks;
- ``step``: a whole incremental ``lloyd_step`` (0.5% of rows moved, unit
  weights), which adds the comparison with the old labels and the update
  of the sums;
- ``FMA peak``: ``2·d·k`` FLOPs per row at one core's share of the
  best-known gemm rate (``results/machine.json``: the two-thread rate,
  halved), the limit's FLOP term per row and thread; and each of the three
  against it.

A step cannot beat the search it contains, so where ``search / peak``
alone exceeds 1.5 the limit's 1.5x is out of reach for the kernel as
written; the ``search`` column against ``FMA peak`` says how much of the
search is arithmetic the limit counts (the multiply-adds) and how much
it does not (the argmin, the second best for the rounding test, loads).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.machine import BEST_KNOWN, saved_limits  # noqa: E402
from benchmarks.registry import init_centers, make_blobs  # noqa: E402
from benchmarks.step_times import parse_cell, step_runner  # noqa: E402


def _runners(assign, chunk_size):
    from numba import njit

    lanes_max = assign.LANES_MAX_FEATURES

    @njit(cache=False)
    def search(X, ct, half, best, second, labf, xsq, rows):
        close = 0
        for s in range(0, X.shape[0] - chunk_size + 1, chunk_size):
            if X.shape[1] <= lanes_max:
                close += assign._lanes_pass(
                    X, s, chunk_size, ct, half, best, second, labf, xsq,
                    (1e-7, 0.0, 1e-7),
                )  # fmt: skip
            else:
                for i in range(chunk_size):
                    rows[i] = s + i
                assign._tile_pass(
                    X, rows, chunk_size, ct, half, best, second, labf, xsq
                )
        return close

    @njit(cache=False)
    def labelled(X, centers, ct, half, cmax, best, second, labf, xsq, rows, new):
        no_bounds = np.empty(0, dtype=np.float64)
        for s in range(0, X.shape[0] - chunk_size + 1, chunk_size):
            for i in range(chunk_size):
                rows[i] = s + i
            assign._nearest_chunk(
                X, rows, chunk_size, centers, ct, half, cmax, best, second, labf,
                xsq, new, no_bounds, True,
            )  # fmt: skip

    return search, labelled


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("cells", type=parse_cell, nargs="+")
    parser.add_argument("--n", type=lambda v: int(float(v)), default=1_000_000)
    parser.add_argument("--repeats", type=int, default=11)
    args = parser.parse_args(argv)

    import numba

    from segmint._config import CHUNK_SIZE
    from segmint._kernels import assign

    numba.set_num_threads(1)
    saved = saved_limits(threads=2)
    if saved is None:
        parser.error(
            f"no limits saved for this processor at two threads in {BEST_KNOWN}: "
            "run `python benchmarks/machine.py` with two threads first"
        )
    search, labelled = _runners(assign, CHUNK_SIZE)
    print(
        f"one thread, n={args.n:.0e}, ns per row; FMA peak: half the best-known "
        f"two-thread gemm rate ({saved['flop_rate']['float32'] / 1e9:.1f} / "
        f"{saved['flop_rate']['float64'] / 1e9:.1f} GFLOP/s)"
    )
    print()
    print(
        "| cell | search | + labels | step | FMA peak | search / peak | step / peak |"
    )
    print("|---|---|---|---|---|---|---|")
    for d, k, dtype in args.cells:
        n = args.n
        X, _ = make_blobs(n, d, k, dtype=dtype, separation="overlapping", seed=0)
        centers = init_centers(X, k, 0).astype(dtype)
        ct, half, cmax = assign._pad_centers(centers)
        scratch = assign._block_scratch(X)
        rows = np.empty(CHUNK_SIZE, dtype=np.int64)
        new = np.empty(CHUNK_SIZE, dtype=np.int32)
        step = step_runner(assign, X, centers, 0.005, True, seed=1)
        parts = {
            "search": (search, (X, ct, half, *scratch, rows)),
            "labels": (
                labelled,
                (X, centers, ct, half, cmax, *scratch, rows, new),
            ),
        }
        times = {name: [] for name in (*parts, "step")}
        for fn, fn_args in parts.values():
            fn(*fn_args)
        for _ in range(args.repeats):
            for name, (fn, fn_args) in parts.items():
                start = time.perf_counter()
                fn(*fn_args)
                times[name].append(time.perf_counter() - start)
            times["step"].append(step())
        ns = {name: 1e9 * statistics.median(t) / n for name, t in times.items()}
        peak = 1e9 * 2 * d * k / (saved["flop_rate"][dtype] / 2)
        print(
            f"| d={d} k={k} {dtype} | {ns['search']:.2f} | {ns['labels']:.2f} "
            f"| {ns['step']:.2f} | {peak:.2f} | {ns['search'] / peak:.2f}x "
            f"| {ns['step'] / peak:.2f}x |"
        )


if __name__ == "__main__":
    main()
