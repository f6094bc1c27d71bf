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
from segmint._kernels import _simd

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


@njit(inline="always", **JIT_KW)
def block_chunks(b, n_blocks, n_chunks):
    """First and one-past-last chunk of block ``b`` of ``n_blocks``.

    The chunks are shared out as evenly as whole chunks allow (sizes differ
    by at most one), so that no block is left empty: the parallel loops hand
    each thread an equal run of blocks, and blocks of ``ceil(n_chunks /
    n_blocks)`` chunks left the last ones empty and the first thread with up
    to a sixth more rows. Depends only on the shapes, like the blocks.
    """
    return (b * n_chunks) // n_blocks, ((b + 1) * n_chunks) // n_blocks


#: Unit roundoff of float64.
_U64 = 2.0**-53


@njit(inline="always", **JIT_KW)
def _sq_dist_row(X, i, centers, j):
    """Squared distance between row ``i`` of X and centre ``j``, in float64.

    This is the reference distance of every kernel: labels are the argmin of
    this value (lowest index on ties) whichever fast path found them, which is
    what makes the pruned variants agree bit for bit with plain Lloyd. Four
    interleaved partial sums, combined in a fixed order
    (:func:`~segmint._kernels._simd.sq_dist`), so the value depends on the
    data alone.
    """
    return _simd.sq_dist(X, i, centers, j)


@njit(**JIT_KW)
def _pad_centers(centers):
    """Centres laid out for :func:`~segmint._kernels._simd.nearest_rows`.

    Returns
    -------
    ct : ndarray of shape (n_features, kp), dtype of centres
        Negated and transposed (``ct[f, j] = -centers[j, f]``: the kernels
        subtract ``x.c`` from ``0.5 ||c||^2`` by fused multiply-adds, with no
        subtraction left over), zero-padded to ``kp`` centres: a multiple of the SIMD
        centre block (two vectors' worth of centres), or of the narrow
        block of two 32-byte vectors (8 float64 or 16 float32) when the
        centres fit in one, or exactly one 32-byte vector (8 float32).
    half : ndarray of shape (kp,), dtype of centres
        ``0.5 ||c_j||^2``; ``inf`` for the padding centres, which never win.
    cmax : float
        Largest ``||c_j||``, in float64, for the rounding-error bound.
    """
    n_clusters, n_features = centers.shape
    block = 2 * (_simd.VECTOR_BYTES // centers.itemsize)
    narrow = 2 * (32 // centers.itemsize)
    single = _simd.SINGLE_BLOCK_BYTES // centers.itemsize
    if n_clusters <= single and single % _simd.LANES_CENTRES == 0:
        # At most one 32-byte vector of centres (float32): the single-vector
        # tile, no padded half.
        block = single
    elif n_clusters <= narrow:
        # Few centres: the narrow tile folds less padding per row.
        block = narrow
    kp = max(1, -(-n_clusters // block)) * block
    ct = np.zeros((n_features, kp), dtype=centers.dtype)
    half = np.full(kp, np.inf, dtype=centers.dtype)
    cmax2 = 0.0
    for j in range(n_clusters):
        s = centers.dtype.type(0)
        s64 = 0.0
        for f in range(n_features):
            c = centers[j, f]
            ct[f, j] = -c
            s += c * c
            s64 += np.float64(c) * np.float64(c)
        half[j] = 0.5 * s
        cmax2 = max(cmax2, s64)
    return ct, half, np.sqrt(cmax2)


@njit(inline="always", **JIT_KW)
def _unit_roundoff(X):
    """Unit roundoff of the dtype of X: 2**-24 (float32) or 2**-53 (float64).

    From the item size, not ``np.finfo``, which costs a call per chunk.
    """
    return 2.0**-24 if X.itemsize == 4 else _U64


#: Contiguous rows are searched with rows in vector lanes
#: (:func:`~segmint._kernels._simd.nearest_lanes`) when X has at most
#: ``LANES_MAX_FEATURES`` features, whatever the number of centres; the
#: register tile of :func:`~segmint._kernels._simd.nearest_rows` otherwise
#: (measured: docs/algorithms.md).
LANES_MAX_FEATURES = 16

#: From this many features on, the register tile takes eight rows at a time
#: (:func:`~segmint._kernels._simd.nearest_rows8`) rather than four: the
#: loads of centres are shared by twice the rows.
TILE8_MIN_FEATURES = 24


@njit(**JIT_KW)
def _lanes_pass(X, start, m, ct, half, best, second, labf, xsq, bound):
    """Best and second-best values of rows ``start`` to ``start + m - 1``.

    What the tile loop of :func:`_nearest_chunk` computes, bit for bit, with
    rows in vector lanes; needs ``X.shape[1] <= LANES_MAX_FEATURES``.
    Returns the number of close calls by the rounding test ``bound``
    (``(g, e0, e1)``, see :func:`_error_bound`), counted in the kernel.
    """
    n_features = X.shape[1]
    width = _simd.VECTOR_BYTES // X.itemsize * _simd.lanes_groups(n_features)
    close = 0
    for i0 in range(0, m, width):
        v = min(width, m - i0)
        r = start + i0
        if n_features == 1:
            close += _simd.nearest_lanes(
                X, r, v, 1, ct, half, i0, best, second, labf, xsq, bound
            )
        elif n_features == 2:
            close += _simd.nearest_lanes(
                X, r, v, 2, ct, half, i0, best, second, labf, xsq, bound
            )
        elif n_features == 3:
            close += _simd.nearest_lanes(
                X, r, v, 3, ct, half, i0, best, second, labf, xsq, bound
            )
        elif n_features == 4:
            close += _simd.nearest_lanes(
                X, r, v, 4, ct, half, i0, best, second, labf, xsq, bound
            )
        elif n_features == 5:
            close += _simd.nearest_lanes(
                X, r, v, 5, ct, half, i0, best, second, labf, xsq, bound
            )
        elif n_features == 6:
            close += _simd.nearest_lanes(
                X, r, v, 6, ct, half, i0, best, second, labf, xsq, bound
            )
        elif n_features == 7:
            close += _simd.nearest_lanes(
                X, r, v, 7, ct, half, i0, best, second, labf, xsq, bound
            )
        elif n_features == 8:
            close += _simd.nearest_lanes(
                X, r, v, 8, ct, half, i0, best, second, labf, xsq, bound
            )
        elif n_features == 9:
            close += _simd.nearest_lanes(
                X, r, v, 9, ct, half, i0, best, second, labf, xsq, bound
            )
        elif n_features == 10:
            close += _simd.nearest_lanes(
                X, r, v, 10, ct, half, i0, best, second, labf, xsq, bound
            )
        elif n_features == 11:
            close += _simd.nearest_lanes(
                X, r, v, 11, ct, half, i0, best, second, labf, xsq, bound
            )
        elif n_features == 12:
            close += _simd.nearest_lanes(
                X, r, v, 12, ct, half, i0, best, second, labf, xsq, bound
            )
        elif n_features == 13:
            close += _simd.nearest_lanes(
                X, r, v, 13, ct, half, i0, best, second, labf, xsq, bound
            )
        elif n_features == 14:
            close += _simd.nearest_lanes(
                X, r, v, 14, ct, half, i0, best, second, labf, xsq, bound
            )
        elif n_features == 15:
            close += _simd.nearest_lanes(
                X, r, v, 15, ct, half, i0, best, second, labf, xsq, bound
            )
        elif n_features == 16:
            close += _simd.nearest_lanes(
                X, r, v, 16, ct, half, i0, best, second, labf, xsq, bound
            )
    return close


@njit(**JIT_KW)
def _tile_pass(X, rows, m, ct, half, best, second, labf, xsq):
    """Best and second-best values of ``rows[:m]`` by the register tile.

    The tile variant follows the padded centre count (``ct.shape[1]``, see
    :func:`_pad_centers`) and X's width. A short last group repeats the
    chunk's last row; its extra results land in the scratch tail and are
    never read.
    """
    n_features = X.shape[1]
    if ct.shape[1] * X.itemsize == _simd.SINGLE_BLOCK_BYTES:
        for i0 in range(0, m, 8):
            _simd.nearest_rows_single(X, rows, i0, m, ct, half, best, second, labf, xsq)
    elif ct.shape[1] < 2 * (_simd.VECTOR_BYTES // X.itemsize):
        for i0 in range(0, m, 4):
            _simd.nearest_rows_narrow(X, rows, i0, m, ct, half, best, second, labf, xsq)
    elif n_features >= TILE8_MIN_FEATURES:
        for i0 in range(0, m, 8):
            _simd.nearest_rows8(X, rows, i0, m, ct, half, best, second, labf, xsq)
    else:
        for i0 in range(0, m, 4):
            _simd.nearest_rows(X, rows, i0, m, ct, half, best, second, labf, xsq)


@njit(inline="always", **JIT_KW)
def _error_bound(xsq_i, g, e0, e1):
    """``(xx, err)``: a row's ``||x||^2`` rounded up, and the bound on the
    rounding error of its values (see :func:`_nearest_chunk`)."""
    xx = xsq_i * (1.0 + g)
    return xx, e0 + e1 * xx


@njit(inline="always", **JIT_KW)
def _settled(best_i, second_i, err):
    """The gap between best and second best exceeds twice the error bound."""
    return (np.float64(second_i) - np.float64(best_i)) - 2.0 * err > 0.0


@njit(**JIT_KW)
def _nearest_chunk(
    X,  # IN (n_samples, n_features)
    rows,  # IN (m_max,) int64: row indices to label
    m,  # IN: number of valid entries in rows
    centers,  # IN (n_clusters, n_features)
    ct,  # IN (n_features, kp) transposed padded centres from _pad_centers
    half,  # IN (kp,) 0.5 ||c||^2 of the padded centres, dtype of X
    cmax,  # IN float: max ||c_j||
    best,  # scratch (CHUNK_SIZE + 16,) dtype of X
    second,  # scratch (CHUNK_SIZE + 16,) dtype of X
    labf,  # scratch (CHUNK_SIZE + 16,) dtype of X
    xsq,  # scratch (CHUNK_SIZE + 16,) float64
    labels_out,  # OUT (m,) int32
    lower_out,  # OUT (m,) float64: lower bound, squared distance to 2nd nearest
    # (or an empty array: not wanted)
    contiguous,  # IN bool: rows[i] == rows[0] + i
):
    """Exact nearest centre of up to ``CHUNK_SIZE`` rows.

    With rows in vector lanes (:func:`_lanes_pass`: consecutive rows, at most
    ``LANES_MAX_FEATURES`` features) or else a register tile
    (:func:`_tile_pass`), the kernels find the best and second-best value of
    ``v = 0.5 ||c_j||^2 - x.c_j`` (which orders centres as the squared
    distance does).

    In float32 (and, rarely, float64) two centres can be so close to a row
    that rounding in ``v`` could swap them. The gap between the best and the
    second-best ``v`` is therefore compared with a bound on the rounding
    error (Higham, *Accuracy and Stability of Numerical Algorithms*, 2002,
    section 3.1: a sum of ``d + 1`` terms, ``0.5 ||c||^2`` (itself within
    ``gamma_d`` of exact) and the ``-x_f c_f``, is within
    ``gamma_d (0.5 ||c||^2 + sum |x_f c_f|)``) plus the error of the
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
    ct, half, cmax
        From :func:`_pad_centers` applied to ``centers``.
    best, second, labf : ndarray of shape (CHUNK_SIZE + 16,), dtype of X
        Scratch space (:func:`_block_scratch`); the kernels write whole
        groups of rows, up to 32 entries, so past ``m``.
    xsq : ndarray of shape (CHUNK_SIZE + 16,), float64
        Scratch space (squared norms of the rows).
    labels_out : ndarray of shape (>= m,), int32
        Written: nearest centre of ``rows[i]``.
    lower_out : ndarray of shape (>= m,) or (0,), float64
        Written: a lower bound on the squared distance from ``rows[i]`` to
        every centre but its nearest (``inf`` when there is one centre).
        Empty when the caller needs no bounds (plain Lloyd): then nothing is
        computed for it.
    contiguous : bool
        The rows are consecutive: with few features and centres they are
        then searched with rows in vector lanes (:func:`_lanes_pass`, same
        values).
    """
    if m == 0:
        return
    n_features = X.shape[1]
    n_clusters = centers.shape[0]
    u = _unit_roundoff(X)
    g = (n_features + 2) * u
    g64 = (n_features + 2) * _U64
    # Error of each v (half norm and dot, working precision: at most
    # gamma_d (|c|^2 + |x| |c|) <= g (|c|^2 + |x| |c|)) plus
    # error of half the reference squared distance (g64 (|x| + |c|)^2), x4 to
    # keep a safe margin on both; with |x| |c| <= (|x|^2 + |c|^2) / 2 it is
    # affine in |x|^2, err = e0 + e1 |x|^2, so no square root per row.
    c2 = cmax * cmax
    e0 = 4.0 * (1.5 * g * c2 + 2.0 * g64 * c2)
    e1 = 4.0 * (0.5 * g + 2.0 * g64)
    # Branch-free passes that vectorise: labels, the count of close calls
    # (rows in lanes: counted by the search kernel) and, when asked for, the
    # lower bounds. The close calls themselves are rare, so the pass that
    # finds them runs only when there are some.
    if contiguous and n_features <= LANES_MAX_FEATURES:
        close = _lanes_pass(
            X, rows[0], m, ct, half, best, second, labf, xsq, (g, e0, e1)
        )
    else:
        _tile_pass(X, rows, m, ct, half, best, second, labf, xsq)
        close = 0
        for i in range(m):
            _, err = _error_bound(xsq[i], g, e0, e1)
            close += not _settled(best[i], second[i], err)
    for i in range(m):
        labels_out[i] = np.int32(labf[i])
    if lower_out.shape[0] > 0:
        for i in range(m):
            xx, err = _error_bound(xsq[i], g, e0, e1)
            low = 2.0 * (np.float64(second[i]) - err) + xx * (1.0 - 2.0 * g)
            lower_out[i] = max(low, 0.0) * (1.0 - g)
    if close == 0:
        return
    for i in range(m):
        _, err = _error_bound(xsq[i], g, e0, e1)
        if _settled(best[i], second[i], err):
            continue
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
        if lower_out.shape[0] > 0:
            lower_out[i] = d_second * (1.0 - g64)


@njit(**JIT_KW)
def _block_scratch(X):
    """Scratch arrays for :func:`_nearest_chunk` (one set per block of rows)."""
    dt = X.dtype
    best = np.empty(CHUNK_SIZE + 16, dtype=dt)
    second = np.empty(CHUNK_SIZE + 16, dtype=dt)
    labf = np.empty(CHUNK_SIZE + 16, dtype=dt)
    xsq = np.empty(CHUNK_SIZE + 16, dtype=np.float64)
    return best, second, labf, xsq


@njit(inline="always", **JIT_KW)
def _add_row(
    X,  # IN (n_samples, n_features)
    i,  # IN row index
    w,  # IN float64 weight
    centers64,  # IN (n_clusters, n_features) float64
    lab,  # IN the row's cluster
    sums,  # IN/OUT (n_clusters, n_features) float64, running sums
):
    """``sums[lab] += w * X[i]`` in float64; returns ``w * ||X[i] - c_lab||^2``.

    The one place where every variant adds a row to its cluster's sum and to
    the inertia, in the same order, so that all variants agree bit for bit
    (see :func:`~segmint._kernels._simd.add_row` for the order).
    """
    return _simd.add_row(X, i, w, centers64, lab, sums)


@njit(inline="always", **JIT_KW)
def _move_row(X, i, w, old, lab, sums, weights, sq_norms, counts):
    """Move row ``i`` (weight ``w``) from cluster ``old`` to ``lab`` in float64.

    Subtracts ``w * X[i]``, ``w`` and ``w * ||X[i]||^2`` from the old
    cluster's sums and adds them to the new one's (features in order);
    ``counts`` tracks the rows of positive weight.
    """
    q = 0.0
    for f in range(X.shape[1]):
        v = np.float64(X[i, f])
        q += v * v
        sums[old, f] -= w * v
        sums[lab, f] += w * v
    weights[old] -= w
    weights[lab] += w
    sq_norms[old] -= w * q
    sq_norms[lab] += w * q
    if w > 0:
        counts[old] -= 1
        counts[lab] += 1


@njit(inline="always", **JIT_KW)
def _row_weight(sample_weight, i):
    """Row ``i``'s weight in float64; an empty ``sample_weight`` means 1.

    The step kernels take an empty array for unit weights (the usual case:
    no weights given), so they read no weights at all. An incremental step
    reads the weights of the moved rows only, scattered through the array:
    each such read is a likely cache miss, which cost more than the move
    itself with few features.
    """
    if sample_weight.shape[0] == 0:
        return 1.0
    return np.float64(sample_weight[i])


@njit(inline="always", **JIT_KW)
def _commit_chunk(
    X,  # IN (n_samples, n_features)
    sample_weight,  # IN (n_samples,) or (0,): every weight 1 (_row_weight)
    centers64,  # IN (n_clusters, n_features) float64
    start,  # IN first row of the chunk
    end,  # IN one past its last row
    new,  # IN (>= end - start,) int32: the chunk's new labels
    labels,  # IN/OUT (n_samples,) int32
    sums,  # IN/OUT (n_clusters, n_features) float64, the block's sums
    weights,  # IN/OUT (n_clusters,) float64, the block's weights
    inert,  # IN/OUT (n_clusters,) float64, the block's inertia or sq. norms
    counts,  # IN/OUT (n_clusters,) int64, the block's rows of positive weight
    changed,  # IN running count of changed labels in the block
    incremental,  # IN bool: add only the moves (see lloyd_step)
):
    """Store a chunk's new labels and add its rows to the block's partials.

    Shared by every variant, rows in order, so plain Lloyd and the pruned
    steps produce the same bits. A full commit adds every row through
    :func:`_add_row` (sums, weights, per-cluster inertia); an incremental
    one touches only the rows whose label changed (:func:`_move_row`).
    Returns the updated count of changed labels.
    """
    if incremental:
        # The moved rows are found by comparing MASK_LANES labels at once
        # (few rows move, at random: a branch on each would often
        # mispredict, and a branch-free listing still costs a store per
        # row), then moved in row order from the set bits of each mask.
        m = end - start
        n_moved = 0
        lanes = _simd.MASK_LANES
        for t0 in range(0, m, lanes):
            if t0 + lanes <= m:
                mask = _simd.differ_mask(new, t0, labels, start + t0)
            else:
                mask = 0
                for q in range(m - t0):
                    mask |= np.int64(new[t0 + q] != labels[start + t0 + q]) << q
            while mask != 0:
                t = t0 + _simd.lowest_bit(mask)
                mask &= mask - 1
                i = start + t
                lab = np.intp(new[t])
                old = np.intp(labels[i])
                labels[i] = lab
                # Weights are read only for the rows that move: with few
                # features they would be a large share of the step's memory
                # reads. (Unit weights are not read at all.)
                w = _row_weight(sample_weight, i)
                _move_row(X, i, w, old, lab, sums, weights, inert, counts)
                n_moved += 1
        return changed + n_moved
    for i in range(start, end):
        lab = np.intp(new[i - start])
        if lab != labels[i]:
            changed += 1
            labels[i] = lab
        w = _row_weight(sample_weight, i)
        weights[lab] += w
        inert[lab] += _add_row(X, i, w, centers64, lab, sums)
        if w > 0:
            counts[lab] += 1
    return changed


@njit(inline="always", **JIT_KW)
def _block_partials(b, block_sums, block_weights, block_inertia, block_counts):
    """Block ``b``'s slots of the partial results, zeroed."""
    sums = block_sums[b]
    weights = block_weights[b]
    inert = block_inertia[b]
    counts = block_counts[b]
    sums[:] = 0.0
    weights[:] = 0.0
    inert[:] = 0.0
    counts[:] = 0
    return sums, weights, inert, counts


@njit(**PARALLEL_JIT_KW)
def lloyd_step(
    X,  # IN (n_samples, n_features) float32/float64
    sample_weight,  # IN (n_samples,) same dtype as X, or (0,): all 1
    centers,  # IN (n_clusters, n_features) same dtype as X
    labels,  # IN/OUT (n_samples,) int32: previous labels in, new labels out
    block_sums,  # OUT (n_blocks, n_clusters, n_features) float64
    block_weights,  # OUT (n_blocks, n_clusters) float64
    block_inertia,  # OUT (n_blocks, n_clusters) float64
    block_counts,  # OUT (n_blocks, n_clusters) int64
    block_changed,  # OUT (n_blocks,) int64
    incremental,  # IN bool
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
    sample_weight : ndarray of shape (n_samples,) or (0,), dtype of X
        Weight of each row; empty when every weight is 1 (then none is
        read).
    centers : ndarray of shape (n_clusters, n_features), dtype of X
        Centres used for the assignment.
    labels : ndarray of shape (n_samples,), int32
        Read to count changes, then overwritten with the nearest centre.
    block_sums : ndarray of shape (n_blocks, n_clusters, n_features), float64
        Written: weighted sums of the rows assigned to each cluster.
    block_weights : ndarray of shape (n_blocks, n_clusters), float64
        Written: total weight assigned to each cluster.
    block_inertia : ndarray of shape (n_blocks, n_clusters), float64
        Written: per cluster, the weighted squared distance of its rows to
        their centre in float64 (:func:`_add_row`); incremental: the change
        in the clusters' weighted sums of ``||x||^2``.
    block_counts : ndarray of shape (n_blocks, n_clusters), int64
        Written: rows of positive weight in each cluster (incremental: the
        change).
    block_changed : ndarray of shape (n_blocks,), int64
        Written: number of rows whose label changed.
    incremental : bool
        If False, the partials are totals over every row. If True (the
        labels in are all valid), they are changes: only rows whose label
        changed are read, subtracted from their old cluster and added to
        the new one, so the caller adds them to the previous totals.
    """
    n_samples = X.shape[0]
    n_blocks = block_sums.shape[0]
    n_chunks = (n_samples + CHUNK_SIZE - 1) // CHUNK_SIZE
    ct, half, cmax = _pad_centers(centers)
    centers64 = centers.astype(np.float64)
    for b in prange(n_blocks):
        sums, weights, inert, counts = _block_partials(
            b, block_sums, block_weights, block_inertia, block_counts
        )
        changed = 0
        best, second, labf, xsq = _block_scratch(X)
        rows = np.empty(CHUNK_SIZE, dtype=np.int64)
        new = np.empty(CHUNK_SIZE, dtype=np.int32)
        no_bounds = np.empty(0, dtype=np.float64)
        c_lo, c_hi = block_chunks(b, n_blocks, n_chunks)
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
                ct,
                half,
                cmax,
                best,
                second,
                labf,
                xsq,
                new,
                no_bounds,
                True,
            )
            changed = _commit_chunk(
                X,
                sample_weight,
                centers64,
                start,
                end,
                new,
                labels,
                sums,
                weights,
                inert,
                counts,
                changed,
                incremental,
            )
        block_changed[b] = changed


@njit(**JIT_KW)
def blocks_inertia(block_inertia):
    """Inertia of a full step from its ``(n_blocks, n_clusters)`` partials.

    Per cluster the blocks are added in order, then the clusters in order,
    as :func:`update_totals` does for a full step.
    """
    total = 0.0
    for j in range(block_inertia.shape[1]):
        s = 0.0
        for b in range(block_inertia.shape[0]):
            s += block_inertia[b, j]
        total += s
    return total


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
    ct, half, cmax = _pad_centers(centers)
    for c in prange(n_chunks):
        best, second, labf, xsq = _block_scratch(X)
        rows = np.empty(CHUNK_SIZE, dtype=np.int64)
        no_bounds = np.empty(0, dtype=np.float64)
        start = c * CHUNK_SIZE
        end = min(n_samples, start + CHUNK_SIZE)
        for i in range(end - start):
            rows[i] = start + i
        _nearest_chunk(
            X,
            rows,
            end - start,
            centers,
            ct,
            half,
            cmax,
            best,
            second,
            labf,
            xsq,
            labels[start:end],
            no_bounds,
            True,
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


@njit(**JIT_KW)
def update_totals(
    block_sums,  # IN (n_blocks, n_clusters, n_features) float64
    block_weights,  # IN (n_blocks, n_clusters) float64
    block_inertia,  # IN (n_blocks, n_clusters) float64
    block_counts,  # IN (n_blocks, n_clusters) int64
    centers,  # IN (n_clusters, n_features): the centres the step assigned to
    sums,  # IN/OUT (n_clusters, n_features) float64: sum of w * x
    weights,  # IN/OUT (n_clusters,) float64: sum of w
    sq_norms,  # IN/OUT (n_clusters,) float64: sum of w * ||x||^2
    counts,  # IN/OUT (n_clusters,) int64: rows of positive weight
    scratch,  # (n_clusters, n_features + 3) float64
    incremental,  # IN bool: the step's partials are changes, not totals
):
    """Fold one step's per-block partials into the running cluster totals.

    The partials of :func:`lloyd_step` (or a pruned step) are added serially
    in block order; a full step's replace the totals, an incremental step's
    are added to them, and a cluster left with no row of positive weight gets
    exactly zero totals. Returns the step's inertia: in a full step the sum,
    cluster by cluster, of the exact per-cluster inertias (and ``sq_norms``
    is derived from them); in an incremental step ``sum_j Q_j - 2 c_j.S_j +
    W_j ||c_j||^2`` from the totals (clamped at zero per cluster), whose
    float64 rounding is relative to ``Q_j``.
    """
    n_blocks = block_sums.shape[0]
    n_clusters, n_features = sums.shape
    d_sums = scratch[:, :n_features]
    d_sums[:] = 0.0
    d_weights = scratch[:, n_features]
    d_weights[:] = 0.0
    d_inert = scratch[:, n_features + 1]
    d_inert[:] = 0.0
    if not incremental:
        counts[:] = 0
    for b in range(n_blocks):
        for j in range(n_clusters):
            d_weights[j] += block_weights[b, j]
            d_inert[j] += block_inertia[b, j]
            counts[j] += block_counts[b, j]
            for f in range(n_features):
                d_sums[j, f] += block_sums[b, j, f]
    inertia = 0.0
    for j in range(n_clusters):
        cross = 0.0
        norm = 0.0
        if incremental:
            if counts[j] == 0:
                weights[j] = 0.0
                sq_norms[j] = 0.0
                for f in range(n_features):
                    sums[j, f] = 0.0
            else:
                weights[j] += d_weights[j]
                sq_norms[j] += d_inert[j]
                for f in range(n_features):
                    sums[j, f] += d_sums[j, f]
        else:
            weights[j] = d_weights[j]
            for f in range(n_features):
                sums[j, f] = d_sums[j, f]
        for f in range(n_features):
            c = np.float64(centers[j, f])
            cross += c * sums[j, f]
            norm += c * c
        if incremental:
            inertia += max(sq_norms[j] - 2.0 * cross + weights[j] * norm, 0.0)
        else:
            sq_norms[j] = d_inert[j] + 2.0 * cross - weights[j] * norm
            inertia += d_inert[j]
    return inertia


@njit(**JIT_KW)
def average_centers(
    sums,  # IN (n_clusters, n_features) float64
    weights,  # IN (n_clusters,) float64
    centers,  # IN (n_clusters, n_features): the previous centres
    out,  # OUT (n_clusters, n_features), dtype of centers
):
    """New centres ``sums / weights``; returns the total squared shift.

    A cluster with zero weight (still empty after relocation) copies the
    centre of the heaviest cluster (the first one on ties). The shift is
    ``sum ||out_j - centers_j||^2`` in float64, clusters in order.
    """
    n_clusters, n_features = sums.shape
    heaviest = 0
    for j in range(n_clusters):
        if weights[j] > weights[heaviest]:
            heaviest = j
        if weights[j] > 0:
            for f in range(n_features):
                out[j, f] = sums[j, f] / weights[j]
    for j in range(n_clusters):
        if not weights[j] > 0:
            for f in range(n_features):
                out[j, f] = out[heaviest, f]
    shift = 0.0
    for j in range(n_clusters):
        for f in range(n_features):
            u = np.float64(out[j, f]) - np.float64(centers[j, f])
            shift += u * u
    return shift
