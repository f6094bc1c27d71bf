"""k-means++ seeding (Arthur & Vassilvitskii, 2007), greedy variant."""

from numbers import Integral

import numpy as np
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, validate_params
from sklearn.utils.validation import _check_sample_weight, check_array

from segmint._config import CHUNK_SIZE
from segmint._kernels import seeding as _seed
from segmint._parallel import threads_for


@validate_params(
    {
        "X": ["array-like"],
        "n_clusters": [Interval(Integral, 1, None, closed="left")],
        "sample_weight": ["array-like", None],
        "x_squared_norms": ["array-like", None],
        "random_state": ["random_state"],
        "n_local_trials": [Interval(Integral, 1, None, closed="left"), None],
    },
    prefer_skip_nested_validation=True,
)
def kmeans_plusplus(
    X,
    n_clusters,
    *,
    sample_weight=None,
    x_squared_norms=None,
    random_state=None,
    n_local_trials=None,
):
    """Initial centres by greedy k-means++.

    The same algorithm, arguments and random stream as
    :func:`sklearn.cluster.kmeans_plusplus`: for float64 input and the same
    ``random_state`` it returns the same indices (up to floating-point
    ties). For float32 input the potential is still summed in float64,
    whereas scikit-learn sums it in float32, so its draws can land on
    different rows; both draw from the same D^2 distribution.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        The data to pick seeds from. float32 input stays float32.
    n_clusters : int
        The number of centres to pick.
    sample_weight : array-like of shape (n_samples,), default=None
        Weights of the rows; a row is drawn with probability proportional
        to its weight times its squared distance to the nearest centre.
    x_squared_norms : array-like of shape (n_samples,), default=None
        Accepted for compatibility with scikit-learn. segmint measures exact
        squared distances ``||x - c||^2`` and does not need the norms; when
        given, only their shape is checked.
    random_state : int, RandomState instance or None, default=None
        Seed for the draws. Pass an int for reproducible output.
    n_local_trials : int, default=None
        Candidates drawn for each centre after the first; the one that
        lowers the potential most is kept. ``None`` means
        ``2 + int(log(n_clusters))``.

    Returns
    -------
    centers : ndarray of shape (n_clusters, n_features)
        The initial centres, of the dtype of X (float32 or float64).
    indices : ndarray of shape (n_clusters,)
        Row of X each centre was taken from: ``X[indices[i]] == centers[i]``.

    Notes
    -----
    D. Arthur and S. Vassilvitskii, "k-means++: the advantages of careful
    seeding", SODA 2007; the greedy choice among ``2 + log k`` candidates is
    from its conclusion. Each new centre costs one pass over X that measures
    all candidates at once; the potential is summed per chunk of rows so a
    draw does not need a cumulative sum over all rows.

    Examples
    --------
    >>> import numpy as np
    >>> from segmint import kmeans_plusplus
    >>> X = np.array([[1, 2], [1, 4], [1, 0], [10, 2], [10, 4], [10, 0]])
    >>> centers, indices = kmeans_plusplus(X, n_clusters=2, random_state=0)
    >>> centers
    array([[10.,  2.],
           [ 1.,  0.]])
    >>> indices
    array([3, 2])
    """
    X = check_array(X, dtype=[np.float64, np.float32], order="C")
    sample_weight = _validate_sample_weight(sample_weight, X)
    if X.shape[0] < n_clusters:
        raise ValueError(
            f"n_samples={X.shape[0]} should be >= n_clusters={n_clusters}."
        )
    if x_squared_norms is not None:
        x_squared_norms = check_array(x_squared_norms, ensure_2d=False)
        if x_squared_norms.shape[0] != X.shape[0]:
            raise ValueError(
                f"The length of x_squared_norms {x_squared_norms.shape[0]} should "
                f"be equal to the length of n_samples {X.shape[0]}."
            )
    _check_positive_total_weight(sample_weight)
    random_state = check_random_state(random_state)
    with threads_for(X.shape[0] * X.shape[1] * n_clusters):
        return _kmeans_plusplus(
            X, n_clusters, sample_weight, random_state, n_local_trials
        )


def _validate_sample_weight(sample_weight, X):
    """Weights as a C-contiguous array of X's dtype; refuse negative ones."""
    sample_weight = _check_sample_weight(sample_weight, X, dtype=X.dtype)
    negative = sample_weight < 0
    if negative.any():
        raise ValueError(
            f"sample_weight has {int(negative.sum())} negative value(s) (the "
            f"smallest is {sample_weight.min()!r}); weights must be >= 0. Give "
            "rows you want ignored a weight of 0."
        )
    return np.ascontiguousarray(sample_weight)


def _check_positive_total_weight(sample_weight):
    if not sample_weight.sum() > 0:
        raise ValueError(
            "sample_weight sums to zero: give at least one row a positive weight."
        )


def _kmeans_plusplus(X, n_clusters, sample_weight, random_state, n_local_trials=None):
    """Guts of :func:`kmeans_plusplus`; X, weights and the RNG are validated."""
    n_samples, n_features = X.shape
    if n_local_trials is None:
        n_local_trials = 2 + int(np.log(n_clusters))
    n_chunks = -(-n_samples // CHUNK_SIZE)

    centers = np.empty((n_clusters, n_features), dtype=X.dtype)
    indices = np.full(n_clusters, -1, dtype=np.intp)

    # The first centre is drawn exactly as scikit-learn draws it, so the
    # random stream (and hence every later draw) stays in step with it.
    first = random_state.choice(n_samples, p=sample_weight / sample_weight.sum())
    centers[0] = X[first]
    indices[0] = first

    closest = np.full(n_samples, np.inf, dtype=X.dtype)
    chunk_pot = np.empty(n_chunks, dtype=np.float64)
    _seed.update_closest(X, centers[0], sample_weight, closest, chunk_pot)
    current_pot = float(chunk_pot.sum())

    # The winner of each round is folded into ``closest`` lazily, during the
    # next round's pass over X; ``pending`` holds it until then.
    pending = centers[0].copy()
    trial_pot = np.empty((n_local_trials, n_chunks), dtype=np.float64)
    candidates = np.empty(n_local_trials, dtype=np.int64)
    for c in range(1, n_clusters):
        targets = random_state.uniform(size=n_local_trials) * current_pot
        _seed.draw_rows(
            targets, X, pending, sample_weight, closest, chunk_pot, candidates
        )
        _seed.trial_potentials(
            X, pending, candidates, sample_weight, closest, trial_pot
        )
        # Fixed-order sums over chunks: the choice does not depend on threads.
        pots = trial_pot.sum(axis=1)
        best = int(np.argmin(pots))
        current_pot = float(pots[best])
        chunk_pot[:] = trial_pot[best]
        pending[:] = X[candidates[best]]
        centers[c] = X[candidates[best]]
        indices[c] = candidates[best]
    return centers, indices
