"""Recency, frequency, monetary value (and tenure) per customer.

RFM summarises a transaction log into one row per customer (Hughes,
*Strategic Database Marketing*, 1994; for the Online Retail log used in
segmint's tests, Chen, Sain & Guo, J. Database Marketing & Customer Strategy
Management 19(3), 2012, section 3). The table it returns is ready for
:func:`segmint.segment.segment`.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from .errors import SegmentationError
from .prepare import _parse_numbers, _quote_list, whole_numbers

MISSING_ID_POLICIES = ("warn", "ignore", "raise")


class RFMWarning(UserWarning):
    """Rows of a transaction log that RFM could not attribute to a customer."""


def _column(df, name, what):
    if name is None:
        return None
    if name not in df.columns:
        raise SegmentationError(
            f"unknown column {name!r} given as {what}; the log has columns "
            f"{_quote_list(df.columns)}"
        )
    return df[name]


def _numbers(s: pd.Series, what: str) -> pd.Series:
    if pd.api.types.is_bool_dtype(s) or not pd.api.types.is_numeric_dtype(s):
        parsed = _parse_numbers(s)
        bad = s[parsed.isna() & s.notna()]
        if len(bad):
            raise SegmentationError(
                f"{what} column {s.name!r} holds text such as "
                f"{_quote_list(pd.unique(bad.astype(str))[:3])}; clean it first"
            )
        s = parsed
    return s.astype(np.float64)


def _tidy_ids(ids: pd.Series) -> pd.Series:
    """Float ids that are whole numbers (12346.0, as in Online Retail) -> Int64."""
    if pd.api.types.is_float_dtype(ids) and whole_numbers(ids.dropna()):
        return ids.astype("Int64")
    return ids


def rfm(
    transactions: pd.DataFrame,
    *,
    customer_id: str,
    date: str,
    amount: str | None = None,
    invoice: str | None = None,
    quantity: str | None = None,
    price: str | None = None,
    as_of=None,
    missing_ids: str = "warn",
) -> pd.DataFrame:
    """Per-customer recency, frequency, monetary value and tenure.

    Parameters
    ----------
    transactions : pandas.DataFrame
        One row per transaction line.
    customer_id : str
        Customer identifier column; missing values are counted and reported.
    date : str
        Transaction date column (datetime, or text pandas can parse).
    amount : str, optional
        Line amount column. When None, ``quantity * price``.
    invoice : str, optional
        Invoice number column. Frequency counts distinct purchase invoices; an
        invoice starting with ``"C"`` (Online Retail's convention) is a
        cancellation. Without it, frequency counts purchase lines.
    quantity, price : str, optional
        Quantity and unit price columns; a negative quantity is a return.
    as_of : date-like, optional
        The day RFM is measured at; default the latest date in the log.
        Transactions after it are left out and counted.
    missing_ids : {"warn", "ignore", "raise"}, default="warn"
        What to do about rows without a customer id (they are always left out
        of the table and counted in ``attrs["rfm"]``).

    Returns
    -------
    pandas.DataFrame
        One row per customer with at least one purchase, sorted by id:
        ``customer_id`` (named as the input column), ``recency`` (whole days
        from the last purchase to ``as_of``), ``frequency`` (purchases),
        ``monetary`` (sum of all amounts, returns subtracted) and ``tenure``
        (whole days from the first purchase to ``as_of``). ``attrs["rfm"]``
        holds a report: ``as_of``, ``n_rows``, ``n_missing_customer_id``,
        ``missing_customer_id_amount``, ``n_after_as_of``, ``n_bad_date``,
        ``n_return_lines``, ``return_amount``, ``n_customers``,
        ``n_customers_without_purchase`` (ids whose lines are all returns or
        zero amounts, left out: they have no purchase to date).

    Raises
    ------
    SegmentationError
        On an unknown column, no amount, text in a number column, or no
        customer left.

    Warns
    -----
    RFMWarning
        With ``missing_ids="warn"``, when rows have no customer id.

    Notes
    -----
    A line is a *return* when its amount or quantity is negative or its
    invoice starts with "C"; a *purchase* is any other line with a positive
    amount. Returns lower ``monetary`` but are not purchases, so they count
    neither for frequency nor for recency.

    Examples
    --------
    >>> import pandas as pd
    >>> log = pd.DataFrame({
    ...     "customer": [1, 1, 2, None],
    ...     "day": pd.to_datetime(["2024-01-01", "2024-01-31", "2024-01-21",
    ...                            "2024-01-30"]),
    ...     "amount": [10.0, 5.0, 7.0, 3.0]})
    >>> table = rfm(log, customer_id="customer", date="day", amount="amount",
    ...             missing_ids="ignore")
    >>> table.to_dict("list")  # doctest: +NORMALIZE_WHITESPACE
    {'customer': [1, 2], 'recency': [0, 10], 'frequency': [2, 1],
     'monetary': [15.0, 7.0], 'tenure': [30, 10]}
    >>> table.attrs["rfm"]["n_missing_customer_id"]
    1
    """
    if not isinstance(transactions, pd.DataFrame):
        raise SegmentationError(
            f"expected a pandas DataFrame of transactions, got "
            f"{type(transactions).__name__}"
        )
    if missing_ids not in MISSING_ID_POLICIES:
        raise SegmentationError(
            f"missing_ids={missing_ids!r} should be one of {_quote_list(MISSING_ID_POLICIES)}"
        )
    df = transactions
    ids = _column(df, customer_id, "customer_id")
    dates = _column(df, date, "date")
    amount_col = _column(df, amount, "amount")
    inv = _column(df, invoice, "invoice")
    qty = _column(df, quantity, "quantity")
    unit = _column(df, price, "price")
    if amount_col is not None:
        amounts = _numbers(amount_col, "amount")
    elif qty is not None and unit is not None:
        amounts = _numbers(qty, "quantity") * _numbers(unit, "price")
    else:
        raise SegmentationError(
            "no amount: pass amount='column', or quantity='column' and price='column'"
        )
    if not pd.api.types.is_datetime64_any_dtype(dates):
        dates = pd.to_datetime(dates, errors="coerce", format="mixed")
    is_return = amounts < 0
    if qty is not None:
        is_return |= _numbers(qty, "quantity") < 0
    if inv is not None:
        is_return |= inv.astype(str).str.upper().str.startswith("C").to_numpy()
    bad_date = dates.isna()
    as_of = dates.max() if as_of is None else pd.Timestamp(as_of)
    if pd.isna(as_of):
        raise SegmentationError(
            f"date column {date!r} has no valid date; check the column and its format"
        )
    after = dates > as_of
    no_id = ids.isna()
    n_missing = int(no_id.sum())
    report = {
        "as_of": as_of.isoformat(),
        "n_rows": len(df),
        "n_missing_customer_id": n_missing,
        "missing_customer_id_amount": float(amounts[no_id].sum()),
        "n_after_as_of": int(after.sum()),
        "n_bad_date": int(bad_date.sum()),
        "n_return_lines": int(is_return.sum()),
        "return_amount": float(amounts[is_return].sum()),
    }
    if n_missing and missing_ids != "ignore":
        message = (
            f"{n_missing} of {len(df)} transaction lines ({n_missing / len(df):.1%}) "
            f"have no {customer_id!r} and are left out of the RFM table "
            f"(amount {report['missing_customer_id_amount']:,.2f})"
        )
        if missing_ids == "raise":
            raise SegmentationError(message + "; fill or drop them first")
        warnings.warn(message, RFMWarning, stacklevel=2)

    keep = ~(no_id | bad_date | after)
    work = pd.DataFrame(
        {
            "id": _tidy_ids(ids[keep]),
            "date": dates[keep],
            "amount": amounts[keep],
            "purchase": (amounts[keep] > 0) & ~is_return[keep],
        }
    )
    if inv is not None:
        work["invoice"] = inv[keep].astype(str)
    purchases = work[work["purchase"]]
    g = purchases.groupby("id", sort=True)
    frequency = g["invoice"].nunique() if inv is not None else g.size()
    table = pd.DataFrame(
        {
            "last": g["date"].max(),
            "first": g["date"].min(),
            "frequency": frequency,
        }
    )
    table["monetary"] = work.groupby("id")["amount"].sum().reindex(table.index)
    day = pd.Timedelta(days=1)
    table["recency"] = ((as_of - table["last"]) // day).astype(np.int64)
    table["tenure"] = ((as_of - table["first"]) // day).astype(np.int64)
    table["frequency"] = table["frequency"].astype(np.int64)
    all_ids = work["id"].nunique()
    report["n_customers"] = len(table)
    report["n_customers_without_purchase"] = int(all_ids - len(table))
    if len(table) == 0:
        raise SegmentationError(
            "no customer has a purchase (positive amount) on or before as_of; "
            "check the amount, date and as_of arguments"
        )
    out = table.reset_index(names=customer_id)[
        [customer_id, "recency", "frequency", "monetary", "tenure"]
    ]
    out.attrs["rfm"] = report
    return out
