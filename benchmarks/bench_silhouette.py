"""pytest-benchmark suite: silhouettes, scores and select_k, by library and shape.

segmint and scikit-learn run on the same data and labels; a warm-up on tiny
data of the same dtype comes first so Numba compilation is never timed. The
file name does not match pytest's ``test_*.py`` pattern, so name it::

    pytest benchmarks/bench_silhouette.py --benchmark-group-by=group
    pytest benchmarks/bench_silhouette.py --run-large     # adds n = 5e4 and 1e6
    pytest benchmarks/bench_silhouette.py --benchmark-disable   # smoke run

``python benchmarks/silhouette_table.py`` prints the side-by-side ratio table.
"""

import numpy as np
import pytest
from sklearn import metrics as skm

from benchmarks.silhouette_table import make_data
from segmint import metrics as sm
from segmint.select import select_k

SILHOUETTE = {
    "segmint": sm.silhouette_samples,
    "sklearn": skm.silhouette_samples,
}
SCORES = {
    ("segmint", "calinski_harabasz"): sm.calinski_harabasz_score,
    ("sklearn", "calinski_harabasz"): skm.calinski_harabasz_score,
    ("segmint", "davies_bouldin"): sm.davies_bouldin_score,
    ("sklearn", "davies_bouldin"): skm.davies_bouldin_score,
}

SIL_SHAPES = [
    pytest.param(5_000, id="n5e3"),
    pytest.param(20_000, id="n2e4"),
    pytest.param(50_000, id="n5e4", marks=pytest.mark.large),
]

_DATA = {}


def _data(n, dtype="float64"):
    key = (n, dtype)
    if key not in _DATA:
        _DATA[key] = make_data(n, dtype=np.dtype(dtype))
    return _DATA[key]


def _warm(dtype):
    X, y = _data(300, dtype)
    sm.silhouette_samples(X, y)
    sm.silhouette_samples(X, y, metric="sqeuclidean")
    sm.calinski_harabasz_score(X, y)
    sm.davies_bouldin_score(X, y)


@pytest.mark.parametrize("metric", ["euclidean", "sqeuclidean"])
@pytest.mark.parametrize("n", SIL_SHAPES)
@pytest.mark.parametrize("library", list(SILHOUETTE))
def test_silhouette_samples(benchmark, library, n, metric):
    X, y = _data(n)
    _warm("float64")
    benchmark.group = f"silhouette {metric} n={n} d=16 k=8"
    benchmark.extra_info.update(library=library, n=n, metric=metric)
    rounds = 1 if library == "sklearn" and n > 10_000 else 3
    out = benchmark.pedantic(
        SILHOUETTE[library],
        args=(X, y),
        kwargs={"metric": metric},
        rounds=rounds,
        iterations=1,
    )
    benchmark.extra_info["mean_silhouette"] = float(np.mean(out))


@pytest.mark.parametrize("name", ["calinski_harabasz", "davies_bouldin"])
@pytest.mark.parametrize("library", ["segmint", "sklearn"])
def test_scores(benchmark, library, name):
    X, y = _data(200_000)
    _warm("float64")
    benchmark.group = f"{name} n=200000 d=16 k=8"
    value = benchmark.pedantic(
        SCORES[(library, name)], args=(X, y), rounds=3, iterations=1
    )
    benchmark.extra_info.update(library=library, value=value)


@pytest.mark.large
def test_silhouette_estimate_1e6(benchmark):
    X, y = _data(1_000_000, "float32")
    _warm("float32")
    sm.silhouette_score_estimate(X[:1000], y[:1000], sample_size=100)
    benchmark.group = "silhouette estimate n=1e6 float32"
    est = benchmark.pedantic(
        sm.silhouette_score_estimate,
        args=(X, y),
        kwargs={"sample_size": 2000, "random_state": 0},
        rounds=1,
        iterations=1,
    )
    benchmark.extra_info.update(value=est.value, std_error=est.std_error)


@pytest.mark.large
def test_select_k_1e6_float32(benchmark):
    """The issue's target: 10^6 x 16 float32, K = 2..12, under a minute."""
    X, _ = _data(1_000_000, "float32")
    select_k(X[:3000], range(2, 4), random_state=0)  # compile
    benchmark.group = "select_k n=1e6 d=16 float32 k=2..12"
    sel = benchmark.pedantic(
        select_k,
        args=(X, range(2, 13)),
        kwargs={"random_state": 0},
        rounds=1,
        iterations=1,
    )
    benchmark.extra_info.update(k=sel.k, sampled=sel.sampled)
