"""This machine's limits, measured: memory read bandwidth and matmul FLOP rate.

A Lloyd iteration must at least read X once and, done as a matrix product,
perform 2·n·k·d floating-point operations. So no implementation can beat

    limit_seconds(n, d, k, dtype) = max(n·d·itemsize / bandwidth,
                                        2·n·k·d / flop_rate[dtype])

per iteration, and the ratio of a measured time per iteration to this limit
says how much room is left. Both rates are measured here, on the same machine
and under the same load as the timings they are compared with:

- bandwidth: a parallel (``prange``, all cores) sum over a ~1.5 GB array,
  read as 64-bit integers with a vectorised reduction (exact, so the order
  does not matter); best of several passes, with all threads and with one;
  it is checked against NumPy's own ``sum`` of the same array, and the
  higher of the two is taken;
- FLOP rate: NumPy's ``X @ C.T`` (BLAS gemm) for float32 and float64 at two
  sizes; the best of several runs at either.

Run ``python benchmarks/machine.py`` to print them. Some machines here set
``OPENBLAS_CORETYPE``/``OPENBLAS_L2_SIZE`` (older OpenBLAS builds misbehave on
their processors); they slow the current NumPy's BLAS, so the benchmark
*process* unsets both before NumPy is imported (re-executing itself, see
:func:`reexec_without_blas_overrides`); tests and CI never do. The BLAS kernel
that actually ran is recorded from threadpoolctl.
"""

from __future__ import annotations

import os
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

BLAS_OVERRIDES = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")


#: Highest rates measured on this machine (merged by :func:`best_known`).
BEST_KNOWN = Path(__file__).resolve().parent / "results" / "machine.json"

THREAD_VARS = ("NUMBA_NUM_THREADS", "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS")


def reexec_without_blas_overrides(
    argv: list[str] | None = None, keep_blas_env: bool = False, threads: int = 0
) -> None:
    """Re-run this process without ``OPENBLAS_CORETYPE``/``OPENBLAS_L2_SIZE``
    (and, with ``threads``, with every thread pool set to that size).

    Must be called before NumPy is imported (OpenBLAS reads them when it is
    loaded). Both overrides are removed together, and only for the benchmark
    process. The original values are kept in ``SEGMINT_BENCH_BLAS_OVERRIDES``
    so the results can say what was changed. No-op when nothing changes.
    """
    env = dict(os.environ)
    present = {}
    if not keep_blas_env:
        present = {k: env.pop(k) for k in BLAS_OVERRIDES if k in env}
    if present:
        env["SEGMINT_BENCH_BLAS_OVERRIDES"] = ",".join(
            f"{k}={v}" for k, v in present.items()
        )
    if threads:
        env.update({k: str(threads) for k in THREAD_VARS})
    if env == dict(os.environ):
        return
    args = sys.argv if argv is None else argv
    os.execve(sys.executable, [sys.executable, *args], env)


def blas_info() -> list[dict]:
    """threadpoolctl's view of the loaded BLAS/OpenMP libraries."""
    from threadpoolctl import threadpool_info

    keep = ("user_api", "internal_api", "prefix", "version", "architecture")
    extra = ("num_threads", "threading_layer", "filepath")
    return [{k: lib.get(k) for k in (*keep, *extra)} for lib in threadpool_info()]


def blas_env() -> dict:
    """The OpenBLAS overrides in force, and any removed for this process."""
    return {
        "in_force": {k: os.environ[k] for k in BLAS_OVERRIDES if k in os.environ},
        "removed_for_benchmarks": os.environ.get("SEGMINT_BENCH_BLAS_OVERRIDES", ""),
    }


# ---------------------------------------------------------------------------
# measurements

_CHUNK = 1 << 16  # 512 KiB of uint64 per work unit: many units per thread


def _read_kernel():
    import numba
    import numpy as np

    @numba.njit(parallel=True, nogil=True)
    def read_sum(a):  # IN: a (m,) uint64
        n_chunks = (a.shape[0] + _CHUNK - 1) // _CHUNK
        partial = np.zeros(n_chunks, dtype=np.uint64)
        for c in numba.prange(n_chunks):
            start = c * _CHUNK
            stop = min(a.shape[0], start + _CHUNK)
            # The array method's reduction is vectorised; a hand-written
            # `s += a[i]` loop is not, and reads at a fraction of the
            # machine's bandwidth (measured: 4.7 against 27 GB/s on one core).
            partial[c] = a[start:stop].sum()
        return partial.sum()

    return read_sum


def measure_bandwidth(nbytes: int = 1_500_000_000, repeats: int = 7) -> dict:
    """Parallel read bandwidth in bytes/s (best and median of ``repeats``)."""
    import numba
    import numpy as np

    read_sum = _read_kernel()
    a = np.ones(nbytes // 8, dtype=np.uint64)  # ones: every page touched
    expected = np.uint64(a.shape[0])
    assert read_sum(a) == expected  # also compiles
    threads = numba.get_num_threads()
    # On a shared machine another process can hold a core, and then all
    # threads read slower than one; the limit is what the machine can do, so
    # take the better of all threads and one thread (both are recorded).
    per_threads = {}
    for n_threads in sorted({threads, 1}, reverse=True):
        numba.set_num_threads(n_threads)
        times = []
        for _ in range(repeats):
            t0 = time.perf_counter()
            read_sum(a)
            times.append(time.perf_counter() - t0)
        times.sort()
        per_threads[n_threads] = {
            "best_bytes_per_s": a.nbytes / times[0],
            "median_bytes_per_s": a.nbytes / times[len(times) // 2],
        }
    numba.set_num_threads(threads)
    # A cross-check that does not depend on our kernel: NumPy's own sum
    # (one thread). The limit is the faster of the two readers.
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        a.sum()
        times.append(time.perf_counter() - t0)
    numpy_best = a.nbytes / min(times)
    layer = numba.threading_layer()
    best = max(per_threads, key=lambda t: per_threads[t]["best_bytes_per_s"])
    return {
        "bytes": a.nbytes,
        "threads": threads,
        "best_threads": best,
        "best_bytes_per_s": max(per_threads[best]["best_bytes_per_s"], numpy_best),
        "by_threads": per_threads,
        "numpy_sum_bytes_per_s": numpy_best,
        "threading_layer": layer,
    }


#: Shapes (n, k, d) at which gemm's rate is measured; the best counts.
GEMM_SHAPES = ((65_536, 1024, 256), (16_384, 4096, 1024))


def measure_flops(shapes=GEMM_SHAPES, repeats: int = 5) -> dict:
    """FLOP rate of ``X @ C.T`` for float32 and float64 (best over shapes)."""
    import numpy as np

    rng = np.random.default_rng(0)
    out = {"shapes": [list(s) for s in shapes]}
    for dtype in ("float32", "float64"):
        rates = []
        for n, k, d in shapes:
            flop = 2.0 * n * k * d
            X = rng.standard_normal((n, d)).astype(dtype)
            C = rng.standard_normal((k, d)).astype(dtype)
            X @ C.T  # warm-up: thread start, page faults of the output
            times = []
            for _ in range(repeats):
                t0 = time.perf_counter()
                X @ C.T
                times.append(time.perf_counter() - t0)
            times.sort()
            rates.append(
                {
                    "shape": [n, k, d],
                    "best_flop_per_s": flop / times[0],
                    "median_flop_per_s": flop / times[len(times) // 2],
                }
            )
        top = max(rates, key=lambda r: r["best_flop_per_s"])
        out[dtype] = {
            "best_flop_per_s": top["best_flop_per_s"],
            "median_flop_per_s": top["median_flop_per_s"],
            "by_shape": rates,
        }
    return out


def cpu_id() -> str:
    """Vendor, family, model and name of the processor, for keying limits.

    Machines here can change between sessions under the same name ("AMD
    EPYC" covers more than one generation), so limits are only merged with
    those measured on the same family and model.
    """
    import platform

    fields = {}
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                key, _, value = line.partition(":")
                key = key.strip()
                if key in ("vendor_id", "cpu family", "model", "model name"):
                    fields.setdefault(key, value.strip())
                if not line.strip() and fields:
                    break
    except OSError:
        pass
    if not fields:
        return platform.processor() or platform.machine()
    return (
        f"{fields.get('vendor_id', '?')} family {fields.get('cpu family', '?')} "
        f"model {fields.get('model', '?')} ({fields.get('model name', '?')})"
    )


@dataclass
class MachineLimits:
    """Measured limits; :meth:`limit_seconds` is the per-iteration floor."""

    bandwidth: float  # bytes/s, parallel read
    flop_rate: dict[str, float]  # dtype name -> FLOP/s of gemm
    details: dict = field(default_factory=dict)

    def limit_seconds(self, n: int, d: int, k: int, dtype) -> float:
        import numpy as np

        dtype = np.dtype(dtype)
        read = n * d * dtype.itemsize / self.bandwidth
        compute = 2.0 * n * k * d / self.flop_rate[dtype.name]
        return max(read, compute)

    def to_dict(self) -> dict:
        return asdict(self)

    def describe(self) -> str:
        blas = ", ".join(
            f"{b['internal_api']} {b['version']} ({b['architecture']}, "
            f"{b['num_threads']} threads)"
            for b in self.details.get("blas", [])
            if b.get("user_api") == "blas" and "numpy" in str(b.get("filepath"))
        )
        env = self.details.get("blas_env", {})
        removed = env.get("removed_for_benchmarks") or "none"
        this_run = self.details.get("this_run")
        run_text = ""
        if this_run is not None:
            run_text = (
                " (best known here; this run measured "
                f"{this_run['bandwidth'] / 1e9:.1f} GB/s, "
                f"{this_run['flop_rate']['float32'] / 1e9:.1f} / "
                f"{this_run['flop_rate']['float64'] / 1e9:.1f} GFLOP/s)"
            )
        return (
            f"memory read bandwidth {self.bandwidth / 1e9:.1f} GB/s "
            f"(best with {self.details.get('bandwidth', {}).get('best_threads', '?')}"
            " threads); "
            f"gemm float32 {self.flop_rate['float32'] / 1e9:.1f} GFLOP/s, "
            f"float64 {self.flop_rate['float64'] / 1e9:.1f} GFLOP/s"
            f"{run_text}; BLAS: {blas or 'unknown'}; "
            f"OpenBLAS overrides removed: {removed}; "
            f"Numba threading layer: {self.details.get('numba_threading_layer')}"
        )


_LIMITS: MachineLimits | None = None


def measure(quick: bool = False) -> MachineLimits:
    """Measure both limits now (a few seconds) and remember them."""
    global _LIMITS
    bw = measure_bandwidth(
        nbytes=500_000_000 if quick else 1_500_000_000, repeats=5 if quick else 7
    )
    fl = measure_flops(
        shapes=((32_768, 1024, 256),) if quick else GEMM_SHAPES,
        repeats=3 if quick else 5,
    )
    _LIMITS = MachineLimits(
        bandwidth=bw["best_bytes_per_s"],
        flop_rate={dt: fl[dt]["best_flop_per_s"] for dt in ("float32", "float64")},
        details={
            "bandwidth": bw,
            "flops": fl,
            "blas": blas_info(),
            "blas_env": blas_env(),
            "cpu_count": os.cpu_count(),
            "cpu": cpu_id(),
            "numba_threading_layer": bw.get("threading_layer"),
        },
    )
    return _LIMITS


def _store_key(cpu: str, threads) -> str:
    # Keyed by processor and thread count: a run with fewer threads has
    # lower limits, and another processor has other limits.
    return f"{cpu}, threads={threads}"


def _read_store(path: Path) -> dict:
    import json

    try:
        return json.loads(path.read_text()) if path.is_file() else {}
    except (OSError, ValueError):
        return {}


def saved_limits(threads: int, path=BEST_KNOWN) -> dict | None:
    """The best-known rates saved for this processor at ``threads`` threads
    (``{"bandwidth": ..., "flop_rate": {dtype: ...}, ...}``), or None."""
    saved = _read_store(Path(path)).get(_store_key(cpu_id(), threads))
    if saved and saved.get("cpu_count") == os.cpu_count():
        return saved
    return None


def best_known(current: MachineLimits, path) -> MachineLimits:
    """The better of ``current`` and the limits saved at ``path``, per rate;
    saves the result back.

    A limit is a property of the machine, not of the load on it: on a shared
    machine a measurement can only come out low, so the highest rate ever
    measured here is the truest. Both the current and the best-known rates
    are kept in ``details``.
    """
    import json

    path = Path(path)
    key = _store_key(
        current.details.get("cpu", cpu_id()),
        current.details.get("bandwidth", {}).get("threads"),
    )
    store = _read_store(path)
    saved = store.get(key)
    bandwidth = current.bandwidth
    flop_rate = dict(current.flop_rate)
    source = {"bandwidth": "this run", "float32": "this run", "float64": "this run"}
    if saved and saved.get("cpu_count") == os.cpu_count():
        if saved["bandwidth"] > bandwidth:
            bandwidth = saved["bandwidth"]
            source["bandwidth"] = saved["dates"]["bandwidth"]
        for dt in ("float32", "float64"):
            if saved["flop_rate"][dt] > flop_rate[dt]:
                flop_rate[dt] = saved["flop_rate"][dt]
                source[dt] = saved["dates"][dt]
    now = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    dates = {name: (now if src == "this run" else src) for name, src in source.items()}
    path.parent.mkdir(parents=True, exist_ok=True)
    store[key] = {
        "bandwidth": bandwidth,
        "flop_rate": flop_rate,
        "dates": dates,
        "cpu_count": os.cpu_count(),
    }
    path.write_text(json.dumps(store, indent=1))
    details = dict(current.details)
    details["this_run"] = {
        "bandwidth": current.bandwidth,
        "flop_rate": current.flop_rate,
    }
    details["best_known_measured_at"] = dates
    return MachineLimits(bandwidth=bandwidth, flop_rate=flop_rate, details=details)


def limits() -> MachineLimits:
    """The limits measured in this process (measuring them on first use)."""
    return _LIMITS if _LIMITS is not None else measure()


def limit_seconds(n: int, d: int, k: int, dtype) -> float:
    """Per-iteration floor max(bytes of X / bandwidth, 2·n·k·d / FLOP rate)."""
    return limits().limit_seconds(n, d, k, dtype)


def main(argv: list[str] | None = None) -> None:
    import argparse
    import json

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller arrays")
    parser.add_argument("--json", action="store_true", help="print JSON too")
    parser.add_argument(
        "--no-save",
        action="store_true",
        help=f"do not merge into {BEST_KNOWN.name} (best rates measured here)",
    )
    parser.add_argument(
        "--keep-blas-env",
        action="store_true",
        help="do not unset OPENBLAS_CORETYPE/OPENBLAS_L2_SIZE",
    )
    args = parser.parse_args(argv)
    lim = measure(quick=args.quick)
    print("this run: " + lim.describe())
    if not args.no_save:
        lim = best_known(lim, BEST_KNOWN)
        print("best known: " + lim.describe())
    print(
        "example: limit for n=1e6, d=16, k=16: "
        f"float32 {lim.limit_seconds(10**6, 16, 16, 'float32') * 1e3:.2f} ms, "
        f"float64 {lim.limit_seconds(10**6, 16, 16, 'float64') * 1e3:.2f} ms "
        "per iteration"
    )
    if args.json:
        print(json.dumps(lim.to_dict(), indent=2, default=str))


if __name__ == "__main__":
    reexec_without_blas_overrides(keep_blas_env="--keep-blas-env" in sys.argv)
    main()
