"""segmint vs scikit-learn MiniBatchKMeans, side by side in one run.

Usage::

    python benchmarks/bench_minibatch.py                      # n=1e6, d=16, k=16
    python benchmarks/bench_minibatch.py --n 200000 --repeats 3 --dtypes float32

Both estimators run with their default parameters (``batch_size=1024``,
``max_iter=100``, early stopping on the smoothed batch inertia, k-means++ on
``init_size`` rows, labels computed at the end) on the same Gaussian blobs,
with repeat ``r`` using ``random_state=r`` for both, interleaved so that load
from other processes hits both alike. Compilation is not timed (segmint is
first fitted on tiny data of each dtype). The whole-data inertia of both
results is computed by the same function (float64 sums) and compared as
medians over the repeats. Reported: median fit time (wall clock) and
process CPU time, speed-ups (sklearn / segmint), median steps, and inertia
ratio (segmint / sklearn: below 1.00 means segmint's centres are better). CPU
time is the fairer measure when other processes share the cores: wall time
then depends on how the scheduler treats each library's threads.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.machine import reexec_without_blas_overrides  # noqa: E402

if __name__ == "__main__":
    reexec_without_blas_overrides(keep_blas_env="--keep-blas-env" in sys.argv)

import argparse  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

from benchmarks import registry  # noqa: E402


def whole_inertia(X, centers):
    """Inertia of all rows against ``centers`` (segmint's exact E-step)."""
    from segmint.kmeans import _labels_inertia

    centers = np.ascontiguousarray(centers, dtype=X.dtype)
    return _labels_inertia(X, np.ones(X.shape[0], dtype=X.dtype), centers)[1]


def fit_segmint(X, k, seed):
    from segmint import MiniBatchKMeans

    return MiniBatchKMeans(n_clusters=k, random_state=seed).fit(X)


#: OpenMP threads for scikit-learn (None: its default, all cores).
SKLEARN_THREADS = None


def fit_sklearn(X, k, seed):
    from sklearn.cluster import MiniBatchKMeans
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=SKLEARN_THREADS, user_api="openmp"):
        return MiniBatchKMeans(n_clusters=k, random_state=seed).fit(X)


LIBRARIES = {"segmint": fit_segmint, "sklearn": fit_sklearn}


def run(n, d, k, dtypes, repeats, separation, kmeans):
    rows = []
    for dtype in dtypes:
        X_small, _ = registry.make_blobs(2000, d, k, dtype=dtype, seed=1)
        fit_segmint(X_small, k, 0)  # compile for this dtype
        X, _ = registry.make_blobs(n, d, k, dtype=dtype, separation=separation)
        times = {name: [] for name in LIBRARIES}
        cpu = {name: [] for name in LIBRARIES}
        inertias = {name: [] for name in LIBRARIES}
        steps = {name: [] for name in LIBRARIES}
        for r in range(repeats):
            for name, fit in LIBRARIES.items():
                t0, c0 = time.perf_counter(), time.process_time()
                est = fit(X, k, r)
                times[name].append(time.perf_counter() - t0)
                cpu[name].append(time.process_time() - c0)
                inertias[name].append(whole_inertia(X, est.cluster_centers_))
                steps[name].append(est.n_steps_)
                print(
                    f"  {dtype} repeat {r} {name:8s} {times[name][-1]:8.3f} s "
                    f"(cpu {cpu[name][-1]:7.3f} s) "
                    f"steps {est.n_steps_:6d} inertia {inertias[name][-1]:.6e}",
                    flush=True,
                )
        row = {
            "n": n,
            "d": d,
            "k": k,
            "dtype": dtype,
            "repeats": repeats,
            **{f"{lib}_s": statistics.median(times[lib]) for lib in LIBRARIES},
            **{f"{lib}_cpu_s": statistics.median(cpu[lib]) for lib in LIBRARIES},
            **{f"{lib}_steps": statistics.median(steps[lib]) for lib in LIBRARIES},
            **{f"{lib}_inertia": statistics.median(inertias[lib]) for lib in LIBRARIES},
            "times": times,
            "inertias": inertias,
        }
        if kmeans:
            from segmint import KMeans

            t0 = time.perf_counter()
            km = KMeans(n_clusters=k, random_state=0).fit(X)
            row["kmeans_s"] = time.perf_counter() - t0
            row["kmeans_inertia"] = float(km.inertia_)
        rows.append(row)
        del X
    return rows


def table(rows):
    head = (
        "| dtype | segmint s | sklearn s | speed-up | CPU s seg / skl | CPU speed-up "
        "| steps seg/skl | inertia seg/skl |"
    )
    lines = [head, "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        lines.append(
            f"| {r['dtype']} | {r['segmint_s']:.3f} | {r['sklearn_s']:.2f} "
            f"| {r['sklearn_s'] / r['segmint_s']:.1f}x "
            f"| {r['segmint_cpu_s']:.2f} / {r['sklearn_cpu_s']:.2f} "
            f"| {r['sklearn_cpu_s'] / r['segmint_cpu_s']:.1f}x "
            f"| {r['segmint_steps']:.0f} / {r['sklearn_steps']:.0f} "
            f"| {r['segmint_inertia'] / r['sklearn_inertia']:.4f} |"
        )
    if any("kmeans_inertia" in r for r in rows):
        lines.append("")
        lines.append("| dtype | KMeans s | mini-batch inertia / KMeans (seg, skl) |")
        lines.append("|---|---:|---:|")
        for r in rows:
            lines.append(
                f"| {r['dtype']} | {r['kmeans_s']:.2f} "
                f"| {r['segmint_inertia'] / r['kmeans_inertia']:.4f}, "
                f"{r['sklearn_inertia'] / r['kmeans_inertia']:.4f} |"
            )
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--d", type=int, default=16)
    parser.add_argument("--k", type=int, default=16)
    parser.add_argument("--dtypes", nargs="+", default=["float32", "float64"])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument(
        "--separation", choices=["separated", "overlapping"], default="overlapping"
    )
    parser.add_argument(
        "--kmeans", action="store_true", help="also fit segmint's full KMeans"
    )
    parser.add_argument(
        "--sklearn-threads",
        type=int,
        default=None,
        help="OpenMP threads for scikit-learn (default: all). On a busy machine "
        "1 is much faster for it: its 1024-row steps then never wait for a "
        "descheduled thread.",
    )
    parser.add_argument("--json", type=Path, help="write the rows here")
    parser.add_argument("--keep-blas-env", action="store_true")
    args = parser.parse_args(argv)
    global SKLEARN_THREADS
    SKLEARN_THREADS = args.sklearn_threads
    print(
        f"MiniBatchKMeans n={args.n} d={args.d} k={args.k} "
        f"{args.separation} blobs, {args.repeats} repeats, cpus={os.cpu_count()}, "
        f"load average {os.getloadavg()[0]:.1f}, sklearn OpenMP threads "
        f"{args.sklearn_threads or 'default'}"
    )
    rows = run(
        args.n, args.d, args.k, args.dtypes, args.repeats, args.separation, args.kmeans
    )
    print(table(rows))
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
