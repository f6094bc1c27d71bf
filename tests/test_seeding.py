"""kmeans_plusplus against scikit-learn."""

import numpy as np
import pytest
from numpy.testing import assert_array_equal
from sklearn.cluster import kmeans_plusplus as sk_kmeans_plusplus
from sklearn.datasets import make_blobs

from segmint import kmeans_plusplus


@pytest.mark.parametrize("n,d,k", [(100, 2, 1), (1000, 5, 10), (3000, 16, 64)])
def test_same_indices_as_sklearn_float64(n, d, k, global_random_seed):
    X, _ = make_blobs(n, d, centers=5, random_state=global_random_seed)
    ours = kmeans_plusplus(X, k, random_state=global_random_seed)
    theirs = sk_kmeans_plusplus(X, k, random_state=global_random_seed)
    assert_array_equal(ours[1], theirs[1])
    assert_array_equal(ours[0], theirs[0])


def test_same_indices_with_weights_and_trials(global_random_seed):
    X, _ = make_blobs(2000, 3, centers=8, random_state=global_random_seed)
    w = np.random.default_rng(global_random_seed).uniform(0, 3, size=len(X))
    kw = dict(sample_weight=w, random_state=global_random_seed, n_local_trials=5)
    assert_array_equal(
        kmeans_plusplus(X, 12, **kw)[1], sk_kmeans_plusplus(X, 12, **kw)[1]
    )


def test_float32_stays_float32_and_is_a_d2_draw():
    X, _ = make_blobs(2000, 4, centers=6, random_state=0)
    X = X.astype(np.float32)
    centers, idx = kmeans_plusplus(X, 6, random_state=0)
    assert centers.dtype == np.float32
    assert_array_equal(centers, X[idx])
    assert len(set(idx.tolist())) == 6


def test_zero_weight_rows_never_drawn():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(500, 2))
    w = np.zeros(500)
    w[:50] = 1.0
    for seed in range(5):
        _, idx = kmeans_plusplus(X, 8, sample_weight=w, random_state=seed)
        assert (idx < 50).all()


def test_x_squared_norms_checked():
    X = np.zeros((10, 2))
    with pytest.raises(ValueError, match="length of x_squared_norms 3"):
        kmeans_plusplus(X, 2, x_squared_norms=np.zeros(3))


def test_seeding_thread_independent(force_parallel):
    numba = pytest.importorskip("numba")
    X, _ = make_blobs(5000, 8, centers=10, random_state=1)
    before = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        a = kmeans_plusplus(X, 30, random_state=3)
        numba.set_num_threads(min(2, numba.config.NUMBA_NUM_THREADS))
        b = kmeans_plusplus(X, 30, random_state=3)
    finally:
        numba.set_num_threads(before)
    assert_array_equal(a[1], b[1])
