"""k-means++ distance updates and D^2 sampling.

Greedy k-means++ keeps, for every row, the squared distance to the nearest
centre chosen so far. Each new centre costs one pass over X that measures the
distance to every candidate at once (the row is read once for all
candidates). Potentials are summed per fixed-size chunk of rows and the chunk
sums are combined serially, so sampling is thread-independent, and a draw
costs O(n / CHUNK_SIZE + CHUNK_SIZE) instead of a cumulative sum over n.
"""

import numpy as np
from numba import njit, prange

from segmint._config import CHUNK_SIZE, JIT_KW, PARALLEL_JIT_KW


@njit(**PARALLEL_JIT_KW)
def sq_dist_to_row(
    X,  # IN (n_samples, n_features)
    index,  # IN int: row of X to measure from
    sample_weight,  # IN (n_samples,)
    closest,  # OUT (n_samples,) dtype of X
    chunk_pot,  # OUT (n_chunks,) float64
):
    """Squared distance of every row to row ``index``, and chunk potentials.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features), float32 or float64
    index : int
        The first centre, as a row of X.
    sample_weight : ndarray of shape (n_samples,), dtype of X
    closest : ndarray of shape (n_samples,), dtype of X
        Written: exact squared distances (accumulated in float64).
    chunk_pot : ndarray of shape (ceil(n_samples / CHUNK_SIZE),), float64
        Written: per-chunk sum of ``sample_weight * closest``.
    """
    n_samples, n_features = X.shape
    n_chunks = (n_samples + CHUNK_SIZE - 1) // CHUNK_SIZE
    for c in prange(n_chunks):
        start = c * CHUNK_SIZE
        end = min(n_samples, start + CHUNK_SIZE)
        pot = 0.0
        for i in range(start, end):
            s = 0.0
            for f in range(n_features):
                t = np.float64(X[i, f]) - np.float64(X[index, f])
                s += t * t
            closest[i] = s
            pot += np.float64(sample_weight[i]) * np.float64(closest[i])
        chunk_pot[c] = pot


@njit(**PARALLEL_JIT_KW)
def trial_potentials(
    X,  # IN (n_samples, n_features)
    candidates,  # IN (n_trials,) int64 rows of X
    sample_weight,  # IN (n_samples,)
    closest,  # IN (n_samples,) current nearest squared distances
    trial_closest,  # OUT (n_trials, n_samples) dtype of X
    trial_chunk_pot,  # OUT (n_trials, n_chunks) float64
):
    """Nearest distances and chunk potentials if each candidate were added.

    ``trial_closest[t, i] = min(closest[i], ||X[i] - X[candidates[t]]||^2)``
    and ``trial_chunk_pot[t, c]`` is the weighted sum of that over chunk
    ``c``. The candidates are copied into a small contiguous block first so
    each row of X is read once for all of them.
    """
    n_samples, n_features = X.shape
    n_trials = candidates.shape[0]
    n_chunks = (n_samples + CHUNK_SIZE - 1) // CHUNK_SIZE
    cand = np.empty((n_trials, n_features), dtype=np.float64)
    for t in range(n_trials):
        for f in range(n_features):
            cand[t, f] = X[candidates[t], f]
    for c in prange(n_chunks):
        start = c * CHUNK_SIZE
        end = min(n_samples, start + CHUNK_SIZE)
        pots = np.zeros(n_trials, dtype=np.float64)
        for i in range(start, end):
            w = np.float64(sample_weight[i])
            for t in range(n_trials):
                s = 0.0
                for f in range(n_features):
                    u = np.float64(X[i, f]) - cand[t, f]
                    s += u * u
                if closest[i] < s:
                    trial_closest[t, i] = closest[i]
                else:
                    trial_closest[t, i] = s
                pots[t] += w * np.float64(trial_closest[t, i])
        for t in range(n_trials):
            trial_chunk_pot[t, c] = pots[t]


@njit(**JIT_KW)
def draw_rows(
    targets,  # IN (n_draws,) float64, each in [0, total potential)
    sample_weight,  # IN (n_samples,)
    closest,  # IN (n_samples,)
    chunk_pot,  # IN (n_chunks,) float64
    out,  # OUT (n_draws,) int64
):
    """Rows where the running sum of ``sample_weight * closest`` reaches each target.

    Equivalent to ``searchsorted(cumsum(sample_weight * closest), targets)``
    (clipped to the last row), found chunk by chunk: first the chunk whose
    running potential reaches the target, then the row inside it.
    """
    n_samples = closest.shape[0]
    n_chunks = chunk_pot.shape[0]
    for r in range(targets.shape[0]):
        target = targets[r]
        running = 0.0
        c = 0
        while c < n_chunks - 1 and running + chunk_pot[c] < target:
            running += chunk_pot[c]
            c += 1
        i = c * CHUNK_SIZE
        found = n_samples - 1
        while i < n_samples:
            running += np.float64(sample_weight[i]) * np.float64(closest[i])
            if running >= target:
                found = i
                break
            i += 1
        out[r] = found
