"""Column moments and in-place centring against NumPy."""

import numpy as np
import pytest

from segmint._kernels import moments
from segmint.kmeans import _tolerance

DTYPES = [np.float32, np.float64]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(
    "shape", [(1, 1), (7, 3), (5000, 2), (4099, 7), (9000, 8), (9000, 33)]
)
def test_column_sq_deviations_is_n_times_the_variance(dtype, shape):
    rng = np.random.default_rng(shape[0])
    # a large offset: a one-pass sum of squares would lose the variance
    X = (1e3 + rng.standard_normal(shape)).astype(dtype)
    mean = moments.column_means(X)
    np.testing.assert_allclose(mean, X.astype(np.float64).mean(axis=0), rtol=1e-12)
    got = moments.column_sq_deviations(X, mean)
    want = X.shape[0] * np.var(X.astype(np.float64), axis=0)
    assert got.dtype == mean.dtype == np.float64
    # float64 sums of n terms: a few n * eps relative, plus the mean's error
    np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("dtype", DTYPES)
def test_tolerance_matches_sklearn_definition(dtype):
    scale = np.arange(1, 6)
    X = (np.random.default_rng(0).standard_normal((4099, 5)) * scale).astype(dtype)
    want = np.mean(np.var(X.astype(np.float64), axis=0)) * 1e-4
    assert _tolerance(X, 1e-4) == pytest.approx(want, rel=1e-12)
    mean = moments.column_means(X)
    assert _tolerance(X, 1e-4, mean) == _tolerance(X, 1e-4)
    assert _tolerance(X, 0) == 0


@pytest.mark.parametrize("dtype", DTYPES)
def test_shift_rows_is_numpy_broadcast_bit_for_bit(dtype):
    rng = np.random.default_rng(1)
    X = rng.standard_normal((10_000, 7)).astype(dtype) * 1e3
    v = X.mean(axis=0)
    got = X.copy()
    moments.shift_rows(got, v, -1)
    np.testing.assert_array_equal(got, X - v)
    moments.shift_rows(got, v, 1)
    np.testing.assert_array_equal(got, (X - v) + v)


@pytest.mark.parametrize("dtype", DTYPES)
def test_shifted_copy_is_numpy_broadcast_and_leaves_x(dtype):
    rng = np.random.default_rng(2)
    X = rng.standard_normal((9_000, 5)).astype(dtype) * 1e3
    before = X.copy()
    v = X.mean(axis=0)
    got = moments.shifted_copy(X, v)
    np.testing.assert_array_equal(got, X - v)
    np.testing.assert_array_equal(X, before)
    assert got.flags.c_contiguous and got.dtype == X.dtype
