"""K-means clustering with a scikit-learn-compatible API.

``segmint.KMeans`` is a drop-in replacement for ``sklearn.cluster.KMeans``:
the same parameters, defaults, fitted attributes, random stream and errors.
The numeric work runs in the Numba kernels of :mod:`segmint._kernels`.
"""

import time
import warnings
from dataclasses import dataclass, field
from numbers import Integral, Real

import numpy as np
from sklearn.base import (
    BaseEstimator,
    ClassNamePrefixFeaturesOutMixin,
    ClusterMixin,
    TransformerMixin,
)
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import (
    _assert_all_finite,
    _is_arraylike_not_scalar,
    check_array,
    check_is_fitted,
    validate_data,
)

from segmint._config import CHUNK_SIZE
from segmint._kernels import assign as _assign
from segmint._kernels import moments as _moments
from segmint._kernels import pruned as _pruned
from segmint._parallel import threads_for
from segmint.seeding import (
    _check_positive_total_weight,
    _kmeans_plusplus,
    _validate_sample_weight,
)

__all__ = ["FitHistory", "KMeans", "k_means"]


# ---------------------------------------------------------------------------
# Per-iteration record


@dataclass
class FitHistory:
    """What happened at each iteration of one K-means run.

    Recorded for every fit at negligible cost (a few scalars per iteration),
    for people studying how the algorithm converges.

    Attributes
    ----------
    inertia : list of float
        Weighted sum of squared distances of the rows to the centres they
        were assigned to at that iteration (the centres *before* the update,
        as scikit-learn's ``verbose`` output reports it).
    center_shift : list of float
        Sum over centres of the squared distance each centre moved.
    n_changed : list of int
        Rows whose label changed (every row at the first iteration).
    n_empty : list of int
        Clusters left empty by the assignment and relocated.
    n_distances : list of int
        Point-to-centre distances computed (``n * k`` for plain Lloyd;
        fewer for the pruned variants).
    time_s : list of float
        Wall-clock seconds spent in the iteration.
    step : list of str
        Which step ran: ``"lloyd"`` (every distance), ``"hamerly"``,
        ``"elkan"`` or ``"yinyang"`` (bounds), or ``"dense"`` (every
        distance, Hamerly's bounds rebuilt). ``algorithm="auto"`` picks
        between plain and Hamerly steps as the run goes (see
        ``docs/algorithms.md``).
    """

    inertia: list = field(default_factory=list)
    center_shift: list = field(default_factory=list)
    n_changed: list = field(default_factory=list)
    n_empty: list = field(default_factory=list)
    n_distances: list = field(default_factory=list)
    time_s: list = field(default_factory=list)
    step: list = field(default_factory=list)

    def __len__(self):
        return len(self.inertia)

    def append(self, **values):
        """Record one iteration (every field by keyword)."""
        for name, value in values.items():
            getattr(self, name).append(value)

    def to_frame(self):
        """The record as a pandas DataFrame, one row per iteration.

        Returns
        -------
        pandas.DataFrame
            Columns ``iteration`` plus one per attribute.
        """
        import pandas as pd

        frame = pd.DataFrame(
            {
                "inertia": self.inertia,
                "center_shift": self.center_shift,
                "n_changed": self.n_changed,
                "n_empty": self.n_empty,
                "n_distances": self.n_distances,
                "time_s": self.time_s,
                "step": self.step,
            }
        )
        frame.index.name = "iteration"
        return frame.reset_index()


# ---------------------------------------------------------------------------
# Private drivers: they assume validated, C-contiguous float32/float64 input.


def _tolerance(X, tol, mean=None):
    """Absolute tolerance: ``tol`` times the mean per-feature variance of X.

    Computed in float64 (two passes over X, or one when the float64 column
    ``mean`` is given; no temporary of X's size).
    """
    if tol == 0:
        return 0
    n_samples = X.shape[0]
    with threads_for(X.size):
        if mean is None:
            mean = _moments.column_means(X)
        sq = _moments.column_sq_deviations(X, mean)
    return float(np.mean(sq / n_samples)) * tol


def _needs_centring(X, mean, variance=None):
    """Whether X should be centred before the fit.

    Centring (a copy of X, as scikit-learn makes) keeps the norms in the
    rounding-error bound of the nearest-centre search small; labels are
    exact either way (close calls are re-checked). When the mean is already
    within one standard deviation of the whole cloud from the origin
    (``||mean||^2`` at most the total variance, as for standardised data),
    centring would at most halve those norms, so X is used as it is: no
    copy, and no extra memory.

    ``variance`` is the mean per-feature variance if already known.
    """
    offset = float(mean @ mean)
    if offset == 0.0:
        return False
    if variance is None:
        with threads_for(X.size):
            sq = _moments.column_sq_deviations(X, mean)
        variance = float(np.mean(sq / X.shape[0]))
    return offset > X.shape[1] * variance


def _shift_rows(X, v, sign):
    """``X -= v`` (``sign=-1``) or ``X += v`` in place, in parallel.

    A read-only X goes through NumPy, which raises its usual error.
    """
    if not X.flags.writeable:
        if sign < 0:
            X -= v
        else:
            X += v
        return
    with threads_for(X.size):
        _moments.shift_rows(X, v, sign)


def _labels_inertia(X, sample_weight, centers, return_inertia=True):
    """E-step: nearest centre of each row and the inertia, thread-independent.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
    sample_weight : ndarray of shape (n_samples,)
    centers : ndarray of shape (n_clusters, n_features)
    return_inertia : bool, default=True

    Returns
    -------
    labels : ndarray of shape (n_samples,), int32
    inertia : float
        Only when ``return_inertia`` is True.
    """
    n_samples = X.shape[0]
    labels = np.empty(n_samples, dtype=np.int32)
    min_sq = np.empty(n_samples, dtype=X.dtype)
    chunk_inertia = np.empty(-(-n_samples // CHUNK_SIZE), dtype=np.float64)
    if n_samples:
        with threads_for(n_samples * centers.shape[0] * X.shape[1]):
            _assign.assign_labels(
                X, centers, sample_weight, labels, min_sq, chunk_inertia
            )
    if return_inertia:
        return labels, float(_assign.sum_serial(chunk_inertia))
    return labels


def _relocate_empty_clusters(X, sample_weight, centers, labels, sums, weights, empty):
    """Give each empty cluster one of the rows farthest from its centre.

    scikit-learn's rule: the ``len(empty)`` rows with the largest squared
    distance to their assigned centre move (with their weight) from their
    cluster's sums to the empty clusters'. Nothing moves when every row sits
    exactly on its centre.

    Returns
    -------
    relocated : bool
        Whether any row was moved.
    """
    distances = np.empty(X.shape[0], dtype=X.dtype)
    _assign.labelled_sq_distances(X, centers, labels, distances)
    if np.max(distances) == 0:
        return False
    n_empty = empty.shape[0]
    far = np.argpartition(distances, -n_empty)[: -n_empty - 1 : -1]
    for new_id, far_idx in zip(empty, far, strict=True):
        weight = np.float64(sample_weight[far_idx])
        old_id = labels[far_idx]
        contribution = X[far_idx].astype(np.float64) * weight
        sums[old_id] -= contribution
        sums[new_id] = contribution
        weights[new_id] = weight
        weights[old_id] -= weight
    return True


def _kmeans_single_lloyd(
    X, sample_weight, centers_init, max_iter=300, verbose=False, tol=1e-4
):
    """One run of Lloyd's algorithm; assumes preparation completed prior.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features), float32 or float64
    sample_weight : ndarray of shape (n_samples,), dtype of X
    centers_init : ndarray of shape (n_clusters, n_features), dtype of X
    max_iter : int
    verbose : bool
    tol : float
        Absolute tolerance on the total squared centre shift.

    Returns
    -------
    labels : ndarray of shape (n_samples,), int32
    inertia : float
    centers : ndarray of shape (n_clusters, n_features), dtype of X
    n_iter : int
    history : FitHistory
    """
    return _kmeans_single(
        X, sample_weight, centers_init, max_iter, verbose, tol, pruning=None
    )


def _kmeans_single_hamerly(
    X, sample_weight, centers_init, max_iter=300, verbose=False, tol=1e-4
):
    """One run of Lloyd's algorithm with Hamerly's bounds (same arguments and
    results as :func:`_kmeans_single_lloyd`, bit for bit; fewer distances).

    Keeps a float64 lower and upper bound per row: ``16 * n_samples`` extra
    bytes.
    """
    return _kmeans_single(
        X, sample_weight, centers_init, max_iter, verbose, tol, pruning="hamerly"
    )


def _kmeans_single_adaptive(
    X, sample_weight, centers_init, max_iter=300, verbose=False, tol=1e-4
):
    """One run of Lloyd's algorithm that picks, step by step, between plain
    steps and Hamerly's bounds by their measured time (same arguments and
    results as :func:`_kmeans_single_lloyd`, bit for bit; see
    :class:`_StepChooser`). Keeps Hamerly's ``16 * n_samples`` bytes of
    bounds.
    """
    return _kmeans_single(
        X, sample_weight, centers_init, max_iter, verbose, tol, pruning="auto"
    )


def _kmeans_single_elkan(
    X, sample_weight, centers_init, max_iter=300, verbose=False, tol=1e-4
):
    """One run of Lloyd's algorithm with Elkan's bounds (same arguments and
    results as :func:`_kmeans_single_lloyd`, bit for bit; fewer distances).

    Keeps one float32 lower bound per sample and centre: ``4 * n_samples *
    n_clusters`` extra bytes. When that exceeds ``ELKAN_MAX_BOUND_BYTES``
    the run uses Hamerly's O(n) bounds instead (same results).
    """
    n_samples, n_clusters = X.shape[0], centers_init.shape[0]
    pruning = (
        "elkan" if 4 * n_samples * n_clusters <= ELKAN_MAX_BOUND_BYTES else "hamerly"
    )
    return _kmeans_single(
        X, sample_weight, centers_init, max_iter, verbose, tol, pruning=pruning
    )


def _kmeans_single_yinyang(
    X, sample_weight, centers_init, max_iter=300, verbose=False, tol=1e-4
):
    """One run of Lloyd's algorithm with Yinyang's group bounds (same
    arguments and results as :func:`_kmeans_single_lloyd`, bit for bit).

    Keeps one float32 lower bound per sample and group of centres
    (``n_clusters // 10`` groups): ``4 * n_samples * n_groups`` extra bytes.
    """
    return _kmeans_single(
        X, sample_weight, centers_init, max_iter, verbose, tol, pruning="yinyang"
    )


def _yinyang_groups(centers, n_groups, n_iter=5):
    """Split the centres into groups by a few Lloyd iterations on the centres.

    Ding et al. (2015), section 3.1: the groups are formed once, from the
    initial centres, and kept. Deterministic: the group seeds are centres
    spread evenly through the index range.

    Returns
    -------
    group_start : ndarray of shape (n_groups + 1,), int64
    group_members : ndarray of shape (n_clusters,), int64
    """
    C = np.asarray(centers, dtype=np.float64)
    k = C.shape[0]
    seeds = C[np.linspace(0, k - 1, n_groups).astype(np.int64)]
    for _ in range(n_iter):
        dist = ((C[:, None, :] - seeds[None, :, :]) ** 2).sum(axis=2)
        group = dist.argmin(axis=1)
        for g in range(seeds.shape[0]):
            if np.any(group == g):
                seeds[g] = C[group == g].mean(axis=0)
    used = np.unique(group)
    members = [np.flatnonzero(group == g) for g in used]
    group_start = np.zeros(len(members) + 1, dtype=np.int64)
    group_start[1:] = np.cumsum([len(m) for m in members])
    return group_start, np.concatenate(members).astype(np.int64)


#: Largest bound matrix (bytes) ``algorithm="elkan"`` allocates before it
#: falls back to Hamerly's bounds.
ELKAN_MAX_BOUND_BYTES = 1 << 30


#: A step re-sums every row when more than ``1 / RESUM_FRACTION`` of the rows
#: changed cluster in the previous one; otherwise it adds only the moves.
RESUM_FRACTION = 4

#: ... and at least every ``RESUM_EVERY`` iterations, so that the rounding of
#: incremental sums cannot build up.
RESUM_EVERY = 64


#: ``algorithm="auto"`` compares plain and Hamerly steps as it runs only in
#: shapes where plain steps can be the faster (``docs/algorithms.md``); in
#: every other shape Hamerly's bounds win clearly and it runs them alone.
AUTO_ADAPT_MAX_CLUSTERS = 64
AUTO_ADAPT_MAX_FEATURES = 16

#: Shapes where ``algorithm="auto"`` runs plain steps alone, as (at most
#: this many features, at most this many centres): a row costs so little to
#: label that keeping its bounds, and timing both kinds of step, cost more
#: than they save. At 12-16 features and 8-16 centres (32 cells,
#: ``docs/algorithms.md``) plain steps took 0.50-1.14x the time of the
#: adaptive run, 0.83x in geometric mean; with 32-64 centres they lost by up
#: to 2.3x on separated clusters, so those stay adaptive.
AUTO_LLOYD_SHAPES = ((8, 32), (16, 16))


class _StepChooser:
    """Picks each step of an adaptive run: plain, or with Hamerly's bounds.

    Both kinds of step give the same labels and partial sums, bit for bit, so
    the choice changes the time of a run, never its result. Hamerly's bounds
    pay off when enough distances are skipped to outweigh the pass over the
    bounds of every row; with few features and centres, or clusters that
    overlap, a plain step can be the cheaper. The chooser measures both on
    the run itself and keeps the faster:

    * Full steps (every row re-summed: the first ones and every
      ``RESUM_EVERY``-th) run dense until a preference exists, then as the
      preferred kind.
    * The first incremental step runs with Hamerly's bounds, the second
      dense (every distance, as plain Lloyd, bounds rebuilt: what a plain
      step costs, plus writing the bounds). The faster kind runs from then
      on, and the other is timed again after 4, 8, 16, ... incremental
      steps; going back from plain steps to Hamerly's takes one dense step,
      since plain steps do not keep the bounds.
    """

    def __init__(self, clock=time.perf_counter):
        self.clock = clock
        self.cost = {}  # "hamerly" / "lloyd": seconds of its last incremental step
        self.prefer = None
        self.probing = None
        self.bounds_valid = True
        self.backoff = 4
        self.wait = 0

    def choose(self, incremental):
        """The kind of the next step: ``"hamerly"``, ``"dense"`` or ``"lloyd"``."""
        if not incremental:
            kind = self.prefer or "dense"
        else:
            if self.probing is None:
                if "hamerly" not in self.cost:
                    self.probing = "hamerly"
                elif "lloyd" not in self.cost:
                    self.probing = "lloyd"
                elif self.wait > 0:
                    self.wait -= 1
                else:
                    self.probing = "lloyd" if self.prefer == "hamerly" else "hamerly"
            kind = self.probing or self.prefer
            if kind == "lloyd" and self.probing == "lloyd":
                # Timed as a dense step, which keeps the bounds for the
                # Hamerly steps that may follow.
                kind = "dense"
        if kind == "hamerly" and not self.bounds_valid:
            kind = "dense"
        return kind

    def record(self, kind, incremental, seconds):
        """Account for a step of ``kind`` that took ``seconds``."""
        self.bounds_valid = kind != "lloyd"
        if not incremental:
            return
        if kind == "dense" and self.probing == "hamerly":
            return  # the bounds rebuilt for the Hamerly step to come
        measured = "hamerly" if kind == "hamerly" else "lloyd"
        self.cost[measured] = seconds
        if self.probing != measured:
            return
        self.probing = None
        if len(self.cost) < 2:
            return
        best = min(self.cost, key=self.cost.get)
        if best == self.prefer:
            self.backoff *= 2
        else:
            self.prefer = best
            self.backoff = 4
        self.wait = self.backoff


def _labelled_inertia(X, sample_weight, centers, labels):
    """Inertia of the given labels, from the exact distances."""
    chunk_inertia = np.empty(-(-X.shape[0] // CHUNK_SIZE), dtype=np.float64)
    with threads_for(X.size):
        _assign.labelled_inertia(X, sample_weight, centers, labels, chunk_inertia)
    return float(_assign.sum_serial(chunk_inertia))


def _kmeans_single(X, sample_weight, centers_init, max_iter, verbose, tol, pruning):
    """The Lloyd loop shared by every variant; ``pruning`` picks the step kernel."""
    n_samples, n_features = X.shape
    n_clusters = centers_init.shape[0]
    n_blocks = _assign.n_row_blocks(n_samples, n_clusters, n_features)

    # Buffers allocated once; the loop swaps centres instead of reallocating.
    centers = np.array(centers_init, dtype=X.dtype, order="C")
    centers_new = np.empty_like(centers)
    labels = np.full(n_samples, -1, dtype=np.int32)
    block_sums = np.empty((n_blocks, n_clusters, n_features), dtype=np.float64)
    block_weights = np.empty((n_blocks, n_clusters), dtype=np.float64)
    block_inertia = np.empty((n_blocks, n_clusters), dtype=np.float64)
    block_counts = np.empty((n_blocks, n_clusters), dtype=np.int64)
    block_changed = np.empty(n_blocks, dtype=np.int64)
    # Running per-cluster totals: sums of w*x, of w, of w*||x||^2, and the
    # number of rows of positive weight (so that emptiness is exact).
    sums = np.zeros((n_clusters, n_features), dtype=np.float64)
    weights = np.zeros(n_clusters, dtype=np.float64)
    sq_norms = np.zeros(n_clusters, dtype=np.float64)
    counts = np.zeros(n_clusters, dtype=np.int64)
    scratch = np.empty((n_clusters, n_features + 3), dtype=np.float64)
    if pruning is not None:
        if pruning == "elkan":
            lower = np.zeros((n_samples, n_clusters), dtype=np.float32)
            center_half = np.zeros((n_clusters, n_clusters), dtype=np.float64)
        elif pruning == "yinyang":
            group_start, group_members = _yinyang_groups(
                centers, max(1, n_clusters // 10)
            )
            lower = np.zeros((n_samples, group_start.shape[0] - 1), dtype=np.float32)
        else:
            lower = np.zeros(n_samples, dtype=np.float64)
            upper = np.full(n_samples, np.inf)
        drift = np.zeros(n_clusters, dtype=np.float64)
        half_sep = np.zeros(n_clusters, dtype=np.float64)
        block_n_dist = np.empty(n_blocks, dtype=np.int64)

    chooser = _StepChooser() if pruning == "auto" else None
    # The step kernels take an empty array for unit weights and then read
    # none (the moved rows' weights are scattered reads, see _row_weight).
    step_weight = sample_weight
    if np.all(sample_weight == 1):
        step_weight = sample_weight[:0]

    def step(centers, incremental):
        """One step of the run's variant; returns its kind and the distances
        computed."""
        if chooser is not None:
            kind = chooser.choose(incremental)
            t0 = chooser.clock()
            n_distances = run_step(kind, centers, incremental)
            chooser.record(kind, incremental, chooser.clock() - t0)
            return kind, n_distances
        kind = pruning or "lloyd"
        return kind, run_step(kind, centers, incremental)

    def run_step(kind, centers, incremental):
        if kind in ("hamerly", "dense"):
            _pruned.hamerly_step(
                X,
                step_weight,
                centers,
                drift,
                half_sep,
                labels,
                lower,
                upper,
                block_sums,
                block_weights,
                block_inertia,
                block_counts,
                block_changed,
                block_n_dist,
                incremental,
                kind == "dense",
            )
            return int(block_n_dist.sum())
        elif kind == "yinyang":
            _pruned.yinyang_step(
                X,
                step_weight,
                centers,
                drift,
                half_sep,
                group_start,
                group_members,
                labels,
                lower,
                block_sums,
                block_weights,
                block_inertia,
                block_counts,
                block_changed,
                block_n_dist,
                incremental,
            )
            return int(block_n_dist.sum())
        elif kind == "elkan":
            _pruned.elkan_step(
                X,
                step_weight,
                centers,
                drift,
                half_sep,
                center_half,
                labels,
                lower,
                block_sums,
                block_weights,
                block_inertia,
                block_counts,
                block_changed,
                block_n_dist,
                incremental,
            )
            return int(block_n_dist.sum())
        else:
            _assign.lloyd_step(
                X,
                step_weight,
                centers,
                labels,
                block_sums,
                block_weights,
                block_inertia,
                block_counts,
                block_changed,
                incremental,
            )
            return n_samples * n_clusters

    history = FitHistory()

    strict_convergence = False
    incremental = False
    for i in range(max_iter):
        t0 = time.perf_counter()
        kind, n_distances = step(centers, incremental)
        n_changed = int(block_changed.sum())
        inertia = _assign.update_totals(
            block_sums,
            block_weights,
            block_inertia,
            block_counts,
            centers,
            sums,
            weights,
            sq_norms,
            counts,
            scratch,
            incremental,
        )

        empty = np.flatnonzero(weights == 0)
        relocated = False
        if empty.size:
            relocated = _relocate_empty_clusters(
                X, sample_weight, centers, labels, sums, weights, empty
            )
        center_shift_tot = _assign.average_centers(sums, weights, centers, centers_new)
        if pruning is not None:
            _pruned.center_geometry(centers, centers_new, drift, half_sep)
        if pruning == "elkan":
            _pruned.center_half_distances(centers_new, center_half)

        history.append(
            inertia=inertia,
            center_shift=center_shift_tot,
            n_changed=n_changed,
            n_empty=int(empty.size) if relocated else 0,
            n_distances=n_distances,
            time_s=time.perf_counter() - t0,
            step=kind,
        )
        if verbose:
            print(f"Iteration {i}, inertia {inertia}.")  # noqa: T201

        centers, centers_new = centers_new, centers

        # Unchanged labels mean unchanged centres, unless a relocation moved
        # one: then the labels are stale and the E-step below must run.
        if n_changed == 0 and not relocated:
            if verbose:
                print(f"Converged at iteration {i}: strict convergence.")  # noqa: T201
            strict_convergence = True
            break
        # The next step adds only the rows that change cluster, unless many
        # did now, a relocation edited the totals, or a periodic re-sum is due.
        # The first step's changes do not count: there every row got its first
        # label, which says nothing of how many will move next (measured:
        # 11-36% at d=2-32, k=8-64, and the incremental step was never the
        # slower; docs/algorithms.md).
        incremental = not (
            relocated
            or (i > 0 and n_changed * RESUM_FRACTION > n_samples)
            or (i + 1) % RESUM_EVERY == 0
        )
        if center_shift_tot <= tol:
            if verbose:
                print(  # noqa: T201
                    f"Converged at iteration {i}: center shift "
                    f"{center_shift_tot} within tolerance {tol}."
                )
            break

    if strict_convergence:
        # Return the centres the labels were computed against (the new ones
        # equal them up to the rounding of incremental sums), and their
        # inertia from the distances.
        centers = centers_new
        if incremental:
            inertia = _labelled_inertia(X, sample_weight, centers, labels)
        return labels, inertia, centers, i + 1, history
    # Rerun the E-step so that the labels match the returned centres: one
    # more full step of the same variant (bounds spare most of the search),
    # so that every variant sums the same exact distances in the same order.
    step(centers, False)
    inertia = float(_assign.blocks_inertia(block_inertia))
    return labels, inertia, centers, i + 1, history


def _auto_algorithm(n_samples, n_features, n_clusters):
    """The variant ``algorithm="auto"`` runs for this shape.

    From the tables in ``docs/algorithms.md`` (d in {2, 8, 32, 128}, k in
    {8, 64, 256}, separated and overlapping blobs): Hamerly's bounds, which
    let an incremental step skip reading the rows whose label cannot
    change, are the fastest variant in most shapes. Plain steps can win
    with few features and centres (d <= 16, k <= 64), by how much and which
    way depending on how much the clusters overlap, which is not known
    before the fit: there ``"adaptive"`` measures both kinds of step on the
    run itself (:class:`_StepChooser`). With at most 8 features and 32
    centres, or 16 features and 16 centres (``AUTO_LLOYD_SHAPES``), plain
    steps alone are the fastest, and a single centre needs no bounds.
    """
    if n_clusters < 2:
        return "lloyd"
    for max_features, max_clusters in AUTO_LLOYD_SHAPES:
        if n_features <= max_features and n_clusters <= max_clusters:
            return "lloyd"
    if n_clusters <= AUTO_ADAPT_MAX_CLUSTERS and n_features <= AUTO_ADAPT_MAX_FEATURES:
        return "adaptive"
    return "hamerly"


def _is_same_clustering(labels1, labels2, n_clusters):
    """Whether two labelings are equal up to a permutation of the labels."""
    mapping = np.full(n_clusters, -1, dtype=np.int64)
    mapping[labels1] = labels2
    return bool(np.array_equal(mapping[labels1], labels2))


# ---------------------------------------------------------------------------
# Estimators


class _BaseKMeans(
    ClassNamePrefixFeaturesOutMixin, TransformerMixin, ClusterMixin, BaseEstimator
):
    """Shared validation, initialisation and prediction for the K-means family."""

    _parameter_constraints: dict = {
        "n_clusters": [Interval(Integral, 1, None, closed="left")],
        "init": [StrOptions({"k-means++", "random"}), callable, "array-like"],
        "n_init": [StrOptions({"auto"}), Interval(Integral, 1, None, closed="left")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left")],
        "verbose": ["verbose"],
        "random_state": ["random_state"],
    }

    def _check_params_vs_input(self, X, default_n_init=None, mean=None):
        self._check_n_samples(X)
        self._tol = _tolerance(X, self.tol, mean)
        self._resolve_n_init(default_n_init)

    def _check_n_samples(self, X):
        if X.shape[0] < self.n_clusters:
            raise ValueError(
                f"n_samples={X.shape[0]} should be >= n_clusters={self.n_clusters}."
            )

    def _resolve_n_init(self, default_n_init):
        """``self._n_init`` from ``n_init``: 'auto' is 1 for k-means++ or an
        array and ``default_n_init`` otherwise; an explicit array forces 1."""
        if self.n_init == "auto":
            fixed = _is_arraylike_not_scalar(self.init) or (
                isinstance(self.init, str) and self.init == "k-means++"
            )
            self._n_init = 1 if fixed else default_n_init
        else:
            self._n_init = self.n_init

        if _is_arraylike_not_scalar(self.init) and self._n_init != 1:
            warnings.warn(
                "Explicit initial center position passed: performing only"
                f" one init in {self.__class__.__name__} instead of "
                f"n_init={self._n_init}.",
                RuntimeWarning,
                stacklevel=4,
            )
            self._n_init = 1

    def _validate_center_shape(self, X, centers, n_centroids=None):
        if n_centroids is None:
            n_centroids = self.n_clusters
        if centers.shape[0] != n_centroids:
            raise ValueError(
                f"The shape of the initial centers {centers.shape} does not "
                f"match the number of clusters {n_centroids}."
            )
        if centers.shape[1] != X.shape[1]:
            raise ValueError(
                f"The shape of the initial centers {centers.shape} does not "
                f"match the number of features of the data {X.shape[1]}."
            )

    def _check_test_data(self, X):
        return validate_data(
            self, X, reset=False, dtype=[np.float64, np.float32], order="C"
        )

    def _check_sample_weight(self, sample_weight, X):
        return _validate_sample_weight(sample_weight, X)

    def _init_centroids(
        self, X, init, random_state, sample_weight, init_size=None, n_centroids=None
    ):
        """Initial centres by ``init``; X is validated (and centred by fit)."""
        n_samples = X.shape[0]
        n_clusters = self.n_clusters if n_centroids is None else n_centroids

        if init_size is not None and init_size < n_samples:
            init_indices = random_state.randint(0, n_samples, init_size)
            X = X[init_indices]
            n_samples = X.shape[0]
            sample_weight = sample_weight[init_indices]

        if isinstance(init, str) and init == "k-means++":
            centers, _ = _kmeans_plusplus(X, n_clusters, sample_weight, random_state)
        elif isinstance(init, str) and init == "random":
            seeds = random_state.choice(
                n_samples,
                size=n_clusters,
                replace=False,
                p=sample_weight / sample_weight.sum(),
            )
            centers = X[seeds]
        elif _is_arraylike_not_scalar(self.init):
            centers = init
        elif callable(init):
            centers = init(X, n_clusters, random_state=random_state)
            centers = check_array(centers, dtype=X.dtype, copy=False, order="C")
            self._validate_center_shape(X, centers, n_centroids=n_clusters)
        return np.ascontiguousarray(centers, dtype=X.dtype)

    def fit_predict(self, X, y=None, sample_weight=None):
        """Compute cluster centres and predict the cluster of each sample.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Data to cluster.
        y : Ignored
            Not used, present for API consistency by convention.
        sample_weight : array-like of shape (n_samples,), default=None
            Weight of each sample; None means equal weights.

        Returns
        -------
        labels : ndarray of shape (n_samples,)
            Index of the cluster each sample belongs to.
        """
        return self.fit(X, sample_weight=sample_weight).labels_

    def predict(self, X):
        """Index of the nearest centre for each sample.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            New data.

        Returns
        -------
        labels : ndarray of shape (n_samples,)
            Index of the cluster each sample belongs to.
        """
        check_is_fitted(self)
        X = self._check_test_data(X)
        sample_weight = np.ones(X.shape[0], dtype=X.dtype)
        return _labels_inertia(
            X, sample_weight, self._centers_for(X), return_inertia=False
        )

    def fit_transform(self, X, y=None, sample_weight=None):
        """Fit, then return the distance of each sample to every centre.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : Ignored
        sample_weight : array-like of shape (n_samples,), default=None

        Returns
        -------
        X_new : ndarray of shape (n_samples, n_clusters)
            Euclidean distances, in the dtype of X.
        """
        self.fit(X, sample_weight=sample_weight)
        return self._transform(self._check_test_data(X))

    def transform(self, X):
        """Distance of each sample to every cluster centre.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        X_new : ndarray of shape (n_samples, n_clusters)
            Euclidean distances, in the dtype of X.
        """
        check_is_fitted(self)
        X = self._check_test_data(X)
        return self._transform(X)

    def _transform(self, X):
        """Guts of transform method; no input validation."""
        out = np.empty((X.shape[0], self.cluster_centers_.shape[0]), dtype=X.dtype)
        if X.shape[0]:
            with threads_for(out.size * X.shape[1]):
                _assign.euclidean_to_centers(X, self._centers_for(X), out)
        return out

    def score(self, X, y=None, sample_weight=None):
        """Opposite of the K-means objective (inertia) of X.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : Ignored
        sample_weight : array-like of shape (n_samples,), default=None

        Returns
        -------
        score : float
            ``-sum_i w_i * min_j ||x_i - c_j||^2``.
        """
        check_is_fitted(self)
        X = self._check_test_data(X)
        sample_weight = self._check_sample_weight(sample_weight, X)
        _, inertia = _labels_inertia(X, sample_weight, self._centers_for(X))
        return -inertia

    def _centers_for(self, X):
        """Centres in the dtype of X (a float64 fit may predict float32 data)."""
        return np.ascontiguousarray(self.cluster_centers_, dtype=X.dtype)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = False
        return tags


class KMeans(_BaseKMeans):
    """K-means clustering, a drop-in replacement for ``sklearn.cluster.KMeans``.

    Parameters
    ----------
    n_clusters : int, default=8
        The number of clusters (and centres) to form.
    init : {'k-means++', 'random'}, callable or array-like of shape \
            (n_clusters, n_features), default='k-means++'
        How the centres start: greedy k-means++ (:func:`kmeans_plusplus`),
        ``n_clusters`` random rows, a callable
        ``init(X, n_clusters, random_state)``, or explicit centres.
    n_init : 'auto' or int, default='auto'
        Number of runs from different seeds; the run with the lowest inertia
        is kept. 'auto' means 1 for 'k-means++' or an array and 10 for
        'random' or a callable.
    max_iter : int, default=300
        Maximum number of iterations of one run.
    tol : float, default=1e-4
        Convergence tolerance on the total squared centre shift, relative
        to the mean per-feature variance of X.
    verbose : int, default=0
        Print the inertia at each iteration.
    random_state : int, RandomState instance or None, default=None
        Seed for initialisation. The same seed gives the same result as
        scikit-learn (up to floating-point ties) and the same bits whatever
        the number of threads.
    copy_x : bool, default=True
        X is centred (its mean subtracted) for accuracy. If True, on a copy;
        if False, in place, and the mean is added back before returning
        (which may change X by rounding).
    algorithm : {'lloyd', 'hamerly', 'elkan', 'yinyang', 'auto'}, default='lloyd'
        K-means variant. Every variant is exact: from the same start it
        produces the same labels, centres and iterations as Lloyd's
        algorithm, bit for bit. 'lloyd' computes every point-to-centre
        distance with a blocked kernel. 'hamerly' keeps a lower and an upper
        bound per sample (16 bytes each) and skips the rows whose centre
        provably did not change, without reading them once few rows move
        (Hamerly, 2010). 'elkan' keeps one float32 bound per sample
        and centre (``4 * n * k`` bytes; above 1 GiB it uses Hamerly's
        bounds instead) and skips centres one by one (Elkan, 2003).
        'yinyang' keeps one float32 bound per sample and group of about ten
        centres and searches only the groups it cannot rule out (Ding et
        al., 2015). 'auto' runs 'lloyd' with at most 8 features and 32
        centres; with at most 16 features and 64 centres it times plain and
        Hamerly steps as it runs and keeps the faster (``history_.step``
        says which ran); otherwise it runs 'hamerly' (the measurements
        behind the choice are in ``docs/algorithms.md``).
        ``history_.n_distances`` records how many distances each iteration
        computed.

    Attributes
    ----------
    cluster_centers_ : ndarray of shape (n_clusters, n_features)
        Centres, in the dtype of the training data.
    labels_ : ndarray of shape (n_samples,)
        Label of each training sample, consistent with ``cluster_centers_``.
    inertia_ : float
        Weighted sum of squared distances of samples to their closest centre.
    n_iter_ : int
        Number of iterations of the best run.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of features seen during fit, when X has string column names.
    history_ : FitHistory
        Per-iteration record of the best run: inertia, centre shift, rows
        that changed cluster, empty-cluster relocations, distances computed
        and time.

    See Also
    --------
    kmeans_plusplus : The seeding used by ``init='k-means++'``.
    k_means : Functional form.

    Notes
    -----
    Lloyd's algorithm (S. Lloyd, "Least squares quantization in PCM", IEEE
    Trans. Inf. Theory 28(2), 1982) alternates an assignment step and a
    centre update until the labels stop changing (strict convergence) or the
    centres move by less than ``tol``. A cluster left empty takes the row
    farthest from its centre. Unlike scikit-learn (its issue #34074), when a
    relocation happens in the last iteration the labels are recomputed, so
    ``labels_`` and ``inertia_`` always match ``cluster_centers_``.

    Examples
    --------
    >>> import numpy as np
    >>> from segmint import KMeans
    >>> X = np.array([[1, 2], [1, 4], [1, 0], [10, 2], [10, 4], [10, 0]])
    >>> km = KMeans(n_clusters=2, random_state=0).fit(X)
    >>> km.labels_
    array([1, 1, 1, 0, 0, 0], dtype=int32)
    >>> km.predict([[0, 0], [12, 3]])
    array([1, 0], dtype=int32)
    >>> km.cluster_centers_
    array([[10.,  2.],
           [ 1.,  2.]])
    """

    _parameter_constraints: dict = {
        **_BaseKMeans._parameter_constraints,
        "copy_x": ["boolean"],
        "algorithm": [StrOptions({"lloyd", "elkan", "hamerly", "yinyang", "auto"})],
    }

    def __init__(
        self,
        n_clusters=8,
        *,
        init="k-means++",
        n_init="auto",
        max_iter=300,
        tol=1e-4,
        verbose=0,
        random_state=None,
        copy_x=True,
        algorithm="lloyd",
    ):
        self.n_clusters = n_clusters
        self.init = init
        self.n_init = n_init
        self.max_iter = max_iter
        self.tol = tol
        self.verbose = verbose
        self.random_state = random_state
        self.copy_x = copy_x
        self.algorithm = algorithm

    def _check_params_vs_input(self, X, mean=None):
        super()._check_params_vs_input(X, default_n_init=10, mean=mean)
        self._algorithm = self.algorithm
        if self._algorithm == "elkan" and self.n_clusters == 1:
            warnings.warn(
                "algorithm='elkan' doesn't make sense for a single "
                "cluster. Using 'lloyd' instead.",
                RuntimeWarning,
                stacklevel=3,
            )
            self._algorithm = "lloyd"

    def _single_run(self, X=None):
        """The driver for ``self._algorithm`` (``"auto"`` resolved on X's shape)."""
        algorithm = self._algorithm
        if algorithm == "auto":
            algorithm = _auto_algorithm(X.shape[0], X.shape[1], self.n_clusters)
        if algorithm == "hamerly":
            return _kmeans_single_hamerly
        if algorithm == "adaptive":
            return _kmeans_single_adaptive
        if algorithm == "elkan":
            return _kmeans_single_elkan
        if algorithm == "yinyang":
            return _kmeans_single_yinyang
        return _kmeans_single_lloyd

    def fit(self, X, y=None, sample_weight=None):
        """Compute k-means clustering.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training data. float32 stays float32; anything else becomes
            float64. Converted to C order (a copy if it is not).
        y : Ignored
            Not used, present for API consistency by convention.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weight of each sample. Not used for initialisation
            when ``init`` is a callable or an array.

        Returns
        -------
        self : KMeans
            Fitted estimator.
        """
        self._validate_params()
        X_in = X
        # Finiteness is checked below from the column sums (one parallel
        # pass, which the mean needs anyway), and the centred copy is made
        # in one pass too, instead of a copy and then a shift.
        X = validate_data(
            self,
            X,
            dtype=[np.float64, np.float32],
            order="C",
            ensure_all_finite=False,
        )
        with threads_for(X.size):
            X_mean64 = _moments.column_means(X)
        if not np.all(np.isfinite(X_mean64)):
            # NaN or inf somewhere (or sums that overflow): scikit-learn's
            # check finds it and raises its usual error.
            _assert_all_finite(X, input_name="X", estimator_name=type(self).__name__)
        # Whether X is a new array of ours (converted by validate_data), which
        # can be centred in place whatever copy_x says.
        owned = isinstance(X_in, np.ndarray) and not np.may_share_memory(X, X_in)
        self._check_params_vs_input(X, mean=X_mean64)
        random_state = check_random_state(self.random_state)
        sample_weight = self._check_sample_weight(sample_weight, X)
        _check_positive_total_weight(sample_weight)

        init = self.init
        init_is_array_like = _is_arraylike_not_scalar(init)
        if init_is_array_like:
            init = check_array(init, dtype=X.dtype, copy=True, order="C")
            self._validate_center_shape(X, init)

        # Subtract the mean (rounded to X's dtype) for more accurate distance
        # computations, unless it is already close to the origin.
        variance = self._tol / self.tol if self.tol > 0 else None
        centre = _needs_centring(X, X_mean64, variance)
        X_mean = X_mean64.astype(X.dtype) if centre else np.zeros_like(X[0])
        restore = False
        if centre and (owned or not self.copy_x):
            _shift_rows(X, X_mean, -1)
            restore = not owned
        elif centre:
            with threads_for(X.size):
                X = _moments.shifted_copy(X, X_mean)
        if init_is_array_like:
            init -= X_mean

        kmeans_single = self._single_run(X)
        best_inertia, best_labels = None, None
        try:
            # Small problems run on one thread (same bits, less overhead).
            with threads_for(X.shape[0] * X.shape[1] * self.n_clusters):
                for _ in range(self._n_init):
                    centers_init = self._init_centroids(
                        X,
                        init=init,
                        random_state=random_state,
                        sample_weight=sample_weight,
                    )
                    if self.verbose:
                        print("Initialization complete")  # noqa: T201
                    labels, inertia, centers, n_iter_, history = kmeans_single(
                        X,
                        sample_weight,
                        centers_init,
                        max_iter=self.max_iter,
                        verbose=self.verbose,
                        tol=self._tol,
                    )
                    # A new run wins only with a lower inertia and a different
                    # clustering (same clustering, permuted, can differ by rounding).
                    if best_inertia is None or (
                        inertia < best_inertia
                        and not _is_same_clustering(
                            labels, best_labels, self.n_clusters
                        )
                    ):
                        best_labels = labels
                        best_centers = centers
                        best_inertia = inertia
                        best_n_iter = n_iter_
                        best_history = history
        finally:
            if restore:
                _shift_rows(X, X_mean, 1)
        best_centers += X_mean

        distinct_clusters = np.count_nonzero(
            np.bincount(best_labels, minlength=self.n_clusters)
        )
        if distinct_clusters < self.n_clusters:
            warnings.warn(
                f"Number of distinct clusters ({distinct_clusters}) found smaller "
                f"than n_clusters ({self.n_clusters}). Possibly due to duplicate "
                "points in X.",
                ConvergenceWarning,
                stacklevel=2,
            )

        self.cluster_centers_ = best_centers
        self._n_features_out = self.cluster_centers_.shape[0]
        self.labels_ = best_labels
        self.inertia_ = best_inertia
        self.n_iter_ = best_n_iter
        self.history_ = best_history
        return self


def k_means(
    X,
    n_clusters,
    *,
    sample_weight=None,
    init="k-means++",
    n_init="auto",
    max_iter=300,
    verbose=False,
    tol=1e-4,
    random_state=None,
    copy_x=True,
    algorithm="lloyd",
    return_n_iter=False,
):
    """Perform K-means clustering (functional form of :class:`KMeans`).

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        The observations to cluster.
    n_clusters : int
        The number of clusters.
    sample_weight : array-like of shape (n_samples,), default=None
        Weight of each observation.
    init, n_init, max_iter, verbose, tol, random_state, copy_x, algorithm
        As for :class:`KMeans`.
    return_n_iter : bool, default=False
        Whether to also return the number of iterations.

    Returns
    -------
    centroid : ndarray of shape (n_clusters, n_features)
        Centres found at the last iteration.
    label : ndarray of shape (n_samples,)
        Index of the centre each observation is closest to.
    inertia : float
        Sum of squared distances to the closest centre.
    best_n_iter : int
        Iterations of the best run; only with ``return_n_iter=True``.

    Examples
    --------
    >>> import numpy as np
    >>> from segmint import k_means
    >>> X = np.array([[1, 2], [1, 4], [1, 0], [10, 2], [10, 4], [10, 0]])
    >>> centers, labels, inertia = k_means(X, n_clusters=2, random_state=0)
    >>> float(inertia)
    16.0
    """
    est = KMeans(
        n_clusters=n_clusters,
        init=init,
        n_init=n_init,
        max_iter=max_iter,
        verbose=verbose,
        tol=tol,
        random_state=random_state,
        copy_x=copy_x,
        algorithm=algorithm,
    ).fit(X, sample_weight=sample_weight)
    if return_n_iter:
        return est.cluster_centers_, est.labels_, est.inertia_, est.n_iter_
    return est.cluster_centers_, est.labels_, est.inertia_
