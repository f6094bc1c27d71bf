"""Per-cluster reductions behind inertia, Calinski-Harabasz and Davies-Bouldin.

Every kernel runs over fixed-size chunks of rows (``CHUNK_SIZE``) in
parallel, writes one partial result per chunk into a ``(n_chunks, ...)``
float64 buffer, and adds the chunks up serially in chunk order afterwards, so
the results are bit-identical at any number of threads. ``X`` is read in its
own dtype (float32 or float64); all sums are float64.
"""

import numpy as np
from numba import njit, prange

from segmint._config import CHUNK_SIZE, JIT_KW, PARALLEL_JIT_KW


@njit(**JIT_KW)
def _n_chunks(n_samples):
    return (n_samples + CHUNK_SIZE - 1) // CHUNK_SIZE


@njit(**PARALLEL_JIT_KW)
def cluster_sums(
    X,  # IN (n_samples, n_features) float32/float64
    labels,  # IN (n_samples,) int64 in [0, n_clusters)
    sums,  # OUT (n_clusters, n_features) float64
    counts,  # OUT (n_clusters,) int64
):
    """Per-cluster sums of the rows and per-cluster sizes.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features), float32 or float64
        Data.
    labels : ndarray of shape (n_samples,), int64
        Cluster of every row.
    sums : ndarray of shape (n_clusters, n_features), float64
        Written in full: ``sums[c] = sum_{labels[i] == c} X[i]``.
    counts : ndarray of shape (n_clusters,), int64
        Written in full.
    """
    n_samples, n_features = X.shape
    n_clusters = sums.shape[0]
    n_chunks = _n_chunks(n_samples)
    part = np.zeros((n_chunks, n_clusters, n_features), dtype=np.float64)
    part_counts = np.zeros((n_chunks, n_clusters), dtype=np.int64)
    for chunk in prange(n_chunks):
        r0 = chunk * CHUNK_SIZE
        r1 = min(n_samples, r0 + CHUNK_SIZE)
        for i in range(r0, r1):
            c = labels[i]
            part_counts[chunk, c] += 1
            for f in range(n_features):
                part[chunk, c, f] += X[i, f]
    sums[:, :] = 0.0
    counts[:] = 0
    for chunk in range(n_chunks):
        for c in range(n_clusters):
            counts[c] += part_counts[chunk, c]
            for f in range(n_features):
                sums[c, f] += part[chunk, c, f]


@njit(**PARALLEL_JIT_KW)
def cluster_scatter(
    X,  # IN (n_samples, n_features) float32/float64
    labels,  # IN (n_samples,) int64 in [0, n_clusters)
    centers,  # IN (n_clusters, n_features) float64
    sq_sums,  # OUT (n_clusters,) float64
    dist_sums,  # OUT (n_clusters,) float64
):
    """Per-cluster sums of squared and of plain distances to given centres.

    ``sq_sums[c] = sum_{labels[i] == c} ||X[i] - centers[c]||^2`` (the
    within-cluster dispersion when the centres are the means) and
    ``dist_sums[c]`` the same without the square (Davies-Bouldin's cluster
    diameter numerator). Differences are taken directly in float64.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features), float32 or float64
        Data.
    labels : ndarray of shape (n_samples,), int64
        Cluster of every row.
    centers : ndarray of shape (n_clusters, n_features), float64
        One centre per cluster.
    sq_sums, dist_sums : ndarray of shape (n_clusters,), float64
        Written in full.
    """
    n_samples, n_features = X.shape
    n_clusters = centers.shape[0]
    n_chunks = _n_chunks(n_samples)
    part = np.zeros((n_chunks, 2, n_clusters), dtype=np.float64)
    for chunk in prange(n_chunks):
        r0 = chunk * CHUNK_SIZE
        r1 = min(n_samples, r0 + CHUNK_SIZE)
        for i in range(r0, r1):
            c = labels[i]
            s = 0.0
            for f in range(n_features):
                t = np.float64(X[i, f]) - centers[c, f]
                s += t * t
            part[chunk, 0, c] += s
            part[chunk, 1, c] += np.sqrt(s)
    sq_sums[:] = 0.0
    dist_sums[:] = 0.0
    for chunk in range(n_chunks):
        for c in range(n_clusters):
            sq_sums[c] += part[chunk, 0, c]
            dist_sums[c] += part[chunk, 1, c]


@njit(**PARALLEL_JIT_KW)
def weighted_inertia(
    X,  # IN (n_samples, n_features) float32/float64
    sample_weight,  # IN (n_samples,) same dtype as X
    labels,  # IN (n_samples,) int64 in [0, n_clusters)
    centers,  # IN (n_clusters, n_features) same dtype as X
):
    """Sum of weighted squared distances from each row to its centre.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features), float32 or float64
        Data.
    sample_weight : ndarray of shape (n_samples,)
        Weight of every row.
    labels : ndarray of shape (n_samples,), int64
        Index of the centre of every row.
    centers : ndarray of shape (n_clusters, n_features)
        Centres.

    Returns
    -------
    inertia : float
        ``sum_i w_i ||X[i] - centers[labels[i]]||^2``, accumulated in float64.
    """
    n_samples, n_features = X.shape
    n_chunks = _n_chunks(n_samples)
    part = np.zeros(n_chunks, dtype=np.float64)
    for chunk in prange(n_chunks):
        r0 = chunk * CHUNK_SIZE
        r1 = min(n_samples, r0 + CHUNK_SIZE)
        acc = 0.0
        for i in range(r0, r1):
            c = labels[i]
            s = 0.0
            for f in range(n_features):
                t = np.float64(X[i, f]) - np.float64(centers[c, f])
                s += t * t
            acc += np.float64(sample_weight[i]) * s
        part[chunk] = acc
    total = 0.0
    for chunk in range(n_chunks):
        total += part[chunk]
    return total
