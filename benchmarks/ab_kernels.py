"""Two versions of the kernels timed alternately in one process.

Usage::

    git worktree add /tmp/base <commit>
    python benchmarks/ab_kernels.py /tmp/base/src [--what step|tile]
        [--n N] [--moved F] [--unit] d:k:dtype ...

The kernels of the other checkout (``BASE_SRC``, the ``src`` folder of a
worktree) and of this one are loaded side by side, and each cell is timed
with the two versions alternating, so that both see the same moment of a
noisy machine (timings between separate processes here moved by up to a
third with unchanged code). Prints the median of each and ``new/base``.

- ``step``: one incremental plain-Lloyd step (``lloyd_step``) on overlapping
  blobs; before each call 2% of the labels (``--moved``) are moved, so that
  about that share of rows changes cluster, as in a fit's middle
  iterations. Explicit weights of one, or with ``--unit`` the empty array a
  fit without weights passes.
- ``tile``: the register tile alone (``_tile_pass``) on ``--n`` uniform rows,
  one thread (``--n 2048``: X in cache).

Set ``NUMBA_CACHE_DIR`` to a fresh folder after editing kernels: Numba's
cache checks only a function's own file, not the kernels it calls.
"""

from __future__ import annotations

import argparse
import importlib
import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.registry import init_centers, make_blobs  # noqa: E402
from benchmarks.step_times import parse_cell, step_runner  # noqa: E402


def load_from(src: str, module: str):
    """``module`` (of segmint) imported afresh from the ``src`` folder given.

    Every loaded segmint module is dropped first, so that the package is
    imported again from ``src``; modules loaded earlier stay usable through
    the references their callers kept.
    """
    for name in [m for m in sys.modules if m == "segmint" or m.startswith("segmint.")]:
        del sys.modules[name]
    sys.path.insert(0, src)
    try:
        return importlib.import_module(module)
    finally:
        sys.path.remove(src)


def load_assign(src: str):
    """``segmint._kernels.assign`` imported from the ``src`` folder given."""
    return load_from(src, "segmint._kernels.assign")


def _tile_runner(assign, X, centers, repeats):
    from numba import njit

    from segmint._config import CHUNK_SIZE

    ct, half, _ = assign._pad_centers(centers)
    scratch = assign._block_scratch(X)
    rows = np.empty(CHUNK_SIZE, dtype=np.int64)

    @njit(cache=False)
    def sweep(X, ct, half, best, second, labf, xsq, rows, repeats):
        for _ in range(repeats):
            for s in range(0, X.shape[0] - CHUNK_SIZE + 1, CHUNK_SIZE):
                for i in range(CHUNK_SIZE):
                    rows[i] = s + i
                assign._tile_pass(
                    X, rows, CHUNK_SIZE, ct, half, best, second, labf, xsq
                )

    sweep(X, ct, half, *scratch, rows, 1)

    def run() -> float:
        start = time.perf_counter()
        sweep(X, ct, half, *scratch, rows, repeats)
        return (time.perf_counter() - start) / repeats

    return run


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("base_src", help="the src folder of the other checkout")
    parser.add_argument("cells", type=parse_cell, nargs="+")
    parser.add_argument("--what", choices=("step", "tile"), default="step")
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument(
        "--moved", type=float, default=0.02, help="share of rows moved per step"
    )
    parser.add_argument(
        "--unit",
        action="store_true",
        help="unit weights (the empty array, as in a fit without weights)",
    )
    args = parser.parse_args(argv)
    versions = {
        "base": load_assign(str(Path(args.base_src).resolve())),
        "new": load_assign(str(ROOT / "src")),
    }
    if versions["base"].__file__ == versions["new"].__file__:
        parser.error("base_src is this checkout's own src folder")
    for d, k, dtype in args.cells:
        if args.what == "step":
            X, _ = make_blobs(
                args.n, d, k, dtype=dtype, separation="overlapping", seed=0
            )
            centers = init_centers(X, k, 0).astype(dtype)
            runners = {
                name: step_runner(mod, X, centers, args.moved, args.unit, seed=1)
                for name, mod in versions.items()
            }
        else:
            rng = np.random.default_rng(0)
            X = rng.random((args.n, d)).astype(dtype)
            centers = X[:k].copy()
            repeats = max(1, int(1e8 / (args.n * d * k)))
            runners = {
                name: _tile_runner(mod, X, centers, repeats)
                for name, mod in versions.items()
            }
        times = {name: [] for name in runners}
        for _ in range(args.rounds):
            for name, run in runners.items():
                times[name].append(run())
        base = statistics.median(times["base"])
        new = statistics.median(times["new"])
        unit, scale = ("ms", 1e3) if args.what == "step" else ("ns/row", 1e9 / args.n)
        print(
            f"d={d} k={k} {dtype} ({args.what}, n={args.n}): base {base * scale:.3f} "
            f"{unit}, new {new * scale:.3f} {unit}, new/base {new / base:.2f}"
        )


if __name__ == "__main__":
    main()
