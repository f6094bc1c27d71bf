"""Figures for choosing K and judging a clustering (matplotlib).

Every function returns a :class:`matplotlib.figure.Figure` (``fig.savefig``
writes it) and draws on ``ax`` when one is given. matplotlib is imported
when a function is called, never when segmint is imported. The figures use
the object-oriented API only, so they work with any backend, including
``Agg`` on a headless machine.
"""

import numpy as np

__all__ = ["plot_criteria", "plot_elbow", "plot_silhouette"]

_LABELS = {
    "inertia": "inertia (lower is tighter)",
    "silhouette": "silhouette (higher is better)",
    "calinski_harabasz": "Calinski-Harabasz (higher is better)",
    "davies_bouldin": "Davies-Bouldin (lower is better)",
    "gap": "gap statistic (Tibshirani rule)",
}


def _figure(ax, figsize):
    if ax is not None:
        return ax.figure, ax
    from matplotlib.figure import Figure

    fig = Figure(figsize=figsize, layout="constrained")
    return fig, fig.add_subplot()


def plot_elbow(selection, ax=None):
    """Inertia against K, with the knee (Kneedle) and the chosen K marked.

    Parameters
    ----------
    selection : KSelection
        Result of :func:`segmint.select_k`.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; a new figure is made when None.

    Returns
    -------
    fig : matplotlib.figure.Figure
        The figure holding the plot.

    Examples
    --------
    >>> import numpy as np
    >>> from segmint.select import select_k
    >>> from segmint.plotting import plot_elbow
    >>> rng = np.random.default_rng(0)
    >>> X = np.vstack([c + rng.normal(size=(50, 2)) for c in ([0, 0], [9, 0], [0, 9])])
    >>> fig = plot_elbow(select_k(X, range(2, 7), random_state=0))
    >>> fig.axes[0].get_xlabel()
    'number of clusters K'
    """
    fig, ax = _figure(ax, (5.5, 3.8))
    table = selection.table
    ax.plot(table["k"], table["inertia"], "o-", color="C0", label="inertia")
    knee = selection.votes.get("elbow")
    if knee is not None:
        y = float(table.loc[table["k"] == knee, "inertia"].iloc[0])
        ax.axvline(knee, color="C1", linestyle="--", linewidth=1)
        ax.plot([knee], [y], "o", color="C1", markersize=10, label=f"knee: K={knee}")
    if selection.k != knee:
        y = float(table.loc[table["k"] == selection.k, "inertia"].iloc[0])
        ax.plot(
            [selection.k], [y], "s", color="C3", markersize=9,
            label=f"recommended: K={selection.k}",
        )  # fmt: skip
    ax.set_xlabel("number of clusters K")
    ax.set_ylabel(_LABELS["inertia"])
    ax.set_xticks(list(table["k"]))
    ax.set_title("Elbow (Kneedle)")
    ax.legend(frameon=False)
    return fig


def plot_criteria(selection, criteria=None):
    """One panel per criterion against K, the best K of each marked.

    Parameters
    ----------
    selection : KSelection
        Result of :func:`segmint.select_k`.
    criteria : list of str, optional
        Columns of ``selection.table`` to draw; by default every criterion
        present (inertia first). Sampled silhouettes get their interval as a
        band.

    Returns
    -------
    fig : matplotlib.figure.Figure
        A figure with one axes per criterion.
    """
    from matplotlib.figure import Figure

    table = selection.table
    if criteria is None:
        criteria = [c for c in _LABELS if c in table]
    fig = Figure(figsize=(3.6 * len(criteria), 3.4), layout="constrained")
    axes = fig.subplots(1, len(criteria), squeeze=False)[0]
    votes = dict(selection.votes)
    if "elbow" in votes:
        votes["inertia"] = votes["elbow"]
    for ax, name in zip(axes, criteria, strict=True):
        ax.plot(table["k"], table[name], "o-", color="C0")
        if name == "silhouette" and "silhouette_ci_low" in table:
            ax.fill_between(
                table["k"],
                table["silhouette_ci_low"],
                table["silhouette_ci_high"],
                color="C0",
                alpha=0.2,
                label="sampled, CI",
            )
            ax.legend(frameon=False)
        if name == "gap" and "gap_se" in table:
            ax.errorbar(
                table["k"], table["gap"], yerr=table["gap_se"], fmt="none", color="C0"
            )
        best = votes.get(name)
        if best is not None:
            y = float(table.loc[table["k"] == best, name].iloc[0])
            ax.plot([best], [y], "o", color="C1", markersize=10)
            ax.axvline(best, color="C1", linestyle="--", linewidth=1)
        ax.axvline(selection.k, color="C3", linestyle=":", linewidth=1)
        ax.set_title(_LABELS[name], fontsize="medium")
        ax.set_xlabel("K")
        ax.set_xticks(list(table["k"]))
    fig.suptitle(f"Criteria by K (recommended K={selection.k}, dotted)")
    return fig


def plot_silhouette(
    X, labels, *, metric="euclidean", sample_size=None, random_state=None, ax=None
):
    """Silhouette diagram: each cluster's silhouettes sorted, the mean marked.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        Data.
    labels : array-like of shape (n_samples,)
        Cluster label of every sample.
    metric : {"euclidean", "sqeuclidean"} or any metric scikit-learn accepts
        Passed to :func:`segmint.metrics.silhouette_samples`.
    sample_size : int, optional
        Draw a random subset of this many rows first (silhouettes are then
        computed within it), for large data.
    random_state : int, RandomState instance or None
        Draws the subset.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; a new figure is made when None.

    Returns
    -------
    fig : matplotlib.figure.Figure
        The figure holding the diagram.

    Notes
    -----
    Rousseeuw, P. J. (1987). Silhouettes: a graphical aid to the
    interpretation and validation of cluster analysis. J. Comput. Appl. Math.
    20, 53-65.
    """
    from sklearn.utils import check_random_state

    from segmint.metrics import silhouette_samples

    X = np.asarray(X)
    labels = np.asarray(labels)
    if sample_size is not None and sample_size < X.shape[0]:
        rows = check_random_state(random_state).permutation(X.shape[0])[:sample_size]
        X, labels = X[rows], labels[rows]
    sil = np.asarray(silhouette_samples(X, labels, metric=metric), dtype=np.float64)
    fig, ax = _figure(ax, (5.5, 0.6 + 0.012 * min(len(sil), 400) + 3.0))
    from matplotlib import colormaps

    cmap = colormaps["tab10"]
    clusters = np.unique(labels)
    y0 = 0
    gap = max(2, len(sil) // 100)
    for i, c in enumerate(clusters):
        vals = np.sort(sil[labels == c])
        y = np.arange(y0, y0 + len(vals))
        ax.fill_betweenx(y, 0, vals, color=cmap(i % 10), alpha=0.8, linewidth=0)
        ax.text(-0.02, y0 + len(vals) / 2, str(c), ha="right", va="center")
        y0 += len(vals) + gap
    mean = float(sil.mean())
    ax.axvline(mean, color="C3", linestyle="--", label=f"mean = {mean:.3f}")
    ax.set_xlim(min(-0.1, float(sil.min()) - 0.05), 1.0)
    ax.set_ylim(0, y0)
    ax.set_yticks([])
    ax.set_xlabel("silhouette coefficient")
    ax.set_ylabel("cluster")
    ax.set_title(f"Silhouettes of {len(clusters)} clusters ({len(sil)} samples)")
    ax.legend(frameon=False, loc="lower right")
    return fig
