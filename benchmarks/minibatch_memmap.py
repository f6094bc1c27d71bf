"""Out-of-core MiniBatchKMeans on a float32 memmap: peak memory and rows per second.

Usage::

    python benchmarks/minibatch_memmap.py --rows 10000000        # 0.64 GB file
    python benchmarks/minibatch_memmap.py --rows 100000000       # 6.4 GB file

Writes ``rows x d`` float32 Gaussian blobs to a raw file (chunk by chunk with
``write``, so generating it does not map it), opens it as a read-only
``numpy.memmap``, fits ``segmint.MiniBatchKMeans`` (default parameters except
``compute_labels=False``: the labels of 10^8 rows would be a 400 MB array,
so they are written to a ``.npy`` file by :func:`segmint.predict_chunks`
instead), then labels every row chunk by chunk. Reports the fit time, rows
drawn per second, the labelling pass in rows per second, the whole-data
inertia and the process's peak resident set size (``ru_maxrss``; mapped
file pages count in it, which is why ``fit`` releases them as it goes).
Both files are deleted at the end unless ``--keep``.

Not part of the test suite or CI: it needs ``rows * d * 4`` bytes of disk
(checked against free space first) and minutes at 10^8 rows.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402


def peak_rss_mb():
    """Peak resident set size of this process so far, in MiB (Linux: KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def write_blobs(path, rows, d, k, seed=0, chunk_rows=1 << 20):
    """Gaussian blobs written chunk by chunk; returns seconds taken."""
    rng = np.random.default_rng(seed)
    centers = rng.uniform(-3, 3, size=(k, d)).astype(np.float32)
    t0 = time.perf_counter()
    with open(path, "wb") as f:
        for start in range(0, rows, chunk_rows):
            m = min(chunk_rows, rows - start)
            block = rng.standard_normal((m, d), dtype=np.float32)
            block += centers[rng.integers(0, k, size=m)]
            f.write(block.tobytes())
    return time.perf_counter() - t0


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000_000)
    parser.add_argument("--d", type=int, default=16)
    parser.add_argument("--k", type=int, default=16)
    parser.add_argument("--dir", type=Path, default=Path(tempfile.gettempdir()))
    parser.add_argument("--max-iter", type=int, default=100)
    parser.add_argument("--chunk-rows", type=int, default=1 << 20)
    parser.add_argument("--keep", action="store_true", help="keep the files")
    args = parser.parse_args(argv)

    size = args.rows * args.d * 4
    free = shutil.disk_usage(args.dir).free
    need = size + args.rows * 4 + (1 << 30)
    if free < need:
        sys.exit(
            f"{args.dir} has {free / 1e9:.1f} GB free; this run needs "
            f"{need / 1e9:.1f} GB. Use --dir or fewer --rows."
        )
    path = args.dir / f"segmint-mb-{os.getpid()}.f32"
    labels_path = args.dir / f"segmint-mb-{os.getpid()}-labels.npy"
    try:
        t_write = write_blobs(path, args.rows, args.d, args.k)
        print(
            f"wrote {args.rows:,} x {args.d} float32 = {size / 1e9:.2f} GB "
            f"in {t_write:.1f} s; peak RSS so far {peak_rss_mb():.0f} MiB",
            flush=True,
        )
        from segmint import MiniBatchKMeans, predict_chunks

        X = np.memmap(path, dtype=np.float32, mode="r", shape=(args.rows, args.d))
        # Compile outside the timing, on a small in-memory copy.
        MiniBatchKMeans(n_clusters=args.k, random_state=0).fit(np.array(X[:20000]))
        rss_before = peak_rss_mb()

        est = MiniBatchKMeans(
            n_clusters=args.k,
            random_state=0,
            max_iter=args.max_iter,
            compute_labels=False,
        )
        t0 = time.perf_counter()
        est.fit(X)
        t_fit = time.perf_counter() - t0
        rows_drawn = est.n_steps_ * est.batch_size

        t0 = time.perf_counter()
        n_labelled, inertia = predict_chunks(
            est,
            (X[s : s + args.chunk_rows] for s in range(0, args.rows, args.chunk_rows)),
            out=labels_path,
            return_inertia=True,
        )
        t_label = time.perf_counter() - t0
        labels = np.load(labels_path, mmap_mode="r")
        assert labels.shape == (args.rows,) and n_labelled == args.rows

        print(
            f"peak RSS before fitting (interpreter, numba, sklearn): {rss_before:.0f} MiB"
        )
        print(
            f"fit: {t_fit:.1f} s, {est.n_steps_:,} steps, {rows_drawn:,} rows "
            f"drawn = {rows_drawn / t_fit:,.0f} rows/s (includes one streamed "
            "finiteness pass over the file)"
        )
        print(
            f"label every row to .npy: {t_label:.1f} s = "
            f"{args.rows / t_label:,.0f} rows/s; inertia {inertia:.6e}"
        )
        print(f"peak RSS of the whole run: {peak_rss_mb():.0f} MiB")
    finally:
        if not args.keep:
            for p in (path, labels_path):
                if p.exists():
                    p.unlink()


if __name__ == "__main__":
    main()
