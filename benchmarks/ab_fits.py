"""Whole fits of two versions of segmint timed alternately in one process.

Usage::

    git worktree add /tmp/base <commit>
    python benchmarks/ab_fits.py /tmp/base/src [--n N] [--rounds R]
        [--algorithm A] [--max-iter M] [--data overlapping|separated|both]
        d:k:dtype ...

``ab_kernels.py`` times one kernel; this times what a user runs:
``KMeans(...).fit`` of the other checkout (``BASE_SRC``, the ``src`` folder
of a worktree) and of this one, alternating, from the same initial centres
(``init_centers``, seed 0) with ``tol=0`` and ``max_iter`` iterations, so
that both see the same moment of a noisy machine. Changes to the
estimator's loop (which steps are full or incremental, say) show here and
not in a kernel's timing. Prints per cell the median of the Lloyd steps
alone (``history_.time_s``, as ``compare.py``'s "step ms/it"), of the
whole fit, and ``new/base`` of each; and whether the two fits ended with
the same number of iterations and inertia.

Set ``NUMBA_CACHE_DIR`` to a fresh folder after editing kernels.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.ab_kernels import load_from  # noqa: E402
from benchmarks.registry import init_centers, make_blobs  # noqa: E402
from benchmarks.step_times import parse_cell  # noqa: E402


def load_kmeans(src: str):
    """``segmint.KMeans`` imported from the ``src`` folder given."""
    return load_from(src, "segmint").KMeans


def _fit(KMeans, X, init, algorithm, max_iter):
    """Seconds of one fit from ``init`` with ``tol=0``, and the model."""
    model = KMeans(
        init.shape[0],
        init=init,
        n_init=1,
        max_iter=max_iter,
        tol=0.0,
        algorithm=algorithm,
    )
    start = time.perf_counter()
    model.fit(X)
    return time.perf_counter() - start, model


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("base_src", help="the src folder of the other checkout")
    parser.add_argument("cells", type=parse_cell, nargs="+")
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--algorithm", default="lloyd")
    parser.add_argument("--max-iter", type=int, default=20)
    parser.add_argument(
        "--data", choices=("overlapping", "separated", "both"), default="both"
    )
    args = parser.parse_args(argv)
    base_src = Path(args.base_src).resolve()
    if base_src == (ROOT / "src").resolve():
        parser.error("base_src is this checkout's own src folder")
    versions = {
        "base": load_kmeans(str(base_src)),
        "new": load_kmeans(str(ROOT / "src")),
    }
    kinds = ("overlapping", "separated") if args.data == "both" else (args.data,)
    for d, k, dtype in args.cells:
        for separation in kinds:
            X, _ = make_blobs(args.n, d, k, dtype=dtype, separation=separation, seed=0)
            init = init_centers(X, k, 0).astype(dtype)

            def fit(KMeans, X=X, init=init):
                return _fit(KMeans, X, init, args.algorithm, args.max_iter)

            for KMeans in versions.values():
                fit(KMeans)  # compiles, outside the timing
            steps = {name: [] for name in versions}
            whole = {name: [] for name in versions}
            last = {}
            for _ in range(args.rounds):
                for name, KMeans in versions.items():
                    seconds, model = fit(KMeans)
                    whole[name].append(seconds)
                    steps[name].append(sum(model.history_.time_s))
                    last[name] = (model.n_iter_, model.inertia_)
            med = {
                what: {name: statistics.median(t) for name, t in times.items()}
                for what, times in (("steps", steps), ("fit", whole))
            }
            same = last["base"] == last["new"]
            print(
                f"d={d} k={k} {dtype} {separation[:3]} (n={args.n}, "
                f"{args.algorithm}): steps base {1e3 * med['steps']['base']:.1f} ms, "
                f"new {1e3 * med['steps']['new']:.1f} ms, "
                f"new/base {med['steps']['new'] / med['steps']['base']:.2f}; "
                f"fit new/base {med['fit']['new'] / med['fit']['base']:.2f}; "
                f"same iterations and inertia: {'yes' if same else 'no'} "
                f"({last['base'][0]} / {last['new'][0]} iterations)"
            )


if __name__ == "__main__":
    main()
