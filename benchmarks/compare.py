"""Side-by-side K-means timings: segmint vs scikit-learn vs faiss, in one run.

Usage::

    python benchmarks/compare.py --suite core [--quick]
    python benchmarks/compare.py --suite grid --quick --plot
    python benchmarks/compare.py --suite seeding
    python benchmarks/compare.py --suite scale

Every library runs on every cell in the same process (``scale``: one fresh
process per library, to measure its peak memory), from the same initial
centres, with repeats interleaved across libraries (so load from other
processes hits them alike) and the median taken. Compilation is never timed:
each library is first run on tiny data of the same dtype. Ratios are
segmint / other, so 1.00x means equal and 0.50x means segmint takes half the
time. The machine's own limits (memory read bandwidth, gemm FLOP rate) are
measured at the start of the run; "ms/it / limit" is segmint's time per
iteration (the whole fit divided by its iterations) over max(bytes of X /
bandwidth, 2·n·k·d / FLOP rate), and "step ms/it / limit" the same for the
Lloyd steps alone (segmint's ``history_.time_s``: without the input checks,
the centring copy and the final labelling pass, which a fit also pays).

Results go to ``benchmarks/results/<suite>[-quick].{json,md}`` (and ``.png``
with ``--plot``). See ``benchmarks/README.md`` for what each suite measures.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

# OpenBLAS reads its overrides when NumPy loads it: remove them (benchmark
# process only) before anything imports NumPy.
from benchmarks.machine import reexec_without_blas_overrides  # noqa: E402


def _threads_arg(argv: list[str]) -> int:
    for i, a in enumerate(argv):
        if a == "--threads" and i + 1 < len(argv):
            return int(argv[i + 1])
        if a.startswith("--threads="):
            return int(a.split("=", 1)[1])
    return 0


if __name__ == "__main__":
    reexec_without_blas_overrides(
        keep_blas_env="--keep-blas-env" in sys.argv, threads=_threads_arg(sys.argv)
    )

import argparse  # noqa: E402
import functools  # noqa: E402
import gc  # noqa: E402
import importlib.util  # noqa: E402
import itertools  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import platform  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from dataclasses import asdict, dataclass  # noqa: E402

import numpy as np  # noqa: E402

from benchmarks import machine, registry  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results"

# --------------------------------------------------------------------------
# cells


@dataclass(frozen=True)
class FitCell:
    n: int
    d: int
    k: int
    dtype: str
    data: str  # "separated" | "overlapping"
    max_iter: int
    tol: float

    @property
    def name(self) -> str:
        return f"n={_si(self.n)} d={self.d} k={self.k} {self.dtype} {self.data[:3]}"


@dataclass(frozen=True)
class SeedCell:
    n: int
    d: int
    k: int
    dtype: str

    @property
    def name(self) -> str:
        return f"n={_si(self.n)} d={self.d} k={self.k} {self.dtype}"


def _si(n: int) -> str:
    e = len(str(n)) - 1
    return f"1e{e}" if n == 10**e else f"{n:,}"


# --------------------------------------------------------------------------
# timing helpers


#: Wall time by default; ``--cpu-time`` switches to the process's CPU time,
#: which (with ``--threads 1``) does not count the time other processes hold
#: the cores: the steadiest measure on a shared machine.
_CLOCK = time.perf_counter


def _timed(fn, *args):
    gc.collect()
    t0 = _CLOCK()
    out = fn(*args)
    return _CLOCK() - t0, out


def _rotations(names: list[str], repeats: int):
    """Repeat r runs the libraries in an order rotated by r, so none is
    always first (after a large allocation) or last."""
    for r in range(repeats):
        s = r % len(names)
        yield r, names[s:] + names[:s]


def select_fit_entries(args) -> tuple[dict[str, registry.Entry], str | None]:
    """The fit entries to run and the primary one (the "segmint" column)."""
    wanted = [f"segmint_{a}" for a in args.algorithms]
    wanted += ["sklearn_lloyd", "sklearn_elkan", "faiss"]
    if args.libs:
        wanted = [w for w in wanted if any(w.startswith(lib) for lib in args.libs)]
    entries = {}
    for name in wanted:
        entry = registry.COMPARISONS["kmeans_fit"][name]
        reason = entry.unavailable_reason()
        if reason is None:
            entries[name] = entry
        else:
            print(f"skipping {name}: {reason}")
    primary = args.primary or next(
        (n for n in entries if n.startswith("segmint_")), None
    )
    if primary is not None and primary not in entries:
        raise SystemExit(f"--primary {primary} is not available here")
    return entries, primary


def run_fit_cell(
    cell: FitCell, entries, repeats: int, seed: int, budget_s: float | None = None
) -> dict:
    """Time every entry on one cell; return times, iterations, inertias.

    With ``budget_s``, no further round of repeats starts once the cell has
    run that long (at least one round always runs): long cells, whose
    timings vary least, get fewer repeats.
    """
    X, _ = registry.make_blobs(
        cell.n, cell.d, cell.k, dtype=cell.dtype, separation=cell.data, seed=seed
    )
    C = registry.init_centers(X, cell.k, seed=seed)
    errors = {}
    for name, entry in entries.items():
        _guard(errors, name, entry.warm_up, "kmeans_fit", cell.dtype)
    names = [n for n in entries if n not in errors]
    times = {n: [] for n in names}
    step_times = {n: [] for n in names}
    last = {}
    fixed_niter = cell.max_iter
    started = time.perf_counter()
    for r, order in _rotations(names, repeats):
        if r and budget_s is not None and time.perf_counter() - started > budget_s:
            break
        for name in order:
            if name in errors:
                continue
            entry = entries[name]
            max_iter = fixed_niter if entry.fixed_iterations else cell.max_iter
            got = _guard(errors, name, _timed, entry.func, X, C, max_iter, cell.tol)
            if got is None:
                continue
            t, res = got
            times[name].append(t)
            if res.step_s is not None:
                step_times[name].append(res.step_s)
            last[name] = res
            if cell.tol > 0 and not entry.fixed_iterations and name == _ref(names):
                # libraries without a tolerance run as many iterations as the
                # reference needed to converge
                fixed_niter = max(1, res.n_iter)
    names = [n for n in names if n not in errors]
    ref = _ref(names)
    out = {}
    for name in names:
        res = last[name]
        med = statistics.median(times[name])
        row = {
            "label": entries[name].label,
            "times_s": times[name],
            "median_s": med,
            "n_iter": res.n_iter,
            "per_iter_s": med / max(1, res.n_iter),
            "step_per_iter_s": (
                statistics.median(step_times[name]) if step_times[name] else None
            ),
            "inertia": res.inertia,
        }
        if ref is not None:
            ref_res = last[ref]
            rel = abs(res.inertia - ref_res.inertia) / max(abs(ref_res.inertia), 1e-300)
            row["rel_inertia_diff"] = rel
            row["agree"] = bool(rel <= registry.inertia_rtol(cell.dtype, entries[name]))
            row["label_mismatch"] = int(
                np.count_nonzero(np.asarray(res.labels) != np.asarray(ref_res.labels))
            )
        out[name] = row
    del X, C, last
    gc.collect()
    return out, errors


def _guard(errors: dict, name: str, fn, *args):
    """Call ``fn(*args)``; on failure record it under ``name`` and return
    None, so one broken library does not end the whole run."""
    try:
        return fn(*args)
    except Exception as exc:
        errors[name] = f"{type(exc).__name__}: {exc}"[:500]
        print(f"  {name} failed: {errors[name]}", flush=True)
        return None


def _ref(names) -> str | None:
    ref = registry.REFERENCE["kmeans_fit"]
    if ref in names:
        return ref
    return next((n for n in names if not n.startswith("faiss")), None)


def potential(X: np.ndarray, centers: np.ndarray, chunk: int = 1 << 16) -> float:
    """Sum of squared distances to the nearest centre (float64, chunked)."""
    C = centers.astype(np.float64)
    c2 = np.einsum("ij,ij->i", C, C)
    total = 0.0
    for s in range(0, X.shape[0], chunk):
        x = X[s : s + chunk].astype(np.float64)
        d2 = np.einsum("ij,ij->i", x, x)[:, None] - 2.0 * (x @ C.T) + c2
        total += float(np.maximum(d2.min(axis=1), 0.0).sum())
    return total


def run_seed_cell(cell: SeedCell, entries, repeats: int, seed: int) -> dict:
    X, _ = registry.make_blobs(
        cell.n, cell.d, cell.k, dtype=cell.dtype, separation="separated", seed=seed
    )
    errors = {}
    for name, entry in entries.items():
        _guard(errors, name, entry.warm_up, "kmeans_plusplus", cell.dtype)
    names = [n for n in entries if n not in errors]
    times = {n: [] for n in names}
    first = {}
    for r, order in _rotations(names, repeats):
        for name in order:
            if name in errors:
                continue
            got = _guard(errors, name, _timed, entries[name].func, X, cell.k, seed + r)
            if got is None:
                continue
            t, (centers, _) = got
            times[name].append(t)
            first.setdefault(name, centers)
    names = [n for n in names if n not in errors]
    out = {}
    for name in names:
        out[name] = {
            "label": entries[name].label,
            "times_s": times[name],
            "median_s": statistics.median(times[name]),
            "potential": potential(X, first[name]),
            "centers_dtype": str(first[name].dtype),
        }
    del X
    gc.collect()
    return out, errors


# --------------------------------------------------------------------------
# cold start and scale (subprocesses)

_COLD_START = """
import json, time
t0 = time.perf_counter()
import segmint
from segmint import KMeans
t1 = time.perf_counter()
import numpy as np
X = np.random.default_rng(0).standard_normal((2000, 8))
KMeans(n_clusters=8, random_state=0).fit(X)
t2 = time.perf_counter()
print(json.dumps({"import_s": t1 - t0, "fit_s": t2 - t1, "in_process_s": t2 - t0}))
"""


def _subprocess_env(**extra) -> dict:
    env = dict(os.environ)
    src = str(ROOT / "src")
    if importlib.util.find_spec("segmint") is not None:
        import segmint

        src = str(Path(segmint.__file__).resolve().parents[1])
    env["PYTHONPATH"] = os.pathsep.join(
        p for p in (src, env.get("PYTHONPATH", "")) if p
    )
    env.update(extra)
    return env


def _run_snippet(code: str, env: dict) -> tuple[float, dict]:
    t0 = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-c", code],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        tail = " | ".join(proc.stderr.strip().splitlines()[-6:])
        raise RuntimeError(f"exit {proc.returncode}: {tail}")
    return wall, json.loads(proc.stdout.strip().splitlines()[-1])


def cold_start(repeats: int) -> dict | None:
    """``import segmint`` + a first small fit in a new process.

    Warm: the Numba cache already holds every kernel (one untimed run first).
    First-ever: an empty ``NUMBA_CACHE_DIR``, so every kernel compiles.
    """
    if not registry.COMPARISONS["kmeans_fit"]["segmint_lloyd"].available():
        print("skipping cold start: segmint.KMeans not available")
        return None
    env = _subprocess_env()
    sk_code = _COLD_START.replace("import segmint\n", "").replace(
        "from segmint import KMeans", "from sklearn.cluster import KMeans"
    )
    _run_snippet(_COLD_START, env)  # fill the cache
    warm, sk = [], []
    for _ in range(repeats):  # interleaved with the same in scikit-learn
        warm.append(_run_snippet(_COLD_START, env))
        sk.append(_run_snippet(sk_code, env))
    with tempfile.TemporaryDirectory() as cache_dir:
        first = _run_snippet(_COLD_START, _subprocess_env(NUMBA_CACHE_DIR=cache_dir))
    return {
        "warm_process_wall_s": statistics.median(w for w, _ in warm),
        "warm_in_process_s": statistics.median(r["in_process_s"] for _, r in warm),
        "warm_import_s": statistics.median(r["import_s"] for _, r in warm),
        "first_ever_process_wall_s": first[0],
        "first_ever_in_process_s": first[1]["in_process_s"],
        "runs": [r for _, r in warm],
        "sklearn_process_wall_s": statistics.median(w for w, _ in sk),
        "sklearn_in_process_s": statistics.median(r["in_process_s"] for _, r in sk),
    }


def _proc_status_kb(field: str) -> int:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return -1


def scale_worker(args) -> None:
    """Child process of the scale suite: one library, one fit, peak RSS."""
    entry = registry.COMPARISONS["kmeans_fit"][args.worker_lib]
    entry.warm_up("kmeans_fit", "float32")
    X, labels = registry.make_blobs(
        args.n, args.d, args.k, dtype="float32", separation="separated",
        seed=args.seed, chunk_rows=1 << 16,
    )  # fmt: skip
    del labels
    C = registry.init_centers(X, args.k, seed=args.seed)
    gc.collect()
    baseline_kb = _proc_status_kb("VmRSS") - X.nbytes // 1024
    reset = True
    try:  # reset the high-water mark so that data generation is not counted
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")
    except OSError:
        reset = False
    # copy_x=False: both K-means libraries centre X in place instead of
    # copying it, the documented way to fit data that barely fits in memory.
    fit = functools.partial(entry.func, copy_x=False)
    t, res = _timed(fit, X, C, args.max_iter, 0.0)
    peak_kb = _proc_status_kb("VmHWM")
    print(
        json.dumps(
            {
                "time_s": t,
                "n_iter": res.n_iter,
                "inertia": res.inertia,
                "x_bytes": X.nbytes,
                "baseline_rss_bytes": baseline_kb * 1024,
                "peak_rss_bytes": peak_kb * 1024,
                "hwm_reset_after_data": reset,
            }
        )
    )


def run_scale(args, entries) -> list[dict]:
    rows = []
    for name in entries:
        cmd = [
            sys.executable, __file__, "--worker", "scale", "--worker-lib", name,
            "--n", str(args.scale_n), "--d", "32", "--k", "100",
            "--max-iter", str(args.max_iter), "--seed", str(args.seed),
            "--keep-blas-env",
        ]  # fmt: skip
        print(f"  {name} ...", flush=True)
        proc = subprocess.run(
            cmd, env=_subprocess_env(), capture_output=True, text=True, check=False
        )
        if proc.returncode != 0:
            print(proc.stderr[-2000:])
            rows.append({"name": name, "error": proc.stderr.strip()[-500:]})
            continue
        row = json.loads(proc.stdout.strip().splitlines()[-1])
        row["name"] = name
        row["label"] = entries[name].label
        rows.append(row)
    ok = [r for r in rows if "error" not in r]
    ref = next((r for r in ok if r["name"] == "sklearn_lloyd"), None)
    for r in ok:
        r["peak_over_x"] = r["peak_rss_bytes"] / r["x_bytes"]
        r["extra_over_x"] = (r["peak_rss_bytes"] - r["baseline_rss_bytes"]) / r[
            "x_bytes"
        ]
        if ref is not None:
            r["rel_inertia_diff"] = abs(r["inertia"] - ref["inertia"]) / ref["inertia"]
    return rows


# --------------------------------------------------------------------------
# tables


def _ms(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    ms = seconds * 1e3
    return f"{ms:.3g}" if ms < 1000 else f"{ms:,.0f}"


def _x(r: float | None) -> str:
    return "—" if r is None or not np.isfinite(r) else f"{r:.2f}x"


def _gmean(values) -> float | None:
    v = [x for x in values if x is not None and np.isfinite(x) and x > 0]
    return float(np.exp(np.mean(np.log(v)))) if v else None


def fit_ratios(row: dict, primary: str | None) -> dict:
    """segmint/other ratios for one cell (None when either side is absent)."""
    libs = row["libs"]
    if primary is None or primary not in libs:
        return {}
    p = libs[primary]["median_s"]

    def ratio(name):
        return p / libs[name]["median_s"] if name in libs else None

    sk = [libs[n]["median_s"] for n in ("sklearn_lloyd", "sklearn_elkan") if n in libs]
    return {
        "vs_sklearn_lloyd": ratio("sklearn_lloyd"),
        "vs_sklearn_elkan": ratio("sklearn_elkan"),
        "vs_best_sklearn": p / min(sk) if sk else None,
        "vs_faiss": ratio("faiss"),
        "per_iter_vs_limit": libs[primary]["per_iter_s"] / row["limit_s"],
        "step_vs_limit": _step_vs_limit(libs.get(primary), row["limit_s"]),
        # the issue-3 target for the plain kernel, whatever the primary is
        "lloyd_per_iter_vs_limit": (
            libs["segmint_lloyd"]["per_iter_s"] / row["limit_s"]
            if "segmint_lloyd" in libs
            else None
        ),
        "lloyd_step_vs_limit": _step_vs_limit(
            libs.get("segmint_lloyd"), row["limit_s"]
        ),
    }


def _step_vs_limit(lib: dict | None, limit_s: float) -> float | None:
    """Time per iteration of the Lloyd steps alone / the machine's limit."""
    if lib is None or lib.get("step_per_iter_s") is None:
        return None
    return lib["step_per_iter_s"] / limit_s


def fit_table(rows: list[dict], entries, primary: str | None) -> str:
    names = list(entries)
    head = ["cell", "runs", "iters"]
    head += [f"{entries[n].label} ms (ms/it)" for n in names]
    p_label = entries[primary].label if primary else "segmint"
    head += [
        f"{p_label} / sk lloyd",
        "/ sk elkan",
        "/ best sk",
        "/ faiss",
        "limit ms/it",
        "ms/it / limit",
        "step ms/it / limit",
        "inertia agree",
    ]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for row in rows:
        libs = row["libs"]
        rat = row.get("ratios", {})
        iters = sorted({v["n_iter"] for v in libs.values()})
        runs = min((len(v["times_s"]) for v in libs.values()), default=0)
        cells = [row["cell_name"], str(runs), "/".join(map(str, iters))]
        for n in names:
            v = libs.get(n)
            if v is not None:
                cells.append(f"{_ms(v['median_s'])} ({_ms(v['per_iter_s'])})")
            else:
                cells.append("failed" if n in row.get("errors", {}) else "—")
        cells += [
            _x(rat.get("vs_sklearn_lloyd")),
            _x(rat.get("vs_sklearn_elkan")),
            _x(rat.get("vs_best_sklearn")),
            _x(rat.get("vs_faiss")),
            _ms(row["limit_s"]),
            _x(rat.get("per_iter_vs_limit")),
            _x(rat.get("step_vs_limit")),
            _agree_text(libs),
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _agree_text(libs: dict) -> str:
    bad = [
        f"{v['label']} {v['rel_inertia_diff']:.1e}"
        for v in libs.values()
        if "agree" in v and not v["agree"]
    ]
    if not any("agree" in v for v in libs.values()):
        return "—"
    return "yes" if not bad else "NO: " + ", ".join(bad)


def fit_summary(rows: list[dict], primary: str | None) -> dict:
    rat = [r.get("ratios", {}) for r in rows]

    def col(key):
        return [r.get(key) for r in rat if r.get(key) is not None]

    best = col("vs_best_sklearn")
    return {
        "cells": len(rows),
        "primary": primary,
        "gmean_vs_sklearn_lloyd": _gmean(col("vs_sklearn_lloyd")),
        "gmean_vs_sklearn_elkan": _gmean(col("vs_sklearn_elkan")),
        "gmean_vs_best_sklearn": _gmean(best),
        "max_vs_best_sklearn": max(best) if best else None,
        "cells_slower_than_best_sklearn": sum(b > 1.0 for b in best),
        "gmean_vs_faiss": _gmean(col("vs_faiss")),
        "cells_slower_than_faiss": sum(b > 1.0 for b in col("vs_faiss")),
        "gmean_per_iter_vs_limit": _gmean(col("per_iter_vs_limit")),
        "max_per_iter_vs_limit": max(col("per_iter_vs_limit"), default=None),
        "gmean_lloyd_per_iter_vs_limit": _gmean(col("lloyd_per_iter_vs_limit")),
        "gmean_step_vs_limit": _gmean(col("step_vs_limit")),
        "max_step_vs_limit": max(col("step_vs_limit"), default=None),
        "max_lloyd_step_vs_limit": max(col("lloyd_step_vs_limit"), default=None),
        "inertia_disagreements": sum(
            1
            for r in rows
            for v in r["libs"].values()
            if "agree" in v and not v["agree"]
        ),
    }


def fit_summary_text(s: dict) -> str:
    return (
        f"{s['cells']} cells, ratios {s['primary']} / other (geometric mean): "
        f"sklearn lloyd {_x(s['gmean_vs_sklearn_lloyd'])}, "
        f"sklearn elkan {_x(s['gmean_vs_sklearn_elkan'])}, "
        f"best sklearn {_x(s['gmean_vs_best_sklearn'])} "
        f"(max {_x(s['max_vs_best_sklearn'])}, "
        f"{s['cells_slower_than_best_sklearn']} cells > 1.00x), "
        f"faiss {_x(s['gmean_vs_faiss'])} "
        f"({s['cells_slower_than_faiss']} cells > 1.00x); "
        f"time per iteration / machine limit: gmean {_x(s['gmean_per_iter_vs_limit'])}, "
        f"max {_x(s['max_per_iter_vs_limit'])}"
        + (
            f" (segmint lloyd: gmean {_x(s['gmean_lloyd_per_iter_vs_limit'])})"
            if s.get("gmean_lloyd_per_iter_vs_limit")
            else ""
        )
        + (
            f"; steps alone / limit: gmean {_x(s['gmean_step_vs_limit'])}, "
            f"max {_x(s['max_step_vs_limit'])}"
            if s.get("gmean_step_vs_limit")
            else ""
        )
        + "; "
        f"inertia disagreements: {s['inertia_disagreements']}"
    )


def seed_table(rows: list[dict], entries) -> str:
    names = list(entries)
    head = ["cell", *(f"{entries[n].label} ms" for n in names)]
    head += ["segmint / sklearn", "potential segmint / sklearn"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for row in rows:
        libs = row["libs"]
        cells = [row["cell_name"]]
        cells += [
            _ms(libs[n]["median_s"])
            if n in libs
            else ("failed" if n in row.get("errors", {}) else "—")
            for n in names
        ]
        if "segmint" in libs and "sklearn" in libs:
            cells.append(_x(libs["segmint"]["median_s"] / libs["sklearn"]["median_s"]))
            cells.append(
                f"{libs['segmint']['potential'] / libs['sklearn']['potential']:.3f}"
            )
        else:
            cells += ["—", "—"]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def scale_table(rows: list[dict]) -> str:
    head = [
        "library", "time s", "iters", "ms/it", "X GB", "peak RSS GB",
        "baseline RSS GB", "peak / X", "(peak - baseline) / X", "inertia vs sk lloyd",
    ]  # fmt: skip
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in rows:
        if "error" in r:
            lines.append(f"| {r['name']} | failed: {r['error'][-80:]} |")
            continue
        lines.append(
            "| "
            + " | ".join(
                [
                    r["label"],
                    f"{r['time_s']:.2f}",
                    str(r["n_iter"]),
                    _ms(r["time_s"] / max(1, r["n_iter"])),
                    f"{r['x_bytes'] / 1e9:.2f}",
                    f"{r['peak_rss_bytes'] / 1e9:.2f}",
                    f"{r['baseline_rss_bytes'] / 1e9:.2f}",
                    f"{r['peak_over_x']:.2f}",
                    f"{r['extra_over_x']:.2f}",
                    f"{r['rel_inertia_diff']:.1e}" if "rel_inertia_diff" in r else "—",
                ]
            )
            + " |"
        )
    return "\n".join(lines)


# --------------------------------------------------------------------------
# plots


def _ratio_axis(ax) -> None:
    """Log-scaled ratio axis labelled 0.25x, 0.5x, 1x, ..."""
    from matplotlib.ticker import FixedLocator, FuncFormatter, NullFormatter

    ax.set_yscale("log")
    ticks = [0.05, 0.1, 0.2, 0.33, 0.5, 1, 2, 3, 5, 10]
    ax.yaxis.set_major_locator(FixedLocator(ticks))
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}x"))
    ax.yaxis.set_minor_formatter(NullFormatter())
    ax.grid(axis="y", which="major", alpha=0.3)


def plot_fit(rows: list[dict], primary: str | None, path: Path, title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    keys = [
        ("vs_sklearn_lloyd", "vs sklearn lloyd"),
        ("vs_sklearn_elkan", "vs sklearn elkan"),
        ("vs_faiss", "vs faiss"),
    ]
    keys = [(k, lab) for k, lab in keys if any(r["ratios"].get(k) for r in rows)]
    if not keys:
        return
    names = [r["cell_name"] for r in rows]
    x = np.arange(len(rows))
    width = 0.8 / len(keys)
    fig, ax = plt.subplots(figsize=(max(6.0, 0.45 * len(rows) + 2), 4.5))
    for i, (key, lab) in enumerate(keys):
        vals = [r["ratios"].get(key) or np.nan for r in rows]
        ax.bar(x + (i - (len(keys) - 1) / 2) * width, vals, width, label=lab)
    ax.axhline(1.0, color="black", lw=1)
    _ratio_axis(ax)
    ax.set_ylabel(f"{primary} time / other (lower = faster)")
    ax.set_xticks(x, names, rotation=60, ha="right", fontsize=7)
    ax.set_title(title)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def plot_seed(rows: list[dict], path: Path, title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    pairs = [
        (
            r["cell_name"],
            r["libs"]["segmint"]["median_s"] / r["libs"]["sklearn"]["median_s"],
        )
        for r in rows
        if "segmint" in r["libs"] and "sklearn" in r["libs"]
    ]
    if not pairs:
        return
    fig, ax = plt.subplots(figsize=(max(6.0, 0.5 * len(pairs) + 2), 4))
    ax.bar(range(len(pairs)), [p[1] for p in pairs])
    ax.axhline(1.0, color="black", lw=1)
    _ratio_axis(ax)
    ax.set_ylabel("time ratio segmint / sklearn")
    ax.set_xticks(range(len(pairs)), [p[0] for p in pairs], rotation=45, ha="right")
    ax.set_title(title)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


# --------------------------------------------------------------------------
# suites


def core_cells(args) -> tuple[list[FitCell], list[SeedCell]]:
    n = 200_000 if args.quick else 1_000_000
    fits = [
        FitCell(n, 16, 16, dt, "overlapping", args.max_iter or 20, 0.0)
        for dt in args.dtypes
    ]
    seeds = [SeedCell(n, 16, 256, dt) for dt in args.dtypes]
    return fits, seeds


def grid_cells(args) -> list[FitCell]:
    if args.quick:
        ns, ds, ks = [100_000], [2, 32], [8, 64]
    else:
        ns, ds, ks = [100_000, 1_000_000], [2, 8, 32, 128], [8, 64, 256]
    ns, ds, ks = args.n or ns, args.d or ds, args.k or ks
    return [
        FitCell(n, d, k, dt, data, args.max_iter or 300, args.tol)
        for n, d, k, dt, data in itertools.product(ns, ds, ks, args.dtypes, args.data)
    ]


def seeding_cells(args) -> list[SeedCell]:
    if args.quick:
        ns, ds, ks = [100_000], [16], [16, 256]
    else:
        ns, ds, ks = [100_000, 1_000_000], [2, 16, 128], [16, 256]
    ns, ds, ks = args.n or ns, args.d or ds, args.k or ks
    return [
        SeedCell(n, d, k, dt)
        for n, d, k, dt in itertools.product(ns, ds, ks, args.dtypes)
    ]


def run_fit_suite(cells, entries, primary, args, limits) -> list[dict]:
    rows = []
    for i, cell in enumerate(cells, 1):
        t0 = time.perf_counter()
        libs, errors = run_fit_cell(
            cell, entries, args.repeats, args.seed, args.cell_budget
        )
        row = {
            "cell": asdict(cell),
            "cell_name": cell.name,
            "limit_s": limits.limit_seconds(cell.n, cell.d, cell.k, cell.dtype),
            "libs": libs,
            "errors": errors,
        }
        row["ratios"] = fit_ratios(row, primary)
        rows.append(row)
        rat = row["ratios"]
        print(
            f"[{i}/{len(cells)}] {cell.name}: "
            + ", ".join(f"{v['label']} {_ms(v['median_s'])} ms" for v in libs.values())
            + (
                f"; {primary}/best sklearn {_x(rat.get('vs_best_sklearn'))}"
                if rat
                else ""
            )
            + f" ({time.perf_counter() - t0:.0f} s)",
            flush=True,
        )
    return rows


def run_seed_suite(cells, args) -> tuple[list[dict], dict]:
    entries = registry.available("kmeans_plusplus")
    for name, e in registry.COMPARISONS["kmeans_plusplus"].items():
        if name not in entries:
            print(f"skipping kmeans_plusplus {name}: {e.unavailable_reason()}")
    rows = []
    for i, cell in enumerate(cells, 1):
        libs, errors = run_seed_cell(cell, entries, args.repeats, args.seed)
        rows.append(
            {
                "cell": asdict(cell),
                "cell_name": cell.name,
                "libs": libs,
                "errors": errors,
            }
        )
        print(
            f"[{i}/{len(cells)}] kmeans_plusplus {cell.name}: "
            + ", ".join(f"{v['label']} {_ms(v['median_s'])} ms" for v in libs.values()),
            flush=True,
        )
    return rows, entries


def check_floors_core(fit_rows, seed_rows, cold) -> list[str]:
    """The issue-2 floors, as PASS/FAIL lines."""
    out = []
    for r in fit_rows:
        v = r["ratios"].get("vs_sklearn_lloyd")
        if v is not None:
            verdict = "PASS" if v <= 1.0 else "FAIL"
            out.append(
                f"{verdict} KMeans.fit {r['cell_name']}: {_x(v)} of sklearn lloyd (floor <= 1.00x)"
            )
    for r in seed_rows:
        libs = r["libs"]
        if "segmint" in libs and "sklearn" in libs:
            v = libs["segmint"]["median_s"] / libs["sklearn"]["median_s"]
            verdict = "PASS" if v <= 1 / 3 else "FAIL"
            out.append(
                f"{verdict} kmeans_plusplus {r['cell_name']}: {_x(v)} of sklearn (floor <= 0.33x)"
            )
    if cold:
        v = cold["warm_process_wall_s"]
        verdict = "PASS" if v < 1.5 else "FAIL"
        out.append(
            f"{verdict} cold start (warm cache), whole process: {v:.2f} s (floor < 1.5 s)"
        )
    return out


def check_targets_grid(summary) -> list[str]:
    out = []

    def line(ok, text):
        out.append(("PASS " if ok else "FAIL ") + text)

    g = summary["gmean_vs_best_sklearn"]
    if g is not None:
        line(g <= 0.33, f"geometric mean vs best sklearn {_x(g)} (target <= 0.33x)")
        m = summary["max_vs_best_sklearn"]
        line(m <= 1.0, f"worst cell vs best sklearn {_x(m)} (target <= 1.00x)")
    f = summary["gmean_vs_faiss"]
    if f is not None:
        line(
            summary["cells_slower_than_faiss"] == 0,
            f"cells slower than faiss: {summary['cells_slower_than_faiss']} (gmean {_x(f)})",
        )
    m = summary.get("max_lloyd_step_vs_limit")
    if m is not None:
        line(
            m <= 1.5,
            f"plain lloyd steps per iteration, worst cell: {_x(m)} of the machine "
            "limit (target <= 1.50x)",
        )
    return out


def parse_args(argv=None):
    p = argparse.ArgumentParser(
        description="segmint vs scikit-learn vs faiss, side by side",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    p.add_argument(
        "--suite", choices=["core", "grid", "seeding", "scale"], default="core"
    )
    p.add_argument("--quick", action="store_true", help="small subset / sizes")
    p.add_argument(
        "--repeats",
        type=int,
        default=None,
        help="timed runs per library and cell (default 3; scale: 1)",
    )
    p.add_argument(
        "--cell-budget",
        type=float,
        default=None,
        metavar="SECONDS",
        help="fit suites: start no further repeat of a cell after it has run "
        "this long (medians then come from fewer runs; the table says how many)",
    )
    p.add_argument(
        "--algorithms",
        default=None,
        help="segmint KMeans algorithms to time, comma-separated; the first is "
        "the 'segmint' column (default: core lloyd; grid auto, else lloyd)",
    )
    p.add_argument(
        "--primary",
        default=None,
        help="registry name used as the ratio numerator (default: first segmint entry)",
    )
    p.add_argument(
        "--libs", default=None, help="only these libraries, e.g. segmint,sklearn"
    )
    p.add_argument("--dtypes", default="float32,float64")
    p.add_argument("--data", default="separated,overlapping", help="grid: blob layouts")
    p.add_argument("--n", default=None, help="grid/seeding: comma-separated n values")
    p.add_argument("--d", default=None, help="grid/seeding: comma-separated d values")
    p.add_argument("--k", default=None, help="grid/seeding: comma-separated k values")
    p.add_argument(
        "--max-iter", type=int, default=None, help="core/scale: 20 (tol=0); grid: 300"
    )
    p.add_argument(
        "--tol", type=float, default=1e-4, help="grid: convergence tolerance"
    )
    p.add_argument(
        "--scale-n", type=int, default=None, help="scale: rows (default 1e7; quick 2e6)"
    )
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--plot", action="store_true", help="write a PNG of the ratios")
    p.add_argument("--out", default=str(RESULTS), help="results directory")
    p.add_argument(
        "--no-cold-start",
        action="store_true",
        help="core: skip the cold-start subprocesses",
    )
    p.add_argument(
        "--cpu-time",
        action="store_true",
        help="time process CPU time instead of wall time (use with --threads 1)",
    )
    p.add_argument(
        "--this-run-limits",
        action="store_true",
        help="use the limits measured in this run, not the best known here",
    )
    p.add_argument(
        "--threads",
        type=int,
        default=0,
        help="threads for every library (Numba, OpenMP, BLAS); 0: all cores",
    )
    p.add_argument(
        "--keep-blas-env",
        action="store_true",
        help="keep OPENBLAS_CORETYPE/OPENBLAS_L2_SIZE",
    )
    p.add_argument("--worker", default=None, help=argparse.SUPPRESS)
    p.add_argument("--worker-lib", default=None, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    args.dtypes = args.dtypes.split(",")
    args.data = args.data.split(",")
    args.libs = args.libs.split(",") if args.libs else None
    for key in ("n", "d", "k"):
        v = getattr(args, key)
        if v and not args.worker:
            setattr(args, key, [int(float(x)) for x in v.split(",")])
        elif v:
            setattr(args, key, int(float(v)))
    if args.algorithms:
        args.algorithms = args.algorithms.split(",")
    elif (
        args.suite == "grid"
        and registry.COMPARISONS["kmeans_fit"]["segmint_auto"].available()
    ):
        args.algorithms = ["auto"]
    else:
        args.algorithms = ["lloyd"]
    if args.repeats is None:
        args.repeats = 1 if args.suite == "scale" else 3
    if args.scale_n is None:
        args.scale_n = 2_000_000 if args.quick else 10_000_000
    return args


def main(argv=None) -> dict:
    global _CLOCK
    args = parse_args(argv)
    if args.cpu_time:
        _CLOCK = time.process_time
    if args.worker == "scale":
        scale_worker(args)
        return {}
    out_dir = Path(args.out)
    out_dir.mkdir(parents=True, exist_ok=True)
    stem = args.suite + ("-quick" if args.quick else "")
    command = "python benchmarks/compare.py " + " ".join(
        a
        for a in (argv if argv is not None else sys.argv[1:])
        if a != "--keep-blas-env"
    )
    print("measuring machine limits ...", flush=True)
    limits = machine.measure(quick=args.quick)
    if not args.this_run_limits:
        limits = machine.best_known(limits, machine.BEST_KNOWN)
    print(limits.describe(), flush=True)
    result = {
        "suite": args.suite,
        "command": command,
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "versions": _versions(),
        "machine": limits.to_dict(),
        "repeats": args.repeats,
        "threads": args.threads or os.cpu_count(),
        "clock": "process CPU time" if args.cpu_time else "wall time",
    }
    md = [
        f"# `{command}`",
        "",
        f"{result['date']}, {platform.platform()}, {os.cpu_count()} CPUs. "
        f"{result['threads']} threads per library, {result['clock']}. "
        f"Medians of {args.repeats} "
        f"interleaved runs. {limits.describe()}.",
        "",
        "Versions: " + ", ".join(f"{k} {v}" for k, v in result["versions"].items()),
        "",
    ]
    lines = []
    if args.suite in ("core", "grid"):
        entries, primary = select_fit_entries(args)
        if args.suite == "core":
            fit_cells, seed_cells = core_cells(args)
        else:
            fit_cells, seed_cells = grid_cells(args), []
        print(
            f"{len(fit_cells)} fit cells; libraries: {', '.join(entries)}", flush=True
        )
        fit_rows = run_fit_suite(fit_cells, entries, primary, args, limits)
        summary = fit_summary(fit_rows, primary)
        result.update(fit_rows=fit_rows, fit_summary=summary, primary=primary)
        title = (
            "KMeans.fit, same init, fixed iterations (tol=0): ms total (ms per iteration)"
            if args.suite == "core"
            else f"KMeans.fit, same init, to convergence (tol={args.tol}): ms total (ms per iteration)"
        )
        md += [f"## {title}", "", fit_table(fit_rows, entries, primary), ""]
        md += [fit_summary_text(summary), ""]
        if args.plot:
            png = out_dir / f"{stem}.png"
            plot_fit(fit_rows, primary, png, f"{args.suite}: {primary} / other")
            md += [f"![ratios]({png.name})", ""]
        if args.suite == "core":
            seed_rows, seed_entries = run_seed_suite(seed_cells, args)
            result["seed_rows"] = seed_rows
            md += [
                "## kmeans_plusplus: ms",
                "",
                seed_table(seed_rows, seed_entries),
                "",
            ]
            cold = None
            if not args.no_cold_start:
                cold = _guard(
                    result.setdefault("errors", {}),
                    "cold_start",
                    cold_start,
                    args.repeats,
                )
            result["cold_start"] = cold
            if cold:
                md += [
                    "## Cold start: new process, `import segmint` + first small fit",
                    "",
                    f"- warm Numba cache: {cold['warm_process_wall_s']:.2f} s whole "
                    f"process ({cold['warm_in_process_s']:.2f} s from before "
                    f"`import segmint` to the end of the fit; import alone "
                    f"{cold['warm_import_s']:.2f} s)",
                    f"- the same with scikit-learn's KMeans, for scale: "
                    f"{cold['sklearn_process_wall_s']:.2f} s whole process "
                    f"({cold['sklearn_in_process_s']:.2f} s import + fit)",
                    f"- first-ever run (empty cache, every kernel compiles): "
                    f"{cold['first_ever_process_wall_s']:.1f} s whole process",
                    "",
                ]
            lines = check_floors_core(fit_rows, seed_rows, cold)
        else:
            lines = check_targets_grid(summary)
    elif args.suite == "seeding":
        seed_rows, seed_entries = run_seed_suite(seeding_cells(args), args)
        result["seed_rows"] = seed_rows
        md += ["## kmeans_plusplus: ms", "", seed_table(seed_rows, seed_entries), ""]
        if args.plot:
            png = out_dir / f"{stem}.png"
            plot_seed(seed_rows, png, "kmeans_plusplus: segmint / sklearn")
            md += [f"![ratios]({png.name})", ""]
    elif args.suite == "scale":
        entries, _ = select_fit_entries(args)
        entries = {n: e for n, e in entries.items() if n != "sklearn_elkan"}
        args.max_iter = args.max_iter or 20
        print(
            f"scale: n={args.scale_n:,} d=32 k=100 float32, max_iter={args.max_iter}, "
            "tol=0, one process per library",
            flush=True,
        )
        rows = run_scale(args, entries)
        result["scale_rows"] = rows
        md += [
            f"## Scale: n={args.scale_n:,}, d=32, k=100, float32, "
            f"{args.max_iter} iterations (tol=0), one process per library",
            "",
            scale_table(rows),
            "",
            "Peak RSS is the process high-water mark (VmHWM) during the fit; "
            "baseline is the process before X existed (interpreter, libraries).",
            "",
        ]
    if lines:
        md += ["## Floors / targets", "", *(f"- {s}" for s in lines), ""]
    text = "\n".join(md)
    (out_dir / f"{stem}.md").write_text(text)
    (out_dir / f"{stem}.json").write_text(
        json.dumps(result, indent=1, default=_json_default)
    )
    print()
    print(text)
    print(f"wrote {out_dir / (stem + '.md')} and .json")
    return result


def _json_default(o):
    if isinstance(o, np.generic):
        return o.item()
    if isinstance(o, np.ndarray):
        return o.tolist()
    return str(o)


def _versions() -> dict:
    from importlib.metadata import PackageNotFoundError, version

    out = {}
    for pkg in ("numpy", "numba", "scikit-learn", "faiss-cpu", "segmint"):
        try:
            out[pkg] = version(pkg)
        except PackageNotFoundError:
            if pkg == "segmint":
                out[pkg] = "source tree"
    return out


if __name__ == "__main__":
    main()
