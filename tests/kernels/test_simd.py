"""The SIMD building blocks against plain Python references, bit for bit."""

import numpy as np
import pytest
from numba import njit

from segmint._kernels import _simd
from segmint._kernels.assign import _block_scratch, _nearest_chunk, _pad_centers

DTYPES = [np.float32, np.float64]


def _lane_distance(x, c):
    """The documented order: lane f % 4, tail into lane 0, (s0+s1)+(s2+s3)."""
    x = [float(v) for v in x]
    c = [float(v) for v in c]
    d = len(x)
    s = [0.0, 0.0, 0.0, 0.0]
    f4 = d - d % 4
    for f in range(f4):
        t = x[f] - c[f]
        s[f % 4] += t * t
    for f in range(f4, d):
        t = x[f] - c[f]
        s[0] += t * t
    return (s[0] + s[1]) + (s[2] + s[3])


@njit
def _call_sq_dist(X, i, C, j):
    return _simd.sq_dist(X, i, C, j)


@njit
def _call_add_row(X, i, w, C64, lab, sums):
    return _simd.add_row(X, i, w, C64, lab, sums)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("d", [1, 2, 3, 4, 5, 8, 9, 17])
def test_sq_dist_and_add_row_follow_the_lane_order(dtype, d):
    rng = np.random.default_rng(d)
    X = rng.standard_normal((5, d)).astype(dtype)
    C = rng.standard_normal((3, d)).astype(dtype)
    C64 = C.astype(np.float64)
    for i in range(5):
        for j in range(3):
            # Exact equality: the order of operations is part of the contract.
            assert _call_sq_dist(X, i, C, j) == _lane_distance(X[i], C[j])
    sums = rng.standard_normal((3, d))
    expected_sums = sums.copy()
    w = 1.7
    got = _call_add_row(X, 2, w, C64, 1, sums)
    expected_sums[1] += w * X[2].astype(np.float64)
    assert got == w * _lane_distance(X[2], C64[1])
    np.testing.assert_array_equal(sums, expected_sums)


@njit
def _label_rows(X, C):
    m = X.shape[0]
    ct, half, cmax = _pad_centers(C)
    best, second, labf, xsq = _block_scratch(X)
    rows = np.arange(m).astype(np.int64)
    labels = np.empty(m, dtype=np.int32)
    lower = np.empty(m, dtype=np.float64)
    _nearest_chunk(
        X, rows, m, C, ct, half, cmax, best, second, labf, xsq, labels, lower
    )
    return labels, lower, xsq[:m].copy()


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("m,d,k", [(1, 1, 1), (3, 2, 17), (6, 7, 9), (13, 40, 33)])
def test_nearest_chunk_row_groups_and_centre_blocks(dtype, m, d, k):
    # Row counts that are not multiples of four and centre counts that are not
    # multiples of the SIMD block exercise the padding on both sides.
    rng = np.random.default_rng(m * 100 + k)
    X = rng.standard_normal((m, d)).astype(dtype)
    C = rng.standard_normal((k, d)).astype(dtype)
    labels, lower, xsq = _label_rows(X, C)
    ref = ((X[:, None, :].astype(np.float64) - C[None].astype(np.float64)) ** 2).sum(2)
    np.testing.assert_array_equal(labels, ref.argmin(axis=1))
    np.testing.assert_allclose(
        xsq,
        (X.astype(np.float64) ** 2).sum(1),
        rtol=1e-5 if dtype == np.float32 else 1e-12,
    )
    if k > 1:
        second = np.sort(ref, axis=1)[:, 1]
        # A lower bound, and not a loose one (it prunes the next iteration).
        assert np.all(lower <= second * (1 + 1e-12))
        assert np.all(lower >= second * (1 - 1e-3) - 1e-3)


@pytest.mark.parametrize("dtype", DTYPES)
def test_nearest_chunk_duplicate_centres_lowest_index(dtype):
    # Equal centres in different SIMD lanes and blocks: the fold must not pick
    # a higher index (the exact re-check decides, lowest index on ties).
    rng = np.random.default_rng(3)
    X = rng.standard_normal((11, 5)).astype(dtype)
    base = rng.standard_normal((1, 5)).astype(dtype)
    far = (rng.standard_normal((20, 5)) + 50).astype(dtype)
    C = np.concatenate([far[:6], base, far[6:13], base, far[13:], base])
    labels, _, _ = _label_rows(X, C)
    np.testing.assert_array_equal(labels, np.full(11, 6))
