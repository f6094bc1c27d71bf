"""Pruned kernels against the plain Lloyd step and NumPy references."""

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from segmint._kernels import assign, pruned
from tests import naive

DTYPES = [np.float32, np.float64]


def _buffers(n, d, k):
    nb = assign.n_row_blocks(n, k, d)
    return (
        np.empty((nb, k, d)),
        np.empty((nb, k)),
        np.empty((nb, k)),
        np.empty((nb, k), dtype=np.int64),
        np.empty(nb, dtype=np.int64),
    )


def _totals(bufs, totals, inc):
    """Running cluster sums and weights: a full step's, or the old plus a change."""
    k, d = bufs[0].shape[1:]
    sums = np.empty((k, d))
    weights = np.empty(k)
    assign.reduce_blocks(*bufs[:2], sums, weights)
    if inc:
        sums += totals[0]
        weights += totals[1]
    totals[:] = [sums, weights]
    return sums, weights


def _incremental(step):
    """Full first step, then incremental and full steps in turn."""
    return step % 2 == 1


def test_center_geometry_matches_numpy(rng):
    old = rng.normal(size=(6, 3))
    new = old + 0.1 * rng.normal(size=(6, 3))
    drift = np.empty(6)
    half_sep = np.empty(6)
    pruned.center_geometry(old, new, drift, half_sep)
    ref_drift = np.sqrt(((new - old) ** 2).sum(axis=1))
    dist = np.sqrt(naive.sq_distances(new, new))
    np.fill_diagonal(dist, np.inf)
    # Bounds are widened by a few float64 ulps on purpose, never narrowed.
    assert np.all(drift >= ref_drift)
    assert np.all(half_sep <= 0.5 * dist.min(axis=1))
    assert_allclose(drift, ref_drift, rtol=1e-13)
    assert_allclose(half_sep, 0.5 * dist.min(axis=1), rtol=1e-13)


@pytest.mark.parametrize("unit_weights", [False, True])
@pytest.mark.parametrize("dense_steps", [(), (2, 3, 4)])
@pytest.mark.parametrize("dtype", DTYPES)
def test_hamerly_steps_equal_lloyd_steps(rng, dtype, dense_steps, unit_weights):
    n, d, k = 2000, 5, 11
    X = rng.normal(size=(n, d)).astype(dtype)
    w = rng.uniform(0.5, 2.0, size=n).astype(dtype)
    # Unit weights: Hamerly gets the empty array the estimator passes (no
    # weight read), plain Lloyd explicit ones; the same bits either way.
    w_pruned = w
    if unit_weights:
        w = np.ones(n, dtype=dtype)
        w_pruned = w[:0]
    centers = X[:k].copy()
    lab_ref = np.full(n, -1, dtype=np.int32)
    lab = lab_ref.copy()
    lower = np.zeros(n)
    upper = np.full(n, np.inf)
    drift = np.zeros(k)
    half_sep = np.zeros(k)
    ref_bufs = _buffers(n, d, k)
    bufs = _buffers(n, d, k)
    n_dist = np.empty(len(bufs[-1]), dtype=np.int64)
    counts = []
    totals = [None, None]
    for step in range(6):
        inc = _incremental(step)
        assign.lloyd_step(X, w, centers, lab_ref, *ref_bufs, inc)
        dense = step in dense_steps
        if dense:
            # A dense step must not read the bounds: these would keep every
            # row in place.
            lower[:] = np.inf
            upper[:] = 0.0
        pruned.hamerly_step(
            X, w_pruned, centers, drift, half_sep, lab, lower, upper, *bufs,
            n_dist, inc, dense,
        )  # fmt: skip
        assert_array_equal(lab, lab_ref)
        for got, ref in zip(bufs, ref_bufs, strict=True):
            assert_array_equal(got, ref)  # bit for bit, every block
        if not inc:
            # the upper bounds hold (rows just relabelled have none yet)
            own = np.sqrt(naive.sq_distances(X, centers)[np.arange(n), lab])
            assert np.all(own <= upper)
        if dense:
            assert n_dist.sum() == n * k
        counts.append(n_dist.sum())
        sums, weights = _totals(bufs, totals, inc)
        new = (sums / weights[:, None]).astype(dtype)
        pruned.center_geometry(centers, new, drift, half_sep)
        centers = new
    assert counts[0] == n * k
    assert counts[-1] < n * k


def test_float32_close_calls_use_reference_distance():
    # Two centres almost equidistant from every row: float32 dot products
    # cannot tell them apart reliably, the float64 reference can.
    rng = np.random.default_rng(0)
    X = (1000.0 + rng.normal(size=(500, 3))).astype(np.float32)
    c = np.array([[1000.0, 1000.0, 1000.0]], dtype=np.float32)
    centers = np.vstack([c, c + np.float32(0.0625)]).astype(np.float32)
    labels = np.empty(500, dtype=np.int32)
    assign.assign_labels(
        X,
        centers,
        np.ones(500, np.float32),
        labels,
        np.empty(500, np.float32),
        np.empty(2),
    )
    ref, _ = naive.nearest(X, centers)
    assert_array_equal(labels, ref)


@pytest.mark.parametrize("dtype", DTYPES)
def test_elkan_steps_equal_lloyd_steps(rng, dtype):
    n, d, k = 1500, 4, 9
    X = rng.normal(size=(n, d)).astype(dtype)
    w = np.ones(n, dtype=dtype)
    centers = X[:k].copy()
    lab_ref = np.full(n, -1, dtype=np.int32)
    lab = lab_ref.copy()
    lower = np.zeros((n, k), dtype=np.float32)
    drift = np.zeros(k)
    half_sep = np.zeros(k)
    center_half = np.zeros((k, k))
    ref_bufs = _buffers(n, d, k)
    bufs = _buffers(n, d, k)
    n_dist = np.empty(len(bufs[-1]), dtype=np.int64)
    totals = [None, None]
    for step in range(5):
        inc = _incremental(step)
        assign.lloyd_step(X, w, centers, lab_ref, *ref_bufs, inc)
        pruned.elkan_step(
            X, w, centers, drift, half_sep, center_half, lab, lower, *bufs, n_dist, inc
        )
        assert_array_equal(lab, lab_ref)
        for got, ref in zip(bufs, ref_bufs, strict=True):
            assert_array_equal(got, ref)
        # Every bound on a centre other than the row's own is a true lower
        # bound (the own centre's entry is unused until the label moves).
        dist = np.sqrt(naive.sq_distances(X, centers))
        others = np.ones((n, k), dtype=bool)
        others[np.arange(n), lab] = False
        assert np.all(lower[others] <= dist[others])
        sums, weights = _totals(bufs, totals, inc)
        new = (sums / weights[:, None]).astype(dtype)
        pruned.center_geometry(centers, new, drift, half_sep)
        pruned.center_half_distances(new, center_half)
        centers = new
    assert n_dist.sum() < n * k


@pytest.mark.parametrize("dtype", DTYPES)
def test_yinyang_steps_equal_lloyd_steps(rng, dtype):
    n, d, k = 1500, 3, 12
    X = rng.normal(size=(n, d)).astype(dtype)
    w = np.ones(n, dtype=dtype)
    centers = X[:k].copy()
    group_start = np.array([0, 4, 9, 12], dtype=np.int64)
    group_members = rng.permutation(k).astype(np.int64)
    lab_ref = np.full(n, -1, dtype=np.int32)
    lab = lab_ref.copy()
    lower = np.zeros((n, 3), dtype=np.float32)
    drift = np.zeros(k)
    half_sep = np.zeros(k)
    ref_bufs = _buffers(n, d, k)
    bufs = _buffers(n, d, k)
    n_dist = np.empty(len(bufs[-1]), dtype=np.int64)
    totals = [None, None]
    for step in range(5):
        inc = _incremental(step)
        assign.lloyd_step(X, w, centers, lab_ref, *ref_bufs, inc)
        pruned.yinyang_step(
            X,
            w,
            centers,
            drift,
            half_sep,
            group_start,
            group_members,
            lab,
            lower,
            *bufs,
            n_dist,
            inc,
        )
        assert_array_equal(lab, lab_ref)
        for got, ref in zip(bufs, ref_bufs, strict=True):
            assert_array_equal(got, ref)
        sums, weights = _totals(bufs, totals, inc)
        new = (sums / weights[:, None]).astype(dtype)
        pruned.center_geometry(centers, new, drift, half_sep)
        centers = new
    assert n_dist.sum() < n * k
