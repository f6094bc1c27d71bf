"""Side-by-side table: segmint vs scikit-learn silhouette, ratios from one run.

For each shape, every implementation runs on the same data and labels in the
same process, after a warm-up on tiny data (Numba compilation is never
timed). The table gives wall-clock and CPU seconds (median of ``--repeats``;
CPU time, summed over threads, is robust to other processes sharing the
machine, wall time is not), the ratio sklearn / segmint (10.0x = segmint
takes a tenth of the time), the largest absolute difference between the two
results, and, with ``--memory``, the peak extra resident memory of each call
measured in a fresh child process.

    python benchmarks/silhouette_table.py                # n=5e4 both, n=2e5 segmint
    python benchmarks/silhouette_table.py --quick        # n=1e4 and 5e4
    python benchmarks/silhouette_table.py --memory       # adds peak-memory column
    python benchmarks/silhouette_table.py --sklearn-large  # sklearn at n=2e5 too
    python benchmarks/silhouette_table.py --quick --select-k  # + select_k at 1e6

Shapes: d=16 features, k=8 Gaussian blobs (``make_blobs``, cluster_std=4 so
clusters overlap), float64, euclidean metric unless stated.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import resource
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT / "src") not in sys.path:
    sys.path.insert(0, str(ROOT / "src"))

import numpy as np  # noqa: E402


def make_data(n, d=16, k=8, dtype=np.float64, seed=0):
    from sklearn.datasets import make_blobs

    X, y = make_blobs(
        n_samples=n, n_features=d, centers=k, cluster_std=4.0, random_state=seed
    )
    return np.ascontiguousarray(X, dtype=dtype), y


def _impls():
    from sklearn import metrics as skm

    from segmint import metrics as sm

    return {
        "segmint": lambda X, y: sm.silhouette_samples(X, y),
        "sklearn": lambda X, y: skm.silhouette_samples(X, y),
        "segmint_sqeuclidean": lambda X, y: sm.silhouette_samples(
            X, y, metric="sqeuclidean"
        ),
        "sklearn_sqeuclidean": lambda X, y: skm.silhouette_samples(
            X, y, metric="sqeuclidean"
        ),
        "segmint_estimate": lambda X, y: sm.silhouette_score_estimate(
            X, y, sample_size=2000, random_state=0
        ),
    }


def warm_up():
    X, y = make_data(300)
    for name, f in _impls().items():
        if name.startswith("segmint"):
            f(X, y)
            f(X.astype(np.float32), y)


def timed(f, X, y, repeats):
    walls, cpus, out = [], [], None
    for _ in range(repeats):
        c0, w0 = time.process_time(), time.perf_counter()
        out = f(X, y)
        walls.append(time.perf_counter() - w0)
        cpus.append(time.process_time() - c0)
    return statistics.median(walls), statistics.median(cpus), out


def _peak_child(name, n, conn):
    X, y = make_data(n)
    f = _impls()[name]
    if name.startswith("segmint"):
        warm_up()
    before = _high_water_kib()
    f(X, y)
    conn.send((_high_water_kib() - before) / 1024.0)
    conn.close()


def _high_water_kib():
    """Peak resident memory of this process image, in KiB (Linux).

    ``VmHWM`` rather than ``getrusage().ru_maxrss``: the latter carries the
    parent's peak over into a freshly started child, which would hide the
    child's own peak whenever the parent has already used more.
    """
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def peak_extra_mib(name, n):
    ctx = mp.get_context("spawn")
    parent, child = ctx.Pipe(duplex=False)
    p = ctx.Process(target=_peak_child, args=(name, n, child))
    p.start()
    value = parent.recv()
    p.join()
    return value


def row(label, n, ours, theirs, diff, mem_ours=None, mem_theirs=None):
    fmt = "{:<22} {:>8} {:>10} {:>10} {:>10} {:>10} {:>8} {:>8} {:>10}"
    wall_ratio = f"{theirs[0] / ours[0]:.1f}x" if theirs else "-"
    cpu_ratio = f"{theirs[1] / ours[1]:.1f}x" if theirs else "-"
    mem = ""
    if mem_ours is not None:
        mem = f"{mem_ours:.0f}/" + (
            f"{mem_theirs:.0f}" if mem_theirs is not None else "-"
        )
    print(
        fmt.format(
            label,
            f"{n:.0e}".replace("+0", ""),
            f"{ours[0]:.3f}",
            f"{ours[1]:.3f}",
            f"{theirs[0]:.3f}" if theirs else "-",
            f"{theirs[1]:.3f}" if theirs else "-",
            wall_ratio,
            cpu_ratio,
            f"{diff:.1e}" if diff is not None else "-",
        )
        + (f"  {mem}" if mem else "")
    )


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="n=1e4 and 5e4 only")
    parser.add_argument("--repeats", type=int, default=3, help="segmint repeats")
    parser.add_argument(
        "--sklearn-repeats", type=int, default=1, help="scikit-learn repeats"
    )
    parser.add_argument("--memory", action="store_true", help="peak memory column")
    parser.add_argument(
        "--sklearn-large", action="store_true", help="run scikit-learn at n=2e5"
    )
    parser.add_argument(
        "--select-k",
        action="store_true",
        help="also time select_k on 1e6 x 16 float32, K = 2..12",
    )
    args = parser.parse_args(argv)

    import numba
    import sklearn

    warm_up()
    print(
        f"segmint silhouette vs scikit-learn {sklearn.__version__}; "
        f"{os.cpu_count()} CPUs, numba threads={numba.get_num_threads()}, "
        f"load average {os.getloadavg()[0]:.1f}"
    )
    print(
        "times in seconds (median); ratio = sklearn / segmint; "
        "diff = max |segmint - sklearn|; d=16, k=8, float64"
    )
    header = "{:<22} {:>8} {:>10} {:>10} {:>10} {:>10} {:>8} {:>8} {:>10}".format(
        "metric", "n", "seg wall", "seg cpu", "skl wall", "skl cpu", "wall x",
        "cpu x", "diff",
    )  # fmt: skip
    if args.memory:
        header += "  peak MiB seg/skl"
    print(header)
    impls = _impls()
    sizes = [10_000, 50_000] if args.quick else [50_000, 200_000]
    for n in sizes:
        X, y = make_data(n)
        compare = n <= 50_000 or args.sklearn_large
        for metric, ours_name, theirs_name in (
            ("euclidean", "segmint", "sklearn"),
            ("sqeuclidean", "segmint_sqeuclidean", "sklearn_sqeuclidean"),
        ):
            ours = timed(impls[ours_name], X, y, args.repeats)
            theirs = (
                timed(impls[theirs_name], X, y, args.sklearn_repeats)
                if compare
                else None
            )
            diff = float(np.max(np.abs(ours[2] - theirs[2]))) if theirs else None
            mem_o = mem_t = None
            if args.memory:
                mem_o = peak_extra_mib(ours_name, n)
                mem_t = peak_extra_mib(theirs_name, n) if compare else None
            row(metric, n, ours, theirs, diff, mem_o, mem_t)
        sys.stdout.flush()
    # beyond scikit-learn's reach in reasonable time: closed form and estimate
    X, y = make_data(1_000_000, dtype=np.float32)
    exact_sq = timed(impls["segmint_sqeuclidean"], X, y, args.repeats)
    row("sqeuclidean f32", 1_000_000, exact_sq, None, None)
    est = timed(impls["segmint_estimate"], X, y, 1)
    row("estimate m=2000 f32", 1_000_000, est, None, None)
    print(f"  estimate: {est[2]}")
    if args.select_k:
        from segmint.select import select_k

        select_k(X[:3000], range(2, 4), random_state=0)  # compile
        sel = timed(lambda X, y: select_k(X, range(2, 13), random_state=0), X, y, 1)
        row("select_k K=2..12 f32", 1_000_000, sel, None, None)
        print(sel[2].table.to_string())
        print(sel[2])
        for note in sel[2].notes:
            print(" ", note)


if __name__ == "__main__":
    main()
