"""Properties of K-means that hold for any data (hypothesis)."""

import numba
import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose, assert_array_equal

from segmint import KMeans

SETTINGS = settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


@st.composite
def problems(draw, max_k=6):
    """Random blob data (continuous, so no exact distance ties) and an init."""
    seed = draw(st.integers(0, 2**32 - 1))
    k = draw(st.integers(1, max_k))
    n = draw(st.integers(k, 120))
    d = draw(st.integers(1, 5))
    dtype = draw(st.sampled_from([np.float32, np.float64]))
    rng = np.random.default_rng(seed)
    centres = rng.normal(scale=10, size=(k, d))
    X = (centres[rng.integers(0, k, n)] + rng.normal(size=(n, d))).astype(dtype)
    init_idx = rng.choice(n, k, replace=False)
    return X, X[init_idx].copy(), rng


def _fit(X, init, **kw):
    return KMeans(len(init), init=init, n_init=1, **kw).fit(
        X, sample_weight=kw.pop("w", None)
    )


@SETTINGS
@given(problems())
def test_k1_gives_the_weighted_mean(problem):
    X, _, rng = problem
    w = rng.uniform(0.1, 3.0, size=len(X))
    km = KMeans(1, n_init=1, random_state=0).fit(X, sample_weight=w)
    expected = np.average(X.astype(np.float64), axis=0, weights=w)
    rtol = 1e-4 if X.dtype == np.float32 else 1e-10
    assert_allclose(km.cluster_centers_[0], expected, rtol=rtol, atol=rtol)
    assert (km.labels_ == 0).all()


@SETTINGS
@given(st.integers(1, 40), st.integers(1, 4), st.integers(0, 10**6))
def test_k_equals_n_gives_zero_inertia(n, d, seed):
    X = np.random.default_rng(seed).normal(size=(n, d))  # distinct rows
    km = KMeans(n, random_state=seed).fit(X)
    assert km.inertia_ == 0.0
    assert len(np.unique(km.labels_)) == n


@SETTINGS
@given(problems())
def test_permuting_rows_permutes_labels(problem):
    X, init, rng = problem
    perm = rng.permutation(len(X))
    a = KMeans(len(init), init=init, n_init=1, max_iter=20).fit(X)
    b = KMeans(len(init), init=init, n_init=1, max_iter=20).fit(X[perm])
    assert_array_equal(a.labels_[perm], b.labels_)
    rtol = 1e-4 if X.dtype == np.float32 else 1e-10
    assert_allclose(a.cluster_centers_, b.cluster_centers_, rtol=rtol, atol=rtol * 10)


@SETTINGS
@given(problems(), st.floats(-1e3, 1e3))
def test_translation_translates_centres(problem, shift):
    X, init, _ = problem
    X = X.astype(np.float64)
    init = init.astype(np.float64)
    a = KMeans(len(init), init=init, n_init=1, max_iter=20).fit(X)
    b = KMeans(len(init), init=init + shift, n_init=1, max_iter=20).fit(X + shift)
    assert_array_equal(a.labels_, b.labels_)
    assert_allclose(
        a.cluster_centers_ + shift, b.cluster_centers_, atol=1e-8 * (1 + abs(shift))
    )
    assert_allclose(a.inertia_, b.inertia_, rtol=1e-7, atol=1e-9)


@SETTINGS
@given(problems())
def test_integer_weights_equal_repeated_rows(problem):
    X, init, rng = problem
    X = X.astype(np.float64)
    w = rng.integers(1, 4, size=len(X))
    a = KMeans(len(init), init=init, n_init=1, max_iter=20).fit(X, sample_weight=w)
    b = KMeans(len(init), init=init, n_init=1, max_iter=20).fit(np.repeat(X, w, axis=0))
    assert_array_equal(np.repeat(a.labels_, w), b.labels_)
    assert_allclose(a.cluster_centers_, b.cluster_centers_, rtol=1e-9, atol=1e-9)
    assert_allclose(a.inertia_, b.inertia_, rtol=1e-9, atol=1e-9)


@settings(max_examples=8, deadline=None)
@given(problems(max_k=12), st.integers(0, 1000))
def test_bit_identical_for_1_or_2_threads(problem, seed):
    # Small problems normally run on one thread; force the parallel path
    # (a fixture would be shared across hypothesis examples).
    import segmint._parallel

    saved = segmint._parallel.PARALLEL_MIN_WORK
    segmint._parallel.PARALLEL_MIN_WORK = 0
    try:
        _check_thread_independence(problem, seed)
    finally:
        segmint._parallel.PARALLEL_MIN_WORK = saved


def _check_thread_independence(problem, seed):
    X, _, _ = problem
    k = min(8, len(X))  # at most the number of distinct rows
    X = np.tile(X, (30, 1))  # enough rows for several chunks and blocks
    before = numba.get_num_threads()
    fits = []
    try:
        for threads in (1, min(2, numba.config.NUMBA_NUM_THREADS)):
            numba.set_num_threads(threads)
            fits.append(KMeans(k, random_state=seed, n_init=2).fit(X))
    finally:
        numba.set_num_threads(before)
    a, b = fits
    assert_array_equal(a.cluster_centers_, b.cluster_centers_)
    assert_array_equal(a.labels_, b.labels_)
    assert a.inertia_ == b.inertia_
    assert a.n_iter_ == b.n_iter_
