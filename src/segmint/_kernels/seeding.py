"""k-means++ distance updates and D^2 sampling.

Greedy k-means++ keeps, for every row, the squared distance to the nearest
centre chosen so far. Each new centre costs one pass over X: for every chunk
of rows it first folds in the previous winner (a *pending* update), then
measures every candidate, and returns only per-chunk potentials. The winner's
per-chunk potentials are already known from that pass, so the next draw needs
no extra pass: it applies the pending update on the fly to the one chunk it
lands in. Memory stays O(n) whatever the number of candidates, and X is read
once per centre, which is what bounds the speed for large n.

Within a chunk the rows are copied to a transposed ``(n_features, rows)``
buffer, so the distance loop runs over rows contiguously and vectorises
without horizontal reductions; distances are computed in the dtype of X and
potentials summed in float64.

Potentials are summed per fixed-size chunk of rows and the chunk sums are
combined serially, so sampling is thread-independent, and a draw costs
O(n / CHUNK_SIZE + CHUNK_SIZE) instead of a cumulative sum over n.
"""

import numpy as np
from numba import njit, prange

from segmint._config import CHUNK_SIZE, JIT_KW, PARALLEL_JIT_KW


@njit(**JIT_KW)
def _transpose_chunk(X, start, end, out):
    """Copy rows ``start:end`` of X into ``out[:, :end - start]``, transposed."""
    for i in range(start, end):
        for f in range(X.shape[1]):
            out[f, i - start] = X[i, f]


@njit(**JIT_KW)
def _chunk_sq_dists(xt, m, center, out):
    """Squared distances of the ``m`` rows in ``xt`` to ``center`` into ``out``.

    ``xt`` is a transposed chunk ``(n_features, >= m)``; the arithmetic is in
    the dtype of ``xt`` and the feature loop is outermost, so every step is a
    contiguous, vectorisable pass over the rows. The same code computes every
    distance in this module, so trial potentials and the committed update
    agree to the bit.
    """
    for i in range(m):
        out[i] = 0
    for f in range(xt.shape[0]):
        cf = center[f]
        for i in range(m):
            u = xt[f, i] - cf
            out[i] += u * u


@njit(**JIT_KW)
def _weighted_sum(w, values, m, tmp):
    """``sum(w[:m] * values[:m])`` in float64, in a fixed order.

    The products go through a buffer (a vectorisable pass) and are added by
    four interleaved accumulators, so the additions overlap instead of
    forming one long dependency chain.
    """
    for i in range(m):
        tmp[i] = np.float64(w[i]) * np.float64(values[i])
    s0 = s1 = s2 = s3 = 0.0
    i = 0
    while i + 4 <= m:
        s0 += tmp[i]
        s1 += tmp[i + 1]
        s2 += tmp[i + 2]
        s3 += tmp[i + 3]
        i += 4
    while i < m:
        s0 += tmp[i]
        i += 1
    return (s0 + s1) + (s2 + s3)


@njit(**JIT_KW)
def _fold_pending(xt, m, pending, dist, near):
    """``near[:m] = min(near[:m], distance to pending)`` for one chunk."""
    _chunk_sq_dists(xt, m, pending, dist)
    for i in range(m):
        if dist[i] < near[i]:
            near[i] = dist[i]


@njit(**PARALLEL_JIT_KW)
def update_closest(
    X,  # IN (n_samples, n_features)
    pending,  # IN (n_features,) dtype of X: centre to fold in
    sample_weight,  # IN (n_samples,)
    closest,  # IN/OUT (n_samples,) dtype of X
    chunk_pot,  # OUT (n_chunks,) float64
):
    """Fold a centre into the nearest squared distances.

    ``closest[i] = min(closest[i], ||X[i] - pending||^2)`` (start from
    ``+inf`` for the first centre), then ``chunk_pot[c]`` is the float64 sum
    of ``sample_weight * closest`` over chunk ``c``.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features), float32 or float64
    pending : ndarray of shape (n_features,), dtype of X
    sample_weight : ndarray of shape (n_samples,), dtype of X
    closest : ndarray of shape (n_samples,), dtype of X
    chunk_pot : ndarray of shape (ceil(n_samples / CHUNK_SIZE),), float64
    """
    n_samples, n_features = X.shape
    n_chunks = (n_samples + CHUNK_SIZE - 1) // CHUNK_SIZE
    for c in prange(n_chunks):
        start = c * CHUNK_SIZE
        end = min(n_samples, start + CHUNK_SIZE)
        m = end - start
        xt = np.empty((n_features, CHUNK_SIZE), dtype=X.dtype)
        dist = np.empty(CHUNK_SIZE, dtype=X.dtype)
        tmp = np.empty(CHUNK_SIZE, dtype=np.float64)
        _transpose_chunk(X, start, end, xt)
        near = closest[start:end]
        _fold_pending(xt, m, pending, dist, near)
        chunk_pot[c] = _weighted_sum(sample_weight[start:end], near, m, tmp)


@njit(**PARALLEL_JIT_KW)
def trial_potentials(
    X,  # IN (n_samples, n_features)
    pending,  # IN (n_features,) dtype of X: last winner, not yet folded in
    candidates,  # IN (n_trials,) int64 rows of X
    sample_weight,  # IN (n_samples,)
    closest,  # IN/OUT (n_samples,) nearest squared distances; pending folded in
    trial_chunk_pot,  # OUT (n_trials, n_chunks) float64
):
    """Fold in the pending centre, then per-chunk potentials of each candidate.

    For every chunk: ``closest = min(closest, ||X - pending||^2)``, then
    ``trial_chunk_pot[t, c]`` is the float64 sum over the chunk of
    ``sample_weight * min(closest, ||X - X[candidates[t]]||^2)``. Each chunk
    of X is read and transposed once for the update and all candidates, and
    every distance uses the same arithmetic, so the winner's potentials are
    exactly what folding it in will give.
    """
    n_samples, n_features = X.shape
    n_trials = candidates.shape[0]
    n_chunks = (n_samples + CHUNK_SIZE - 1) // CHUNK_SIZE
    cand = np.empty((n_trials, n_features), dtype=X.dtype)
    for t in range(n_trials):
        cand[t] = X[candidates[t]]
    for c in prange(n_chunks):
        start = c * CHUNK_SIZE
        end = min(n_samples, start + CHUNK_SIZE)
        m = end - start
        xt = np.empty((n_features, CHUNK_SIZE), dtype=X.dtype)
        dist = np.empty(CHUNK_SIZE, dtype=X.dtype)
        tmp = np.empty(CHUNK_SIZE, dtype=np.float64)
        _transpose_chunk(X, start, end, xt)
        near = closest[start:end]
        _fold_pending(xt, m, pending, dist, near)
        for t in range(n_trials):
            _chunk_sq_dists(xt, m, cand[t], dist)
            for i in range(m):
                if near[i] < dist[i]:
                    dist[i] = near[i]
            trial_chunk_pot[t, c] = _weighted_sum(
                sample_weight[start:end], dist, m, tmp
            )


@njit(**JIT_KW)
def draw_rows(
    targets,  # IN (n_draws,) float64, each in [0, total potential)
    X,  # IN (n_samples, n_features)
    pending,  # IN (n_features,) centre not yet folded into closest
    sample_weight,  # IN (n_samples,)
    closest,  # IN (n_samples,)
    chunk_pot,  # IN (n_chunks,) float64, with pending folded in
    out,  # OUT (n_draws,) int64
):
    """Rows where the running sum of ``sample_weight * closest`` reaches each target.

    Equivalent to ``searchsorted(cumsum(sample_weight * closest'), targets)``
    (clipped to the last row), where ``closest' = min(closest, ||X -
    pending||^2)``: first the chunk whose running potential reaches the
    target, from ``chunk_pot``, then the row inside it, folding ``pending``
    into that chunk's distances on the fly with the arithmetic of the
    parallel kernels.
    """
    n_samples, n_features = X.shape
    n_chunks = chunk_pot.shape[0]
    xt = np.empty((n_features, CHUNK_SIZE), dtype=X.dtype)
    dist = np.empty(CHUNK_SIZE, dtype=X.dtype)
    near = np.empty(CHUNK_SIZE, dtype=X.dtype)
    for r in range(targets.shape[0]):
        target = targets[r]
        running = 0.0
        c = 0
        while c < n_chunks - 1 and running + chunk_pot[c] < target:
            running += chunk_pot[c]
            c += 1
        found = n_samples - 1
        # Normally the row is in chunk c; rounding can push it a chunk later.
        while c < n_chunks and found == n_samples - 1:
            start = c * CHUNK_SIZE
            end = min(n_samples, start + CHUNK_SIZE)
            m = end - start
            _transpose_chunk(X, start, end, xt)
            near[:m] = closest[start:end]
            _fold_pending(xt, m, pending, dist, near)
            hit = False
            for i in range(m):
                running += np.float64(sample_weight[start + i]) * np.float64(near[i])
                if running >= target:
                    found = start + i
                    hit = True
                    break
            if hit:
                break
            c += 1
        out[r] = found
