"""``segment()``: a customer table in, labelled and profiled segments out."""

from __future__ import annotations

import numbers

import numpy as np
import pandas as pd

from .errors import SegmentationError
from .model import distance_to_center, segments_frame
from .prepare import _quote_list, prepare
from .profile import NOISE_LABEL, TRAIT_THRESHOLD, profile_segments
from .result import SegmentationResult

ALGORITHMS = ("kmeans", "minibatch", "agglomerative", "dbscan")
#: Above this many rows ``algorithm="kmeans"`` switches to mini-batch K-means
#: (when available): one full Lloyd pass per iteration over more rows than
#: this costs seconds, and mini-batch reaches a near-equal inertia in a few
#: passes (Sculley, "Web-scale k-means clustering", WWW 2010, section 4).
LARGE_N = 200_000
#: Ward linkage keeps an n x n distance structure; beyond this it needs
#: gigabytes, so agglomerative refuses and suggests sampling or K-means.
AGGLOMERATIVE_MAX_ROWS = 20_000
#: Largest k tried by ``k="auto"``.
AUTO_K_MAX = 10


def _kmeans_class():
    from segmint.kmeans import KMeans

    return KMeans


def _minibatch_class():
    """segmint's MiniBatchKMeans, or None while it is not available."""
    try:
        from segmint.minibatch import MiniBatchKMeans
    except ImportError:
        return None
    return MiniBatchKMeans


def _check_k(k, n_rows, algorithm):
    if isinstance(k, str):
        if k != "auto":
            raise SegmentationError(f"k={k!r} should be 'auto' or a whole number >= 1")
        if algorithm != "dbscan" and n_rows < 3:
            raise SegmentationError(
                f"k='auto' needs at least 3 rows to compare k values, got {n_rows}; "
                f"pass a fixed k"
            )
        return k
    if isinstance(k, bool) or not isinstance(k, numbers.Integral) or k < 1:
        raise SegmentationError(f"k={k!r} should be 'auto' or a whole number >= 1")
    if algorithm == "dbscan":
        raise SegmentationError(
            f"k={k} cannot be used with algorithm='dbscan', which finds the number "
            f"of segments itself; leave k='auto'"
        )
    if n_rows < k:
        raise SegmentationError(
            f"fewer rows ({n_rows}) than segments asked for (k={k}); ask for at most "
            f"{n_rows} segments or add rows"
        )
    return int(k)


def _choose_k(X, k_values, n_init, random_state, criteria, sample_size):
    from segmint.select import select_k

    kwargs = {
        "n_init": n_init,
        "random_state": random_state,
        "sample_size": sample_size,
    }
    if criteria is not None:
        kwargs["criteria"] = tuple(criteria)
    return select_k(X, list(k_values), **kwargs)


def _centers_from_labels(X, labels, segment_labels):
    return np.stack([X[labels == s].mean(axis=0) for s in segment_labels])


def _dbscan_eps(X, min_samples):
    """eps at the knee of the sorted k-distance curve (Ester et al., KDD 1996, 4.2).

    The knee is the point farthest from the chord joining the curve's ends,
    both axes scaled to [0, 1] (Satopaa et al., "Finding a 'Kneedle' in a
    haystack", ICDCS Workshops 2011, section III).
    """
    from sklearn.neighbors import NearestNeighbors

    nn = NearestNeighbors(n_neighbors=min(min_samples, len(X))).fit(X)
    kdist = np.sort(nn.kneighbors(X)[0][:, -1])
    span = kdist[-1] - kdist[0]
    if len(kdist) < 3 or span <= 0:
        return max(float(kdist[-1]), 1e-12)
    x = np.linspace(0.0, 1.0, len(kdist))
    y = (kdist - kdist[0]) / span
    # for a convex increasing curve the knee maximises x - y
    return max(float(kdist[int(np.argmax(x - y))]), 1e-12)


def _fit(X, algorithm, k, *, n_init, random_state, eps, min_samples, notes):
    """Fit the estimator; returns (model, labels, algorithm used, linkage)."""
    n = len(X)
    if algorithm == "kmeans" and n > LARGE_N and _minibatch_class() is not None:
        notes.append(
            f"{n} rows > {LARGE_N}: used mini-batch K-means instead of K-means"
        )
        algorithm = "minibatch"
    if algorithm == "minibatch":
        cls = _minibatch_class()
        if cls is None:
            raise SegmentationError(
                "algorithm='minibatch' is not available in this installation; "
                "use algorithm='kmeans'"
            )
        model = cls(n_clusters=k, random_state=random_state).fit(X)
        return model, model.labels_, algorithm, None
    if algorithm == "kmeans":
        model = _kmeans_class()(n_clusters=k, n_init=n_init, random_state=random_state)
        model.fit(X)
        return model, model.labels_, algorithm, None
    if algorithm == "agglomerative":
        from scipy.cluster.hierarchy import linkage
        from sklearn.cluster import AgglomerativeClustering

        model = AgglomerativeClustering(n_clusters=k, linkage="ward").fit(X)
        return model, model.labels_, algorithm, linkage(X, method="ward")
    from sklearn.cluster import DBSCAN

    if min_samples is None:
        # 2 x dimensions (Sander et al., Data Min. Knowl. Discov. 1998, 2(2)), at least 5
        min_samples = max(5, 2 * X.shape[1])
    if eps is None:
        eps = _dbscan_eps(X, min_samples)
        notes.append(
            f"DBSCAN eps={eps:.4g} from the knee of the {min_samples}-NN distances"
        )
    model = DBSCAN(eps=eps, min_samples=min_samples).fit(X)
    if not np.any(model.labels_ >= 0):
        raise SegmentationError(
            f"DBSCAN found no segment: every row is noise with eps={eps:.4g}, "
            f"min_samples={min_samples}; pass a larger eps or a smaller min_samples"
        )
    return model, model.labels_, algorithm, None


def segment(
    df: pd.DataFrame,
    *,
    k="auto",
    id_column=None,
    columns=None,
    algorithm: str = "kmeans",
    random_state=0,
    roles=None,
    log_transform="auto",
    scaling: str = "standard",
    max_categories: int = 10,
    pca=None,
    k_values=None,
    n_init: int = 10,
    criteria=None,
    sample_size=None,
    eps=None,
    min_samples=None,
    trait_threshold: float = TRAIT_THRESHOLD,
) -> SegmentationResult:
    """Segment the customers (rows) of a table.

    Prepares the features (:func:`~segmint.segment.prepare.prepare`), chooses
    k (given, or ``"auto"`` with :func:`segmint.select.select_k`), fits the
    clustering, labels every row and profiles every segment
    (:func:`~segmint.segment.profile.profile_segments`).

    Parameters
    ----------
    df : pandas.DataFrame
        One row per customer.
    k : "auto" or int, default="auto"
        Number of segments. ``"auto"`` tries ``k_values`` with ``select_k``
        and keeps its recommendation and evidence (for agglomerative too, on
        the K-means criteria). DBSCAN finds its own number: leave ``"auto"``.
    id_column : str, optional
        Identifier column, copied into ``segments``; inferred when None.
    columns : list of str, optional
        Feature columns; default every numeric and categorical column.
    algorithm : {"kmeans", "minibatch", "agglomerative", "dbscan"}, default="kmeans"
        ``"kmeans"`` is segmint's K-means, which switches to mini-batch above
        ``LARGE_N`` rows when available; ``"agglomerative"`` is Ward linkage
        (scikit-learn) with a SciPy linkage matrix kept for the dendrogram;
        ``"dbscan"`` is scikit-learn's DBSCAN with noise kept as label -1.
    random_state : int, default=0
        Seed for K-means, k selection and PCA.
    roles : dict of str to str, optional
        Role overrides, e.g. ``{"Region": "categorical"}``.
    log_transform : "auto", bool or list of str, default="auto"
        Sign-preserving log1p on right-skewed numeric columns; see
        ``prepare``.
    scaling : {"standard", "robust", "minmax", "none"}, default="standard"
    max_categories : int, default=10
        One-hot columns per categorical column at most.
    pca : int, float or None, default=None
        Optional PCA after encoding.
    k_values : iterable of int, optional
        Candidates for ``k="auto"``; default 2 .. min(10, rows - 1).
    n_init : int, default=10
        K-means restarts (fit and k selection).
    criteria : tuple of str, optional
        Passed to ``select_k`` (its default when None).
    sample_size : int, optional
        Passed to ``select_k``: rows its silhouette is scored on (its default:
        all rows up to 10,000, else a sample of 10,000).
    eps, min_samples : optional
        DBSCAN parameters; by default ``min_samples = max(5, 2 d)`` and
        ``eps`` at the knee of the sorted ``min_samples``-NN distances.
    trait_threshold : float, default=0.5
        Smallest standardised difference that counts as a trait in names.

    Returns
    -------
    SegmentationResult

    Raises
    ------
    SegmentationError
        For bad input: not a DataFrame, no rows, an unknown column or option,
        no numeric column, an all-missing column, text in a numeric column,
        fewer rows than k.

    Examples
    --------
    >>> from segmint.datasets import load_wholesale
    >>> from segmint.segment import segment
    >>> df = load_wholesale()
    >>> result = segment(df, k=3, roles={"Channel": "categorical",
    ...                                  "Region": "categorical"})
    >>> len(result.segments) == len(df), result.k
    (True, 3)
    """
    if algorithm not in ALGORITHMS:
        raise SegmentationError(
            f"unknown algorithm={algorithm!r}; use one of {_quote_list(ALGORITHMS)}"
        )
    if not isinstance(df, pd.DataFrame):
        raise SegmentationError(
            f"expected a pandas DataFrame, got {type(df).__name__}; "
            f"wrap the data with pandas.DataFrame(...)"
        )
    k = _check_k(k, len(df), algorithm)
    preparation, X = prepare(
        df,
        id_column=id_column,
        columns=columns,
        roles=roles,
        log_transform=log_transform,
        scaling=scaling,
        max_categories=max_categories,
        pca=pca,
        random_state=random_state,
    )
    n = len(X)
    notes = []
    k_selection = None
    if k == "auto" and algorithm != "dbscan":
        if k_values is None:
            k_values = range(2, min(AUTO_K_MAX, n - 1) + 1)
        k_values = [int(v) for v in k_values]
        if not k_values or min(k_values) < 2 or max(k_values) > n - 1:
            raise SegmentationError(
                f"k_values={k_values!r} should be whole numbers between 2 and the "
                f"number of rows - 1 ({n - 1})"
            )
        k_selection = _choose_k(
            X, k_values, n_init, random_state, criteria, sample_size
        )
        k = int(k_selection.k)
    if algorithm == "agglomerative" and n > AGGLOMERATIVE_MAX_ROWS:
        raise SegmentationError(
            f"algorithm='agglomerative' needs memory growing with rows squared and "
            f"{n} rows > {AGGLOMERATIVE_MAX_ROWS}; use algorithm='kmeans' or a sample"
        )
    model, labels, used, linkage = _fit(
        X,
        algorithm,
        k,
        n_init=n_init,
        random_state=random_state,
        eps=eps,
        min_samples=min_samples,
        notes=notes,
    )
    labels = np.asarray(labels, dtype=np.int64)
    segment_labels = np.array(
        sorted(set(labels.tolist()) - {NOISE_LABEL}), dtype=np.int64
    )
    if used in ("kmeans", "minibatch"):
        centers = np.asarray(model.cluster_centers_, dtype=np.float64)[segment_labels]
    else:
        centers = _centers_from_labels(X, labels, segment_labels)

    clean = preparation.clean(df)
    # categories with a one-hot column of their own; rare ones are not profiled
    categories = {
        c: info["categories"] for c, info in preparation.summary["one_hot"].items()
    }
    profiles, traits, names = profile_segments(
        clean,
        labels,
        preparation.numeric,
        preparation.categorical,
        categories=categories,
        threshold=trait_threshold,
    )
    id_col = preparation.id_column
    segments = segments_frame(
        df,
        id_col,
        labels,
        names,
        distance_to_center(X, labels, centers, segment_labels),
    )
    centers_orig = preparation.numeric_to_original(centers)
    centers_orig.index = pd.Index(segment_labels, name="segment")

    params = {
        "k": k if k_selection is None else "auto",
        "id_column": id_column,
        "columns": None if columns is None else [str(c) for c in columns],
        "algorithm": algorithm,
        "random_state": random_state,
        "roles": roles,
        "log_transform": log_transform
        if isinstance(log_transform, bool | str | None)
        else list(log_transform),
        "scaling": scaling,
        "max_categories": max_categories,
        "pca": pca,
        "n_init": n_init,
        "eps": None if used != "dbscan" else float(model.eps),
        "min_samples": None if used != "dbscan" else int(model.min_samples),
        "trait_threshold": trait_threshold,
        "notes": notes,
    }
    return SegmentationResult(
        data=df,
        segments=segments,
        profiles=profiles,
        traits=traits,
        k=len(segment_labels),
        k_selection=k_selection,
        preparation=preparation,
        model=model,
        X=X,
        feature_names=preparation.feature_names,
        algorithm=used,
        centers=centers,
        centers_original_units=centers_orig,
        segment_names=names,
        linkage=linkage,
        id_column=id_col,
        params=params,
    )
