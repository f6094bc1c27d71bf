"""Recency / frequency / monetary / tenure from transaction logs."""

import numpy as np
import pandas as pd
import pytest

from segmint.datasets import make_transactions
from segmint.segment import SegmentationError, rfm, segment
from segmint.segment.rfm import RFMWarning


@pytest.fixture
def log():
    """Hand-checkable log: customer 1 buys twice and returns once, 2 buys once,
    3 only returns, one guest line, one line after as_of."""
    return pd.DataFrame(
        {
            "invoice": ["A1", "A1", "A2", "C3", "A4", "C5", "A6", "A7"],
            "cust": [1.0, 1.0, 1.0, 1.0, 2.0, 3.0, np.nan, 2.0],
            "when": pd.to_datetime(
                [
                    "2024-01-01 10:00",
                    "2024-01-01 10:00",
                    "2024-01-20 12:00",
                    "2024-01-25 09:00",
                    "2024-01-10 08:00",
                    "2024-01-15 08:00",
                    "2024-01-30 08:00",
                    "2024-03-01 08:00",
                ]
            ),
            "qty": [2, 1, 1, -1, 5, -2, 1, 1],
            "price": [10.0, 5.0, 7.0, 7.0, 2.0, 3.0, 4.0, 100.0],
        }
    )


def test_hand_computed(log):
    with pytest.warns(
        RFMWarning, match=r"1 of 8 transaction lines \(12.5%\) have no 'cust'"
    ):
        table = rfm(
            log,
            customer_id="cust",
            date="when",
            invoice="invoice",
            quantity="qty",
            price="price",
            as_of="2024-01-31",
        )
    assert table.to_dict("list") == {
        "cust": [1, 2],
        # as_of 2024-01-31 00:00 - 2024-01-20 12:00 = 10.5 days -> 10 whole days
        "recency": [10, 20],
        # A1 and A2 are purchases; C3 is a cancellation
        "frequency": [2, 1],
        # 2*10 + 1*5 + 7 - 7 (returned)
        "monetary": [25.0, 10.0],
        "tenure": [29, 20],
    }
    report = table.attrs["rfm"]
    assert report["n_missing_customer_id"] == 1
    assert report["missing_customer_id_amount"] == 4.0
    assert report["n_after_as_of"] == 1  # A7 on 2024-03-01
    assert report["n_return_lines"] == 2
    assert report["return_amount"] == -13.0
    assert report["n_customers_without_purchase"] == 1  # customer 3
    assert report["as_of"] == "2024-01-31T00:00:00"


def test_default_as_of_is_last_date(log):
    table = rfm(
        log,
        customer_id="cust",
        date="when",
        invoice="invoice",
        quantity="qty",
        price="price",
        missing_ids="ignore",
    )
    assert table.attrs["rfm"]["as_of"] == "2024-03-01T08:00:00"
    assert table.set_index("cust").loc[2, "recency"] == 0
    assert table.set_index("cust").loc[2, "frequency"] == 2


def test_amount_column_and_no_invoice():
    log = pd.DataFrame(
        {
            "id": ["x", "x", "y"],
            "day": ["2024-05-01", "2024-05-03", "2024-05-02"],
            "amt": [3.0, -1.0, 2.5],
        }
    )
    table = rfm(log, customer_id="id", date="day", amount="amt")
    # without invoices, frequency counts purchase lines; the refund is not one
    assert table.to_dict("list") == {
        "id": ["x", "y"],
        "recency": [2, 1],
        "frequency": [1, 1],
        "monetary": [2.0, 2.5],
        "tenure": [2, 1],
    }


def test_unparseable_dates_are_counted(log):
    log = log.assign(when=log["when"].astype(str))
    log.loc[0, "when"] = "not a date"
    table = rfm(
        log, customer_id="cust", date="when", amount="price", missing_ids="ignore"
    )
    assert table.attrs["rfm"]["n_bad_date"] == 1
    with pytest.raises(
        SegmentationError, match=r"date column 'when' has no valid date"
    ):
        rfm(
            log.assign(when="soon"),
            customer_id="cust",
            date="when",
            amount="price",
            missing_ids="ignore",
        )


def test_missing_ids_raise(log):
    with pytest.raises(SegmentationError, match=r"have no 'cust'.*fill or drop them"):
        rfm(log, customer_id="cust", date="when", amount="price", missing_ids="raise")


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        (
            {"customer_id": "nope", "date": "when", "amount": "price"},
            r"unknown column 'nope' given as customer_id",
        ),
        ({"customer_id": "cust", "date": "when"}, r"no amount: pass amount="),
        (
            {"customer_id": "cust", "date": "when", "amount": "invoice"},
            r"amount column 'invoice' holds text",
        ),
        (
            {
                "customer_id": "cust",
                "date": "when",
                "amount": "price",
                "missing_ids": "drop",
            },
            r"missing_ids='drop' should be one of",
        ),
        (
            {
                "customer_id": "cust",
                "date": "when",
                "amount": "price",
                "as_of": "2000-01-01",
                "missing_ids": "ignore",
            },
            r"no customer has a purchase",
        ),
    ],
)
def test_bad_input(log, kwargs, match):
    with pytest.raises(SegmentationError, match=match):
        rfm(log, **kwargs)


def test_synthetic_log_matches_pandas():
    log = make_transactions(200, random_state=5, missing_id_rate=0.1, return_rate=0.2)
    with pytest.warns(RFMWarning, match=r"have no 'CustomerID'"):
        table = rfm(
            log,
            customer_id="CustomerID",
            date="InvoiceDate",
            invoice="InvoiceNo",
            quantity="Quantity",
            price="UnitPrice",
        )
    # independent recomputation with plain pandas
    known = log.dropna(subset=["CustomerID"]).assign(
        amount=lambda d: d["Quantity"] * d["UnitPrice"]
    )
    buys = known[~known["InvoiceNo"].str.startswith("C")]
    as_of = log["InvoiceDate"].max()
    g = buys.groupby("CustomerID")
    expected = pd.DataFrame(
        {
            "recency": (as_of - g["InvoiceDate"].max()).dt.days,
            "frequency": g["InvoiceNo"].nunique(),
            "monetary": known.groupby("CustomerID")["amount"].sum(),
            "tenure": (as_of - g["InvoiceDate"].min()).dt.days,
        }
    ).dropna()
    got = table.set_index("CustomerID")
    assert len(got) == len(expected) == known["CustomerID"].nunique()
    np.testing.assert_array_equal(
        got.index.to_numpy(dtype=float), expected.index.to_numpy()
    )
    for col in ("recency", "frequency", "tenure"):
        np.testing.assert_array_equal(got[col].to_numpy(), expected[col].to_numpy())
    # sums of the same float products in a different order: 1e-9 relative
    np.testing.assert_allclose(got["monetary"], expected["monetary"], rtol=1e-9)
    assert table.attrs["rfm"]["n_missing_customer_id"] == int(
        log["CustomerID"].isna().sum()
    )


def test_online_retail(shared_data):
    log = pd.read_parquet(shared_data / "online_retail" / "online_retail.parquet")
    with pytest.warns(RFMWarning, match=r"135080 of 541909 transaction lines"):
        table = rfm(
            log,
            customer_id="CustomerID",
            date="InvoiceDate",
            invoice="InvoiceNo",
            quantity="Quantity",
            price="UnitPrice",
        )
    report = table.attrs["rfm"]
    # 4,372 ids in the log (data README); 34 of them only have cancellations
    assert report["n_customers"] + report["n_customers_without_purchase"] == 4372
    assert len(table) == report["n_customers"] == 4338
    assert report["n_missing_customer_id"] == 135080
    assert report["as_of"] == "2011-12-09T12:50:00"
    assert table["CustomerID"].is_unique and table["CustomerID"].dtype == "Int64"
    assert (table["frequency"] >= 1).all()
    assert table["recency"].between(0, 373).all()
    assert (table["tenure"] >= table["recency"]).all()
    # invoice count per customer equals a direct count of non-cancelled invoices
    buys = log[
        log["CustomerID"].notna() & ~log["InvoiceNo"].astype(str).str.startswith("C")
    ]
    buys = buys[buys["Quantity"] * buys["UnitPrice"] > 0]
    direct = buys.groupby("CustomerID")["InvoiceNo"].nunique()
    np.testing.assert_array_equal(
        table.set_index("CustomerID")["frequency"].to_numpy(), direct.to_numpy()
    )
    # and on to segments: every customer labelled under its own id
    res = segment(table, k=4, n_init=2)
    assert res.id_column == "CustomerID" and len(res.segments) == 4338
    assert res.segments["CustomerID"].tolist() == table["CustomerID"].tolist()
    # monetary has net refunds (negative) yet is skewed: sign-preserving log
    assert (table["monetary"] < 0).any()
    assert "monetary" in res.preparation.summary["log1p"]
