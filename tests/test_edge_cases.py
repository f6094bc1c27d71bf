"""Degenerate and bad input: explicit, clear errors and sane results."""

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from segmint import KMeans, kmeans_plusplus


def test_single_point_single_cluster():
    km = KMeans(1, n_init=1).fit([[3.0, 4.0]])
    assert_array_equal(km.cluster_centers_, [[3.0, 4.0]])
    assert km.inertia_ == 0.0
    assert_array_equal(km.labels_, [0])


def test_k_equals_n_distinct_points():
    X = np.arange(12, dtype=float).reshape(6, 2) ** 1.5
    km = KMeans(6, random_state=0).fit(X)
    assert km.inertia_ == pytest.approx(0.0, abs=1e-20)
    assert len(np.unique(km.labels_)) == 6


@pytest.mark.parametrize(
    "X, match",
    [
        ([[1.0, np.nan], [2.0, 3.0]], "Input X contains NaN"),
        ([[1.0, np.inf], [2.0, 3.0]], "Input X contains infinity"),
        (np.empty((0, 3)), r"Found array with 0 sample\(s\)"),
        (np.empty((5, 0)), r"Found array with 0 feature\(s\)"),
        ([1.0, 2.0, 3.0], "Expected 2D array, got 1D array instead"),
        (np.zeros((2, 2, 2)), "Found array with dim 3"),
        ([["a", "b"], ["c", "d"]], "could not convert string to float"),
    ],
)
def test_bad_X(X, match):
    with pytest.raises(ValueError, match=match):
        KMeans(1).fit(X)


def test_too_few_samples():
    with pytest.raises(ValueError, match=r"n_samples=3 should be >= n_clusters=4\."):
        KMeans(4).fit(np.zeros((3, 2)))
    with pytest.raises(ValueError, match=r"n_samples=3 should be >= n_clusters=4\."):
        kmeans_plusplus(np.zeros((3, 2)), 4)


def test_bad_sample_weight():
    X = np.random.default_rng(0).normal(size=(10, 2))
    with pytest.raises(
        ValueError,
        match=r"sample_weight has 1 negative value\(s\).*weights must be >= 0",
    ):
        KMeans(2).fit(X, sample_weight=np.r_[-1.0, np.ones(9)])
    with pytest.raises(
        ValueError, match=r"sample_weight.shape == \(9,\), expected \(10,\)"
    ):
        KMeans(2).fit(X, sample_weight=np.ones(9))
    with pytest.raises(
        ValueError, match="Sample weights must contain at least one non-zero number"
    ):
        KMeans(2).fit(X, sample_weight=np.zeros(10))


def test_bad_init_shape():
    X = np.zeros((10, 3))
    with pytest.raises(ValueError, match=r"does not match the number of clusters 2"):
        KMeans(2, init=np.zeros((3, 3))).fit(X)
    with pytest.raises(
        ValueError, match=r"does not match the number of features of the data 3"
    ):
        KMeans(2, init=np.zeros((2, 2))).fit(X)


@pytest.mark.parametrize(
    "params, match",
    [
        (
            {"n_clusters": 0},
            "'n_clusters' parameter of KMeans must be an int in the range",
        ),
        ({"init": "kmeans"}, "'init' parameter of KMeans must be"),
        ({"n_init": 0}, "'n_init' parameter of KMeans must be"),
        ({"algorithm": "fast"}, "'algorithm' parameter of KMeans must be"),
        ({"tol": -1.0}, "'tol' parameter of KMeans must be a float in the range"),
    ],
)
def test_bad_params(params, match):
    with pytest.raises(ValueError, match=match):
        KMeans(**params).fit(np.zeros((10, 2)))


def test_predict_wrong_width_and_unfitted():
    X = np.random.default_rng(0).normal(size=(20, 3))
    with pytest.raises(ValueError, match="is not fitted yet"):
        KMeans(2).predict(X)
    km = KMeans(2, random_state=0).fit(X)
    with pytest.raises(ValueError, match="X has 2 features, but KMeans is expecting 3"):
        km.predict(X[:, :2])


def test_sparse_input_is_refused_with_advice():
    sp = pytest.importorskip("scipy.sparse")
    with pytest.raises(TypeError, match="Sparse data was passed"):
        KMeans(2).fit(sp.random(10, 3, density=0.5, format="csr"))


def test_all_rows_identical():
    X = np.ones((20, 3))
    with pytest.warns(
        match=r"Number of distinct clusters \(1\) found smaller than n_clusters \(3\)"
    ):
        km = KMeans(3, random_state=0).fit(X)
    assert km.inertia_ == 0.0
    assert_allclose(km.cluster_centers_, np.ones((3, 3)))
