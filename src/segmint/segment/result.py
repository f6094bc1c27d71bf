"""The object a segmentation returns.

:class:`SegmentationResult` is what :func:`segmint.segment.segment` returns and
what the plots, the HTML report and the command line read. Everything in it is
plain pandas / NumPy / scikit-learn, so it can be inspected without segmint.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from pathlib import Path

    import numpy as np
    import pandas as pd

    from .prepare import Preparation


@dataclass(eq=False, repr=False)
class SegmentationResult:
    """A fitted segmentation of a customer table.

    Attributes
    ----------
    data : pandas.DataFrame
        The input table exactly as given (not copied, not modified).
    segments : pandas.DataFrame
        One row per input row, in input order, with the input's index and these
        columns: the identifier column (its original name and values; when the
        table has no identifier, a column ``"row"`` with the 0-based row
        position), ``segment`` (int label; ``-1`` is DBSCAN noise),
        ``segment_name`` (str, as in ``profiles``) and ``distance_to_center``
        (float, Euclidean distance in the prepared feature space ``X`` to the
        centre of the row's segment; NaN for noise). ``len(segments) ==
        len(data)`` is checked when the result is built: no row is ever lost.
    profiles : pandas.DataFrame
        One row per segment, ordered by label, indexed by the ``segment`` label
        (also kept as a column). Columns: ``segment``, ``segment_name``,
        ``size`` (rows), ``share`` (size / rows, in [0, 1]), ``traits`` (str:
        the distinguishing traits, largest first, e.g. ``"Fresh +1.9 sd;
        Grocery -0.6 sd"``, at most four, leaving out the negative twin of a
        two-category column; empty when none passes the threshold), then
        ``mean_<feature>`` and ``median_<feature>`` for every original numeric
        feature, in original (unscaled, untransformed) units, missing values
        skipped, and ``share_<column>=<value>`` for every category of every
        categorical feature (share of the segment's rows with that value).
    traits : pandas.DataFrame
        Long table of every trait, one row per (segment, feature): ``segment``,
        ``feature`` (a numeric column name, or ``"column=value"`` for a
        category), ``column`` (the source column), ``kind`` (``"numeric"`` or ``"category"``),
        ``segment_value`` (segment mean, or share for a category),
        ``population_value``, ``z`` (standardised difference from the whole
        population: ``(segment_value - population_value) / population_sd``)
        and ``distinguishing`` (bool, ``abs(z) >= trait_threshold``). Sorted by
        segment, then ``abs(z)`` descending.
    k : int
        Number of segments found, noise not counted.
    k_selection : object or None
        What :func:`segmint.select.select_k` returned when ``k="auto"``
        (attributes ``table``: a DataFrame with columns ``k``, ``inertia``, one
        column per criterion and ``fit_time_s``; ``k``: the recommended k;
        ``reason``: str; ``labels``: dict k -> labels). None when k was given.
    preparation : Preparation
        The fitted preprocessing: ``preparation.pipeline`` is the scikit-learn
        pipeline (``ColumnTransformer`` + optional ``PCA``),
        ``preparation.transform(df)`` prepares new rows, and
        ``preparation.summary`` is a plain dict (JSON-serialisable) for the
        report: ``n_rows``, ``roles`` (column -> ``"numeric"``,
        ``"categorical"``, ``"identifier"``, ``"date"`` or ``"ignored"``),
        ``role_reasons`` (column -> why), ``numeric``, ``categorical``,
        ``identifier`` (str or None), ``dates``, ``ignored`` (lists of
        columns), ``imputed`` (column -> number of missing values filled),
        ``imputation`` (column -> {``strategy``, ``value``}), ``log1p`` (list of
        columns given the sign-preserving log1p, ``sign(x) log1p(|x|)``), ``skewness`` (numeric column ->
        sample skewness before any transform), ``scaling`` (``"standard"``,
        ``"robust"``, ``"minmax"`` or ``"none"``), ``one_hot`` (column ->
        {``categories``, ``infrequent``: categories grouped into one
        ``"infrequent"`` column, ``max_categories``}), ``pca`` (None or
        {``n_components``, ``explained_variance_ratio``}), ``hints`` (list of
        str: e.g. integer columns with few values that may be codes),
        ``n_features_out`` and ``feature_names``.
    model : estimator
        The fitted clustering estimator (``segmint.kmeans.KMeans``,
        ``segmint.minibatch.MiniBatchKMeans``,
        ``sklearn.cluster.AgglomerativeClustering`` or
        ``sklearn.cluster.DBSCAN``).
    X : numpy.ndarray of shape (n_rows, n_features_out)
        The prepared matrix the model was fitted on (float64).
    feature_names : list of str
        Names of the columns of ``X`` (``"Fresh"``, ``"Region_3"``, ``"pca0"``).
    algorithm : str
        The algorithm actually used: ``"kmeans"``, ``"minibatch"``,
        ``"agglomerative"`` or ``"dbscan"``.
    centers : numpy.ndarray of shape (n_segments, n_features_out)
        Segment centres in the prepared space, rows in label order (noise
        excluded). For agglomerative and DBSCAN, the mean of each segment's
        rows.
    centers_original_units : pandas.DataFrame
        Segment x original numeric feature: ``centers`` mapped back through
        PCA (if any), the scaler and log1p, so in the data's own units. With
        log1p the centre of a skewed column sits near the segment's geometric
        mean, below its arithmetic mean (which is in ``profiles``). Indexed by
        ``segment`` label.
    segment_names : dict of int to str
        Label -> short name (``-1`` -> ``"Noise"``).
    linkage : numpy.ndarray or None
        SciPy linkage matrix (Ward) of shape (n_rows - 1, 4) for drawing a
        dendrogram; only for ``algorithm="agglomerative"``, else None.
    id_column : str or None
        Name of the identifier column used in ``segments`` (None: ``"row"``).
    params : dict
        The arguments ``segment`` was called with (JSON-serialisable), plus
        ``notes``: a list of str describing automatic choices (e.g. switching to
        mini-batch for large inputs, the DBSCAN ``eps`` chosen).
    """

    data: pd.DataFrame
    segments: pd.DataFrame
    profiles: pd.DataFrame
    traits: pd.DataFrame
    k: int
    k_selection: Any
    preparation: Preparation
    model: Any
    X: np.ndarray
    feature_names: list[str]
    algorithm: str
    centers: np.ndarray
    centers_original_units: pd.DataFrame
    segment_names: dict[int, str]
    linkage: np.ndarray | None = None
    id_column: str | None = None
    params: dict = field(default_factory=dict)

    def __repr__(self) -> str:
        return (
            f"SegmentationResult(algorithm={self.algorithm!r}, k={self.k}, "
            f"rows={len(self.segments)}, features={len(self.feature_names)})"
        )

    @property
    def labels(self) -> np.ndarray:
        """Segment label of every input row, shape (n_rows,)."""
        return self.segments["segment"].to_numpy()

    def to_model(self):
        """The pickle-free model of this segmentation.

        Returns
        -------
        SegmentationModel
            Holds the preprocessing parameters and the centres as plain arrays;
            see :mod:`segmint.segment.model`.
        """
        from .model import SegmentationModel

        return SegmentationModel.from_result(self)

    def assign(self, new_df: pd.DataFrame) -> pd.DataFrame:
        """Assign new rows to the fitted segments.

        The new table goes through the same preprocessing (imputation with the
        training medians / modes, log1p, scaling, one-hot, PCA) and each row
        gets its nearest segment centre (DBSCAN: the segment of its nearest
        core sample within ``eps``, else noise).

        Parameters
        ----------
        new_df : pandas.DataFrame
            Must hold every feature column used in training; other columns
            are ignored.

        Returns
        -------
        pandas.DataFrame
            Same columns as ``segments``, one row per row of ``new_df``.
        """
        return self.to_model().assign(new_df)

    def save(self, directory: str | Path) -> dict[str, Path]:
        """Write ``segments.csv``, ``profiles.csv``, ``model.json`` and ``model.npz``.

        Each file is written under a temporary name in ``directory`` and
        renamed when complete, so a crash never leaves a half-written file.

        Parameters
        ----------
        directory : str or Path
            Created if missing.

        Returns
        -------
        dict of str to Path
            ``{"segments": ..., "profiles": ..., "model_json": ...,
            "model_npz": ...}``.

        Raises
        ------
        SegmentationError
            If the directory cannot be created or written to.
        """
        from .model import save_result

        return save_result(self, directory)
