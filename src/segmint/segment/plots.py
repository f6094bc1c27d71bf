"""Figures of a segmentation: where the segments lie, what sets them apart.

Every function returns a :class:`matplotlib.figure.Figure` built without
``pyplot``, so nothing here touches matplotlib's global state or needs a
display: the figures render with the Agg canvas, can be made from worker
threads and are freed as soon as they go out of scope. Save one with
``fig.savefig(path)``; :mod:`segmint.segment.report` embeds them in HTML.

The evidence for the number of segments (elbow, criteria, silhouette
diagram) lives in :mod:`segmint.plotting`; this module draws the segments
themselves. All figures colour a segment the same way
(:func:`segment_colors`), so the scatter, the sizes and the report's cards
can be read together.
"""

from __future__ import annotations

import textwrap

import numpy as np

__all__ = [
    "NOISE_LABEL",
    "plot_center_heatmap",
    "plot_dendrogram",
    "plot_segment_sizes",
    "plot_segments_2d",
    "plot_segments_3d",
    "segment_colors",
]

#: Label that DBSCAN gives to points in no dense region; drawn in grey.
NOISE_LABEL = -1

_NOISE_COLOR = (0.6, 0.6, 0.6, 1.0)


def _figure(figsize):
    # A bare Figure (not pyplot.figure) has no global registry entry, so it
    # is garbage collected like any object and never opens a window.
    from matplotlib.figure import Figure

    return Figure(figsize=figsize, layout="constrained")


def _ordered_labels(labels):
    """Distinct labels in display order: segments ascending, noise last."""
    uniq = [int(v) for v in np.unique(labels)]
    return [v for v in uniq if v != NOISE_LABEL] + (
        [NOISE_LABEL] if NOISE_LABEL in uniq else []
    )


def _display_name(label, names, width=None):
    if names is not None and label in names:
        text = f"{label}: {names[label]}"
    elif label == NOISE_LABEL:
        text = "Noise"
    else:
        text = f"Segment {label}"
    if width is not None:
        text = textwrap.fill(text, width)
    return text


def segment_colors(labels):
    """Colour of each segment, the same in every figure of a segmentation.

    Parameters
    ----------
    labels : array-like of int, shape (n_samples,) or (n_segments,)
        Segment labels; only the distinct values matter. ``-1`` is noise.

    Returns
    -------
    colors : dict of int to tuple of 4 float
        RGBA colour of each distinct label: the ``tab10`` palette for up to
        ten segments, ``tab20`` up to twenty, then ``turbo``; noise is grey.

    Examples
    --------
    >>> colors = segment_colors([0, 1, 1, -1])
    >>> sorted(colors)
    [-1, 0, 1]
    >>> colors[-1]
    (0.6, 0.6, 0.6, 1.0)
    """
    from matplotlib import colormaps

    segs = [v for v in _ordered_labels(np.asarray(labels)) if v != NOISE_LABEL]
    n = len(segs)
    if n <= 10:
        cmap, pos = colormaps["tab10"], [i / 10 + 0.05 for i in range(n)]
    elif n <= 20:
        cmap, pos = colormaps["tab20"], [i / 20 + 0.025 for i in range(n)]
    else:
        cmap, pos = colormaps["turbo"], np.linspace(0.05, 0.95, n)
    colors = {
        lab: tuple(float(c) for c in cmap(p)) for lab, p in zip(segs, pos, strict=True)
    }
    if NOISE_LABEL in set(np.asarray(labels).tolist()):
        colors[NOISE_LABEL] = _NOISE_COLOR
    return colors


def _subsample(n, max_points, random_state):
    """Row indices to draw: all rows, or a seeded sample of ``max_points``."""
    if max_points is None or n <= max_points:
        return np.arange(n)
    rng = np.random.default_rng(random_state)
    return np.sort(rng.choice(n, size=max_points, replace=False))


def _check_xy(X, labels):
    X = np.asarray(X, dtype=np.float64)
    labels = np.asarray(labels)
    if X.ndim != 2:
        raise ValueError(f"X must be 2-D, got an array of shape {X.shape}.")
    if labels.shape != (X.shape[0],):
        raise ValueError(
            f"labels has shape {labels.shape} but X has {X.shape[0]} rows; "
            "pass one label per row."
        )
    if X.shape[0] < 2:
        raise ValueError(f"at least 2 rows are needed to draw, got {X.shape[0]}.")
    if not np.all(np.isfinite(X)):
        raise ValueError("X contains NaN or infinite values; impute them first.")
    return X, labels.astype(np.int64, copy=False)


def _centres_of(X, labels, centers):
    """Centres to mark: the model's, or each segment's mean when it has none."""
    if centers is not None:
        return np.asarray(centers, dtype=np.float64)
    segs = [v for v in _ordered_labels(labels) if v != NOISE_LABEL]
    return np.array([X[labels == s].mean(axis=0) for s in segs]).reshape(
        len(segs), X.shape[1]
    )


def _project(X, centers, n_components, random_state):
    """PCA projection of X (and the centres) on its first components.

    Returns the projected rows and centres, and the share of variance each
    axis explains. With fewer features than components the missing axes
    are zero, so a 1-feature segmentation still draws.
    """
    from sklearn.decomposition import PCA

    n_comp = min(n_components, X.shape[1], X.shape[0])
    pca = PCA(n_components=n_comp, random_state=random_state).fit(X)
    Z = np.zeros((X.shape[0], n_components))
    C = np.zeros((centers.shape[0], n_components))
    Z[:, :n_comp] = pca.transform(X)
    if centers.shape[0]:
        C[:, :n_comp] = pca.transform(centers)
    ratio = np.zeros(n_components)
    ratio[:n_comp] = pca.explained_variance_ratio_
    return Z, C, ratio, pca


def plot_segments_2d(
    X,
    labels,
    *,
    centers=None,
    names=None,
    feature_names=None,
    n_arrows=4,
    max_points=5000,
    random_state=0,
):
    """Scatter of the rows on their first two principal components.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        The rows in the space the segments were found in (after scaling and
        encoding), so that distances on the plot mean what they meant to the
        algorithm.
    labels : array-like of int, shape (n_samples,)
        Segment of each row; ``-1`` is noise (DBSCAN).
    centers : array-like of shape (n_segments, n_features), optional
        Segment centres in the same space, in the order of the sorted
        non-noise labels. When omitted, each segment's mean is marked.
    names : dict of int to str, optional
        Segment names shown in the legend.
    feature_names : sequence of str, optional
        Names of the columns of X. When given, the ``n_arrows`` features
        that load most on the two components are drawn as arrows (a
        biplot), which tells what each direction on the plot means.
    n_arrows : int, default=4
        How many feature arrows to draw when ``feature_names`` is given.
    max_points : int or None, default=5000
        Draw a seeded random sample of at most this many rows (the PCA is
        still fitted on all of them). ``None`` draws every row.
    random_state : int, default=0
        Seed of the sample and of the PCA solver.

    Returns
    -------
    fig : matplotlib.figure.Figure

    Notes
    -----
    Principal components (Jolliffe, *Principal Component Analysis*, 2nd ed.,
    2002, ch. 5) give the flat view that keeps the most variance; segments
    that overlap here may still be apart along later components. The axis
    labels give the share of variance each component explains.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.r_[np.zeros((5, 3)), np.ones((5, 3))] + np.arange(10)[:, None] * 0.01
    >>> fig = plot_segments_2d(X, [0] * 5 + [1] * 5)
    >>> fig.axes[0].get_xlabel()[:3]
    'PC1'
    """
    X, labels = _check_xy(X, labels)
    C = _centres_of(X, labels, centers)
    Z, ZC, ratio, pca = _project(X, C, 2, random_state)
    idx = _subsample(X.shape[0], max_points, random_state)
    colors = segment_colors(labels)

    fig = _figure((8.5, 5.5))
    ax = fig.add_subplot()
    segs = _ordered_labels(labels)
    small = len(idx) > 2000
    for lab in segs:
        sel = idx[labels[idx] == lab]
        ax.scatter(
            Z[sel, 0],
            Z[sel, 1],
            s=6 if small else 16,
            alpha=0.55 if small else 0.75,
            color=colors[lab],
            linewidths=0,
            marker="x" if lab == NOISE_LABEL else "o",
            label=_display_name(lab, names, width=34),
        )
    centre_labels = [v for v in segs if v != NOISE_LABEL]
    for i, lab in enumerate(centre_labels[: ZC.shape[0]]):
        ax.scatter(
            ZC[i, 0],
            ZC[i, 1],
            s=180,
            marker="X",
            color=colors[lab],
            edgecolors="black",
            linewidths=1.2,
            zorder=5,
        )
        ax.annotate(
            str(lab),
            (ZC[i, 0], ZC[i, 1]),
            xytext=(7, 7),
            textcoords="offset points",
            fontsize=10,
            fontweight="bold",
            zorder=6,
        )

    if feature_names is not None and n_arrows and X.shape[1] >= 2:
        feature_names = list(feature_names)
        if len(feature_names) != X.shape[1]:
            raise ValueError(
                f"feature_names has {len(feature_names)} names but X has "
                f"{X.shape[1]} columns."
            )
        load = pca.components_[:2].T * np.sqrt(pca.explained_variance_[:2])
        top = np.argsort(-np.hypot(load[:, 0], load[:, 1]))[:n_arrows]
        # One common scale (so arrow lengths compare) that keeps every
        # arrow and its label inside the box the points already fill.
        (x0, x1), (y0, y1) = ax.get_xlim(), ax.get_ylim()
        reach = []
        for lx, ly in load[top]:
            if abs(lx) > 1e-12:
                reach.append((x1 if lx > 0 else -x0) / abs(lx))
            if abs(ly) > 1e-12:
                reach.append((y1 if ly > 0 else -y0) / abs(ly))
        scale = 0.8 * min(reach) if reach else 0.0
        # Arrows within 10 degrees of a longer one would print their labels
        # on top of each other: draw the longest, labelled with all names.
        groups = []
        for j in top:
            angle = np.degrees(np.arctan2(load[j, 1], load[j, 0]))
            for g in groups:
                if abs((angle - g[0] + 180) % 360 - 180) < 10:
                    g[2].append(str(feature_names[j]))
                    break
            else:
                groups.append((angle, j, [str(feature_names[j])]))
        for _, j, label in groups:
            dx, dy = load[j] * scale
            ax.annotate(
                "",
                xy=(dx, dy),
                xytext=(0, 0),
                arrowprops={"arrowstyle": "->", "color": "0.25", "lw": 1.2},
                zorder=4,
            )
            ax.text(
                dx * 1.06,
                dy * 1.06,
                ", ".join(label),
                fontsize=8,
                color="0.15",
                ha="center",
                va="center",
                zorder=6,
                bbox={"boxstyle": "round,pad=0.15", "fc": "white", "alpha": 0.7},
                clip_on=True,
            )
        # the arrows must not widen the view the points set
        ax.set_xlim(x0, x1)
        ax.set_ylim(y0, y1)

    ax.set_xlabel(f"PC1 ({ratio[0]:.0%} of variance)")
    ax.set_ylabel(f"PC2 ({ratio[1]:.0%} of variance)")
    title = "Segments on the first two principal components"
    if len(idx) < X.shape[0]:
        title += f"\n(random sample of {len(idx):,} of {X.shape[0]:,} rows)"
    ax.set_title(title)
    ax.grid(alpha=0.3)
    fig.legend(
        loc="outside right upper",
        fontsize=8,
        markerscale=1.5 if small else 1.0,
        frameon=False,
    )
    return fig


def plot_segments_3d(
    X,
    labels,
    *,
    centers=None,
    names=None,
    max_points=3000,
    random_state=0,
    elev=20.0,
    azim=-60.0,
):
    """Scatter of the rows on their first three principal components.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        The rows in the space the segments were found in.
    labels : array-like of int, shape (n_samples,)
        Segment of each row; ``-1`` is noise.
    centers : array-like of shape (n_segments, n_features), optional
        Segment centres in the same space; segment means when omitted.
    names : dict of int to str, optional
        Segment names shown in the legend.
    max_points : int or None, default=3000
        Draw a seeded random sample of at most this many rows.
    random_state : int, default=0
        Seed of the sample and of the PCA solver.
    elev, azim : float
        Viewing angles in degrees (see ``Axes3D.view_init``).

    Returns
    -------
    fig : matplotlib.figure.Figure

    Examples
    --------
    >>> import numpy as np
    >>> X = np.random.default_rng(0).normal(size=(20, 4))
    >>> fig = plot_segments_3d(X, [0] * 10 + [1] * 10)
    >>> fig.axes[0].name
    '3d'
    """
    X, labels = _check_xy(X, labels)
    C = _centres_of(X, labels, centers)
    Z, ZC, ratio, _ = _project(X, C, 3, random_state)
    idx = _subsample(X.shape[0], max_points, random_state)
    colors = segment_colors(labels)

    fig = _figure((8.5, 6.5))
    ax = fig.add_subplot(projection="3d")
    segs = _ordered_labels(labels)
    for lab in segs:
        sel = idx[labels[idx] == lab]
        ax.scatter(
            Z[sel, 0],
            Z[sel, 1],
            Z[sel, 2],
            s=8,
            alpha=0.6,
            color=colors[lab],
            marker="x" if lab == NOISE_LABEL else "o",
            label=_display_name(lab, names, width=34),
        )
    centre_labels = [v for v in segs if v != NOISE_LABEL]
    for i, lab in enumerate(centre_labels[: ZC.shape[0]]):
        ax.scatter(
            ZC[i, 0],
            ZC[i, 1],
            ZC[i, 2],
            s=160,
            marker="X",
            color=colors[lab],
            edgecolors="black",
            linewidths=1.0,
            depthshade=False,
        )
        ax.text(ZC[i, 0], ZC[i, 1], ZC[i, 2], f"  {lab}", fontweight="bold")
    ax.set_xlabel(f"PC1 ({ratio[0]:.0%})")
    ax.set_ylabel(f"PC2 ({ratio[1]:.0%})")
    ax.set_zlabel(f"PC3 ({ratio[2]:.0%})")
    ax.view_init(elev=elev, azim=azim)
    title = "Segments on the first three principal components"
    if len(idx) < X.shape[0]:
        title += f"\n(random sample of {len(idx):,} of {X.shape[0]:,} rows)"
    ax.set_title(title)
    # outside the 3-D box, where constrained layout makes room for it
    fig.legend(loc="outside right upper", fontsize=8, frameon=False)
    return fig


def _fmt_value(v):
    """Short, readable number for a heatmap cell: 3 significant digits."""
    if not np.isfinite(v):
        return "n/a"
    a = abs(v)
    if a >= 1e6:
        return f"{v / 1e6:.3g}M"
    if a >= 1e4:
        return f"{v / 1e3:.3g}k"
    if a >= 100 or v == int(v):
        return f"{v:,.0f}"
    return f"{v:.3g}"


def plot_center_heatmap(data, labels, *, names=None, columns=None):
    """Heatmap of each segment's mean in original units.

    Cells are coloured by how far the segment's mean lies from the mean of
    all rows, in standard deviations of the whole population (red above,
    blue below), and annotated with the mean itself in the column's own
    units. Colour makes columns with different units comparable; the
    numbers keep them readable.

    Parameters
    ----------
    data : pandas.DataFrame
        The rows as given (before scaling or log transforms), in the order
        of ``labels``. Non-numeric columns are left out.
    labels : array-like of int, shape (n_samples,)
        Segment of each row; noise rows (``-1``) get their own line.
    names : dict of int to str, optional
        Segment names for the row labels.
    columns : sequence of str, optional
        Columns to show (default: every numeric column of ``data``).

    Returns
    -------
    fig : matplotlib.figure.Figure

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"spend": [1.0, 2.0, 10.0, 12.0], "visits": [5, 6, 1, 2]})
    >>> fig = plot_center_heatmap(df, [0, 0, 1, 1])
    >>> [t.get_text() for t in fig.axes[0].texts][:2]
    ['1.5', '5.5']
    """
    import pandas as pd

    if not isinstance(data, pd.DataFrame):
        data = pd.DataFrame(data)
    labels = np.asarray(labels).astype(np.int64, copy=False)
    if labels.shape != (len(data),):
        raise ValueError(
            f"labels has shape {labels.shape} but data has {len(data)} rows; "
            "pass one label per row."
        )
    if columns is None:
        num = data.select_dtypes(include="number").columns.tolist()
    else:
        missing = [c for c in columns if c not in data.columns]
        if missing:
            raise ValueError(f"columns not in data: {missing}.")
        num = list(columns)
    if not num:
        raise ValueError("data has no numeric column to draw.")
    values = data[num].astype("float64")
    overall_mean = values.mean()
    overall_std = values.std(ddof=0).replace(0.0, np.nan)
    segs = _ordered_labels(labels)
    means = values.groupby(labels).mean().reindex(segs)
    z = ((means - overall_mean) / overall_std).fillna(0.0).to_numpy()

    n_rows, n_cols = means.shape
    fig = _figure(
        (min(16.0, max(6.0, 0.8 * n_cols + 4.5)), max(2.6, 0.5 * n_rows + 1.8))
    )
    ax = fig.add_subplot()
    lim = max(1.0, float(np.nanmax(np.abs(z))))
    im = ax.imshow(z, cmap="RdBu_r", vmin=-lim, vmax=lim, aspect="auto")
    for i in range(n_rows):
        for j in range(n_cols):
            ax.text(
                j,
                i,
                _fmt_value(means.iat[i, j]),
                ha="center",
                va="center",
                fontsize=8,
                color="white" if abs(z[i, j]) > 0.6 * lim else "black",
            )
    ax.set_xticks(
        range(n_cols), [textwrap.fill(str(c), 14, break_long_words=False) for c in num]
    )
    ax.tick_params(axis="x", labelrotation=30, labelsize=8)
    for t in ax.get_xticklabels():
        t.set_horizontalalignment("right")
    ax.set_yticks(range(n_rows), [_display_name(s, names, width=40) for s in segs])
    ax.tick_params(axis="y", labelsize=8)
    ax.set_title("Segment means (colour: difference from all rows, in sd)")
    cbar = fig.colorbar(im, ax=ax, shrink=0.9)
    cbar.set_label("sd from the mean of all rows")
    return fig


def plot_segment_sizes(labels, *, names=None):
    """Horizontal bars of the number of rows in each segment.

    Parameters
    ----------
    labels : array-like of int, shape (n_samples,)
        Segment of each row; noise (``-1``) is shown as its own bar.
    names : dict of int to str, optional
        Segment names for the bar labels.

    Returns
    -------
    fig : matplotlib.figure.Figure
        Each bar is annotated with its count and its share of all rows.

    Examples
    --------
    >>> fig = plot_segment_sizes([0, 0, 0, 1])
    >>> [t.get_text() for t in fig.axes[0].texts]
    ['3 (75%)', '1 (25%)']
    """
    labels = np.asarray(labels).astype(np.int64, copy=False)
    if labels.size == 0:
        raise ValueError("labels is empty; there is nothing to count.")
    segs = _ordered_labels(labels)
    counts = np.array([np.count_nonzero(labels == s) for s in segs])
    share = counts / labels.size
    colors = segment_colors(labels)

    fig = _figure((8.0, max(2.2, 0.5 * len(segs) + 1.2)))
    ax = fig.add_subplot()
    y = np.arange(len(segs))
    ax.barh(y, counts, color=[colors[s] for s in segs])
    for yi, c, p in zip(y, counts, share, strict=True):
        ax.annotate(
            f"{c:,} ({p:.0%})",
            (c, yi),
            xytext=(4, 0),
            textcoords="offset points",
            va="center",
            fontsize=9,
        )
    ax.set_yticks(y, [_display_name(s, names, width=40) for s in segs])
    ax.tick_params(axis="y", labelsize=8)
    ax.invert_yaxis()
    # room on the right for the count annotations
    ax.set_xlim(0, counts.max() * 1.25)
    ax.set_xlabel("rows")
    ax.set_title("Segment sizes")
    ax.grid(axis="x", alpha=0.3)
    return fig


def plot_dendrogram(
    X=None, *, linkage=None, n_clusters=None, max_points=2000, p=30, random_state=0
):
    """Ward dendrogram of the rows, cut at ``n_clusters`` segments.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features), optional
        The rows in the space the segments were found in; Ward linkage is
        computed from them. Give either ``X`` or ``linkage``.
    linkage : numpy.ndarray of shape (n_samples - 1, 4), optional
        A SciPy linkage matrix already computed (e.g.
        ``SegmentationResult.linkage``); drawn as is.
    n_clusters : int, optional
        Draw the cut that leaves this many segments (dashed line) and
        colour the branches below it.
    max_points : int or None, default=2000
        Ward linkage needs O(n²) memory; above this many rows it runs on a
        seeded random sample, which the title says.
    p : int, default=30
        Show only the last ``p`` merges (SciPy's ``truncate_mode="lastp"``);
        a leaf's label in brackets is the number of rows under it.
    random_state : int, default=0
        Seed of the sample.

    Returns
    -------
    fig : matplotlib.figure.Figure

    Notes
    -----
    Ward's criterion (Ward, "Hierarchical grouping to optimize an objective
    function", JASA 58, 1963) merges the two groups whose union raises the
    within-group sum of squares least, the quantity K-means minimises; the
    height of a merge is how much it costs, so a long vertical gap above a
    cut says the groups below it are well apart.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.r_[np.zeros((4, 2)), np.ones((4, 2)) * 5] + np.arange(8)[:, None] * 0.1
    >>> fig = plot_dendrogram(X, n_clusters=2)
    >>> fig.axes[0].get_ylabel()
    'merge height (Ward)'
    """
    from scipy.cluster.hierarchy import dendrogram
    from scipy.cluster.hierarchy import linkage as ward_linkage

    if (X is None) == (linkage is None):
        raise ValueError("give exactly one of X and linkage.")
    if linkage is not None:
        Z = np.asarray(linkage, dtype=np.float64)
        if Z.ndim != 2 or Z.shape[1] != 4 or Z.shape[0] < 1:
            raise ValueError(
                f"linkage must have shape (n_samples - 1, 4), got {Z.shape}."
            )
        n = n_total = Z.shape[0] + 1
    else:
        X = np.asarray(X, dtype=np.float64)
        if X.ndim != 2 or X.shape[0] < 2:
            raise ValueError(
                f"X must be 2-D with at least 2 rows, got an array of shape {X.shape}."
            )
        if not np.all(np.isfinite(X)):
            raise ValueError("X contains NaN or infinite values; impute them first.")
        idx = _subsample(X.shape[0], max_points, random_state)
        Z = ward_linkage(X[idx], method="ward")
        n, n_total = len(idx), X.shape[0]

    threshold = None
    if n_clusters is not None:
        if not 1 <= n_clusters <= n:
            raise ValueError(
                f"n_clusters={n_clusters} must be between 1 and the number of "
                f"rows drawn ({n})."
            )
        # Merges are sorted by height; cutting between the (n-k)-th and the
        # next one leaves k groups.
        lo = Z[n - n_clusters - 1, 2] if n_clusters < n else 0.0
        hi = Z[n - n_clusters, 2] if n_clusters > 1 else Z[-1, 2] * 1.05
        threshold = (lo + hi) / 2

    fig = _figure((9.0, 4.8))
    ax = fig.add_subplot()

    def leaf_label(node):
        # a leaf of the truncated tree is a single row (node < n) or a
        # merged group; show how many rows it holds, never a row index
        return f"({int(Z[node - n, 3]) if node >= n else 1})"

    dendrogram(
        Z,
        ax=ax,
        leaf_label_func=leaf_label if n > p else None,
        truncate_mode="lastp" if n > p else None,
        p=p,
        color_threshold=threshold if threshold is not None else 0,
        above_threshold_color="0.55",
        leaf_rotation=90,
        leaf_font_size=8,
    )
    if threshold is not None:
        ax.axhline(threshold, color="black", ls="--", lw=1)
        ax.text(
            ax.get_xlim()[1],
            threshold,
            f" cut: {n_clusters} segments",
            va="bottom",
            ha="right",
            fontsize=9,
        )
    title = "Ward dendrogram"
    if n < n_total:
        title += f" (random sample of {n:,} of {n_total:,} rows)"
    ax.set_title(title)
    ax.set_ylabel("merge height (Ward)")
    ax.set_xlabel("groups of rows (size in brackets)" if n > p else "rows")
    return fig
