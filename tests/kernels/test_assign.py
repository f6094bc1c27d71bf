"""Assignment kernels against the plain NumPy reference in tests/naive.py."""

import numba
import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from segmint._config import CHUNK_SIZE
from segmint._kernels import _simd, assign
from tests import naive

DTYPES = [np.float32, np.float64]


def _problem(rng, n, d, k, dtype):
    X = rng.normal(size=(n, d)).astype(dtype)
    centers = X[rng.choice(n, k, replace=False)].copy()
    w = rng.uniform(0.5, 2.0, size=n).astype(dtype)
    return X, centers, w


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("n,d,k", [(1, 1, 1), (7, 3, 2), (600, 5, 7), (1000, 33, 40)])
def test_assign_labels_matches_reference(rng, dtype, n, d, k):
    X, centers, w = _problem(rng, n, d, k, dtype)
    labels = np.empty(n, dtype=np.int32)
    min_sq = np.empty(n, dtype=dtype)
    chunk_inertia = np.empty(-(-n // CHUNK_SIZE))
    assign.assign_labels(X, centers, w, labels, min_sq, chunk_inertia)

    ref_labels, ref_sq = naive.nearest(X, centers)
    # Random continuous data has no exact ties, so labels must be identical.
    assert_array_equal(labels, ref_labels)
    # min_sq is exact (float64 accumulation) then stored in the input dtype.
    rtol = 1e-6 if dtype == np.float32 else 1e-12
    assert_allclose(min_sq, ref_sq, rtol=rtol, atol=1e-12)
    assert min_sq.dtype == dtype
    assert_allclose(
        chunk_inertia.sum(), naive.inertia(X, centers, labels, w), rtol=1e-6
    )


@pytest.mark.parametrize("dtype", DTYPES)
def test_lloyd_step_matches_reference(rng, dtype):
    n, d, k = 1500, 6, 9
    X, centers, w = _problem(rng, n, d, k, dtype)
    n_blocks = assign.n_row_blocks(n, k, d)
    labels = np.full(n, -1, dtype=np.int32)
    labels[:10] = 0  # some rows start with a label; the rest count as changed
    block_sums = np.empty((n_blocks, k, d))
    block_weights = np.empty((n_blocks, k))
    block_inertia = np.empty((n_blocks, k))
    block_counts = np.empty((n_blocks, k), dtype=np.int64)
    block_changed = np.empty(n_blocks, dtype=np.int64)
    old = labels.copy()
    assign.lloyd_step(
        X,
        w,
        centers,
        labels,
        block_sums,
        block_weights,
        block_inertia,
        block_counts,
        block_changed,
        False,
    )
    sums = np.empty((k, d))
    weights = np.empty(k)
    assign.reduce_blocks(block_sums, block_weights, sums, weights)

    ref_labels, _ = naive.nearest(X, centers)
    assert_array_equal(labels, ref_labels)
    ref_sums, ref_weights = naive.weighted_means(X, ref_labels, k, w)
    # float64 accumulation of the same terms in another order: 1e-12.
    assert_allclose(sums, ref_sums, rtol=1e-12, atol=1e-9)
    assert_allclose(weights, ref_weights, rtol=1e-12)
    assert block_changed.sum() == np.sum(old != ref_labels)
    assert_allclose(
        block_inertia.sum(), naive.inertia(X, centers, ref_labels, w), rtol=1e-10
    )


def test_ties_go_to_lowest_index():
    X = np.array([[0.0, 0.0], [2.0, 0.0]])
    centers = np.array([[1.0, 0.0], [1.0, 0.0], [-1.0, 0.0]])
    labels = np.empty(2, dtype=np.int32)
    assign.assign_labels(X, centers, np.ones(2), labels, np.empty(2), np.empty(1))
    assert_array_equal(labels, [0, 0])


@pytest.mark.parametrize("dtype", DTYPES)
def test_lloyd_step_thread_independent(dtype):
    rng = np.random.default_rng(3)
    n, d, k = 5000, 8, 12
    X, centers, w = _problem(rng, n, d, k, dtype)
    n_blocks = assign.n_row_blocks(n, k, d)
    results = []
    before = numba.get_num_threads()
    try:
        for threads in (1, min(2, numba.config.NUMBA_NUM_THREADS)):
            numba.set_num_threads(threads)
            labels = np.full(n, -1, dtype=np.int32)
            bufs = (
                np.empty((n_blocks, k, d)),
                np.empty((n_blocks, k)),
                np.empty((n_blocks, k)),
                np.empty((n_blocks, k), dtype=np.int64),
                np.empty(n_blocks, dtype=np.int64),
            )
            assign.lloyd_step(X, w, centers, labels, *bufs, False)
            sums = np.empty((k, d))
            weights = np.empty(k)
            assign.reduce_blocks(bufs[0], bufs[1], sums, weights)
            results.append((labels, sums, weights, bufs[2].sum()))
    finally:
        numba.set_num_threads(before)
    (l1, s1, w1, i1), (l2, s2, w2, i2) = results
    assert_array_equal(l1, l2)
    assert_array_equal(s1, s2)  # bit-identical, not merely close
    assert_array_equal(w1, w2)
    assert i1 == i2


def test_n_row_blocks_depends_on_shape_only():
    assert assign.n_row_blocks(10, 3, 2) == 1
    assert assign.n_row_blocks(10**6, 16, 16) == assign.MAX_BLOCKS
    # a huge k * d caps the slots by the memory budget but keeps at least 2
    assert 2 <= assign.n_row_blocks(10**6, 4096, 4096) <= assign.MAX_BLOCKS


@pytest.mark.parametrize("dtype", DTYPES)
def test_euclidean_to_centers(rng, dtype):
    X, centers, _ = _problem(rng, 300, 4, 5, dtype)
    out = np.empty((300, 5), dtype=dtype)
    assign.euclidean_to_centers(X, centers, out)
    rtol = 1e-6 if dtype == np.float32 else 1e-12
    assert_allclose(out, np.sqrt(naive.sq_distances(X, centers)), rtol=rtol)


def _step(X, w, centers, labels, incremental):
    n, d = X.shape
    k = centers.shape[0]
    nb = assign.n_row_blocks(n, k, d)
    bufs = (
        np.empty((nb, k, d)),
        np.empty((nb, k)),
        np.empty((nb, k)),
        np.empty((nb, k), dtype=np.int64),
        np.empty(nb, dtype=np.int64),
    )
    assign.lloyd_step(X, w, centers, labels, *bufs, incremental)
    return [b.sum(axis=0) for b in bufs]


@pytest.mark.parametrize("dtype", DTYPES)
def test_incremental_step_adds_the_moves(rng, dtype):
    n, d, k = 3000, 4, 7
    X, centers, w = _problem(rng, n, d, k, dtype)
    w[::50] = 0  # rows of zero weight are not counted
    labels = np.full(n, -1, dtype=np.int32)
    first = _step(X, w, centers, labels, False)
    moved = (centers + rng.normal(scale=0.5, size=centers.shape)).astype(dtype)
    labels_full = labels.copy()
    full = _step(X, w, moved, labels_full, False)
    labels_inc = labels.copy()
    delta = _step(X, w, moved, labels_inc, True)
    assert_array_equal(labels_inc, labels_full)
    n_moved = np.sum(labels != labels_full)
    assert n_moved > 0
    assert delta[4] == full[4] == n_moved
    # sums, weights and counts: old totals plus the moves
    assert_allclose(first[0] + delta[0], full[0], rtol=1e-12, atol=1e-9)
    assert_allclose(first[1] + delta[1], full[1], rtol=1e-12, atol=1e-9)
    assert_array_equal(first[3] + delta[3], full[3])
    ref_counts = np.bincount(labels_full[w > 0], minlength=k)
    assert_array_equal(full[3], ref_counts)
    # the inertia slot of an incremental step: change of sum w * ||x||^2
    sq = w.astype(np.float64) * (X.astype(np.float64) ** 2).sum(axis=1)
    q_old = np.bincount(labels, weights=sq, minlength=k)
    q_new = np.bincount(labels_full, weights=sq, minlength=k)
    assert_allclose(delta[2], q_new - q_old, rtol=1e-9, atol=1e-8)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("d", [2, 9, 40])
def test_empty_weights_are_unit_weights(rng, dtype, d):
    # The estimator passes an empty array when every weight is 1, and the
    # steps then read none: full and incremental steps give the same bits.
    n, k = 2000, 6
    X, centers, _ = _problem(rng, n, d, k, dtype)
    ones = np.ones(n, dtype=dtype)
    moved = (centers + rng.normal(scale=0.5, size=centers.shape)).astype(dtype)
    lab_ones = np.full(n, -1, dtype=np.int32)
    lab_empty = lab_ones.copy()
    for c, incremental in ((centers, False), (moved, True), (centers, False)):
        got = _step(X, ones[:0], c, lab_empty, incremental)
        ref = _step(X, ones, c, lab_ones, incremental)
        assert_array_equal(lab_empty, lab_ones)
        for a, b in zip(got, ref, strict=True):
            assert_array_equal(a, b)
    assert ref[4] > 0  # the incremental step moved rows


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("n", [1000, 1031])
def test_incremental_step_finds_every_moved_row(rng, dtype, n):
    # The moved rows are found a mask of labels at a time, then bit by bit:
    # rows at the ends of masks, of chunks, and in a short last mask (1031
    # rows: the last chunk ends 7 rows into a mask) must all be found.
    d, k = 3, 5
    X, centers, w = _problem(rng, n, d, k, dtype)
    labels = np.full(n, -1, dtype=np.int32)
    _step(X, w, centers, labels, False)
    settled = labels.copy()
    rows = np.array([0, 1, 15, 16, 17, 255, 256, 511, 512, n - 7, n - 2, n - 1])
    labels[rows] = (labels[rows] + 1) % k
    before = labels.copy()
    delta = _step(X, w, centers, labels, True)
    assert_array_equal(labels, settled)
    assert delta[4] == len(rows)
    back = np.bincount(settled[rows], minlength=k) - np.bincount(
        before[rows], minlength=k
    )
    assert_array_equal(delta[3], back)


@numba.njit
def _masks(a, b):
    out = np.zeros(a.shape[0] - 15, dtype=np.int64)
    for i in range(out.shape[0]):
        out[i] = _simd.differ_mask(a, i, b, i)
    return out


@numba.njit
def _lowest_bits(masks):
    out = np.empty(masks.shape[0], dtype=np.int64)
    for i in range(masks.shape[0]):
        out[i] = _simd.lowest_bit(masks[i])
    return out


def test_differ_mask_and_lowest_bit(rng):
    a = rng.integers(0, 3, 200).astype(np.int32)
    b = a.copy()
    b[rng.random(200) < 0.2] += 1
    masks = _masks(a, b)
    for i, mask in enumerate(masks):
        differ = a[i : i + 16] != b[i : i + 16]
        assert mask == sum(1 << q for q in range(16) if differ[q])
    tests = np.array([1, 2, 8, 1 << 15, (1 << 15) | 4, 0], dtype=np.int64)
    assert_array_equal(_lowest_bits(tests), [0, 1, 3, 15, 2, 64])


@numba.njit
def _all_block_chunks(n_blocks, n_chunks):
    out = np.empty((n_blocks, 2), dtype=np.int64)
    for b in range(n_blocks):
        out[b, 0], out[b, 1] = assign.block_chunks(b, n_blocks, n_chunks)
    return out


@pytest.mark.parametrize("n_samples", [1, 255, 257, 100_000, 1_000_000, 70_001])
@pytest.mark.parametrize("k,d", [(8, 2), (256, 128)])
def test_blocks_share_the_chunks_evenly(n_samples, k, d):
    # Every chunk in exactly one block, in order; block sizes differ by at
    # most one chunk, so no block is empty (a statically scheduled parallel
    # loop would leave a thread idle for it).
    n_blocks = assign.n_row_blocks(n_samples, k, d)
    n_chunks = -(-n_samples // CHUNK_SIZE)
    spans = _all_block_chunks(n_blocks, n_chunks)
    assert spans[0, 0] == 0
    assert spans[-1, 1] == n_chunks
    assert_array_equal(spans[1:, 0], spans[:-1, 1])
    sizes = spans[:, 1] - spans[:, 0]
    assert sizes.min() >= 1
    assert sizes.max() - sizes.min() <= 1
