"""MiniBatchKMeans, fit_chunks and predict_chunks against scikit-learn and NumPy."""

import io
import itertools

import numba
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.cluster import MiniBatchKMeans as SkMiniBatchKMeans
from sklearn.utils._param_validation import InvalidParameterError
from sklearn.utils.estimator_checks import parametrize_with_checks
from threadpoolctl import threadpool_limits

from segmint import KMeans, MiniBatchKMeans, fit_chunks, predict_chunks
from segmint import minibatch as mb_module
from segmint._kernels import minibatch as mb_kernels


def blobs(n, d, k, seed, dtype=np.float64, spread=1.0):
    """k unit-variance Gaussian blobs, centres uniform in a cube of half-side 5."""
    rng = np.random.default_rng(seed)
    centers = rng.uniform(-5 * spread, 5 * spread, size=(k, d))
    labels = rng.integers(0, k, size=n)
    return (centers[labels] + rng.standard_normal((n, d))).astype(dtype)


# ---------------------------------------------------------------------------
# scikit-learn's estimator checks (same construction as scikit-learn's own
# test of MiniBatchKMeans, with its one listed expected failure)


@parametrize_with_checks(
    [MiniBatchKMeans(n_init=2, n_clusters=2, max_iter=5, batch_size=10)],
    expected_failed_checks=lambda est: {
        "check_sample_weight_equivalence_on_dense_data": (
            "sample_weight is not equivalent to removing/repeating samples."
        )
    },
)
def test_sklearn_compatible(estimator, check):
    check(estimator)


# ---------------------------------------------------------------------------
# the kernel against a NumPy reference


def naive_step(X, indices, w, centers, counts):
    """One mini-batch step in plain NumPy, float64 (Sculley 2010 / sklearn)."""
    Xb = X[indices].astype(np.float64)
    c = centers.astype(np.float64)
    d2 = ((Xb[:, None, :] - c[None, :, :]) ** 2).sum(axis=2)
    labels = d2.argmin(axis=1)
    inertia = float((w * d2[np.arange(len(labels)), labels]).sum())
    new = c.copy()
    counts = counts.copy()
    for j in range(c.shape[0]):
        mask = labels == j
        wsum = w[mask].sum()
        if wsum > 0:
            new[j] = (c[j] * counts[j] + (w[mask, None] * Xb[mask]).sum(0)) / (
                counts[j] + wsum
            )
            counts[j] += wsum
    return labels, new, counts, inertia


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", [(1, 3, 1), (700, 5, 7), (3000, 17, 40)])
def test_kernel_matches_numpy(dtype, shape, global_random_seed):
    batch, d, k = shape
    rng = np.random.default_rng(global_random_seed)
    X = rng.normal(size=(5000, d)).astype(dtype)
    indices = rng.integers(0, 5000, size=batch)
    w = rng.uniform(0.5, 2.0, size=batch).astype(dtype)
    centers = X[rng.choice(5000, k, replace=False)].copy()
    counts = rng.integers(0, 5, size=k).astype(np.float64)
    ref_labels, ref_centers, ref_counts, ref_inertia = naive_step(
        X, indices, w.astype(np.float64), centers, counts
    )

    bufs = mb_module._StepBuffers(batch, k, d)
    new = np.empty_like(centers)
    got_counts = counts.copy()
    mb_kernels.minibatch_step(
        X,
        indices,
        w,
        centers,
        new,
        got_counts,
        bufs.labels,
        bufs.block_sums,
        bufs.block_weights,
        bufs.block_inertia,
        bufs.result,
    )
    assert new.dtype == dtype
    # float64: only summation order differs. float32: the assignment uses
    # 0.5|c|^2 - x.c in float32, which may flip a near-tie, and centres are
    # rounded to float32 (~6e-8 relative).
    rtol = 1e-10 if dtype == np.float64 else 2e-5
    if dtype == np.float64:
        np.testing.assert_array_equal(bufs.labels, ref_labels)
    else:
        assert np.mean(bufs.labels == ref_labels) > 0.99
        keep = np.array(
            [np.array_equal(bufs.labels == j, ref_labels == j) for j in range(k)]
        )
        np.testing.assert_allclose(new[keep], ref_centers[keep], rtol=rtol, atol=1e-5)
        return
    np.testing.assert_allclose(new, ref_centers, rtol=rtol, atol=1e-12)
    np.testing.assert_allclose(got_counts, ref_counts, rtol=1e-12)
    assert bufs.result[0] == pytest.approx(ref_inertia, rel=rtol)
    shift = float(((new.astype(np.float64) - centers) ** 2).sum())
    assert bufs.result[1] == pytest.approx(shift, rel=1e-9, abs=1e-12)
    assert bufs.result[2] == got_counts.min()
    assert bufs.result[3] == got_counts.max()


# ---------------------------------------------------------------------------
# the same as scikit-learn


def test_docstring_example_matches_sklearn():
    rows = [[1, 2], [1, 4], [1, 0], [4, 2], [4, 0], [4, 4]]
    rows += [[4, 5], [0, 1], [2, 2], [3, 2], [5, 5], [1, -1]]
    X = np.array(rows, dtype=np.float64)
    ours = MiniBatchKMeans(n_clusters=2, random_state=0, batch_size=6)
    theirs = SkMiniBatchKMeans(n_clusters=2, random_state=0, batch_size=6)
    for est in (ours, theirs):
        est.partial_fit(X[0:6]).partial_fit(X[6:12])
    # Same seed, same k-means++ draws, same update: equal up to rounding.
    np.testing.assert_allclose(ours.cluster_centers_, theirs.cluster_centers_)
    np.testing.assert_array_equal(ours.labels_, theirs.labels_)
    assert ours.inertia_ == pytest.approx(theirs.inertia_, rel=1e-12)
    assert ours.n_steps_ == theirs.n_steps_ == 2


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_partial_fit_matches_sklearn(dtype, global_random_seed):
    X = blobs(3000, 6, 5, global_random_seed, dtype)
    init = X[:5].copy()
    params = dict(n_clusters=5, init=init, n_init=1, reassignment_ratio=0.0)
    ours, theirs = MiniBatchKMeans(**params), SkMiniBatchKMeans(**params)
    rng = np.random.default_rng(global_random_seed)
    w = rng.uniform(0.5, 2, size=X.shape[0]).astype(dtype)
    for start in range(0, 3000, 500):
        sl = slice(start, start + 500)
        ours.partial_fit(X[sl], sample_weight=w[sl])
        theirs.partial_fit(X[sl], sample_weight=w[sl])
    # float64: the update is the same formula, evaluated in another order
    # (sums of 500 rows): 1e-10. float32: scikit-learn keeps sums and counts
    # in float32, segmint in float64, so they drift by float32 rounding.
    rtol = 1e-10 if dtype == np.float64 else 1e-4
    np.testing.assert_allclose(
        ours.cluster_centers_, theirs.cluster_centers_, rtol=rtol, atol=rtol
    )
    np.testing.assert_allclose(ours.counts_, theirs._counts, rtol=rtol)
    assert ours.cluster_centers_.dtype == dtype
    np.testing.assert_array_equal(ours.predict(X), theirs.predict(X))


def test_attributes_like_sklearn():
    X = blobs(5000, 4, 3, 0)
    ours = MiniBatchKMeans(n_clusters=3, random_state=0, batch_size=256).fit(X)
    with threadpool_limits(limits=1, user_api="openmp"):
        theirs = SkMiniBatchKMeans(n_clusters=3, random_state=0, batch_size=256)
        theirs.fit(X)
    for name in (
        "cluster_centers_",
        "labels_",
        "inertia_",
        "n_iter_",
        "n_steps_",
        "n_features_in_",
    ):
        assert hasattr(ours, name) and hasattr(theirs, name)
        assert np.shape(getattr(ours, name)) == np.shape(getattr(theirs, name))
    assert ours.counts_.shape == (3,)
    assert ours.n_iter_ == int(np.ceil(ours.n_steps_ * 256 / 5000))
    # Early stopping (EWA of the batch inertia) stops both well before the
    # max_iter * n / batch_size = 1953 steps on such easy data.
    assert ours.n_steps_ < 1953 and theirs.n_steps_ < 1953
    assert ours.labels_.dtype == np.int32
    np.testing.assert_array_equal(ours.labels_, ours.predict(X))
    assert ours.inertia_ == pytest.approx(-ours.score(X), rel=1e-12)
    np.testing.assert_allclose(
        ours.transform(X[:5]) ** 2,
        ((X[:5, None] - ours.cluster_centers_[None]) ** 2).sum(-1),
        rtol=1e-10,
    )


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_inertia_close_to_kmeans_and_sklearn(dtype):
    # Overlapping blobs (the hard case for a stochastic method), default
    # parameters, 5 seeds. Early stopping ends both libraries' fits after about
    # two passes, 2-8% above Lloyd's inertia (KMeans, k-means++, run to
    # convergence). Floors: median within 10% of Lloyd's and within 3% of
    # scikit-learn's median (measured: 1.05x and 1.00x).
    X = blobs(30000, 8, 12, 1, dtype, spread=0.5)
    seeds = range(5)
    ours = [MiniBatchKMeans(n_clusters=12, random_state=s).fit(X) for s in seeds]
    # One OpenMP thread for scikit-learn: its 1024-row steps are far slower
    # with two on a shared machine, and the result does not depend on it.
    with threadpool_limits(limits=1, user_api="openmp"):
        theirs = [
            SkMiniBatchKMeans(n_clusters=12, random_state=s).fit(X) for s in seeds
        ]
    lloyd = KMeans(n_clusters=12, random_state=0).fit(X).inertia_
    ours_inertia = np.median([est.inertia_ for est in ours])
    assert ours_inertia <= 1.10 * lloyd
    assert ours_inertia <= 1.03 * np.median([est.inertia_ for est in theirs])


# ---------------------------------------------------------------------------
# fit == the same batches through partial_fit / fit_chunks


def fit_batches(X, seed, n_init_rows, n_steps, batch_size):
    """The batches fit draws: the stream after the validation and init draws."""
    rs = np.random.RandomState(seed)
    rs.randint(0, X.shape[0], n_init_rows)  # validation rows
    rs.randint(0, X.shape[0], n_init_rows)  # init rows (unused with an array)
    return [rs.randint(0, X.shape[0], batch_size) for _ in range(n_steps)]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_partial_fit_over_batches_equals_fit(dtype, global_random_seed):
    X = blobs(4000, 5, 6, global_random_seed, dtype)
    init = X[:6].copy()
    params = dict(
        n_clusters=6,
        init=init,
        batch_size=100,
        max_iter=1,
        reassignment_ratio=0.0,
        max_no_improvement=None,
        random_state=global_random_seed,
    )
    fitted = MiniBatchKMeans(**params).fit(X)
    assert fitted.n_steps_ == 40
    batches = fit_batches(X, global_random_seed, 300, 40, 100)

    stepped = MiniBatchKMeans(**params)
    for idx in batches:
        stepped.partial_fit(X[idx])
    np.testing.assert_array_equal(stepped.cluster_centers_, fitted.cluster_centers_)
    np.testing.assert_array_equal(stepped.counts_, fitted.counts_)
    assert stepped.n_steps_ == fitted.n_steps_

    # fit_chunks cuts any chunking into the same batches of batch_size rows.
    stream = np.concatenate([X[idx] for idx in batches])
    cuts = [0, 37, 37, 250, 1999, 2000, 4000]  # one chunk is empty
    chunked = fit_chunks(
        MiniBatchKMeans(**params), (stream[a:b] for a, b in itertools.pairwise(cuts))
    )
    np.testing.assert_array_equal(chunked.cluster_centers_, fitted.cluster_centers_)
    np.testing.assert_array_equal(chunked.labels_, stepped.labels_)
    assert chunked.n_steps_ == 40


def test_fit_chunks_equals_partial_fit_with_reassignment(global_random_seed):
    # With a random init from the first batch and reassignments on: both
    # paths consume the same random stream in the same order.
    X = blobs(3000, 3, 20, global_random_seed, spread=0.3)
    params = dict(n_clusters=20, batch_size=64, random_state=global_random_seed)
    params["reassignment_ratio"] = 0.5  # forces reassignments
    stepped = MiniBatchKMeans(**params)
    for start in range(0, 3000, 64):
        stepped.partial_fit(X[start : start + 64])
    chunked = fit_chunks(params, (X[a : a + 1000] for a in range(0, 3000, 1000)))
    np.testing.assert_array_equal(chunked.cluster_centers_, stepped.cluster_centers_)
    np.testing.assert_array_equal(chunked.counts_, stepped.counts_)


def test_fit_chunks_pandas_and_pyarrow():
    pd = pytest.importorskip("pandas")
    pa = pytest.importorskip("pyarrow")
    X = blobs(2000, 3, 4, 0)
    df = pd.DataFrame(X, columns=["a", "b", "c"])
    params = dict(n_clusters=4, batch_size=128, random_state=0)
    from_arrays = fit_chunks(params, (X[i : i + 500] for i in range(0, 2000, 500)))
    from_frames = fit_chunks(
        params, (df.iloc[i : i + 500] for i in range(0, 2000, 500))
    )
    table = pa.Table.from_pandas(df, preserve_index=False)
    from_arrow = fit_chunks(params, table.to_batches(max_chunksize=300))
    for est in (from_frames, from_arrow):
        np.testing.assert_array_equal(
            est.cluster_centers_, from_arrays.cluster_centers_
        )
        assert list(est.feature_names_in_) == ["a", "b", "c"]
    # A CSV read in chunks, as a user would.
    buf = io.StringIO()
    df.to_csv(buf, index=False)
    buf.seek(0)
    from_csv = fit_chunks(params, pd.read_csv(buf, chunksize=333))
    np.testing.assert_allclose(
        from_csv.cluster_centers_, from_arrays.cluster_centers_, rtol=1e-12
    )


@pytest.mark.parametrize("defect", ["width", "nan", "names"])
@pytest.mark.parametrize("helper", ["fit", "predict"])
def test_bad_chunk_names_the_chunk(defect, helper):
    pd = pytest.importorskip("pandas")
    X = blobs(400, 3, 2, 0)
    chunks = [X[:100], X[100:200], X[200:300].copy(), X[300:]]
    if defect == "width":
        chunks[2] = chunks[2][:, :2]
        match = r"chunk 2 \(rows 200 to 299.*has 2 features"
    elif defect == "nan":
        chunks[2][5, 1] = np.nan
        match = r"chunk 2 \(rows 200 to 299.*NaN"
    else:
        chunks = [pd.DataFrame(c, columns=["a", "b", "c"]) for c in chunks]
        chunks[2].columns = ["a", "b", "z"]
        match = r"chunk 2 .*feature names"
    if helper == "fit":
        with pytest.raises(ValueError, match=match):
            fit_chunks({"n_clusters": 2, "batch_size": 50}, iter(chunks))
    else:
        good = [c for i, c in enumerate(chunks) if i != 2]
        model = fit_chunks({"n_clusters": 2, "batch_size": 50}, iter(good))
        with pytest.raises(ValueError, match=match):
            predict_chunks(model, iter(chunks))


def test_fit_chunks_bad_arguments():
    with pytest.raises(TypeError, match="MiniBatchKMeans or a dict"):
        fit_chunks([("n_clusters", 2)], [np.zeros((4, 2))])
    with pytest.raises(ValueError, match="chunks was empty"):
        fit_chunks({"n_clusters": 2}, [])


# ---------------------------------------------------------------------------
# predict_chunks outputs


def test_predict_chunks_outputs(tmp_path):
    X = blobs(3000, 4, 5, 3, np.float32)
    model = MiniBatchKMeans(n_clusters=5, random_state=0).fit(X)
    expected = model.predict(X)
    chunks = lambda: (X[i : i + 700] for i in range(0, 3000, 700))  # noqa: E731

    labels, inertia = predict_chunks(model, chunks(), return_inertia=True)
    np.testing.assert_array_equal(labels, expected)
    # float64 sums over chunks vs over all rows: rounding only.
    assert inertia == pytest.approx(-model.score(X), rel=1e-9)

    assert predict_chunks(model, chunks(), out=tmp_path / "labels.npy") == 3000
    np.testing.assert_array_equal(np.load(tmp_path / "labels.npy"), expected)

    assert predict_chunks(model, chunks(), out=str(tmp_path / "labels.csv")) == 3000
    csv = np.loadtxt(tmp_path / "labels.csv", skiprows=1, dtype=np.int32)
    np.testing.assert_array_equal(csv, expected)

    out = np.lib.format.open_memmap(
        tmp_path / "mm.npy", mode="w+", dtype=np.int32, shape=(3000,)
    )
    assert predict_chunks(model, chunks(), out=out) == 3000
    np.testing.assert_array_equal(out, expected)
    with pytest.raises(ValueError, match="out has 100 rows"):
        predict_chunks(model, chunks(), out=np.empty(100, dtype=np.int32))

    text = io.StringIO()
    predict_chunks(model, chunks(), out=text)
    assert text.getvalue().splitlines()[:3] == ["label", *map(str, expected[:2])]


# ---------------------------------------------------------------------------
# threads, dtypes, memmaps


@pytest.mark.parametrize("batch_size", [1024, 40000])  # one-thread and parallel steps
def test_same_bits_at_one_and_two_threads(batch_size):
    X = blobs(50000, 16, 8, 0, np.float32)
    assert (batch_size * 8 * 16 >= mb_module._PARALLEL_MIN_WORK) == (batch_size > 1024)
    results = []
    before = numba.get_num_threads()
    try:
        for threads in (1, 2):
            numba.set_num_threads(min(threads, numba.config.NUMBA_NUM_THREADS))
            est = MiniBatchKMeans(
                n_clusters=8, batch_size=batch_size, max_iter=3, random_state=0
            ).fit(X)
            results.append(est)
    finally:
        numba.set_num_threads(before)
    a, b = results
    np.testing.assert_array_equal(a.cluster_centers_, b.cluster_centers_)
    np.testing.assert_array_equal(a.labels_, b.labels_)
    assert a.inertia_ == b.inertia_
    assert a.n_steps_ == b.n_steps_


@pytest.mark.parametrize("tol", [0.0, 1e-3])
def test_memmap_streams_and_matches_in_memory(tmp_path, monkeypatch, tol):
    X = blobs(20000, 6, 5, 4, np.float32)
    path = tmp_path / "X.dat"
    mm = np.memmap(path, dtype=np.float32, mode="w+", shape=X.shape)
    mm[:] = X
    mm.flush()
    del mm
    X_map = np.memmap(path, dtype=np.float32, mode="r", shape=X.shape)
    # Release the mapped pages every 64 KiB so that the release path runs.
    monkeypatch.setattr(mb_module, "_MAPPED_BUDGET", 1 << 16)
    monkeypatch.setattr(mb_module, "_STREAM_ROWS", 1 << 10)
    released = []
    orig = mb_module._PageReleaser.release
    monkeypatch.setattr(
        mb_module._PageReleaser,
        "release",
        lambda self: (released.append(self.active), orig(self))[1],
    )
    reads = []
    orig_read = mb_module._RowReader.take
    monkeypatch.setattr(
        mb_module._RowReader,
        "take",
        lambda self, *a, **k: (reads.append(self.active), orig_read(self, *a, **k))[1],
    )
    params = dict(n_clusters=5, batch_size=512, random_state=0, tol=tol)
    on_disk = MiniBatchKMeans(**params).fit(X_map)
    in_memory = MiniBatchKMeans(**params).fit(X)
    assert any(released)
    # Batches, validation and init rows of the memmap were read by pread.
    assert reads[: on_disk.n_steps_ + 2] == [True] * (on_disk.n_steps_ + 2)
    np.testing.assert_array_equal(on_disk.cluster_centers_, in_memory.cluster_centers_)
    np.testing.assert_array_equal(on_disk.labels_, in_memory.labels_)
    assert on_disk.inertia_ == in_memory.inertia_
    assert on_disk.cluster_centers_.dtype == np.float32
    np.testing.assert_array_equal(np.asarray(X_map), X)  # not modified

    # A map that starts at an offset into the file, sliced: rows are read at
    # the right positions.
    with open(tmp_path / "offset.dat", "wb") as f:
        f.write(b"header!!" * 3)
        f.write(X.tobytes())
    X_off = np.memmap(
        tmp_path / "offset.dat", dtype=np.float32, mode="r", offset=24, shape=X.shape
    )[1000:]
    sliced = MiniBatchKMeans(**params).fit(X_off)
    np.testing.assert_array_equal(
        sliced.cluster_centers_,
        MiniBatchKMeans(**params).fit(X[1000:]).cluster_centers_,
    )

    bad = np.memmap(tmp_path / "bad.dat", dtype=np.float64, mode="w+", shape=(3000, 2))
    bad[2500, 1] = np.inf
    with pytest.raises(ValueError, match="Input X contains infinity"):
        MiniBatchKMeans(n_clusters=2).fit(bad)


def test_row_reader_reports_short_reads(tmp_path):
    X = np.arange(40, dtype=np.float64).reshape(10, 4)
    X.tofile(tmp_path / "rows.dat")
    X_map = np.memmap(tmp_path / "rows.dat", dtype=np.float64, mode="r", shape=(10, 4))
    reader = mb_module._RowReader(X_map, np.asarray(X_map))
    try:
        assert reader.active
        np.testing.assert_array_equal(
            reader.take(X_map, np.array([9, 0, 9])), X[[9, 0, 9]]
        )
        with pytest.raises(
            OSError, match="could not read row 10 of the memory-mapped X"
        ):
            reader.take(X_map, np.array([1, 10]))
    finally:
        reader.close()
    # Copy-on-write maps are read through the map (pread would miss changes).
    cow = np.memmap(tmp_path / "rows.dat", dtype=np.float64, mode="c", shape=(10, 4))
    assert not mb_module._RowReader(cow, np.asarray(cow)).active


def test_float32_stays_float32():
    X = blobs(3000, 4, 3, 0, np.float32)
    est = MiniBatchKMeans(n_clusters=3, random_state=0).fit(X)
    assert est.cluster_centers_.dtype == np.float32
    assert est.transform(X).dtype == np.float32
    est64 = MiniBatchKMeans(n_clusters=3, random_state=0).fit(X.astype(np.float64))
    # Same draws, same arithmetic in float64 sums; only X's rounding differs.
    np.testing.assert_allclose(
        est.cluster_centers_, est64.cluster_centers_, rtol=1e-3, atol=1e-3
    )


# ---------------------------------------------------------------------------
# weights, reassignment, stopping, verbose, errors


def test_weighted_draws():
    rng = np.random.default_rng(0)
    X = blobs(4000, 2, 3, 0)
    X[:200] = rng.normal(size=(200, 2)) + 1000.0  # far away, weight zero
    w = np.ones(4000)
    w[:200] = 0.0
    est = MiniBatchKMeans(n_clusters=3, random_state=0, init="random", n_init=1)
    est.fit(X, sample_weight=w)
    assert np.abs(est.cluster_centers_).max() < 100  # zero-weight rows never drawn
    # Equal weights are uniform draws, whatever their value.
    init = X[200:203].copy()
    a = MiniBatchKMeans(n_clusters=3, init=init, random_state=0).fit(X[200:])
    b = MiniBatchKMeans(n_clusters=3, init=init, random_state=0).fit(
        X[200:], sample_weight=np.full(3800, 2.5)
    )
    np.testing.assert_array_equal(a.cluster_centers_, b.cluster_centers_)
    assert b.inertia_ == pytest.approx(2.5 * a.inertia_, rel=1e-12)


def test_batch_sampler_frequencies():
    w = np.array([0.0, 1.0, 3.0, 0.0, 4.0])
    sampler = mb_module._BatchSampler(w, False, np.random.RandomState(0))
    counts = np.bincount(sampler.draw(200000), minlength=5) / 200000
    # Binomial standard error at n=2e5 is below 0.0012: 0.005 is > 4 sigma.
    np.testing.assert_allclose(counts, w / w.sum(), atol=0.005)
    assert counts[0] == counts[3] == 0


def test_reassignment_moves_starved_centres():
    X = blobs(2000, 2, 2, 0)
    init = np.array([[0.0, 0.0], [1e6, 1e6], [0.1, 0.1]])
    est = MiniBatchKMeans(
        n_clusters=3, init=init, batch_size=100, random_state=0, max_iter=2
    ).fit(X)
    # The centre at 1e6 receives nothing and must have been moved onto data.
    assert np.abs(est.cluster_centers_).max() < 50
    frozen = MiniBatchKMeans(
        n_clusters=3,
        init=init,
        batch_size=100,
        random_state=0,
        max_iter=2,
        reassignment_ratio=0.0,
    ).fit(X)
    assert frozen.cluster_centers_[1, 0] == 1e6


def test_compute_labels_false_and_tol():
    X = blobs(5000, 3, 3, 0)
    est = MiniBatchKMeans(n_clusters=3, random_state=0, compute_labels=False).fit(X)
    assert not hasattr(est, "labels_")
    exact = -est.score(X)
    # The smoothed batch inertia estimates the whole-data inertia.
    assert est.inertia_ == pytest.approx(exact, rel=0.2)
    tol_fit = MiniBatchKMeans(
        n_clusters=3, random_state=0, tol=1e-2, max_no_improvement=None
    ).fit(X)
    assert tol_fit.n_steps_ < (100 * 5000) // 1024


def test_verbose_output(capsys):
    X = blobs(3000, 2, 2, 0)
    MiniBatchKMeans(n_clusters=2, random_state=0, verbose=2, batch_size=256).fit(X)
    out = capsys.readouterr().out
    assert "Init 1/1 with method k-means++" in out
    assert "Minibatch step 2/" in out and "ewa inertia" in out
    assert "Converged" in out
    MiniBatchKMeans(n_clusters=2, random_state=0, verbose=1, batch_size=256).fit(X)
    captured = capsys.readouterr()
    assert "Minibatch step" not in captured.out
    assert "MiniBatchKMeans" in captured.err  # the progress bar


def test_errors():
    X = blobs(10, 2, 2, 0)
    with pytest.raises(ValueError, match=r"n_samples=10 should be >= n_clusters=11"):
        MiniBatchKMeans(n_clusters=11).fit(X)
    with pytest.raises(InvalidParameterError, match="reassignment_ratio"):
        MiniBatchKMeans(reassignment_ratio=-1).fit(X)
    with pytest.raises(ValueError, match="Input X contains NaN"):
        MiniBatchKMeans(n_clusters=2).fit(np.full((5, 2), np.nan))
    with pytest.warns(RuntimeWarning, match="init_size=1 should be larger"):
        MiniBatchKMeans(n_clusters=2, init_size=1).fit(X)
    est = MiniBatchKMeans(n_clusters=2).partial_fit(X)
    with pytest.raises(ValueError, match="X has 3 features"):
        est.partial_fit(np.zeros((4, 3)))


# ---------------------------------------------------------------------------
# properties


@settings(max_examples=25, deadline=None)
@given(
    n=st.integers(5, 300),
    k=st.integers(1, 5),
    batch=st.integers(1, 64),
    seed=st.integers(0, 2**16),
)
def test_counts_and_hull_properties(n, k, batch, seed):
    X = np.random.default_rng(seed).normal(size=(n, 3))
    est = MiniBatchKMeans(
        n_clusters=k,
        batch_size=batch,
        max_iter=3,
        reassignment_ratio=0.0,
        max_no_improvement=None,
        random_state=seed,
    ).fit(X)
    # Without reassignment every drawn row adds one unit of weight.
    assert est.counts_.sum() == est.n_steps_ * min(batch, n)
    # Every centre is a convex combination of rows: inside the bounding box.
    assert np.all(est.cluster_centers_ >= X.min(0) - 1e-9)
    assert np.all(est.cluster_centers_ <= X.max(0) + 1e-9)
