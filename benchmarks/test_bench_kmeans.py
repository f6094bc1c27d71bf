"""pytest-benchmark suites: KMeans.fit and kmeans_plusplus, by library and shape.

Every library in ``registry.COMPARISONS`` runs on the same data from the same
initial centres. A fixed amount of work is timed (``n_init=1``,
``max_iter=MAX_ITER``, ``tol=0``), after a warm-up on tiny data of the same
dtype so that Numba compilation is never timed; the inertia and iteration
count go to ``benchmark.extra_info`` next to the time. Benchmarks of one
shape share a group, so ``pytest-benchmark compare`` lines them up::

    pytest benchmarks/ --benchmark-group-by=group --benchmark-sort=mean
    pytest benchmarks/ --run-large            # adds n = 10^6 shapes

``python benchmarks/compare.py`` turns one run into the segmint/other ratio
table.
"""

import numpy as np
import pytest

from benchmarks.registry import COMPARISONS, REFERENCE, inertia_rtol

MAX_ITER = 20

FIT_SHAPES = [
    pytest.param((100_000, 16, 16), id="n1e5-d16-k16"),
    pytest.param((100_000, 32, 64), id="n1e5-d32-k64"),
    pytest.param((1_000_000, 16, 16), id="n1e6-d16-k16", marks=pytest.mark.large),
    pytest.param((1_000_000, 32, 256), id="n1e6-d32-k256", marks=pytest.mark.large),
]
SEED_SHAPES = [
    pytest.param((100_000, 16, 32), id="n1e5-d16-k32"),
    pytest.param((1_000_000, 16, 256), id="n1e6-d16-k256", marks=pytest.mark.large),
]
DTYPES = ["float32", "float64"]


def _entry(task, name):
    entry = COMPARISONS[task][name]
    reason = entry.unavailable_reason()
    if reason is not None:
        pytest.skip(f"{name}: {reason}")
    return entry


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", FIT_SHAPES)
@pytest.mark.parametrize("name", list(COMPARISONS["kmeans_fit"]))
def test_kmeans_fit(benchmark, blobs, name, shape, dtype):
    entry = _entry("kmeans_fit", name)
    n, d, k = shape
    X, init = blobs(n, d, k, dtype)
    entry.warm_up("kmeans_fit", dtype)
    benchmark.group = f"kmeans_fit n={n} d={d} k={k} {dtype}"
    benchmark.extra_info.update(library=entry.library, n=n, d=d, k=k, dtype=dtype)
    rounds = 3 if n >= 1_000_000 else 5
    result = benchmark.pedantic(
        entry.func, args=(X, init, MAX_ITER, 0.0), rounds=rounds, iterations=1
    )
    benchmark.extra_info.update(inertia=result.inertia, n_iter=result.n_iter)
    assert result.centers.shape == (k, d)
    assert 1 <= result.n_iter <= MAX_ITER


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", SEED_SHAPES)
@pytest.mark.parametrize("name", list(COMPARISONS["kmeans_plusplus"]))
def test_kmeans_plusplus(benchmark, blobs, name, shape, dtype):
    entry = _entry("kmeans_plusplus", name)
    n, d, k = shape
    X, _ = blobs(n, d, k, dtype, "separated")
    entry.warm_up("kmeans_plusplus", dtype)
    benchmark.group = f"kmeans_plusplus n={n} d={d} k={k} {dtype}"
    benchmark.extra_info.update(library=entry.library, n=n, d=d, k=k, dtype=dtype)
    centers, indices = benchmark.pedantic(
        entry.func, args=(X, k, 0), rounds=3, iterations=1
    )
    assert centers.shape == (k, d)
    assert len(np.unique(indices)) == k


@pytest.mark.parametrize("dtype", DTYPES)
def test_registry_fit_entries_agree(blobs, dtype):
    """Not a timing: every available fit entry reaches the reference's inertia
    from the same init (tolerances: ``registry.inertia_rtol``), so the tables
    compare the same computation."""
    X, init = blobs(20_000, 8, 8, dtype)
    fits = COMPARISONS["kmeans_fit"]
    ref = fits[REFERENCE["kmeans_fit"]].func(X, init, MAX_ITER, 0.0)
    checked = 0
    for entry in fits.values():
        if not entry.available():
            continue
        res = entry.func(X, init, MAX_ITER, 0.0)
        assert res.inertia == pytest.approx(
            ref.inertia, rel=inertia_rtol(dtype, entry)
        ), entry.name
        assert res.labels.shape == (X.shape[0],)
        checked += 1
    assert checked >= 2
