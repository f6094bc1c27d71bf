"""segmint.KMeans against scikit-learn on the same inputs and init.

Tolerances:
- float64: identical labels and n_iter_; centres and inertia within 1e-9
  relative (both libraries sum the same terms, in different orders).
- float32: identical labels and n_iter_ on well-separated data; centres
  within 1e-5 relative to the data scale and inertia within 1e-5 relative.
  segmint accumulates per-cluster sums and the inertia in float64 while
  scikit-learn accumulates in float32, so scikit-learn's own error (about
  n_per_cluster * 6e-8 relative in the worst case) dominates the difference.
"""

import re

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.base import clone
from sklearn.cluster import KMeans as SKKMeans
from sklearn.cluster import k_means as sk_k_means
from sklearn.datasets import make_blobs
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from segmint import KMeans, k_means
from tests import naive


def _blobs(n, d, k, seed, dtype=np.float64, std=1.0):
    X, _ = make_blobs(
        n_samples=n,
        n_features=d,
        centers=max(k, 1),
        cluster_std=std,
        random_state=seed,
    )
    return X.astype(dtype)


def _pair(X, **params):
    ours = KMeans(**params).fit(X)
    theirs = SKKMeans(**params).fit(X)
    return ours, theirs


def _assert_same_fit(ours, theirs, dtype):
    assert_array_equal(ours.labels_, theirs.labels_)
    assert ours.n_iter_ == theirs.n_iter_
    assert ours.cluster_centers_.dtype == dtype
    if dtype == np.float64:
        assert_allclose(
            ours.cluster_centers_, theirs.cluster_centers_, rtol=1e-9, atol=1e-12
        )
        assert_allclose(ours.inertia_, theirs.inertia_, rtol=1e-9)
    else:
        scale = np.abs(theirs.cluster_centers_).max()
        assert_allclose(
            ours.cluster_centers_, theirs.cluster_centers_, rtol=0, atol=1e-5 * scale
        )
        assert_allclose(ours.inertia_, theirs.inertia_, rtol=1e-5)


SHAPES = [
    # n, d, k
    (20, 1, 1),
    (50, 3, 50),  # n == k
    (200, 2, 3),
    (1000, 5, 10),
    (3000, 16, 40),
    (1000, 130, 8),
    (2000, 3, 300),
    (100_000, 4, 8),
]


@pytest.mark.parametrize("n,d,k", SHAPES)
def test_same_as_sklearn_float64_explicit_init(n, d, k, global_random_seed):
    X = _blobs(n, d, k, global_random_seed, std=2.0)
    rng = np.random.default_rng(global_random_seed)
    init = X[rng.choice(n, k, replace=False)]
    ours, theirs = _pair(X, n_clusters=k, init=init, n_init=1, max_iter=300)
    _assert_same_fit(ours, theirs, np.float64)


@pytest.mark.parametrize("n,d,k", [(2000, 2, 5), (5000, 16, 20), (3000, 64, 8)])
def test_same_as_sklearn_float32_explicit_init(n, d, k, global_random_seed):
    X = _blobs(n, d, k, global_random_seed, dtype=np.float32)
    rng = np.random.default_rng(global_random_seed)
    init = X[rng.choice(n, k, replace=False)]
    ours, theirs = _pair(X, n_clusters=k, init=init, n_init=1)
    _assert_same_fit(ours, theirs, np.float32)


@pytest.mark.parametrize("init", ["k-means++", "random"])
def test_same_as_sklearn_with_seeding(init, global_random_seed):
    # Same random_state -> same seeds -> same result (float64).
    X = _blobs(3000, 8, 12, global_random_seed, std=3.0)
    ours, theirs = _pair(X, n_clusters=12, init=init, random_state=global_random_seed)
    _assert_same_fit(ours, theirs, np.float64)


def test_same_as_sklearn_with_n_init(global_random_seed):
    X = _blobs(2000, 4, 6, global_random_seed, std=4.0)
    ours, theirs = _pair(
        X, n_clusters=6, init="random", n_init=5, random_state=global_random_seed
    )
    _assert_same_fit(ours, theirs, np.float64)


def test_same_as_sklearn_with_sample_weight(global_random_seed):
    X = _blobs(2000, 5, 7, global_random_seed, std=3.0)
    w = np.random.default_rng(global_random_seed).uniform(0.1, 5, size=len(X))
    ours = KMeans(7, random_state=global_random_seed).fit(X, sample_weight=w)
    theirs = SKKMeans(7, random_state=global_random_seed).fit(X, sample_weight=w)
    _assert_same_fit(ours, theirs, np.float64)
    assert_allclose(
        ours.score(X, sample_weight=w), theirs.score(X, sample_weight=w), rtol=1e-9
    )


def test_same_as_sklearn_with_duplicate_points(global_random_seed):
    rng = np.random.default_rng(global_random_seed)
    base = rng.normal(size=(60, 3))
    X = np.repeat(base, rng.integers(1, 5, size=60), axis=0)
    ours, theirs = _pair(X, n_clusters=10, random_state=global_random_seed)
    _assert_same_fit(ours, theirs, np.float64)


def test_empty_cluster_relocation_same_as_sklearn():
    # A centre far from every point is empty after the first assignment and
    # takes the point farthest from its centre, as in scikit-learn.
    X = _blobs(500, 2, 3, 0)
    init = np.vstack([X[:3], [[1e3, 1e3]]])
    ours, theirs = _pair(X, n_clusters=4, init=init, n_init=1)
    _assert_same_fit(ours, theirs, np.float64)
    assert ours.history_.n_empty[0] == 1
    assert sum(ours.history_.n_empty[1:]) == 0


def test_labels_match_centers_after_relocation():
    # scikit-learn issue #34074: relocation in the last iteration left stale
    # labels_ and inertia_. Ours must match the returned centres.
    X = np.array([[1.0], [2.0], [3.0]])
    init = np.array([[4.0], [0.0], [1.0]])
    km = KMeans(n_clusters=3, init=init, n_init=1, max_iter=10, tol=0).fit(X)
    assert_array_equal(km.labels_, km.predict(X))
    assert_allclose(km.inertia_, -km.score(X))
    assert_allclose(km.inertia_, naive.inertia(X, km.cluster_centers_, km.labels_))


def test_tol_is_relative_to_variance():
    X = _blobs(1000, 3, 4, 1)
    km = KMeans(4, random_state=0, tol=1e-2).fit(X)
    assert km._tol == pytest.approx(np.mean(np.var(X, axis=0)) * 1e-2)
    assert KMeans(4, random_state=0, tol=0).fit(X)._tol == 0


def test_history_is_recorded():
    X = _blobs(2000, 3, 5, 2, std=3.0)
    km = KMeans(5, random_state=0).fit(X)
    h = km.history_
    assert len(h) == km.n_iter_
    assert h.n_changed[0] == len(X)
    # Lloyd never increases the objective.
    assert np.all(np.diff(h.inertia) <= 1e-9 * h.inertia[0])
    assert h.n_distances[0] == len(X) * 5
    frame = h.to_frame()
    assert list(frame.columns[:3]) == ["iteration", "inertia", "center_shift"]
    assert len(frame) == km.n_iter_


def test_verbose_output(capsys):
    X = _blobs(300, 2, 3, 0)
    KMeans(3, random_state=0, verbose=1).fit(X)
    out = capsys.readouterr().out
    assert out.startswith("Initialization complete\nIteration 0, inertia ")
    assert re.search(
        r"Converged at iteration \d+: (strict convergence|center shift)", out
    )


def test_k_means_function_matches_estimator():
    X = _blobs(500, 3, 4, 3)
    centers, labels, inertia, n_iter = k_means(X, 4, random_state=0, return_n_iter=True)
    km = KMeans(4, random_state=0).fit(X)
    assert_array_equal(labels, km.labels_)
    assert_array_equal(centers, km.cluster_centers_)
    assert inertia == km.inertia_
    assert n_iter == km.n_iter_
    sk = sk_k_means(X, 4, random_state=0)
    assert_allclose(inertia, sk[2], rtol=1e-9)


def test_transform_predict_score_dtypes():
    X = _blobs(400, 3, 4, 5).astype(np.float32)
    km = KMeans(4, random_state=0).fit(X)
    assert km.cluster_centers_.dtype == np.float32
    T = km.transform(X)
    assert T.dtype == np.float32 and T.shape == (400, 4)
    assert_allclose(T, np.sqrt(naive.sq_distances(X, km.cluster_centers_)), rtol=1e-5)
    assert_array_equal(km.predict(X), T.argmin(axis=1))
    assert_array_equal(km.fit_predict(X), km.labels_)
    assert_allclose(km.fit_transform(X), T, rtol=1e-6)
    assert km.labels_.dtype == np.int32
    assert_allclose(-km.score(X), km.inertia_, rtol=1e-5)


def test_float64_model_predicts_float32_data():
    X = _blobs(300, 2, 3, 0)
    km = KMeans(3, random_state=0).fit(X)
    assert_array_equal(km.predict(X.astype(np.float32)), km.labels_)


def test_input_not_modified_and_copy_x_false_restores():
    X = _blobs(500, 3, 4, 0) + 100.0
    X_before = X.copy()
    KMeans(4, random_state=0).fit(X)
    assert_array_equal(X, X_before)
    KMeans(4, random_state=0, copy_x=False).fit(X)
    assert_allclose(X, X_before, rtol=1e-12)
    init = X[:4].copy()
    init_before = init.copy()
    KMeans(4, init=init, n_init=1).fit(X)
    assert_array_equal(init, init_before)
    # Inputs converted on the way in (another dtype or order, a list) are
    # centred in their converted copy, never in the caller's object.
    for given in (X.astype(np.float16), np.asfortranarray(X), X.tolist()):
        given_before = np.array(given, copy=True)
        for copy_x in (True, False):
            got = KMeans(4, random_state=0, copy_x=copy_x).fit(given)
            assert_array_equal(np.asarray(given), given_before)
            assert_allclose(got.cluster_centers_.mean(), X.mean(), rtol=1e-2)


def test_sklearn_integration():
    X = _blobs(300, 3, 3, 0)
    pipe = make_pipeline(StandardScaler(), KMeans(3, random_state=0)).fit(X)
    assert pipe.predict(X).shape == (300,)
    grid = GridSearchCV(KMeans(random_state=0), {"n_clusters": [2, 3, 4]}, cv=3).fit(X)
    assert grid.best_params_["n_clusters"] in (2, 3, 4)
    km = clone(KMeans(5, tol=1e-3))
    assert km.get_params()["n_clusters"] == 5 and km.tol == 1e-3
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame(X, columns=["a", "b", "c"])
    km = KMeans(3, random_state=0).set_output(transform="pandas").fit(frame)
    out = km.transform(frame)
    assert list(out.columns) == ["kmeans0", "kmeans1", "kmeans2"]
    assert_array_equal(km.feature_names_in_, ["a", "b", "c"])
    assert km.n_features_in_ == 3


def test_distinct_clusters_warning():
    X = np.array([[0.0, 0.0]] * 5 + [[1.0, 1.0]] * 5)
    with pytest.warns(ConvergenceWarning, match=r"Number of distinct clusters \(2\)"):
        KMeans(3, random_state=0).fit(X)


def test_explicit_init_with_n_init_warns():
    X = _blobs(100, 2, 2, 0)
    with pytest.warns(RuntimeWarning, match="Explicit initial center position passed"):
        KMeans(2, init=X[:2], n_init=3).fit(X)


def test_callable_init():
    X = _blobs(200, 2, 3, 0)

    def init(X, k, random_state):
        return X[:k].copy()

    ours = KMeans(3, init=init, n_init=1).fit(X)
    theirs = SKKMeans(3, init=init, n_init=1).fit(X)
    _assert_same_fit(ours, theirs, np.float64)


def test_centring_only_when_the_mean_is_far_from_the_origin():
    from segmint.kmeans import _needs_centring

    rng = np.random.default_rng(5)
    X = rng.standard_normal((3000, 4)) * [1.0, 2.0, 0.5, 3.0]
    X -= X.mean(axis=0)
    assert not _needs_centring(X, X.mean(axis=0))
    assert not _needs_centring(X + 1.5, (X + 1.5).mean(axis=0))
    assert _needs_centring(X + 5.0, (X + 5.0).mean(axis=0))
    # Centred or not, the same clustering up to rounding.
    init = X[:5].copy()
    near = KMeans(5, init=init, n_init=1).fit(X)
    far = KMeans(5, init=init + 50.0, n_init=1).fit(X + 50.0)
    assert_array_equal(near.labels_, far.labels_)
    assert near.n_iter_ == far.n_iter_
    assert_allclose(near.cluster_centers_ + 50.0, far.cluster_centers_, rtol=1e-12)
    assert_allclose(near.inertia_, far.inertia_, rtol=1e-9)
