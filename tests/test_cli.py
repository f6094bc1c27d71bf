"""The `segmint` command, end to end, through typer's test runner."""

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import adjusted_rand_score
from typer.testing import CliRunner

from segmint import cli
from segmint.datasets import load_wholesale, make_transactions
from segmint.segment import rfm
from tests.htmlcheck import assert_self_contained_report

runner = CliRunner()


def run(*args):
    return runner.invoke(cli.app, [str(a) for a in args])


def assert_ok(result):
    assert result.exit_code == 0, (result.output, result.exception)
    assert "Traceback" not in result.output


@pytest.fixture
def customers_csv(tmp_path):
    """60 customers in three well-separated groups, with string ids."""
    rng = np.random.default_rng(0)
    centres = np.array([[10.0, 100.0], [50.0, 20.0], [90.0, 150.0]])
    truth = np.repeat([0, 1, 2], 20)
    xy = centres[truth] + rng.normal(scale=2.0, size=(60, 2))
    df = pd.DataFrame(
        {
            "customer_id": [f"C{i:03d}" for i in range(60)],
            "visits": xy[:, 0],
            # brackets would be eaten if names were read as rich markup
            "spend [EUR]": xy[:, 1],
            "note": ["x"] * 60,
        }
    )
    path = tmp_path / "customers.csv"
    df.to_csv(path, index=False)
    return path, df, truth


# -- help and version --------------------------------------------------------


@pytest.mark.parametrize(
    "command", [[], ["demo"], ["segment"], ["rfm"], ["assign"], ["bench"]]
)
def test_help_everywhere(command):
    result = run(*command, "--help")
    assert_ok(result)
    assert "Usage" in result.output


def test_version():
    from segmint import __version__

    result = run("--version")
    assert_ok(result)
    assert result.stdout.strip() == f"segmint {__version__}"


def test_importing_the_cli_is_light():
    # `segmint --help` must not pay for pandas, matplotlib, sklearn or numba
    code = (
        "import sys, segmint.cli; "
        "print([m for m in ('pandas', 'matplotlib', 'sklearn', 'numba') "
        "if m in sys.modules])"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "[]"


# -- the main job --------------------------------------------------------------


def test_demo_end_to_end(tmp_path):
    out = tmp_path / "demo"
    result = run("demo", "--out", out)
    assert_ok(result)
    for name in [
        "segments.csv",
        "profiles.csv",
        "model.json",
        "model.npz",
        "report.html",
    ]:
        assert (out / name).is_file(), name
        assert str(out / name) in result.stdout.replace("\n", "")
    assert sorted(p.name for p in out.iterdir()) == sorted(
        ["segments.csv", "profiles.csv", "model.json", "model.npz", "report.html"]
    )  # no temporary file left behind

    segments = pd.read_csv(out / "segments.csv")
    profiles = pd.read_csv(out / "profiles.csv")
    # every one of the 440 rows, in order, with its segment
    assert len(segments) == 440
    assert segments["row"].tolist() == list(range(440))
    assert set(segments["segment"]) == set(profiles["segment"])
    # profiles agree with a recomputation from the rows and their labels
    counts = segments["segment"].value_counts().sort_index()
    np.testing.assert_array_equal(profiles.set_index("segment")["size"], counts)
    data = load_wholesale()
    means = data.groupby(segments["segment"].to_numpy())["Fresh"].mean()
    # CSV keeps 17 significant digits: equal to float64 rounding
    np.testing.assert_allclose(
        profiles.set_index("segment")["mean_Fresh"], means, rtol=1e-12
    )
    # the summary table names every segment
    for name in profiles["segment_name"]:
        assert name.split(",")[0] in result.stdout

    page = (out / "report.html").read_text(encoding="utf-8")
    assert_self_contained_report(page, profiles["segment_name"].tolist())


def test_segment_small_csv(customers_csv, tmp_path):
    path, df, truth = customers_csv
    out = tmp_path / "out"
    result = run(
        "segment",
        path,
        "--out",
        out,
        "--k",
        "3",
        "--id",
        "customer_id",
        "--columns",
        "visits,spend [EUR]",
        "--no-report",
    )
    assert_ok(result)
    segments = pd.read_csv(out / "segments.csv")
    assert segments["customer_id"].tolist() == df["customer_id"].tolist()
    # three groups 20 standard deviations apart are found exactly
    assert adjusted_rand_score(truth, segments["segment"]) == 1.0
    assert not (out / "report.html").exists()
    assert "3 segments of 60 rows" in result.stdout
    profiles = pd.read_csv(out / "profiles.csv")
    assert any("spend [EUR]" in name for name in profiles["segment_name"])
    assert "spend [EUR]" in result.stdout


def test_segment_parquet(customers_csv, tmp_path):
    _, df, _ = customers_csv
    path = tmp_path / "customers.parquet"
    df.to_parquet(path)
    out = tmp_path / "out"
    result = run("segment", path, "--out", out, "-k", "2", "--no-report")
    assert_ok(result)
    assert len(pd.read_csv(out / "segments.csv")) == 60


def test_segment_semicolon_gzip_csv(customers_csv, tmp_path):
    # a European export: ';' between fields, compressed
    _, df, truth = customers_csv
    path = tmp_path / "customers.csv.gz"
    df.to_csv(path, sep=";", index=False)
    out = tmp_path / "out"
    result = run(
        "segment", path, "--out", out, "-k", "3", "--id", "customer_id", "--no-report"
    )
    assert_ok(result)
    segments = pd.read_csv(out / "segments.csv")
    assert adjusted_rand_score(truth, segments["segment"]) == 1.0


def test_assign_round_trip(customers_csv, tmp_path):
    path, _, _ = customers_csv
    out = tmp_path / "model"
    assert_ok(run("segment", path, "--out", out, "--k", "3", "--no-report"))
    segments = pd.read_csv(out / "segments.csv")
    for model in [out, out / "model.json"]:
        target = tmp_path / "assigned.csv"
        result = run("assign", model, path, "--out", target)
        assert_ok(result)
        assigned = pd.read_csv(target)
        # the training rows get back the labels they were fitted with
        pd.testing.assert_frame_equal(
            assigned[["customer_id", "segment", "segment_name"]],
            segments[["customer_id", "segment", "segment_name"]],
        )
        np.testing.assert_allclose(
            assigned["distance_to_center"], segments["distance_to_center"], rtol=1e-9
        )
    assert "60 rows assigned" in result.stdout


def test_rfm_then_segment(tmp_path):
    log = make_transactions(60, random_state=0)
    tx_path = tmp_path / "transactions.csv"
    log.to_csv(tx_path, index=False)
    rfm_path = tmp_path / "rfm.csv"
    result = run(
        "rfm",
        tx_path,
        "--customer-id",
        "CustomerID",
        "--date",
        "InvoiceDate",
        "--quantity",
        "Quantity",
        "--price",
        "UnitPrice",
        "--invoice",
        "InvoiceNo",
        "--as-of",
        "2024-01-01",
        "--out",
        rfm_path,
    )
    assert_ok(result)
    table = pd.read_csv(rfm_path)
    # the command gives what the library gives on the same file
    expected = rfm(
        pd.read_csv(tx_path),
        customer_id="CustomerID",
        date="InvoiceDate",
        quantity="Quantity",
        price="UnitPrice",
        invoice="InvoiceNo",
        as_of="2024-01-01",
        missing_ids="ignore",
    )
    pd.testing.assert_frame_equal(
        table, expected.reset_index(drop=True), check_dtype=False
    )
    n_missing = int(log["CustomerID"].isna().sum())
    assert n_missing > 0
    assert f"{n_missing:,} rows without a customer id" in result.stdout
    assert f"{len(table):,} customers from {len(log):,} transactions" in result.stdout
    # one customer checked by hand: frequency counts purchase invoices
    cid = table["CustomerID"].iloc[0]
    mine = log[(log["CustomerID"] == cid) & ~log["InvoiceNo"].str.startswith("C")]
    assert table["frequency"].iloc[0] == mine["InvoiceNo"].nunique()
    # whole days from the last purchase to the as-of date
    last = mine["InvoiceDate"].max()
    assert table["recency"].iloc[0] == (pd.Timestamp("2024-01-01") - last).days

    out = tmp_path / "seg"
    result = run(
        "segment",
        rfm_path,
        "--out",
        out,
        "--id",
        "CustomerID",
        "--k",
        "2",
        "--columns",
        "recency,frequency,monetary",
        "--no-report",
    )
    assert_ok(result)
    segments = pd.read_csv(out / "segments.csv")
    assert segments["CustomerID"].tolist() == table["CustomerID"].tolist()


def test_bench_prints_ratio_table(monkeypatch):
    monkeypatch.setattr(cli, "BENCH_CASES", [(600, 3, 3)])
    result = run("bench", "--repeats", "1", "--max-iter", "5")
    assert_ok(result)
    assert "ratio" in result.stdout
    row = [ln for ln in result.stdout.splitlines() if "600" in ln]
    assert len(row) == 1
    assert row[0].count("x") >= 1  # the ratio, e.g. "1.23x"


# -- bad input: one line on stderr, exit status 2 -------------------------------


def _write(tmp_path, name, content):
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content)
    return path


BAD = {
    "missing file": (lambda t: ["segment", t / "nope.csv"], "input file not found"),
    "binary file": (
        lambda t: ["segment", _write(t, "x.csv", b"\x89PNG\x00\x01\x02")],
        "holds binary data",
    ),
    "ragged csv": (
        lambda t: ["segment", _write(t, "x.csv", 'a,b\n1,2\n3,4,5,6\n"7,8\n')],
        "could not read",
    ),
    "empty file": (lambda t: ["segment", _write(t, "x.csv", "")], "is empty"),
    "header only": (lambda t: ["segment", _write(t, "x.csv", "a,b\n")], "no data rows"),
    "unknown id column": (
        lambda t: ["segment", _write(t, "x.csv", "a,b\n1,2\n3,4\n"), "--id", "nope"],
        "--id: unknown column 'nope'",
    ),
    "unknown feature column": (
        lambda t: ["segment", _write(t, "x.csv", "a,b\n1,2\n3,4\n"), "-c", "a,zz"],
        "--columns: unknown column 'zz'",
    ),
    "no numeric column": (
        lambda t: ["segment", _write(t, "x.csv", "a,b\nx,y\nz,w\nu,v\n"), "-k", "2"],
        "no numeric column",
    ),
    "all-missing column": (
        lambda t: [
            "segment",
            _write(t, "x.csv", "a,b\n1,\n2,\n3,\n4,\n"),
            "-c",
            "a,b",
            "-k",
            "2",
        ],
        "column 'b' has no values",
    ),
    "fewer rows than k": (
        lambda t: ["segment", _write(t, "x.csv", "a,b\n1,2\n3,4\n5,6\n"), "-k", "10"],
        "fewer rows (3) than segments",
    ),
    "bad k": (
        lambda t: ["segment", _write(t, "x.csv", "a\n1\n"), "-k", "many"],
        "--k 'many' should be 'auto'",
    ),
    "output folder under a file": (
        lambda t: [
            "segment",
            _write(t, "x.csv", "a\n1\n2\n"),
            "--out",
            _write(t, "f.txt", "") / "out",
        ],
        "is not writable",
    ),
    "output folder is a file": (
        lambda t: [
            "segment",
            _write(t, "x.csv", "a\n1\n"),
            "--out",
            _write(t, "f", ""),
        ],
        "is a file",
    ),
    "demo into a file": (lambda t: ["demo", "--out", _write(t, "f", "")], "is a file"),
    "missing model": (
        lambda t: [
            "assign",
            t / "none",
            _write(t, "x.csv", "a\n1\n"),
            "--out",
            t / "o.csv",
        ],
        "model not found",
    ),
    "not a model": (
        lambda t: [
            "assign",
            _write(t, "model.json", "{}"),
            _write(t, "x.csv", "a\n1\n"),
            "--out",
            t / "o.csv",
        ],
        "model",
    ),
    "rfm without amount": (
        lambda t: [
            "rfm",
            _write(t, "tx.csv", "c,d,q\n1,2024-01-01,3\n"),
            "--customer-id",
            "c",
            "--date",
            "d",
            "--out",
            t / "r.csv",
        ],
        "give --amount, or both --quantity and --price",
    ),
    "rfm unknown column": (
        lambda t: [
            "rfm",
            _write(t, "tx.csv", "c,d,a\n1,2024-01-01,3\n"),
            "--customer-id",
            "cust",
            "--date",
            "d",
            "--amount",
            "a",
            "--out",
            t / "r.csv",
        ],
        "--customer-id: unknown column 'cust'",
    ),
    "rfm bad as-of": (
        lambda t: [
            "rfm",
            _write(t, "tx.csv", "c,d,a\n1,2024-01-01,3\n"),
            "--customer-id",
            "c",
            "--date",
            "d",
            "--amount",
            "a",
            "--as-of",
            "someday",
            "--out",
            t / "r.csv",
        ],
        "--as-of 'someday' is not a date",
    ),
}


@pytest.mark.parametrize("case", list(BAD))
def test_bad_input_is_one_line_and_exit_2(case, tmp_path):
    make_args, expected = BAD[case]
    args = make_args(tmp_path)
    if "--out" not in [str(a) for a in args]:
        args += ["--out", tmp_path / "out"]
    result = run(*args)
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("segmint: error: ")
    assert expected in lines[0]
    assert "Traceback" not in result.output
    assert result.stdout == ""
