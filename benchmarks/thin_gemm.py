"""The limit's FLOP rate against the product ``X @ C.T`` at each cell's shape.

Usage::

    python benchmarks/thin_gemm.py [--n N] [--d 2,8,32,128] [--k 8,64,256]
        [--dtypes float32,float64] [--repeats R]

The machine limit of ``compare.py`` divides a cell's ``2·n·k·d`` FLOPs by
the rate of a large, square matrix multiply. A K-means step multiplies a
tall, thin X (d features) by a short C (k centres), where no BLAS reaches
that rate: the product is too thin to reuse what it loads. For each cell
this script times, in one process, NumPy's ``np.matmul(X, C.T,
out=...)`` (the product alone: no argmin, no sums) and one incremental
plain-Lloyd step of segmint (0.5% of rows moved, unit weights, as in a
fit's middle iterations), and prints both against the limit and against
each other. Overlapping blobs and centres as in ``compare.py``. The product's
repeats run first, then the steps' (OpenBLAS's threads keep spinning for a
while after a call, and would share the cores with the steps).
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

# OpenBLAS reads its overrides when NumPy loads it: remove them first, as
# compare.py does, so that the product runs on every core.
from benchmarks.machine import reexec_without_blas_overrides  # noqa: E402

if __name__ == "__main__":
    reexec_without_blas_overrides()

import argparse  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

from benchmarks import machine  # noqa: E402
from benchmarks.registry import init_centers, make_blobs  # noqa: E402
from benchmarks.step_times import step_runner  # noqa: E402
from segmint._kernels import assign  # noqa: E402


def _ints(text: str) -> list[int]:
    return [int(float(v)) for v in text.split(",")]


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=lambda v: int(float(v)), default=1_000_000)
    parser.add_argument("--d", type=_ints, default=[2, 8, 32, 128])
    parser.add_argument("--k", type=_ints, default=[8, 64, 256])
    parser.add_argument("--dtypes", default="float32,float64")
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args(argv)
    limits = machine.best_known(machine.measure(quick=True), machine.BEST_KNOWN)
    print(limits.describe())
    print()
    print(
        "| cell | limit ms | X @ C.T ms | product / limit | segmint step ms "
        "| step / limit | step / product |"
    )
    print("|---|---|---|---|---|---|---|")
    for d in args.d:
        for k in args.k:
            for dtype in args.dtypes.split(","):
                X, _ = make_blobs(
                    args.n, d, k, dtype=dtype, separation="overlapping", seed=0
                )
                centers = init_centers(X, k, 0).astype(dtype)
                ct = np.ascontiguousarray(centers.T)
                out = np.empty((args.n, k), dtype=dtype)
                step = step_runner(assign, X, centers, 0.005, True, seed=1)
                np.matmul(X, ct, out=out)
                products = []
                for _ in range(args.repeats):
                    start = time.perf_counter()
                    np.matmul(X, ct, out=out)
                    products.append(time.perf_counter() - start)
                # OpenBLAS's threads spin for a while after a call: let them
                # stop before timing the steps, which would share the cores.
                time.sleep(0.2)
                steps = [step() for _ in range(args.repeats)]
                limit = limits.limit_seconds(args.n, d, k, dtype)
                product = statistics.median(products)
                one_step = statistics.median(steps)
                print(
                    f"| n={args.n:.0e} d={d} k={k} {dtype} | {1e3 * limit:.3g} "
                    f"| {1e3 * product:.3g} | {product / limit:.2f}x "
                    f"| {1e3 * one_step:.3g} | {one_step / limit:.2f}x "
                    f"| {one_step / product:.2f}x |"
                )
                del out


if __name__ == "__main__":
    main()
