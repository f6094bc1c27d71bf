"""Save and load a fitted segmentation without pickle.

A model is two files side by side: ``model.json`` (column roles, imputation
values, category lists, which columns get log1p, the scaler kind, segment
names; human-readable) and ``model.npz`` (the scaler, PCA and centre arrays,
loaded with ``allow_pickle=False``). Loading them executes no code from the
files. :class:`SegmentationModel` re-applies the preprocessing with NumPy,
reproducing the scikit-learn pipeline's arithmetic operation for operation,
and assigns rows to the nearest segment.

Every file is written under a temporary name in the target folder and renamed
when complete (``os.replace`` is atomic on POSIX and Windows), so a reader
never sees a half-written file.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

from .errors import SegmentationError
from .prepare import clean_features
from .profile import NOISE_LABEL

FORMAT = "segmint.segmentation"
FORMAT_VERSION = 1
# Rows per block when computing distances to centres / core samples, so that
# memory stays at block x k instead of n x k.
_BLOCK = 4096


def _atomic_write(path: Path, write) -> Path:
    """Call ``write(file_object)`` on a temporary file, then rename it to ``path``."""
    path = Path(path)
    try:
        fd, tmp = tempfile.mkstemp(
            prefix=f".{path.name}.", suffix=".tmp", dir=path.parent
        )
    except OSError as exc:
        raise SegmentationError(
            f"cannot write to folder '{path.parent}': {exc.strerror}; choose a "
            f"writable folder"
        ) from exc
    try:
        # mkstemp creates the file owner-only; give the finished file the
        # permissions an ordinary open() would (0666 less the umask).
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        with os.fdopen(fd, "wb") as fh:
            write(fh)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def _make_dir(directory) -> Path:
    directory = Path(directory)
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise SegmentationError(
            f"cannot create output folder '{directory}': {exc.strerror}; choose a "
            f"writable folder"
        ) from exc
    return directory


def write_csv(df: pd.DataFrame, path) -> Path:
    """Write ``df`` (without its index) to ``path`` atomically, UTF-8."""
    return _atomic_write(
        Path(path), lambda fh: fh.write(df.to_csv(index=False).encode("utf-8"))
    )


class SegmentationModel:
    """A fitted segmentation as plain data: preprocessing parameters + centres.

    Build one with :meth:`from_result` (or ``result.to_model()``) or
    :func:`load_model`; do not construct directly.

    Attributes
    ----------
    spec : dict
        JSON-serialisable description (see ``model.json``).
    arrays : dict of str to numpy.ndarray
        ``centers`` (k, d) plus, as used, ``scale_a``/``scale_b`` (scaler),
        ``pca_components``/``pca_mean``, ``core_samples``/``core_labels``
        (DBSCAN).
    """

    def __init__(self, spec: dict, arrays: dict):
        self.spec = spec
        self.arrays = arrays

    # -- building ----------------------------------------------------------
    @classmethod
    def from_result(cls, result) -> SegmentationModel:
        """Extract the model of a :class:`SegmentationResult`."""
        prep = result.preparation
        ct = prep.column_transformer
        num = ct.named_transformers_["num"]
        arrays = {"centers": np.asarray(result.centers, dtype=np.float64)}
        scaler = num.named_steps["scale"]
        kind = prep.summary["scaling"]
        if kind == "standard":
            arrays["scale_a"], arrays["scale_b"] = scaler.mean_, scaler.scale_
        elif kind == "robust":
            arrays["scale_a"], arrays["scale_b"] = scaler.center_, scaler.scale_
        elif kind == "minmax":
            arrays["scale_a"], arrays["scale_b"] = scaler.scale_, scaler.min_
        if prep.pca is not None:
            arrays["pca_components"] = prep.pca.components_
            arrays["pca_mean"] = prep.pca.mean_
        dbscan = None
        if result.algorithm == "dbscan":
            core = result.model.core_sample_indices_
            arrays["core_samples"] = result.X[core]
            arrays["core_labels"] = result.model.labels_[core].astype(np.int64)
            dbscan = {"eps": float(result.model.eps)}
        summary = prep.summary
        spec = {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "algorithm": result.algorithm,
            "k": int(result.k),
            "id_column": prep.id_column,
            "numeric": list(prep.numeric),
            "categorical": list(prep.categorical),
            "impute_numeric": [summary["imputation"][c]["value"] for c in prep.numeric],
            "impute_categorical": [
                summary["imputation"][c]["value"] for c in prep.categorical
            ],
            "log1p": [bool(v) for v in prep.log_mask],
            "scaling": kind,
            "one_hot": [
                {
                    "column": c,
                    "categories": summary["one_hot"][c]["categories"],
                    "infrequent": summary["one_hot"][c]["infrequent"],
                }
                for c in prep.categorical
            ],
            "pca": prep.pca is not None,
            "feature_names": list(prep.feature_names),
            "segment_labels": [
                int(s) for s in sorted(result.segment_names) if s != NOISE_LABEL
            ],
            "segment_names": {str(k): v for k, v in result.segment_names.items()},
            "dbscan": dbscan,
        }
        return cls(spec, {k: np.ascontiguousarray(v) for k, v in arrays.items()})

    # -- applying ----------------------------------------------------------
    def transform(self, df: pd.DataFrame) -> np.ndarray:
        """Prepare rows exactly as the fitted pipeline did.

        Parameters
        ----------
        df : pandas.DataFrame
            Must hold every feature column.

        Returns
        -------
        numpy.ndarray of shape (len(df), len(spec["feature_names"])), float64
        """
        spec, arr = self.spec, self.arrays
        clean = clean_features(df, spec["numeric"], spec["categorical"])
        Xn = clean[spec["numeric"]].to_numpy(dtype=np.float64, copy=True)
        fill = np.asarray(spec["impute_numeric"], dtype=np.float64)
        Xn = np.where(np.isnan(Xn), fill, Xn)
        mask = np.asarray(spec["log1p"], dtype=bool)
        Xn[:, mask] = np.sign(Xn[:, mask]) * np.log1p(np.abs(Xn[:, mask]))
        # same in-place operations as the scikit-learn scalers' transform
        if spec["scaling"] in ("standard", "robust"):
            Xn -= arr["scale_a"]
            Xn /= arr["scale_b"]
        elif spec["scaling"] == "minmax":
            Xn *= arr["scale_a"]
            Xn += arr["scale_b"]
        blocks = [Xn]
        for info, fill_value in zip(
            spec["one_hot"], spec["impute_categorical"], strict=True
        ):
            values = clean[info["column"]].fillna(fill_value).to_numpy(dtype=object)
            cats = info["categories"]
            width = len(cats) + (1 if info["infrequent"] else 0)
            block = np.zeros((len(values), width))
            pos = pd.Index(cats).get_indexer(values)
            known = pos >= 0
            block[np.flatnonzero(known), pos[known]] = 1.0
            if info["infrequent"]:
                # rare and unseen categories share the last column, as in
                # OneHotEncoder(handle_unknown="infrequent_if_exist")
                block[~known, -1] = 1.0
            blocks.append(block)
        X = np.hstack(blocks)
        if spec["pca"]:
            comps = arr["pca_components"]
            # same order of operations as sklearn PCA.transform
            Z = X @ comps.T
            Z -= arr["pca_mean"].reshape(1, -1) @ comps.T
            X = Z
        return np.ascontiguousarray(X)

    def predict(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Labels and distances to the segment centre for prepared rows.

        Parameters
        ----------
        X : numpy.ndarray of shape (n, d)
            Prepared rows (see :meth:`transform`).

        Returns
        -------
        labels : numpy.ndarray of int64, shape (n,)
            Nearest centre's label; for DBSCAN the label of the nearest core
            sample if it is within ``eps``, else -1 (noise).
        distance : numpy.ndarray of float64, shape (n,)
            Euclidean distance to the assigned segment's centre (NaN for noise).
        """
        centers = self.arrays["centers"]
        seg = np.asarray(self.spec["segment_labels"], dtype=np.int64)
        if self.spec["algorithm"] == "dbscan":
            core = self.arrays["core_samples"]
            idx, dist = _nearest(X, core)
            labels = np.where(
                dist <= self.spec["dbscan"]["eps"],
                self.arrays["core_labels"][idx],
                NOISE_LABEL,
            )
        else:
            idx, _ = _nearest(X, centers)
            labels = seg[idx]
        labels = labels.astype(np.int64)
        return labels, distance_to_center(X, labels, centers, seg)

    def assign(self, df: pd.DataFrame) -> pd.DataFrame:
        """Prepare and label new rows.

        Parameters
        ----------
        df : pandas.DataFrame
            Must hold every feature column; missing values are imputed with
            the training values, unseen categories count as infrequent.

        Returns
        -------
        pandas.DataFrame
            Same index as ``df``; columns: the identifier column (or ``"row"``),
            ``segment``, ``segment_name``, ``distance_to_center``.

        Raises
        ------
        SegmentationError
            If a feature column is missing or holds text where numbers belong.
        """
        if not isinstance(df, pd.DataFrame):
            raise SegmentationError(
                f"expected a pandas DataFrame, got {type(df).__name__}"
            )
        labels, distance = self.predict(self.transform(df))
        id_col = self.spec["id_column"]
        if id_col is not None and id_col not in df.columns:
            id_col = None
        return segments_frame(df, id_col, labels, self.spec["segment_names"], distance)

    # -- files -------------------------------------------------------------
    def save(self, directory) -> dict[str, Path]:
        """Write ``model.json`` and ``model.npz`` into ``directory`` atomically.

        Returns
        -------
        dict
            ``{"model_json": Path, "model_npz": Path}``.
        """
        directory = _make_dir(directory)
        npz = _atomic_write(
            directory / "model.npz", lambda fh: np.savez(fh, **self.arrays)
        )
        text = json.dumps(self.spec, indent=2, ensure_ascii=False)
        js = _atomic_write(
            directory / "model.json", lambda fh: fh.write(text.encode("utf-8"))
        )
        return {"model_json": js, "model_npz": npz}


def distance_to_center(X, labels, centers, segment_labels) -> np.ndarray:
    """Euclidean distance of each row to its segment's centre (NaN for noise).

    Parameters
    ----------
    X : numpy.ndarray of shape (n, d)
    labels : numpy.ndarray of int, shape (n,)
    centers : numpy.ndarray of shape (m, d)
        Row ``i`` is the centre of segment ``segment_labels[i]``.
    segment_labels : numpy.ndarray of int, shape (m,)
        Sorted labels, noise excluded.

    Returns
    -------
    numpy.ndarray of float64, shape (n,)
    """
    rows = np.clip(np.searchsorted(segment_labels, labels), 0, len(segment_labels) - 1)
    diff = X - centers[rows]
    distance = np.sqrt(np.einsum("ij,ij->i", diff, diff))
    distance[labels == NOISE_LABEL] = np.nan
    return distance


def segments_frame(df, id_column, labels, names, distance) -> pd.DataFrame:
    """One row per row of ``df``: identifier, label, name and distance.

    Parameters
    ----------
    df : pandas.DataFrame
        The labelled table (its index is kept).
    id_column : str or None
        Column copied as the identifier; None: a ``"row"`` column of
        positions 0 .. n - 1.
    labels : numpy.ndarray of int, shape (len(df),)
    names : dict
        Label -> segment name (keys int or str).
    distance : numpy.ndarray of float, shape (len(df),)

    Returns
    -------
    pandas.DataFrame
        Columns: identifier, ``segment``, ``segment_name``,
        ``distance_to_center``. Its length is checked against ``df``.
    """
    if id_column is None:
        id_name, ids = "row", np.arange(len(df))
    else:
        id_name, ids = id_column, df[id_column].to_numpy()
    lookup = {int(k): v for k, v in names.items()}
    out = pd.DataFrame(
        {
            id_name: ids,
            "segment": labels,
            "segment_name": [lookup[int(v)] for v in labels],
            "distance_to_center": distance,
        },
        index=df.index,
    )
    if len(out) != len(df):  # pragma: no cover - an internal invariant
        raise AssertionError(f"{len(df)} rows in, {len(out)} rows labelled")
    return out


def _nearest(X, points) -> tuple[np.ndarray, np.ndarray]:
    """Index of and distance to the nearest of ``points`` for each row of ``X``."""
    idx = np.empty(len(X), dtype=np.int64)
    dist = np.empty(len(X))
    p_sq = np.einsum("ij,ij->i", points, points)
    for start in range(0, len(X), _BLOCK):
        block = X[start : start + _BLOCK]
        d2 = (
            np.einsum("ij,ij->i", block, block)[:, None]
            - 2.0 * block @ points.T
            + p_sq[None, :]
        )
        best = np.argmin(d2, axis=1)
        idx[start : start + _BLOCK] = best
        diff = block - points[best]
        dist[start : start + _BLOCK] = np.sqrt(np.einsum("ij,ij->i", diff, diff))
    return idx, dist


def load_model(path) -> SegmentationModel:
    """Load a model saved by ``SegmentationResult.save`` or ``SegmentationModel.save``.

    Parameters
    ----------
    path : str or Path
        The folder holding ``model.json`` and ``model.npz``, or either file.

    Returns
    -------
    SegmentationModel

    Raises
    ------
    SegmentationError
        If a file is missing or not a segmint model.
    """
    path = Path(path)
    directory = path if path.is_dir() else path.parent
    js, npz = directory / "model.json", directory / "model.npz"
    for f in (js, npz):
        if not f.is_file():
            raise SegmentationError(
                f"model file '{f}' not found; pass the folder written by save()"
            )
    try:
        spec = json.loads(js.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise SegmentationError(
            f"'{js}' is not valid JSON ({exc}); re-save the model"
        ) from exc
    if not isinstance(spec, dict) or spec.get("format") != FORMAT:
        raise SegmentationError(f"'{js}' is not a segmint segmentation model")
    if spec.get("format_version", 0) > FORMAT_VERSION:
        raise SegmentationError(
            f"'{js}' has format version {spec['format_version']}, newer than this "
            f"segmint reads ({FORMAT_VERSION}); upgrade segmint"
        )
    try:
        with np.load(npz, allow_pickle=False) as data:
            arrays = {k: data[k] for k in data.files}
    except (OSError, ValueError) as exc:
        raise SegmentationError(
            f"cannot read '{npz}': {exc}; re-save the model"
        ) from exc
    return SegmentationModel(spec, arrays)


def save_result(result, directory) -> dict[str, Path]:
    """Write a result's ``segments.csv``, ``profiles.csv`` and model files.

    Parameters
    ----------
    result : SegmentationResult
    directory : str or Path
        Created if missing.

    Returns
    -------
    dict of str to Path
        Keys ``segments``, ``profiles``, ``model_json``, ``model_npz``.
    """
    directory = _make_dir(directory)
    if len(result.segments) != len(result.data):  # pragma: no cover - invariant
        raise AssertionError("segments lost rows")
    paths = {
        "segments": write_csv(result.segments, directory / "segments.csv"),
        "profiles": write_csv(result.profiles, directory / "profiles.csv"),
    }
    paths.update(result.to_model().save(directory))
    return paths
