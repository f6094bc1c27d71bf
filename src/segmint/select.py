"""Choosing the number of clusters: fit a range of K and compare criteria.

:func:`select_k` fits :class:`segmint.KMeans` for every candidate K and
scores each fit by the elbow of the inertia curve (Kneedle), the silhouette,
Calinski-Harabasz, Davies-Bouldin and, optionally, the gap statistic. It
returns a :class:`KSelection`: a table (one row per K), the recommended K with
the reason, and the fitted labels and centres so that the chosen fit can be
reused without refitting.

Work shared across K: ``X`` is validated once; the sampled criteria
(silhouette above ``sample_size`` rows, gap statistic) use one subsample drawn
once, so differences between K are not sampling noise between different
subsets; Calinski-Harabasz and Davies-Bouldin are computed on all rows in
``O(n k d)`` by the same per-cluster kernels.
"""

import time
import warnings
from dataclasses import dataclass, field
from numbers import Integral, Real
from statistics import NormalDist

import numpy as np
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions, validate_params
from sklearn.utils.validation import check_array

from segmint import metrics as _metrics

__all__ = ["CRITERIA", "KSelection", "select_k"]

#: Criteria select_k knows, and the direction in which each one is better.
CRITERIA = {
    "elbow": "knee",
    "silhouette": "max",
    "calinski_harabasz": "max",
    "davies_bouldin": "min",
    "gap": "tibshirani",
}

#: Silhouettes are exact up to this many rows; above it, computed on a shared
#: random subsample of this size (10^4 rows: 5 * 10^7 distances per K).
DEFAULT_SILHOUETTE_ROWS = 10_000

#: Rows used by the gap statistic when ``sample_size`` is not given.
DEFAULT_GAP_ROWS = 5_000


@dataclass
class KSelection:
    """Result of :func:`select_k`.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per K: ``k``, ``inertia``, ``n_iter``, one column per
        criterion (``silhouette``, ``calinski_harabasz``, ``davies_bouldin``,
        ``gap`` and ``gap_se``), ``silhouette_ci_low`` / ``silhouette_ci_high``
        when the silhouette was sampled, and ``fit_time_s`` /
        ``score_time_s``.
    k : int
        Recommended number of clusters.
    reason : str
        Why ``k`` was chosen: each criterion's choice and how ties were
        settled.
    votes : dict of str to int or None
        The K each criterion points to (None when it has no opinion, e.g. no
        knee in the inertia curve).
    sampled : bool
        True when the silhouette was computed on a subsample.
    sample_size : int or None
        Rows in that subsample (None when exact).
    notes : list of str
        Anything the caller should know (sampling, missing knee, ...).
    labels : dict of int to ndarray
        Labels of the fitted model for every K.
    centers : dict of int to ndarray
        Cluster centres of the fitted model for every K.
    """

    table: object
    k: int
    reason: str
    votes: dict
    sampled: bool
    sample_size: int | None
    notes: list = field(default_factory=list)
    labels: dict = field(default_factory=dict, repr=False)
    centers: dict = field(default_factory=dict, repr=False)

    @property
    def k_values(self):
        """The K values that were fitted, ascending."""
        return [int(k) for k in self.table["k"]]

    def __str__(self):
        return f"KSelection(k={self.k}): {self.reason}"


def _knee(k_values, inertias):
    """Kneedle knee of a decreasing convex curve (Satopaa et al., 2011)."""
    if len(k_values) < 3:
        return None
    from kneed import KneeLocator

    with warnings.catch_warnings():
        # kneed warns when it finds no knee; that is reported in the notes
        warnings.simplefilter("ignore")
        knee = KneeLocator(
            list(k_values),
            list(inertias),
            curve="convex",
            direction="decreasing",
        ).knee
    return None if knee is None else int(knee)


def _gap_choice(k_values, gap, gap_se):
    """Smallest K with Gap(K) >= Gap(K') - s(K'), K' the next K (Tibshirani)."""
    for i in range(len(k_values) - 1):
        if gap[i] >= gap[i + 1] - gap_se[i + 1]:
            return int(k_values[i])
    return int(k_values[int(np.argmax(gap))])


def _reference_box(Xs):
    """Principal-axes bounding box of ``Xs`` (Tibshirani et al., method b)."""
    mean = Xs.mean(axis=0)
    _, _, vt = np.linalg.svd(Xs - mean, full_matrices=False)
    proj = (Xs - mean) @ vt.T
    return mean, vt, proj.min(axis=0), proj.max(axis=0)


def _log_dispersion(KMeans, X, k, n_init, max_iter, tol, seed):
    model = KMeans(
        n_clusters=k, n_init=n_init, max_iter=max_iter, tol=tol, random_state=seed
    ).fit(X)
    return np.log(max(model.inertia_, np.finfo(np.float64).tiny))


class _Progress:
    """A rich progress bar over the K values, or nothing."""

    def __init__(self, enabled, total):
        self._bar = None
        if enabled:
            from rich.progress import (
                BarColumn,
                Progress,
                TextColumn,
                TimeElapsedColumn,
            )

            self._bar = Progress(
                TextColumn("[bold]select_k[/bold] {task.description}"),
                BarColumn(),
                TextColumn("{task.completed}/{task.total}"),
                TimeElapsedColumn(),
                transient=False,
            )
            self._task = self._bar.add_task("", total=total)

    def __enter__(self):
        if self._bar is not None:
            self._bar.start()
        return self

    def update(self, description, advance=0):
        if self._bar is not None:
            self._bar.update(self._task, description=description, advance=advance)

    def __exit__(self, *exc):
        if self._bar is not None:
            self._bar.stop()


def _recommend(votes, table, sampled, confidence):
    """Majority vote; ties go to the higher silhouette, then the smaller K."""
    counted = {c: k for c, k in votes.items() if k is not None}
    parts = [f"{c} -> {k}" for c, k in votes.items() if k is not None]
    silent = [c for c, k in votes.items() if k is None]
    if not counted:
        k = int(table["k"].iloc[0])
        return k, f"k={k}: no criterion expressed a preference; smallest K returned."
    tally = {}
    for k in counted.values():
        tally[k] = tally.get(k, 0) + 1
    top = max(tally.values())
    tied = sorted(k for k, v in tally.items() if v == top)
    k = tied[0]
    how = ""
    if len(tied) > 1:
        if "silhouette" in table:
            sil = table.set_index("k")["silhouette"]
            k = max(tied, key=lambda kk: (sil[kk], -kk))
            how = (
                f" Tie between k={', '.join(map(str, tied))} ({top} vote(s) each) "
                "settled by the higher silhouette."
            )
        else:
            how = (
                f" Tie between k={', '.join(map(str, tied))} ({top} vote(s) each) "
                "settled in favour of the smallest K."
            )
    reason = (
        f"k={k}: chosen by {tally[k]} of {len(counted)} criteria "
        f"({'; '.join(parts)}).{how}"
    )
    if silent:
        reason += f" No preference from: {', '.join(silent)}."
    if sampled and "silhouette_ci_low" in table:
        t = table.set_index("k")
        best = int(t["silhouette"].idxmax())
        close = [
            int(kk)
            for kk in t.index
            if kk != best
            and t.loc[kk, "silhouette_ci_high"] >= t.loc[best, "silhouette_ci_low"]
        ]
        if close:
            reason += (
                f" The sampled silhouette of k={best} is within the "
                f"{round(100 * confidence)}% interval of k={', '.join(map(str, close))}."
            )
    return int(k), reason


@validate_params(
    {
        "X": ["array-like"],
        "k_values": ["array-like", Interval(Integral, 2, None, closed="left")],
        "n_init": [Interval(Integral, 1, None, closed="left")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left")],
        "random_state": ["random_state"],
        "criteria": ["array-like", StrOptions(set(CRITERIA))],
        "sample_size": [Interval(Integral, 2, None, closed="left"), None],
        "silhouette_metric": [StrOptions({"euclidean", "sqeuclidean"})],
        "gap_references": [Interval(Integral, 1, None, closed="left")],
        "confidence": [Interval(Real, 0, 1, closed="neither")],
        "progress": ["boolean"],
    },
    prefer_skip_nested_validation=True,
)
def select_k(
    X,
    k_values=range(2, 11),
    *,
    n_init=1,
    max_iter=300,
    tol=1e-4,
    random_state=None,
    criteria=("elbow", "silhouette", "calinski_harabasz", "davies_bouldin"),
    sample_size=None,
    silhouette_metric="euclidean",
    gap_references=5,
    confidence=0.95,
    progress=False,
):
    """Fit K-means for several K and recommend one.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        Data (validated once; float32 stays float32).
    k_values : iterable of int or int, default=range(2, 11)
        Candidate numbers of clusters, each in ``[2, n_samples - 1]``; an int
        ``m`` means ``range(2, m + 1)``.
    n_init : int, default=1
        K-means restarts per K (k-means++ seeding each time).
    max_iter : int, default=300
        Lloyd iterations per run.
    tol : float, default=1e-4
        K-means convergence tolerance, as in :class:`segmint.KMeans`.
    random_state : int, RandomState instance or None, default=None
        Seeds the fits (K-means for K gets its own derived seed) and the
        shared subsample.
    criteria : iterable of str, default=("elbow", "silhouette", \
"calinski_harabasz", "davies_bouldin")
        Any of ``"elbow"`` (Kneedle knee of the inertia curve),
        ``"silhouette"`` (highest), ``"calinski_harabasz"`` (highest),
        ``"davies_bouldin"`` (lowest) and ``"gap"`` (gap statistic,
        Tibshirani's one-standard-error rule; costs ``gap_references`` extra
        fits per K on the subsample).
    sample_size : int or None, default=None
        Rows used for the silhouette and the gap statistic. None: the
        silhouette is exact up to 10,000 rows and uses a shared random
        subsample of 10,000 rows above that; the gap statistic uses 5,000.
        The subsample is drawn once and reused for every K.
    silhouette_metric : {"euclidean", "sqeuclidean"}, default="euclidean"
        ``"sqeuclidean"`` silhouettes are exact at any size (``O(n k d)``),
        so they are never sampled.
    gap_references : int, default=5
        Reference data sets per K for the gap statistic.
    confidence : float, default=0.95
        Coverage of the sampled silhouette's interval.
    progress : bool, default=False
        Show a progress bar (rich) while fitting.

    Returns
    -------
    selection : KSelection
        ``.table`` (pandas DataFrame), ``.k``, ``.reason``, ``.votes``,
        ``.labels[k]``, ``.centers[k]``, ``.sampled`` and ``.notes``.

    Notes
    -----
    Decision rule: every criterion votes for one K (the elbow abstains when
    the curve has no knee); the K with most votes wins. A tie is settled by
    the higher silhouette when it was computed, otherwise by the smaller K.

    When sampled, the silhouette is computed within the subsample, as
    ``silhouette_score(..., sample_size=m)`` does, and its interval is the
    normal approximation ``mean +/- z * sd / sqrt(m)`` (it treats the
    sampled silhouettes as independent, so it is indicative).

    References: Satopaa, V., Albrecht, J., Irwin, D. and Raghavan, B. (2011).
    Finding a "kneedle" in a haystack: detecting knee points in system
    behavior. ICDCS Workshops, 166-171. Tibshirani, R., Walther, G. and
    Hastie, T. (2001). Estimating the number of clusters in a data set via
    the gap statistic. J. R. Stat. Soc. B 63(2), 411-423.

    Examples
    --------
    >>> import numpy as np
    >>> from segmint.select import select_k
    >>> rng = np.random.default_rng(0)
    >>> centres = np.array([[0, 0], [8, 0], [0, 8], [8, 8]])
    >>> X = np.vstack([c + rng.normal(size=(100, 2)) for c in centres])
    >>> sel = select_k(X, range(2, 8), random_state=0)
    >>> sel.k
    4
    >>> sel.labels[4].shape
    (400,)
    """
    import pandas as pd

    from segmint.kmeans import KMeans

    X = check_array(X, dtype=[np.float64, np.float32], order="C")
    n_samples = X.shape[0]
    if isinstance(k_values, Integral):
        k_values = range(2, int(k_values) + 1)
    ks = sorted({int(k) for k in np.asarray(list(k_values)).ravel()})
    if not ks or ks[0] < 2 or ks[-1] > n_samples - 1:
        raise ValueError(
            f"k_values must lie in [2, n_samples - 1] = [2, {n_samples - 1}]; "
            f"got {ks}. Pass fewer clusters or more rows."
        )
    criteria = [criteria] if isinstance(criteria, str) else list(criteria)
    unknown = [c for c in criteria if c not in CRITERIA]
    if unknown:
        raise ValueError(f"Unknown criteria {unknown}; choose from {sorted(CRITERIA)}.")
    rng = check_random_state(random_state)
    fit_seeds = rng.randint(np.iinfo(np.int32).max, size=len(ks))

    # one shared subsample for the sampled criteria
    sil_rows = sample_size if sample_size is not None else DEFAULT_SILHOUETTE_ROWS
    sampled = (
        "silhouette" in criteria
        and silhouette_metric == "euclidean"
        and n_samples > sil_rows
    )
    sample_idx = None
    if sampled or "gap" in criteria:
        m = sil_rows if sampled else (sample_size or DEFAULT_GAP_ROWS)
        sample_idx = np.sort(rng.permutation(n_samples)[: min(m, n_samples)])
    notes = []
    z = NormalDist().inv_cdf(0.5 + confidence / 2.0)

    # gathered once, reused by every K
    X_sample = None if sample_idx is None else X[sample_idx]
    gap_ref = None
    if "gap" in criteria:
        Xg = X_sample
        mean, vt, lo, hi = _reference_box(Xg.astype(np.float64))
        gap_ref = [
            ((lo + (hi - lo) * rng.random_sample(Xg.shape)) @ vt + mean).astype(X.dtype)
            for _ in range(gap_references)
        ]
        notes.append(
            f"Gap statistic on {Xg.shape[0]} rows with {gap_references} uniform "
            "references in the principal-axes box."
        )

    rows, labels, centers = [], {}, {}
    with _Progress(progress, len(ks)) as bar:
        for k, seed in zip(ks, fit_seeds, strict=True):
            bar.update(f"fitting k={k}")
            t0 = time.perf_counter()
            model = KMeans(
                n_clusters=k,
                n_init=n_init,
                max_iter=max_iter,
                tol=tol,
                random_state=seed,
            ).fit(X)
            fit_time = time.perf_counter() - t0
            labels[k] = model.labels_
            centers[k] = model.cluster_centers_
            row = {
                "k": k,
                "inertia": float(model.inertia_),
                "n_iter": int(model.n_iter_),
            }
            bar.update(f"scoring k={k}")
            t0 = time.perf_counter()
            codes, n_found = _compact_codes(model.labels_, k)
            scorable = 1 < n_found < n_samples
            if "silhouette" in criteria:
                row.update(
                    _silhouette_entry(
                        X,
                        codes,
                        n_found,
                        sample_idx if sampled else None,
                        X_sample,
                        silhouette_metric,
                        z,
                    )
                )
            if {"calinski_harabasz", "davies_bouldin"} & set(criteria):
                stats = _metrics._cluster_stats(X, codes, n_found) if scorable else None
                if "calinski_harabasz" in criteria:
                    row["calinski_harabasz"] = (
                        _metrics._calinski_harabasz(stats) if scorable else np.nan
                    )
                if "davies_bouldin" in criteria:
                    row["davies_bouldin"] = (
                        _metrics._davies_bouldin(stats) if scorable else np.nan
                    )
            if "gap" in criteria:
                log_w = _log_dispersion(KMeans, Xg, k, n_init, max_iter, tol, seed)
                ref = np.array(
                    [
                        _log_dispersion(KMeans, R, k, n_init, max_iter, tol, seed)
                        for R in gap_ref
                    ]
                )
                row["gap"] = float(ref.mean() - log_w)
                row["gap_se"] = float(ref.std() * np.sqrt(1.0 + 1.0 / len(ref)))
            row["fit_time_s"] = fit_time
            row["score_time_s"] = time.perf_counter() - t0
            rows.append(row)
            bar.update(f"done k={k}", advance=1)

    table = pd.DataFrame(rows)
    votes = {}
    for c in criteria:
        if c == "elbow":
            votes[c] = _knee(table["k"], table["inertia"])
            if votes[c] is None:
                notes.append(
                    "The inertia curve has no knee (Kneedle); elbow abstained."
                )
        elif c == "gap":
            votes[c] = _gap_choice(
                ks, table["gap"].to_numpy(), table["gap_se"].to_numpy()
            )
        else:
            col = table[c]
            if col.isna().all():
                votes[c] = None
            elif CRITERIA[c] == "max":
                votes[c] = int(table["k"][col.idxmax()])
            else:
                votes[c] = int(table["k"][col.idxmin()])
    inertias = table["inertia"].to_numpy()
    rises = [ks[i + 1] for i in range(len(ks) - 1) if inertias[i + 1] > inertias[i]]
    if rises:
        notes.append(
            f"Inertia rises at k={', '.join(map(str, rises))}: those fits are poor "
            f"local optima (n_init={n_init}); raise n_init for a more reliable curve."
        )
    if sampled:
        notes.append(
            f"Silhouette computed on a shared random subsample of {sil_rows} of "
            f"{n_samples} rows; silhouette_ci_low/high give the "
            f"{round(100 * confidence)}% normal-approximation interval."
        )
    k, reason = _recommend(votes, table, sampled, confidence)
    return KSelection(
        table=table,
        k=k,
        reason=reason,
        votes=votes,
        sampled=sampled,
        sample_size=sil_rows if sampled else None,
        notes=notes,
        labels=labels,
        centers=centers,
    )


def _compact_codes(labels, k):
    """Labels as int64 codes ``0 .. n_found - 1`` (drops empty clusters)."""
    labels = np.asarray(labels, dtype=np.int64)
    present = np.bincount(labels, minlength=k) > 0
    n_found = int(present.sum())
    if n_found == k:
        return labels, n_found
    remap = np.cumsum(present) - 1
    return remap[labels], n_found


def _silhouette_entry(X, codes, n_found, sample_idx, X_sample, metric, z):
    """Silhouette (and its interval when sampled) of one fit; NaN if undefined."""
    if sample_idx is None:
        if not 1 < n_found < X.shape[0]:
            return {"silhouette": np.nan}
        sil = _metrics._silhouette_rows(X, codes, n_found, metric)
        return {"silhouette": float(np.mean(sil))}
    sub_codes, n_sub = _compact_codes(codes[sample_idx], n_found)
    if not 1 < n_sub < sample_idx.shape[0]:
        return {
            "silhouette": np.nan,
            "silhouette_ci_low": np.nan,
            "silhouette_ci_high": np.nan,
        }
    sil = _metrics._silhouette_rows(X_sample, sub_codes, n_sub, metric)
    mean = float(sil.mean())
    half = z * float(sil.std(ddof=1)) / np.sqrt(sil.shape[0])
    return {
        "silhouette": mean,
        "silhouette_ci_low": max(-1.0, mean - half),
        "silhouette_ci_high": min(1.0, mean + half),
    }
