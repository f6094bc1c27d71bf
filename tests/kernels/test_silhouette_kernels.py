"""Silhouette and per-cluster score kernels against plain NumPy references.

Tolerances: float64 kernels sum the same terms as the reference in a
different order (tiles, four partial sums, stripes), so they agree to a few
ulps of the sums: ``rtol=1e-12``. float32 kernels compute distances in
float32 (relative error ~1e-7 per distance) and sum in float64: ``rtol=1e-5``
against the float64 reference. The register-blocked distance kernels of
``silhouette_ab`` are compared with the one-row-at-a-time kernels with no
tolerance at all: both compute every distance and add every sum in the same
order.
"""

import numba
import numpy as np
import pytest

from segmint._config import CHUNK_SIZE
from segmint._kernels import _simd, scores, silhouette


def _pairwise(X, squared=False):
    X = np.asarray(X, dtype=np.float64)
    d2 = ((X[:, None, :] - X[None, :, :]) ** 2).sum(axis=2)
    return d2 if squared else np.sqrt(d2)


def _reference_ab(X, labels, n_clusters, squared=False):
    """intra_sum and inter_mean straight from the full distance matrix."""
    D = _pairwise(X, squared)
    sums = np.stack([D[:, labels == c].sum(axis=1) for c in range(n_clusters)], 1)
    counts = np.bincount(labels, minlength=n_clusters)
    own = sums[np.arange(len(labels)), labels]
    with np.errstate(divide="ignore", invalid="ignore"):
        means = sums / counts
    means[np.arange(len(labels)), labels] = np.inf
    means[:, counts == 0] = np.inf
    return own, means.min(axis=1), sums


def _sorted_layout(labels, n_clusters):
    order = np.argsort(labels, kind="stable").astype(np.int64)
    counts = np.bincount(labels, minlength=n_clusters)
    bounds = np.zeros(n_clusters + 1, dtype=np.int64)
    np.cumsum(counts, out=bounds[1:])
    return order, bounds, counts


def _run_ab(X, labels, n_clusters):
    order, bounds, _ = _sorted_layout(labels, n_clusters)
    intra = np.full(len(X), np.nan)
    inter = np.full(len(X), np.nan)
    previous = numba.set_parallel_chunksize(1)
    try:
        silhouette.silhouette_ab(X, order, bounds, intra, inter)
    finally:
        numba.set_parallel_chunksize(previous)
    return intra, inter


def _data(rng, n, d, k, dtype=np.float64, sizes=None):
    X = rng.normal(size=(n, d)).astype(dtype)
    if sizes is None:
        labels = rng.integers(0, k, n)
    else:
        labels = np.repeat(np.arange(len(sizes)), sizes)
        rng.shuffle(labels)
    return np.ascontiguousarray(X), labels.astype(np.int64)


# shapes chosen to exercise: clusters smaller than a chunk, clusters spanning
# several chunks (stripes, off-diagonal tiles), n not a multiple of CHUNK_SIZE
SHAPES = [
    (7, 3, [3, 4]),
    (300, 5, [1, 2, 297]),
    (3 * CHUNK_SIZE + 17, 4, [CHUNK_SIZE * 2 + 5, 9, CHUNK_SIZE + 3]),
    (1500, 16, None),
    # one feature; row blocks with 1-3 rows left over after the groups of
    # four, and tiles that end part-way through a panel
    (2 * CHUNK_SIZE + 15, 1, [CHUNK_SIZE + 3, 6, CHUNK_SIZE + 6]),
]


@pytest.mark.parametrize(("n", "d", "sizes"), SHAPES)
def test_silhouette_ab_matches_reference(rng, n, d, sizes):
    k = len(sizes) if sizes else 6
    X, labels = _data(rng, n, d, k, sizes=sizes)
    intra, inter = _run_ab(X, labels, k)
    ref_intra, ref_inter, _ = _reference_ab(X, labels, k)
    np.testing.assert_allclose(intra, ref_intra, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(inter, ref_inter, rtol=1e-12)


def test_silhouette_ab_float32_close_to_float64(rng):
    X, labels = _data(rng, 700, 8, 5, dtype=np.float32)
    intra, inter = _run_ab(X, labels, 5)
    ref_intra, ref_inter, _ = _reference_ab(X, labels, 5)
    np.testing.assert_allclose(intra, ref_intra, rtol=1e-5)
    np.testing.assert_allclose(inter, ref_inter, rtol=1e-5)


def test_silhouette_ab_empty_cluster_is_ignored(rng):
    # label 1 unused: bounds has an empty run; the minimum must skip it
    X, labels = _data(rng, 200, 3, 2)
    labels = np.where(labels == 1, 2, labels)
    intra, inter = _run_ab(X, labels, 3)
    ref_intra, ref_inter, _ = _reference_ab(X, labels, 3)
    np.testing.assert_allclose(intra, ref_intra, rtol=1e-12)
    np.testing.assert_allclose(inter, ref_inter, rtol=1e-12)
    assert np.isfinite(inter).all()


def test_silhouette_ab_duplicates_give_exact_zeros():
    # direct differences: identical rows are exactly 0 apart (the expanded
    # ||x||^2 - 2x.y + ||y||^2 form would leave rounding noise here)
    X = np.array([[1e3, -2e3]] * 5 + [[1e3 + 1.0, -2e3]] * 4)
    labels = np.array([0] * 5 + [1] * 4)
    intra, inter = _run_ab(X, labels, 2)
    assert np.all(intra == 0.0)
    np.testing.assert_array_equal(inter, 1.0)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_silhouette_ab_same_at_one_and_two_threads(rng, dtype):
    X, labels = _data(rng, 4 * CHUNK_SIZE + 3, 6, 3, dtype=dtype)
    before = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        one = _run_ab(X, labels, 3)
        numba.set_num_threads(min(2, numba.config.NUMBA_NUM_THREADS))
        two = _run_ab(X, labels, 3)
    finally:
        numba.set_num_threads(before)
    np.testing.assert_array_equal(one[0], two[0])
    np.testing.assert_array_equal(one[1], two[1])


def _per_row_sums(X, order, r0, r1, c0, c1, b0, add_cols):
    """Row and column sums one scored row at a time (``cluster_distance_sums``'s
    kernels: a transposed tile, one distance buffer, ``_run_sum`` per tile)."""
    tile = np.empty((X.shape[1], CHUNK_SIZE), dtype=X.dtype)
    dist = np.empty(CHUNK_SIZE, dtype=X.dtype)
    rowsum = np.zeros(len(order))
    colsum = np.zeros(c1 - b0)
    for j0 in range(c0, c1, CHUNK_SIZE):
        j1 = min(c1, j0 + CHUNK_SIZE)
        silhouette._gather_tile(X, order, j0, j1, tile)
        for r in range(r0, r1):
            silhouette._tile_distances(X, order[r], tile, j1 - j0, dist)
            if add_cols:
                colsum[j0 - b0 : j1 - b0] += dist[: j1 - j0]
            rowsum[r] += silhouette._run_sum(dist, 0, j1 - j0)
    return rowsum, colsum


# (scored rows, reference columns, features): rows left over after the groups
# of four (1, 2, 3, 5, 7), columns filling no panel, part of one, whole
# panels, and several tiles ending part-way through a panel
ROW_COL_SHAPES = [
    (1, 5, 3),
    (2, 8, 1),
    (3, 17, 16),
    (4, 1, 2),
    (5, CHUNK_SIZE, 5),
    (7, CHUNK_SIZE + 9, 16),
    (64, 2 * CHUNK_SIZE + 21, 3),
]


@pytest.mark.parametrize("add_cols", [True, False])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize(("n_rows", "n_cols", "d"), ROW_COL_SHAPES)
def test_register_blocked_sums_equal_per_row_sums(
    rng, n_rows, n_cols, d, dtype, add_cols
):
    # Blocking four rows against a panel must change neither a distance (same
    # features, same order, same fused multiply-adds) nor the order in which
    # row and column sums are added: the results are bit-identical.
    n = n_rows + n_cols + 11
    X = (rng.normal(size=(n, d)) * rng.choice([1e-3, 1.0, 1e3], size=d)).astype(dtype)
    order = rng.permutation(n).astype(np.int64)
    r0, r1 = 3, 3 + n_rows
    c0, c1 = r1 + 4, r1 + 4 + n_cols
    b0 = r1 + 1  # columns start at an offset into the column-sum row
    width = 2 * _simd.lanes(X.itemsize)
    panels = np.empty((CHUNK_SIZE // width, d, width), dtype=dtype)
    part = np.empty((silhouette.ROW_BLOCK, 4))
    rowsum = np.zeros(n)
    colsum = np.zeros(c1 - b0)
    silhouette._rows_against_tiles(
        X, order, r0, r1, c0, c1, b0, add_cols, panels, part, rowsum, colsum
    )
    ref_rowsum, ref_colsum = _per_row_sums(X, order, r0, r1, c0, c1, b0, add_cols)
    np.testing.assert_array_equal(rowsum, ref_rowsum)
    np.testing.assert_array_equal(colsum, ref_colsum)
    assert np.all(rowsum[r0:r1] > 0)
    assert not add_cols or np.all(colsum[c0 - b0 :] > 0)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_cluster_distance_sums_matches_reference(rng, dtype):
    k = 4
    X, labels = _data(rng, 2 * CHUNK_SIZE + 40, 5, k, dtype=dtype)
    rows = np.sort(rng.choice(len(X), size=CHUNK_SIZE + 11, replace=False))
    order, bounds, _ = _sorted_layout(labels, k)
    out = np.full((len(rows), k), np.nan)
    silhouette.cluster_distance_sums(X, rows.astype(np.int64), order, bounds, out)
    _, _, ref = _reference_ab(X, labels, k)
    rtol = 1e-12 if dtype == np.float64 else 1e-5
    np.testing.assert_allclose(out, ref[rows], rtol=rtol)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_silhouette_ab_sqeuclidean_matches_reference(rng, dtype):
    k = 5
    X, labels = _data(rng, CHUNK_SIZE + 77, 7, k, dtype=dtype)
    X = X + dtype(50.0)  # an offset: the centred form must not cancel
    sums = np.empty((k, X.shape[1]))
    counts = np.empty(k, dtype=np.int64)
    scores.cluster_sums(X, labels, sums, counts)
    means = sums / counts[:, None]
    scatter = np.empty(k)
    dist = np.empty(k)
    scores.cluster_scatter(X, labels, means, scatter, dist)
    intra = np.empty(len(X))
    inter = np.empty(len(X))
    silhouette.silhouette_ab_sqeuclidean(
        X, labels, means, counts, scatter, intra, inter
    )
    ref_intra, ref_inter, _ = _reference_ab(X, labels, k, squared=True)
    # float32: the means and scatter come from float32 X exactly, the
    # reference too, so only summation order differs
    np.testing.assert_allclose(intra, ref_intra, rtol=1e-11)
    np.testing.assert_allclose(inter, ref_inter, rtol=1e-11)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_score_kernels_match_reference(rng, dtype):
    k = 3
    X, labels = _data(rng, 3 * CHUNK_SIZE + 5, 4, k, dtype=dtype)
    Xd = X.astype(np.float64)
    sums = np.empty((k, 4))
    counts = np.empty(k, dtype=np.int64)
    scores.cluster_sums(X, labels, sums, counts)
    ref_sums = np.stack([Xd[labels == c].sum(axis=0) for c in range(k)])
    np.testing.assert_allclose(sums, ref_sums, rtol=1e-12, atol=1e-12)
    np.testing.assert_array_equal(counts, np.bincount(labels, minlength=k))

    centers = rng.normal(size=(k, 4))
    sq = np.empty(k)
    dist = np.empty(k)
    scores.cluster_scatter(X, labels, centers, sq, dist)
    d2 = ((Xd - centers[labels]) ** 2).sum(axis=1)
    np.testing.assert_allclose(
        sq, np.bincount(labels, weights=d2, minlength=k), rtol=1e-12
    )
    np.testing.assert_allclose(
        dist, np.bincount(labels, weights=np.sqrt(d2), minlength=k), rtol=1e-12
    )

    w = rng.uniform(0.5, 2.0, len(X)).astype(dtype)
    c = centers.astype(dtype)
    got = scores.weighted_inertia(X, w, labels, c)
    ref = float((w * ((Xd - c.astype(np.float64)[labels]) ** 2).sum(axis=1)).sum())
    assert got == pytest.approx(ref, rel=1e-12)


def test_score_kernels_same_at_one_and_two_threads(rng):
    X, labels = _data(rng, 5 * CHUNK_SIZE + 1, 3, 4)
    centers = rng.normal(size=(4, 3))
    w = np.ones(len(X))

    def run():
        sums = np.empty((4, 3))
        counts = np.empty(4, dtype=np.int64)
        scores.cluster_sums(X, labels, sums, counts)
        sq = np.empty(4)
        dist = np.empty(4)
        scores.cluster_scatter(X, labels, centers, sq, dist)
        return sums, sq, dist, scores.weighted_inertia(X, w, labels, centers)

    before = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        one = run()
        numba.set_num_threads(min(2, numba.config.NUMBA_NUM_THREADS))
        two = run()
    finally:
        numba.set_num_threads(before)
    for a, b in zip(one, two, strict=True):
        np.testing.assert_array_equal(a, b)
