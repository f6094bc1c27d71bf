"""One registry of the callables that benchmark suites and scripts compare.

``COMPARISONS[task][name]`` is an :class:`Entry`. Every entry of a task has the
same call signature, so a suite can loop over libraries without knowing them:

``"kmeans_fit"``
    ``func(X, init_centers, max_iter, tol) -> FitResult(labels, centers,
    inertia, n_iter)``: one K-means run from the given initial centres
    (``n_init=1``). Entries with ``fixed_iterations=True`` (faiss) have no
    tolerance and always run ``max_iter`` iterations; callers that compare
    runs to convergence pass them the iteration count another library took.

``"kmeans_plusplus"``
    ``func(X, n_clusters, random_state) -> (centers, indices)``.

segmint's modules are imported lazily, inside the callables, so that this
registry is usable while parts of segmint are still being written: an entry
whose module (or ``algorithm=`` value) does not exist yet reports itself
unavailable (:meth:`Entry.available`) and suites skip it.

The data generator :func:`make_blobs` and :func:`init_centers` live here too,
so the pytest-benchmark suites and ``compare.py`` time the same inputs.
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

ROOT = Path(__file__).resolve().parents[1]


def _ensure_segmint_importable() -> None:
    """Fall back to the source tree when segmint is not installed."""
    if importlib.util.find_spec("segmint") is None:
        sys.path.insert(0, str(ROOT / "src"))


_ensure_segmint_importable()


class FitResult(NamedTuple):
    labels: np.ndarray
    centers: np.ndarray
    inertia: float
    n_iter: int
    #: segmint only: seconds per iteration spent in the Lloyd steps
    #: themselves (``history_.time_s``), without input validation, centring
    #: and the final labelling pass.
    step_s: float | None = None


@dataclass(frozen=True)
class Entry:
    """One library's implementation of one task.

    Attributes
    ----------
    name : str
        Key in ``COMPARISONS[task]``, e.g. ``"sklearn_lloyd"``.
    library : str
        ``"segmint"``, ``"sklearn"`` or ``"faiss"``.
    label : str
        Column header used in tables.
    func : callable
        The timed callable (signature depends on the task, see module doc).
    module : str
        Module that must be importable for the entry to run.
    algorithm : str or None
        ``algorithm=`` passed to the estimator, where there is one.
    fixed_iterations : bool
        True when the library has no tolerance and always runs ``max_iter``.
    float32_only : bool
        True when the library computes in float32 whatever the input (faiss);
        its inertia is then compared at the float32 tolerance.
    """

    name: str
    library: str
    label: str
    func: Callable[..., Any]
    module: str
    algorithm: str | None = None
    fixed_iterations: bool = False
    float32_only: bool = False
    probe: Callable[[], None] | None = field(default=None, repr=False)

    def available(self) -> bool:
        return self.unavailable_reason() is None

    def unavailable_reason(self) -> str | None:
        """Why the entry cannot run here, or None when it can."""
        return _unavailable_reason(self)

    def warm_up(self, task: str, dtype) -> None:
        """Run once on tiny data of ``dtype`` so that JIT compilation (and
        lazy imports) are not part of any timing."""
        _warm_up(self, task, np.dtype(dtype).name)


@cache
def _unavailable_reason(entry: Entry) -> str | None:
    try:
        if importlib.util.find_spec(entry.module) is None:
            return f"module {entry.module} not found"
    except ModuleNotFoundError as exc:  # parent package missing
        return str(exc)
    if entry.probe is not None:
        try:
            entry.probe()
        except Exception as exc:  # any failure means "not usable yet"
            return f"{type(exc).__name__}: {exc}"
    return None


@cache
def _warm_up(entry: Entry, task: str, dtype: str) -> None:
    X, _ = make_blobs(600, 3, 4, dtype=dtype, separation="overlapping", seed=0)
    if task == "kmeans_fit":
        for tol in (0.0, 1e-4):  # tol > 0 also loads the variance kernel
            entry.func(X, init_centers(X, 4, seed=0), 5, tol)
        if entry.library == "segmint":
            # algorithm="auto" may switch kernels mid-run: load every step
            # kernel now, so that none is loaded inside a timed fit.
            for algorithm in ("lloyd", "hamerly"):
                _segmint_fit(algorithm)(X, init_centers(X, 4, seed=0), 5, 0.0)
    elif task == "kmeans_plusplus":
        entry.func(X, 4, 0)
    else:  # pragma: no cover - programming error
        raise ValueError(f"unknown task {task!r}")


# --------------------------------------------------------------------------
# data


def make_blobs(
    n: int,
    d: int,
    k: int,
    *,
    dtype="float64",
    separation: str = "separated",
    seed: int = 0,
    chunk_rows: int = 1 << 20,
) -> tuple[np.ndarray, np.ndarray]:
    """Gaussian blobs, generated chunk by chunk directly in ``dtype``.

    ``k`` unit-variance blobs whose centres are uniform in a cube of half-side
    ``L = s * max(1, k ** (1 / d))``, with ``s = 5`` for ``"separated"``
    (neighbouring centres about ten standard deviations apart in low
    dimension) and ``s = 1`` for ``"overlapping"`` (about two). Generating in
    chunks in the target dtype keeps peak memory at the size of X, which the
    scale benchmark relies on.

    Returns
    -------
    X : ndarray of shape (n, d), C-contiguous, of ``dtype``
    true_labels : ndarray of shape (n,), int32
    """
    if separation not in {"separated", "overlapping"}:
        raise ValueError(
            f"separation={separation!r}; use 'separated' or 'overlapping'."
        )
    dtype = np.dtype(dtype)
    if dtype not in (np.float32, np.float64):
        raise ValueError(f"dtype={dtype}; use float32 or float64.")
    rng = np.random.default_rng(seed)
    half_side = (5.0 if separation == "separated" else 1.0) * max(1.0, k ** (1.0 / d))
    centers = rng.uniform(-half_side, half_side, size=(k, d)).astype(dtype)
    X = np.empty((n, d), dtype=dtype)
    labels = np.empty(n, dtype=np.int32)
    for start in range(0, n, chunk_rows):
        stop = min(n, start + chunk_rows)
        lab = rng.integers(0, k, size=stop - start, dtype=np.int32)
        labels[start:stop] = lab
        block = X[start:stop]
        rng.standard_normal(out=block, dtype=dtype)
        block += centers[lab]
    return X, labels


def init_centers(X: np.ndarray, k: int, seed: int = 0) -> np.ndarray:
    """``k`` distinct rows of X chosen at random: the shared initial centres."""
    rng = np.random.default_rng(seed)
    idx = np.sort(rng.choice(X.shape[0], size=k, replace=False))
    return np.ascontiguousarray(X[idx])


# --------------------------------------------------------------------------
# kmeans_fit callables


def _estimator_fit(library: str, algorithm: str) -> Callable[..., FitResult]:
    """A fit from given centres with ``library``'s KMeans (segmint or sklearn)."""

    def fit(X, init_centers, max_iter, tol, copy_x=True):
        if library == "segmint":
            from segmint.kmeans import KMeans
        else:
            from sklearn.cluster import KMeans

        km = KMeans(
            n_clusters=init_centers.shape[0],
            init=init_centers,
            n_init=1,
            max_iter=max_iter,
            tol=tol,
            algorithm=algorithm,
            copy_x=copy_x,
        ).fit(X)
        history = getattr(km, "history_", None)
        step_s = (
            sum(history.time_s) / max(1, len(history)) if history is not None else None
        )
        return FitResult(
            km.labels_,
            km.cluster_centers_,
            float(km.inertia_),
            int(km.n_iter_),
            step_s,
        )

    fit.__name__ = f"{library}_{algorithm}"
    return fit


def _segmint_fit(algorithm: str) -> Callable[..., FitResult]:
    return _estimator_fit("segmint", algorithm)


def _sklearn_fit(algorithm: str) -> Callable[..., FitResult]:
    return _estimator_fit("sklearn", algorithm)


def _segmint_probe(algorithm: str) -> Callable[[], None]:
    def probe():
        X, _ = make_blobs(64, 2, 2, separation="separated", seed=0)
        _segmint_fit(algorithm)(X, init_centers(X, 2), 3, 0.0)

    return probe


def faiss_fit(X, init_centers, max_iter, tol=None, copy_x=True) -> FitResult:
    """faiss-cpu K-means on every point, from ``init_centers``.

    faiss computes in float32 (float64 input is converted inside the timed
    call, as it would be for a user), has no tolerance (``tol`` is ignored:
    exactly ``max_iter`` iterations run), and by default trains on a sample of
    at most 256 points per centroid: ``max_points_per_centroid=n`` turns the
    sampling off. The final labels and inertia come from one more assignment
    against the final centroids, as scikit-learn's final E-step.
    """
    import faiss

    n, d = X.shape
    k = init_centers.shape[0]
    x = np.ascontiguousarray(X, dtype=np.float32)
    km = faiss.Kmeans(
        d,
        k,
        niter=int(max_iter),
        max_points_per_centroid=n,
        min_points_per_centroid=1,
        seed=0,
        verbose=False,
    )
    km.train(x, init_centroids=np.ascontiguousarray(init_centers, dtype=np.float32))
    index = km.index
    if index.ntotal != k:  # faiss versions differ in leaving centroids there
        index = faiss.IndexFlatL2(d)
        index.add(km.centroids)
    dist, idx = index.search(x, 1)
    return FitResult(
        idx[:, 0], km.centroids, float(dist.sum(dtype=np.float64)), int(max_iter)
    )


# --------------------------------------------------------------------------
# kmeans_plusplus callables


def segmint_kmeans_plusplus(X, n_clusters, random_state):
    from segmint.seeding import kmeans_plusplus

    return kmeans_plusplus(X, n_clusters, random_state=random_state)


def sklearn_kmeans_plusplus(X, n_clusters, random_state):
    from sklearn.cluster import kmeans_plusplus

    return kmeans_plusplus(X, n_clusters, random_state=random_state)


def _segmint_plusplus_probe():
    X, _ = make_blobs(64, 2, 2, seed=0)
    segmint_kmeans_plusplus(X, 2, 0)


# --------------------------------------------------------------------------
# the registry

#: segmint's ``KMeans(algorithm=...)`` values, in the order tables show them.
SEGMINT_ALGORITHMS = ("lloyd", "auto", "elkan", "hamerly", "yinyang")


def _fit_entries() -> dict[str, Entry]:
    entries = {}
    for algorithm in SEGMINT_ALGORITHMS:
        name = f"segmint_{algorithm}"
        entries[name] = Entry(
            name=name,
            library="segmint",
            label=f"segmint {algorithm}",
            func=_segmint_fit(algorithm),
            module="segmint.kmeans",
            algorithm=algorithm,
            probe=_segmint_probe(algorithm),
        )
    for algorithm in ("lloyd", "elkan"):
        name = f"sklearn_{algorithm}"
        entries[name] = Entry(
            name=name,
            library="sklearn",
            label=f"sklearn {algorithm}",
            func=_sklearn_fit(algorithm),
            module="sklearn.cluster",
            algorithm=algorithm,
        )
    entries["faiss"] = Entry(
        name="faiss",
        library="faiss",
        label="faiss",
        func=faiss_fit,
        module="faiss",
        fixed_iterations=True,
        float32_only=True,
    )
    return entries


COMPARISONS: dict[str, dict[str, Entry]] = {
    "kmeans_fit": _fit_entries(),
    "kmeans_plusplus": {
        "segmint": Entry(
            name="segmint",
            library="segmint",
            label="segmint",
            func=segmint_kmeans_plusplus,
            module="segmint.seeding",
            probe=_segmint_plusplus_probe,
        ),
        "sklearn": Entry(
            name="sklearn",
            label="sklearn",
            library="sklearn",
            func=sklearn_kmeans_plusplus,
            module="sklearn.cluster",
        ),
    },
}

#: The reference every other fit is checked against (inertia agreement).
REFERENCE = {"kmeans_fit": "sklearn_lloyd", "kmeans_plusplus": "sklearn"}


def available(task: str) -> dict[str, Entry]:
    """The entries of ``task`` that can run in this environment."""
    return {n: e for n, e in COMPARISONS[task].items() if e.available()}


def inertia_rtol(dtype, entry: Entry | None = None) -> float:
    """Relative tolerance for "inertias agree": 1e-6 in float64, 1e-4 in
    float32 (and for libraries that compute in float32 whatever the input).

    Two exact K-means from the same init follow the same trajectory; in
    float64 only summation order differs (~1e-12 relative), but over tens of
    iterations a point lying almost exactly between two centres can switch,
    which moves the inertia by about one point's share, hence 1e-6. float32
    sums of 10^6 terms carry ~1e-5 relative error.
    """
    if np.dtype(dtype) == np.float32 or (entry is not None and entry.float32_only):
        return 1e-4
    return 1e-6
