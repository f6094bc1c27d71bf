"""k-means++ distance updates and D^2 sampling.

Greedy k-means++ keeps, for every row, the squared distance to the nearest
centre chosen so far. Each new centre costs one pass over X: for every chunk
of rows it first folds in the previous winner (a *pending* update), then
measures every candidate, and returns only per-chunk potentials. The winner's
per-chunk potentials are already known from that pass, so the next draw needs
no extra pass: it applies the pending update on the fly to the one chunk it
lands in. Memory stays O(n) whatever the number of candidates, and X is read
once per centre, which is what bounds the speed for large n.

The pending centre and the candidates are laid out as the lanes of vector
registers (:func:`~segmint._kernels._simd.seed_rows`), so each row of X is
read in place, once per block of eight, and its distances to all of them are
accumulated together; distances are computed in the dtype of X with fused
multiply-adds and potentials summed in float64.

Potentials are summed per fixed-size chunk of rows and the chunk sums are
combined serially, so sampling is thread-independent, and a draw costs
O(n / CHUNK_SIZE + CHUNK_SIZE) instead of a cumulative sum over n.
"""

import numpy as np
from numba import njit, prange

from segmint._config import CHUNK_SIZE, JIT_KW, PARALLEL_JIT_KW
from segmint._kernels._simd import SEED_BLOCK, fma, seed_rows


@njit(**JIT_KW)
def _candidate_table(X, pending, candidates):
    """Candidates transposed, ``(n_features, kp)``: the pending centre first.

    Column 0 is ``pending``, columns ``1 .. n`` the rows ``candidates`` of X;
    the padding up to a whole number of blocks repeats ``pending``.
    """
    n_features = X.shape[1]
    n_cols = candidates.shape[0] + 1
    kp = -(-n_cols // SEED_BLOCK) * SEED_BLOCK
    ct = np.empty((n_features, kp), dtype=X.dtype)
    for f in range(n_features):
        for j in range(kp):
            ct[f, j] = pending[f]
        for t in range(candidates.shape[0]):
            ct[f, t + 1] = X[candidates[t], f]
    return ct


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
    of ``sample_weight * closest`` over chunk ``c``, rows in order.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features), float32 or float64
    pending : ndarray of shape (n_features,), dtype of X
    sample_weight : ndarray of shape (n_samples,), dtype of X
    closest : ndarray of shape (n_samples,), dtype of X
    chunk_pot : ndarray of shape (ceil(n_samples / CHUNK_SIZE),), float64
    """
    n_samples = X.shape[0]
    n_chunks = (n_samples + CHUNK_SIZE - 1) // CHUNK_SIZE
    ct = _candidate_table(X, pending, np.empty(0, dtype=np.int64))
    for c in prange(n_chunks):
        start = c * CHUNK_SIZE
        end = min(n_samples, start + CHUNK_SIZE)
        pot = np.zeros(ct.shape[1], dtype=np.float64)
        seed_rows(X, start, end, ct, 0, 0, closest, sample_weight, pot)
        chunk_pot[c] = pot[0]


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
    ``trial_chunk_pot[t, c]`` is the float64 sum over the chunk (rows in
    order) of ``sample_weight * min(closest, ||X - X[candidates[t]]||^2)``.
    Each chunk of X is read once for the update and up to ``SEED_BLOCK - 1``
    candidates, and every distance uses the same arithmetic, so the winner's
    potentials are exactly what folding it in will give.
    """
    n_samples = X.shape[0]
    n_trials = candidates.shape[0]
    n_chunks = (n_samples + CHUNK_SIZE - 1) // CHUNK_SIZE
    ct = _candidate_table(X, pending, candidates)
    kp = ct.shape[1]
    for c in prange(n_chunks):
        start = c * CHUNK_SIZE
        end = min(n_samples, start + CHUNK_SIZE)
        pot = np.zeros(kp, dtype=np.float64)
        # The first block folds the pending centre in; later ones see it done.
        seed_rows(X, start, end, ct, 0, 0, closest, sample_weight, pot)
        for col in range(SEED_BLOCK, kp, SEED_BLOCK):
            seed_rows(X, start, end, ct, col, -1, closest, sample_weight, pot)
        for t in range(n_trials):
            trial_chunk_pot[t, c] = pot[t + 1]


@njit(**JIT_KW)
def _fold_row(X, i, pending, near):
    """``min(near, ||X[i] - pending||^2)`` with the arithmetic of ``seed_rows``."""
    s = pending[0] - pending[0]  # +0 in X's dtype (X is finite)
    for f in range(X.shape[1]):
        u = X[i, f] - pending[f]
        s = fma(u, u, s)
    return s if s < near else near


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
    n_samples = X.shape[0]
    n_chunks = chunk_pot.shape[0]
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
            hit = False
            for i in range(start, end):
                near = _fold_row(X, i, pending, closest[i])
                running += np.float64(sample_weight[i]) * np.float64(near)
                if running >= target:
                    found = i
                    hit = True
                    break
            if hit:
                break
            c += 1
        out[r] = found
