"""Every K-means variant against plain Lloyd (bit for bit) and scikit-learn."""

import numba
import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.cluster import KMeans as SkKMeans

from segmint import KMeans
from segmint.kmeans import _auto_algorithm, _StepChooser

VARIANTS = ["hamerly", "elkan", "yinyang", "auto"]
DTYPES = [np.float32, np.float64]


def _blobs(rng, n, d, k, spread, dtype):
    means = rng.normal(size=(k, d))
    X = means[rng.integers(0, k, n)] + spread * rng.normal(size=(n, d))
    return np.ascontiguousarray(X, dtype=dtype)


def _fit(X, init, algorithm, max_iter=100, tol=0.0, **kw):
    k = init.shape[0]
    return KMeans(
        k, init=init, n_init=1, max_iter=max_iter, tol=tol, algorithm=algorithm, **kw
    ).fit(X)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize(
    "n,d,k,spread",
    [(3000, 2, 5, 1.0), (2000, 7, 30, 0.1), (1200, 12, 40, 0.3), (1500, 33, 12, 0.5)],
)
def test_variant_identical_to_lloyd(rng, dtype, variant, n, d, k, spread):
    X = _blobs(rng, n, d, k, spread, dtype)
    init = X[rng.choice(n, k, replace=False)].copy()
    ref = _fit(X, init, "lloyd")
    got = _fit(X, init, variant)
    # Exact variants: same labels, same float64 sums in the same order, so
    # bit-identical centres and the same iteration count and inertia.
    assert got.n_iter_ == ref.n_iter_
    assert_array_equal(got.labels_, ref.labels_)
    assert_array_equal(got.cluster_centers_, ref.cluster_centers_)
    assert got.inertia_ == ref.inertia_
    # Every iteration, not only the last: inertia and changes per iteration.
    assert got.history_.inertia == ref.history_.inertia
    assert got.history_.n_changed == ref.history_.n_changed
    assert got.cluster_centers_.dtype == dtype


@pytest.mark.parametrize("dtype", DTYPES)
def test_every_iteration_matches_lloyd_by_max_iter_sweep(rng, dtype):
    X = _blobs(rng, 1200, 4, 9, 0.4, dtype)
    init = X[:9].copy()
    for max_iter in range(1, 8):
        ref = _fit(X, init, "lloyd", max_iter=max_iter)
        got = _fit(X, init, "hamerly", max_iter=max_iter)
        assert_array_equal(got.cluster_centers_, ref.cluster_centers_)
        assert_array_equal(got.labels_, ref.labels_)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("algorithm", ["lloyd", "hamerly"])
def test_matches_sklearn(rng, dtype, algorithm):
    X = _blobs(rng, 2500, 6, 15, 0.3, dtype)
    init = X[rng.choice(len(X), 15, replace=False)].copy()
    ours = _fit(X, init, algorithm, max_iter=300, tol=1e-4)
    sk = SkKMeans(15, init=init, n_init=1, max_iter=300, tol=1e-4).fit(X)
    assert_array_equal(ours.labels_, sk.labels_)
    assert ours.n_iter_ == sk.n_iter_
    # float64: same sums up to summation order (1e-9). float32: scikit-learn
    # sums in float32 per thread chunk, we in float64, so centres differ by
    # float32 rounding of sums of ~2500 terms (1e-5 relative).
    rtol = 1e-9 if dtype == np.float64 else 1e-5
    assert_allclose(ours.cluster_centers_, sk.cluster_centers_, rtol=rtol, atol=rtol)
    assert_allclose(ours.inertia_, sk.inertia_, rtol=rtol)


def test_with_sample_weight_and_empty_cluster(rng):
    X = _blobs(rng, 800, 3, 4, 0.2, np.float64)
    w = rng.uniform(0.1, 3.0, size=len(X))
    # A centre far from every point forces an empty-cluster relocation.
    init = np.vstack([X[:3], np.full((1, 3), 100.0)])
    ref = KMeans(4, init=init, n_init=1, algorithm="lloyd").fit(X, sample_weight=w)
    got = KMeans(4, init=init, n_init=1, algorithm="hamerly").fit(X, sample_weight=w)
    assert sum(ref.history_.n_empty) >= 1
    assert_array_equal(got.labels_, ref.labels_)
    assert_array_equal(got.cluster_centers_, ref.cluster_centers_)
    assert got.history_.n_empty == ref.history_.n_empty


def test_duplicate_points_and_ties():
    # Rows equidistant from two centres: ties go to the lowest index in
    # every variant.
    X = np.array([[0.0, 0.0]] * 5 + [[2.0, 0.0]] * 5 + [[1.0, 0.0]] * 3)
    init = np.array([[0.0, 0.0], [2.0, 0.0]])
    ref = _fit(X, init, "lloyd")
    got = _fit(X, init, "hamerly")
    assert_array_equal(got.labels_, ref.labels_)
    assert_array_equal(ref.labels_[-3:], [0, 0, 0])


def test_pruning_skips_distances(rng):
    X = _blobs(rng, 4000, 5, 20, 0.02, np.float64)
    init = X[rng.choice(len(X), 20, replace=False)].copy()
    ref = _fit(X, init, "lloyd")
    got = _fit(X, init, "hamerly")
    n, k = X.shape[0], 20
    assert ref.history_.n_distances == [n * k] * ref.n_iter_
    # First iteration has no bounds yet: n*k. Afterwards well-separated
    # clusters let most rows skip the k - 1 other centres.
    assert got.history_.n_distances[0] == n * k
    assert got.history_.n_distances[-1] < 0.2 * n * k


@pytest.mark.parametrize("dtype", DTYPES)
def test_thread_independent(rng, dtype, force_parallel):
    X = _blobs(rng, 5000, 5, 12, 0.5, dtype)
    init = X[:12].copy()
    before = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        one = _fit(X, init, "hamerly")
        numba.set_num_threads(min(2, numba.config.NUMBA_NUM_THREADS))
        two = _fit(X, init, "hamerly")
    finally:
        numba.set_num_threads(before)
    assert_array_equal(one.labels_, two.labels_)
    assert_array_equal(one.cluster_centers_, two.cluster_centers_)
    assert one.inertia_ == two.inertia_
    assert one.history_.n_distances == two.history_.n_distances


def test_single_cluster_hamerly(rng):
    X = _blobs(rng, 300, 3, 2, 1.0, np.float64)
    got = _fit(X, X[:1].copy(), "hamerly")
    assert_allclose(got.cluster_centers_[0], X.mean(axis=0), rtol=1e-12, atol=1e-12)


def test_auto_rule():
    lloyd = [(10_000, 8, 1), (10_000, 2, 2), (10**9, 8, 8), (500, 8, 32)]
    lloyd += [(10_000, 9, 2), (10_000, 16, 16), (10**9, 12, 8)]
    for shape in lloyd:
        assert _auto_algorithm(*shape) == "lloyd"
    for shape in [(10_000, 9, 17), (10_000, 16, 64), (10**9, 2, 33), (50, 16, 17)]:
        assert _auto_algorithm(*shape) == "adaptive"
    for shape in [(10_000, 8, 256), (10_000, 32, 8), (10**9, 128, 64)]:
        assert _auto_algorithm(*shape) == "hamerly"


class _ScriptedChooser:
    """A step chooser whose steps 'take' scripted times (no real clock)."""

    def __init__(self, costs):
        self.costs = costs  # (kind, n_steps_so_far) -> seconds

    def __call__(self):
        costs = self.costs
        steps = []

        class Chooser(_StepChooser):
            def record(self, kind, incremental, seconds):
                steps.append(kind)
                super().record(kind, incremental, costs(kind, len(steps)))

        return Chooser()


H, D, L = "hamerly", "dense", "lloyd"


@pytest.mark.parametrize(
    "scenario,expected",
    [
        # Plain steps cheaper: one Hamerly step, a dense probe, plain steps,
        # Hamerly's tried again (through a dense step) after 4, then 8.
        ("plain", [H, D, L, L, L, L, D, H, L, L, L, L, L, L, L, L, D, H]),
        # Hamerly's cheaper: plain steps probed (dense) after 4, then 8.
        ("hamerly", [H, D, H, H, H, H, D, H, H, H, H, H, H, H, H, D, H]),
        # Plain steps cheaper at first, Hamerly's once the clusters settle.
        ("flip", [H, D, L, L, L, L, D, H, L, L, L, L, L, L, L, L, D, H, H, H, H]),
    ],
)
@pytest.mark.parametrize("dtype", DTYPES)
def test_adaptive_steps_identical_to_lloyd(rng, monkeypatch, dtype, scenario, expected):
    from segmint import kmeans

    def costs(kind, step):
        if scenario == "plain":
            return 2.0 if kind == H else 1.0
        if scenario == "hamerly":
            return 1.0 if kind == H else 2.0
        # Hamerly's steps are timed at the 2nd, 9th and 19th step of the fit
        # (one full step first): dearer at the first two, cheaper at the third.
        return (3.0 if step < 15 else 0.5) if kind == H else 1.0

    monkeypatch.setattr(kmeans, "_StepChooser", _ScriptedChooser(costs))
    # This small shape runs plain steps alone; make it adaptive.
    monkeypatch.setattr(kmeans, "AUTO_LLOYD_SHAPES", ())
    X = _blobs(rng, 3000, 3, 6, 0.8, dtype)
    init = X[rng.choice(len(X), 6, replace=False)].copy()
    ref = _fit(X, init, "lloyd", max_iter=60)
    got = _fit(X, init, "auto", max_iter=60)
    assert _auto_algorithm(*X.shape, 6) == "adaptive"
    # Whatever the kinds of step, the same bits as plain Lloyd.
    assert got.n_iter_ == ref.n_iter_ >= 24
    assert_array_equal(got.labels_, ref.labels_)
    assert_array_equal(got.cluster_centers_, ref.cluster_centers_)
    assert got.inertia_ == ref.inertia_
    assert got.history_.inertia == ref.history_.inertia
    assert got.history_.n_changed == ref.history_.n_changed
    # The full steps at the start run dense (no preference yet); then the
    # incremental steps follow the chooser's schedule.
    steps = got.history_.step
    first = steps.index(H)
    assert 1 <= first <= 4 and set(steps[:first]) == {D}
    assert steps[first : first + len(expected)] == expected
    n = len(X) * 6
    for kind, n_dist in zip(steps, got.history_.n_distances, strict=True):
        assert (n_dist == n) if kind != H else (n_dist < n)


def test_unknown_algorithm_rejected():
    with pytest.raises(ValueError, match="algorithm"):
        KMeans(2, algorithm="fast").fit(np.zeros((4, 2)))


def test_elkan_falls_back_to_hamerly_when_bounds_do_not_fit(rng, monkeypatch):
    from segmint import kmeans

    X = _blobs(rng, 1000, 3, 6, 0.3, np.float64)
    init = X[:6].copy()
    ham = _fit(X, init, "hamerly")
    elk = _fit(X, init, "elkan")
    monkeypatch.setattr(kmeans, "ELKAN_MAX_BOUND_BYTES", 0)
    fallback = _fit(X, init, "elkan")
    assert_array_equal(fallback.cluster_centers_, elk.cluster_centers_)
    # Elkan's per-centre bounds prune differently from Hamerly's single one.
    assert fallback.history_.n_distances == ham.history_.n_distances
    assert elk.history_.n_distances != ham.history_.n_distances


def test_yinyang_groups_partition_the_centres(rng):
    from segmint.kmeans import _yinyang_groups

    centers = rng.normal(size=(37, 4))
    start, members = _yinyang_groups(centers, 3)
    assert start[0] == 0 and start[-1] == 37
    assert np.all(np.diff(start) > 0)
    assert_array_equal(np.sort(members), np.arange(37))


@pytest.mark.parametrize("algorithm", ["lloyd", "hamerly"])
def test_history_inertia_of_incremental_steps(rng, algorithm):
    # Late iterations add only the rows that moved and take the inertia from
    # the running totals; it must equal the inertia from the distances.
    X = _blobs(rng, 4000, 3, 6, 0.8, np.float64) + 5.0
    init = X[:6].copy()
    long = _fit(X, init, algorithm, max_iter=40)
    assert long.n_iter_ > 6
    moves = np.array(long.history_.n_changed)
    assert np.any(4 * moves[1:] <= X.shape[0])  # some steps were incremental
    for t in range(1, long.n_iter_ - 1):
        # centres after t updates: those of a fit stopped after t iterations
        short = _fit(X, init, algorithm, max_iter=t)
        assert_allclose(long.history_.inertia[t], short.inertia_, rtol=1e-10)


@pytest.mark.parametrize("variant", VARIANTS)
def test_identical_to_lloyd_when_stopped_by_tol_or_max_iter(rng, variant):
    # Runs that end without strict convergence finish with one more full
    # step of their own variant: the same labels and the same inertia bits.
    X = _blobs(rng, 3000, 3, 7, 0.6, np.float64)
    init = X[:7].copy()
    for kw in ({"max_iter": 4}, {"tol": 1e-3}):
        ref = _fit(X, init, "lloyd", **kw)
        got = _fit(X, init, variant, **kw)
        assert got.n_iter_ == ref.n_iter_
        assert_array_equal(got.labels_, ref.labels_)
        assert_array_equal(got.cluster_centers_, ref.cluster_centers_)
        assert got.inertia_ == ref.inertia_
