"""select_k and its plots.

The data are well-separated blobs whose number of clusters every criterion
agrees on, so a wrong recommendation means a broken sweep or decision rule.
"""

import matplotlib
import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import make_blobs
from sklearn.utils._param_validation import InvalidParameterError

from segmint import metrics
from segmint.select import KSelection, _gap_choice, _recommend, select_k

matplotlib.use("Agg")


@pytest.fixture
def four_blobs(global_random_seed):
    X, _ = make_blobs(
        n_samples=400,
        centers=[[0, 0], [10, 0], [0, 10], [10, 10]],
        cluster_std=1.0,
        random_state=global_random_seed,
    )
    return X


def test_select_k_finds_four_blobs(four_blobs, global_random_seed):
    sel = select_k(four_blobs, range(2, 8), random_state=global_random_seed)
    assert isinstance(sel, KSelection)
    assert sel.k == 4
    assert set(sel.votes) == {
        "elbow",
        "silhouette",
        "calinski_harabasz",
        "davies_bouldin",
    }
    assert sel.votes["silhouette"] == 4
    assert "k=4" in sel.reason
    assert not sel.sampled and sel.sample_size is None
    table = sel.table
    assert isinstance(table, pd.DataFrame)
    assert list(table["k"]) == [2, 3, 4, 5, 6, 7]
    for col in (
        "inertia",
        "silhouette",
        "calinski_harabasz",
        "davies_bouldin",
        "fit_time_s",
        "n_iter",
    ):
        assert col in table and table[col].notna().all()
    assert table["inertia"].is_monotonic_decreasing


def test_select_k_keeps_fits_and_scores_them_exactly(four_blobs):
    sel = select_k(four_blobs, [3, 4], random_state=0)
    assert sorted(sel.labels) == [3, 4]
    for k in (3, 4):
        row = sel.table.set_index("k").loc[k]
        assert sel.labels[k].shape == (400,)
        assert sel.centers[k].shape == (k, 2)
        # the table's numbers are those of the returned fit
        assert row["inertia"] == pytest.approx(
            metrics.inertia(four_blobs, sel.labels[k], sel.centers[k]), rel=1e-9
        )
        assert row["silhouette"] == pytest.approx(
            metrics.silhouette_score(four_blobs, sel.labels[k]), abs=1e-12
        )


def test_select_k_fits_with_segmint_kmeans(four_blobs, monkeypatch):
    import segmint.kmeans

    calls = []
    original = segmint.kmeans.KMeans.fit

    def spy(self, X, *args, **kwargs):
        calls.append(self.n_clusters)
        return original(self, X, *args, **kwargs)

    monkeypatch.setattr(segmint.kmeans.KMeans, "fit", spy)
    select_k(four_blobs, range(2, 5), random_state=0)
    assert calls == [2, 3, 4]


def test_select_k_samples_silhouette_once_and_says_so(four_blobs):
    sel = select_k(four_blobs, range(2, 6), sample_size=150, random_state=0)
    assert sel.sampled and sel.sample_size == 150
    assert {"silhouette_ci_low", "silhouette_ci_high"} <= set(sel.table)
    t = sel.table
    assert (t["silhouette_ci_low"] <= t["silhouette"]).all()
    assert (t["silhouette"] <= t["silhouette_ci_high"]).all()
    assert any("subsample of 150 of 400 rows" in note for note in sel.notes)
    assert sel.k == 4


def test_select_k_sqeuclidean_silhouette_is_never_sampled(four_blobs):
    sel = select_k(four_blobs, [3, 4], sample_size=50, silhouette_metric="sqeuclidean")
    assert not sel.sampled
    assert sel.table.set_index("k").loc[4, "silhouette"] == pytest.approx(
        metrics.silhouette_score(four_blobs, sel.labels[4], metric="sqeuclidean"),
        abs=1e-12,
    )


def test_select_k_gap_statistic(four_blobs):
    sel = select_k(
        four_blobs,
        range(2, 7),
        criteria=("gap", "silhouette"),
        gap_references=3,
        random_state=0,
    )
    assert {"gap", "gap_se"} <= set(sel.table)
    assert sel.votes["gap"] == 4
    assert sel.k == 4


def test_select_k_int_k_values_and_float32(four_blobs):
    sel = select_k(four_blobs.astype(np.float32), 5, random_state=0)
    assert list(sel.table["k"]) == [2, 3, 4, 5]
    assert sel.centers[4].dtype == np.float32


def test_select_k_progress_display(four_blobs, capsys):
    select_k(four_blobs, [2, 3, 4], progress=True, random_state=0)
    assert "select_k" in capsys.readouterr().out


def test_select_k_errors(four_blobs):
    with pytest.raises(ValueError, match=r"k_values must lie in .* = \[2, 399\]"):
        select_k(four_blobs, [1, 2, 3])
    with pytest.raises(ValueError, match=r"k_values must lie in .* = \[2, 399\]"):
        select_k(four_blobs, [2, 400])
    with pytest.raises(ValueError, match="Unknown criteria"):
        select_k(four_blobs, [2, 3], criteria=["elbow", "bic"])
    with pytest.raises(InvalidParameterError, match="'n_init' parameter"):
        select_k(four_blobs, [2, 3], n_init=0)


def _table(sil, ks=(2, 3, 4, 5)):
    return pd.DataFrame({"k": list(ks), "silhouette": sil})


def test_recommend_majority_wins():
    votes = {"elbow": 3, "silhouette": 4, "calinski_harabasz": 4, "davies_bouldin": 5}
    k, reason = _recommend(votes, _table([0.1, 0.2, 0.3, 0.4]), False, 0.95)
    assert k == 4
    assert "2 of 4 criteria" in reason


def test_recommend_tie_goes_to_higher_silhouette():
    votes = {"elbow": 3, "silhouette": 5, "calinski_harabasz": 3, "davies_bouldin": 5}
    k, reason = _recommend(votes, _table([0.1, 0.2, 0.3, 0.5]), False, 0.95)
    assert k == 5
    assert "settled by the higher silhouette" in reason


def test_recommend_tie_without_silhouette_goes_to_smaller_k():
    votes = {"elbow": 5, "davies_bouldin": 3}
    table = pd.DataFrame({"k": [2, 3, 4, 5]})
    k, reason = _recommend(votes, table, False, 0.95)
    assert k == 3
    assert "smallest K" in reason


def test_recommend_abstentions():
    votes = {"elbow": None, "silhouette": 3}
    k, reason = _recommend(votes, _table([0.1, 0.5, 0.3, 0.2]), False, 0.95)
    assert k == 3
    assert "No preference from: elbow" in reason


def test_gap_rule():
    # Gap(3) >= Gap(4) - s(4): 3 is the smallest such K
    assert _gap_choice([2, 3, 4], [0.1, 0.5, 0.55], [0.01, 0.01, 0.1]) == 3
    # never satisfied: the largest gap
    assert _gap_choice([2, 3, 4], [0.1, 0.5, 0.9], [0.01, 0.01, 0.01]) == 4


# --- plots --------------------------------------------------------------------


def test_plots_return_savable_figures(four_blobs, tmp_path):
    from matplotlib.figure import Figure

    from segmint.plotting import plot_criteria, plot_elbow, plot_silhouette

    sel = select_k(four_blobs, range(2, 7), random_state=0)
    fig = plot_elbow(sel)
    assert isinstance(fig, Figure)
    legend = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert f"knee: K={sel.votes['elbow']}" in legend
    fig.savefig(tmp_path / "elbow.png")

    fig = plot_criteria(sel)
    assert len(fig.axes) == 4  # inertia + three criteria
    fig.savefig(tmp_path / "criteria.png")

    fig = plot_silhouette(four_blobs, sel.labels[4])
    mean = metrics.silhouette_score(four_blobs, sel.labels[4])
    legend = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert legend == [f"mean = {mean:.3f}"]
    fig.savefig(tmp_path / "silhouette.png")
    assert all((tmp_path / f).stat().st_size > 0 for f in ("elbow.png",))


def test_plot_on_given_axes(four_blobs):
    from matplotlib.figure import Figure

    from segmint.plotting import plot_elbow, plot_silhouette

    fig = Figure()
    ax1, ax2 = fig.subplots(1, 2)
    sel = select_k(four_blobs, range(2, 6), random_state=0, sample_size=100)
    assert plot_elbow(sel, ax=ax1) is fig
    assert plot_silhouette(four_blobs, sel.labels[4], ax=ax2, sample_size=100) is fig


def test_select_k_flags_rising_inertia(four_blobs, monkeypatch):
    import segmint.kmeans

    original = segmint.kmeans.KMeans.fit

    def worse_at_five(self, X, *args, **kwargs):
        model = original(self, X, *args, **kwargs)
        if self.n_clusters == 5:
            model.inertia_ = 1e9  # as a fit stuck in a poor local optimum
        return model

    monkeypatch.setattr(segmint.kmeans.KMeans, "fit", worse_at_five)
    sel = select_k(four_blobs, range(2, 7), random_state=0)
    assert any("Inertia rises at k=5" in note for note in sel.notes)
