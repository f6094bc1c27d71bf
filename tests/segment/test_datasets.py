"""Bundled data and synthetic generators."""

from importlib import resources

import numpy as np
import pandas as pd
import pytest

from segmint.datasets import (
    WHOLESALE_SPENDING,
    load_wholesale,
    make_customers,
    make_transactions,
    wholesale_description,
)


def test_wholesale_matches_uci_counts():
    df = load_wholesale()
    assert df.shape == (440, 8)
    assert list(df.columns) == ["Channel", "Region", *WHOLESALE_SPENDING]
    assert df.notna().all().all()
    # counts and means published with the data set (UCI #292 description)
    assert df["Channel"].value_counts().to_dict() == {1: 298, 2: 142}
    assert df["Region"].value_counts().to_dict() == {3: 316, 1: 77, 2: 47}
    assert df["Fresh"].mean() == pytest.approx(12000.2977, abs=1e-4)
    assert df["Milk"].mean() == pytest.approx(5796.2659, abs=1e-4)
    assert "10.24432/C5030X" in df.attrs["citation"]


def test_wholesale_equals_shared_copy(shared_data):
    original = pd.read_csv(
        shared_data / "wholesale_customers" / "wholesale_customers.csv"
    )
    pd.testing.assert_frame_equal(load_wholesale(), original)


def test_wholesale_file_is_lf_and_credited():
    data = resources.files("segmint.datasets").joinpath("data")
    raw = data.joinpath("wholesale_customers.csv").read_bytes()
    assert b"\r" not in raw and raw.endswith(b"\n")
    credit = data.joinpath("LICENSE-DATA.md").read_text(encoding="utf-8")
    for needle in ("CC BY 4.0", "Cardoso", "#292", "10.24432/C5030X"):
        assert needle in credit
    assert "CC BY 4.0" in wholesale_description()


def test_wholesale_decode_and_bunch():
    decoded = load_wholesale(decode=True)
    assert decoded["Region"].value_counts().to_dict() == {
        "Other": 316,
        "Lisbon": 77,
        "Oporto": 47,
    }
    bunch = load_wholesale(as_frame=False)
    assert bunch.data.shape == (440, 6) and bunch.data.dtype == np.float64
    assert bunch.feature_names == WHOLESALE_SPENDING
    np.testing.assert_array_equal(
        bunch.data, bunch.frame[WHOLESALE_SPENDING].to_numpy()
    )


def test_make_customers_shape_seed_and_missing():
    a, truth = make_customers(2000, random_state=3, return_segments=True)
    b = make_customers(2000, random_state=3)
    pd.testing.assert_frame_equal(a, b)
    assert not a.equals(make_customers(2000, random_state=4))
    assert a["customer_id"].is_unique
    assert len(truth) == 2000 and set(truth.tolist()) == {0, 1, 2, 3}
    for col in ("age", "annual_spend", "days_since_last_order", "region", "channel"):
        # 2 % missing by default; 2000 rows -> expect 40, allow binomial noise
        assert 10 <= a[col].isna().sum() <= 80, col
    assert a["customer_id"].notna().all() and a["orders_per_year"].notna().all()
    assert (a["annual_spend"].dropna() > 0).all()
    assert a["annual_spend"].skew() > 1.0  # money-like: right-skewed
    assert a["discount_share"].between(0, 1).all()


def test_make_customers_more_segments_than_archetypes():
    _, truth = make_customers(3000, n_segments=8, random_state=0, return_segments=True)
    assert set(truth.tolist()) == set(range(8))


def test_make_transactions_like_online_retail():
    log = make_transactions(300, random_state=1, missing_id_rate=0.1, return_rate=0.1)
    again = make_transactions(300, random_state=1, missing_id_rate=0.1, return_rate=0.1)
    pd.testing.assert_frame_equal(log, again)
    assert list(log.columns) == [
        "InvoiceNo",
        "StockCode",
        "Quantity",
        "InvoiceDate",
        "UnitPrice",
        "CustomerID",
        "Country",
    ]
    cancel = log["InvoiceNo"].str.startswith("C")
    assert cancel.any() and ((log["Quantity"] < 0) == cancel).all()
    assert log["CustomerID"].isna().any()
    assert pd.api.types.is_datetime64_any_dtype(log["InvoiceDate"])
    assert log["InvoiceDate"].is_monotonic_increasing
    assert (log["UnitPrice"] > 0).all()
    assert log["InvoiceDate"].between("2023-01-01", "2023-12-31").all()
    # every customer id that appears belongs to one of the 300 customers
    assert log["CustomerID"].nunique() <= 300


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: make_customers(0), r"n=0 should be a whole number >= 1"),
        (lambda: make_customers(10, missing_rate=1.5), r"missing_rate=1.5"),
        (lambda: make_transactions(10, end="2022-01-01"), r"should be after start"),
        (lambda: make_transactions(10, invoices_per_customer=0.5), r">= 1"),
    ],
)
def test_generator_arguments_checked(call, match):
    with pytest.raises(ValueError, match=match):
        call()
