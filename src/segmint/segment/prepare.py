"""Turn a customer table into the numeric matrix a clustering algorithm needs.

Every column gets a *role* (numeric, categorical, identifier, date or ignored),
inferred from its dtype, its name and its values, and overridable. Feature
columns then go through scikit-learn transformers composed in one
:class:`~sklearn.pipeline.Pipeline`:

- numeric: median imputation -> optional ``log1p`` of skewed (money-like)
  columns, sign-preserving so that refunds stay negative -> scaling
  (standard, robust or min-max);
- categorical: most-frequent imputation -> one-hot, with rare categories
  grouped into one ``"infrequent"`` column beyond ``max_categories``;
- then, optionally, PCA.

What was done is also recorded in a plain dict (:attr:`Preparation.summary`)
for the report.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.decomposition import PCA
from sklearn.impute import SimpleImputer
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import (
    FunctionTransformer,
    MinMaxScaler,
    OneHotEncoder,
    RobustScaler,
    StandardScaler,
)

from .errors import SegmentationError

ROLES = ("numeric", "categorical", "identifier", "date", "ignored")
SCALERS = {
    "standard": StandardScaler,
    "robust": RobustScaler,
    "minmax": MinMaxScaler,
    "none": None,
}

#: A column is "skewed" (and given log1p under ``log_transform="auto"``) when
#: its sample skewness exceeds this. 1 is the
#: usual rule of thumb for "highly skewed" (Bulmer, *Principles of Statistics*,
#: 1979, ch. 4); money amounts per customer are typically far above it.
SKEW_THRESHOLD = 1.0

# "id", "customer_id", "customer id", "CustomerID", "userId" - not "paid".
_ID_NAME = re.compile(
    r"(?:^|[^A-Za-z])[Ii][Dd]$|^[Ii][Dd](?:[^A-Za-z]|$)|[a-z](?:ID|Id)$"
)
_DATE_NAME = re.compile(r"date|time|day$|_at$|_on$", re.IGNORECASE)
# A text column whose non-missing values are at least this share numbers is
# taken as a numeric column with stray text (an error), not as a category.
_MOSTLY_NUMBERS = 0.9


def _quote_list(names, limit=8):
    names = [str(n) for n in names]
    shown = ", ".join(repr(n) for n in names[:limit])
    return shown + (f", ... ({len(names)} in all)" if len(names) > limit else "")


def whole_numbers(values) -> bool:
    """True when there is at least one value and every value is a whole number.

    Parameters
    ----------
    values : array-like of float
        Missing values already dropped.
    """
    values = np.asarray(values, dtype=np.float64)
    return values.size > 0 and bool(np.all(np.mod(values, 1) == 0))


def _looks_like_id(name) -> bool:
    return bool(_ID_NAME.search(str(name)))


def _is_text(s: pd.Series) -> bool:
    return (
        pd.api.types.is_object_dtype(s)
        or pd.api.types.is_string_dtype(s)
        or isinstance(s.dtype, pd.CategoricalDtype)
    )


def _parse_numbers(s: pd.Series) -> pd.Series:
    """Text -> float64 with NaN where a value is not a number (or missing)."""
    return pd.to_numeric(s.astype(object).where(s.notna(), np.nan), errors="coerce")


def _few_numbers(s: pd.Series, probe: int = 200) -> bool:
    """True when a probe of distinct values shows the column is mostly not numbers.

    Spares parsing every row of plainly textual columns (names, categories).
    """
    distinct = pd.unique(s.dropna().astype(object))[:probe]
    parsed = pd.to_numeric(pd.Series(distinct, dtype=object), errors="coerce")
    return parsed.notna().mean() < 0.5


def _text_in_numeric_error(name, s: pd.Series, parsed: pd.Series) -> SegmentationError:
    bad = s[parsed.isna() & s.notna()]
    examples = _quote_list(pd.unique(bad.astype(str))[:3])
    return SegmentationError(
        f"column {name!r} should be numeric but {len(bad)} of its values are text "
        f"(e.g. {examples}); clean those values, or pass "
        f"roles={{{str(name)!r}: 'categorical'}} if it is a category"
    )


def infer_roles(
    df: pd.DataFrame,
    *,
    id_column=None,
    columns=None,
    roles=None,
    max_categories: int = 10,
) -> tuple[dict, dict]:
    """Give every column of ``df`` a role.

    Parameters
    ----------
    df : pandas.DataFrame
        The customer table.
    id_column : str, optional
        The identifier column; always given the role ``"identifier"``.
    columns : list of str, optional
        Feature columns to use. Any other column (except ``id_column``) is
        ``"ignored"``. Default: every column whose inferred role is numeric or
        categorical.
    roles : dict of str to str, optional
        Overrides, column -> one of ``"numeric"``, ``"categorical"``,
        ``"identifier"``, ``"date"``, ``"ignored"``.
    max_categories : int, default=10
        Text columns with a distinct value per row and more than this many
        rows are identifiers, not categories.

    Returns
    -------
    roles : dict of str to str
        Column -> role, in column order.
    reasons : dict of str to str
        Column -> why it got that role.

    Raises
    ------
    SegmentationError
        If a named column does not exist, a role is unknown, or a mostly
        numeric text column holds stray text.

    Notes
    -----
    Rules, in order: an override; ``id_column``; not in ``columns``
    (ignored, unless it looks like an identifier); datetime dtype (date); bool or pandas categorical dtype
    (categorical); a numeric dtype whose name looks like an id (``id``,
    ``customer_id``, ``CustomerID``) with one distinct integer per row
    (identifier); other numeric dtypes (numeric); text that parses as numbers
    (numeric); text whose name suggests a date and whose values parse as ISO
    dates (date); text with one distinct value per row (identifier); other
    text (categorical). A column named in ``columns`` is a feature: an
    identifier-like one is numeric or categorical by dtype, and dates are an
    error. Integer columns with few distinct values stay numeric,
    since the table cannot say whether ``Region = 1, 2, 3`` is a code or a
    count; the summary lists them under ``hints``.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"customer_id": [1, 2, 3], "spend": [9.5, 3.0, 1.0],
    ...                    "region": ["N", "S", "N"]})
    >>> infer_roles(df)[0]
    {'customer_id': 'identifier', 'spend': 'numeric', 'region': 'categorical'}
    """
    overrides = dict(roles or {})
    named = list(overrides) + ([id_column] if id_column is not None else [])
    named += list(columns) if columns is not None else []
    missing = [c for c in named if c not in df.columns]
    if missing:
        raise SegmentationError(
            f"unknown column {_quote_list(missing)}; the table has columns "
            f"{_quote_list(df.columns)}"
        )
    bad_roles = {c: r for c, r in overrides.items() if r not in ROLES}
    if bad_roles:
        raise SegmentationError(
            f"unknown role in roles={bad_roles!r}; use one of {_quote_list(ROLES)}"
        )
    wanted = None if columns is None else set(columns)
    out, why = {}, {}
    for name in df.columns:
        s = df[name]
        if name in overrides:
            out[name], why[name] = overrides[name], "set in roles"
        elif id_column is not None and name == id_column:
            out[name], why[name] = "identifier", "id_column"
        elif wanted is not None and name not in wanted:
            # still spot an identifier, to label the output rows with it
            role, reason = _infer_one_quietly(name, s, max_categories)
            if role == "identifier":
                out[name], why[name] = role, reason
            else:
                out[name], why[name] = "ignored", "not in columns"
        else:
            out[name], why[name] = _infer_one(name, s, max_categories)
            if wanted is not None and out[name] == "identifier":
                # named in columns: the caller wants it as a feature
                numeric = pd.api.types.is_numeric_dtype(s)
                out[name] = "numeric" if numeric else "categorical"
                why[name] = "named in columns"
            elif wanted is not None and out[name] == "date":
                raise SegmentationError(
                    f"column {name!r} holds dates, which cannot be a feature as is; "
                    f"derive a number from it (e.g. days since, see rfm()) or leave "
                    f"it out of columns"
                )
    return out, why


def _infer_one_quietly(name, s, max_categories):
    """Role of a column outside ``columns``: its bad values are none of our business."""
    try:
        return _infer_one(name, s, max_categories)
    except SegmentationError:
        return "ignored", "not in columns"


def _infer_one(name, s: pd.Series, max_categories: int) -> tuple[str, str]:
    n_present = int(s.notna().sum())
    if pd.api.types.is_datetime64_any_dtype(s):
        return "date", "datetime dtype"
    if pd.api.types.is_bool_dtype(s) or isinstance(s.dtype, pd.CategoricalDtype):
        return "categorical", f"{s.dtype} dtype"
    if pd.api.types.is_numeric_dtype(s):
        values = s.dropna()
        if (
            _looks_like_id(name)
            and n_present > 1
            and values.nunique() == n_present
            and whole_numbers(values)
        ):
            return "identifier", "id-like name, one distinct integer per row"
        return "numeric", f"{s.dtype} dtype"
    if not _is_text(s):
        return "ignored", f"unsupported dtype {s.dtype}"
    if n_present == 0:
        # all missing: let the feature check report it as such
        return "numeric", "all values missing"
    if _few_numbers(s):
        parsed, n_numbers = None, 0
    else:
        parsed = _parse_numbers(s)
        n_numbers = int(parsed.notna().sum())
    if n_numbers == n_present:
        return "numeric", "text holding numbers"
    if n_numbers >= _MOSTLY_NUMBERS * n_present:
        raise _text_in_numeric_error(name, s, parsed)
    if _DATE_NAME.search(str(name)):
        dates = pd.to_datetime(s, errors="coerce", format="ISO8601")
        if int(dates.notna().sum()) == n_present:
            return "date", "date-like name and ISO dates"
    if n_present > max_categories and s.nunique() == n_present:
        return "identifier", "one distinct text value per row"
    return "categorical", "text"


def _log1p_columns(X, mask):
    """Sign-preserving log1p, ``sign(x) log1p(|x|)``, of the columns in ``mask``.

    It is log1p for ``x >= 0``; net refunds (negative money, as RFM's
    monetary value of customers who returned more than they bought) keep
    their sign and order instead of becoming NaN.
    """
    X = np.array(X, dtype=np.float64, copy=True)
    X[:, mask] = np.sign(X[:, mask]) * np.log1p(np.abs(X[:, mask]))
    return X


def _as_str(X):
    return np.asarray(X).astype(str)


def _expm1_columns(X, mask):
    X = np.array(X, dtype=np.float64, copy=True)
    X[:, mask] = np.sign(X[:, mask]) * np.expm1(np.abs(X[:, mask]))
    return X


def _category_strings(s: pd.Series) -> pd.Series:
    """Values as str (integral floats without ".0"), missing as NaN, object dtype."""
    if pd.api.types.is_float_dtype(s) and whole_numbers(s.dropna()):
        s = s.astype("Int64")
    mask = s.isna()
    out = s.astype(str).astype(object)
    out[mask] = np.nan
    return out


def clean_features(df: pd.DataFrame, numeric, categorical) -> pd.DataFrame:
    """Select the feature columns with uniform dtypes.

    Numeric columns become float64 (text holding numbers is parsed; other text
    is an error), categorical columns become object columns of str with NaN
    for missing values, so that the scikit-learn transformers see one type
    per column.

    Parameters
    ----------
    df : pandas.DataFrame
        Must hold every column in ``numeric`` and ``categorical``.
    numeric, categorical : list of str
        Feature columns by role.

    Returns
    -------
    pandas.DataFrame
        Columns ``numeric + categorical``, same index as ``df``.

    Raises
    ------
    SegmentationError
        If a column is missing or a numeric column holds text.
    """
    missing = [c for c in [*numeric, *categorical] if c not in df.columns]
    if missing:
        raise SegmentationError(
            f"the table lacks column {_quote_list(missing)} used by the segmentation; "
            f"add it (missing values are allowed)"
        )
    data = {}
    for name in numeric:
        s = df[name]
        if pd.api.types.is_bool_dtype(s):
            data[name] = s.astype(np.float64)
        elif pd.api.types.is_numeric_dtype(s):
            data[name] = s.astype(np.float64)
        else:
            parsed = _parse_numbers(s)
            if int(parsed.notna().sum()) != int(s.notna().sum()):
                raise _text_in_numeric_error(name, s, parsed)
            data[name] = parsed.astype(np.float64)
    for name in categorical:
        data[name] = _category_strings(df[name])
    return pd.DataFrame(data, index=df.index, columns=[*numeric, *categorical])


def _str_columns(frame: pd.DataFrame) -> pd.DataFrame:
    """The same frame with str column names.

    scikit-learn reads int column names as positions and refuses mixed types.
    """
    return frame.set_axis([str(c) for c in frame.columns], axis=1)


class Preparation:
    """A fitted preprocessing of a customer table.

    Built by :func:`prepare`; not meant to be constructed directly.

    Attributes
    ----------
    pipeline : sklearn.pipeline.Pipeline
        ``("columns", ColumnTransformer)`` then, optionally, ``("pca", PCA)``.
        The column transformer has a ``"num"`` branch (``SimpleImputer`` ->
        ``FunctionTransformer`` (log1p) -> scaler) and one branch
        ``"cat<i>"`` per categorical feature (``SimpleImputer`` with the
        column's mode -> ``OneHotEncoder``). Numeric outputs come first.
    numeric, categorical : list of str
        Feature columns by role, in output order.
    log_mask : numpy.ndarray of bool, shape (len(numeric),)
        Which numeric columns get log1p.
    id_column : str or None
        Identifier column (given or inferred).
    feature_names : list of str
        Names of the prepared columns.
    summary : dict
        What was done, JSON-serialisable; see
        :class:`~segmint.segment.SegmentationResult` for the keys.
    """

    def __init__(self, pipeline, numeric, categorical, log_mask, id_column, summary):
        self.pipeline = pipeline
        self.numeric = list(numeric)
        self.categorical = list(categorical)
        self.log_mask = np.asarray(log_mask, dtype=bool)
        self.id_column = id_column
        self.summary = summary
        self.feature_names = list(summary["feature_names"])

    def clean(self, df: pd.DataFrame) -> pd.DataFrame:
        """Feature columns of ``df`` with uniform dtypes (see :func:`clean_features`)."""
        return clean_features(df, self.numeric, self.categorical)

    def transform(self, df: pd.DataFrame) -> np.ndarray:
        """Prepare new rows with the fitted parameters.

        Parameters
        ----------
        df : pandas.DataFrame
            Must hold every feature column.

        Returns
        -------
        numpy.ndarray of shape (len(df), len(feature_names)), float64
        """
        X = self.pipeline.transform(_str_columns(self.clean(df)))
        return np.asarray(X, dtype=np.float64)

    @property
    def column_transformer(self) -> ColumnTransformer:
        return self.pipeline.named_steps["columns"]

    @property
    def pca(self) -> PCA | None:
        return self.pipeline.named_steps.get("pca")

    def numeric_to_original(self, Z: np.ndarray) -> pd.DataFrame:
        """Map points of the prepared space back to original numeric units.

        Undoes PCA (exactly only when no component was dropped), the scaler
        and log1p. Categorical columns are left out.

        Parameters
        ----------
        Z : numpy.ndarray of shape (m, len(feature_names))

        Returns
        -------
        pandas.DataFrame of shape (m, len(numeric))
        """
        Z = np.atleast_2d(np.asarray(Z, dtype=np.float64))
        if self.pca is not None:
            Z = self.pca.inverse_transform(Z)
        Z = Z[:, : len(self.numeric)]
        scaler = self.column_transformer.named_transformers_["num"].named_steps["scale"]
        if scaler != "passthrough":
            Z = scaler.inverse_transform(Z)
        Z = _expm1_columns(Z, self.log_mask)
        return pd.DataFrame(Z, columns=self.numeric)


def _check_features(clean: pd.DataFrame, numeric, categorical, n_rows):
    if not numeric:
        raise SegmentationError(
            "no numeric column to segment on; pass columns=[...] naming at least one "
            "numeric column, or roles={'col': 'numeric'}"
        )
    empty = [c for c in [*numeric, *categorical] if clean[c].isna().all()]
    if empty:
        raise SegmentationError(
            f"column {_quote_list(empty)} has no values (all {n_rows} missing); "
            f"leave it out with columns=[...] or fill it"
        )


def _log_choice(log_transform, numeric, clean) -> np.ndarray:
    if log_transform == "auto":
        skew = np.array(
            [float(clean[c].skew()) if clean[c].count() > 2 else 0.0 for c in numeric]
        )
        return np.nan_to_num(skew) > SKEW_THRESHOLD
    if log_transform is True:
        return np.ones(len(numeric), dtype=bool)
    if log_transform in (False, None):
        return np.zeros(len(numeric), dtype=bool)
    names = [log_transform] if isinstance(log_transform, str) else list(log_transform)
    unknown = [c for c in names if c not in numeric]
    if unknown:
        raise SegmentationError(
            f"log_transform names {_quote_list(unknown)}, which is not a numeric "
            f"feature; numeric features are {_quote_list(numeric)}"
        )
    return np.array([c in names for c in numeric])


def prepare(
    df: pd.DataFrame,
    *,
    id_column=None,
    columns=None,
    roles=None,
    log_transform="auto",
    scaling: str = "standard",
    max_categories: int = 10,
    pca=None,
    random_state=0,
) -> tuple[Preparation, np.ndarray]:
    """Infer column roles, fit the preprocessing and prepare the table.

    Parameters
    ----------
    df : pandas.DataFrame
        The customer table, one row per customer.
    id_column : str, optional
        Identifier column; inferred when None (see :func:`infer_roles`).
    columns : list of str, optional
        Feature columns to use; default all numeric and categorical columns.
    roles : dict of str to str, optional
        Role overrides, e.g. ``{"Region": "categorical"}``.
    log_transform : "auto", bool or list of str, default="auto"
        ``"auto"``: log1p on right-skewed numeric columns (skewness >
        ``SKEW_THRESHOLD``); True: on every numeric column; False: none; a
        list: those columns. The transform is ``sign(x) log1p(|x|)``, which
        is log1p on non-negative values.
    scaling : {"standard", "robust", "minmax", "none"}, default="standard"
        Scaler for numeric columns (after log1p).
    max_categories : int, default=10
        One-hot columns per categorical column at most; rarer categories share
        one ``"<col>_infrequent"`` column.
    pca : int, float or None, default=None
        If given, ``PCA(n_components=pca)`` after encoding (a float in (0, 1)
        keeps that share of the variance).
    random_state : int, default=0
        For PCA's randomised solver.

    Returns
    -------
    preparation : Preparation
    X : numpy.ndarray of shape (len(df), n_features_out), float64

    Raises
    ------
    SegmentationError
        On an unknown column or option, no numeric feature, an all-missing
        feature or text in a numeric column.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"spend": [10.0, None, 30.0, 20.0],
    ...                    "channel": ["web", "shop", "web", None]})
    >>> prep, X = prepare(df)
    >>> X.shape, prep.summary["imputed"]
    ((4, 3), {'spend': 1, 'channel': 1})
    """
    if not isinstance(df, pd.DataFrame):
        raise SegmentationError(
            f"expected a pandas DataFrame, got {type(df).__name__}; "
            f"wrap the data with pandas.DataFrame(...)"
        )
    duplicated = df.columns[df.columns.duplicated()]
    if len(duplicated):
        raise SegmentationError(
            f"the table has duplicate column names {_quote_list(pd.unique(duplicated))}; "
            f"rename them so that each is unique"
        )
    if len(df) == 0:
        raise SegmentationError("the table has no rows; pass a table with customers")
    if scaling not in SCALERS:
        raise SegmentationError(
            f"unknown scaling={scaling!r}; use one of {_quote_list(SCALERS)}"
        )
    if (
        isinstance(max_categories, bool)
        or not isinstance(max_categories, int)
        or max_categories < 2
    ):
        raise SegmentationError(
            f"max_categories={max_categories!r} should be an int >= 2"
        )
    role_of, reasons = infer_roles(
        df,
        id_column=id_column,
        columns=columns,
        roles=roles,
        max_categories=max_categories,
    )
    numeric = [c for c, r in role_of.items() if r == "numeric"]
    categorical = [c for c, r in role_of.items() if r == "categorical"]
    identifiers = [c for c, r in role_of.items() if r == "identifier"]
    if id_column is None and identifiers:
        id_column = identifiers[0]
    clean = clean_features(df, numeric, categorical)
    n = len(df)
    _check_features(clean, numeric, categorical, n)
    log_mask = _log_choice(log_transform, numeric, clean)

    scaler_cls = SCALERS[scaling]
    num_pipe = Pipeline(
        [
            ("impute", SimpleImputer(strategy="median")),
            (
                "log1p",
                FunctionTransformer(
                    _log1p_columns,
                    inverse_func=_expm1_columns,
                    kw_args={"mask": log_mask},
                    inv_kw_args={"mask": log_mask},
                    feature_names_out="one-to-one",
                    check_inverse=False,
                ),
            ),
            ("scale", scaler_cls() if scaler_cls is not None else "passthrough"),
        ]
    )
    branches = [("num", num_pipe, [str(c) for c in numeric])]
    for i, name in enumerate(categorical):
        # One branch per column with the mode found by pandas: SimpleImputer's
        # "most_frequent" counts object values in a Python loop (seconds per
        # column at 10^5 rows). pandas sorts tied modes, so ties resolve to
        # the smallest value, as "most_frequent" does.
        mode = clean[name].mode().iloc[0]
        cat_pipe = Pipeline(
            [
                ("impute", SimpleImputer(strategy="constant", fill_value=mode)),
                # fixed-width str: OneHotEncoder then uses NumPy's vectorised
                # unique/search instead of a per-value Python loop on objects
                (
                    "as_str",
                    FunctionTransformer(_as_str, feature_names_out="one-to-one"),
                ),
                (
                    "onehot",
                    OneHotEncoder(
                        handle_unknown="infrequent_if_exist",
                        max_categories=max_categories,
                        sparse_output=False,
                        dtype=np.float64,
                    ),
                ),
            ]
        )
        branches.append((f"cat{i}", cat_pipe, [str(name)]))
    steps = [
        (
            "columns",
            ColumnTransformer(
                branches,
                remainder="drop",
                sparse_threshold=0.0,
                verbose_feature_names_out=False,
            ),
        )
    ]
    if pca is not None:
        steps.append(("pca", _make_pca(pca, len(numeric), random_state)))
    pipeline = Pipeline(steps)
    try:
        X = np.asarray(pipeline.fit_transform(_str_columns(clean)), dtype=np.float64)
    except ValueError as exc:  # e.g. PCA n_components larger than the features
        raise SegmentationError(
            f"preprocessing failed: {str(exc).splitlines()[0]}"
        ) from exc

    ct = pipeline.named_steps["columns"]
    names = [str(f) for f in ct.get_feature_names_out()]
    if pca is not None:
        names = [f"pca{i}" for i in range(X.shape[1])]
    summary = _summary(
        df,
        clean,
        role_of,
        reasons,
        id_column,
        numeric,
        categorical,
        log_mask,
        scaling,
        ct,
        pipeline,
        names,
        max_categories,
    )
    preparation = Preparation(
        pipeline, numeric, categorical, log_mask, id_column, summary
    )
    return preparation, X


def _make_pca(pca, n_numeric, random_state):
    ok_float = isinstance(pca, float) and 0.0 < pca < 1.0
    ok_int = isinstance(pca, int) and not isinstance(pca, bool) and pca >= 1
    if not (ok_float or ok_int):
        raise SegmentationError(
            f"pca={pca!r} should be a number of components (int >= 1) or a share of "
            f"variance to keep (float in (0, 1))"
        )
    return PCA(n_components=pca, random_state=random_state)


def _summary(
    df,
    clean,
    role_of,
    reasons,
    id_column,
    numeric,
    categorical,
    log_mask,
    scaling,
    ct,
    pipeline,
    names,
    max_categories,
) -> dict:
    num = ct.named_transformers_["num"]
    imputation = {
        c: {"strategy": "median", "value": float(v)}
        for c, v in zip(numeric, num.named_steps["impute"].statistics_, strict=True)
    }
    one_hot = {}
    for i, c in enumerate(categorical):
        cat = ct.named_transformers_[f"cat{i}"]
        fill = cat.named_steps["impute"].fill_value
        imputation[c] = {"strategy": "most_frequent", "value": str(fill)}
        enc = cat.named_steps["onehot"]
        rare = enc.infrequent_categories_[0]
        rare = [] if rare is None else [str(v) for v in rare]
        one_hot[c] = {
            "categories": [
                str(v) for v in enc.categories_[0] if str(v) not in set(rare)
            ],
            "infrequent": rare,
            "max_categories": max_categories,
        }
    hints = []
    for c in numeric:
        values = clean[c].dropna()
        n_distinct = values.nunique()
        if n_distinct <= 10 and len(values) >= 5 * n_distinct and whole_numbers(values):
            hints.append(
                f"{c}: {n_distinct} distinct integers; if these are codes, pass "
                f"roles={{{c!r}: 'categorical'}}"
            )
    pca_step = pipeline.named_steps.get("pca")
    pca_info = None
    if pca_step is not None:
        pca_info = {
            "n_components": int(pca_step.n_components_),
            "explained_variance_ratio": [
                float(v) for v in pca_step.explained_variance_ratio_
            ],
        }
    skewness = {
        c: (float(clean[c].skew()) if clean[c].count() > 2 else None) for c in numeric
    }
    skewness = {
        c: (None if v is None or np.isnan(v) else v) for c, v in skewness.items()
    }
    return {
        "n_rows": len(df),
        "roles": {str(c): r for c, r in role_of.items()},
        "role_reasons": {str(c): r for c, r in reasons.items()},
        "numeric": list(numeric),
        "categorical": list(categorical),
        "identifier": id_column,
        "dates": [c for c, r in role_of.items() if r == "date"],
        "ignored": [c for c, r in role_of.items() if r == "ignored"],
        "imputed": {c: int(clean[c].isna().sum()) for c in [*numeric, *categorical]},
        "imputation": imputation,
        "log1p": [c for c, m in zip(numeric, log_mask, strict=True) if m],
        "skewness": skewness,
        "scaling": scaling,
        "one_hot": one_hot,
        "pca": pca_info,
        "hints": hints,
        "n_features_out": len(names),
        "feature_names": names,
    }
