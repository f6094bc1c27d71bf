"""Mini-batch K-means and out-of-core fitting.

``segmint.MiniBatchKMeans`` is a drop-in replacement for
``sklearn.cluster.MiniBatchKMeans``: the same parameters, defaults, fitted
attributes, update rule, reassignment of small centres and early stopping.
Each step (assign a batch and move the centres) is one Numba kernel,
:func:`segmint._kernels.minibatch.minibatch_step`, that reads the batch's rows
by index; ``fit`` on a :class:`numpy.memmap` reads its batches from the file
with ``pread`` and streams the full passes in slices instead of loading it. :func:`fit_chunks` and :func:`predict_chunks` fit and label data
that arrives in chunks (CSV readers, Parquet row groups, arrays).
"""

import mmap
import os
import time
import warnings
from numbers import Integral, Real

import numpy as np
from sklearn.utils import assert_all_finite, check_random_state
from sklearn.utils._param_validation import Interval
from sklearn.utils.validation import (
    _is_arraylike_not_scalar,
    check_array,
    check_is_fitted,
    validate_data,
)

from segmint._config import CHUNK_SIZE
from segmint._kernels import assign as _assign
from segmint._kernels import minibatch as _mb
from segmint._parallel import threads_for
from segmint.kmeans import _BaseKMeans, _labels_inertia
from segmint.seeding import _check_positive_total_weight

__all__ = ["MiniBatchKMeans", "fit_chunks", "predict_chunks"]

#: Below this much work per step (batch rows x clusters x features) a step
#: runs on one thread: waking the others costs more than a default batch
#: (1024 x 16 x 16) takes, and far more when the cores are shared.
_PARALLEL_MIN_WORK = 1 << 22

#: Rows per slice of the streamed passes over X (labels, finiteness,
#: variance): a multiple of ``CHUNK_SIZE``, so that per-chunk inertia lands in
#: the same slots as in a single call and the sum is the same bits.
_STREAM_ROWS = 1 << 16

#: Bytes of a memory-mapped X that may stay mapped into this process before
#: the pages are handed back (they stay in the OS page cache).
_MAPPED_BUDGET = 128 << 20

#: Bytes one page fault may map: Linux maps a whole page-cache folio (up to
#: 2 MiB on current kernels; measured 1.5 MiB per random row here), not one
#: page, so random reads through a map are charged this much each.
_MAPPED_PER_FAULT = 2 << 20


# ---------------------------------------------------------------------------
# Memory maps


class _PageReleaser:
    """Keeps the resident size of a memory-mapped X bounded.

    Every page of a mapping that a process touches counts in its resident
    set size until unmapped, so a pass over a 6 GB memmap would make the
    process 6 GB "large" although nothing was copied. After about
    ``_MAPPED_BUDGET`` bytes have been touched, ``madvise(MADV_DONTNEED)``
    drops the process's references; the data stays in the page cache, so
    reading it again costs a minor page fault, not a disk read. Copy-on-write
    maps (``mode='c'``) are left alone: dropping their pages would discard
    changes the caller made.
    """

    def __init__(self, X_in, X):
        self._mmap = None
        self._touched = 0
        mm = getattr(X_in, "_mmap", None)
        if (
            isinstance(X_in, np.memmap)
            and isinstance(mm, mmap.mmap)
            and getattr(X_in, "mode", "c") != "c"
            and hasattr(mm, "madvise")
            and np.may_share_memory(X, X_in)
        ):
            self._mmap = mm

    @property
    def active(self):
        return self._mmap is not None

    def touch(self, n_bytes):
        """Record that about ``n_bytes`` of X were read; release when over budget."""
        if self._mmap is None:
            return
        self._touched += n_bytes
        if self._touched >= _MAPPED_BUDGET:
            self.release()

    def release(self):
        if self._mmap is None:
            return
        self._touched = 0
        try:
            self._mmap.madvise(mmap.MADV_DONTNEED)
        except (OSError, ValueError):  # closed map or unsupported platform
            self._mmap = None


class _RowReader:
    """Reads rows of a memory-mapped X by index with ``pread``, not the map.

    Batches are random rows; read through the map, each would bring a whole
    page-cache folio into the process's resident set (see
    ``_MAPPED_PER_FAULT``). ``pread`` copies just the row. Active for a
    :class:`numpy.memmap` backed by a named file, not copy-on-write (whose
    private changes a read of the file would miss), whose memory X is.
    """

    def __init__(self, X_in, X):
        self.fd = None
        mm = getattr(X_in, "_mmap", None)
        filename = getattr(X_in, "filename", None)
        if not (
            isinstance(X_in, np.memmap)
            and isinstance(mm, mmap.mmap)
            and filename
            and getattr(X_in, "mode", "c") != "c"
            and np.may_share_memory(X, X_in)
            and X.flags.c_contiguous
        ):
            return
        # Byte position of X[0, 0] in the file: the map starts at the
        # offset rounded down to the allocation granularity.
        map_start = X_in.offset - X_in.offset % mmap.ALLOCATIONGRANULARITY
        map_address = np.frombuffer(mm, dtype=np.uint8).ctypes.data
        self.offset = map_start + (X.ctypes.data - map_address)
        self.fd = os.open(filename, os.O_RDONLY)

    @property
    def active(self):
        return self.fd is not None

    def take(self, X, indices, out=None):
        """``X[indices]``, read from the file when active."""
        if self.fd is None:
            return X[indices]
        indices = np.ascontiguousarray(indices, dtype=np.int64)
        if out is None:
            out = np.empty((indices.shape[0], X.shape[1]), dtype=X.dtype)
        n_read = _mb.read_rows(self.fd, self.offset, indices, out)
        if n_read != indices.shape[0]:
            raise OSError(
                f"could not read row {indices[n_read]} of the memory-mapped X "
                "from its file: was the file truncated or changed during the fit?"
            )
        return out

    def close(self):
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None


def _row_slices(n_samples):
    """``(start, stop)`` of the fixed-size row slices of the streamed passes."""
    for start in range(0, n_samples, _STREAM_ROWS):
        yield start, min(n_samples, start + _STREAM_ROWS)


def _check_finite_streamed(X, releaser):
    """scikit-learn's finiteness check, one slice of rows at a time."""
    for start, stop in _row_slices(X.shape[0]):
        assert_all_finite(X[start:stop], input_name="X")
        releaser.touch((stop - start) * X.shape[1] * X.itemsize)
    releaser.release()


def _mean_variance_streamed(X, releaser):
    """Mean over features of the per-feature variance of X, in float64.

    Per-slice means and sums of squared deviations are merged with Chan,
    Golub and LeVeque's pairwise update, so no copy of X is needed.
    """
    n_features = X.shape[1]
    count = 0
    mean = np.zeros(n_features)
    m2 = np.zeros(n_features)
    for start, stop in _row_slices(X.shape[0]):
        block = X[start:stop].astype(np.float64)
        n_b = stop - start
        mean_b = block.mean(axis=0)
        block -= mean_b
        m2_b = np.einsum("ij,ij->j", block, block)
        delta = mean_b - mean
        total = count + n_b
        mean += delta * (n_b / total)
        m2 += m2_b + delta * delta * (count * n_b / total)
        count = total
        releaser.touch(n_b * n_features * X.itemsize)
    releaser.release()
    return float(np.mean(m2 / count))


def _labels_inertia_streamed(X, sample_weight, centers, releaser, uniform):
    """Labels and inertia of every row of X, slice by slice.

    The same per-chunk slots and serial sum as one call of
    :func:`segmint.kmeans._labels_inertia`, so the same bits, with scratch
    memory of one slice instead of one value per row.
    """
    n_samples = X.shape[0]
    labels = np.empty(n_samples, dtype=np.int32)
    chunk_inertia = np.empty(-(-n_samples // CHUNK_SIZE), dtype=np.float64)
    min_sq = np.empty(min(n_samples, _STREAM_ROWS), dtype=X.dtype)
    ones = np.ones(min(n_samples, _STREAM_ROWS), dtype=X.dtype) if uniform else None
    for start, stop in _row_slices(n_samples):
        m = stop - start
        w = ones[:m] if uniform else sample_weight[start:stop]
        _assign.assign_labels(
            X[start:stop],
            centers,
            w,
            labels[start:stop],
            min_sq[:m],
            chunk_inertia[start // CHUNK_SIZE : -(-stop // CHUNK_SIZE)],
        )
        releaser.touch(m * X.shape[1] * X.itemsize)
    releaser.release()
    return labels, float(_assign.sum_serial(chunk_inertia))


# ---------------------------------------------------------------------------
# Batch sampling


class _BatchSampler:
    """Draws batch indices in O(batch_size) per batch.

    Equal weights (or none): uniform integers, as
    ``random_state.randint(0, n_samples, batch_size)``. Unequal weights: a
    cumulative table built once (O(n) memory, float64) and a binary search
    per draw, so each row is drawn with probability ``w_i / sum(w)``; rows of
    zero weight are never drawn. scikit-learn instead calls
    ``choice(n, batch_size, p=w / w.sum())``, which rebuilds the O(n) table
    on every step; the distribution is the same, the random stream is not.
    """

    def __init__(self, sample_weight, uniform, random_state):
        self._n = sample_weight.shape[0]
        self._rs = random_state
        self._cdf = None
        if not uniform:
            self._cdf = np.cumsum(sample_weight, dtype=np.float64)
            self._total = float(self._cdf[-1])

    def draw(self, batch_size):
        if self._cdf is None:
            return self._rs.randint(0, self._n, batch_size).astype(np.int64, copy=False)
        targets = self._rs.random_sample(batch_size) * self._total
        idx = np.searchsorted(self._cdf, targets, side="right")
        # A target rounding up onto the total would index past the end.
        np.minimum(idx, self._n - 1, out=idx)
        return idx.astype(np.int64, copy=False)


def _is_uniform(sample_weight):
    return bool(np.all(sample_weight == sample_weight[0]))


# ---------------------------------------------------------------------------
# Progress display


class _Progress:
    """A rich progress bar on stderr; does nothing when disabled."""

    def __init__(self, enabled, description, total=None, unit="steps"):
        self._progress = None
        self._task = None
        if not enabled:
            return
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        columns = [TextColumn("[bold]{task.description}")]
        if total is not None:
            columns += [BarColumn(), MofNCompleteColumn()]
        else:
            columns += [TextColumn("{task.completed:,.0f} " + unit)]
        columns += [
            TimeElapsedColumn(),
            TimeRemainingColumn() if total is not None else TextColumn(""),
            TextColumn("{task.fields[info]}"),
        ]
        self._progress = Progress(
            *columns, console=Console(stderr=True), transient=False
        )
        self._progress.start()
        self._task = self._progress.add_task(description, total=total, info="")

    def update(self, completed=None, advance=None, info=None):
        if self._progress is None:
            return
        kwargs = {}
        if info is not None:
            kwargs["info"] = info
        self._progress.update(
            self._task, completed=completed, advance=advance, **kwargs
        )

    def close(self):
        if self._progress is not None:
            self._progress.stop()
            self._progress = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


# ---------------------------------------------------------------------------
# The estimator


class _StepBuffers:
    """Scratch arrays of the step kernel for one batch size, allocated once."""

    def __init__(self, batch_size, n_clusters, n_features):
        n_blocks = _assign.n_row_blocks(batch_size, n_clusters, n_features)
        self.batch_size = batch_size
        self.labels = np.empty(batch_size, dtype=np.int32)
        self.block_sums = np.empty((n_blocks, n_clusters, n_features))
        self.block_weights = np.empty((n_blocks, n_clusters))
        self.block_inertia = np.empty(n_blocks)
        self.result = np.empty(4)
        self.work = batch_size * n_clusters * n_features

    def step(self, X, indices, sample_weight, centers, centers_new, counts):
        with threads_for(self.work, _PARALLEL_MIN_WORK):
            _mb.minibatch_step(
                X,
                indices,
                sample_weight,
                centers,
                centers_new,
                counts,
                self.labels,
                self.block_sums,
                self.block_weights,
                self.block_inertia,
                self.result,
            )
        return self.result


class MiniBatchKMeans(_BaseKMeans):
    """Mini-batch K-means, a drop-in replacement for ``sklearn.cluster.MiniBatchKMeans``.

    Parameters
    ----------
    n_clusters : int, default=8
        The number of clusters (and centres) to form.
    init : {'k-means++', 'random'}, callable or array-like of shape \
            (n_clusters, n_features), default='k-means++'
        How the centres start, computed on ``init_size`` random rows:
        greedy k-means++, random rows, a callable
        ``init(X, n_clusters, random_state)`` or explicit centres.
    max_iter : int, default=100
        Maximum number of passes over the data (in expectation: the fit
        stops after ``max_iter * n_samples // batch_size`` steps at most).
    batch_size : int, default=1024
        Rows per mini-batch.
    verbose : int, default=0
        1: a progress bar (on stderr) with the smoothed batch inertia, and
        the initialisation and convergence messages. 2 or more: instead of the
        bar, one line per step, as scikit-learn prints.
    compute_labels : bool, default=True
        After ``fit``, label every row and compute the inertia on the whole
        data (one more streamed pass). After ``partial_fit``, on the batch.
    random_state : int, RandomState instance or None, default=None
        Seed for the initialisation, the batch draws and the reassignments.
    tol : float, default=0.0
        Stop when the squared centre shift of a step falls below ``tol``
        times the mean per-feature variance of X. 0 disables it.
    max_no_improvement : int or None, default=10
        Stop after this many consecutive steps without a new minimum of the
        smoothed batch inertia. None disables it.
    init_size : int, default=None
        Rows drawn to compute the initial centres; ``3 * batch_size`` by
        default (at least ``3 * n_clusters``).
    n_init : 'auto' or int, default='auto'
        Initialisations tried, each scored on the same ``init_size``
        validation rows; only the best one is run. 'auto': 1 for
        'k-means++' or an array, 3 for 'random' or a callable.
    reassignment_ratio : float, default=0.01
        A centre whose accumulated weight is below this fraction of the
        largest one is moved to a random row of the current batch.

    Attributes
    ----------
    cluster_centers_ : ndarray of shape (n_clusters, n_features)
        Centres, in the dtype of the training data.
    labels_ : ndarray of shape (n_samples,)
        Label of each training row (when ``compute_labels``; of the last
        batch after ``partial_fit``).
    inertia_ : float
        Inertia of the whole data when ``compute_labels`` (of the last batch
        after ``partial_fit``); otherwise the smoothed batch inertia scaled to
        the total weight, as scikit-learn.
    n_iter_ : int
        Passes over the data: ``ceil(n_steps_ * batch_size / n_samples)``.
    n_steps_ : int
        Mini-batches processed.
    counts_ : ndarray of shape (n_clusters,), float64
        Weight each centre has absorbed, the denominator of its learning
        rate (reset by reassignments, as scikit-learn's ``_counts``).
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of features seen during fit, when X has string column names.

    See Also
    --------
    KMeans : Lloyd's algorithm over all rows at every iteration.
    fit_chunks : Fit from an iterator of chunks (larger-than-memory data).
    predict_chunks : Label data chunk by chunk, writing labels as it goes.

    Notes
    -----
    D. Sculley, "Web-scale k-means clustering", WWW 2010, with
    scikit-learn's batched update, reassignment and early-stopping rules.
    Each step assigns a batch to the current centres, then moves every centre
    that received rows to the weighted mean of its old position (weighted by
    ``counts_``) and the new rows. Every ``10 * n_clusters`` rows, centres
    with ``counts_ < reassignment_ratio * max(counts_)`` jump to random rows
    of the batch. The mean batch inertia is smoothed with an exponentially
    weighted average (``alpha = 2 * batch_size / (n_samples + 1)``) and the fit
    stops when it has not improved for ``max_no_improvement`` steps.

    Unlike scikit-learn, batches are drawn in O(batch_size) (uniform integers,
    or a cumulative weight table built once), rows are read by index, never
    gathered into a copy, sums and counts are kept in float64, and a
    ``numpy.memmap`` X is not loaded: batch rows are read from its file with
    ``pread``, full passes go slice by slice with the mapped pages released
    as they go. Results do not depend on the number of threads.

    Examples
    --------
    >>> import numpy as np
    >>> from segmint import MiniBatchKMeans
    >>> X = np.array([[1, 2], [1, 4], [1, 0],
    ...               [4, 2], [4, 0], [4, 4],
    ...               [4, 5], [0, 1], [2, 2],
    ...               [3, 2], [5, 5], [1, -1]])
    >>> km = MiniBatchKMeans(n_clusters=2, random_state=0, batch_size=6)
    >>> km = km.partial_fit(X[0:6, :]).partial_fit(X[6:12, :])
    >>> km.cluster_centers_
    array([[3.375, 3.   ],
           [0.75 , 0.5  ]])
    >>> km.predict([[0, 0], [4, 4]])
    array([1, 0], dtype=int32)
    """

    _parameter_constraints: dict = {
        **_BaseKMeans._parameter_constraints,
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "compute_labels": ["boolean"],
        "max_no_improvement": [Interval(Integral, 0, None, closed="left"), None],
        "init_size": [Interval(Integral, 1, None, closed="left"), None],
        "reassignment_ratio": [Interval(Real, 0, None, closed="left")],
    }

    def __init__(
        self,
        n_clusters=8,
        *,
        init="k-means++",
        max_iter=100,
        batch_size=1024,
        verbose=0,
        compute_labels=True,
        random_state=None,
        tol=0.0,
        max_no_improvement=10,
        init_size=None,
        n_init="auto",
        reassignment_ratio=0.01,
    ):
        self.n_clusters = n_clusters
        self.init = init
        self.max_iter = max_iter
        self.batch_size = batch_size
        self.verbose = verbose
        self.compute_labels = compute_labels
        self.random_state = random_state
        self.tol = tol
        self.max_no_improvement = max_no_improvement
        self.init_size = init_size
        self.n_init = n_init
        self.reassignment_ratio = reassignment_ratio

    # -- checks ------------------------------------------------------------

    def _check_params_vs_input(self, X, releaser=None):
        # As _BaseKMeans, except that the tolerance's variance is streamed:
        # X may be a memory map larger than RAM.
        self._check_n_samples(X)
        self._tol = 0.0
        if self.tol > 0:
            releaser = releaser or _PageReleaser(None, X)
            self._tol = _mean_variance_streamed(X, releaser) * self.tol
        self._resolve_n_init(default_n_init=3)

        self._batch_size = min(self.batch_size, X.shape[0])
        self._init_size = self.init_size
        if self._init_size is None:
            self._init_size = 3 * self._batch_size
            if self._init_size < self.n_clusters:
                self._init_size = 3 * self.n_clusters
        elif self._init_size < self.n_clusters:
            warnings.warn(
                f"init_size={self._init_size} should be larger than "
                f"n_clusters={self.n_clusters}. Setting it to "
                "min(3*n_clusters, n_samples)",
                RuntimeWarning,
                stacklevel=3,
            )
            self._init_size = 3 * self.n_clusters
        self._init_size = min(self._init_size, X.shape[0])

    def _validate_init(self, X):
        init = self.init
        if _is_arraylike_not_scalar(init):
            init = check_array(init, dtype=X.dtype, copy=True, order="C")
            self._validate_center_shape(X, init)
        return init

    # -- early stopping (scikit-learn's rules) -----------------------------

    def _mini_batch_convergence(
        self, step, n_steps, n_samples, centers_squared_diff, batch_inertia
    ):
        """Whether to stop after ``step`` (0-based); updates the smoothed inertia."""
        batch_inertia /= self._batch_size
        step = step + 1
        # The first step's inertia measures the initialisation: skip it.
        if step == 1:
            if self.verbose >= 2:
                print(  # noqa: T201
                    f"Minibatch step {step}/{n_steps}: mean batch "
                    f"inertia: {batch_inertia}"
                )
            return False

        if self._ewa_inertia is None:
            self._ewa_inertia = batch_inertia
        else:
            alpha = min(self._batch_size * 2.0 / (n_samples + 1), 1.0)
            self._ewa_inertia = self._ewa_inertia * (1 - alpha) + batch_inertia * alpha

        if self.verbose >= 2:
            print(  # noqa: T201
                f"Minibatch step {step}/{n_steps}: mean batch inertia: "
                f"{batch_inertia}, ewa inertia: {self._ewa_inertia}"
            )

        if self._tol > 0.0 and centers_squared_diff <= self._tol:
            if self.verbose:
                print(f"Converged (small centers change) at step {step}/{n_steps}")  # noqa: T201
            return True

        if self._ewa_inertia_min is None or self._ewa_inertia < self._ewa_inertia_min:
            self._no_improvement = 0
            self._ewa_inertia_min = self._ewa_inertia
        else:
            self._no_improvement += 1

        if (
            self.max_no_improvement is not None
            and self._no_improvement >= self.max_no_improvement
        ):
            if self.verbose:
                print(  # noqa: T201
                    "Converged (lack of improvement in inertia) at step "
                    f"{step}/{n_steps}"
                )
            return True
        return False

    def _random_reassign(self):
        """Reassign every ``10 * n_clusters`` rows, and always with an empty centre."""
        self._n_since_last_reassign += self._batch_size
        if self._counts_min == 0 or self._n_since_last_reassign >= (
            10 * self.n_clusters
        ):
            self._n_since_last_reassign = 0
            return True
        return False

    def _reassign(self, X, indices, centers_new, random_state, min_max_counts):
        """Move centres with too little weight onto random rows of the batch.

        Returns whether a centre moved.
        """
        counts = self._counts
        low, high = min_max_counts
        if not low < self.reassignment_ratio * high:
            return False  # fast exit: no centre qualifies
        to_reassign = counts < self.reassignment_ratio * high
        batch_size = indices.shape[0]
        # at most half a batch of centres move at once
        if to_reassign.sum() > 0.5 * batch_size:
            keep = np.argsort(counts)[int(0.5 * batch_size) :]
            to_reassign[keep] = False
        n_reassigns = int(to_reassign.sum())
        if n_reassigns:
            picks = random_state.choice(batch_size, replace=False, size=n_reassigns)
            if self.verbose >= 2:
                print(f"[MiniBatchKMeans] Reassigning {n_reassigns} cluster centers.")  # noqa: T201
            centers_new[to_reassign] = X[indices[picks]]
        # Reset to the smallest remaining count, not zero, so that a moved
        # centre is not reassigned again at once (scikit-learn's rule).
        counts[to_reassign] = np.min(counts[~to_reassign])
        return bool(n_reassigns)

    def _step(self, X, indices, sample_weight, centers, centers_new, random_state):
        """One kernel step plus the reassignment.

        Returns the kernel's ``result`` (batch inertia, squared centre shift,
        min and max counts); the shift is recomputed after a reassignment.
        """
        buffers = self._buffers
        if buffers is None or buffers.batch_size != indices.shape[0]:
            buffers = _StepBuffers(indices.shape[0], self.n_clusters, X.shape[1])
            self._buffers = buffers
        # Decided on the counts before the step, as scikit-learn does.
        reassign = self._random_reassign()
        result = buffers.step(
            X, indices, sample_weight, centers, centers_new, self._counts
        )
        self._counts_min = result[2]
        if (
            reassign
            and self.reassignment_ratio > 0
            and self._reassign(X, indices, centers_new, random_state, result[2:4])
        ):
            self._counts_min = float(self._counts.min())
            if centers_new is not centers:
                diff = centers_new.astype(np.float64) - centers
                result[1] = float(np.sum(diff * diff))
        return result

    # -- fit ---------------------------------------------------------------

    def fit(self, X, y=None, sample_weight=None):
        """Compute the centres on X by mini-batches.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training data. float32 stays float32; anything else becomes
            float64. A C-contiguous float32/float64 :class:`numpy.memmap` is
            not copied: batch rows are read from its file by index, and the
            finiteness check and the final labelling stream it in slices.
        y : Ignored
            Not used, present for API consistency by convention.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights: rows are drawn into batches with
            probability proportional to their weight. Not used for
            initialisation when ``init`` is a callable or an array.

        Returns
        -------
        self : MiniBatchKMeans
            Fitted estimator.
        """
        self._validate_params()
        X_in = X
        streamed = isinstance(X_in, np.memmap)
        X = validate_data(
            self,
            X,
            dtype=[np.float64, np.float32],
            order="C",
            ensure_all_finite=not streamed,
        )
        releaser = _PageReleaser(X_in, X)
        if streamed:
            _check_finite_streamed(X, releaser)
        self._check_params_vs_input(X, releaser)
        random_state = check_random_state(self.random_state)
        n_samples = X.shape[0]

        uniform = unit_weights = sample_weight is None
        if unit_weights:
            # For a large memmap, a zero-stride view: no O(n) array of ones.
            if streamed and n_samples > self._init_size:
                sample_weight = np.broadcast_to(X.dtype.type(1), (n_samples,))
            else:
                sample_weight = np.ones(n_samples, dtype=X.dtype)
        else:
            sample_weight = self._check_sample_weight(sample_weight, X)
            _check_positive_total_weight(sample_weight)
            uniform = _is_uniform(sample_weight)
        init = self._validate_init(X)

        reader = _RowReader(X_in, X)
        try:
            return self._fit(
                X,
                sample_weight,
                uniform,
                unit_weights,
                init,
                random_state,
                releaser,
                reader,
            )
        finally:
            reader.close()

    def _fit(
        self,
        X,
        sample_weight,
        uniform,
        unit_weights,
        init,
        random_state,
        releaser,
        reader,
    ):
        """Guts of :meth:`fit`, after validation."""
        n_samples, n_features = X.shape
        # Validation rows scoring the n_init candidate initialisations.
        validation_indices = random_state.randint(0, n_samples, self._init_size)
        X_valid = reader.take(X, validation_indices)
        sample_weight_valid = np.ascontiguousarray(sample_weight[validation_indices])

        best_inertia = None
        init_work = self._init_size * self.n_clusters * n_features
        for init_idx in range(self._n_init):
            if self.verbose:
                print(f"Init {init_idx + 1}/{self._n_init} with method {init}")  # noqa: T201
            # The rows for the init are drawn here, as _init_centroids would,
            # so that a memory-mapped X is read by pread.
            if self._init_size < n_samples:
                init_indices = random_state.randint(0, n_samples, self._init_size)
                X_init = reader.take(X, init_indices)
                sample_weight_init = sample_weight[init_indices]
            else:
                X_init, sample_weight_init = X, sample_weight
            with threads_for(init_work, _PARALLEL_MIN_WORK):
                cluster_centers = self._init_centroids(
                    X_init,
                    init=init,
                    random_state=random_state,
                    sample_weight=np.ascontiguousarray(sample_weight_init),
                )
                _, inertia = _labels_inertia(
                    X_valid, sample_weight_valid, cluster_centers
                )
            if self.verbose:
                print(f"Inertia for init {init_idx + 1}/{self._n_init}: {inertia}")  # noqa: T201
            if best_inertia is None or inertia < best_inertia:
                init_centers = cluster_centers
                best_inertia = inertia
        releaser.release()

        centers = np.array(init_centers, dtype=X.dtype, order="C")
        centers_new = np.empty_like(centers)
        self._counts = np.zeros(self.n_clusters, dtype=np.float64)
        self._ewa_inertia = None
        self._ewa_inertia_min = None
        self._no_improvement = 0
        self._n_since_last_reassign = 0
        self._counts_min = 0.0
        self._buffers = None

        if unit_weights:
            sum_of_weights = float(n_samples)
        else:
            sum_of_weights = float(np.sum(sample_weight, dtype=np.float64))
        n_steps = (self.max_iter * n_samples) // self._batch_size
        sampler = _BatchSampler(sample_weight, uniform, random_state)
        # Rows are drawn by weight, so each batch row counts once.
        batch_weights = np.ones(self._batch_size, dtype=X.dtype)
        # Rows read through a map (no pread possible) may map a folio each.
        batch_bytes = self._batch_size * _MAPPED_PER_FAULT
        if reader.active:
            batch_X = np.empty((self._batch_size, n_features), dtype=X.dtype)
            batch_rows = np.arange(self._batch_size, dtype=np.int64)

        progress = _Progress(
            self.verbose == 1, "MiniBatchKMeans", total=n_steps, unit="steps"
        )
        last_update = time.perf_counter()
        i = -1
        try:
            for i in range(n_steps):
                indices = sampler.draw(self._batch_size)
                if reader.active:
                    reader.take(X, indices, out=batch_X)
                    result = self._step(
                        batch_X,
                        batch_rows,
                        batch_weights,
                        centers,
                        centers_new,
                        random_state,
                    )
                else:
                    result = self._step(
                        X, indices, batch_weights, centers, centers_new, random_state
                    )
                    releaser.touch(batch_bytes)
                centers, centers_new = centers_new, centers
                if self._mini_batch_convergence(
                    i,
                    n_steps,
                    n_samples,
                    result[1] if self._tol > 0 else 0.0,
                    result[0],
                ):
                    break
                if progress._progress is not None:
                    now = time.perf_counter()
                    if now - last_update > 0.1:
                        last_update = now
                        progress.update(
                            completed=i + 1,
                            info=f"ewa inertia {self._ewa_inertia or 0:.6g}",
                        )
            progress.update(completed=i + 1)
        finally:
            progress.close()
            releaser.release()

        self.cluster_centers_ = centers
        self._n_features_out = self.cluster_centers_.shape[0]
        self.counts_ = self._counts
        self.n_steps_ = i + 1
        self.n_iter_ = int(np.ceil(((i + 1) * self._batch_size) / n_samples))

        if self.compute_labels:
            self.labels_, self.inertia_ = _labels_inertia_streamed(
                X, sample_weight, centers, releaser, unit_weights
            )
        elif self._ewa_inertia is not None:
            self.inertia_ = self._ewa_inertia * sum_of_weights
        else:  # a single step: no smoothed value yet
            self.inertia_ = float(result[0]) / self._batch_size * sum_of_weights
        return self

    def partial_fit(self, X, y=None, sample_weight=None):
        """Update the centres with one mini-batch.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The batch. The first call also initialises the centres from it.
        y : Ignored
            Not used, present for API consistency by convention.
        sample_weight : array-like of shape (n_samples,), default=None
            Weight of each row of the batch.

        Returns
        -------
        self : MiniBatchKMeans
            Updated estimator.
        """
        self._validate_params()
        has_centers = hasattr(self, "cluster_centers_")
        X = validate_data(
            self,
            X,
            dtype=[np.float64, np.float32],
            order="C",
            reset=not has_centers,
        )
        sample_weight = self._check_sample_weight(sample_weight, X)
        return self._partial_fit(X, sample_weight, self.compute_labels)

    def _partial_fit(self, X, sample_weight, compute_labels):
        """Guts of :meth:`partial_fit`; X and sample_weight are validated."""
        self._random_state = getattr(
            self, "_random_state", check_random_state(self.random_state)
        )
        self.n_steps_ = getattr(self, "n_steps_", 0)
        work = X.shape[0] * self.n_clusters * X.shape[1]
        if not hasattr(self, "cluster_centers_"):
            self._check_params_vs_input(X)
            init = self._validate_init(X)
            with threads_for(
                self._init_size * self.n_clusters * X.shape[1], _PARALLEL_MIN_WORK
            ):
                centers = self._init_centroids(
                    X,
                    init=init,
                    random_state=self._random_state,
                    sample_weight=sample_weight,
                    init_size=self._init_size,
                )
            self.cluster_centers_ = np.array(centers, dtype=X.dtype, order="C")
            self._counts = np.zeros(self.n_clusters, dtype=np.float64)
            self._n_since_last_reassign = 0
            self._counts_min = 0.0
            self._buffers = None
        elif X.dtype != self.cluster_centers_.dtype:
            # Later batches follow the dtype the centres were created in.
            X = X.astype(self.cluster_centers_.dtype)
            sample_weight = sample_weight.astype(X.dtype)
        if not hasattr(self, "_buffers"):
            self._buffers = None

        indices = np.arange(X.shape[0], dtype=np.int64)
        centers = self.cluster_centers_
        self._step(X, indices, sample_weight, centers, centers, self._random_state)

        if compute_labels:
            with threads_for(work, _PARALLEL_MIN_WORK):
                self.labels_, self.inertia_ = _labels_inertia(X, sample_weight, centers)
        self.n_steps_ += 1
        self.counts_ = self._counts
        self._n_features_out = self.cluster_centers_.shape[0]
        return self

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = False
        return tags


# ---------------------------------------------------------------------------
# Out-of-core helpers


def _as_frame_or_array(chunk):
    """pyarrow tables and record batches become DataFrames (keeping names)."""
    if hasattr(chunk, "to_pandas") and not hasattr(chunk, "iloc"):
        return chunk.to_pandas()
    return chunk


def _split_chunk(chunk):
    """``(X, sample_weight)`` from a chunk or a ``(X, sample_weight)`` pair."""
    if isinstance(chunk, tuple) and len(chunk) == 2:
        return _as_frame_or_array(chunk[0]), chunk[1]
    return _as_frame_or_array(chunk), None


def _chunk_error(index, rows, exc):
    return ValueError(
        f"chunk {index} (rows {rows[0]} to {rows[1] - 1} of the stream) is "
        f"invalid: {exc} Fix or drop that chunk and call again."
    )


def fit_chunks(estimator, chunks, *, progress=False):
    """Fit a :class:`MiniBatchKMeans` on data that arrives in chunks.

    Each chunk is validated as a whole (width, column names, finiteness),
    then cut into consecutive batches of ``batch_size`` rows, carrying any
    remainder over to the next chunk, and every batch is one
    :meth:`MiniBatchKMeans.partial_fit` step. The result is therefore the
    same as calling ``partial_fit`` on those batches in that order, whatever
    the chunk boundaries, and memory stays at one chunk.

    Parameters
    ----------
    estimator : MiniBatchKMeans or dict
        The estimator to update in place (continuing from its current
        centres if it is already fitted), or a dict of parameters for a new
        one.
    chunks : iterable
        Chunks in order: arrays of shape (n_rows, n_features), pandas
        DataFrames (e.g. from ``pandas.read_csv(..., chunksize=...)``),
        pyarrow Tables or RecordBatches (e.g. from
        ``pyarrow.parquet.ParquetFile(path).iter_batches()``), or pairs
        ``(X_chunk, sample_weight_chunk)``. Empty chunks are skipped. Rows should come in random
        order (shuffle the file once if it is sorted).
    progress : bool, default=False
        Show a progress bar (rows processed, rows per second) on stderr.

    Returns
    -------
    estimator : MiniBatchKMeans
        The fitted estimator. ``labels_`` and ``inertia_`` describe the last
        batch (when ``compute_labels``), as after ``partial_fit``.

    Raises
    ------
    ValueError
        When a chunk has the wrong number of columns, other column names,
        NaN or infinite values, or is empty; the message names the chunk's
        index and row range.

    Examples
    --------
    >>> import numpy as np
    >>> from segmint import fit_chunks
    >>> rng = np.random.default_rng(0)
    >>> chunks = (rng.normal(size=(500, 3)) + 5 * (i % 2) for i in range(8))
    >>> km = fit_chunks({"n_clusters": 2, "batch_size": 256, "random_state": 0},
    ...                 chunks)
    >>> km.cluster_centers_.shape, km.n_steps_
    ((2, 3), 16)
    """
    est = estimator if isinstance(estimator, MiniBatchKMeans) else None
    if est is None:
        if not isinstance(estimator, dict):
            raise TypeError(
                "estimator should be a MiniBatchKMeans or a dict of its "
                f"parameters, got {type(estimator).__name__}."
            )
        est = MiniBatchKMeans(**estimator)
    est._validate_params()
    batch_size = est.batch_size
    pending_X = []  # rows carried over to the next chunk
    pending_w = []
    n_pending = 0
    last = None
    rows_seen = 0
    bar = _Progress(progress, "fit_chunks", total=None, unit="rows")

    def run(Xb, wb):
        nonlocal last
        est._partial_fit(Xb, wb, compute_labels=False)
        last = (Xb, wb)

    try:
        for index, chunk in enumerate(chunks):
            X_in, w = _split_chunk(chunk)
            X = X_in
            if getattr(X, "shape", (1,))[0] == 0:
                continue  # e.g. a row group emptied by a filter
            first = (
                not hasattr(est, "cluster_centers_") and last is None and not n_pending
            )
            try:
                X = validate_data(
                    est, X, dtype=[np.float64, np.float32], order="C", reset=first
                )
                w = est._check_sample_weight(w, X)
            except ValueError as exc:
                n_rows = len(X) if hasattr(X, "__len__") else 0
                raise _chunk_error(index, (rows_seen, rows_seen + n_rows), exc) from exc
            if first:
                dtype = X.dtype
            else:
                dtype = (
                    est.cluster_centers_.dtype
                    if hasattr(est, "cluster_centers_")
                    else pending_X[0].dtype
                )
                if X.dtype != dtype:
                    X = X.astype(dtype)
                    w = w.astype(dtype)
            rows_seen += X.shape[0]
            start = 0
            if n_pending:
                take = min(batch_size - n_pending, X.shape[0])
                pending_X.append(X[:take])
                pending_w.append(w[:take])
                n_pending += take
                start = take
                if n_pending == batch_size:
                    run(np.concatenate(pending_X), np.concatenate(pending_w))
                    pending_X, pending_w, n_pending = [], [], 0
            while X.shape[0] - start >= batch_size:
                run(X[start : start + batch_size], w[start : start + batch_size])
                start += batch_size
            if start < X.shape[0]:
                pending_X.append(X[start:])
                pending_w.append(w[start:])
                n_pending += X.shape[0] - start
            _PageReleaser(X_in, X).release()
            bar.update(completed=rows_seen)
        if n_pending:
            run(np.concatenate(pending_X), np.concatenate(pending_w))
        bar.update(completed=rows_seen)
    finally:
        bar.close()
    if last is None:
        raise ValueError("chunks was empty: give at least one chunk with rows.")
    if est.compute_labels:
        est.labels_, est.inertia_ = _labels_inertia(
            last[0], last[1], est.cluster_centers_
        )
    return est


class _NpyWriter:
    """Writes a 1-D int32 ``.npy`` file whose length is known only at the end.

    The header is written with room for any length and rewritten, at the
    same size, when the file is closed.
    """

    _MAGIC = b"\x93NUMPY\x01\x00"

    def __init__(self, path):
        self._file = open(path, "wb")
        self._size = len(self._header(10**18))
        self._file.write(self._header(0))
        self.n_rows = 0

    def _header(self, n_rows):
        text = f"{{'descr': '<i4', 'fortran_order': False, 'shape': ({n_rows},), }}"
        size = getattr(self, "_size", None)
        if size is None:  # room for the longest shape, rounded to 64 bytes
            size = -(-(len(self._MAGIC) + 2 + len(text) + 1) // 64) * 64
        pad = size - len(self._MAGIC) - 2 - len(text) - 1
        text = text + " " * pad + "\n"
        return self._MAGIC + len(text).to_bytes(2, "little") + text.encode("latin1")

    def write(self, labels):
        self._file.write(np.ascontiguousarray(labels, dtype="<i4").tobytes())
        self.n_rows += labels.shape[0]

    def close(self):
        self._file.seek(0)
        self._file.write(self._header(self.n_rows))
        self._file.close()


class _CsvWriter:
    """Writes one ``label`` column, to a path or an open text file."""

    def __init__(self, target):
        self._own = not hasattr(target, "write")
        self._file = open(target, "w", newline="") if self._own else target
        self._file.write("label\n")
        self.n_rows = 0

    def write(self, labels):
        if labels.shape[0]:
            self._file.write("\n".join(map(str, labels.tolist())) + "\n")
        self.n_rows += labels.shape[0]

    def close(self):
        if self._own:
            self._file.close()


class _ArrayWriter:
    """Writes into a preallocated 1-D array (for example an ``open_memmap``)."""

    def __init__(self, out):
        if out.ndim != 1:
            raise ValueError(
                f"out should be 1-D, one label per row; got shape {out.shape}."
            )
        self._out = out
        self.n_rows = 0

    def write(self, labels):
        stop = self.n_rows + labels.shape[0]
        if stop > self._out.shape[0]:
            raise ValueError(
                f"out has {self._out.shape[0]} rows but the chunks have more "
                f"(at least {stop}); allocate one row per input row."
            )
        self._out[self.n_rows : stop] = labels
        self.n_rows = stop

    def close(self):
        flush = getattr(self._out, "flush", None)
        if flush is not None:
            flush()


def predict_chunks(model, chunks, out=None, *, return_inertia=False, progress=False):
    """Label every row of data that arrives in chunks, writing as it goes.

    Parameters
    ----------
    model : fitted KMeans or MiniBatchKMeans
        Any fitted segmint K-means estimator.
    chunks : iterable
        Chunks in order, as for :func:`fit_chunks` (arrays, DataFrames,
        pyarrow Tables or RecordBatches; no weights).
    out : None, str, path, ndarray or text file, default=None
        Where the labels go. None: returned as one array. A path ending in
        ``.npy``: a NumPy file written chunk by chunk (open it later with
        ``np.load(path, mmap_mode="r")``). Any other path, or an open text
        file: CSV with one ``label`` column. A 1-D integer array (e.g.
        ``numpy.lib.format.open_memmap(path, "w+", np.int32, (n,))``):
        filled in order.
    return_inertia : bool, default=False
        Also return the inertia of all the rows (float64).
    progress : bool, default=False
        Show a progress bar (rows labelled) on stderr.

    Returns
    -------
    labels_or_n_rows : ndarray of shape (n_rows,) or int
        The labels when ``out`` is None, else the number of rows written.
    inertia : float
        Only when ``return_inertia``: sum of squared distances of the rows
        to their nearest centres.

    Raises
    ------
    ValueError
        When a chunk has the wrong number of columns, other column names or
        NaN or infinite values; the message names the chunk's index.

    Examples
    --------
    >>> import numpy as np
    >>> from segmint import KMeans, predict_chunks
    >>> X = np.array([[0.0, 0.0], [0.1, 0.0], [5.0, 5.0], [5.1, 5.0]])
    >>> km = KMeans(n_clusters=2, random_state=0).fit(X)
    >>> labels = predict_chunks(km, (X[i : i + 3] for i in range(0, 4, 3)))
    >>> bool((labels == km.labels_).all())
    True
    """
    check_is_fitted(model)
    if out is None:
        parts = []
        writer = None
    elif isinstance(out, np.ndarray):
        writer = _ArrayWriter(out)
    elif isinstance(out, (str, os.PathLike)) and os.fspath(out).endswith(".npy"):
        writer = _NpyWriter(out)
    else:
        writer = _CsvWriter(out)
    bar = _Progress(progress, "predict_chunks", total=None, unit="rows")
    inertia = 0.0
    rows_seen = 0
    try:
        for index, chunk in enumerate(chunks):
            X_in = X = _as_frame_or_array(chunk)
            try:
                X = model._check_test_data(X)
            except ValueError as exc:
                n_rows = len(X) if hasattr(X, "__len__") else 0
                raise _chunk_error(index, (rows_seen, rows_seen + n_rows), exc) from exc
            rows_seen += X.shape[0]
            weights = np.ones(X.shape[0], dtype=X.dtype)
            labels, chunk_inertia = _labels_inertia(X, weights, model._centers_for(X))
            inertia += chunk_inertia
            if writer is None:
                parts.append(labels)
            else:
                writer.write(labels)
            # A slice of a memmap: hand its pages back before the next one.
            _PageReleaser(X_in, X).release()
            bar.update(completed=rows_seen)
    finally:
        bar.close()
        if writer is not None:
            writer.close()
    if writer is None:
        result = np.concatenate(parts) if parts else np.empty(0, dtype=np.int32)
    else:
        result = writer.n_rows
    if return_inertia:
        return result, inertia
    return result
