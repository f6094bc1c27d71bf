"""segment() end to end: bundled data, a transaction log, saved models, bad input."""

import json

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.cluster.hierarchy import fcluster
from sklearn.metrics import adjusted_rand_score

from segmint.datasets import (
    WHOLESALE_SPENDING,
    load_wholesale,
    make_customers,
    make_transactions,
)
from segmint.segment import (
    SegmentationError,
    SegmentationResult,
    load_model,
    rfm,
    segment,
)
from segmint.segment.profile import TYPICAL_NAME

CODES = {"Channel": "categorical", "Region": "categorical"}


@pytest.fixture(scope="module")
def wholesale():
    return load_wholesale()


@pytest.fixture(scope="module")
def result(wholesale):
    return segment(wholesale, k=4, roles=CODES, random_state=0)


def test_every_row_labelled(result, wholesale):
    assert isinstance(result, SegmentationResult)
    seg = result.segments
    assert len(seg) == len(wholesale) == 440
    assert list(seg.columns) == ["row", "segment", "segment_name", "distance_to_center"]
    assert seg.index.equals(wholesale.index)
    np.testing.assert_array_equal(seg["row"], np.arange(440))
    assert set(seg["segment"]) == {0, 1, 2, 3} and result.k == 4
    assert seg["distance_to_center"].ge(0).all()
    assert result.X.shape == (440, len(result.feature_names)) == (440, 11)
    assert result.algorithm == "kmeans" and result.k_selection is None
    assert result.data is wholesale
    assert (
        repr(result)
        == "SegmentationResult(algorithm='kmeans', k=4, rows=440, features=11)"
    )


def test_labels_and_distances_agree_with_model(result):
    # the labels are the fitted estimator's own, the distance is to its centre
    np.testing.assert_array_equal(result.labels, result.model.labels_)
    d = np.linalg.norm(result.X - result.model.cluster_centers_[result.labels], axis=1)
    np.testing.assert_allclose(result.segments["distance_to_center"], d, rtol=1e-12)
    # no row is closer to another centre than to its own (Lloyd's fixed point);
    # 1e-9 absorbs rounding between distance formulas
    all_d = np.linalg.norm(result.X[:, None, :] - result.centers[None], axis=2)
    assert (d <= all_d.min(axis=1) + 1e-9).all()


def test_profiles_equal_pandas(result, wholesale):
    prof = result.profiles
    labels = result.labels
    assert prof["segment"].tolist() == [0, 1, 2, 3]
    g = wholesale.groupby(labels)
    np.testing.assert_array_equal(prof["size"], g.size())
    np.testing.assert_allclose(prof["share"], g.size() / 440, rtol=1e-15)
    assert prof["share"].sum() == pytest.approx(1.0)
    for col in WHOLESALE_SPENDING:
        # the same pandas reductions on the same values: exact up to rounding
        np.testing.assert_allclose(prof[f"mean_{col}"], g[col].mean(), rtol=1e-12)
        np.testing.assert_allclose(prof[f"median_{col}"], g[col].median(), rtol=1e-12)
    np.testing.assert_allclose(
        prof["share_Channel=2"],
        g["Channel"].apply(lambda s: (s == 2).mean()),
        rtol=1e-12,
    )
    assert prof["segment_name"].tolist() == [result.segment_names[s] for s in range(4)]
    assert prof["segment_name"].is_unique


def test_traits_are_standardised_differences(result, wholesale):
    t = result.traits
    labels = result.labels
    for col in ("Fresh", "Grocery"):
        for s in range(4):
            z = t[(t["segment"] == s) & (t["feature"] == col)]["z"].item()
            expected = (
                wholesale[col][labels == s].mean() - wholesale[col].mean()
            ) / wholesale[col].std()
            assert z == pytest.approx(expected, rel=1e-12)
    # within a segment, traits come largest first
    for _, block in t.groupby("segment"):
        assert block["z"].abs().is_monotonic_decreasing


def test_names_never_overclaim(result):
    t = result.traits
    for s, name in result.segment_names.items():
        rows = t[(t["segment"] == s) & t["distinguishing"]]
        if name.startswith(TYPICAL_NAME):
            assert rows[rows["kind"] == "numeric"].empty
            continue
        for phrase in name.split(" (segment")[0].split(", "):
            words = phrase.lower().split()
            feature = phrase.split()[-1]
            row = t[(t["segment"] == s) & (t["feature"] == feature)].iloc[0]
            assert abs(row["z"]) >= 0.5, (name, feature)
            if "high" in words:
                assert row["z"] > 0
            if "low" in words:
                assert row["z"] < 0


def test_typical_name_when_no_trait_passes():
    # 95 ordinary customers and 5 big spenders: the ordinary segment sits
    # 0.2 SD below the population mean, so it is typical, not "low"
    x = np.r_[np.linspace(0.0, 1.0, 95), np.linspace(10.0, 11.0, 5)]
    res = segment(pd.DataFrame({"x": x}), k=2, log_transform=False)
    big = int(res.labels[-1])
    assert res.segment_names == {1 - big: TYPICAL_NAME, big: "Very high x"}
    # with an unreachable threshold nothing is claimed at all
    res = segment(pd.DataFrame({"x": x}), k=2, trait_threshold=50.0)
    assert set(res.segment_names.values()) == {
        f"{TYPICAL_NAME} (segment 0)",
        f"{TYPICAL_NAME} (segment 1)",
    }
    assert (res.profiles["traits"] == "").all()


def test_centers_in_original_units(result, wholesale):
    c = result.centers_original_units
    assert list(c.columns) == WHOLESALE_SPENDING and c.index.tolist() == [0, 1, 2, 3]
    # log1p + standard scaling undone: the centre of a segment is the exp of
    # its mean log spend, i.e. its geometric mean (up to the +1)
    labels = result.labels
    for s in range(4):
        geo = np.expm1(np.log1p(wholesale[WHOLESALE_SPENDING][labels == s]).mean())
        np.testing.assert_allclose(c.loc[s].to_numpy(), geo.to_numpy(), rtol=1e-6)


def test_save_and_load_round_trip(result, wholesale, tmp_path):
    paths = result.save(tmp_path / "out")
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        "model.json",
        "model.npz",
        "profiles.csv",
        "segments.csv",
    ]  # no temporary file left behind
    seg = pd.read_csv(paths["segments"])
    assert len(seg) == 440 and seg["segment"].tolist() == result.labels.tolist()
    prof = pd.read_csv(paths["profiles"])
    assert prof["segment_name"].tolist() == result.profiles["segment_name"].tolist()
    spec = json.loads(paths["model_json"].read_text())
    assert (
        spec["format"] == "segmint.segmentation"
        and spec["numeric"] == WHOLESALE_SPENDING
    )

    model = load_model(tmp_path / "out")
    # the numpy re-implementation reproduces the fitted pipeline's matrix
    np.testing.assert_allclose(
        model.transform(wholesale), result.X, rtol=1e-12, atol=1e-12
    )
    again = model.assign(wholesale)
    np.testing.assert_array_equal(again["segment"], result.labels)
    assert again["segment_name"].tolist() == result.segments["segment_name"].tolist()
    np.testing.assert_allclose(
        again["distance_to_center"], result.segments["distance_to_center"], rtol=1e-9
    )
    pd.testing.assert_frame_equal(result.assign(wholesale), again)
    assert load_model(paths["model_json"]).spec == model.spec


def test_assign_new_rows_with_gaps_and_unseen_category(result, wholesale):
    new = wholesale.head(5).copy()
    new.loc[new.index[0], "Fresh"] = np.nan
    new["Region"] = new["Region"].astype(object)
    new.loc[new.index[1], "Region"] = 9  # never seen: encoded as all zeros
    out = result.to_model().assign(new)
    assert len(out) == 5 and out["segment"].between(0, 3).all()
    # the sklearn pipeline and the saved model agree on such rows too
    X_pipe = result.preparation.transform(new)
    np.testing.assert_allclose(result.to_model().transform(new), X_pipe, rtol=1e-12)


def test_pca_model_round_trip(wholesale, tmp_path):
    res = segment(wholesale, k=3, columns=WHOLESALE_SPENDING, pca=2, scaling="robust")
    assert res.X.shape == (440, 2)
    res.save(tmp_path)
    model = load_model(tmp_path)
    np.testing.assert_allclose(
        model.transform(wholesale), res.X, rtol=1e-10, atol=1e-12
    )
    np.testing.assert_array_equal(model.assign(wholesale)["segment"], res.labels)


def test_agglomerative_keeps_linkage(wholesale):
    res = segment(wholesale, k=3, columns=WHOLESALE_SPENDING, algorithm="agglomerative")
    assert res.algorithm == "agglomerative" and res.linkage.shape == (439, 4)
    # scikit-learn's Ward labels and the SciPy tree cut at 3 are the same partition
    cut = fcluster(res.linkage, 3, criterion="maxclust")
    assert adjusted_rand_score(cut, res.labels) == 1.0
    # centres are segment means in X
    for s in range(3):
        np.testing.assert_allclose(res.centers[s], res.X[res.labels == s].mean(axis=0))
    # nearest-centroid assignment agrees with Ward on most rows (not all: Ward's
    # groups are not Voronoi cells)
    agree = (res.assign(wholesale)["segment"].to_numpy() == res.labels).mean()
    assert agree >= 0.8


def test_dbscan_noise_is_its_own_segment(wholesale, tmp_path):
    res = segment(wholesale, columns=WHOLESALE_SPENDING, algorithm="dbscan")
    assert -1 in set(res.labels) and res.segment_names[-1] == "Noise"
    assert res.k == len(set(res.labels) - {-1})
    noise = res.segments[res.segments["segment"] == -1]
    assert (
        noise["segment_name"].eq("Noise").all()
        and noise["distance_to_center"].isna().all()
    )
    assert -1 in res.profiles.index
    res.save(tmp_path)
    again = load_model(tmp_path).assign(wholesale)
    core = res.model.core_sample_indices_
    # core samples are within eps of themselves: same label after reloading
    np.testing.assert_array_equal(again["segment"].to_numpy()[core], res.labels[core])
    assert (again["segment"].to_numpy() == res.labels).mean() >= 0.95


def test_auto_k_keeps_evidence(wholesale):
    res = segment(
        wholesale, k="auto", columns=WHOLESALE_SPENDING, k_values=[2, 3, 4], n_init=2
    )
    sel = res.k_selection
    assert res.k == sel.k and sel.k in (2, 3, 4)
    assert sel.table["k"].tolist() == [2, 3, 4]
    assert {"inertia", "silhouette", "fit_time_s"} <= set(sel.table.columns)
    assert isinstance(sel.reason, str) and f"k={res.k}" in sel.reason
    # the final model is refitted at the chosen k: same partition as in the evidence
    assert adjusted_rand_score(sel.labels[res.k], res.labels) > 0.9
    assert res.params["k"] == "auto"


def test_synthetic_customers_recover_planted_segments():
    df, truth = make_customers(1500, random_state=2, return_segments=True)
    res = segment(df, k=4)
    s = res.preparation.summary
    assert s["identifier"] == "customer_id" and s["dates"] == ["signup_date"]
    assert set(s["categorical"]) == {"region", "channel"}
    assert s["imputed"]["age"] == int(df["age"].isna().sum()) > 0
    assert "annual_spend" in s["log1p"]
    assert res.segments["customer_id"].tolist() == df["customer_id"].tolist()
    # planted archetypes are well separated: a clear but not perfect recovery
    assert adjusted_rand_score(truth, res.labels) > 0.6


def test_transactions_to_segments(tmp_path):
    log = make_transactions(150, random_state=3, missing_id_rate=0.0)
    table = rfm(
        log,
        customer_id="CustomerID",
        date="InvoiceDate",
        invoice="InvoiceNo",
        quantity="Quantity",
        price="UnitPrice",
    )
    res = segment(table, k=3)
    assert res.id_column == "CustomerID"
    assert res.preparation.summary["numeric"] == [
        "recency",
        "frequency",
        "monetary",
        "tenure",
    ]
    assert len(res.segments) == len(table)
    assert res.segments["CustomerID"].tolist() == table["CustomerID"].tolist()
    res.save(tmp_path)
    np.testing.assert_array_equal(
        load_model(tmp_path).assign(table)["segment"], res.labels
    )


@pytest.mark.parametrize(
    ("frame", "kwargs", "match"),
    [
        (
            None,
            {"columns": ["Fresh", "Nope"]},
            r"unknown column 'Nope'; the table has columns 'Channel'",
        ),
        (None, {"id_column": "customer"}, r"unknown column 'customer'"),
        (
            pd.DataFrame({"name": list("abcabc"), "city": list("xyzxyz")}),
            {"k": 2},
            r"no numeric column to segment on",
        ),
        (
            pd.DataFrame({"a": [1.0, 2.0, 3.0], "b": [np.nan] * 3}),
            {"k": 2},
            r"column 'b' has no values \(all 3 missing\)",
        ),
        (
            pd.DataFrame({"a": [1.0, 2.0, 3.0]}),
            {"k": 5},
            r"fewer rows \(3\) than segments asked for \(k=5\)",
        ),
        (
            pd.DataFrame({"spend": ["10", "12.5", "n/a?"] + ["3"] * 30}),
            {"k": 2},
            r"column 'spend' should be numeric but 1 of its values are text \(e.g. 'n/a\?'\)",
        ),
        (None, {"k": 0}, r"k=0 should be 'auto' or a whole number >= 1"),
        (None, {"k": "many"}, r"k='many' should be 'auto'"),
        (None, {"algorithm": "kmedoids"}, r"unknown algorithm='kmedoids'"),
        (
            None,
            {"algorithm": "dbscan", "k": 3},
            r"k=3 cannot be used with algorithm='dbscan'",
        ),
        (np.ones((5, 2)), {"k": 2}, r"expected a pandas DataFrame, got ndarray"),
        (pd.DataFrame({"a": [1.0, 2.0]}), {}, r"k='auto' needs at least 3 rows"),
        (
            pd.DataFrame([[1.0, 2.0, 3.0]] * 4, columns=["a", "b", "a"]),
            {"k": 2},
            r"duplicate column names 'a'; rename them",
        ),
    ],
)
def test_bad_input_is_one_clear_line(wholesale, frame, kwargs, match):
    df = wholesale if frame is None else frame
    with pytest.raises(SegmentationError, match=match) as info:
        segment(df, **kwargs)
    assert "\n" not in str(info.value)
    assert isinstance(info.value, ValueError)


def test_unwritable_output(result, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(SegmentationError, match=r"cannot create output folder"):
        result.save(blocker / "sub")


def test_load_model_errors(tmp_path):
    with pytest.raises(SegmentationError, match=r"model file .* not found"):
        load_model(tmp_path)
    (tmp_path / "model.json").write_text('{"format": "other"}')
    np.savez(tmp_path / "model.npz", centers=np.zeros((1, 1)))
    with pytest.raises(SegmentationError, match=r"is not a segmint segmentation model"):
        load_model(tmp_path)
    (tmp_path / "model.json").write_text("{broken")
    with pytest.raises(SegmentationError, match=r"is not valid JSON"):
        load_model(tmp_path)


def test_assign_needs_feature_columns(result, wholesale):
    with pytest.raises(SegmentationError, match=r"lacks column 'Milk'"):
        result.assign(wholesale.drop(columns="Milk"))


def test_package_is_callable(wholesale):
    import segmint

    res = segmint.segment(wholesale, k=2, columns=["Fresh", "Milk"])
    assert res.k == 2 and segmint.rfm is rfm


def test_large_input_switches_to_minibatch(monkeypatch):
    import sys

    from sklearn.cluster import MiniBatchKMeans

    core = sys.modules["segmint.segment.core"]
    df = make_customers(300, random_state=0)
    monkeypatch.setattr(core, "LARGE_N", 200)
    monkeypatch.setattr(core, "_minibatch_class", lambda: None)
    assert segment(df, k=3).algorithm == "kmeans"  # no mini-batch: stays K-means
    monkeypatch.setattr(core, "_minibatch_class", lambda: MiniBatchKMeans)
    res = segment(df, k=3)
    assert res.algorithm == "minibatch" and isinstance(res.model, MiniBatchKMeans)
    assert "used mini-batch K-means" in res.params["notes"][0]
    np.testing.assert_array_equal(res.to_model().assign(df)["segment"], res.labels)


def test_minibatch_algorithm(wholesale, tmp_path):
    from segmint.minibatch import MiniBatchKMeans

    res = segment(wholesale, k=3, columns=WHOLESALE_SPENDING, algorithm="minibatch")
    assert res.algorithm == "minibatch" and isinstance(res.model, MiniBatchKMeans)
    res.save(tmp_path)
    # labels_ are the nearest final centre, so reloading reproduces them
    np.testing.assert_array_equal(
        load_model(tmp_path).assign(wholesale)["segment"], res.labels
    )


def test_non_string_column_names(tmp_path):
    # scikit-learn reads int column names as positions; they must still
    # select the right columns
    rng = np.random.default_rng(0)
    df = pd.DataFrame(
        {
            2: rng.lognormal(size=80),
            0: rng.choice(["a", "b"], 80),
            "x": rng.normal(size=80),
        }
    )
    res = segment(df, k=2)
    assert res.feature_names == ["2", "x", "0_a", "0_b"]
    np.testing.assert_allclose(res.profiles["mean_2"], df.groupby(res.labels)[2].mean())
    res.save(tmp_path)
    np.testing.assert_array_equal(
        load_model(tmp_path).assign(df)["segment"], res.labels
    )


def test_model_reproduces_infrequent_categories(tmp_path):
    df = make_customers(400, random_state=4)
    res = segment(df, k=3, max_categories=3, n_init=2)
    info = res.preparation.summary["one_hot"]["region"]
    assert len(info["categories"]) == 2 and len(info["infrequent"]) == 2
    res.save(tmp_path)
    model = load_model(tmp_path)
    np.testing.assert_allclose(model.transform(df), res.X, rtol=1e-12, atol=1e-12)
    # an unseen region lands in the infrequent column, as in OneHotEncoder
    new = df.head(3).assign(region="Atlantis")
    np.testing.assert_allclose(
        model.transform(new), res.preparation.transform(new), rtol=1e-12, atol=1e-12
    )
    assert "region_infrequent_sklearn" in res.feature_names


@settings(max_examples=15, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    scaling=st.sampled_from(["standard", "robust", "minmax", "none"]),
    missing=st.floats(0.0, 0.3),
    max_categories=st.integers(2, 5),
)
def test_saved_model_matches_pipeline_on_any_table(
    seed, scaling, missing, max_categories
):
    rng = np.random.default_rng(seed)
    n = 40
    df = pd.DataFrame(
        {
            "money": rng.lognormal(3, 1.5, n) * rng.choice([1, -1], n, p=[0.9, 0.1]),
            "count": rng.poisson(3, n).astype(float),
            "kind": rng.choice(list("abcdef"), n),
        }
    )
    for col in df.columns:
        df.loc[rng.random(n) < missing, col] = np.nan
    df.loc[0, ["money", "count", "kind"]] = [1.0, 1.0, "a"]  # no all-missing column
    res = segment(df, k=2, n_init=1, scaling=scaling, max_categories=max_categories)
    model = res.to_model()
    np.testing.assert_allclose(model.transform(df), res.X, rtol=1e-12, atol=1e-12)
    np.testing.assert_array_equal(model.assign(df)["segment"], res.labels)
