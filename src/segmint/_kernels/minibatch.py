"""The mini-batch K-means step: assign a batch of rows, move the centres.

One step of Sculley's mini-batch K-means (D. Sculley, "Web-scale k-means
clustering", WWW 2010, Algorithm 1) in scikit-learn's batched form: every row
of the batch is assigned to its nearest centre (against the centres *before*
the step), then each centre that received rows moves to the weighted mean of
its previous position, counted with all the weight it has absorbed so far,
and the new rows:

    c_j <- (n_j * c_j + sum_{x in batch, label j} w x) / (n_j + sum w)

which is a per-centre learning rate ``eta_j = (sum w) / (n_j + sum w)``.

The batch is given as row indices into the full X, so no batch copy is
made. For a memory-mapped X the driver reads the batch rows from the file
with :func:`read_rows` (``pread``) into a batch-sized buffer instead, which
keeps the process's resident memory small. Rows are
processed in fixed chunks of ``CHUNK_SIZE`` batch positions grouped into
``n_blocks`` blocks, each with its own partial sums; the blocks are combined
serially in block order, so the result does not depend on the number of
threads, and the serial and parallel builds give identical bits. Sums,
counts and the centre update are in float64 whatever the dtype of X; the
centres are stored back in the dtype of X.
"""

import numpy as np
from numba import njit, prange, types

from segmint._config import CHUNK_SIZE, JIT_KW, PARALLEL_JIT_KW
from segmint._kernels.assign import block_chunks


@njit(**JIT_KW)
def _prepare_centers(
    centers,  # IN (n_clusters, n_features) dtype of X
    centers_t,  # OUT (n_features, n_clusters) dtype of X
    half_sq_norms,  # OUT (n_clusters,) dtype of X
):
    """Transposed centres and half squared norms for the nearest-centre scan."""
    n_clusters, n_features = centers.shape
    for j in range(n_clusters):
        s = centers.dtype.type(0)
        for f in range(n_features):
            c = centers[j, f]
            centers_t[f, j] = c
            s += c * c
        half_sq_norms[j] = 0.5 * s


@njit(**JIT_KW)
def _assign_block(
    X,  # IN (n_samples, n_features)
    indices,  # IN (batch_size,) int64
    sample_weight,  # IN (batch_size,) dtype of X
    centers,  # IN (n_clusters, n_features)
    centers_t,  # IN (n_features, n_clusters)
    half_sq_norms,  # IN (n_clusters,)
    chunk_lo,  # IN int: first chunk of CHUNK_SIZE batch positions
    chunk_hi,  # IN int: one past the last chunk
    labels,  # OUT (batch_size,) int32
    sums,  # OUT (n_clusters, n_features) float64
    weights,  # OUT (n_clusters,) float64
):
    """Assign batch positions of chunks ``chunk_lo:chunk_hi``; sum them per centre.

    Nearest centre by ``argmin_j 0.5 ||c_j||^2 - x.c_j`` (the same order as
    the squared distance; lowest index on ties), with the centre loop
    innermost and contiguous so that it vectorises.

    Returns
    -------
    inertia : float
        Weighted exact squared distance of the rows to their centres, float64.
    """
    n_features = X.shape[1]
    n_clusters = centers.shape[0]
    batch_size = indices.shape[0]
    sums[:] = 0.0
    weights[:] = 0.0
    acc = np.empty(n_clusters, dtype=centers.dtype)
    # Rows are first gathered into a small contiguous buffer: a plain copy
    # loop lets the processor have many cache misses in flight at once,
    # whereas loading each row just before its arithmetic serialises them.
    buf = np.empty((CHUNK_SIZE, n_features), dtype=X.dtype)
    inertia = 0.0
    for c in range(chunk_lo, chunk_hi):
        start = c * CHUNK_SIZE
        end = min(batch_size, start + CHUNK_SIZE)
        for p in range(start, end):
            i = indices[p]
            for f in range(n_features):
                buf[p - start, f] = X[i, f]
        for p in range(start, end):
            r = p - start
            for j in range(n_clusters):
                acc[j] = half_sq_norms[j]
            for f in range(n_features):
                xf = buf[r, f]
                for j in range(n_clusters):
                    acc[j] -= xf * centers_t[f, j]
            best = 0
            best_val = acc[0]
            for j in range(1, n_clusters):
                if acc[j] < best_val:
                    best_val = acc[j]
                    best = j
            labels[p] = best
            w = np.float64(sample_weight[p])
            weights[best] += w
            dist = 0.0
            for f in range(n_features):
                xf = np.float64(buf[r, f])
                sums[best, f] += w * xf
                t = xf - np.float64(centers[best, f])
                dist += t * t
            inertia += w * dist
    return inertia


@njit(**JIT_KW)
def _update_centers(
    centers,  # IN (n_clusters, n_features) dtype of X
    block_sums,  # IN/scratch (n_blocks, n_clusters, n_features) float64
    block_weights,  # IN/scratch (n_blocks, n_clusters) float64
    block_inertia,  # IN (n_blocks,) float64
    centers_new,  # OUT (n_clusters, n_features) dtype of X; may be ``centers``
    counts,  # IN/OUT (n_clusters,) float64
    result,  # OUT (4,) float64
):
    """Combine the blocks in block order and apply the count-based update."""
    n_blocks, n_clusters, n_features = block_sums.shape
    # Blocks are added into block 0, serially and in order.
    sums = block_sums[0]
    weights = block_weights[0]
    inertia = block_inertia[0]
    for b in range(1, n_blocks):
        inertia += block_inertia[b]
        for j in range(n_clusters):
            weights[j] += block_weights[b, j]
            for f in range(n_features):
                sums[j, f] += block_sums[b, j, f]
    shift = 0.0
    for j in range(n_clusters):
        wsum = weights[j]
        if wsum > 0:
            old_count = counts[j]
            new_count = old_count + wsum
            for f in range(n_features):
                old = np.float64(centers[j, f])
                new = centers.dtype.type((old * old_count + sums[j, f]) / new_count)
                t = np.float64(new) - old
                shift += t * t
                centers_new[j, f] = new
            counts[j] = new_count
        else:
            for f in range(n_features):
                centers_new[j, f] = centers[j, f]
    lo = counts[0]
    hi = counts[0]
    for j in range(1, n_clusters):
        lo = min(lo, counts[j])
        hi = max(hi, counts[j])
    result[0] = inertia
    result[1] = shift
    result[2] = lo
    result[3] = hi


@njit(**PARALLEL_JIT_KW)
def minibatch_step(
    X,  # IN (n_samples, n_features) float32/float64
    indices,  # IN (batch_size,) int64, rows of X in the batch
    sample_weight,  # IN (batch_size,) dtype of X, weight of each batch row
    centers,  # IN (n_clusters, n_features) dtype of X
    centers_new,  # OUT (n_clusters, n_features) dtype of X
    counts,  # IN/OUT (n_clusters,) float64
    labels,  # OUT (batch_size,) int32
    block_sums,  # scratch (n_blocks, n_clusters, n_features) float64
    block_weights,  # scratch (n_blocks, n_clusters) float64
    block_inertia,  # scratch (n_blocks,) float64
    result,  # OUT (4,) float64
):
    """One mini-batch step, parallel over blocks of the batch.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features), float32 or float64
        The data (C-contiguous, may be a read-only memory map); only rows
        ``indices`` are read.
    indices : ndarray of shape (batch_size,), int64
        Rows of X forming the batch, in batch order (repeats allowed).
    sample_weight : ndarray of shape (batch_size,), dtype of X
        Weight of each batch position.
    centers : ndarray of shape (n_clusters, n_features), dtype of X
        Centres before the step (used for the assignment).
    centers_new : ndarray of shape (n_clusters, n_features), dtype of X
        Written: centres after the step. May be the same array as
        ``centers`` (in-place update).
    counts : ndarray of shape (n_clusters,), float64
        Read and updated: total weight each centre has absorbed.
    labels : ndarray of shape (batch_size,), int32
        Written: nearest centre of each batch position.
    block_sums : ndarray of shape (n_blocks, n_clusters, n_features), float64
        Scratch for per-block sums; ``n_blocks >= 1`` fixes the work split.
    block_weights : ndarray of shape (n_blocks, n_clusters), float64
        Scratch for per-block weights.
    block_inertia : ndarray of shape (n_blocks,), float64
        Scratch for per-block inertia.
    result : ndarray of shape (4,), float64
        Written: ``[batch inertia against the old centres, squared centre
        shift summed over centres, min(counts), max(counts)]``.
    """
    n_blocks = block_sums.shape[0]
    n_clusters, n_features = centers.shape
    n_chunks = (indices.shape[0] + CHUNK_SIZE - 1) // CHUNK_SIZE
    centers_t = np.empty((n_features, n_clusters), dtype=centers.dtype)
    half = np.empty(n_clusters, dtype=centers.dtype)
    _prepare_centers(centers, centers_t, half)
    for b in prange(n_blocks):
        lo, hi = block_chunks(b, n_blocks, n_chunks)
        block_inertia[b] = _assign_block(
            X,
            indices,
            sample_weight,
            centers,
            centers_t,
            half,
            lo,
            hi,
            labels,
            block_sums[b],
            block_weights[b],
        )
    _update_centers(
        centers, block_sums, block_weights, block_inertia, centers_new, counts, result
    )


#: ``ssize_t pread(int fd, void *buf, size_t count, off_t offset)`` from the C
#: library, resolved by name when the kernel is linked (so the compiled kernel
#: can be cached). The buffer pointer is passed as an address (``uintp``),
#: which has the same calling convention as ``void *``.
_pread = types.ExternalFunction(
    "pread", types.intp(types.intc, types.uintp, types.uintp, types.int64)
)


@njit(**JIT_KW)
def read_rows(
    fd,  # IN int: file descriptor open for reading
    offset,  # IN int: byte position of row 0 in the file
    indices,  # IN (batch_size,) int64: rows to read
    out,  # OUT (batch_size, n_features) float32/float64, C-contiguous
):
    """Read rows ``indices`` of a C-ordered matrix stored in a file into ``out``.

    One ``pread`` per row, at ``offset + index * row_bytes``, straight into
    ``out``. Reading through a memory map instead would map a whole page-cache
    folio (up to 2 MiB) per random row into the process, so a batch of 1024
    random rows could add a gigabyte to its resident size.

    Parameters
    ----------
    fd : int
        Open file descriptor.
    offset : int
        Position in bytes of the first element of row 0.
    indices : ndarray of shape (batch_size,), int64
        Rows to read, in output order (repeats allowed).
    out : ndarray of shape (batch_size, n_features), float32 or float64
        Written: ``out[p] = row indices[p]``; ``row_bytes`` is
        ``n_features * out.itemsize``.

    Returns
    -------
    n_read : int
        Number of rows read in full: ``batch_size`` unless a read failed
        (past the end of the file, I/O error), when it is the failing
        position.
    """
    row_bytes = out.shape[1] * out.itemsize
    base = out.ctypes.data
    for p in range(indices.shape[0]):
        got = _pread(
            fd, base + p * row_bytes, row_bytes, offset + indices[p] * row_bytes
        )
        if got != row_bytes:
            return p
    return indices.shape[0]
