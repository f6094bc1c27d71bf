"""Column roles and preprocessing, checked against the scikit-learn steps."""

import numpy as np
import pandas as pd
import pytest
from sklearn.preprocessing import MinMaxScaler, RobustScaler, StandardScaler

from segmint.segment import SegmentationError, infer_roles, prepare


@pytest.fixture
def table():
    rng = np.random.default_rng(0)
    n = 60
    return pd.DataFrame(
        {
            "customer_id": np.arange(1000, 1000 + n),
            "name": [f"cust-{i}" for i in range(n)],
            "joined": pd.date_range("2020-01-01", periods=n, freq="D"),
            "last_order_date": [f"2024-02-{1 + i % 28:02d}" for i in range(n)],
            "spend": rng.lognormal(6, 1.0, n),
            "visits": rng.integers(1, 30, n),
            "score_text": [str(v) for v in rng.normal(size=n).round(3)],
            "balance": rng.normal(0, 5, n),
            "region": rng.choice(["N", "S", "E"], n),
            "vip": rng.random(n) < 0.2,
        }
    )


def test_infer_roles(table):
    roles, reasons = infer_roles(table)
    assert roles == {
        "customer_id": "identifier",
        "name": "identifier",
        "joined": "date",
        "last_order_date": "date",
        "spend": "numeric",
        "visits": "numeric",
        "score_text": "numeric",
        "balance": "numeric",
        "region": "categorical",
        "vip": "categorical",
    }
    assert set(reasons) == set(roles)


def test_overrides_and_columns(table):
    roles, _ = infer_roles(
        table, columns=["spend", "visits"], roles={"visits": "categorical"}
    )
    assert roles["spend"] == "numeric" and roles["visits"] == "categorical"
    assert roles["region"] == "ignored" and roles["balance"] == "ignored"
    roles, _ = infer_roles(table, id_column="name")
    assert roles["name"] == "identifier"


def test_id_like_name_needs_unique_integers():
    df = pd.DataFrame({"store_id": [1, 1, 2, 2], "paid": [1.0, 2.0, 3.0, 4.0]})
    roles, _ = infer_roles(df)
    # duplicated ids are not one-per-row identifiers; "paid" is not an id name
    assert roles == {"store_id": "numeric", "paid": "numeric"}


def test_imputation_log_and_scaling_match_sklearn(table):
    df = table.copy()
    df.loc[[1, 5, 9], "spend"] = np.nan
    df.loc[[2, 3], "region"] = None
    prep, X = prepare(df, columns=["spend", "balance", "region"])
    s = prep.summary
    assert s["imputed"] == {"spend": 3, "balance": 0, "region": 2}
    assert s["log1p"] == ["spend"]  # skewed; balance is symmetric
    assert s["identifier"] == "customer_id"
    assert s["imputation"]["spend"]["value"] == pytest.approx(df["spend"].median())
    # reference: the same steps done by hand with scikit-learn's scaler
    ref = np.column_stack(
        [np.log1p(df["spend"].fillna(df["spend"].median())), df["balance"]]
    )
    expected = StandardScaler().fit_transform(ref)
    # same operations in the same order: equal to rounding (1e-12 relative)
    np.testing.assert_allclose(X[:, :2], expected, rtol=1e-12, atol=1e-12)
    mode = df["region"].mode()[0]
    filled = df["region"].fillna(mode)
    one_hot = pd.get_dummies(filled).to_numpy(dtype=float)
    np.testing.assert_array_equal(X[:, 2:], one_hot)
    assert prep.feature_names == [
        "spend",
        "balance",
        "region_E",
        "region_N",
        "region_S",
    ]


@pytest.mark.parametrize(
    ("scaling", "scaler"),
    [("robust", RobustScaler), ("minmax", MinMaxScaler), ("none", None)],
)
def test_other_scalings(table, scaling, scaler):
    _, X = prepare(
        table, columns=["visits", "balance"], scaling=scaling, log_transform=False
    )
    raw = table[["visits", "balance"]].to_numpy(dtype=float)
    expected = raw if scaler is None else scaler().fit_transform(raw)
    np.testing.assert_allclose(X, expected, rtol=1e-12, atol=1e-12)


def test_one_hot_cardinality_cap():
    df = pd.DataFrame(
        {
            "x": np.arange(50.0),
            "city": ["A"] * 20 + ["B"] * 15 + ["C"] * 10 + ["D"] * 3 + ["E"] * 2,
        }
    )
    prep, X = prepare(df, max_categories=3)
    assert prep.summary["one_hot"]["city"]["categories"] == ["A", "B"]
    assert prep.summary["one_hot"]["city"]["infrequent"] == ["C", "D", "E"]
    assert X.shape == (50, 4)
    assert X[:, 1:].sum(axis=1).tolist() == [1.0] * 50


def test_pca_and_inverse(table):
    prep, X = prepare(table, columns=["spend", "visits", "balance"], pca=3)
    assert X.shape == (60, 3) and prep.feature_names == ["pca0", "pca1", "pca2"]
    assert sum(prep.summary["pca"]["explained_variance_ratio"]) == pytest.approx(1.0)
    # all components kept: mapping back recovers the original values
    back = prep.numeric_to_original(X)
    np.testing.assert_allclose(
        back.to_numpy(), table[["spend", "visits", "balance"]].to_numpy(), rtol=1e-9
    )


def test_code_like_integers_are_hinted():
    df = pd.DataFrame({"Region": [1, 2, 3] * 20, "spend": np.arange(60.0)})
    prep, _ = prepare(df)
    assert prep.summary["roles"]["Region"] == "numeric"
    assert any("Region" in h and "categorical" in h for h in prep.summary["hints"])


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"columns": ["nope"]}, r"unknown column 'nope'; the table has columns"),
        ({"id_column": "nope"}, r"unknown column 'nope'"),
        ({"roles": {"spend": "money"}}, r"unknown role"),
        ({"columns": ["region"]}, r"no numeric column to segment on"),
        ({"scaling": "zscore"}, r"unknown scaling='zscore'"),
        ({"pca": 0}, r"pca=0 should be"),
        (
            {"log_transform": ["region"]},
            r"log_transform names 'region', which is not a numeric",
        ),
        ({"max_categories": 1}, r"max_categories=1 should be an int >= 2"),
    ],
)
def test_bad_arguments(table, kwargs, match):
    with pytest.raises(SegmentationError, match=match):
        prepare(table, **kwargs)


def test_text_in_numeric_column():
    df = pd.DataFrame({"spend": ["1.5", "2", "oops"] + [str(i) for i in range(30)]})
    with pytest.raises(
        SegmentationError, match=r"column 'spend' should be numeric.*'oops'"
    ):
        prepare(df)
    df = pd.DataFrame({"spend": ["a", "b", "c", "d"], "x": [1.0, 2, 3, 4]})
    with pytest.raises(
        SegmentationError, match=r"column 'spend' should be numeric.*'a'"
    ):
        prepare(df, roles={"spend": "numeric"})


def test_all_missing_column():
    df = pd.DataFrame({"spend": [1.0, 2.0, 3.0], "empty": [np.nan] * 3})
    with pytest.raises(
        SegmentationError, match=r"column 'empty' has no values \(all 3 missing\)"
    ):
        prepare(df)


def test_not_a_frame_or_empty():
    with pytest.raises(
        SegmentationError, match=r"expected a pandas DataFrame, got ndarray"
    ):
        prepare(np.zeros((3, 2)))
    with pytest.raises(SegmentationError, match=r"the table has no rows"):
        prepare(pd.DataFrame({"x": []}))


def test_log_keeps_sign_of_negative_money():
    # net refunds (negative) in a right-skewed money column
    money = np.r_[-50.0, -1.0, 0.0, np.geomspace(1, 1e5, 57)]
    prep, X = prepare(pd.DataFrame({"monetary": money}), scaling="none")
    assert prep.summary["log1p"] == ["monetary"]
    np.testing.assert_allclose(
        X[:, 0], np.sign(money) * np.log1p(np.abs(money)), rtol=1e-15
    )
    assert np.all(np.diff(X[:, 0]) > 0)  # order kept
    back = prep.numeric_to_original(X)["monetary"].to_numpy()
    np.testing.assert_allclose(back, money, rtol=1e-10, atol=1e-10)
