"""K-means over Dask arrays: the same kernels, run on every partition.

Data that does not fit on one machine (or in one process) is clustered by
running segmint's Lloyd kernel on each block of a :class:`dask.array.Array`
and adding the per-block sums in block order on the client. Only ``k x d``
sums travel per block and iteration; the data stays where Dask keeps it.

Dask is an optional dependency: ``pip install "segmint[dask]"``.
"""

import time
from numbers import Integral, Real

import numpy as np
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions, validate_params

from segmint._kernels import assign as _assign
from segmint.kmeans import FitHistory, KMeans

__all__ = ["fit_dask", "predict_dask"]


def _require_dask():
    try:
        import dask
        import dask.array as da
    except ImportError as exc:  # pragma: no cover - exercised without dask only
        raise ImportError(
            "segmint.distributed needs Dask: pip install 'segmint[dask]'."
        ) from exc
    return dask, da


def _block_partials(X, centers):
    """Per-cluster float64 sums, weights and inertia of one block (unit weights)."""
    X = np.ascontiguousarray(X)
    n, d = X.shape
    k = centers.shape[0]
    centers = np.ascontiguousarray(centers, dtype=X.dtype)
    n_blocks = _assign.n_row_blocks(n, k, d)
    block_sums = np.empty((n_blocks, k, d))
    block_weights = np.empty((n_blocks, k))
    block_inertia = np.empty((n_blocks, k))
    block_counts = np.empty((n_blocks, k), dtype=np.int64)
    block_changed = np.empty(n_blocks, dtype=np.int64)
    labels = np.full(n, -1, dtype=np.int32)
    if n:
        _assign.lloyd_step(
            X,
            np.ones(n, dtype=X.dtype),
            centers,
            labels,
            block_sums,
            block_weights,
            block_inertia,
            block_counts,
            block_changed,
            False,
        )
    else:
        block_sums[:] = 0
        block_weights[:] = 0
        block_inertia[:] = 0
    sums = np.empty((k, d))
    weights = np.empty(k)
    _assign.reduce_blocks(block_sums, block_weights, sums, weights)
    return sums, weights, float(_assign.blocks_inertia(block_inertia))


def _block_labels(X, centers):
    """Labels of one block (a ``map_blocks`` function)."""
    from segmint.kmeans import _labels_inertia

    X = np.ascontiguousarray(X)
    centers = np.ascontiguousarray(centers, dtype=X.dtype)
    return _labels_inertia(
        X, np.ones(X.shape[0], dtype=X.dtype), centers, return_inertia=False
    )


@validate_params(
    {
        "X": [object],
        "n_clusters": [Interval(Integral, 1, None, closed="left")],
        "init": [StrOptions({"k-means++"}), "array-like"],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left")],
        "sample_size": [Interval(Integral, 1, None, closed="left")],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
    },
    prefer_skip_nested_validation=True,
)
def fit_dask(
    X,
    n_clusters,
    *,
    init="k-means++",
    max_iter=300,
    tol=1e-4,
    sample_size=100_000,
    random_state=None,
    verbose=False,
):
    """Fit K-means on a Dask array with Lloyd's algorithm.

    Each iteration runs segmint's Lloyd kernel on every block (where Dask
    holds it) and adds the per-block cluster sums on the client in block
    order, so the result does not depend on the scheduler or the number of
    workers, only on the chunking.

    Parameters
    ----------
    X : dask.array.Array of shape (n_samples, n_features)
        float32 or float64 data, chunked along rows only (one chunk across
        the columns). Other float dtypes are converted to float64 per block.
    n_clusters : int
        Number of clusters.
    init : 'k-means++' or array-like of shape (n_clusters, n_features)
        'k-means++' brings a uniform random sample of ``sample_size`` rows to
        the client (the whole array if it is smaller), seeds it with
        k-means++, runs Lloyd on it, and starts from those centres.
    max_iter : int, default=300
        Maximum number of Lloyd iterations.
    tol : float, default=1e-4
        Stop when the total squared centre shift is at most ``tol`` times the
        mean per-feature variance of X (scikit-learn's rule). A shift of zero
        (no label changed) always stops the run.
    sample_size : int, default=100_000
        Rows sampled for k-means++ seeding.
    random_state : int, RandomState instance or None, default=None
        Seed for the sample and the seeding.
    verbose : bool, default=False
        Print the inertia at each iteration.

    Returns
    -------
    model : KMeans
        A fitted :class:`segmint.KMeans` (``cluster_centers_``, ``inertia_``,
        ``n_iter_``, ``history_``), usable in memory on new data.
        ``labels_`` is not stored (it has n entries); use
        :func:`predict_dask` for lazy labels.

    Notes
    -----
    Unlike the in-memory estimator, X is not centred first (that would need
    a full pass and a copy); distances are computed from the raw values.
    Empty clusters keep the heaviest cluster's centre for that iteration.

    Examples
    --------
    >>> import dask.array as da
    >>> from segmint.distributed import fit_dask, predict_dask
    >>> X = da.random.default_rng(0).normal(size=(10_000, 4), chunks=2_500)
    >>> model = fit_dask(X, 3, random_state=0)
    >>> model.cluster_centers_.shape
    (3, 4)
    >>> predict_dask(model, X).compute().shape
    (10000,)
    """
    dask, da = _require_dask()
    if not isinstance(X, da.Array):
        X = da.asarray(X)
    if X.ndim != 2:
        raise ValueError(
            f"Expected a 2-D Dask array, got {X.ndim} dimension(s); reshape it "
            "to (n_samples, n_features)."
        )
    if X.dtype not in (np.float32, np.float64):
        X = X.astype(np.float64)
    if X.numblocks[1] != 1:
        X = X.rechunk({1: -1})
    n_samples, n_features = X.shape
    if n_samples < n_clusters:
        raise ValueError(f"n_samples={n_samples} should be >= n_clusters={n_clusters}.")
    random_state = check_random_state(random_state)

    # One pass for the statistics the tolerance needs; it also checks
    # every block for NaN/inf before any iteration runs.
    var, finite = dask.compute(
        X.var(axis=0, dtype=np.float64),
        da.isfinite(X).all(),
    )
    if not finite:
        raise ValueError(
            "Input X contains NaN or infinity; drop or impute those values first."
        )
    abs_tol = float(np.mean(var)) * tol

    if isinstance(init, str):
        m = min(sample_size, n_samples)
        idx = np.sort(random_state.choice(n_samples, size=m, replace=False))
        sample = np.ascontiguousarray(X[idx].compute())
        centers = KMeans(n_clusters, n_init=1, random_state=random_state).fit(sample)
        centers = centers.cluster_centers_
    else:
        centers = np.array(init, dtype=X.dtype, order="C")
        if centers.shape != (n_clusters, n_features):
            raise ValueError(
                f"The shape of the initial centers {centers.shape} does not match "
                f"(n_clusters, n_features) = {(n_clusters, n_features)}."
            )

    blocks = X.to_delayed().ravel().tolist()
    partial = dask.delayed(_block_partials, pure=True)
    history = FitHistory()
    centers_new = np.empty_like(centers)
    for i in range(max_iter):
        t0 = time.perf_counter()
        parts = dask.compute(*[partial(b, centers) for b in blocks])
        sums = np.zeros((n_clusters, n_features))
        weights = np.zeros(n_clusters)
        inertia = 0.0
        for s, w, e in parts:  # block order: thread- and worker-independent
            sums += s
            weights += w
            inertia += e
        shift = _assign.average_centers(sums, weights, centers, centers_new)
        history.append(
            inertia=inertia,
            center_shift=shift,
            n_changed=-1,
            n_empty=int(np.sum(weights == 0)),
            n_distances=n_samples * n_clusters,
            time_s=time.perf_counter() - t0,
            step="lloyd",
        )
        if verbose:
            print(f"Iteration {i}, inertia {inertia}.")  # noqa: T201
        centers, centers_new = centers_new, centers
        if shift <= abs_tol:
            break

    model = KMeans(n_clusters, init=centers, n_init=1, max_iter=max_iter, tol=tol)
    model.cluster_centers_ = centers
    model.n_iter_ = i + 1
    model.n_features_in_ = n_features
    model._n_features_out = n_clusters
    model.history_ = history
    model.inertia_ = float(
        sum(p[2] for p in dask.compute(*[partial(b, centers) for b in blocks]))
    )
    return model


def predict_dask(model, X):
    """Lazy labels of a Dask array from a fitted model.

    Parameters
    ----------
    model : KMeans or MiniBatchKMeans
        Fitted model with ``cluster_centers_``.
    X : dask.array.Array of shape (n_samples, n_features)

    Returns
    -------
    labels : dask.array.Array of shape (n_samples,), int32
        Computed block by block when asked for.
    """
    _, da = _require_dask()
    if not isinstance(X, da.Array):
        X = da.asarray(X)
    if X.dtype not in (np.float32, np.float64):
        X = X.astype(np.float64)
    if X.ndim != 2 or X.shape[1] != model.cluster_centers_.shape[1]:
        raise ValueError(
            f"X has shape {X.shape}, but the model expects "
            f"{model.cluster_centers_.shape[1]} feature(s)."
        )
    if X.numblocks[1] != 1:
        X = X.rechunk({1: -1})
    return X.map_blocks(
        _block_labels,
        model.cluster_centers_,
        drop_axis=1,
        dtype=np.int32,
    )
