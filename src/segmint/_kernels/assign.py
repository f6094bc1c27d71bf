"""Nearest-centre assignment, the Lloyd step, inertia and distances.

Every kernel takes ``X`` as a C-contiguous float32 or float64 array and lets
Numba specialise on its dtype; nothing here casts ``X``. Per-cluster sums are
accumulated in float64 whatever the input dtype, and every reduction is done
per fixed block of rows and then combined serially in block order, so the
results are bit-identical for any number of threads.
"""

import numpy as np
from numba import njit, prange

from segmint._config import CHUNK_SIZE, JIT_KW, PARALLEL_JIT_KW

#: Upper bound on the number of partial-sum slots used by the Lloyd step. A
#: slot holds one (k, d) float64 block, so the bound keeps the buffer small
#: while still giving every thread several slots to balance over.
MAX_BLOCKS = 64

#: Memory budget, in bytes, for all partial-sum slots together.
BLOCK_BUDGET_BYTES = 1 << 26


def n_row_blocks(n_samples, n_clusters, n_features):
    """Number of partial-sum slots for the Lloyd step.

    Depends only on the shapes (never on the thread count), which is what
    makes the reduction order, hence the result, thread-independent.

    Parameters
    ----------
    n_samples, n_clusters, n_features : int
        Shape of the problem.

    Returns
    -------
    n_blocks : int
        At least 1, at most ``MAX_BLOCKS`` and at most the number of chunks.
    """
    n_chunks = max(1, -(-n_samples // CHUNK_SIZE))
    per_block = 8 * max(1, n_clusters) * max(1, n_features)
    by_budget = max(2, BLOCK_BUDGET_BYTES // per_block)
    return int(max(1, min(n_chunks, MAX_BLOCKS, by_budget)))


#: Most rows labelled together by the vectorised nearest-centre loop: 64
#: rows are 16 AVX2 vectors of float64, enough to hide loop overhead. Wide
#: rows use fewer (``_row_tile``) so that the transposed tile stays in L1.
ROW_TILE = 64

#: Bytes of the transposed row tile, sized to a 32 KiB L1 data cache
#: (measured: 64 rows x 128 float64 features ran 1.6x slower than 32 rows).
TILE_BYTES = 32768


@njit(**JIT_KW)
def _row_tile(n_padded_features, itemsize):
    """Rows per tile: ``ROW_TILE``, fewer for wide rows (multiple of 8, >= 8)."""
    rows = TILE_BYTES // (n_padded_features * itemsize)
    return max(8, min(ROW_TILE, rows // 8 * 8))


#: Unit roundoff of float64.
_U64 = 2.0**-53


@njit(**JIT_KW)
def _sq_dist_row(X, i, centers, j):
    """Squared distance between row ``i`` of X and centre ``j``, in float64.

    This is the reference distance of every kernel: labels are the argmin of
    this value (lowest index on ties) whichever fast path found them, which is
    what makes the pruned variants agree bit for bit with plain Lloyd. Four
    interleaved partial sums, combined in a fixed order, break the add chain's
    latency without depending on the compiler.
    """
    n_features = X.shape[1]
    x = X[i]
    c = centers[j]
    s0 = 0.0
    s1 = 0.0
    s2 = 0.0
    s3 = 0.0
    f4 = n_features - n_features % 4
    for f in range(0, f4, 4):
        t0 = np.float64(x[f]) - np.float64(c[f])
        t1 = np.float64(x[f + 1]) - np.float64(c[f + 1])
        t2 = np.float64(x[f + 2]) - np.float64(c[f + 2])
        t3 = np.float64(x[f + 3]) - np.float64(c[f + 3])
        s0 += t0 * t0
        s1 += t1 * t1
        s2 += t2 * t2
        s3 += t3 * t3
    for f in range(f4, n_features):
        t0 = np.float64(x[f]) - np.float64(c[f])
        s0 += t0 * t0
    return (s0 + s1) + (s2 + s3)


@njit(**JIT_KW)
def _pad_centers(centers):
    """Centres padded for :func:`_nearest_tile`, their half squared norms, max norm.

    Returns
    -------
    padded : ndarray of shape (ceil4(n_clusters), ceil4(n_features)), dtype of centres
        Zero-padded copy (whole blocks of four centres and four features).
    half : ndarray of shape (ceil4(n_clusters),), dtype of centres
        ``0.5 ||c_j||^2``; ``inf`` for the padding centres, which never win.
    cmax : float
        Largest ``||c_j||``, in float64, for the rounding-error bound.
    """
    n_clusters, n_features = centers.shape
    k4 = (n_clusters + 3) // 4 * 4
    d4 = max(4, (n_features + 3) // 4 * 4)
    padded = np.zeros((k4, d4), dtype=centers.dtype)
    half = np.full(k4, np.inf, dtype=centers.dtype)
    cmax2 = 0.0
    for j in range(n_clusters):
        s = centers.dtype.type(0)
        s64 = 0.0
        for f in range(n_features):
            c = centers[j, f]
            padded[j, f] = c
            s += c * c
            s64 += np.float64(c) * np.float64(c)
        half[j] = 0.5 * s
        cmax2 = max(cmax2, s64)
    return padded, half, np.sqrt(cmax2)


@njit(**JIT_KW)
def _unit_roundoff(X):
    """Unit roundoff of the dtype of X: 2**-24 (float32) or 2**-53 (float64)."""
    return np.float64(np.finfo(X.dtype).eps) * 0.5


@njit(**JIT_KW)
def _nearest_chunk(
    X,  # IN (n_samples, n_features)
    rows,  # IN (m_max,) int64: row indices to label
    m,  # IN: number of valid entries in rows
    centers,  # IN (n_clusters, n_features)
    padded,  # IN (k4, d4) padded centres from _pad_centers
    half,  # IN (k4,) 0.5 ||c||^2 of the padded centres, dtype of X
    cmax,  # IN float: max ||c_j||
    xt,  # scratch (d4, ROW_TILE) dtype of X
    v,  # scratch (4, ROW_TILE) dtype of X
    best,  # scratch (ROW_TILE,) dtype of X
    second,  # scratch (ROW_TILE,) dtype of X
    labf,  # scratch (ROW_TILE,) dtype of X
    labels_out,  # OUT (m,) int32
    lower_out,  # OUT (m,) float64: lower bound, squared distance to 2nd nearest
):
    """Exact nearest centre of up to ``CHUNK_SIZE`` rows.

    The rows are copied transposed into ``xt`` so that every loop runs over
    rows, contiguous in memory, and vectorises: for each centre ``j`` the
    value ``v = 0.5 ||c_j||^2 - x.c_j`` (which orders centres as the squared
    distance does) is computed four features at a time, then folded into a
    running best / second-best without branches.

    In float32 (and, rarely, float64) two centres can be so close to a row
    that rounding in ``v`` could swap them. The gap between the best and the
    second-best ``v`` is therefore compared with a bound on the rounding
    error (Higham, *Accuracy and Stability of Numerical Algorithms*, 2002,
    section 3.1: ``|err| <= gamma_d sum |x_f c_f|``) plus the error of the
    float64 reference distance; below it, the row is re-labelled from the
    reference distances :func:`_sq_dist_row` of every centre. The label is
    thus always the argmin of the reference distance, lowest index on ties.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features), float32 or float64
    rows : ndarray of shape (>= m,), int64
        Rows of X to label.
    m : int
        Number of rows, at most ``CHUNK_SIZE``.
    centers : ndarray of shape (n_clusters, n_features), dtype of X
    padded, half, cmax
        From :func:`_pad_centers` applied to ``centers``.
    xt, v, best, second, labf : ndarray, dtype of X
        Scratch space (see signature comments).
    labels_out : ndarray of shape (>= m,), int32
        Written: nearest centre of ``rows[i]``.
    lower_out : ndarray of shape (>= m,), float64
        Written: a lower bound on the squared distance from ``rows[i]`` to
        every centre but its nearest (``inf`` when there is one centre).
    """
    tile = _row_tile(padded.shape[1], X.itemsize)
    for t0 in range(0, m, tile):
        _nearest_tile(
            X,
            rows[t0:],
            min(tile, m - t0),
            centers,
            padded,
            half,
            cmax,
            xt,
            v,
            best,
            second,
            labf,
            labels_out[t0:],
            lower_out[t0:],
        )


@njit(**JIT_KW)
def _nearest_tile(
    X,
    rows,
    m,
    centers,
    padded,
    half,
    cmax,
    xt,
    v,
    best,
    second,
    labf,
    labels_out,
    lower_out,
):
    """:func:`_nearest_chunk` for at most ``ROW_TILE`` rows (same arguments)."""
    n_features = X.shape[1]
    n_clusters = centers.shape[0]
    n_pad = padded.shape[1]
    dt = X.dtype.type
    zero = dt(0)
    one = dt(1)
    if n_features > 32:
        # Wide rows: copy feature by feature (contiguous stores; the strided
        # loads reuse the tile's cache lines). Row by row, every store lands
        # on a new cache line: measured ~1.5x slower at d = 128.
        for f in range(n_features):
            xf = xt[f]
            for i in range(m):
                xf[i] = X[rows[i], f]
    else:
        for i in range(m):
            r = rows[i]
            for f in range(n_features):
                xt[f, i] = X[r, f]
    for f in range(n_features, n_pad):
        for i in range(m):
            xt[f, i] = zero
    for i in range(m):
        best[i] = np.inf
        second[i] = np.inf
        labf[i] = zero
    v0 = v[0]
    v1 = v[1]
    v2 = v[2]
    v3 = v[3]
    last = n_pad - 4
    # Four centres at a time, four features at a time: each loaded x feeds
    # four products, and the last feature block is fused with the running
    # minimum so that v never goes through memory when n_features <= 4.
    for j in range(0, padded.shape[0], 4):
        for f in range(0, last, 4):
            a0 = padded[j, f]
            a1 = padded[j, f + 1]
            a2 = padded[j, f + 2]
            a3 = padded[j, f + 3]
            b0 = padded[j + 1, f]
            b1 = padded[j + 1, f + 1]
            b2 = padded[j + 1, f + 2]
            b3 = padded[j + 1, f + 3]
            c0 = padded[j + 2, f]
            c1 = padded[j + 2, f + 1]
            c2 = padded[j + 2, f + 2]
            c3 = padded[j + 2, f + 3]
            d0 = padded[j + 3, f]
            d1 = padded[j + 3, f + 1]
            d2 = padded[j + 3, f + 2]
            d3 = padded[j + 3, f + 3]
            x0 = xt[f]
            x1 = xt[f + 1]
            x2 = xt[f + 2]
            x3 = xt[f + 3]
            if f == 0:
                for i in range(m):
                    y0 = x0[i]
                    y1 = x1[i]
                    y2 = x2[i]
                    y3 = x3[i]
                    v0[i] = (a0 * y0 + a1 * y1) + (a2 * y2 + a3 * y3)
                    v1[i] = (b0 * y0 + b1 * y1) + (b2 * y2 + b3 * y3)
                    v2[i] = (c0 * y0 + c1 * y1) + (c2 * y2 + c3 * y3)
                    v3[i] = (d0 * y0 + d1 * y1) + (d2 * y2 + d3 * y3)
            else:
                for i in range(m):
                    y0 = x0[i]
                    y1 = x1[i]
                    y2 = x2[i]
                    y3 = x3[i]
                    v0[i] += (a0 * y0 + a1 * y1) + (a2 * y2 + a3 * y3)
                    v1[i] += (b0 * y0 + b1 * y1) + (b2 * y2 + b3 * y3)
                    v2[i] += (c0 * y0 + c1 * y1) + (c2 * y2 + c3 * y3)
                    v3[i] += (d0 * y0 + d1 * y1) + (d2 * y2 + d3 * y3)
        f = last
        a0 = padded[j, f]
        a1 = padded[j, f + 1]
        a2 = padded[j, f + 2]
        a3 = padded[j, f + 3]
        b0 = padded[j + 1, f]
        b1 = padded[j + 1, f + 1]
        b2 = padded[j + 1, f + 2]
        b3 = padded[j + 1, f + 3]
        c0 = padded[j + 2, f]
        c1 = padded[j + 2, f + 1]
        c2 = padded[j + 2, f + 2]
        c3 = padded[j + 2, f + 3]
        d0 = padded[j + 3, f]
        d1 = padded[j + 3, f + 1]
        d2 = padded[j + 3, f + 2]
        d3 = padded[j + 3, f + 3]
        x0 = xt[f]
        x1 = xt[f + 1]
        x2 = xt[f + 2]
        x3 = xt[f + 3]
        ha = half[j]
        hb = half[j + 1]
        hc = half[j + 2]
        hd = half[j + 3]
        ja = dt(j)
        jb = dt(j + 1)
        jc = dt(j + 2)
        jd = dt(j + 3)
        if last == 0:
            for i in range(m):
                v0[i] = zero
                v1[i] = zero
                v2[i] = zero
                v3[i] = zero
        for i in range(m):
            y0 = x0[i]
            y1 = x1[i]
            y2 = x2[i]
            y3 = x3[i]
            pa = (a0 * y0 + a1 * y1) + (a2 * y2 + a3 * y3)
            pb = (b0 * y0 + b1 * y1) + (b2 * y2 + b3 * y3)
            pc = (c0 * y0 + c1 * y1) + (c2 * y2 + c3 * y3)
            pd = (d0 * y0 + d1 * y1) + (d2 * y2 + d3 * y3)
            pa += v0[i]
            pb += v1[i]
            pc += v2[i]
            pd += v3[i]
            # 0.5 ||c||^2 - x.c orders centres as the squared distance does.
            # Branch-free running minimum: conditional stores would compile
            # to masked stores, several times slower than blends.
            bb = best[i]
            ss = second[i]
            ll = labf[i]
            val = ha - pa
            ss = min(ss, max(bb, val))
            lt = one if val < bb else zero
            bb = min(bb, val)
            ll = ll + (ja - ll) * lt
            val = hb - pb
            ss = min(ss, max(bb, val))
            lt = one if val < bb else zero
            bb = min(bb, val)
            ll = ll + (jb - ll) * lt
            val = hc - pc
            ss = min(ss, max(bb, val))
            lt = one if val < bb else zero
            bb = min(bb, val)
            ll = ll + (jc - ll) * lt
            val = hd - pd
            ss = min(ss, max(bb, val))
            lt = one if val < bb else zero
            bb = min(bb, val)
            ll = ll + (jd - ll) * lt
            best[i] = bb
            second[i] = ss
            labf[i] = ll

    # v0 now holds ||x||^2 (in working precision; only the bound uses it).
    for i in range(m):
        v0[i] = zero
    for f in range(n_features):
        x0 = xt[f]
        for i in range(m):
            v0[i] = v0[i] + x0[i] * x0[i]
    u = _unit_roundoff(X)
    g = (n_features + 2) * u
    g64 = (n_features + 2) * _U64
    for i in range(m):
        xx = np.float64(v0[i]) * (1.0 + g)
        xn = np.sqrt(xx)
        # Error of each v (dot form, working precision) plus error of half the
        # reference squared distance; x4 to keep a safe margin on both.
        err = 4.0 * (g * (cmax * cmax + xn * cmax) + g64 * (xn + cmax) ** 2)
        b = np.float64(best[i])
        s = np.float64(second[i])
        lower_out[i] = max(0.0, 2.0 * (s - err) + xx * (1.0 - 2.0 * g)) * (1.0 - g)
        labels_out[i] = np.int32(labf[i])
        # Rounding the margin to the working precision keeps its sign (or
        # makes it zero, which only triggers a harmless re-check).
        v1[i] = (s - b) - 2.0 * err
    for i in range(m):
        if not v1[i] > zero:
            labels_out[i] = -1
    for i in range(m):
        if labels_out[i] < 0:
            # Close call: decide with the reference distance.
            r = rows[i]
            lab = 0
            d_best = _sq_dist_row(X, r, centers, 0)
            d_second = np.inf
            for j in range(1, n_clusters):
                dj = _sq_dist_row(X, r, centers, j)
                if dj < d_best:
                    d_second = d_best
                    d_best = dj
                    lab = j
                elif dj < d_second:
                    d_second = dj
            labels_out[i] = lab
            lower_out[i] = d_second * (1.0 - g64)


@njit(**JIT_KW)
def _block_scratch(X):
    """Scratch arrays for :func:`_nearest_chunk` (one set per block of rows)."""
    d4 = max(4, (X.shape[1] + 3) // 4 * 4)
    dt = X.dtype
    xt = np.empty((d4, ROW_TILE), dtype=dt)
    v = np.empty((4, ROW_TILE), dtype=dt)
    best = np.empty(ROW_TILE, dtype=dt)
    second = np.empty(ROW_TILE, dtype=dt)
    labf = np.empty(ROW_TILE, dtype=dt)
    return xt, v, best, second, labf


@njit(**JIT_KW)
def _add_row(
    x,  # IN (n_features,) one row of X
    w,  # IN float64 weight
    center,  # IN (n_features,) float64, the row's centre
    sums,  # IN/OUT (n_features,) float64, the centre's running sum
):
    """``sums += w * x`` in float64; returns ``w * ||x - center||^2``.

    The one place where every variant adds a row to its cluster's sum and to
    the inertia, in the same order, so that all variants agree bit for bit.
    Four interleaved partial sums for the distance break the add chain's
    latency (one chain of ``d`` dependent additions per row otherwise).
    """
    n_features = x.shape[0]
    for f in range(n_features):
        sums[f] += w * np.float64(x[f])
    s0 = 0.0
    s1 = 0.0
    s2 = 0.0
    s3 = 0.0
    f4 = n_features - n_features % 4
    for f in range(0, f4, 4):
        t0 = np.float64(x[f]) - center[f]
        t1 = np.float64(x[f + 1]) - center[f + 1]
        t2 = np.float64(x[f + 2]) - center[f + 2]
        t3 = np.float64(x[f + 3]) - center[f + 3]
        s0 += t0 * t0
        s1 += t1 * t1
        s2 += t2 * t2
        s3 += t3 * t3
    for f in range(f4, n_features):
        t0 = np.float64(x[f]) - center[f]
        s0 += t0 * t0
    return w * ((s0 + s1) + (s2 + s3))


@njit(**PARALLEL_JIT_KW)
def lloyd_step(
    X,  # IN (n_samples, n_features) float32/float64
    sample_weight,  # IN (n_samples,) same dtype as X
    centers,  # IN (n_clusters, n_features) same dtype as X
    labels,  # IN/OUT (n_samples,) int32: previous labels in, new labels out
    block_sums,  # OUT (n_blocks, n_clusters, n_features) float64
    block_weights,  # OUT (n_blocks, n_clusters) float64
    block_inertia,  # OUT (n_blocks,) float64
    block_changed,  # OUT (n_blocks,) int64
):
    """One Lloyd iteration: assign every row, then sum rows per cluster.

    Rows are processed in chunks of ``CHUNK_SIZE`` by :func:`_nearest_chunk`;
    chunks are grouped into ``n_blocks`` contiguous blocks
    (``n_blocks = block_sums.shape[0]``), each with its own slot of partial
    sums, weights, inertia and count of changed labels. The caller combines
    the slots in block order with :func:`reduce_blocks`.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features), float32 or float64
        Data, C-contiguous.
    sample_weight : ndarray of shape (n_samples,), dtype of X
        Weight of each row.
    centers : ndarray of shape (n_clusters, n_features), dtype of X
        Centres used for the assignment.
    labels : ndarray of shape (n_samples,), int32
        Read to count changes, then overwritten with the nearest centre.
    block_sums : ndarray of shape (n_blocks, n_clusters, n_features), float64
        Written: weighted sums of the rows assigned to each cluster.
    block_weights : ndarray of shape (n_blocks, n_clusters), float64
        Written: total weight assigned to each cluster.
    block_inertia : ndarray of shape (n_blocks,), float64
        Written: weighted squared distance of each row to its new centre,
        in float64 (:func:`_add_row`).
    block_changed : ndarray of shape (n_blocks,), int64
        Written: number of rows whose label changed.
    """
    n_samples = X.shape[0]
    n_blocks = block_sums.shape[0]
    n_chunks = (n_samples + CHUNK_SIZE - 1) // CHUNK_SIZE
    padded, half, cmax = _pad_centers(centers)
    centers64 = centers.astype(np.float64)
    chunks_per_block = (n_chunks + n_blocks - 1) // n_blocks
    for b in prange(n_blocks):
        sums = block_sums[b]
        weights = block_weights[b]
        sums[:] = 0.0
        weights[:] = 0.0
        inertia = 0.0
        changed = 0
        xt, v, best, second, labf = _block_scratch(X)
        rows = np.empty(CHUNK_SIZE, dtype=np.int64)
        new = np.empty(CHUNK_SIZE, dtype=np.int32)
        lower = np.empty(CHUNK_SIZE, dtype=np.float64)
        c_lo = b * chunks_per_block
        c_hi = min(n_chunks, c_lo + chunks_per_block)
        for c in range(c_lo, c_hi):
            start = c * CHUNK_SIZE
            end = min(n_samples, start + CHUNK_SIZE)
            m = end - start
            for i in range(m):
                rows[i] = start + i
            _nearest_chunk(
                X,
                rows,
                m,
                centers,
                padded,
                half,
                cmax,
                xt,
                v,
                best,
                second,
                labf,
                new,
                lower,
            )
            for i in range(start, end):
                lab = np.intp(new[i - start])
                if lab != labels[i]:
                    changed += 1
                    labels[i] = lab
                w = np.float64(sample_weight[i])
                weights[lab] += w
                inertia += _add_row(X[i], w, centers64[lab], sums[lab])
        block_inertia[b] = inertia
        block_changed[b] = changed


@njit(**JIT_KW)
def reduce_blocks(
    block_sums,  # IN (n_blocks, n_clusters, n_features) float64
    block_weights,  # IN (n_blocks, n_clusters) float64
    sums,  # OUT (n_clusters, n_features) float64
    weights,  # OUT (n_clusters,) float64
):
    """Add the per-block partial sums serially, in block order."""
    sums[:] = 0.0
    weights[:] = 0.0
    for b in range(block_sums.shape[0]):
        for j in range(sums.shape[0]):
            weights[j] += block_weights[b, j]
            for f in range(sums.shape[1]):
                sums[j, f] += block_sums[b, j, f]


@njit(**PARALLEL_JIT_KW)
def assign_labels(
    X,  # IN (n_samples, n_features)
    centers,  # IN (n_clusters, n_features)
    sample_weight,  # IN (n_samples,)
    labels,  # OUT (n_samples,) int32
    min_sq_dist,  # OUT (n_samples,) dtype of X
    chunk_inertia,  # OUT (n_chunks,) float64
):
    """Nearest centre of every row, its exact squared distance, and inertia.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features), float32 or float64
    centers : ndarray of shape (n_clusters, n_features), dtype of X
    sample_weight : ndarray of shape (n_samples,), dtype of X
    labels : ndarray of shape (n_samples,), int32
        Written: index of the nearest centre by the reference distance
        :func:`_sq_dist_row` (lowest index on ties), as in :func:`lloyd_step`.
    min_sq_dist : ndarray of shape (n_samples,), dtype of X
        Written: exact squared distance to that centre.
    chunk_inertia : ndarray of shape (ceil(n_samples / CHUNK_SIZE),), float64
        Written: per-chunk weighted sum of ``min_sq_dist`` (float64); add it
        up serially for a thread-independent inertia.
    """
    n_samples = X.shape[0]
    n_chunks = (n_samples + CHUNK_SIZE - 1) // CHUNK_SIZE
    padded, half, cmax = _pad_centers(centers)
    for c in prange(n_chunks):
        xt, v, best, second, labf = _block_scratch(X)
        rows = np.empty(CHUNK_SIZE, dtype=np.int64)
        lower = np.empty(CHUNK_SIZE, dtype=np.float64)
        start = c * CHUNK_SIZE
        end = min(n_samples, start + CHUNK_SIZE)
        for i in range(end - start):
            rows[i] = start + i
        _nearest_chunk(
            X,
            rows,
            end - start,
            centers,
            padded,
            half,
            cmax,
            xt,
            v,
            best,
            second,
            labf,
            labels[start:end],
            lower,
        )
        total = 0.0
        for i in range(start, end):
            dist = _sq_dist_row(X, i, centers, labels[i])
            min_sq_dist[i] = dist
            total += np.float64(sample_weight[i]) * dist
        chunk_inertia[c] = total


@njit(**PARALLEL_JIT_KW)
def labelled_sq_distances(
    X,  # IN (n_samples, n_features)
    centers,  # IN (n_clusters, n_features)
    labels,  # IN (n_samples,) int32
    out,  # OUT (n_samples,) dtype of X
):
    """Exact squared distance of every row to the centre its label names."""
    for i in prange(X.shape[0]):
        out[i] = _sq_dist_row(X, i, centers, labels[i])


@njit(**PARALLEL_JIT_KW)
def labelled_inertia(
    X,  # IN (n_samples, n_features)
    sample_weight,  # IN (n_samples,)
    centers,  # IN (n_clusters, n_features)
    labels,  # IN (n_samples,) int32
    chunk_inertia,  # OUT (n_chunks,) float64
):
    """Per-chunk weighted sum of squared distances to the labelled centres.

    Add ``chunk_inertia`` up serially for the inertia; float64 throughout.
    """
    n_samples = X.shape[0]
    n_chunks = (n_samples + CHUNK_SIZE - 1) // CHUNK_SIZE
    for c in prange(n_chunks):
        start = c * CHUNK_SIZE
        end = min(n_samples, start + CHUNK_SIZE)
        total = 0.0
        for i in range(start, end):
            total += np.float64(sample_weight[i]) * _sq_dist_row(
                X, i, centers, labels[i]
            )
        chunk_inertia[c] = total


@njit(**PARALLEL_JIT_KW)
def euclidean_to_centers(
    X,  # IN (n_samples, n_features)
    centers,  # IN (n_clusters, n_features)
    out,  # OUT (n_samples, n_clusters) dtype of X
):
    """Euclidean distance from every row to every centre (``transform``).

    The output is the n x k matrix the caller asked for; accumulation is in
    float64 and the result is stored in the dtype of X.
    """
    n_clusters = centers.shape[0]
    for i in prange(X.shape[0]):
        for j in range(n_clusters):
            out[i, j] = np.sqrt(_sq_dist_row(X, i, centers, j))


@njit(**JIT_KW)
def sum_serial(values):
    """Sum a 1-D array left to right in float64 (a fixed order)."""
    s = 0.0
    for v in values:
        s += v
    return s
