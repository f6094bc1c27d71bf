"""Clustering quality metrics with scikit-learn's signatures and results.

``silhouette_samples``, ``silhouette_score``, ``davies_bouldin_score`` and
``calinski_harabasz_score`` take the same arguments, return the same values
and raise the same errors as their namesakes in :mod:`sklearn.metrics`; the
numeric work runs in the Numba kernels of :mod:`segmint._kernels.silhouette`
and :mod:`segmint._kernels.scores`. Beyond scikit-learn:

* ``metric="sqeuclidean"`` silhouettes are computed exactly in
  ``O(n k d)`` time from cluster means and within-cluster scatter;
* :func:`silhouette_score_estimate` estimates the silhouette of a large data
  set from a stratified sample of rows, each scored exactly against all rows,
  and reports a confidence interval;
* :func:`inertia` is the K-means objective for any labels and centres.

The exact Euclidean silhouette needs ``n^2 / 2`` distances; its memory is
``O(n)`` whatever ``n`` and ``k`` are.
"""

from dataclasses import dataclass
from numbers import Integral, Real
from statistics import NormalDist

import numpy as np
from numba import set_parallel_chunksize
from scipy.sparse import issparse
from sklearn.preprocessing import LabelEncoder
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions, validate_params
from sklearn.utils.validation import _check_sample_weight, check_array, check_X_y

from segmint._kernels import scores as _scores
from segmint._kernels import silhouette as _sil

__all__ = [
    "SilhouetteEstimate",
    "calinski_harabasz_score",
    "davies_bouldin_score",
    "inertia",
    "silhouette_samples",
    "silhouette_score",
    "silhouette_score_estimate",
]

#: Metrics computed by segmint's kernels; any other metric scikit-learn
#: accepts is passed on to :func:`sklearn.metrics.silhouette_samples`.
_OWN_METRICS = frozenset({"euclidean", "l2", "sqeuclidean"})


def _sklearn_metrics():
    from sklearn.metrics.pairwise import _VALID_METRICS

    return set(_VALID_METRICS) | {"precomputed"}


_METRIC_CONSTRAINT = [StrOptions(_OWN_METRICS | _sklearn_metrics()), callable]
_FLOAT_DTYPES = [np.float64, np.float32]


def _check_number_of_labels(n_labels, n_samples):
    # same test and message as sklearn.metrics.cluster.check_number_of_labels
    if not 1 < n_labels < n_samples:
        raise ValueError(
            f"Number of labels is {n_labels}. Valid values are 2 to n_samples - 1 "
            "(inclusive)"
        )


def _prepare(X, labels):
    """Validate ``X`` (float32 stays float32) and encode labels to 0..k-1."""
    X, labels = check_X_y(X, labels, dtype=_FLOAT_DTYPES, order="C")
    encoder = LabelEncoder()
    codes = encoder.fit_transform(labels).astype(np.int64, copy=False)
    n_labels = encoder.classes_.shape[0]
    _check_number_of_labels(n_labels, X.shape[0])
    return X, codes, n_labels


def _cluster_means(X, codes, n_labels):
    sums = np.empty((n_labels, X.shape[1]), dtype=np.float64)
    counts = np.empty(n_labels, dtype=np.int64)
    _scores.cluster_sums(X, codes, sums, counts)
    return sums / counts[:, None], counts, sums


def _scatter(X, codes, centers):
    sq = np.empty(centers.shape[0], dtype=np.float64)
    dist = np.empty(centers.shape[0], dtype=np.float64)
    _scores.cluster_scatter(X, codes, centers, sq, dist)
    return sq, dist


def _silhouette_from_ab(intra_sum, inter_mean, counts, codes):
    """``(b - a) / max(a, b)``, with scikit-learn's handling of 0/0 cases."""
    denom = (counts - 1).take(codes, mode="clip")
    with np.errstate(divide="ignore", invalid="ignore"):
        intra = intra_sum / denom
        sil = (inter_mean - intra) / np.maximum(intra, inter_mean)
    # nan: singleton clusters (a = 0/0) and rows with a = b = 0; both score 0
    return np.nan_to_num(sil)


def _silhouette_rows(X, codes, n_labels, metric):
    """Exact per-row silhouettes (float64) of validated, encoded input."""
    n_samples = X.shape[0]
    intra_sum = np.empty(n_samples, dtype=np.float64)
    inter_mean = np.empty(n_samples, dtype=np.float64)
    counts = np.bincount(codes, minlength=n_labels)
    if metric == "sqeuclidean":
        means, counts, _ = _cluster_means(X, codes, n_labels)
        scatter, _ = _scatter(X, codes, means)
        _sil.silhouette_ab_sqeuclidean(
            X, codes, means, counts, scatter, intra_sum, inter_mean
        )
    else:
        order = np.argsort(codes, kind="stable").astype(np.int64, copy=False)
        bounds = np.zeros(n_labels + 1, dtype=np.int64)
        np.cumsum(counts, out=bounds[1:])
        # stripes of a block do unequal work: schedule them one at a time
        previous = set_parallel_chunksize(1)
        try:
            _sil.silhouette_ab(X, order, bounds, intra_sum, inter_mean)
        finally:
            set_parallel_chunksize(previous)
    return _silhouette_from_ab(intra_sum, inter_mean, counts, codes)


@validate_params(
    {
        "X": ["array-like", "sparse matrix"],
        "labels": ["array-like"],
        "metric": _METRIC_CONSTRAINT,
    },
    prefer_skip_nested_validation=True,
)
def silhouette_samples(X, labels, *, metric="euclidean", **kwds):
    """Silhouette Coefficient of every sample.

    Same signature, result and errors as
    :func:`sklearn.metrics.silhouette_samples`. For a sample ``i`` in cluster
    ``A``, ``a(i)`` is its mean distance to the other members of ``A`` and
    ``b(i)`` the smallest mean distance to the members of another cluster;
    the coefficient is ``(b - a) / max(a, b)``, and 0 for a sample alone in
    its cluster.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        Data. float32 input is computed in float32 and summed in float64.
    labels : array-like of shape (n_samples,)
        Cluster label of every sample.
    metric : str or callable, default="euclidean"
        ``"euclidean"`` (alias ``"l2"``) and ``"sqeuclidean"`` run in
        segmint's kernels. Any other metric scikit-learn accepts, including
        ``"precomputed"`` and callables, sparse ``X`` and any extra keyword
        arguments are passed to :func:`sklearn.metrics.silhouette_samples`.
    **kwds
        Keyword arguments for the distance function (scikit-learn path only).

    Returns
    -------
    silhouette : ndarray of shape (n_samples,)
        Silhouette Coefficient of every sample, in ``X``'s float dtype.

    Raises
    ------
    ValueError
        If the number of distinct labels is not between 2 and
        ``n_samples - 1``, or ``X`` and ``labels`` differ in length.

    Notes
    -----
    The Euclidean kernel visits each pair of samples once, in tiles of
    cluster-sorted rows, and keeps ``O(n)`` memory whatever ``n`` is (no
    distance matrix). ``"sqeuclidean"`` uses ``sum_{j in C} ||x - x_j||^2 =
    |C| ||x - m_C||^2 + sum_{j in C} ||x_j - m_C||^2`` and costs ``O(n k d)``.
    See Rousseeuw, P. J. (1987). Silhouettes: a graphical aid to the
    interpretation and validation of cluster analysis. J. Comput. Appl. Math.
    20, 53-65.

    Examples
    --------
    >>> import numpy as np
    >>> from segmint.metrics import silhouette_samples
    >>> X = np.array([[0.0, 0.0], [0.0, 1.0], [4.0, 0.0], [4.0, 1.0]])
    >>> silhouette_samples(X, [0, 0, 1, 1]).round(4)
    array([0.7538, 0.7538, 0.7538, 0.7538])
    """
    if metric not in _OWN_METRICS or kwds or issparse(X):
        from sklearn.metrics import silhouette_samples as sk_silhouette_samples

        return sk_silhouette_samples(X, labels, metric=metric, **kwds)
    X, codes, n_labels = _prepare(X, labels)
    return _silhouette_rows(X, codes, n_labels, metric).astype(X.dtype, copy=False)


@validate_params(
    {
        "X": ["array-like", "sparse matrix"],
        "labels": ["array-like"],
        "metric": _METRIC_CONSTRAINT,
        "sample_size": [Interval(Integral, 1, None, closed="left"), None],
        "random_state": ["random_state"],
    },
    prefer_skip_nested_validation=True,
)
def silhouette_score(
    X, labels, *, metric="euclidean", sample_size=None, random_state=None, **kwds
):
    """Mean Silhouette Coefficient of all samples.

    Same signature, result and errors as
    :func:`sklearn.metrics.silhouette_score`, including the random subset
    drawn for ``sample_size`` (the same ``random_state`` selects the same
    rows).

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        Data.
    labels : array-like of shape (n_samples,)
        Cluster label of every sample.
    metric : str or callable, default="euclidean"
        As in :func:`silhouette_samples`.
    sample_size : int, default=None
        Score a random subset of this many samples (the silhouette is then
        computed within the subset). For a statistically sound estimate with
        a confidence interval, use :func:`silhouette_score_estimate`.
    random_state : int, RandomState instance or None, default=None
        Draws the subset when ``sample_size`` is set.
    **kwds
        Keyword arguments for the distance function (scikit-learn path only).

    Returns
    -------
    silhouette : float
        Mean Silhouette Coefficient, in [-1, 1].

    Examples
    --------
    >>> import numpy as np
    >>> from segmint.metrics import silhouette_score
    >>> X = np.array([[0.0, 0.0], [0.0, 1.0], [4.0, 0.0], [4.0, 1.0]])
    >>> round(silhouette_score(X, [0, 0, 1, 1]), 4)
    0.7538
    """
    if sample_size is not None:
        X, labels = check_X_y(X, labels, accept_sparse=["csc", "csr"])
        random_state = check_random_state(random_state)
        indices = random_state.permutation(X.shape[0])[:sample_size]
        if metric == "precomputed":
            X, labels = X[indices].T[indices].T, labels[indices]
        else:
            X, labels = X[indices], labels[indices]
    return float(np.mean(silhouette_samples(X, labels, metric=metric, **kwds)))


@dataclass(frozen=True)
class SilhouetteEstimate:
    """A sampled estimate of the mean silhouette with its confidence interval.

    Attributes
    ----------
    value : float
        Estimated mean Silhouette Coefficient of all samples.
    ci_low, ci_high : float
        Bounds of the confidence interval (clipped to [-1, 1]).
    std_error : float
        Estimated standard error of ``value``.
    confidence : float
        Coverage of the interval, e.g. 0.95.
    sample_size : int
        Number of rows scored.
    n_samples : int
        Number of rows in the data.
    exact : bool
        True when every row was scored (the interval then has zero width).
    """

    value: float
    ci_low: float
    ci_high: float
    std_error: float
    confidence: float
    sample_size: int
    n_samples: int
    exact: bool

    def __float__(self):
        return float(self.value)

    def __str__(self):
        if self.exact:
            return f"{self.value:.4f} (exact, {self.n_samples} samples)"
        pct = round(100 * self.confidence)
        return (
            f"{self.value:.4f} ({pct}% CI {self.ci_low:.4f} to {self.ci_high:.4f}; "
            f"{self.sample_size} of {self.n_samples} samples, stratified)"
        )


def _stratified_rows(codes, counts, sample_size, rng):
    """Indices of a stratified sample: proportional allocation, >= 2 per cluster."""
    n_samples = codes.shape[0]
    alloc = np.floor(sample_size * counts / n_samples).astype(np.int64)
    alloc = np.minimum(np.maximum(alloc, 2), counts)
    order = np.argsort(codes, kind="stable")
    bounds = np.concatenate(([0], np.cumsum(counts)))
    chosen = [
        order[bounds[c] + rng.choice(counts[c], size=alloc[c], replace=False)]
        for c in range(counts.shape[0])
    ]
    return np.sort(np.concatenate(chosen)).astype(np.int64, copy=False), alloc


def _sampled_silhouettes(X, codes, counts, rows):
    """Exact silhouettes of ``rows`` measured against every row (Euclidean)."""
    n_labels = counts.shape[0]
    order = np.argsort(codes, kind="stable").astype(np.int64, copy=False)
    bounds = np.zeros(n_labels + 1, dtype=np.int64)
    np.cumsum(counts, out=bounds[1:])
    sums = np.empty((rows.shape[0], n_labels), dtype=np.float64)
    _sil.cluster_distance_sums(X, rows, order, bounds, sums)
    own = codes[rows]
    picked = np.arange(rows.shape[0])
    intra_sum = sums[picked, own].copy()
    sums[picked, own] = np.inf
    inter_mean = (sums / counts).min(axis=1)
    return _silhouette_from_ab(intra_sum, inter_mean, counts, own)


@validate_params(
    {
        "X": ["array-like"],
        "labels": ["array-like"],
        "sample_size": [Interval(Integral, 1, None, closed="left")],
        "metric": [StrOptions(set(_OWN_METRICS))],
        "confidence": [Interval(Real, 0, 1, closed="neither")],
        "random_state": ["random_state"],
    },
    prefer_skip_nested_validation=True,
)
def silhouette_score_estimate(
    X,
    labels,
    *,
    sample_size=2000,
    metric="euclidean",
    confidence=0.95,
    random_state=None,
):
    """Estimate the mean silhouette from a stratified sample, with a CI.

    Draws about ``sample_size`` rows, stratified by cluster (proportional
    allocation, at least two rows per cluster), and computes each drawn row's
    silhouette exactly against *all* rows. Unlike ``silhouette_score(...,
    sample_size=m)``, which computes silhouettes within the subset, every
    scored value is the row's true silhouette, so the estimate is unbiased for
    the full-data score, and its standard error follows from the per-cluster
    sample variances. Cost: ``O(sample_size * n * d)`` time, ``O(n)`` memory.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        Data.
    labels : array-like of shape (n_samples,)
        Cluster label of every sample.
    sample_size : int, default=2000
        Target number of rows to score. When it reaches ``n_samples`` every
        row is scored and the result is exact.
    metric : {"euclidean", "l2", "sqeuclidean"}, default="euclidean"
        ``"sqeuclidean"`` is computed exactly at any size (``O(n k d)``), so
        it never samples.
    confidence : float, default=0.95
        Coverage of the interval, in (0, 1).
    random_state : int, RandomState instance or None, default=None
        Draws the sample.

    Returns
    -------
    estimate : SilhouetteEstimate
        ``value``, ``ci_low``, ``ci_high``, ``std_error`` and the sample size;
        ``float(estimate)`` is the value.

    Notes
    -----
    Stratified estimator of a population mean (Cochran, W. G. (1977).
    Sampling Techniques, 3rd ed., Wiley, sections 5.3 and 5.5):
    ``value = sum_c W_c mean_c`` and ``var = sum_c W_c^2 (1 - f_c) s_c^2 /
    m_c`` with ``W_c = n_c / n``, ``f_c = m_c / n_c`` and ``s_c^2`` the
    sample variance in cluster ``c``; the interval is the normal
    approximation ``value +/- z * sqrt(var)``.

    Examples
    --------
    >>> import numpy as np
    >>> from segmint.metrics import silhouette_score_estimate
    >>> rng = np.random.default_rng(0)
    >>> X = np.vstack([rng.normal(0, 1, (500, 2)), rng.normal(6, 1, (500, 2))])
    >>> labels = np.repeat([0, 1], 500)
    >>> est = silhouette_score_estimate(X, labels, sample_size=200, random_state=0)
    >>> bool(est.ci_low <= est.value <= est.ci_high)
    True
    """
    X, codes, n_labels = _prepare(X, labels)
    n_samples = X.shape[0]
    counts = np.bincount(codes, minlength=n_labels)
    if metric == "sqeuclidean" or sample_size >= n_samples:
        value = float(np.mean(_silhouette_rows(X, codes, n_labels, metric)))
        return SilhouetteEstimate(
            value, value, value, 0.0, confidence, n_samples, n_samples, True
        )
    rng = check_random_state(random_state)
    rows, alloc = _stratified_rows(codes, counts, sample_size, rng)
    sil = _sampled_silhouettes(X, codes, counts, rows)
    own = codes[rows]
    weights = counts / n_samples
    means = np.bincount(own, weights=sil, minlength=n_labels) / alloc
    centred = sil - means[own]
    ss = np.bincount(own, weights=centred * centred, minlength=n_labels)
    with np.errstate(divide="ignore", invalid="ignore"):
        var_c = np.where(alloc > 1, ss / (alloc - 1), 0.0)
    fpc = 1.0 - alloc / counts
    value = float(np.dot(weights, means))
    std_error = float(np.sqrt(np.sum(weights**2 * fpc * var_c / alloc)))
    z = NormalDist().inv_cdf(0.5 + confidence / 2.0)
    return SilhouetteEstimate(
        value=value,
        ci_low=max(-1.0, value - z * std_error),
        ci_high=min(1.0, value + z * std_error),
        std_error=std_error,
        confidence=float(confidence),
        sample_size=int(rows.shape[0]),
        n_samples=n_samples,
        exact=False,
    )


@validate_params(
    {
        "X": ["array-like"],
        "labels": ["array-like"],
        "centers": ["array-like"],
        "sample_weight": ["array-like", None],
    },
    prefer_skip_nested_validation=True,
)
def inertia(X, labels, centers, sample_weight=None):
    """Sum of (weighted) squared distances from each sample to its centre.

    The K-means objective, as ``KMeans.inertia_`` reports it, for any labels
    and centres.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        Data.
    labels : array-like of shape (n_samples,)
        Index of each sample's centre, in ``[0, n_clusters)``.
    centers : array-like of shape (n_clusters, n_features)
        Centres.
    sample_weight : array-like of shape (n_samples,), default=None
        Weight of every sample; None means all ones.

    Returns
    -------
    inertia : float
        ``sum_i w_i ||x_i - centers[labels[i]]||^2``.

    Examples
    --------
    >>> import numpy as np
    >>> from segmint.metrics import inertia
    >>> X = np.array([[0.0, 0.0], [0.0, 1.0], [4.0, 0.0], [4.0, 1.0]])
    >>> inertia(X, [0, 0, 1, 1], [[0.0, 0.5], [4.0, 0.5]])
    1.0
    """
    X, labels = check_X_y(X, labels, dtype=_FLOAT_DTYPES, order="C")
    centers = check_array(centers, dtype=X.dtype, order="C", input_name="centers")
    if centers.shape[1] != X.shape[1]:
        raise ValueError(
            f"centers has {centers.shape[1]} features but X has {X.shape[1]}; "
            "pass one centre per cluster with X's number of columns."
        )
    n_clusters = centers.shape[0]
    if labels.dtype.kind not in "iu" and not (
        labels.dtype.kind == "f" and np.all(np.mod(labels, 1) == 0)
    ):
        raise ValueError(
            f"labels must be integer indices into centers, got dtype {labels.dtype}."
        )
    codes = labels.astype(np.int64)
    if codes.size and (codes.min() < 0 or codes.max() >= n_clusters):
        raise ValueError(
            f"labels must lie in [0, {n_clusters - 1}] (one index per row of "
            f"centers); got values from {codes.min()} to {codes.max()}."
        )
    sample_weight = _check_sample_weight(sample_weight, X, dtype=X.dtype)
    return float(_scores.weighted_inertia(X, sample_weight, codes, centers))


@validate_params(
    {"X": ["array-like"], "labels": ["array-like"]},
    prefer_skip_nested_validation=True,
)
def calinski_harabasz_score(X, labels):
    """Calinski-Harabasz score (variance ratio criterion).

    Same result and errors as :func:`sklearn.metrics.calinski_harabasz_score`:
    ``[B / (k - 1)] / [W / (n - k)]`` with ``B`` the between-cluster and
    ``W`` the within-cluster dispersion; 1.0 when ``W`` is 0. Higher is
    better.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        Data.
    labels : array-like of shape (n_samples,)
        Cluster label of every sample.

    Returns
    -------
    score : float
        The Calinski-Harabasz score.

    Notes
    -----
    Calinski, T. and Harabasz, J. (1974). A dendrite method for cluster
    analysis. Communications in Statistics 3(1), 1-27.

    Examples
    --------
    >>> import numpy as np
    >>> from segmint.metrics import calinski_harabasz_score
    >>> X = np.array([[0.0, 0.0], [0.0, 1.0], [4.0, 0.0], [4.0, 1.0]])
    >>> calinski_harabasz_score(X, [0, 0, 1, 1])
    32.0
    """
    X, codes, n_labels = _prepare(X, labels)
    return _calinski_harabasz(_cluster_stats(X, codes, n_labels))


@validate_params(
    {"X": ["array-like"], "labels": ["array-like"]},
    prefer_skip_nested_validation=True,
)
def davies_bouldin_score(X, labels):
    """Davies-Bouldin score.

    Same result and errors as :func:`sklearn.metrics.davies_bouldin_score`:
    the mean, over clusters, of the largest ratio ``(s_i + s_j) / d(c_i,
    c_j)`` where ``s_i`` is the mean distance of cluster ``i``'s members to
    its centroid. Lower is better; 0 is the minimum.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        Data.
    labels : array-like of shape (n_samples,)
        Cluster label of every sample.

    Returns
    -------
    score : float
        The Davies-Bouldin score.

    Notes
    -----
    Davies, D. L. and Bouldin, D. W. (1979). A cluster separation measure.
    IEEE Trans. Pattern Anal. Mach. Intell. PAMI-1(2), 224-227.

    Examples
    --------
    >>> from segmint.metrics import davies_bouldin_score
    >>> round(davies_bouldin_score([[0, 1], [1, 1], [3, 4]], [0, 0, 1]), 4)
    0.128
    """
    X, codes, n_labels = _prepare(X, labels)
    return _davies_bouldin(_cluster_stats(X, codes, n_labels))


def _cluster_stats(X, codes, n_labels):
    """One pass for the sums, one for the scatter: all CH and DB need.

    ``codes`` must be ``0 .. n_labels - 1`` with no empty cluster.
    """
    means, counts, sums = _cluster_means(X, codes, n_labels)
    sq_sums, dist_sums = _scatter(X, codes, means)
    return {
        "n_samples": X.shape[0],
        "means": means,
        "counts": counts,
        "total": sums.sum(axis=0),
        "sq_sums": sq_sums,
        "dist_sums": dist_sums,
    }


def _calinski_harabasz(stats):
    n_samples = stats["n_samples"]
    means, counts = stats["means"], stats["counts"]
    n_labels = counts.shape[0]
    intra_disp = float(np.sum(stats["sq_sums"]))
    mean = stats["total"] / n_samples
    extra_disp = float(np.sum(counts * np.sum((means - mean) ** 2, axis=1)))
    if intra_disp == 0.0:
        return 1.0
    return float(extra_disp * (n_samples - n_labels) / (intra_disp * (n_labels - 1.0)))


def _davies_bouldin(stats):
    means = stats["means"]
    intra_dists = stats["dist_sums"] / stats["counts"]
    diff = means[:, None, :] - means[None, :, :]
    centroid_distances = np.sqrt(np.sum(diff * diff, axis=2))
    if np.all(np.isclose(intra_dists, 0.0)) or np.all(
        np.isclose(centroid_distances, 0.0)
    ):
        return 0.0
    centroid_distances[centroid_distances == 0] = np.inf
    combined = intra_dists[:, None] + intra_dists
    return float(np.mean(np.max(combined / centroid_distances, axis=1)))
