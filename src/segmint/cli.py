"""The ``segmint`` command: customer segmentation from the shell.

A thin layer over :mod:`segmint.segment`: it parses arguments, reads and
writes files, shows progress and turns bad input into one line on stderr and
exit status 2 (0: success, 1: an unexpected failure, 2: bad input or usage).
Heavy libraries are imported inside the commands, so ``segmint --help``
stays fast.
"""

from __future__ import annotations

import contextlib
import csv
import enum
import sys
import tempfile
from pathlib import Path
from typing import Annotated

import typer

app = typer.Typer(
    name="segmint",
    no_args_is_help=True,
    add_completion=False,
    # a bug should show a plain traceback; bad input never reaches this
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)

#: Exit status for bad input or usage (as click uses for usage errors).
EXIT_BAD_INPUT = 2

_DEFAULT_OUT = Path("segmint-out")

#: (rows, features, clusters) timed by `segmint bench`: small enough to run
#: in seconds, large enough that a fit is not dominated by Python overhead.
BENCH_CASES = [(10_000, 8, 8), (50_000, 16, 8), (100_000, 4, 16)]


class Algorithm(str, enum.Enum):
    kmeans = "kmeans"
    minibatch = "minibatch"
    agglomerative = "agglomerative"
    dbscan = "dbscan"


class UserError(Exception):
    """Bad input found by the command line itself; the message is one line."""


# --------------------------------------------------------------------------
# plumbing


def _one_line(message) -> str:
    return " ".join(str(message).split())


def _fail(message) -> typer.Exit:
    typer.echo(f"segmint: error: {_one_line(message)}", err=True)
    return typer.Exit(EXIT_BAD_INPUT)


def _os_message(exc: OSError) -> str:
    where = exc.filename if exc.filename is not None else ""
    what = exc.strerror or exc.__class__.__name__
    return f"{what}: {where}" if where else _one_line(exc)


@contextlib.contextmanager
def _user_errors():
    """Turn bad input into one line on stderr and exit status 2."""
    from segmint.segment.errors import SegmentationError

    try:
        yield
    except (UserError, SegmentationError) as exc:
        raise _fail(exc) from None
    except OSError as exc:
        raise _fail(_os_message(exc)) from None
    except (ValueError, KeyError) as exc:
        # the boundary: a library below rejected the input
        msg = exc.args[0] if isinstance(exc, KeyError) and exc.args else exc
        raise _fail(msg) from None


def _console():
    """Console for results on stdout: plain text, never re-wrapped.

    Paths and names come from the user and the data: they must not be read
    as rich markup, and a long path must stay on one line to be copied.
    """
    from rich.console import Console

    return Console(markup=False, highlight=False, soft_wrap=True)


@contextlib.contextmanager
def _step(description: str):
    """A spinner on stderr while a long step runs (only on a terminal)."""
    from rich.console import Console
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    console = Console(stderr=True)
    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
        console=console,
        transient=True,
        disable=not console.is_terminal,
    ) as progress:
        progress.add_task(description, total=None)
        yield


def _read_table(path: Path, what: str = "input"):
    """Read a CSV or Parquet file into a DataFrame, or raise UserError."""
    import pandas as pd

    if not path.exists():
        raise UserError(f"{what} file not found: {path}")
    if path.is_dir():
        raise UserError(f"{what} {path} is a folder; give a .csv or .parquet file")
    suffix = path.suffix.lower()
    if suffix in {".parquet", ".pq"}:
        try:
            df = pd.read_parquet(path)
        except OSError:
            raise
        except Exception as exc:  # pyarrow raises its own types for bad files
            raise UserError(
                f"could not read {path} as Parquet: {_one_line(exc)}"
            ) from None
    else:
        with path.open("rb") as fh:
            head = fh.read(8192)
        compressed = suffix in {".gz", ".bz2", ".zip", ".xz", ".zst"}
        if b"\x00" in head and not compressed:
            raise UserError(
                f"could not read {path} as CSV: it holds binary data, not text"
            )
        try:
            try:
                encoding = "utf-8-sig"
                df = pd.read_csv(path, encoding=encoding)
            except UnicodeDecodeError:
                # exports from spreadsheets are often Windows-1252
                encoding = "cp1252"
                df = pd.read_csv(path, encoding=encoding)
            if df.shape[1] == 1 and any(d in str(df.columns[0]) for d in ";\t|"):
                # one column whose name holds another delimiter: a European
                # (;) or tab-separated export; let pandas sniff the delimiter
                df = pd.read_csv(path, sep=None, engine="python", encoding=encoding)
        except pd.errors.EmptyDataError:
            raise UserError(f"{what} file {path} is empty") from None
        except (pd.errors.ParserError, UnicodeDecodeError, csv.Error) as exc:
            raise UserError(f"could not read {path} as CSV: {_one_line(exc)}") from None
    if len(df) == 0:
        raise UserError(f"{what} file {path} has a header but no data rows")
    return df


def _write_table(df, path: Path) -> Path:
    """Write a DataFrame as CSV, or Parquet when ``path`` says so, atomically."""
    from segmint.segment.model import _atomic_write, write_csv

    if path.suffix.lower() in {".parquet", ".pq"}:
        return _atomic_write(path, lambda fh: df.to_parquet(fh, index=False))
    return write_csv(df, path)


def _check_out_dir(out: Path) -> Path:
    """Create the output folder and make sure files can be written in it."""
    if out.exists() and not out.is_dir():
        raise UserError(f"output folder {out} is a file; give a folder")
    try:
        out.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=out):
            pass
    except OSError as exc:
        raise UserError(
            f"output folder {out} is not writable ({exc.strerror or exc}); "
            "choose another with --out"
        ) from None
    return out


def _check_out_file(out: Path) -> Path:
    """Make sure ``out`` can be written as a file."""
    if out.is_dir():
        raise UserError(f"output {out} is a folder; give a file name such as out.csv")
    _check_out_dir(out.parent)
    return out


def _parse_k(k: str):
    if k.strip().lower() == "auto":
        return "auto"
    try:
        value = int(k)
    except ValueError:
        raise UserError(f"--k {k!r} should be 'auto' or a whole number >= 1") from None
    if value < 1:
        raise UserError(f"--k {k!r} should be 'auto' or a whole number >= 1")
    return value


def _split_names(values) -> list[str] | None:
    """``--columns a,b --columns c`` -> ``["a", "b", "c"]``."""
    if not values:
        return None
    return [n.strip() for v in values for n in v.split(",") if n.strip()]


def _check_columns(df, options):
    """Every column named on the command line must be in the table.

    ``options`` is a list of (option, column names) pairs; the message names
    the option, the missing column and the columns the table has.
    """
    for option, names in options:
        missing = [n for n in names if n is not None and n not in df.columns]
        if missing:
            cols = ", ".join(repr(str(c)) for c in list(df.columns)[:12])
            more = f", ... ({df.shape[1]} in all)" if df.shape[1] > 12 else ""
            raise UserError(
                f"{option}: unknown column {', '.join(repr(m) for m in missing)}; "
                f"the file has {cols}{more}"
            )


def _print_summary(result, files: dict) -> None:
    """A table of the segments and where the files went."""
    from rich.table import Table

    console = _console()
    table = Table(
        title=f"{result.k} segments of {len(result.segments):,} rows "
        f"({result.algorithm})",
        title_justify="left",
    )
    table.add_column("Segment", justify="right")
    table.add_column("Name")
    table.add_column("Rows", justify="right")
    table.add_column("Share", justify="right")
    table.add_column("Traits", overflow="fold")
    for _, p in result.profiles.iterrows():
        table.add_row(
            str(p["segment"]),
            str(p["segment_name"]),
            f"{int(p['size']):,}",
            f"{float(p['share']):.1%}",
            str(p["traits"]),
        )
    console.print(table)
    for what, path in files.items():
        console.print(f"  {what:<10} {path}")
    if "report" in files:
        console.print(f"Open {files['report']} in a web browser to read the report.")


def _run_segmentation(df, out: Path, *, title, report, **kwargs):
    """segment() -> save -> report, with progress; returns (result, files)."""
    from segmint.segment import segment
    from segmint.segment.report import write_report

    with _step(f"Segmenting {len(df):,} rows"):
        result = segment(df, **kwargs)
    with _step("Writing segments, profiles and model"):
        saved = result.save(out)
    files = {name.replace("_", "."): path for name, path in saved.items()}
    if report:
        with _step("Drawing the report"):
            files["report"] = write_report(result, out / "report.html", title=title)
    return result, files


# --------------------------------------------------------------------------
# commands


def _version_callback(value: bool):
    if value:
        from segmint import __version__

        typer.echo(f"segmint {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    version: Annotated[
        bool,
        typer.Option(
            "--version",
            callback=_version_callback,
            is_eager=True,
            help="Print the version and exit.",
        ),
    ] = False,
):
    """Fast K-means customer segmentation.

    A table of customers in; segments, profiles, a model and an HTML report
    out. Start with `segmint demo`, which segments the bundled UCI Wholesale
    customers table and writes a report you can open in a browser.
    """


OutDir = Annotated[
    Path,
    typer.Option(
        "--out",
        "-o",
        help="Output folder (created if missing).",
        metavar="DIR",
    ),
]


@app.command()
def demo(
    out: OutDir = _DEFAULT_OUT,
    k: Annotated[
        str, typer.Option(help="Number of segments, or 'auto' to choose it.")
    ] = "auto",
    seed: Annotated[int, typer.Option(help="Random seed.")] = 0,
):
    """Segment the bundled UCI Wholesale customers table (440 rows).

    Writes segments.csv, profiles.csv, the model (model.json + model.npz)
    and report.html to the output folder, and prints the segments.
    """
    with _user_errors():
        from segmint.datasets import load_wholesale

        k_value = _parse_k(k)
        _check_out_dir(out)
        # Channel and Region as named categories, so that segment names
        # read "Mostly Channel=Retail" instead of a code
        df = load_wholesale(decode=True)
        result, files = _run_segmentation(
            df,
            out,
            title="UCI Wholesale customers: segmentation report",
            report=True,
            k=k_value,
            random_state=seed,
        )
    _print_summary(result, files)


@app.command("segment")
def segment_cmd(
    file: Annotated[
        Path,
        typer.Argument(
            help="Customer table: .csv or .parquet, one row per customer.",
            metavar="FILE",
        ),
    ],
    out: OutDir = _DEFAULT_OUT,
    k: Annotated[
        str,
        typer.Option("--k", "-k", help="Number of segments, or 'auto'.", metavar="K"),
    ] = "auto",
    id_column: Annotated[
        str | None,
        typer.Option(
            "--id", help="Identifier column (inferred when omitted).", metavar="COLUMN"
        ),
    ] = None,
    columns: Annotated[
        list[str] | None,
        typer.Option(
            "--columns",
            "-c",
            metavar="COLUMNS",
            help="Feature columns (repeat, or separate with commas); "
            "default: every numeric and categorical column.",
        ),
    ] = None,
    categorical: Annotated[
        list[str] | None,
        typer.Option(
            help="Treat these columns as categories even if they hold numbers "
            "(repeat, or separate with commas).",
            metavar="COLUMNS",
        ),
    ] = None,
    algorithm: Annotated[
        Algorithm, typer.Option(help="Clustering algorithm.")
    ] = Algorithm.kmeans,
    scaling: Annotated[
        str, typer.Option(help="standard, robust, minmax or none.", metavar="NAME")
    ] = "standard",
    seed: Annotated[int, typer.Option(help="Random seed.")] = 0,
    report: Annotated[
        bool, typer.Option(help="Write report.html next to the tables.")
    ] = True,
):
    """Segment the rows of a customer table.

    Writes segments.csv (every input row with its segment and distance to
    the segment centre), profiles.csv, the model (model.json + model.npz)
    and report.html to the output folder.
    """
    with _user_errors():
        k_value = _parse_k(k)
        names = _split_names(columns)
        cats = _split_names(categorical)
        _check_out_dir(out)
        with _step(f"Reading {file}"):
            df = _read_table(file)
        _check_columns(
            df,
            [
                ("--id", [id_column]),
                ("--columns", names or []),
                ("--categorical", cats or []),
            ],
        )
        result, files = _run_segmentation(
            df,
            out,
            title=f"Segmentation of {file.name}",
            report=report,
            k=k_value,
            id_column=id_column,
            columns=names,
            roles=dict.fromkeys(cats, "categorical") if cats else None,
            algorithm=algorithm.value,
            scaling=scaling,
            random_state=seed,
        )
    _print_summary(result, files)


@app.command()
def rfm(
    transactions: Annotated[
        Path,
        typer.Argument(
            help="Transaction log: .csv or .parquet.", metavar="TRANSACTIONS"
        ),
    ],
    customer_id: Annotated[
        str,
        typer.Option(
            "--customer-id", help="Customer identifier column.", metavar="COLUMN"
        ),
    ],
    date: Annotated[
        str, typer.Option(help="Transaction date column.", metavar="COLUMN")
    ],
    out: Annotated[
        Path,
        typer.Option(
            "--out", "-o", help="Output file (.csv or .parquet).", metavar="FILE"
        ),
    ],
    amount: Annotated[
        str | None,
        typer.Option(
            help="Amount column (money per line); or give --quantity and --price.",
            metavar="COLUMN",
        ),
    ] = None,
    quantity: Annotated[
        str | None,
        typer.Option(
            help="Quantity column (amount = quantity x price).", metavar="COLUMN"
        ),
    ] = None,
    price: Annotated[
        str | None, typer.Option(help="Unit price column.", metavar="COLUMN")
    ] = None,
    invoice: Annotated[
        str | None,
        typer.Option(
            help="Invoice column: frequency counts invoices, not lines.",
            metavar="COLUMN",
        ),
    ] = None,
    as_of: Annotated[
        str | None,
        typer.Option(
            help="Date recency is measured at (default: the last date in the log).",
            metavar="DATE",
        ),
    ] = None,
):
    """Recency, frequency and monetary value per customer from transactions.

    The output has one row per customer and can be segmented with
    `segmint segment OUT --id CUSTOMER_ID`.
    """
    with _user_errors():
        import pandas as pd

        from segmint.segment import rfm as compute_rfm

        if amount is None and (quantity is None or price is None):
            raise UserError("give --amount, or both --quantity and --price")
        if amount is not None and (quantity is not None or price is not None):
            raise UserError("give either --amount or --quantity/--price, not both")
        as_of_value = None
        if as_of is not None:
            try:
                as_of_value = pd.Timestamp(as_of)
            except ValueError:
                raise UserError(
                    f"--as-of {as_of!r} is not a date; use e.g. 2011-12-10"
                ) from None
        _check_out_file(out)
        with _step(f"Reading {transactions}"):
            tx = _read_table(transactions, what="transactions")
        _check_columns(
            tx,
            [
                ("--customer-id", [customer_id]),
                ("--date", [date]),
                ("--amount", [amount]),
                ("--quantity", [quantity]),
                ("--price", [price]),
                ("--invoice", [invoice]),
            ],
        )
        with _step(f"Summarising {len(tx):,} transactions"):
            table = compute_rfm(
                tx,
                customer_id=customer_id,
                date=date,
                amount=amount,
                quantity=quantity,
                price=price,
                invoice=invoice,
                as_of=as_of_value,
                # reported below instead of as a Python warning
                missing_ids="ignore",
            )
        _write_table(table, out)
    info = table.attrs.get("rfm", {})
    console = _console()
    console.print(f"{len(table):,} customers from {len(tx):,} transactions -> {out}")
    notes = [
        ("n_missing_customer_id", "rows without a customer id, left out"),
        ("n_return_lines", "return lines, subtracted from monetary"),
        ("n_after_as_of", "rows after the as-of date, left out"),
        ("n_bad_date", "rows with an unreadable date, left out"),
        ("n_customers_without_purchase", "customers with no purchase, left out"),
    ]
    if info.get("as_of") is not None:
        console.print(f"  as of {info['as_of']}")
    for key, text in notes:
        if info.get(key):
            console.print(f"  {int(info[key]):,} {text}")


@app.command()
def assign(
    model: Annotated[
        Path,
        typer.Argument(
            help="Model written by `segmint segment`: model.json, or its folder.",
            metavar="MODEL",
        ),
    ],
    new: Annotated[
        Path, typer.Argument(help="New rows: .csv or .parquet.", metavar="NEW")
    ],
    out: Annotated[
        Path,
        typer.Option(
            "--out", "-o", help="Output file (.csv or .parquet).", metavar="FILE"
        ),
    ],
):
    """Assign new rows to the segments of a saved model."""
    with _user_errors():
        from segmint.segment import load_model

        if not model.exists():
            raise UserError(f"model not found: {model}")
        _check_out_file(out)
        seg_model = load_model(model)
        df = _read_table(new)
        with _step(f"Assigning {len(df):,} rows"):
            assigned = seg_model.assign(df)
        _write_table(assigned, out)
    counts = assigned["segment"].value_counts().sort_index()
    console = _console()
    console.print(f"{len(assigned):,} rows assigned -> {out}")
    for label, n in counts.items():
        console.print(f"  segment {label}: {n:,} rows")


@app.command()
def bench(
    repeats: Annotated[
        int, typer.Option(min=1, help="Timed fits per case (median reported).")
    ] = 3,
    max_iter: Annotated[
        int, typer.Option(min=1, help="Lloyd iterations per fit (tol=0).")
    ] = 30,
    seed: Annotated[int, typer.Option(help="Seed of the data and the init.")] = 0,
):
    """Time segmint.KMeans against scikit-learn's KMeans, side by side.

    Both fit the same synthetic data from the same k-means++ init with
    n_init=1, tol=0 and the same max_iter, so they do the same work; the
    table gives the median time of each and the ratio scikit-learn /
    segmint (above 1: segmint is faster). Compilation is done before timing.
    """
    import time

    import numpy as np
    from rich.table import Table
    from sklearn.cluster import KMeans as SKKMeans
    from sklearn.cluster import kmeans_plusplus
    from sklearn.datasets import make_blobs

    from segmint.kmeans import KMeans

    console = _console()

    def fit(cls, X, init):
        model = cls(
            n_clusters=init.shape[0],
            init=init,
            n_init=1,
            max_iter=max_iter,
            tol=0.0,
            algorithm="lloyd",
        )
        t0 = time.perf_counter()
        model.fit(X)
        return time.perf_counter() - t0, model

    table = Table(
        title=f"K-means fit, same init, n_init=1, max_iter={max_iter}, tol=0 "
        f"(median of {repeats})",
        title_justify="left",
    )
    for col in ["n", "d", "k", "iters", "sklearn s", "segmint s", "ratio", "inertia"]:
        table.add_column(col, justify="right")

    with _step("Compiling segmint's kernels"):
        Xw, _ = make_blobs(500, n_features=4, centers=4, random_state=seed)
        fit(KMeans, Xw, Xw[:4].copy())
        fit(SKKMeans, Xw, Xw[:4].copy())
    for n, d, k in BENCH_CASES:
        with _step(f"n={n:,} d={d} k={k}"):
            # overlapping blobs, so that Lloyd runs all max_iter iterations
            # and both libraries do the same, fixed amount of work
            X, _ = make_blobs(
                n, n_features=d, centers=k, cluster_std=6.0, random_state=seed
            )
            init, _ = kmeans_plusplus(X, k, random_state=seed)
            sk = [fit(SKKMeans, X, init) for _ in range(repeats)]
            sg = [fit(KMeans, X, init) for _ in range(repeats)]
        t_sk = float(np.median([t for t, _ in sk]))
        t_sg = float(np.median([t for t, _ in sg]))
        m_sk, m_sg = sk[-1][1], sg[-1][1]
        rel = abs(m_sg.inertia_ - m_sk.inertia_) / max(abs(m_sk.inertia_), 1e-300)
        table.add_row(
            f"{n:,}",
            str(d),
            str(k),
            f"{m_sk.n_iter_}/{m_sg.n_iter_}",
            f"{t_sk:.4f}",
            f"{t_sg:.4f}",
            f"{t_sk / t_sg:.2f}x",
            f"{rel:.0e}",
        )
    console.print(table)
    console.print(
        "iters: Lloyd iterations run by scikit-learn/segmint; ratio: scikit-learn "
        "time / segmint time (above 1.00x segmint is faster); inertia: relative "
        "difference of the final inertias. Timings on a shared machine are noisy; "
        "compare ratios from the same run."
    )


def main(argv=None) -> int:
    """Entry point of the ``segmint`` console script.

    Parameters
    ----------
    argv : list of str, optional
        Arguments (default: ``sys.argv[1:]``).

    Returns
    -------
    int
        Exit status: 0 success, 1 unexpected failure, 2 bad input or usage.
    """
    try:
        app(args=argv, prog_name="segmint", standalone_mode=True)
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
