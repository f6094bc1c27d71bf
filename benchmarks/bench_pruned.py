"""Time per iteration of each segmint K-means variant against scikit-learn.

Usage::

    python benchmarks/bench_pruned.py [--threads N] [--cpu-time] [--repeats R]
        [--cells n,d,k[,sep] ...] [--algorithms lloyd,hamerly,...]

Every cell fits from the same initial centres, for a fixed number of
iterations (``tol=0``, ``max_iter=--iters``), once per library and variant,
with the repeats interleaved so that load from other processes hits all of
them alike; the median is printed with the ratio to scikit-learn's faster
algorithm. Compilation is never timed (a first fit on a small slice warms
everything up).

``--cpu-time`` times the process's CPU time instead of wall time. With
``--threads 1`` this is the steadiest measure on a shared machine: it does
not count the time other processes hold the cores. Both libraries are held to
the same number of threads (Numba threads for segmint, OpenMP/BLAS threads
for scikit-learn through threadpoolctl).

``--auto-table`` runs the grid behind ``algorithm="auto"`` (see
``docs/algorithms.md``) and prints it as a Markdown table.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT / "src") not in sys.path:
    sys.path.insert(0, str(ROOT / "src"))

DEFAULT_CELLS = ["1000000,16,16", "200000,32,256", "1000000,2,8", "100000,128,64"]
AUTO_CELLS = [
    f"{n},{d},{k},{sep}"
    for n in (100_000,)
    for d in (2, 8, 32, 128)
    for k in (8, 64, 256)
    for sep in ("separated", "overlapping")
]


def make_data(n, d, k, separated, dtype, seed=0):
    """Gaussian blobs: well separated (spread 0.05) or overlapping (spread 1)."""
    rng = np.random.default_rng(seed)
    means = rng.normal(scale=1.0, size=(k, d))
    spread = 0.05 if separated else 1.0
    labels = rng.integers(0, k, size=n)
    X = means[labels] + spread * rng.normal(size=(n, d))
    return np.ascontiguousarray(X, dtype=dtype)


def _fitters(algorithms):
    from sklearn.cluster import KMeans as SkKMeans

    from segmint import KMeans

    out = {}
    for algo in algorithms:
        out[f"segmint {algo}"] = (KMeans, algo)
    out["sklearn lloyd"] = (SkKMeans, "lloyd")
    out["sklearn elkan"] = (SkKMeans, "elkan")
    return out


def run_cell(X, init, iters, repeats, fitters, clock):
    """Median seconds per iteration of every fitter; interleaved repeats."""
    k = init.shape[0]
    for cls, algo in fitters.values():  # warm-up: compile, load libraries
        cls(k, init=init, n_init=1, max_iter=2, tol=0, algorithm=algo).fit(X[:2000])
    times = {name: [] for name in fitters}
    n_iter = {}
    inertia = {}
    for _ in range(repeats):
        for name, (cls, algo) in fitters.items():
            model = cls(k, init=init, n_init=1, max_iter=iters, tol=0, algorithm=algo)
            t0 = clock()
            model.fit(X)
            times[name].append((clock() - t0) / model.n_iter_)
            n_iter[name] = model.n_iter_
            inertia[name] = model.inertia_
    return {name: statistics.median(ts) for name, ts in times.items()}, inertia


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=0, help="0: all cores")
    parser.add_argument("--cpu-time", action="store_true")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--iters", type=int, default=10)
    parser.add_argument("--cells", nargs="*", default=None)
    parser.add_argument("--dtypes", default="float64,float32")
    parser.add_argument("--algorithms", default="lloyd,hamerly,elkan,yinyang,auto")
    parser.add_argument("--auto-table", action="store_true")
    args = parser.parse_args(argv)

    import numba
    from threadpoolctl import threadpool_limits

    threads = args.threads or numba.config.NUMBA_NUM_THREADS
    numba.set_num_threads(threads)
    clock = time.process_time if args.cpu_time else time.perf_counter
    cells = args.cells or (AUTO_CELLS if args.auto_table else DEFAULT_CELLS)
    algorithms = [a for a in args.algorithms.split(",") if a]
    fitters = _fitters(algorithms)
    names = list(fitters)
    print(
        f"threads={threads} clock={'cpu' if args.cpu_time else 'wall'} "
        f"iters={args.iters} repeats={args.repeats}; ms per iteration (median); "
        "ratio = segmint / best of sklearn lloyd, elkan"
    )
    print(
        "| dtype | n | d | k | data | "
        + " | ".join(names)
        + " | ratios | inertia agrees |"
    )
    print("|---" * (7 + len(names)) + "|")
    with threadpool_limits(threads):
        for dtype in args.dtypes.split(","):
            for cell in cells:
                parts = cell.split(",")
                n, d, k = (int(p) for p in parts[:3])
                separated = len(parts) > 3 and parts[3].startswith("sep")
                X = make_data(n, d, k, separated, np.dtype(dtype))
                init = X[np.random.default_rng(1).choice(n, k, replace=False)].copy()
                med, inertia = run_cell(
                    X, init, args.iters, args.repeats, fitters, clock
                )
                sk = min(med["sklearn lloyd"], med["sklearn elkan"])
                ref = inertia["sklearn lloyd"]
                agree = all(
                    abs(inertia[f"segmint {a}"] - ref) <= 1e-4 * abs(ref)
                    for a in algorithms
                )
                ratios = " ".join(
                    f"{a}:{med[f'segmint {a}'] / sk:.2f}" for a in algorithms
                )
                data = "sep" if separated else "ovl"
                cols = " | ".join(f"{med[name] * 1e3:.2f}" for name in names)
                print(
                    f"| {dtype} | {n} | {d} | {k} | {data} | {cols} | {ratios} "
                    f"| {'yes' if agree else 'NO'} |",
                    flush=True,
                )


if __name__ == "__main__":
    main()
