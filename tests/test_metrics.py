"""segmint.metrics against sklearn.metrics on the same inputs.

Tolerances: float64 silhouettes must equal scikit-learn's within 1e-10
(absolute; scikit-learn computes distances through ||x||^2 - 2x.y + ||y||^2,
segmint directly, so they differ by rounding only). float32 silhouettes are
compared at 1e-5: scikit-learn accumulates float32 distance sums in float32,
segmint in float64. Calinski-Harabasz at rel 1e-10 (same sums, different
order). Davies-Bouldin at rel 1e-8: scikit-learn's expanded-form distance of a
point close to its centroid carries ~1e-8 relative error.
"""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from sklearn import metrics as skm
from sklearn.cluster import KMeans as SKKMeans
from sklearn.datasets import make_blobs
from sklearn.utils._param_validation import InvalidParameterError

from segmint import metrics

SIL_ATOL = 1e-10


@pytest.fixture
def blobs(global_random_seed):
    X, y = make_blobs(
        n_samples=600, centers=5, n_features=6, random_state=global_random_seed
    )
    return X, y


@pytest.mark.parametrize("metric", ["euclidean", "sqeuclidean"])
def test_silhouette_samples_matches_sklearn(blobs, metric):
    X, y = blobs
    got = metrics.silhouette_samples(X, y, metric=metric)
    np.testing.assert_allclose(
        got, skm.silhouette_samples(X, y, metric=metric), rtol=0, atol=SIL_ATOL
    )
    assert got.dtype == np.float64


def test_silhouette_samples_random_labels_and_offset(rng):
    # overlapping clusters (negative silhouettes) and a large offset, which
    # stresses scikit-learn's expanded-form distances more than segmint's
    X = rng.normal(size=(900, 16)) + 10.0
    y = rng.integers(0, 8, 900)
    got = metrics.silhouette_samples(X, y)
    np.testing.assert_allclose(got, skm.silhouette_samples(X, y), rtol=0, atol=SIL_ATOL)
    assert (got < 0).any()


def test_silhouette_singleton_cluster_scores_zero(blobs):
    X, y = blobs
    y = y.copy()
    y[17] = 99  # a cluster of one
    got = metrics.silhouette_samples(X, y)
    assert got[17] == 0.0
    np.testing.assert_allclose(got, skm.silhouette_samples(X, y), rtol=0, atol=SIL_ATOL)


def test_silhouette_string_labels_and_duplicate_rows():
    X = np.array([[0.0, 0.0], [0.0, 0.0], [0.0, 0.0], [5.0, 5.0], [5.0, 6.0]])
    y = np.array(["a", "a", "b", "b", "b"])
    np.testing.assert_allclose(
        metrics.silhouette_samples(X, y),
        skm.silhouette_samples(X, y),
        rtol=0,
        atol=SIL_ATOL,
    )


def test_silhouette_hand_computed():
    # a = 1 (the neighbour 1 unit away), b = mean(4, sqrt(17)) for every row
    X = np.array([[0.0, 0.0], [0.0, 1.0], [4.0, 0.0], [4.0, 1.0]])
    b = (4.0 + np.sqrt(17.0)) / 2.0
    expected = (b - 1.0) / b
    np.testing.assert_allclose(
        metrics.silhouette_samples(X, [0, 0, 1, 1]), expected, rtol=1e-15
    )


def test_silhouette_float32(blobs):
    X, y = blobs
    X32 = X.astype(np.float32)
    got = metrics.silhouette_samples(X32, y)
    assert got.dtype == np.float32
    np.testing.assert_allclose(got, skm.silhouette_samples(X32, y), atol=1e-5)
    np.testing.assert_allclose(got, metrics.silhouette_samples(X, y), atol=1e-5)


def test_silhouette_score_matches_sklearn_with_sample(blobs, global_random_seed):
    X, y = blobs
    assert metrics.silhouette_score(X, y) == pytest.approx(
        skm.silhouette_score(X, y), abs=SIL_ATOL
    )
    # same random_state -> same subset as scikit-learn
    kw = {"sample_size": 150, "random_state": global_random_seed}
    assert metrics.silhouette_score(X, y, **kw) == pytest.approx(
        skm.silhouette_score(X, y, **kw), abs=SIL_ATOL
    )
    assert isinstance(metrics.silhouette_score(X, y), float)


def test_other_metrics_are_passed_to_sklearn(blobs):
    X, y = blobs
    np.testing.assert_allclose(
        metrics.silhouette_samples(X, y, metric="manhattan"),
        skm.silhouette_samples(X, y, metric="manhattan"),
    )


def _same_error(func_ours, func_sklearn, *args, **kwargs):
    with pytest.raises(Exception) as theirs:
        func_sklearn(*args, **kwargs)
    with pytest.raises(type(theirs.value), match=_escape(str(theirs.value))):
        func_ours(*args, **kwargs)


def _escape(msg):
    import re

    return re.escape(msg)


@pytest.mark.parametrize(
    "name",
    [
        "silhouette_samples",
        "silhouette_score",
        "calinski_harabasz_score",
        "davies_bouldin_score",
    ],
)
@pytest.mark.parametrize("case", ["one_label", "all_distinct", "length", "nan"])
def test_errors_match_sklearn(name, case):
    X = np.arange(20, dtype=float).reshape(10, 2)
    y = np.array([0, 1] * 5)
    if case == "one_label":
        y = np.zeros(10)
    elif case == "all_distinct":
        y = np.arange(10)
    elif case == "length":
        y = y[:-1]
    else:
        X[3, 1] = np.nan
    _same_error(getattr(metrics, name), getattr(skm, name), X, y)


def test_invalid_parameters_match_sklearn():
    X = np.arange(20, dtype=float).reshape(10, 2)
    y = np.array([0, 1] * 5)
    # the message lists a set, whose order varies between processes
    pattern = r"The 'metric' parameter of silhouette_score must be a str among .* Got 'nope' instead"
    for func in (metrics.silhouette_score, skm.silhouette_score):
        with pytest.raises(InvalidParameterError, match=pattern):
            func(X, y, metric="nope")
    _same_error(metrics.silhouette_score, skm.silhouette_score, X, y, sample_size=0)


def test_calinski_harabasz_matches_sklearn(blobs):
    X, y = blobs
    assert metrics.calinski_harabasz_score(X, y) == pytest.approx(
        skm.calinski_harabasz_score(X, y), rel=1e-10
    )
    X32 = X.astype(np.float32)
    assert metrics.calinski_harabasz_score(X32, y) == pytest.approx(
        skm.calinski_harabasz_score(X32, y), rel=1e-5
    )


def test_davies_bouldin_matches_sklearn(blobs):
    X, y = blobs
    assert metrics.davies_bouldin_score(X, y) == pytest.approx(
        skm.davies_bouldin_score(X, y), rel=1e-8
    )


def test_degenerate_scores_match_sklearn():
    # every cluster a single repeated point: no within-cluster dispersion
    X = np.array([[1.0, 2.0]] * 3 + [[4.0, 0.0]] * 3)
    y = [0, 0, 0, 1, 1, 1]
    assert metrics.calinski_harabasz_score(X, y) == skm.calinski_harabasz_score(X, y)
    assert metrics.davies_bouldin_score(X, y) == skm.davies_bouldin_score(X, y)
    # identical centroids: Davies-Bouldin is 0 by convention
    X = np.array([[0.0], [2.0], [1.0], [1.0]])
    y = [0, 0, 1, 1]
    assert metrics.davies_bouldin_score(X, y) == skm.davies_bouldin_score(X, y)


def test_davies_bouldin_hand_computed():
    X = [[0, 1], [1, 1], [3, 4]]
    # s0 = 0.5, s1 = 0, d = dist((0.5, 1), (3, 4)) = sqrt(15.25)
    expected = 0.5 / np.sqrt(15.25)
    assert metrics.davies_bouldin_score(X, [0, 0, 1]) == pytest.approx(
        expected, rel=1e-14
    )


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_inertia_matches_kmeans(blobs, dtype, global_random_seed):
    X, _ = blobs
    X = X.astype(dtype)
    w = np.random.default_rng(global_random_seed).uniform(0.5, 2.0, len(X))
    km = SKKMeans(4, n_init=1, random_state=global_random_seed).fit(X, sample_weight=w)
    # KMeans reports the inertia of its final labels against its centres
    rel = 1e-10 if dtype == np.float64 else 1e-5
    assert metrics.inertia(X, km.labels_, km.cluster_centers_, w) == pytest.approx(
        km.inertia_, rel=rel
    )


def test_inertia_hand_computed():
    X = np.array([[0.0, 0.0], [0.0, 1.0], [4.0, 0.0], [4.0, 1.0]])
    centers = [[0.0, 0.5], [4.0, 0.5]]
    assert metrics.inertia(X, [0, 0, 1, 1], centers) == 1.0
    assert metrics.inertia(X, [0, 0, 1, 1], centers, [1, 1, 1, 3]) == 1.5


def test_inertia_errors():
    X = np.zeros((4, 2))
    with pytest.raises(ValueError, match=r"labels must lie in \[0, 1\]"):
        metrics.inertia(X, [0, 1, 2, 0], np.zeros((2, 2)))
    with pytest.raises(ValueError, match="centers has 3 features but X has 2"):
        metrics.inertia(X, [0, 1, 1, 0], np.zeros((2, 3)))
    with pytest.raises(ValueError, match="labels must be integer indices"):
        metrics.inertia(X, [0.5, 1, 1, 0], np.zeros((2, 2)))
    with pytest.raises(ValueError, match=r"sample_weight\.shape == "):
        metrics.inertia(X, [0, 1, 1, 0], np.zeros((2, 2)), np.ones(3))


# --- sampled estimate ---------------------------------------------------------


def test_estimate_interval_covers_exact_value(global_random_seed):
    X, y = make_blobs(
        n_samples=4000, centers=4, cluster_std=3.0, random_state=global_random_seed
    )
    exact = metrics.silhouette_score(X, y)
    est = metrics.silhouette_score_estimate(
        X, y, sample_size=400, random_state=global_random_seed
    )
    assert not est.exact
    # a 99.9% interval: the test fails for a broken estimator, almost never
    # by chance
    wide = metrics.silhouette_score_estimate(
        X, y, sample_size=400, confidence=0.999, random_state=global_random_seed
    )
    assert wide.ci_low <= exact <= wide.ci_high
    assert abs(est.value - exact) < 0.05
    assert 0 < est.std_error < 0.05
    assert est.ci_low < est.value < est.ci_high
    assert 390 <= est.sample_size <= 410


def test_estimate_scores_rows_against_all_rows():
    # with every row drawn the estimate is the exact silhouette
    X, y = make_blobs(n_samples=300, centers=3, random_state=0)
    est = metrics.silhouette_score_estimate(X, y, sample_size=300)
    assert est.exact and est.ci_low == est.ci_high == est.value
    assert est.value == pytest.approx(skm.silhouette_score(X, y), abs=SIL_ATOL)
    # 299 of 300 rows, each scored exactly: the estimate is within 0.02
    est = metrics.silhouette_score_estimate(X, y, sample_size=299, random_state=0)
    assert est.value == pytest.approx(skm.silhouette_score(X, y), abs=0.02)


def test_estimate_stratifies_small_clusters():
    rng = np.random.default_rng(0)
    X = np.vstack([rng.normal(0, 1, (2000, 2)), rng.normal(9, 1, (5, 2))])
    y = np.r_[np.zeros(2000, int), np.ones(5, int)]
    est = metrics.silhouette_score_estimate(X, y, sample_size=50, random_state=0)
    # the 5-row cluster gets at least 2 rows: the estimate weights it by 5/2005
    exact = skm.silhouette_score(X, y)
    assert est.ci_low <= exact <= est.ci_high or abs(est.value - exact) < 0.01
    assert "stratified" in str(est)


def test_estimate_sqeuclidean_is_exact():
    X, y = make_blobs(n_samples=500, centers=3, random_state=1)
    est = metrics.silhouette_score_estimate(X, y, metric="sqeuclidean")
    assert est.exact
    assert float(est) == pytest.approx(
        skm.silhouette_score(X, y, metric="sqeuclidean"), abs=SIL_ATOL
    )


def test_estimate_rejects_bad_confidence():
    X, y = make_blobs(n_samples=50, centers=2, random_state=1)
    with pytest.raises(InvalidParameterError, match="'confidence' parameter"):
        metrics.silhouette_score_estimate(X, y, confidence=1.5)


# --- properties ---------------------------------------------------------------

_points = st.integers(4, 40).flatmap(
    lambda n: st.tuples(
        arrays(
            np.float64,
            (n, 3),
            elements=st.floats(-100, 100, allow_nan=False, allow_subnormal=False),
        ),
        arrays(np.int64, n, elements=st.integers(0, 3)),
        st.randoms(use_true_random=False),
    )
)


def _naive_silhouette(X, y):
    D = np.sqrt(((X[:, None, :] - X[None, :, :]) ** 2).sum(axis=2))
    out = np.zeros(len(y))
    for i in range(len(y)):
        same = y == y[i]
        if same.sum() == 1:
            continue
        a = D[i, same].sum() / (same.sum() - 1)
        b = min(D[i, y == c].mean() for c in np.unique(y) if c != y[i])
        out[i] = 0.0 if max(a, b) == 0 else (b - a) / max(a, b)
    return out


@settings(max_examples=25, deadline=None)
@given(_points)
def test_silhouette_properties(case):
    X, y, rnd = case
    n_labels = np.unique(y).shape[0]
    if not 1 < n_labels < len(y):
        with pytest.raises(ValueError, match="Number of labels is"):
            metrics.silhouette_samples(X, y)
        return
    s = metrics.silhouette_samples(X, y)
    assert np.all((s >= -1.0) & (s <= 1.0))
    # against the definition with direct differences (not scikit-learn:
    # its expanded-form distances between near-duplicates that hypothesis
    # likes to generate can be off by ~1e-8)
    np.testing.assert_allclose(s, _naive_silhouette(X, y), atol=1e-12)
    # relabelling clusters does not change anything
    perm = np.array(rnd.sample(range(10, 14), 4))
    np.testing.assert_allclose(metrics.silhouette_samples(X, perm[y]), s, atol=1e-12)
    # permuting rows permutes the result
    rows = np.array(rnd.sample(range(len(y)), len(y)))
    np.testing.assert_allclose(
        metrics.silhouette_samples(X[rows], y[rows]), s[rows], atol=1e-12
    )
    sq = metrics.silhouette_samples(X, y, metric="sqeuclidean")
    assert np.all((sq >= -1.0) & (sq <= 1.0))


# --- real data ----------------------------------------------------------------


def test_real_data_matches_sklearn(shared_data):
    # Franti's A1 set (3000 points, 20 clusters, ground-truth labels) and the
    # raw UCI wholesale spend columns: un-centred data with norms up to 1e5,
    # where the expanded-form distances are least accurate
    import pandas as pd

    X = np.loadtxt(shared_data / "sipu" / "a1.data.gz")
    y = np.loadtxt(shared_data / "sipu" / "a1.labels0.gz", dtype=int)
    for metric in ("euclidean", "sqeuclidean"):
        np.testing.assert_allclose(
            metrics.silhouette_samples(X, y, metric=metric),
            skm.silhouette_samples(X, y, metric=metric),
            rtol=0,
            atol=SIL_ATOL,
        )
    assert metrics.calinski_harabasz_score(X, y) == pytest.approx(
        skm.calinski_harabasz_score(X, y), rel=1e-10
    )
    assert metrics.davies_bouldin_score(X, y) == pytest.approx(
        skm.davies_bouldin_score(X, y), rel=1e-8
    )

    W = pd.read_csv(shared_data / "wholesale_customers" / "wholesale_customers.csv")
    X = W.iloc[:, 2:].to_numpy(dtype=float)
    y = SKKMeans(5, n_init=1, random_state=0).fit_predict(X)
    np.testing.assert_allclose(
        metrics.silhouette_samples(X, y), skm.silhouette_samples(X, y), atol=SIL_ATOL
    )
