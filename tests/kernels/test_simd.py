"""The SIMD building blocks against plain Python references, bit for bit."""

import numpy as np
import pytest
from numba import njit

from segmint._kernels import _simd
from segmint._kernels.assign import (
    _block_scratch,
    _lanes_pass,
    _nearest_chunk,
    _pad_centers,
    _tile_pass,
)

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
def _label_rows(X, C, contiguous, bounds=True):
    m = X.shape[0]
    ct, half, cmax = _pad_centers(C)
    best, second, labf, xsq = _block_scratch(X)
    rows = np.arange(m).astype(np.int64)
    labels = np.empty(m, dtype=np.int32)
    # An empty array asks for no bounds (plain Lloyd's call).
    lower = np.empty(m if bounds else 0, dtype=np.float64)
    _nearest_chunk(
        X,
        rows,
        m,
        C,
        ct,
        half,
        cmax,
        best,
        second,
        labf,
        xsq,
        labels,
        lower,
        contiguous,
    )
    return labels, lower, xsq[:m].copy()


@pytest.mark.parametrize("contiguous", [False, True])
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(
    "m,d,k",
    [
        (1, 1, 1),
        (3, 2, 17),
        (6, 7, 9),
        (13, 40, 33),
        # rows in lanes: runs of rows that are not multiples of the lanes
        (37, 3, 5),
        (250, 16, 32),
        (21, 16, 8),
        (256, 9, 31),
        (250, 8, 70),
        (40, 2, 257),
        # one 32-byte vector of float32 centres (eight-row tile)
        (37, 40, 5),
        (29, 20, 8),
    ],
)
def test_nearest_chunk_row_groups_and_centre_blocks(dtype, m, d, k, contiguous):
    # Row counts that are not multiples of four and centre counts that are not
    # multiples of the SIMD block exercise the padding on both sides.
    rng = np.random.default_rng(m * 100 + k)
    X = rng.standard_normal((m, d)).astype(dtype)
    C = rng.standard_normal((k, d)).astype(dtype)
    labels, lower, xsq = _label_rows(X, C, contiguous)
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
    for contiguous in (False, True):
        for bounds in (False, True):
            labels, _, _ = _label_rows(X, C, contiguous, bounds)
            np.testing.assert_array_equal(labels, np.full(11, 6))


@pytest.mark.parametrize("contiguous", [False, True])
@pytest.mark.parametrize("d", [2, 12, 40])
def test_nearest_chunk_close_calls_with_and_without_bounds(d, contiguous):
    # Far from the origin, float32 dot products cancel: most rows are close
    # calls, re-checked in float64. Labels must be the float64 argmin with or
    # without the bounds, and the bounds must still bound.
    rng = np.random.default_rng(d)
    offset = 3000.0
    C = (offset + 0.01 * rng.standard_normal((9, d))).astype(np.float32)
    X = (offset + 0.01 * rng.standard_normal((250, d))).astype(np.float32)
    ref = ((X[:, None, :].astype(np.float64) - C[None].astype(np.float64)) ** 2).sum(2)
    with_bounds, lower, _ = _label_rows(X, C, contiguous, True)
    without, empty, _ = _label_rows(X, C, contiguous, False)
    np.testing.assert_array_equal(with_bounds, ref.argmin(axis=1))
    np.testing.assert_array_equal(without, ref.argmin(axis=1))
    assert empty.shape == (0,)
    assert np.all(lower <= np.sort(ref, axis=1)[:, 1] * (1 + 1e-12))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(
    "d,k", [(1, 3), (2, 8), (5, 20), (9, 40), (12, 7), (16, 32), (2, 100), (8, 257)]
)
def test_lanes_pass_same_values_as_tile(dtype, d, k):
    # Rows in lanes and the register tile compute the same operations, so
    # the best and second-best values agree bit for bit (labels may differ
    # only on exact ties, which the bounds pass re-checks).
    rng = np.random.default_rng(d * 10 + k)
    m = 203
    X = rng.standard_normal((m, d)).astype(dtype)
    C = rng.standard_normal((k, d)).astype(dtype)
    tile = _tile_values(X, C, False)
    lanes = _tile_values(X, C, True)
    np.testing.assert_array_equal(lanes[0], tile[0])
    np.testing.assert_array_equal(lanes[1], tile[1])
    tie = tile[0] == tile[1]
    assert np.all((lanes[2] == tile[2]) | tie)
    np.testing.assert_allclose(
        lanes[3], (X.astype(np.float64) ** 2).sum(1), rtol=1e-5, atol=1e-6
    )


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("d,k", [(2, 8), (3, 5), (8, 16), (13, 9)])
@pytest.mark.parametrize("scale", [0.0, 1e-3, 1e3])
def test_lanes_close_count_is_the_rounding_test(dtype, d, k, scale):
    # The search kernel counts close calls itself; the count must be what
    # the scalar test (_settled) gives on the values it wrote, over the
    # valid rows only: m is not a multiple of the lanes, and the missing
    # lanes (zero rows) tie between the duplicated centres, so counting
    # them would show. scale 0 counts exact ties only; 1e3 flags every row.
    rng = np.random.default_rng(7 * d + k)
    m = 203
    X = rng.standard_normal((m, d)).astype(dtype)
    C = rng.standard_normal((k, d)).astype(dtype)
    C[1] = C[0]
    X[:5] = C[0]  # rows on the duplicated centre: exact ties
    bound = (float(d + 2) * 2.0**-24, scale, scale / 10)
    close, best, second, xsq = _lanes_close(X, C, bound)
    g, e0, e1 = bound
    err = e0 + e1 * (xsq * (1.0 + g))
    gap = (second.astype(np.float64) - best.astype(np.float64)) - 2.0 * err
    assert close == int(np.sum(~(gap > 0.0)))
    assert close >= 5
    if scale == 1e3:
        assert close == m


@njit
def _lanes_close(X, C, bound):
    m = X.shape[0]
    ct, half, _ = _pad_centers(C)
    best, second, labf, xsq = _block_scratch(X)
    close = _lanes_pass(X, 0, m, ct, half, best, second, labf, xsq, bound)
    return close, best[:m].copy(), second[:m].copy(), xsq[:m].copy()


@njit
def _tile_values(X, C, lanes):
    m = X.shape[0]
    ct, half, _ = _pad_centers(C)
    best, second, labf, xsq = _block_scratch(X)
    if lanes:
        _lanes_pass(X, 0, m, ct, half, best, second, labf, xsq, (0.0, 0.0, 0.0))
    else:
        _tile_pass(X, np.arange(m), m, ct, half, best, second, labf, xsq)
    return best[:m].copy(), second[:m].copy(), labf[:m].copy(), xsq[:m].copy()


@njit
def _call_seed_rows(X, start, end, ct, col, pending, closest, w, pot):
    _simd.seed_rows(X, start, end, ct, col, pending, closest, w, pot)


@njit
def _scalar_seed(X, start, end, ct, col, pending, closest, w, pot):
    """The documented arithmetic, one row and one candidate at a time."""
    for i in range(start, end):
        dist = np.empty(_simd.SEED_BLOCK, dtype=X.dtype)
        for j in range(_simd.SEED_BLOCK):
            s = X[0, 0] - X[0, 0]
            for f in range(X.shape[1]):
                u = X[i, f] - ct[f, col + j]
                s = _simd.fma(u, u, s)
            dist[j] = s
        if pending >= 0 and dist[pending] < closest[i]:
            closest[i] = dist[pending]
        for j in range(_simd.SEED_BLOCK):
            m = closest[i] if closest[i] < dist[j] else dist[j]
            pot[col + j] += np.float64(w[i]) * np.float64(m)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("d", [1, 3, 8, 17])
@pytest.mark.parametrize("start,end", [(0, 1), (2, 9), (0, 13)])
@pytest.mark.parametrize("col,pending", [(0, 0), (0, 5), (8, -1), (8, 7)])
def test_seed_rows_matches_the_scalar_loop_bit_for_bit(
    dtype, d, start, end, col, pending
):
    rng = np.random.default_rng(d * 100 + end)
    X = rng.standard_normal((15, d)).astype(dtype)
    ct = np.ascontiguousarray(rng.standard_normal((d, 16)).astype(dtype))
    ct[:, 3] = X[start]  # a zero distance
    w = rng.uniform(0, 2, 15).astype(dtype)
    closest = rng.uniform(0, 3 * d, 15).astype(dtype)
    closest[start] = np.inf  # no centre yet
    pot = rng.standard_normal(16)
    got = (closest.copy(), pot.copy())
    want = (closest.copy(), pot.copy())
    _call_seed_rows(X, start, end, ct, col, pending, got[0], w, got[1])
    _scalar_seed(X, start, end, ct, col, pending, want[0], w, want[1])
    np.testing.assert_array_equal(got[0], want[0])
    np.testing.assert_array_equal(got[1], want[1])
    # The arithmetic is a squared distance, to rounding in X's dtype.
    eps = np.finfo(dtype).eps
    diff = X[start:end, :, None].astype(np.float64) - ct[:, col : col + 8]
    ref = (diff**2).sum(axis=1)
    if pending >= 0:
        folded = np.minimum(closest[start:end], ref[:, pending])
        np.testing.assert_allclose(got[0][start:end], folded, rtol=8 * d * eps)
    untouched = np.r_[0:start, end:15]
    np.testing.assert_array_equal(got[0][untouched], closest[untouched])
    outside = np.r_[0:col, col + 8 : 16]
    np.testing.assert_array_equal(got[1][outside], pot[outside])


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("d,k", [(24, 5), (40, 33), (130, 100)])
def test_eight_row_tile_same_values_as_four(dtype, d, k):
    # The same operations per row whatever the tile height; rows out of
    # order and a short last group (203 = 25 x 8 + 3) included.
    rng = np.random.default_rng(d + k)
    m = 203
    X = rng.standard_normal((2 * m, d)).astype(dtype)
    C = rng.standard_normal((k, d)).astype(dtype)
    rows = rng.permutation(2 * m)[:m]
    four = _tile_rows(X, C, rows, 4)
    eight = _tile_rows(X, C, rows, 8)
    for a, b in zip(four, eight, strict=True):
        np.testing.assert_array_equal(a, b)


@njit
def _tile_rows(X, C, rows, height):
    m = rows.shape[0]
    ct, half, _ = _pad_centers(C)
    best, second, labf, xsq = _block_scratch(X)
    single = ct.shape[1] * X.itemsize == _simd.SINGLE_BLOCK_BYTES
    narrow = ct.shape[1] < 2 * (_simd.VECTOR_BYTES // X.itemsize)
    for i0 in range(0, m, 8 if single else 4 if narrow else height):
        if single:
            _simd.nearest_rows_single(X, rows, i0, m, ct, half, best, second, labf, xsq)
        elif narrow:
            _simd.nearest_rows_narrow(X, rows, i0, m, ct, half, best, second, labf, xsq)
        elif height == 8:
            _simd.nearest_rows8(X, rows, i0, m, ct, half, best, second, labf, xsq)
        else:
            _simd.nearest_rows(X, rows, i0, m, ct, half, best, second, labf, xsq)
    return best[:m].copy(), second[:m].copy(), labf[:m].copy(), xsq[:m].copy()


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("d,k", [(2, 5), (2, 9), (7, 40), (30, 70), (30, 6)])
def test_tile_and_lanes_values_are_the_documented_arithmetic(dtype, d, k):
    # v_j = half_j - x.c_j, from half_j subtracting x_f c_f by one fused
    # multiply-add per feature in order: the best and second-best of the
    # kernels are exactly those values.
    rng = np.random.default_rng(d * k)
    m = 101
    X = rng.standard_normal((m, d)).astype(dtype)
    C = rng.standard_normal((k, d)).astype(dtype)
    best, second = _scalar_values(X, C)
    tile = _tile_rows(X, C, np.arange(m), 8 if d >= 24 else 4)  # narrow: 4
    np.testing.assert_array_equal(tile[0], best)
    np.testing.assert_array_equal(tile[1], second)
    if d <= 16:
        lanes = _tile_values(X, C, True)
        np.testing.assert_array_equal(lanes[0], best)
        np.testing.assert_array_equal(lanes[1], second)


@njit
def _scalar_values(X, C):
    m, d = X.shape
    k = C.shape[0]
    _, half, _ = _pad_centers(C)
    best = np.full(m, np.inf, dtype=X.dtype)
    second = np.full(m, np.inf, dtype=X.dtype)
    for i in range(m):
        for j in range(k):
            v = half[j]
            for f in range(d):
                v = _simd.fma(X[i, f], -C[j, f], v)
            if v < best[i]:
                second[i] = best[i]
                best[i] = v
            elif v < second[i]:
                second[i] = v
    return best, second
