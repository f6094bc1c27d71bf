"""A self-contained HTML report of a segmentation.

:func:`write_report` turns a :class:`~segmint.segment.result.SegmentationResult`
into one HTML page that an analyst can open offline or mail around: every
figure is embedded as a base64 PNG, the style sheet is inline, and nothing is
loaded from the network. Every piece of text that comes from the data (column
names, category values, segment names) goes through :func:`html.escape`.

The page reads top to bottom: the segments at a glance, the data and what
preprocessing did to it, the evidence for the number of segments, where the
segments lie, what sets them apart, and one card per segment.
"""

from __future__ import annotations

import base64
import datetime as _dt
import html
import io
import sys
from pathlib import Path

import numpy as np

__all__ = ["render_report", "write_report"]

#: Rows beyond which the silhouette diagram is drawn on a seeded sample: the
#: silhouette needs all pairwise distances, O(n²) time.
SILHOUETTE_MAX_ROWS = 3000

_ALGORITHM_NAMES = {
    "kmeans": "K-means (Lloyd)",
    "minibatch": "mini-batch K-means",
    "agglomerative": "agglomerative clustering (Ward)",
    "dbscan": "DBSCAN",
}

_CSS = """
:root { --ink:#1f2933; --muted:#52606d; --line:#d9e2ec; --bg:#f5f7fa; }
* { box-sizing: border-box; }
body { font-family: -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif;
  color: var(--ink); margin: 0; background: var(--bg); line-height: 1.45; }
main { max-width: 1100px; margin: 0 auto; padding: 24px 32px 48px; background: #fff; }
h1 { margin: 0 0 4px; font-size: 1.8em; }
h2 { margin-top: 2.2em; border-bottom: 2px solid var(--line); padding-bottom: 4px; }
h3 { margin: 0 0 6px; }
p.lead { color: var(--muted); margin-top: 0; }
p.explain { color: var(--muted); max-width: 60em; }
nav { margin: 14px 0 0; font-size: 0.92em; }
nav a { margin-right: 14px; color: #2f6fb3; text-decoration: none; }
table { border-collapse: collapse; margin: 8px 0 16px; font-size: 0.9em; }
th, td { border-bottom: 1px solid var(--line); padding: 4px 10px; text-align: left;
  vertical-align: top; }
th { background: var(--bg); }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
tr.chosen td { background: #fff4d6; font-weight: 600; }
figure { margin: 12px 0 24px; }
figure img { max-width: 100%; height: auto; border: 1px solid var(--line); }
figcaption { color: var(--muted); font-size: 0.9em; max-width: 60em; }
.swatch { display: inline-block; width: 0.9em; height: 0.9em; border-radius: 2px;
  vertical-align: -0.1em; margin-right: 6px; border: 1px solid rgba(0,0,0,.25); }
.cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(330px, 1fr));
  gap: 16px; }
.card { border: 1px solid var(--line); border-left: 6px solid var(--seg);
  border-radius: 6px; padding: 12px 14px; }
.card .size { color: var(--muted); margin: 0 0 8px; }
.card ul { margin: 4px 0 8px; padding-left: 1.2em; }
.card table { width: 100%; font-size: 0.85em; }
.card th, .card td { padding: 3px 5px; }
.up { color: #b42318; } .down { color: #175cd3; }
.note { background: #fff8e6; border-left: 4px solid #f0b429; padding: 6px 10px; }
footer { margin-top: 3em; color: var(--muted); font-size: 0.85em; }
"""


def _e(value) -> str:
    """Escape any value for HTML text or an attribute."""
    return html.escape(str(value), quote=True)


def _num(value, digits=3) -> str:
    """A number as an analyst reads it: thousands separators, few digits."""
    try:
        v = float(value)
    except (TypeError, ValueError):
        return _e(value)
    if not np.isfinite(v):
        return "n/a"
    if v == int(v) and abs(v) < 1e15:
        return f"{int(v):,}"
    if abs(v) >= 1000:
        return f"{v:,.0f}"
    return f"{v:.{digits}g}"


def _hex(rgba) -> str:
    r, g, b = (round(255 * c) for c in rgba[:3])
    return f"#{r:02x}{g:02x}{b:02x}"


def _figure_html(fig, alt, caption) -> str:
    """Embed a figure as an inline PNG, with its caption, and free it."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110)
    pyplot = sys.modules.get("matplotlib.pyplot")
    if pyplot is not None:
        # figures made through pyplot stay registered until closed
        pyplot.close(fig)
    data = base64.b64encode(buf.getvalue()).decode("ascii")
    return (
        f'<figure><img alt="{_e(alt)}" src="data:image/png;base64,{data}">'
        f"<figcaption>{caption}</figcaption></figure>"
    )


def _table(header, rows, num_cols=(), row_classes=None) -> str:
    """An HTML table from already-escaped cells."""
    num_cols = set(num_cols)
    head = "".join(
        f"<th{' class=num' if i in num_cols else ''}>{h}</th>"
        for i, h in enumerate(header)
    )
    body = []
    for r, row in enumerate(rows):
        cls = row_classes[r] if row_classes else ""
        cells = "".join(
            f"<td{' class=num' if i in num_cols else ''}>{c}</td>"
            for i, c in enumerate(row)
        )
        body.append(f"<tr{f' class={cls}' if cls else ''}>{cells}</tr>")
    return (
        f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"
    )


def _segment_order(profiles):
    labels = [int(v) for v in profiles["segment"]]
    return [v for v in labels if v != -1] + ([-1] if -1 in labels else [])


# --------------------------------------------------------------------------
# sections


def _overview(result, colors) -> str:
    prof = result.profiles.set_index("segment", drop=False)
    rows = []
    for lab in _segment_order(result.profiles):
        p = prof.loc[lab]
        rows.append(
            [
                f'<span class="swatch" style="background:{_hex(colors[lab])}"></span>'
                f"{_e(lab)}",
                _e(p["segment_name"]),
                _num(p["size"]),
                f"{float(p['share']):.1%}",
                _e(p["traits"]) or "<em>no trait beyond the threshold</em>",
            ]
        )
    return (
        '<h2 id="overview">Segments at a glance</h2>'
        '<p class="explain">Each segment is named after the features in which its '
        "average differs most from all customers, measured in standard "
        "deviations (sd) of the whole table. A name only states such "
        "differences; it says nothing the numbers do not show.</p>"
        + _table(["Segment", "Name", "Rows", "Share", "Traits"], rows, num_cols=(2, 3))
    )


def _data_summary(result) -> str:
    import pandas as pd

    data = result.data
    summ = result.preparation.summary
    roles = summ.get("roles", {})
    reasons = summ.get("role_reasons", {})
    imputed = summ.get("imputed", {})
    rows = []
    for col in data.columns:
        s = data[col]
        n_missing = int(s.isna().sum())
        role = roles.get(str(col), "ignored")
        values = pd.to_numeric(s, errors="coerce") if role == "numeric" else None
        if values is not None and values.notna().any():
            desc = (
                f"mean {_num(values.mean())}, median {_num(values.median())}, "
                f"range {_num(values.min())} to {_num(values.max())}"
            )
        else:
            desc = f"{s.nunique():,} distinct values"
        rows.append(
            [
                _e(col),
                _e(role),
                _e(reasons.get(str(col), "")),
                _e(s.dtype),
                _num(n_missing),
                _num(imputed.get(col, 0)),
                desc,
            ]
        )
    n_rows = summ.get("n_rows", len(data))
    return (
        '<h2 id="data">The data</h2>'
        f'<p class="lead">{n_rows:,} rows and {data.shape[1]:,} columns. '
        "Each column was given a role: numeric and categorical columns describe "
        "the customers and are used to form segments; an identifier is carried "
        "through to the output; dates and other columns are set aside.</p>"
        + _table(
            [
                "Column",
                "Role",
                "Why",
                "Type",
                "Missing",
                "Imputed",
                "Summary",
            ],
            rows,
            num_cols=(4, 5),
        )
    )


def _preprocessing(result) -> str:
    summ = result.preparation.summary
    items = []
    numeric = summ.get("numeric", [])
    categorical = summ.get("categorical", [])
    items.append(
        f"Features used: {len(numeric)} numeric "
        f"({_e(', '.join(map(str, numeric))) or 'none'}) and {len(categorical)} "
        f"categorical ({_e(', '.join(map(str, categorical))) or 'none'})."
    )
    if summ.get("identifier"):
        items.append(f"Identifier: {_e(summ['identifier'])} (not a feature).")
    imputation = summ.get("imputation", {})
    imputed = {c: n for c, n in summ.get("imputed", {}).items() if n}
    if imputed:
        parts = []
        for col, n in imputed.items():
            how = imputation.get(col, {})
            parts.append(
                f"{_e(col)}: {int(n):,} filled with the "
                f"{_e(how.get('strategy', 'fitted'))} ({_num(how.get('value'))})"
            )
        items.append("Missing values imputed: " + "; ".join(parts) + ".")
    else:
        items.append("No missing values had to be imputed.")
    log1p = summ.get("log1p", [])
    if log1p:
        skew = summ.get("skewness", {})
        items.append(
            "log(1 + x) applied to skewed non-negative columns, so that a few very "
            "large values do not dominate the distances: "
            + ", ".join(
                f"{_e(c)} (skewness {_num(skew[c], 2)})"
                if skew.get(c) is not None
                else _e(c)
                for c in log1p
            )
            + "."
        )
    scaling = summ.get("scaling", "none")
    scaling_text = {
        "standard": "standardised (mean 0, standard deviation 1)",
        "robust": "robust-scaled (median 0, interquartile range 1)",
        "minmax": "min-max scaled to [0, 1]",
        "none": "not scaled",
    }.get(scaling, _e(scaling))
    items.append(
        f"Numeric features {scaling_text}, so that every feature weighs alike."
    )
    for col, info in summ.get("one_hot", {}).items():
        cats = info.get("categories", [])
        text = f"{_e(col)} one-hot encoded into {len(cats)} indicator columns"
        if info.get("infrequent"):
            text += (
                f"; rare values grouped as one 'infrequent' column: "
                f"{_e(', '.join(map(str, info['infrequent'])))}"
            )
        items.append(text + ".")
    pca = summ.get("pca")
    if pca:
        evr = float(np.sum(pca.get("explained_variance_ratio", [])))
        items.append(
            f"PCA to {int(pca['n_components'])} components keeping {evr:.0%} of "
            "the variance."
        )
    algo = _ALGORITHM_NAMES.get(result.algorithm, result.algorithm)
    n_out = int(summ.get("n_features_out", result.X.shape[1]))
    items.append(f"Segments found with {_e(algo)} on {n_out} prepared features.")
    for note in [*result.params.get("notes", []), *summ.get("hints", [])]:
        items.append(f"Note: {_e(note)}")
    return (
        '<h2 id="preprocessing">Preprocessing applied</h2><ul>'
        + "".join(f"<li>{i}</li>" for i in items)
        + "</ul>"
    )


def _silhouette_figure(result):
    from segmint.plotting import plot_silhouette

    labels = np.asarray(result.labels)
    keep = np.flatnonzero(labels != -1)
    n_segments = len(np.unique(labels[keep]))
    if n_segments < 2 or len(keep) <= n_segments:
        return (
            '<p class="note">The silhouette diagram needs at least two segments '
            "with more rows than segments; it is left out.</p>"
        )
    sampled = len(keep) > SILHOUETTE_MAX_ROWS
    fig = plot_silhouette(
        result.X[keep],
        labels[keep],
        sample_size=SILHOUETTE_MAX_ROWS if sampled else None,
        random_state=0,
    )
    caption = (
        "Silhouette of every row: how much closer it is to its own segment than "
        "to the next one (1: well inside, 0: on the border, below 0: closer to "
        "another segment). Wide bars that reach far right mean clear segments."
    )
    if sampled:
        caption += f" Drawn for a random sample of {SILHOUETTE_MAX_ROWS:,} rows."
    if np.any(labels == -1):
        caption += " Noise rows are left out."
    return _figure_html(fig, "Silhouette diagram", caption)


def _k_evidence(result) -> str:
    parts = ['<h2 id="k">How many segments?</h2>']
    sel = result.k_selection
    if sel is None:
        parts.append(
            f'<p class="lead">The number of segments was given: {int(result.k)}. '
            "The silhouette diagram below shows how well the rows sit in them.</p>"
        )
    else:
        from segmint.plotting import plot_criteria, plot_elbow

        parts.append(
            f'<p class="lead">{int(sel.k)} segments were chosen automatically: '
            f"{_e(getattr(sel, 'reason', ''))}</p>"
        )
        table = sel.table
        # timings say nothing about the data
        cols = [c for c in table.columns if not str(c).endswith("_time_s")]
        rows, classes = [], []
        for _, r in table.iterrows():
            rows.append([_num(r[c], 4) for c in cols])
            classes.append("chosen" if int(r["k"]) == int(sel.k) else "")
        parts.append(
            _table(
                [_e(str(c).replace("_", " ")) for c in cols],
                rows,
                num_cols=range(len(cols)),
                row_classes=classes,
            )
        )
        parts.append(
            _figure_html(
                plot_elbow(sel),
                "Elbow plot",
                "Within-segment sum of squares (inertia) against the number of "
                "segments. It always falls as segments are added; the knee, where "
                "adding one more stops paying off, is marked.",
            )
        )
        parts.append(
            _figure_html(
                plot_criteria(sel),
                "Selection criteria",
                "Criteria that score each candidate number of segments: higher "
                "silhouette and Calinski-Harabasz, lower Davies-Bouldin are better.",
            )
        )
    parts.append(_silhouette_figure(result))
    if result.algorithm == "agglomerative":
        from .plots import plot_dendrogram

        kw = (
            {"linkage": result.linkage}
            if result.linkage is not None
            else {"X": result.X}
        )
        parts.append(
            _figure_html(
                plot_dendrogram(n_clusters=int(result.k), **kw),
                "Dendrogram",
                "Ward merges, bottom to top; the dashed line is the cut that gives "
                "the segments. A long vertical gap above the cut means the "
                "segments below it are well apart.",
            )
        )
    return "".join(parts)


def _figures(result, names) -> str:
    from .plots import (
        plot_center_heatmap,
        plot_segment_sizes,
        plot_segments_2d,
        plot_segments_3d,
    )

    labels = np.asarray(result.labels)
    numeric = [
        c for c in result.preparation.summary.get("numeric", []) if c in result.data
    ]
    parts = [
        '<h2 id="map">Where the segments lie</h2>',
        _figure_html(
            plot_segments_2d(
                result.X,
                labels,
                centers=result.centers,
                names=names,
                feature_names=result.feature_names,
            ),
            "Segments on two principal components",
            "Every row projected on the two directions along which the prepared "
            "data varies most; crosses mark segment centres. Arrows show the "
            "features that drive each direction. Segments that overlap here may "
            "still be apart in directions this flat view leaves out.",
        ),
        _figure_html(
            plot_segments_3d(result.X, labels, centers=result.centers, names=names),
            "Segments on three principal components",
            "The same projection with a third direction added.",
        ),
        '<h2 id="traits">What sets the segments apart</h2>',
    ]
    if numeric:
        parts.append(
            _figure_html(
                plot_center_heatmap(result.data, labels, names=names, columns=numeric),
                "Heatmap of segment means",
                "Average of each numeric feature in each segment, in the data's own "
                "units. Red cells lie above the average of all rows, blue cells "
                "below; the colour is the difference in standard deviations.",
            )
        )
    else:
        parts.append('<p class="note">No numeric feature to draw a heatmap of.</p>')
    parts.append('<h2 id="sizes">Segment sizes</h2>')
    parts.append(
        _figure_html(
            plot_segment_sizes(labels, names=names),
            "Segment sizes",
            "Number of rows in each segment and its share of all rows.",
        )
    )
    return "".join(parts)


def _card(lab, color, prof, traits, pop_mean, numeric) -> str:
    name = prof["segment_name"]
    size, share = int(prof["size"]), float(prof["share"])
    seg_traits = traits[traits["segment"] == lab]
    distinct = seg_traits[seg_traits["distinguishing"].astype(bool)]
    items = []
    for _, t in distinct.head(6).iterrows():
        z = float(t["z"])
        cls, arrow = ("up", "&#9650;") if z > 0 else ("down", "&#9660;")
        if t["kind"] == "category":
            vals = (
                f"{float(t['segment_value']):.0%} of rows vs "
                f"{float(t['population_value']):.0%} overall"
            )
        else:
            vals = (
                f"mean {_num(t['segment_value'])} vs "
                f"{_num(t['population_value'])} overall"
            )
        items.append(
            f'<li><span class="{cls}">{arrow}</span> <b>{_e(t["feature"])}</b>: '
            f"{vals} ({z:+.1f} sd)</li>"
        )
    if not items:
        items.append(
            "<li>No feature differs from all rows by the trait threshold; "
            "this segment is close to the average customer.</li>"
        )
    rows = []
    for col in numeric:
        mean_key, median_key = f"mean_{col}", f"median_{col}"
        if mean_key not in prof.index:
            continue
        rows.append(
            [
                _e(col),
                _num(prof[mean_key]),
                _num(prof.get(median_key, np.nan)),
                _num(pop_mean.get(col, np.nan)),
            ]
        )
    table = (
        _table(["Feature", "Mean", "Median", "All rows"], rows, num_cols=(1, 2, 3))
        if rows
        else ""
    )
    title = (
        "Noise: rows in no dense region"
        if lab == -1
        else f"Segment {_e(lab)}: {_e(name)}"
    )
    return (
        f'<div class="card" style="--seg:{_hex(color)}" id="segment-{lab}">'
        f'<h3><span class="swatch" style="background:{_hex(color)}"></span>'
        f"{title}</h3>"
        f'<p class="size">{size:,} rows, {share:.1%} of all</p>'
        f"<b>Distinguishing traits</b><ul>{''.join(items)}</ul>{table}</div>"
    )


def _cards(result, colors) -> str:
    summ = result.preparation.summary
    numeric = [c for c in summ.get("numeric", []) if c in result.data]
    pop_mean = result.data[numeric].mean() if numeric else {}
    prof = result.profiles.set_index("segment", drop=False)
    cards = [
        _card(lab, colors[lab], prof.loc[lab], result.traits, pop_mean, numeric)
        for lab in _segment_order(result.profiles)
    ]
    return (
        '<h2 id="cards">Segment profiles</h2>'
        '<p class="explain">One card per segment: its size, the traits that set it '
        "apart (largest first, in standard deviations from all rows) and the "
        "mean and median of each numeric feature in original units.</p>"
        f'<div class="cards">{"".join(cards)}</div>'
    )


def render_report(result, *, title=None) -> str:
    """The HTML report of a segmentation, as a string.

    Parameters
    ----------
    result : SegmentationResult
        What :func:`segmint.segment.segment` returned.
    title : str, optional
        Page title (default: "Customer segmentation report"). Escaped.

    Returns
    -------
    str
        A complete HTML5 document with inline CSS and images and no
        reference to any network resource.
    """
    from segmint import __version__

    from .plots import segment_colors

    title = title or "Customer segmentation report"
    labels = np.asarray(result.labels)
    colors = segment_colors(np.r_[labels, np.asarray(result.profiles["segment"])])
    names = {int(k): str(v) for k, v in result.segment_names.items()}
    algo = _ALGORITHM_NAMES.get(result.algorithm, result.algorithm)
    n_noise = int(np.count_nonzero(labels == -1))
    lead = (
        f"{len(labels):,} rows in {int(result.k)} segments found with {_e(algo)}"
        + (f", {n_noise:,} rows left as noise" if n_noise else "")
        + "."
    )
    stamp = _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    nav = "".join(
        f'<a href="#{a}">{t}</a>'
        for a, t in [
            ("overview", "At a glance"),
            ("data", "Data"),
            ("preprocessing", "Preprocessing"),
            ("k", "Number of segments"),
            ("map", "Map"),
            ("traits", "Traits"),
            ("sizes", "Sizes"),
            ("cards", "Profiles"),
        ]
    )
    body = "".join(
        [
            f"<header><h1>{_e(title)}</h1><p class=lead>{lead}</p>"
            f"<nav>{nav}</nav></header>",
            _overview(result, colors),
            _data_summary(result),
            _preprocessing(result),
            _k_evidence(result),
            _figures(result, names),
            _cards(result, colors),
            f"<footer>Made by segmint {_e(__version__)} on {_e(stamp)}. "
            "Self-contained page: it loads nothing from the network.</footer>",
        ]
    )
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{_e(title)}</title><style>{_CSS}</style></head>"
        f"<body><main>{body}</main></body></html>\n"
    )


def write_report(result, path, *, title=None) -> Path:
    """Write the HTML report of a segmentation to ``path``.

    The page is written to a temporary file beside ``path`` and renamed over
    it when complete, so a reader never sees half a report and a failure
    leaves any earlier report in place.

    Parameters
    ----------
    result : SegmentationResult
        What :func:`segmint.segment.segment` returned.
    path : str or path-like
        Where to write; the folder is created when missing.
    title : str, optional
        Page title.

    Returns
    -------
    pathlib.Path
        The path written.

    Raises
    ------
    SegmentationError
        If the folder cannot be created or written to.
    """
    from .model import _atomic_write, _make_dir

    path = Path(path)
    page = render_report(result, title=title)
    _make_dir(path.parent)
    return _atomic_write(path, lambda fh: fh.write(page.encode("utf-8")))
