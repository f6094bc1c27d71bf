"""Column moments of X and in-place centring, for the estimator's set-up.

Both run over fixed blocks of rows in parallel; partial sums are float64 and
are combined serially in block order, so the results do not depend on the
number of threads.
"""

import numpy as np
from numba import njit, prange

from segmint._config import JIT_KW, PARALLEL_JIT_KW

#: Rows per block of partial sums: few enough blocks that the (n_blocks,
#: n_features) buffer stays small, enough to balance the threads.
BLOCK_ROWS = 4096


@njit(**JIT_KW)
def _n_blocks(n_samples):
    return (n_samples + BLOCK_ROWS - 1) // BLOCK_ROWS


#: Below this many features a row is shorter than a vector: the sums run
#: feature by feature over runs of ``RUN_ROWS`` rows, four interleaved sums
#: each (adding along a row would wait on one add per element).
NARROW_FEATURES = 8
RUN_ROWS = 64


@njit(inline="always", **JIT_KW)
def _term(x, c, square):
    u = np.float64(x) - c
    return u * u if square else u


@njit(**PARALLEL_JIT_KW)
def _column_sums(X, centre, square):
    """Per-feature float64 sums of ``X[i, f] - centre[f]`` (squared if ``square``)."""
    n_samples, n_features = X.shape
    n_blocks = _n_blocks(n_samples)
    part = np.zeros((n_blocks, n_features), dtype=np.float64)
    for b in prange(n_blocks):
        acc = part[b]
        lo = b * BLOCK_ROWS
        hi = min(n_samples, lo + BLOCK_ROWS)
        if n_features >= NARROW_FEATURES:
            for i in range(lo, hi):
                for f in range(n_features):
                    acc[f] += _term(X[i, f], centre[f], square)
            continue
        for r0 in range(lo, hi, RUN_ROWS):
            r1 = min(hi, r0 + RUN_ROWS)
            for f in range(n_features):
                c = centre[f]
                s0 = 0.0
                s1 = 0.0
                s2 = 0.0
                s3 = 0.0
                i = r0
                while i + 4 <= r1:
                    s0 += _term(X[i, f], c, square)
                    s1 += _term(X[i + 1, f], c, square)
                    s2 += _term(X[i + 2, f], c, square)
                    s3 += _term(X[i + 3, f], c, square)
                    i += 4
                while i < r1:
                    s0 += _term(X[i, f], c, square)
                    i += 1
                acc[f] += (s0 + s1) + (s2 + s3)
    out = np.zeros(n_features, dtype=np.float64)
    for b in range(n_blocks):
        out += part[b]
    return out


@njit(**JIT_KW)
def column_means(X):
    """Per-feature means of X in float64 (``ndarray of shape (n_features,)``)."""
    origin = np.zeros(X.shape[1], dtype=np.float64)
    return _column_sums(X, origin, False) / max(X.shape[0], 1)


@njit(**JIT_KW)
def column_sq_deviations(X, mean):
    """Per-feature sums of squared deviations from ``mean``, in float64.

    ``sum_i (X[i, f] - mean[f])^2``: with the column means (from
    :func:`column_means`), ``n_samples`` times the population variance of
    each feature, without the cancellation of a one-pass sum of squares.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features), float32 or float64
    mean : ndarray of shape (n_features,), float64

    Returns
    -------
    ndarray of shape (n_features,), float64
    """
    return _column_sums(X, mean, True)


@njit(**PARALLEL_JIT_KW)
def _shift(X, v, sign, out):
    """``out = X - v`` (``sign = -1``) or ``X + v`` (``sign = 1``), row by row;
    ``out`` may be X itself."""
    n_samples, n_features = X.shape
    for b in prange(_n_blocks(n_samples)):
        for i in range(b * BLOCK_ROWS, min(n_samples, (b + 1) * BLOCK_ROWS)):
            if sign < 0:
                for f in range(n_features):
                    out[i, f] = X[i, f] - v[f]
            else:
                for f in range(n_features):
                    out[i, f] = X[i, f] + v[f]


@njit(**JIT_KW)
def shift_rows(X, v, sign):
    """``X[i] -= v`` (``sign = -1``) or ``X[i] += v`` (``sign = 1``), in place.

    ``v`` has X's dtype, so each element is one rounding in X's dtype, as
    NumPy's broadcast ``X -= v`` / ``X += v``.
    """
    _shift(X, v, sign, X)


@njit(**JIT_KW)
def shifted_copy(X, v):
    """A new C-contiguous array ``X - v`` (``v`` has X's dtype).

    The same roundings as :func:`shift_rows` with ``sign = -1``; one read of
    X and one write of the copy, in parallel (the copy's pages are first
    touched by the threads that write them).
    """
    out = np.empty_like(X)
    _shift(X, v, -1, out)
    return out
