"""Figures of a segmentation: what is drawn matches the numbers behind it."""

import doctest
import io

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure
from scipy.cluster.hierarchy import fcluster, linkage
from sklearn.decomposition import PCA

from segmint.segment import plots
from segmint.segment.plots import (
    NOISE_LABEL,
    plot_center_heatmap,
    plot_dendrogram,
    plot_segment_sizes,
    plot_segments_2d,
    plot_segments_3d,
    segment_colors,
)


@pytest.fixture
def blobs(global_random_seed):
    """Three separated groups in 4-D, with a few noise rows (label -1)."""
    rng = np.random.default_rng(global_random_seed)
    centres = np.array([[0, 0, 0, 0], [6, 0, 1, 0], [0, 6, 0, 2]], dtype=float)
    labels = np.repeat([0, 1, 2], [30, 20, 10])
    X = centres[labels] + rng.normal(scale=0.5, size=(len(labels), 4))
    return X, labels


def _png_bytes(fig):
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return buf.getvalue()


def _point_collections(ax):
    """Scatter layers of segment rows (centre markers have one point each)."""
    return [c for c in ax.collections if len(c.get_offsets()) > 1]


# -- colours ---------------------------------------------------------------


def test_segment_colors_distinct_and_noise_grey():
    labels = np.r_[np.arange(12), NOISE_LABEL]
    colors = segment_colors(labels)
    assert set(colors) == set(labels.tolist())
    segs = [colors[i] for i in range(12)]
    assert len(set(segs)) == 12
    assert colors[NOISE_LABEL] == (0.6, 0.6, 0.6, 1.0)


def test_segment_colors_depend_only_on_label_set():
    # the same segments get the same colours whatever the row order
    assert segment_colors([2, 0, 1, 1]) == segment_colors([0, 1, 2])


# -- 2-D and 3-D views -------------------------------------------------------


def test_scatter_2d_draws_pca_projection(blobs):
    X, labels = blobs
    centers = np.stack([X[labels == s].mean(axis=0) for s in range(3)])
    fig = plot_segments_2d(X, labels, centers=centers, names={0: "Big <spenders>"})
    assert isinstance(fig, Figure)
    ax = fig.axes[0]
    pca = PCA(n_components=2, random_state=0).fit(X)
    Z = pca.transform(X)
    layers = _point_collections(ax)
    assert len(layers) == 3
    for s, layer in enumerate(layers):
        # same computation as scikit-learn's, so equal to rounding
        np.testing.assert_allclose(layer.get_offsets(), Z[labels == s], atol=1e-10)
    marks = [c.get_offsets()[0] for c in ax.collections if len(c.get_offsets()) == 1]
    np.testing.assert_allclose(np.array(marks), pca.transform(centers), atol=1e-10)
    legend = [t.get_text() for t in fig.legends[0].get_texts()]
    assert legend[0].startswith("0: Big <spenders>")
    assert "PC1 (" in ax.get_xlabel()
    assert _png_bytes(fig).startswith(b"\x89PNG")


def test_scatter_2d_without_centres_marks_segment_means(blobs):
    X, labels = blobs
    fig = plot_segments_2d(X, labels)
    marks = np.array(
        [
            c.get_offsets()[0]
            for c in fig.axes[0].collections
            if len(c.get_offsets()) == 1
        ]
    )
    pca = PCA(n_components=2, random_state=0).fit(X)
    means = np.stack([X[labels == s].mean(axis=0) for s in range(3)])
    np.testing.assert_allclose(marks, pca.transform(means), atol=1e-10)


def test_scatter_2d_biplot_arrows_name_features(blobs):
    X, labels = blobs
    fig = plot_segments_2d(X, labels, feature_names=["a", "b", "c", "d"], n_arrows=2)
    # arrows in nearly the same direction share one label, "a, b"
    names = [n for t in fig.axes[0].texts for n in t.get_text().split(", ")]
    assert len(set(names) & {"a", "b", "c", "d"}) == 2
    with pytest.raises(ValueError, match="feature_names has 2 names but X has 4"):
        plot_segments_2d(X, labels, feature_names=["a", "b"])


def test_scatter_2d_parallel_arrows_share_a_label():
    rng = np.random.default_rng(0)
    base = rng.normal(size=(50, 1))
    # "u" and "v" are the same direction; "w" is independent of them
    X = np.hstack(
        [base, base * 1.01 + 1e-3 * rng.normal(size=(50, 1)), rng.normal(size=(50, 1))]
    )
    fig = plot_segments_2d(
        X, [0] * 25 + [1] * 25, feature_names=["u", "v", "w"], n_arrows=3
    )
    # the other texts are the arrows (empty) and the centre numbers
    texts = [t.get_text() for t in fig.axes[0].texts]
    labels = sorted(t for t in texts if t and not t.isdigit())
    assert labels in (["u, v", "w"], ["v, u", "w"])


def test_scatter_2d_subsamples_large_inputs(blobs):
    X, labels = blobs
    fig = plot_segments_2d(X, labels, max_points=25)
    drawn = sum(len(c.get_offsets()) for c in fig.axes[0].collections)
    assert drawn == 25 + 3  # the sample, then one marker per centre
    assert "random sample of 25 of 60 rows" in fig.axes[0].get_title()


def test_scatter_noise_is_grey(blobs):
    X, labels = blobs
    labels = labels.copy()
    labels[:5] = NOISE_LABEL
    fig = plot_segments_2d(X, labels)
    layers = _point_collections(fig.axes[0])
    assert len(layers) == 4  # 3 segments then noise
    np.testing.assert_allclose(layers[-1].get_facecolor()[0][:3], [0.6, 0.6, 0.6])
    legend = [t.get_text() for t in fig.legends[0].get_texts()]
    assert legend[-1] == "Noise"


def test_scatter_one_feature_still_draws():
    X = np.r_[np.zeros(5), np.ones(5)][:, None] + np.arange(10)[:, None] * 0.01
    fig = plot_segments_2d(X, [0] * 5 + [1] * 5)
    assert "PC2 (0% of variance)" == fig.axes[0].get_ylabel()


def test_scatter_3d(blobs):
    X, labels = blobs
    fig = plot_segments_3d(X, labels, names={1: "x"})
    ax = fig.axes[0]
    assert ax.name == "3d"
    assert "PC3" in ax.get_zlabel()
    assert _png_bytes(fig).startswith(b"\x89PNG")


@pytest.mark.parametrize(
    ("X", "labels", "match"),
    [
        (np.zeros(4), [0, 0, 1, 1], "X must be 2-D"),
        (np.zeros((4, 2)), [0, 1], r"labels has shape \(2,\) but X has 4 rows"),
        (np.array([[np.nan, 1.0], [0.0, 1.0]]), [0, 1], "NaN or infinite"),
        (np.zeros((1, 2)), [0], "at least 2 rows"),
    ],
)
def test_scatter_rejects_bad_input(X, labels, match):
    with pytest.raises(ValueError, match=match):
        plot_segments_2d(X, labels)


# -- heatmap -----------------------------------------------------------------


def test_heatmap_matches_pandas_groupby():
    rng = np.random.default_rng(0)
    df = pd.DataFrame(
        {
            "spend": rng.lognormal(8, 1, 50),
            "visits": rng.integers(1, 30, 50),
            "region": ["north", "south"] * 25,
        }
    )
    labels = np.repeat([0, 1, 2], [20, 20, 10])
    fig = plot_center_heatmap(df, labels, names={2: "Small"})
    ax = fig.axes[0]
    num = df[["spend", "visits"]]
    means = num.groupby(labels).mean()
    z = (means - num.mean()) / num.std(ddof=0)
    # colour = standardised difference; exact up to float rounding
    np.testing.assert_allclose(ax.images[0].get_array(), z.to_numpy(), rtol=1e-12)
    # annotation = mean in original units, row by row
    texts = [t.get_text() for t in ax.texts]
    assert len(texts) == 6
    assert texts[1] == f"{means.iloc[0, 1]:.3g}"
    assert [t.get_text() for t in ax.get_xticklabels()] == ["spend", "visits"]
    assert ax.get_yticklabels()[2].get_text() == "2: Small"


def test_heatmap_constant_column_is_neutral():
    df = pd.DataFrame({"a": [1.0, 2.0, 3.0, 4.0], "same": [5.0] * 4})
    fig = plot_center_heatmap(df, [0, 0, 1, 1])
    z = fig.axes[0].images[0].get_array()
    assert np.all(z[:, 1] == 0)


def test_heatmap_errors():
    df = pd.DataFrame({"t": ["a", "b"]})
    with pytest.raises(ValueError, match="no numeric column"):
        plot_center_heatmap(df, [0, 1])
    with pytest.raises(ValueError, match=r"columns not in data: \['x'\]"):
        plot_center_heatmap(df, [0, 1], columns=["x"])
    with pytest.raises(ValueError, match="labels has shape"):
        plot_center_heatmap(pd.DataFrame({"a": [1.0, 2.0]}), [0])


# -- sizes -------------------------------------------------------------------


def test_sizes_bars_equal_counts():
    labels = np.array([2, 0, 0, 1, 0, NOISE_LABEL, 2])
    fig = plot_segment_sizes(labels, names={0: "A"})
    ax = fig.axes[0]
    widths = [p.get_width() for p in ax.patches]
    assert widths == [3, 1, 2, 1]  # segments 0, 1, 2, then noise
    assert [t.get_text() for t in ax.texts] == [
        "3 (43%)",
        "1 (14%)",
        "2 (29%)",
        "1 (14%)",
    ]
    assert [t.get_text() for t in ax.get_yticklabels()] == [
        "0: A",
        "Segment 1",
        "Segment 2",
        "Noise",
    ]
    with pytest.raises(ValueError, match="labels is empty"):
        plot_segment_sizes([])


# -- dendrogram --------------------------------------------------------------


@pytest.mark.parametrize("k", [2, 3, 4])
def test_dendrogram_cut_gives_k_groups(blobs, k):
    X, _ = blobs
    fig = plot_dendrogram(X, n_clusters=k)
    ax = fig.axes[0]
    cut = [ln.get_ydata()[0] for ln in ax.lines if ln.get_linestyle() == "--"]
    assert len(cut) == 1
    Z = linkage(X, method="ward")
    # cutting the tree at the drawn height leaves exactly k groups
    assert len(np.unique(fcluster(Z, t=cut[0], criterion="distance"))) == k
    assert f"cut: {k} segments" in {t.get_text().strip() for t in ax.texts}


def test_dendrogram_from_linkage_equals_from_x(blobs):
    X, _ = blobs
    a = plot_dendrogram(X, n_clusters=3).axes[0]
    b = plot_dendrogram(linkage=linkage(X, method="ward"), n_clusters=3).axes[0]
    segs_a = [c.get_segments() for c in a.collections]
    segs_b = [c.get_segments() for c in b.collections]
    assert len(segs_a) == len(segs_b)
    for sa, sb in zip(segs_a, segs_b, strict=True):
        np.testing.assert_allclose(np.array(sa), np.array(sb))
    # truncated leaves are labelled with their size, never a row index
    labels = [t.get_text() for t in a.get_xticklabels()]
    assert all(lab.startswith("(") for lab in labels)
    assert sum(int(lab.strip("()")) for lab in labels) == len(X)


def test_dendrogram_errors(blobs):
    X, _ = blobs
    with pytest.raises(ValueError, match="exactly one of X and linkage"):
        plot_dendrogram()
    with pytest.raises(ValueError, match="n_clusters=61 must be between 1"):
        plot_dendrogram(X, n_clusters=61)
    with pytest.raises(ValueError, match=r"linkage must have shape"):
        plot_dendrogram(linkage=np.zeros((3, 3)))


def test_dendrogram_samples_large_inputs(blobs):
    X, _ = blobs
    fig = plot_dendrogram(X, max_points=20, n_clusters=2)
    assert "random sample of 20 of 60 rows" in fig.axes[0].get_title()


def test_docstring_examples():
    result = doctest.testmod(plots, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted >= 6
    assert result.failed == 0
