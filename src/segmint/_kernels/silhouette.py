"""Silhouette kernels: exact Euclidean sums and the squared-Euclidean closed form.

The silhouette of a row ``i`` in cluster ``A`` needs, for every cluster ``C``,
the sum of the distances from ``i`` to the rows of ``C``. The exact kernels
compute those sums without ever holding a distance matrix or an ``n x k``
array:

* rows are visited in cluster order (an index permutation ``order``; ``X``
  itself is not copied) and gathered, one tile of ``CHUNK_SIZE`` rows at a
  time, into a feature-major buffer, so that the distances to several
  reference rows are computed at once with SIMD instructions (4 float64 or
  8 float32 distances per instruction);
* :func:`silhouette_ab` (every row scored) blocks registers across rows as
  well: four scored rows meet each loaded reference vector, so every load
  from the tile serves four pairs and the loop is bound by arithmetic, not
  by memory. The tile is stored in panels of ``2 * lanes`` reference rows,
  each panel feature-major and contiguous, which the kernel reads as one
  sequential stream. Square roots stay vectorised, and both the row sums
  and the column sums are added while the distances are still in
  registers;
* because a tile is in cluster order, the distances from one row to one
  cluster are a contiguous run, summed with independent partial sums: no
  scatter by label;
* :func:`silhouette_ab` computes each distance once: it walks cluster-pair
  blocks ``(A, B)``, ``A <= B``, adds each distance to its row's and its
  column's sum, and folds the completed sums into the running minimum that
  becomes ``b`` at the end of each block. Its extra memory is ``O(n)``
  whatever ``k`` is;
* :func:`cluster_distance_sums` (a sample of rows against all rows, for the
  sampled estimate) gives each ``prange`` iteration a fixed chunk of scored
  rows and its own ``(CHUNK_SIZE, k)`` accumulator.

Differences are taken directly, ``sqrt(sum_f (x_if - y_jf)^2)``, not through
``||x||^2 - 2 x.y + ||y||^2``: the expanded form loses all relative precision
for near-duplicate rows, and the silhouette must match a float64 reference to
1e-10. Each squared distance is accumulated feature by feature, in feature
order, with fused multiply-adds, whichever code path computes it; every
output is written by one work item only and every sum is added in a fixed
order, so the results do not depend on the number of threads.
"""

import numpy as np
from numba import njit, prange

from segmint._config import CHUNK_SIZE, JIT_KW, PARALLEL_JIT_KW
from segmint._kernels import _simd


@njit(**JIT_KW)
def _gather_tile(
    X,  # IN (n_samples, n_features)
    order,  # IN (n_ref,) int64, reference rows in cluster order
    start,
    stop,
    tile,  # OUT (n_features, >= stop - start)
):
    """Copy rows ``X[order[start:stop]]`` into ``tile``, transposed."""
    n_features = X.shape[1]
    for jj in range(stop - start):
        row = order[start + jj]
        for f in range(n_features):
            tile[f, jj] = X[row, f]


@njit(**JIT_KW)
def _tile_sq_distances(
    X,  # IN (n_samples, n_features)
    i,
    tile,  # IN (n_features, >= m), reference rows transposed
    m,
    dist,  # OUT (>= m,), squared Euclidean distances from X[i] to the tile
):
    """Squared Euclidean distances from row ``i`` to the ``m`` rows of ``tile``.

    The inner loop runs over tile rows on contiguous memory, so it
    vectorises; four features are folded into each pass (with fused
    multiply-adds) so that ``dist`` is loaded and stored once per four
    features instead of once per feature. Features are still added in order,
    ``((d_0 + d_1) + d_2) + ...``.
    """
    n_features = X.shape[1]
    zero = X.dtype.type(0)
    for jj in range(m):
        dist[jj] = zero
    f = 0
    while f + 4 <= n_features:
        v0 = X[i, f]
        v1 = X[i, f + 1]
        v2 = X[i, f + 2]
        v3 = X[i, f + 3]
        for jj in range(m):
            t0 = tile[f, jj] - v0
            t1 = tile[f + 1, jj] - v1
            t2 = tile[f + 2, jj] - v2
            t3 = tile[f + 3, jj] - v3
            acc = _simd.fma(t0, t0, dist[jj])
            acc = _simd.fma(t1, t1, acc)
            acc = _simd.fma(t2, t2, acc)
            dist[jj] = _simd.fma(t3, t3, acc)
        f += 4
    while f < n_features:
        v = X[i, f]
        for jj in range(m):
            t = tile[f, jj] - v
            dist[jj] = _simd.fma(t, t, dist[jj])
        f += 1


@njit(**JIT_KW)
def _tile_distances(
    X,  # IN (n_samples, n_features)
    i,
    tile,  # IN (n_features, >= m), reference rows transposed
    m,
    dist,  # OUT (>= m,), Euclidean distances from X[i] to the tile's rows
):
    """Euclidean distances from row ``i`` to the ``m`` rows held in ``tile``.

    Squared distances first, then the square roots in a second vectorised
    loop.
    """
    _tile_sq_distances(X, i, tile, m, dist)
    for jj in range(m):
        dist[jj] = np.sqrt(dist[jj])


@njit(**JIT_KW)
def _run_sum(dist, start, stop):
    """Sum ``dist[start:stop]`` in float64 with four independent partial sums.

    Four accumulators break the add-latency chain; their fixed combination
    order keeps the result deterministic.
    """
    s0 = 0.0
    s1 = 0.0
    s2 = 0.0
    s3 = 0.0
    j = start
    while j + 4 <= stop:
        s0 += dist[j]
        s1 += dist[j + 1]
        s2 += dist[j + 2]
        s3 += dist[j + 3]
        j += 4
    while j < stop:
        s0 += dist[j]
        j += 1
    return (s0 + s1) + (s2 + s3)


@njit(**PARALLEL_JIT_KW)
def cluster_distance_sums(
    X,  # IN (n_samples, n_features) float32/float64, C-contiguous
    rows,  # IN (n_rows,) int64, rows of X to score
    order,  # IN (n_ref,) int64, reference rows of X sorted by cluster
    bounds,  # IN (n_clusters + 1,) int64, cluster c is order[bounds[c]:bounds[c+1]]
    out,  # OUT (n_rows, n_clusters) float64
):
    """Sum of Euclidean distances from each scored row to every cluster.

    ``out[r, c] = sum_{j in cluster c} ||X[rows[r]] - X[order[j]]||``.

    This is the general form used by the sampled estimate (a few scored rows
    against all rows); :func:`silhouette_ab` is the same computation reduced
    on the fly to two numbers per row, for scoring every row.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features), float32 or float64
        Data, C-contiguous. Distances are computed in ``X``'s dtype and summed
        in float64.
    rows : ndarray of shape (n_rows,), int64
        Indices of the rows to score.
    order : ndarray of shape (n_ref,), int64
        Indices of the reference rows, grouped by cluster (cluster 0 first).
    bounds : ndarray of shape (n_clusters + 1,), int64
        Cluster ``c`` occupies ``order[bounds[c]:bounds[c + 1]]``.
    out : ndarray of shape (n_rows, n_clusters), float64
        Written in full.
    """
    n_rows = rows.shape[0]
    n_ref = order.shape[0]
    n_features = X.shape[1]
    n_clusters = bounds.shape[0] - 1
    n_chunks = (n_rows + CHUNK_SIZE - 1) // CHUNK_SIZE
    for chunk in prange(n_chunks):
        r0 = chunk * CHUNK_SIZE
        r1 = min(n_rows, r0 + CHUNK_SIZE)
        tile = np.empty((n_features, CHUNK_SIZE), dtype=X.dtype)
        dist = np.empty(CHUNK_SIZE, dtype=X.dtype)
        for r in range(r0, r1):
            for c in range(n_clusters):
                out[r, c] = 0.0
        for j0 in range(0, n_ref, CHUNK_SIZE):
            j1 = min(n_ref, j0 + CHUNK_SIZE)
            m = j1 - j0
            _gather_tile(X, order, j0, j1, tile)
            for r in range(r0, r1):
                _tile_distances(X, rows[r], tile, m, dist)
                c = 0
                while bounds[c + 1] <= j0:
                    c += 1
                while c < n_clusters and bounds[c] < j1:
                    a = max(bounds[c], j0) - j0
                    b = min(bounds[c + 1], j1) - j0
                    if b > a:
                        out[r, c] += _run_sum(dist, a, b)
                    c += 1


#: Number of row stripes a cluster-pair block is split into. Each stripe is
#: one ``prange`` iteration with its own column partial-sum row, so the
#: column sums use ``MAX_STRIPES * n`` float64 at most. Fixed, never derived
#: from the thread count, so the summation order (hence the result) is the
#: same on any machine; 8 keeps 2 to 8 threads busy on the larger blocks.
MAX_STRIPES = 8

#: Rows per work item inside a cluster-pair block. Smaller than CHUNK_SIZE so
#: that even a block of a few hundred rows splits into several stripes; each
#: gathered column tile is still reused by 64 rows, which keeps the gather
#: cost at a few percent of the distance work.
ROW_BLOCK = 64


# A serial driver: its own array set-up must not become parallel loops (they
# would be scheduled one element at a time under set_parallel_chunksize(1));
# the parallel work is all in _block_sums.
@njit(**JIT_KW)
def silhouette_ab(
    X,  # IN (n_samples, n_features) float32/float64, C-contiguous
    order,  # IN (n_samples,) int64, all rows sorted by cluster
    bounds,  # IN (n_clusters + 1,) int64
    intra_sum,  # OUT (n_samples,) float64
    inter_mean,  # OUT (n_samples,) float64
):
    """Per-row silhouette ingredients over all rows, exact Euclidean.

    For row ``i`` in cluster ``A``: ``intra_sum[i] = sum_{j in A} d(i, j)``
    and ``inter_mean[i] = min_{C != A, |C| > 0} mean_{j in C} d(i, j)``
    (``inf`` when there is no other non-empty cluster). The silhouette is then
    ``(b - a) / max(a, b)`` with ``a = intra_sum / (|A| - 1)``, ``b =
    inter_mean`` (Rousseeuw, 1987).

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features), float32 or float64
        Data, C-contiguous. Distances are computed in ``X``'s dtype and
        summed in float64.
    order : ndarray of shape (n_samples,), int64
        ``np.argsort(labels, kind="stable")``: rows grouped by cluster.
    bounds : ndarray of shape (n_clusters + 1,), int64
        Cluster ``c`` occupies ``order[bounds[c]:bounds[c + 1]]``.
    intra_sum, inter_mean : ndarray of shape (n_samples,), float64
        Written in full, indexed like ``X``.

    Notes
    -----
    Each distance is computed once: the pairs are visited as cluster-pair
    blocks ``(A, B)``, ``A <= B``. A block's distance tiles add into the row
    sums of ``A``'s rows and the column sums of ``B``'s rows, so when the
    block is done both ``sum_{j in B} d(i, j)`` for ``i in A`` and ``sum_{i
    in A} d(i, j)`` for ``j in B`` are complete; they are folded into the
    running minimum of the mean inter-cluster distance at once, and never
    stored per cluster. Diagonal blocks ``(A, A)`` visit only the tiles on
    and above the diagonal. The rows of the larger cluster of a pair are split
    into at most ``MAX_STRIPES`` stripes run in parallel; each stripe has its
    own column partial-sum row, added up in stripe order. Inside a stripe,
    four rows at a time meet each tile (:func:`_quad_against_panels`); how
    the rows are grouped changes no distance and no summation order.

    Extra memory: ``O((MAX_STRIPES + 3) n)`` float64 plus one tile and one
    ``(ROW_BLOCK, 4)`` partial-sum buffer per stripe, whatever ``k`` is: no
    ``n x k`` array and no distance matrix.

    Rousseeuw, P. J. (1987). Silhouettes: a graphical aid to the
    interpretation and validation of cluster analysis. J. Comput. Appl. Math.
    20, 53-65.
    """
    n_samples = X.shape[0]
    n_clusters = bounds.shape[0] - 1
    rowsum = np.zeros(n_samples, dtype=np.float64)
    intra_pos = np.zeros(n_samples, dtype=np.float64)
    inter_pos = np.full(n_samples, np.inf)
    colpart = np.zeros((MAX_STRIPES, n_samples), dtype=np.float64)
    # per-stripe scratch, allocated once for all blocks; a panel is two packs
    # wide (8 float64 or 16 float32 reference rows)
    width = 2 * _simd.pack_lanes(X)
    panels = np.empty(
        (MAX_STRIPES, CHUNK_SIZE // width, X.shape[1], width), dtype=X.dtype
    )
    parts = np.empty((MAX_STRIPES, ROW_BLOCK, 4), dtype=np.float64)
    for ca in range(n_clusters):
        for cb in range(ca, n_clusters):
            sa = bounds[ca + 1] - bounds[ca]
            sb = bounds[cb + 1] - bounds[cb]
            if sa == 0 or sb == 0:
                continue
            # rows = larger cluster, so that the block splits into more stripes
            if sb > sa:
                a0, a1, b0, b1 = bounds[cb], bounds[cb + 1], bounds[ca], bounds[ca + 1]
            else:
                a0, a1, b0, b1 = bounds[ca], bounds[ca + 1], bounds[cb], bounds[cb + 1]
            diagonal = ca == cb
            n_stripes = _block_sums(
                X, order, a0, a1, b0, b1, diagonal, rowsum, colpart, panels, parts
            )
            if diagonal:
                for r in range(a0, a1):
                    total = rowsum[r]
                    for s in range(n_stripes):
                        total += colpart[s, r - a0]
                    intra_pos[r] = total
            else:
                size_a = a1 - a0
                size_b = b1 - b0
                for r in range(a0, a1):
                    v = rowsum[r] / size_b
                    if v < inter_pos[r]:
                        inter_pos[r] = v
                for r in range(b0, b1):
                    total = 0.0
                    for s in range(n_stripes):
                        total += colpart[s, r - b0]
                    v = total / size_a
                    if v < inter_pos[r]:
                        inter_pos[r] = v
    for r in range(n_samples):
        intra_sum[order[r]] = intra_pos[r]
        inter_mean[order[r]] = inter_pos[r]


@njit(**JIT_KW)
def _rows_against_tiles(
    X,  # IN (n_samples, n_features)
    order,  # IN (n_samples,) int64
    r0,
    r1,
    c0,
    c1,
    b0,
    add_cols,
    panels,  # scratch (CHUNK_SIZE // width, n_features, width), X's dtype
    part,  # scratch (>= r1 - r0, 4) float64, C-contiguous
    rowsum,  # IN/OUT (n_samples,) float64, positions r0:r1
    colpart_row,  # IN/OUT (>= c1 - b0,) float64, this stripe's column sums
):
    """Distances from sorted positions ``r0:r1`` to ``c0:c1``, tile by tile.

    Adds each row's total to ``rowsum``; with ``add_cols``, also each
    column's total to ``colpart_row[c - b0]``.

    Within a tile, rows go four at a time through
    :func:`_quad_against_panels` (the rest one at a time), over the columns
    that fill whole panels; the columns after the last whole panel are done
    one distance at a time. Whatever the path, a column receives its rows'
    distances in row order, and a row's tile total is ``(s_0 + s_1) + (s_2 +
    s_3)`` where ``s_l`` sums, in column order, the columns ``j`` with ``j % 4
    == l`` (``j < m - m % 4``; the last ``m % 4`` columns go to ``s_0``), as
    in :func:`_run_sum`.
    """
    width = panels.shape[2]
    n_rows = r1 - r0
    n_quad = n_rows - n_rows % 4
    for j0 in range(c0, c1, CHUNK_SIZE):
        j1 = min(c1, j0 + CHUNK_SIZE)
        m = j1 - j0
        m_vec = m - m % width
        _gather_panels(X, order, j0, j1, panels)
        off = j0 - b0
        for q in range(0, n_quad, 4):
            r = r0 + q
            _quad_against_panels(
                X, order[r], order[r + 1], order[r + 2], order[r + 3], panels,
                m_vec, add_cols, colpart_row, off, part, q,
            )  # fmt: skip
        for q in range(n_quad, n_rows):
            _row_against_panels(
                X, order[r0 + q], panels, m_vec, add_cols, colpart_row, off, part, q
            )
        # columns after the last whole panel
        p = m_vec // width
        m4 = m - m % 4
        for j in range(m_vec, m):
            lane = j % 4 if j < m4 else 0
            total = colpart_row[off + j] if add_cols else 0.0
            for q in range(n_rows):
                s = np.sqrt(_panel_sq_distance(X, order[r0 + q], panels, p, j - m_vec))
                part[q, lane] += s
                total += s
            if add_cols:
                colpart_row[off + j] = total
        for q in range(n_rows):
            rowsum[r0 + q] += (part[q, 0] + part[q, 1]) + (part[q, 2] + part[q, 3])


@njit(**JIT_KW)
def _gather_panels(
    X,  # IN (n_samples, n_features)
    order,  # IN (n_ref,) int64, reference rows in cluster order
    start,
    stop,
    panels,  # OUT (>= ceil((stop - start) / width), n_features, width)
):
    """Copy rows ``X[order[start:stop]]`` into ``panels``, a panel per ``width``.

    Reference row ``jj`` goes to column ``jj % width`` of panel ``jj //
    width``; each panel is feature-major, so the distance kernels read a
    panel as one contiguous stream of packs.
    """
    n_features = X.shape[1]
    width = panels.shape[2]
    for jj in range(stop - start):
        row = order[start + jj]
        p = jj // width
        k = jj - p * width
        for f in range(n_features):
            panels[p, f, k] = X[row, f]


@njit(**JIT_KW)
def _quad_against_panels(
    X,  # IN (n_samples, n_features)
    i0,
    i1,
    i2,
    i3,
    panels,  # IN (n_panels, n_features, 2 * lanes), reference rows
    m_vec,
    add_cols,
    colpart_row,  # IN/OUT (>= off + m_vec,) float64
    off,
    part,  # OUT (>= q + 4, 4) float64, C-contiguous
    q,
):
    """Distances from rows ``i0 .. i3`` to the first ``m_vec`` panel columns.

    ``m_vec`` is a multiple of the panel width ``2 * lanes``. The four rows
    share every pack loaded from a panel (register blocking: 8 accumulators
    of ``lanes`` distances each). Each distance is added, in row order, to
    ``colpart_row[off + j]`` when ``add_cols``, and into four partial sums per
    row (column ``j`` into sum ``j % 4``), written to ``part[q:q + 4]``.
    """
    n_features = X.shape[1]
    lanes = _simd.pack_lanes(panels)
    width = 2 * lanes
    p0 = _simd.vzero4(part)
    p1 = _simd.vzero4(part)
    p2 = _simd.vzero4(part)
    p3 = _simd.vzero4(part)
    for j in range(0, m_vec, width):
        # panel j // width starts at flat position (j // width) * n_features * width
        base = j * n_features
        a00 = _simd.vzero(panels)
        a01 = _simd.vzero(panels)
        a10 = _simd.vzero(panels)
        a11 = _simd.vzero(panels)
        a20 = _simd.vzero(panels)
        a21 = _simd.vzero(panels)
        a30 = _simd.vzero(panels)
        a31 = _simd.vzero(panels)
        for f in range(n_features):
            t0 = _simd.vload(panels, base + f * width)
            t1 = _simd.vload(panels, base + f * width + lanes)
            v = _simd.vsplat(panels, X[i0, f])
            e = _simd.vsub(t0, v)
            a00 = _simd.vfma(e, e, a00)
            e = _simd.vsub(t1, v)
            a01 = _simd.vfma(e, e, a01)
            v = _simd.vsplat(panels, X[i1, f])
            e = _simd.vsub(t0, v)
            a10 = _simd.vfma(e, e, a10)
            e = _simd.vsub(t1, v)
            a11 = _simd.vfma(e, e, a11)
            v = _simd.vsplat(panels, X[i2, f])
            e = _simd.vsub(t0, v)
            a20 = _simd.vfma(e, e, a20)
            e = _simd.vsub(t1, v)
            a21 = _simd.vfma(e, e, a21)
            v = _simd.vsplat(panels, X[i3, f])
            e = _simd.vsub(t0, v)
            a30 = _simd.vfma(e, e, a30)
            e = _simd.vsub(t1, v)
            a31 = _simd.vfma(e, e, a31)
        a00 = _simd.vsqrt(a00)
        a01 = _simd.vsqrt(a01)
        a10 = _simd.vsqrt(a10)
        a11 = _simd.vsqrt(a11)
        a20 = _simd.vsqrt(a20)
        a21 = _simd.vsqrt(a21)
        a30 = _simd.vsqrt(a30)
        a31 = _simd.vsqrt(a31)
        if add_cols:
            c = off + j
            _simd.vadd_into(colpart_row, c, a00)
            _simd.vadd_into(colpart_row, c, a10)
            _simd.vadd_into(colpart_row, c, a20)
            _simd.vadd_into(colpart_row, c, a30)
            c += lanes
            _simd.vadd_into(colpart_row, c, a01)
            _simd.vadd_into(colpart_row, c, a11)
            _simd.vadd_into(colpart_row, c, a21)
            _simd.vadd_into(colpart_row, c, a31)
        p0 = _simd.vfold4(_simd.vfold4(p0, a00), a01)
        p1 = _simd.vfold4(_simd.vfold4(p1, a10), a11)
        p2 = _simd.vfold4(_simd.vfold4(p2, a20), a21)
        p3 = _simd.vfold4(_simd.vfold4(p3, a30), a31)
    _simd.vstore(part, 4 * q, p0)
    _simd.vstore(part, 4 * (q + 1), p1)
    _simd.vstore(part, 4 * (q + 2), p2)
    _simd.vstore(part, 4 * (q + 3), p3)


@njit(**JIT_KW)
def _row_against_panels(
    X,  # IN (n_samples, n_features)
    i,
    panels,  # IN (n_panels, n_features, 2 * lanes), reference rows
    m_vec,
    add_cols,
    colpart_row,  # IN/OUT (>= off + m_vec,) float64
    off,
    part,  # OUT (>= q + 1, 4) float64, C-contiguous
    q,
):
    """:func:`_quad_against_panels` for a single row (the rows left over)."""
    n_features = X.shape[1]
    lanes = _simd.pack_lanes(panels)
    width = 2 * lanes
    p0 = _simd.vzero4(part)
    for j in range(0, m_vec, width):
        base = j * n_features
        a0 = _simd.vzero(panels)
        a1 = _simd.vzero(panels)
        for f in range(n_features):
            v = _simd.vsplat(panels, X[i, f])
            e = _simd.vsub(_simd.vload(panels, base + f * width), v)
            a0 = _simd.vfma(e, e, a0)
            e = _simd.vsub(_simd.vload(panels, base + f * width + lanes), v)
            a1 = _simd.vfma(e, e, a1)
        a0 = _simd.vsqrt(a0)
        a1 = _simd.vsqrt(a1)
        if add_cols:
            _simd.vadd_into(colpart_row, off + j, a0)
            _simd.vadd_into(colpart_row, off + j + lanes, a1)
        p0 = _simd.vfold4(_simd.vfold4(p0, a0), a1)
    _simd.vstore(part, 4 * q, p0)


@njit(**JIT_KW)
def _panel_sq_distance(
    X,  # IN (n_samples, n_features)
    i,
    panels,  # IN (n_panels, n_features, width)
    p,
    k,
):
    """Squared distance from row ``i`` to column ``k`` of panel ``p``, scalar."""
    acc = X.dtype.type(0)
    for f in range(X.shape[1]):
        e = panels[p, f, k] - X[i, f]
        acc = _simd.fma(e, e, acc)
    return acc


@njit(**PARALLEL_JIT_KW)
def _block_sums(
    X,  # IN (n_samples, n_features)
    order,  # IN (n_samples,) int64
    a0,
    a1,
    b0,
    b1,
    diagonal,
    rowsum,  # OUT (n_samples,) float64, positions a0:a1 written
    colpart,  # OUT (MAX_STRIPES, >= b1 - b0) float64, first n_stripes rows written
    panels,  # scratch (MAX_STRIPES, CHUNK_SIZE // width, n_features, width), X's dtype
    parts,  # scratch (MAX_STRIPES, ROW_BLOCK, 4) float64
):
    """Row and column distance sums of one cluster-pair block.

    Rows are the sorted positions ``a0:a1``, columns ``b0:b1``, both in tiles
    of ``CHUNK_SIZE``. Rows are handed out in blocks of ``ROW_BLOCK``; block
    ``p`` belongs to stripe ``p % n_stripes``, so every stripe gets rows from
    the whole range (which balances the triangular diagonal blocks). Callers
    should run it under ``numba.set_parallel_chunksize(1)`` so that stripes,
    which do unequal work, are handed out one at a time (results do not
    depend on it: which thread runs a stripe changes no sum). With ``diagonal`` (``a0 == b0``), a
    row block meets only the columns from its own first row on: its own
    square adds to the row sums only (it holds both ``(i, j)`` and ``(j,
    i)``), the columns after it to the row and the column sums.

    Returns
    -------
    n_stripes : int
        Number of rows of ``colpart`` written.
    """
    n_row_blocks = (a1 - a0 + ROW_BLOCK - 1) // ROW_BLOCK
    n_stripes = min(MAX_STRIPES, n_row_blocks)
    width = b1 - b0
    for s in prange(n_stripes):
        stripe_panels = panels[s]
        part = parts[s]
        colpart_row = colpart[s]
        for jj in range(width):
            colpart_row[jj] = 0.0
        for p in range(s, n_row_blocks, n_stripes):
            r0 = a0 + p * ROW_BLOCK
            r1 = min(a1, r0 + ROW_BLOCK)
            for r in range(r0, r1):
                rowsum[r] = 0.0
            if diagonal:
                _rows_against_tiles(
                    X, order, r0, r1, r0, r1, b0, False, stripe_panels, part, rowsum,
                    colpart_row,
                )  # fmt: skip
                _rows_against_tiles(
                    X, order, r0, r1, r1, b1, b0, True, stripe_panels, part, rowsum,
                    colpart_row,
                )  # fmt: skip
            else:
                _rows_against_tiles(
                    X, order, r0, r1, b0, b1, b0, True, stripe_panels, part, rowsum,
                    colpart_row,
                )  # fmt: skip
    return n_stripes


@njit(**JIT_KW)
def _sq_dist_to(X, i, centers, c):
    """Squared Euclidean distance from ``X[i]`` to ``centers[c]`` (float64)."""
    s = 0.0
    for f in range(X.shape[1]):
        t = np.float64(X[i, f]) - centers[c, f]
        s += t * t
    return s


@njit(**PARALLEL_JIT_KW)
def silhouette_ab_sqeuclidean(
    X,  # IN (n_samples, n_features) float32/float64
    labels,  # IN (n_samples,) int64 in [0, n_clusters)
    means,  # IN (n_clusters, n_features) float64, cluster means
    counts,  # IN (n_clusters,) int64, cluster sizes
    scatter,  # IN (n_clusters,) float64, sum_{j in C} ||x_j - mean_C||^2
    intra_sum,  # OUT (n_samples,) float64
    inter_mean,  # OUT (n_samples,) float64
):
    """Silhouette ingredients for the squared Euclidean metric, in O(n k d).

    Uses the identity ``sum_{j in C} ||x - x_j||^2 = |C| ||x - m_C||^2 +
    sum_{j in C} ||x_j - m_C||^2`` (the parallel-axis theorem), whose terms
    are all non-negative: unlike ``|C| ||x||^2 - 2 x.S_C + Q_C`` (from the
    cluster sum ``S_C`` and sum of squared norms ``Q_C``) it involves no
    cancellation, so it is as accurate as summing the pairwise distances.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features), float32 or float64
        Data.
    labels : ndarray of shape (n_samples,), int64
        Cluster of every row.
    means : ndarray of shape (n_clusters, n_features), float64
        Cluster means (rows of empty clusters are ignored).
    counts : ndarray of shape (n_clusters,), int64
        Cluster sizes.
    scatter : ndarray of shape (n_clusters,), float64
        Within-cluster sum of squared distances to the mean.
    intra_sum, inter_mean : ndarray of shape (n_samples,), float64
        As in :func:`silhouette_ab`, for squared distances. Written in full.
    """
    n_samples = X.shape[0]
    n_clusters = means.shape[0]
    n_chunks = (n_samples + CHUNK_SIZE - 1) // CHUNK_SIZE
    for chunk in prange(n_chunks):
        r0 = chunk * CHUNK_SIZE
        r1 = min(n_samples, r0 + CHUNK_SIZE)
        for i in range(r0, r1):
            own = labels[i]
            best = np.inf
            for c in range(n_clusters):
                if counts[c] == 0:
                    continue
                total = counts[c] * _sq_dist_to(X, i, means, c) + scatter[c]
                if c == own:
                    intra_sum[i] = total
                else:
                    v = total / counts[c]
                    if v < best:
                        best = v
            inter_mean[i] = best
