"""Bound-based (pruned) Lloyd iterations: Hamerly's, Elkan's and Yinyang.

The kernel here produces exactly what :func:`segmint._kernels.assign.lloyd_step`
produces (same labels, same per-block sums, weights, inertia and counts, bit
for bit) while computing far fewer point-to-centre distances: a row whose
bounds prove that its centre is still the nearest one is not compared with
the other centres.

Exactness. Labels everywhere in segmint are the argmin of the reference
squared distance :func:`~segmint._kernels.assign._sq_dist_row` (float64,
lowest index on ties). The bounds below are bounds on the true Euclidean
distance, inflated or deflated by ``_margin(n_features)`` (a few units of
float64 rounding relative to the value) each time they are set or moved, and
a row is skipped only on a *strict* inequality. A skipped row is then
guaranteed to have the same reference argmin, so the pruned and plain
iterations agree; rows that are not skipped are labelled by the same exact
chunk kernel as plain Lloyd. The block partials are then made, row by row
in row order, by the same helper as plain Lloyd: totals in a full step, the
moves of the rows that changed cluster in an incremental one (in which
Hamerly's step does not read the rows its bounds keep).
"""

import numpy as np
from numba import njit, prange

from segmint._config import CHUNK_SIZE, JIT_KW, PARALLEL_JIT_KW
from segmint._kernels.assign import (
    _block_partials,
    _block_scratch,
    _commit_chunk,
    _nearest_chunk,
    _pad_centers,
    _sq_dist_row,
    block_chunks,
)


@njit(**JIT_KW)
def _margin(n_features):
    """Relative slack that covers float64 rounding of a distance or a bound."""
    return (n_features + 16) * 2.0**-52


@njit(**JIT_KW)
def center_geometry(
    old_centers,  # IN (n_clusters, n_features) dtype of X
    new_centers,  # IN (n_clusters, n_features) dtype of X
    drift,  # OUT (n_clusters,) float64
    half_sep,  # OUT (n_clusters,) float64
):
    """How far each centre moved, and half the distance to its closest neighbour.

    Parameters
    ----------
    old_centers, new_centers : ndarray of shape (n_clusters, n_features)
        Centres before and after an update, dtype of X.
    drift : ndarray of shape (n_clusters,), float64
        Written: ``||new_j - old_j||``, rounded up (an upper bound).
    half_sep : ndarray of shape (n_clusters,), float64
        Written: ``0.5 * min_{j' != j} ||new_j - new_j'||``, rounded down
        (a lower bound; ``inf`` for a single centre).

    Notes
    -----
    O(k^2 d) work, negligible next to an iteration over n rows when k is
    well below n.
    """
    n_clusters, n_features = new_centers.shape
    eta = _margin(n_features)
    for j in range(n_clusters):
        drift[j] = np.sqrt(_sq_dist_row(new_centers, j, old_centers, j)) * (1.0 + eta)
        half_sep[j] = np.inf
    for j in range(n_clusters):
        for jj in range(j + 1, n_clusters):
            dist = 0.5 * np.sqrt(_sq_dist_row(new_centers, j, new_centers, jj))
            dist *= 1.0 - eta
            if dist < half_sep[j]:
                half_sep[j] = dist
            if dist < half_sep[jj]:
                half_sep[jj] = dist


@njit(**PARALLEL_JIT_KW)
def hamerly_step(
    X,  # IN (n_samples, n_features) float32/float64
    sample_weight,  # IN (n_samples,) dtype of X, or (0,): all 1
    centers,  # IN (n_clusters, n_features) dtype of X
    drift,  # IN (n_clusters,) float64, from center_geometry
    half_sep,  # IN (n_clusters,) float64, from center_geometry
    labels,  # IN/OUT (n_samples,) int32; -1 means "no label yet"
    lower,  # IN/OUT (n_samples,) float64
    upper,  # IN/OUT (n_samples,) float64
    block_sums,  # OUT (n_blocks, n_clusters, n_features) float64
    block_weights,  # OUT (n_blocks, n_clusters) float64
    block_inertia,  # OUT (n_blocks, n_clusters) float64
    block_counts,  # OUT (n_blocks, n_clusters) int64
    block_changed,  # OUT (n_blocks,) int64
    block_n_dist,  # OUT (n_blocks,) int64
    incremental,  # IN bool
    dense,  # IN bool: search every row, as plain Lloyd (bounds rebuilt)
):
    """One Lloyd iteration with Hamerly's bounds.

    Each row keeps one lower bound ``lower[i]`` on its distance to every
    centre but its own, and an upper bound ``upper[i]`` on the distance to
    its own. At each iteration the lower bound drops by the largest drift
    of the other centres and the upper bound grows by its centre's drift.
    When ``upper[i] < max(lower[i], half_sep[label])`` the label cannot
    change: in an incremental step the row is then not even read. Otherwise
    (and for every row of a full step, which reads X anyway) the upper
    bound is tightened to the exact distance and tested again; a row that
    still fails is relabelled with the exact chunk kernel, which also gives
    its new lower bound.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features), float32 or float64
    sample_weight : ndarray of shape (n_samples,) or (0,), dtype of X
        Empty when every weight is 1 (as in :func:`~.assign.lloyd_step`).
    centers : ndarray of shape (n_clusters, n_features), dtype of X
        Current centres.
    drift : ndarray of shape (n_clusters,), float64
        Upper bound on how far each centre moved since ``lower`` was last
        updated (zeros on the first call).
    half_sep : ndarray of shape (n_clusters,), float64
        Lower bound on half the distance from each centre to its closest
        other centre (:func:`center_geometry`).
    labels : ndarray of shape (n_samples,), int32
        Previous labels in (``-1`` forces a full search), new labels out.
    lower : ndarray of shape (n_samples,), float64
        Lower bound on the distance from each row to every centre but its
        own; read (where ``labels >= 0``) and updated. O(n) memory.
    upper : ndarray of shape (n_samples,), float64
        Upper bound on the distance from each row to its own centre; read
        in an incremental step, written always.
    block_sums, block_weights, block_inertia, block_counts, block_changed
        As in :func:`segmint._kernels.assign.lloyd_step`, bit for bit.
    block_n_dist : ndarray of shape (n_blocks,), int64
        Written: point-to-centre distances computed in each block.
    incremental : bool
        As in :func:`segmint._kernels.assign.lloyd_step`; every label in
        must then be valid and ``upper`` up to date.
    dense : bool
        If True, every row is searched with the exact chunk kernel, as in
        plain Lloyd, whatever its bounds (which need not be valid): this
        costs what a plain step costs, and leaves every lower bound tight.
        Labels and partials are the same bits either way.

    Notes
    -----
    G. Hamerly, "Making k-means even faster", Proc. SIAM International
    Conference on Data Mining, 2010, section 3 (Algorithm 2), with the upper
    bound recomputed exactly at every iteration.
    """
    n_samples, n_features = X.shape
    n_clusters = centers.shape[0]
    n_blocks = block_sums.shape[0]
    n_chunks = (n_samples + CHUNK_SIZE - 1) // CHUNK_SIZE
    ct, half, cmax = _pad_centers(centers)
    centers64 = centers.astype(np.float64)
    eta = _margin(n_features)
    # Largest and second-largest drift: a row's bound drops by the largest
    # drift among the centres other than its own.
    top1 = -1
    for j in range(n_clusters):
        if top1 < 0 or drift[j] > drift[top1]:
            top1 = j
    drift1 = drift[top1]
    drift2 = 0.0
    for j in range(n_clusters):
        if j != top1 and drift[j] > drift2:
            drift2 = drift[j]
    for b in prange(n_blocks):
        sums, weights, inert, counts = _block_partials(
            b, block_sums, block_weights, block_inertia, block_counts
        )
        changed = 0
        n_dist = 0
        best, second, labf, xsq = _block_scratch(X)
        cand = np.empty(CHUNK_SIZE, dtype=np.int64)
        check = np.empty(CHUNK_SIZE, dtype=np.int64)
        new = np.empty(CHUNK_SIZE, dtype=np.int32)
        cand_labels = np.empty(CHUNK_SIZE, dtype=np.int32)
        cand_lower = np.empty(CHUNK_SIZE, dtype=np.float64)
        c_lo, c_hi = block_chunks(b, n_blocks, n_chunks)
        for c in range(c_lo, c_hi):
            start = c * CHUNK_SIZE
            end = min(n_samples, start + CHUNK_SIZE)
            n_cand = 0
            n_check = 0
            if dense:
                for i in range(start, end):
                    cand[n_cand] = i
                    n_cand += 1
            elif incremental:
                # Bounds only, branch-free: the rows whose upper bound does
                # not settle them are listed for an exact check below.
                for i in range(start, end):
                    a = labels[i]
                    moved = drift2 if a == top1 else drift1
                    low = (lower[i] - moved) * (1.0 - eta)
                    u = (upper[i] + drift[a]) * (1.0 + eta)
                    lower[i] = low
                    upper[i] = u
                    new[i - start] = a
                    check[n_check] = i
                    n_check += not u < max(low, half_sep[a])
            else:
                for i in range(start, end):
                    a = labels[i]
                    if a < 0:
                        cand[n_cand] = i
                        n_cand += 1
                        continue
                    moved = drift2 if a == top1 else drift1
                    lower[i] = (lower[i] - moved) * (1.0 - eta)
                    check[n_check] = i
                    n_check += 1
            for t in range(n_check):
                i = check[t]
                a = labels[i]
                u = np.sqrt(_sq_dist_row(X, i, centers, a)) * (1.0 + eta)
                n_dist += 1
                if u < max(lower[i], half_sep[a]):
                    upper[i] = u
                    new[i - start] = a
                else:
                    cand[n_cand] = i
                    n_cand += 1
            if n_cand:
                _nearest_chunk(
                    X,
                    cand,
                    n_cand,
                    centers,
                    ct,
                    half,
                    cmax,
                    best,
                    second,
                    labf,
                    xsq,
                    cand_labels,
                    cand_lower,
                    dense,
                )
                n_dist += n_cand * n_clusters
                for t in range(n_cand):
                    i = cand[t]
                    new[i - start] = cand_labels[t]
                    lower[i] = np.sqrt(cand_lower[t]) * (1.0 - eta)
                    # Tightened when next needed (one distance, then).
                    upper[i] = np.inf
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
        block_n_dist[b] = n_dist


@njit(**JIT_KW)
def center_half_distances(
    centers,  # IN (n_clusters, n_features) dtype of X
    out,  # OUT (n_clusters, n_clusters) float64
):
    """Half the distance between every pair of centres, rounded down.

    Parameters
    ----------
    centers : ndarray of shape (n_clusters, n_features), dtype of X
    out : ndarray of shape (n_clusters, n_clusters), float64
        Written: ``0.5 * ||c_j - c_j'||`` (a lower bound); 0 on the diagonal.
    """
    n_clusters, n_features = centers.shape
    eta = _margin(n_features)
    for j in range(n_clusters):
        out[j, j] = 0.0
        for jj in range(j + 1, n_clusters):
            dist = 0.5 * np.sqrt(_sq_dist_row(centers, j, centers, jj)) * (1.0 - eta)
            out[j, jj] = dist
            out[jj, j] = dist


#: float32 rounds to nearest; shrinking a bound by more than half a float32
#: ulp before storing it keeps it a lower bound.
_F32_DOWN = 1.0 - 2.0**-22


@njit(**PARALLEL_JIT_KW)
def elkan_step(
    X,  # IN (n_samples, n_features) float32/float64
    sample_weight,  # IN (n_samples,) dtype of X, or (0,): all 1
    centers,  # IN (n_clusters, n_features) dtype of X
    drift,  # IN (n_clusters,) float64, from center_geometry
    half_sep,  # IN (n_clusters,) float64, from center_geometry
    center_half,  # IN (n_clusters, n_clusters) float64
    labels,  # IN/OUT (n_samples,) int32; -1 means "no label yet"
    lower,  # IN/OUT (n_samples, n_clusters) float32
    block_sums,  # OUT (n_blocks, n_clusters, n_features) float64
    block_weights,  # OUT (n_blocks, n_clusters) float64
    block_inertia,  # OUT (n_blocks, n_clusters) float64
    block_counts,  # OUT (n_blocks, n_clusters) int64
    block_changed,  # OUT (n_blocks,) int64
    block_n_dist,  # OUT (n_blocks,) int64
    incremental,  # IN bool
):
    """One Lloyd iteration with Elkan's bounds.

    Each row keeps a lower bound on its distance to every centre (float32,
    rounded down: ``4 * n_samples * n_clusters`` bytes, so the driver uses
    this kernel only when that fits). The distance to the row's own centre
    is computed exactly; centre ``j`` is then skipped when that distance is
    below ``lower[i, j]`` or below half the distance between the two
    centres (``center_half``), as in Elkan (2003), Lemmas 1 and 2.

    Parameters
    ----------
    X, sample_weight, centers, drift, half_sep, labels
        As in :func:`hamerly_step`.
    center_half : ndarray of shape (n_clusters, n_clusters), float64
        From :func:`center_half_distances` on ``centers``.
    lower : ndarray of shape (n_samples, n_clusters), float32
        Lower bounds on each row's distance to each centre; read where
        ``labels >= 0``, updated.
    block_sums, block_weights, block_inertia, block_counts, block_changed
        As in :func:`segmint._kernels.assign.lloyd_step`, bit for bit.
    block_n_dist, incremental
        As in :func:`hamerly_step`.

    Notes
    -----
    C. Elkan, "Using the triangle inequality to accelerate k-means", Proc.
    ICML 2003, section 3.
    """
    n_samples, n_features = X.shape
    n_clusters = centers.shape[0]
    n_blocks = block_sums.shape[0]
    n_chunks = (n_samples + CHUNK_SIZE - 1) // CHUNK_SIZE
    ct, half, cmax = _pad_centers(centers)
    centers64 = centers.astype(np.float64)
    eta = _margin(n_features)
    for b in prange(n_blocks):
        sums, weights, inert, counts = _block_partials(
            b, block_sums, block_weights, block_inertia, block_counts
        )
        changed = 0
        n_dist = 0
        best, second, labf, xsq = _block_scratch(X)
        cand = np.empty(CHUNK_SIZE, dtype=np.int64)
        new = np.empty(CHUNK_SIZE, dtype=np.int32)
        cand_labels = np.empty(CHUNK_SIZE, dtype=np.int32)
        cand_lower = np.empty(CHUNK_SIZE, dtype=np.float64)
        c_lo, c_hi = block_chunks(b, n_blocks, n_chunks)
        for c in range(c_lo, c_hi):
            start = c * CHUNK_SIZE
            end = min(n_samples, start + CHUNK_SIZE)
            n_cand = 0
            for i in range(start, end):
                a = labels[i]
                if a < 0:
                    cand[n_cand] = i
                    n_cand += 1
                    continue
                low = lower[i]
                for j in range(n_clusters):
                    moved = (np.float64(low[j]) - drift[j]) * (1.0 - eta)
                    low[j] = np.float32(max(0.0, moved) * _F32_DOWN)
                d_a = _sq_dist_row(X, i, centers, a)
                n_dist += 1
                u = np.sqrt(d_a) * (1.0 + eta)
                if not u < half_sep[a]:
                    for j in range(n_clusters):
                        if j == a or u < low[j] or u < center_half[a, j]:
                            continue
                        d_j = _sq_dist_row(X, i, centers, j)
                        n_dist += 1
                        low[j] = np.float32(np.sqrt(d_j) * (1.0 - eta) * _F32_DOWN)
                        if d_j < d_a or (d_j == d_a and j < a):
                            low[a] = np.float32(np.sqrt(d_a) * (1.0 - eta) * _F32_DOWN)
                            a = j
                            d_a = d_j
                            u = np.sqrt(d_a) * (1.0 + eta)
                new[i - start] = a
            if n_cand:
                _nearest_chunk(
                    X,
                    cand,
                    n_cand,
                    centers,
                    ct,
                    half,
                    cmax,
                    best,
                    second,
                    labf,
                    xsq,
                    cand_labels,
                    cand_lower,
                    False,
                )
                n_dist += n_cand * n_clusters
                for t in range(n_cand):
                    i = cand[t]
                    new[i - start] = cand_labels[t]
                    bound = np.float32(np.sqrt(cand_lower[t]) * (1.0 - eta) * _F32_DOWN)
                    for j in range(n_clusters):
                        lower[i, j] = bound
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
        block_n_dist[b] = n_dist


@njit(**PARALLEL_JIT_KW)
def yinyang_step(
    X,  # IN (n_samples, n_features) float32/float64
    sample_weight,  # IN (n_samples,) dtype of X, or (0,): all 1
    centers,  # IN (n_clusters, n_features) dtype of X
    drift,  # IN (n_clusters,) float64, from center_geometry
    half_sep,  # IN (n_clusters,) float64, from center_geometry
    group_start,  # IN (n_groups + 1,) int64: members of group g are
    group_members,  # IN (n_clusters,) int64: group_members[start[g]:start[g+1]]
    labels,  # IN/OUT (n_samples,) int32; -1 means "no label yet"
    lower,  # IN/OUT (n_samples, n_groups) float32
    block_sums,  # OUT (n_blocks, n_clusters, n_features) float64
    block_weights,  # OUT (n_blocks, n_clusters) float64
    block_inertia,  # OUT (n_blocks, n_clusters) float64
    block_counts,  # OUT (n_blocks, n_clusters) int64
    block_changed,  # OUT (n_blocks,) int64
    block_n_dist,  # OUT (n_blocks,) int64
    incremental,  # IN bool
):
    """One Lloyd iteration with Yinyang's group bounds.

    The centres are split into ``n_groups`` fixed groups. Each row keeps,
    per group, a lower bound on its distance to the group's centres other
    than its own (float32, rounded down: ``4 * n_samples * n_groups``
    bytes). A group moves its bounds by the largest drift among its centres.
    The distance ``u`` to the row's own centre is exact; when it is below
    every group bound (or half the distance to the nearest other centre)
    the row keeps its label. Otherwise only the groups whose bound is not
    above ``u`` are searched, every centre in them.

    Parameters
    ----------
    X, sample_weight, centers, drift, half_sep, labels
        As in :func:`hamerly_step`.
    group_start : ndarray of shape (n_groups + 1,), int64
    group_members : ndarray of shape (n_clusters,), int64
        Group ``g`` holds centres ``group_members[group_start[g]:group_start[g + 1]]``.
    lower : ndarray of shape (n_samples, n_groups), float32
        Group lower bounds; read where ``labels >= 0``, updated.
    block_sums, block_weights, block_inertia, block_changed, block_n_dist
        As in :func:`hamerly_step`.

    Notes
    -----
    Y. Ding, Y. Zhao, X. Shen, M. Musuvathi, T. Mytkowicz, "Yinyang K-means:
    a drop-in replacement of the classic K-means with consistent speedup",
    Proc. ICML 2015, sections 3.1-3.2 (global and group filtering; the
    per-centre local filter is not applied).
    """
    n_samples, n_features = X.shape
    n_clusters = centers.shape[0]
    n_groups = group_start.shape[0] - 1
    n_blocks = block_sums.shape[0]
    n_chunks = (n_samples + CHUNK_SIZE - 1) // CHUNK_SIZE
    ct, half, cmax = _pad_centers(centers)
    centers64 = centers.astype(np.float64)
    eta = _margin(n_features)
    group_of = np.empty(n_clusters, dtype=np.int64)
    group_drift = np.zeros(n_groups, dtype=np.float64)
    for g in range(n_groups):
        for t in range(group_start[g], group_start[g + 1]):
            j = group_members[t]
            group_of[j] = g
            group_drift[g] = max(group_drift[g], drift[j])
    for b in prange(n_blocks):
        sums, weights, inert, counts = _block_partials(
            b, block_sums, block_weights, block_inertia, block_counts
        )
        changed = 0
        n_dist = 0
        best, second, labf, xsq = _block_scratch(X)
        cand = np.empty(CHUNK_SIZE, dtype=np.int64)
        new = np.empty(CHUNK_SIZE, dtype=np.int32)
        cand_labels = np.empty(CHUNK_SIZE, dtype=np.int32)
        cand_lower = np.empty(CHUNK_SIZE, dtype=np.float64)
        g_min = np.empty(n_groups, dtype=np.float64)
        g_second = np.empty(n_groups, dtype=np.float64)
        g_arg = np.empty(n_groups, dtype=np.int64)
        searched = np.empty(n_groups, dtype=np.bool_)
        c_lo, c_hi = block_chunks(b, n_blocks, n_chunks)
        for c in range(c_lo, c_hi):
            start = c * CHUNK_SIZE
            end = min(n_samples, start + CHUNK_SIZE)
            n_cand = 0
            for i in range(start, end):
                a = labels[i]
                if a < 0:
                    cand[n_cand] = i
                    n_cand += 1
                    continue
                low = lower[i]
                global_low = np.inf
                for g in range(n_groups):
                    moved = (np.float64(low[g]) - group_drift[g]) * (1.0 - eta)
                    low[g] = np.float32(max(0.0, moved) * _F32_DOWN)
                    global_low = min(global_low, np.float64(low[g]))
                d_a = _sq_dist_row(X, i, centers, a)
                n_dist += 1
                u = np.sqrt(d_a) * (1.0 + eta)
                if u < max(global_low, half_sep[a]):
                    new[i - start] = a
                    continue
                a_old = a
                d_old = d_a
                for g in range(n_groups):
                    searched[g] = not u < low[g]
                    if not searched[g]:
                        continue
                    m1 = np.inf
                    m2 = np.inf
                    arg = -1
                    for t in range(group_start[g], group_start[g + 1]):
                        j = group_members[t]
                        if j == a_old:
                            d_j = d_old
                        else:
                            d_j = _sq_dist_row(X, i, centers, j)
                            n_dist += 1
                        if d_j < m1 or (d_j == m1 and j < arg):
                            m2 = m1
                            m1 = d_j
                            arg = j
                        elif d_j < m2:
                            m2 = d_j
                        if d_j < d_a or (d_j == d_a and j < a):
                            a = j
                            d_a = d_j
                            u = np.sqrt(d_a) * (1.0 + eta)
                    g_min[g] = m1
                    g_second[g] = m2
                    g_arg[g] = arg
                for g in range(n_groups):
                    if searched[g]:
                        other = g_second[g] if g_arg[g] == a else g_min[g]
                        low[g] = np.float32(np.sqrt(other) * (1.0 - eta) * _F32_DOWN)
                if a != a_old and not searched[group_of[a_old]]:
                    g = group_of[a_old]
                    bound = np.float32(np.sqrt(d_old) * (1.0 - eta) * _F32_DOWN)
                    low[g] = min(low[g], bound)
                new[i - start] = a
            if n_cand:
                _nearest_chunk(
                    X,
                    cand,
                    n_cand,
                    centers,
                    ct,
                    half,
                    cmax,
                    best,
                    second,
                    labf,
                    xsq,
                    cand_labels,
                    cand_lower,
                    False,
                )
                n_dist += n_cand * n_clusters
                for t in range(n_cand):
                    i = cand[t]
                    new[i - start] = cand_labels[t]
                    bound = np.float32(np.sqrt(cand_lower[t]) * (1.0 - eta) * _F32_DOWN)
                    for g in range(n_groups):
                        lower[i, g] = bound
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
        block_n_dist[b] = n_dist
