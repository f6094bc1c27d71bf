"""K-means over Dask arrays against the in-memory estimator."""

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.datasets import make_blobs

from segmint import KMeans

da = pytest.importorskip("dask.array")
dask = pytest.importorskip("dask")
from segmint.distributed import fit_dask, predict_dask  # noqa: E402


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_same_as_in_memory_from_same_init(dtype, global_random_seed):
    X, _ = make_blobs(
        6000, 5, centers=6, cluster_std=2.0, random_state=global_random_seed
    )
    X = X.astype(dtype)
    init = X[np.random.default_rng(global_random_seed).choice(len(X), 6, replace=False)]
    local = KMeans(6, init=init, n_init=1).fit(X)
    with dask.config.set(scheduler="threads"):
        model = fit_dask(da.from_array(X, chunks=1000), 6, init=init)
        labels = predict_dask(model, da.from_array(X, chunks=1000)).compute()
    # Same algorithm and stopping rule; sums differ only in summation order.
    rtol = 1e-5 if dtype == np.float32 else 1e-9
    assert model.n_iter_ == local.n_iter_
    assert_allclose(
        model.cluster_centers_, local.cluster_centers_, rtol=rtol, atol=rtol
    )
    assert_allclose(model.inertia_, local.inertia_, rtol=rtol)
    assert_array_equal(labels, local.labels_)
    assert labels.dtype == np.int32


def test_result_independent_of_scheduler():
    X, _ = make_blobs(4000, 3, centers=4, random_state=0)
    Xd = da.from_array(X, chunks=500)
    with dask.config.set(scheduler="synchronous"):
        a = fit_dask(Xd, 4, random_state=1)
    with dask.config.set(scheduler="threads"):
        b = fit_dask(Xd, 4, random_state=1)
    assert_array_equal(a.cluster_centers_, b.cluster_centers_)
    assert a.inertia_ == b.inertia_


def test_model_predicts_in_memory():
    X, _ = make_blobs(3000, 2, centers=3, random_state=0)
    model = fit_dask(da.from_array(X, chunks=700), 3, random_state=0)
    assert_array_equal(
        model.predict(X), predict_dask(model, da.from_array(X)).compute()
    )
    assert len(model.history_) == model.n_iter_


def test_bad_input():
    X = np.ones((10, 2))
    X[3, 1] = np.nan
    with pytest.raises(ValueError, match="Input X contains NaN or infinity"):
        fit_dask(da.from_array(X, chunks=5), 2)
    with pytest.raises(ValueError, match=r"n_samples=10 should be >= n_clusters=11"):
        fit_dask(da.ones((10, 2), chunks=5), 11)
    with pytest.raises(ValueError, match="Expected a 2-D Dask array, got 1"):
        fit_dask(da.ones(10, chunks=5), 2)
    model = fit_dask(
        da.from_array(np.arange(20.0).reshape(10, 2), chunks=5), 2, random_state=0
    )
    with pytest.raises(ValueError, match="the model expects 2 feature"):
        predict_dask(model, da.ones((10, 3)))
