"""Plain NumPy reference implementations the kernels are checked against.

Slow and obvious on purpose: every function here is a direct transcription
of the definition, with no chunking, blocking or pruning.
"""

import numpy as np


def sq_distances(X, centers):
    """Exact squared distances, (n, k), in float64."""
    X = np.asarray(X, dtype=np.float64)
    centers = np.asarray(centers, dtype=np.float64)
    return ((X[:, None, :] - centers[None, :, :]) ** 2).sum(axis=2)


def nearest(X, centers):
    """Label of the nearest centre (lowest index on ties) and its squared distance."""
    d = sq_distances(X, centers)
    labels = d.argmin(axis=1)
    return labels, d[np.arange(len(labels)), labels]


def inertia(X, centers, labels, sample_weight=None):
    """Weighted sum of squared distances of rows to their labelled centres."""
    X = np.asarray(X, dtype=np.float64)
    w = np.ones(len(X)) if sample_weight is None else np.asarray(sample_weight)
    diff = X - np.asarray(centers, dtype=np.float64)[labels]
    return float((w * (diff**2).sum(axis=1)).sum())


def weighted_means(X, labels, n_clusters, sample_weight=None):
    """Per-cluster weighted sums and weights."""
    X = np.asarray(X, dtype=np.float64)
    w = np.ones(len(X)) if sample_weight is None else np.asarray(sample_weight, float)
    sums = np.zeros((n_clusters, X.shape[1]))
    weights = np.zeros(n_clusters)
    np.add.at(sums, labels, X * w[:, None])
    np.add.at(weights, labels, w)
    return sums, weights


def lloyd(X, centers, n_iter):
    """``n_iter`` plain Lloyd iterations without empty clusters; returns centres."""
    centers = np.asarray(centers, dtype=np.float64).copy()
    for _ in range(n_iter):
        labels, _ = nearest(X, centers)
        sums, weights = weighted_means(X, labels, len(centers))
        assert (weights > 0).all(), "reference Lloyd does not relocate"
        centers = sums / weights[:, None]
    return centers
