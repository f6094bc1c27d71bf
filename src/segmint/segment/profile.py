"""Describe segments in the data's own terms: sizes, averages, traits, names.

A *trait* is how far a segment's average sits from the whole population's, in
population standard deviations (the standardised difference, Cohen's *d* with
the population SD as the scale; Cohen, *Statistical Power Analysis for the
Behavioral Sciences*, 2nd ed., 1988, section 2.2). For a category the
"average" is the share of rows holding it and the SD is ``sqrt(p (1 - p))``.
A segment's name is built only from traits whose size reaches a threshold
(0.5 SD by default, Cohen's "medium" effect), largest first; when none does,
the segment is called "Typical/average", so a name never claims a difference
the numbers do not show.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

#: Default smallest ``abs(z)`` that makes a trait distinguishing.
TRAIT_THRESHOLD = 0.5
#: ``abs(z)`` from which a trait is called "very" high / low.
STRONG_TRAIT = 1.5
NOISE_LABEL = -1
NOISE_NAME = "Noise"
TYPICAL_NAME = "Typical/average"


def _category_indicators(data: pd.DataFrame, categorical, categories):
    """0/1 column per (column, category), named ``"column=value"``.

    Returns the indicator frame and a dict indicator name -> source column.
    """
    cols, owner = {}, {}
    for col in categorical:
        values = data[col]
        for value in categories.get(col, sorted(values.dropna().unique())):
            cols[f"{col}={value}"] = (values == value).astype(np.float64)
            owner[f"{col}={value}"] = col
    return pd.DataFrame(cols, index=data.index), owner


def compute_traits(
    data: pd.DataFrame,
    labels,
    numeric,
    categorical=(),
    *,
    categories=None,
    threshold: float = TRAIT_THRESHOLD,
) -> pd.DataFrame:
    """Standardised difference of every segment from the whole population.

    Parameters
    ----------
    data : pandas.DataFrame
        Original (unscaled) feature values, numeric columns as float with NaN
        for missing, categorical columns as str.
    labels : array-like of int, shape (len(data),)
        Segment label per row.
    numeric : list of str
        Numeric feature columns.
    categorical : list of str, default=()
        Categorical feature columns.
    categories : dict of str to list of str, optional
        Categories to describe per categorical column (default: all present).
    threshold : float, default=0.5
        ``abs(z)`` from which a trait is distinguishing.

    Returns
    -------
    pandas.DataFrame
        Columns ``segment``, ``feature``, ``column`` (the source column),
        ``kind``, ``segment_value``,
        ``population_value``, ``z``, ``distinguishing``; sorted by segment, then
        ``abs(z)`` descending (ties: column order).

    Notes
    -----
    Numeric: ``z = (segment mean - population mean) / population SD`` with
    pandas' defaults (missing values skipped, SD with ``ddof=1``); a constant
    column has ``z = 0``. Category ``c`` of a column: ``z = (p_segment -
    p_population) / sqrt(p_population (1 - p_population))`` where ``p`` is
    the share of rows holding ``c``.
    """
    labels = np.asarray(labels)
    frames = []
    parts = [("numeric", data[list(numeric)])]
    owner = {c: c for c in numeric}
    if len(categorical):
        indicators, cat_owner = _category_indicators(
            data, categorical, categories or {}
        )
        parts.append(("category", indicators))
        owner.update(cat_owner)
    for kind, block in parts:
        if block.shape[1] == 0:
            continue
        pop_mean = block.mean()
        if kind == "numeric":
            pop_sd = block.std()
        else:
            pop_sd = np.sqrt(pop_mean * (1.0 - pop_mean))
        seg_mean = block.groupby(labels).mean()
        z = (seg_mean - pop_mean) / pop_sd.where(pop_sd > 0)
        z = z.fillna(0.0)
        long = seg_mean.stack(future_stack=True).rename("segment_value").to_frame()
        long["z"] = z.stack(future_stack=True)
        long = long.reset_index(names=["segment", "feature"])
        long["population_value"] = long["feature"].map(pop_mean)
        long["kind"] = kind
        frames.append(long)
    traits = pd.concat(frames, ignore_index=True)
    traits["distinguishing"] = traits["z"].abs() >= threshold
    traits["column"] = traits["feature"].map(owner)
    order = {f: i for i, f in enumerate(pd.unique(traits["feature"]))}
    traits["_abs"] = -traits["z"].abs()
    traits["_pos"] = traits["feature"].map(order)
    traits = traits.sort_values(["segment", "_abs", "_pos"], kind="stable")
    cols = [
        "segment",
        "feature",
        "column",
        "kind",
        "segment_value",
        "population_value",
        "z",
        "distinguishing",
    ]
    return traits[cols].reset_index(drop=True)


def _phrase(row) -> str | None:
    strong = abs(row.z) >= STRONG_TRAIT
    if row.kind == "category":
        # only claim "mostly" when it is both distinctive and a majority
        if row.z > 0 and row.segment_value >= 0.5:
            return f"mostly {row.feature}"
        return None
    level = "high" if row.z > 0 else "low"
    return f"{'very ' if strong else ''}{level} {row.feature}"


def name_segments(traits: pd.DataFrame, labels, *, max_traits: int = 2) -> dict:
    """Short honest names from the distinguishing traits.

    Parameters
    ----------
    traits : pandas.DataFrame
        As returned by :func:`compute_traits`.
    labels : array-like of int
        Every segment label to name (``-1`` is named ``"Noise"``).
    max_traits : int, default=2
        Traits used per name at most; numeric traits first (largest first),
        then categories.

    Returns
    -------
    dict of int to str
        E.g. ``{0: "High Fresh, low Grocery", 1: "Typical/average"}``.
        Duplicate names get the label appended, ``"... (segment 3)"``.

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame({"segment": [0, 0], "feature": ["Fresh", "Milk"],
    ...                   "kind": "numeric", "segment_value": [9.0, 1.0],
    ...                   "population_value": [5.0, 2.0], "z": [1.7, -0.6],
    ...                   "distinguishing": [True, True]})
    >>> name_segments(t, [0])
    {0: 'Very high Fresh, low Milk'}
    """
    names = {}
    for label in sorted(set(int(v) for v in labels)):
        if label == NOISE_LABEL:
            names[label] = NOISE_NAME
            continue
        rows = traits[(traits["segment"] == label) & traits["distinguishing"]]
        # behaviour (numeric) traits lead; categories fill the remaining room
        rows = pd.concat(
            [rows[rows["kind"] == "numeric"], rows[rows["kind"] != "numeric"]]
        )
        phrases = [p for p in (_phrase(r) for r in rows.itertuples()) if p][:max_traits]
        if phrases:
            text = ", ".join(phrases)
            names[label] = text[0].upper() + text[1:]
        else:
            names[label] = TYPICAL_NAME
    counts = pd.Series(list(names.values())).value_counts()
    for label, name in names.items():
        if counts[name] > 1:
            names[label] = f"{name} (segment {label})"
    return names


def _trait_text(traits: pd.DataFrame, label: int, limit: int = 4) -> str:
    rows = traits[(traits["segment"] == label) & traits["distinguishing"]]
    # with two categories, "fewer of A" only mirrors "more of B": say it once
    n_levels = traits.groupby("column")["feature"].nunique()
    mirror = (rows["kind"] == "category") & (rows["z"] < 0)
    mirror &= rows["column"].map(n_levels).eq(2)
    rows = rows[~mirror].head(limit)
    return "; ".join(f"{r.feature} {r.z:+.1f} sd" for r in rows.itertuples())


def profile_segments(
    data: pd.DataFrame,
    labels,
    numeric,
    categorical=(),
    *,
    categories=None,
    threshold: float = TRAIT_THRESHOLD,
    max_name_traits: int = 2,
) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    """One row per segment: size, share, averages, traits and a name.

    Parameters
    ----------
    data : pandas.DataFrame
        Original feature values (see :func:`compute_traits`).
    labels : array-like of int, shape (len(data),)
        Segment label per row; ``-1`` is noise.
    numeric, categorical : list of str
        Feature columns by role.
    categories : dict of str to list of str, optional
        Categories to report per categorical column.
    threshold : float, default=0.5
        ``abs(z)`` from which a trait is distinguishing.
    max_name_traits : int, default=2
        Traits used in a name at most.

    Returns
    -------
    profiles : pandas.DataFrame
        Indexed by segment label; columns ``segment``, ``segment_name``,
        ``size``, ``share``, ``traits``, ``mean_<f>`` and ``median_<f>`` per
        numeric feature, ``share_<col>=<value>`` per category.
    traits : pandas.DataFrame
        From :func:`compute_traits`.
    names : dict of int to str
        From :func:`name_segments`.

    Examples
    --------
    >>> import pandas as pd
    >>> data = pd.DataFrame({"spend": [1.0, 2.0, 10.0, 11.0]})
    >>> profiles, traits, names = profile_segments(data, [0, 0, 1, 1], ["spend"])
    >>> profiles[["size", "share", "mean_spend"]].to_dict("list")
    {'size': [2, 2], 'share': [0.5, 0.5], 'mean_spend': [1.5, 10.5]}
    >>> names
    {0: 'Low spend', 1: 'High spend'}
    """
    labels = np.asarray(labels)
    traits = compute_traits(
        data, labels, numeric, categorical, categories=categories, threshold=threshold
    )
    names = name_segments(traits, labels, max_traits=max_name_traits)
    grouped = data[list(numeric)].groupby(labels)
    size = pd.Series(labels).value_counts().sort_index()
    profiles = pd.DataFrame(
        {
            "segment": size.index.astype(int),
            "segment_name": [names[int(v)] for v in size.index],
            "size": size.to_numpy().astype(int),
            "share": size.to_numpy() / len(labels),
            "traits": [_trait_text(traits, int(v)) for v in size.index],
        },
        index=pd.Index(size.index.astype(int), name=None),
    )
    means = grouped.mean().add_prefix("mean_")
    medians = grouped.median().add_prefix("median_")
    blocks = [profiles, means, medians]
    if len(categorical):
        shares, _ = _category_indicators(data, categorical, categories or {})
        blocks.append(shares.groupby(labels).mean().add_prefix("share_"))
    profiles = pd.concat(blocks, axis=1)
    profiles.index.name = None
    return profiles, traits, names
