"""Demo data: the bundled UCI Wholesale customers table and seeded generators.

- :func:`load_wholesale`: 440 real wholesale clients (UCI #292, CC BY 4.0,
  Cardoso 2014, DOI 10.24432/C5030X; the credit is in
  ``data/LICENSE-DATA.md``).
- :func:`make_customers`: a synthetic customer table of any size with skewed
  money columns, categories, missing values, an id column and planted segments.
- :func:`make_transactions`: a synthetic transaction log shaped like UCI
  Online Retail (invoices, cancellations, missing customer ids).
"""

from __future__ import annotations

from importlib import resources

import numpy as np

__all__ = [
    "WHOLESALE_SPENDING",
    "load_wholesale",
    "make_customers",
    "make_transactions",
    "wholesale_description",
]

#: The six annual-spending columns of the Wholesale customers table.
WHOLESALE_SPENDING = [
    "Fresh",
    "Milk",
    "Grocery",
    "Frozen",
    "Detergents_Paper",
    "Delicassen",
]
_CHANNELS = {1: "Horeca", 2: "Retail"}
_REGIONS = {1: "Lisbon", 2: "Oporto", 3: "Other"}
_CITATION = (
    "Cardoso, M. (2014). Wholesale customers [Dataset]. UCI Machine Learning "
    "Repository. https://doi.org/10.24432/C5030X (CC BY 4.0)"
)


def _data_file(name: str):
    return resources.files("segmint.datasets").joinpath("data", name)


def wholesale_description() -> str:
    """Description of the Wholesale customers table (columns, source, licence)."""
    return _data_file("wholesale_customers.md").read_text(encoding="utf-8")


def load_wholesale(*, decode: bool = False, as_frame: bool = True):
    """Load the UCI Wholesale customers table (440 rows x 8 columns).

    Parameters
    ----------
    decode : bool, default=False
        If True, ``Channel`` and ``Region`` become pandas categoricals with
        their names (``"Horeca"``/``"Retail"``, ``"Lisbon"``/``"Oporto"``/
        ``"Other"``) instead of the original integer codes.
    as_frame : bool, default=True
        If False, return a :class:`sklearn.utils.Bunch` instead, with ``frame``
        (the DataFrame), ``data`` (float64 array of the six spending columns),
        ``feature_names``, ``channel`` and ``region`` (int arrays) and
        ``DESCR``.

    Returns
    -------
    pandas.DataFrame or sklearn.utils.Bunch
        Columns ``Channel``, ``Region`` and the six spending columns
        (:data:`WHOLESALE_SPENDING`), int64, none missing. ``attrs`` holds
        ``description``, ``citation`` and ``spending_columns``.

    Notes
    -----
    Source: UCI Machine Learning Repository #292, donated by M. G. M. S.
    Cardoso (2014), DOI 10.24432/C5030X, licence CC BY 4.0. Shipped with
    LF line endings; values unchanged.

    Examples
    --------
    >>> from segmint.datasets import load_wholesale
    >>> df = load_wholesale()
    >>> df.shape, round(float(df["Fresh"].mean()), 2)
    ((440, 8), 12000.3)
    >>> load_wholesale(decode=True)["Channel"].value_counts().to_dict()
    {'Horeca': 298, 'Retail': 142}
    """
    import pandas as pd

    with _data_file("wholesale_customers.csv").open("rb") as fh:
        df = pd.read_csv(fh)
    if decode:
        df["Channel"] = pd.Categorical(
            df["Channel"].map(_CHANNELS), categories=list(_CHANNELS.values())
        )
        df["Region"] = pd.Categorical(
            df["Region"].map(_REGIONS), categories=list(_REGIONS.values())
        )
    description = wholesale_description()
    df.attrs.update(
        description=description,
        citation=_CITATION,
        spending_columns=list(WHOLESALE_SPENDING),
    )
    if as_frame:
        return df
    from sklearn.utils import Bunch

    return Bunch(
        frame=df,
        data=df[WHOLESALE_SPENDING].to_numpy(dtype=np.float64),
        feature_names=list(WHOLESALE_SPENDING),
        channel=df["Channel"].to_numpy(),
        region=df["Region"].to_numpy(),
        DESCR=description,
    )


# Customer archetypes planted by make_customers: (weight, age mean, annual
# spend median, orders per year mean, days since last order mean, discount
# share mean, support tickets mean, P(channel = online, store, both),
# P(region = north, south, east, west)).
_ARCHETYPES = [
    (0.20, 48, 6000.0, 24.0, 9.0, 0.05, 0.5, (0.2, 0.3, 0.5), (0.4, 0.2, 0.2, 0.2)),
    (0.35, 36, 900.0, 10.0, 25.0, 0.45, 1.0, (0.6, 0.2, 0.2), (0.25, 0.25, 0.25, 0.25)),
    (0.25, 55, 400.0, 2.0, 200.0, 0.10, 0.3, (0.1, 0.8, 0.1), (0.2, 0.4, 0.2, 0.2)),
    (0.20, 27, 1500.0, 8.0, 12.0, 0.20, 2.5, (0.9, 0.05, 0.05), (0.2, 0.2, 0.4, 0.2)),
    (0.10, 42, 15000.0, 4.0, 60.0, 0.02, 0.2, (0.3, 0.6, 0.1), (0.1, 0.1, 0.1, 0.7)),
    (0.15, 65, 700.0, 30.0, 5.0, 0.30, 0.8, (0.05, 0.9, 0.05), (0.3, 0.3, 0.3, 0.1)),
]
_CHANNEL_NAMES = ["online", "store", "both"]
_REGION_NAMES = ["North", "South", "East", "West"]


def _archetypes(n_segments, rng):
    if n_segments <= len(_ARCHETYPES):
        return _ARCHETYPES[:n_segments]
    extra = []
    for _ in range(n_segments - len(_ARCHETYPES)):
        extra.append(
            (
                rng.uniform(0.05, 0.3),
                rng.uniform(20, 70),
                float(np.exp(rng.uniform(np.log(200), np.log(20000)))),
                rng.uniform(1, 40),
                rng.uniform(3, 250),
                rng.uniform(0.0, 0.6),
                rng.uniform(0.1, 3.0),
                tuple(rng.dirichlet(np.ones(3))),
                tuple(rng.dirichlet(np.ones(4))),
            )
        )
    return _ARCHETYPES + extra


def _check_count(value, name, minimum=1):
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, np.integer))
        or value < minimum
    ):
        raise ValueError(f"{name}={value!r} should be a whole number >= {minimum}")
    return int(value)


def _check_rate(value, name):
    if not 0.0 <= value < 1.0:
        raise ValueError(f"{name}={value!r} should be in [0, 1)")
    return float(value)


def make_customers(
    n: int = 1000,
    *,
    n_segments: int = 4,
    missing_rate: float = 0.02,
    random_state=0,
    return_segments: bool = False,
):
    """A synthetic customer table with planted segments.

    Parameters
    ----------
    n : int, default=1000
        Rows (customers).
    n_segments : int, default=4
        Planted segments: the first six are fixed archetypes (loyal high
        spenders, discount seekers, lapsed, young online, big occasional
        buyers, frequent seniors), more are drawn at random.
    missing_rate : float, default=0.02
        Share of values set missing in ``age``, ``annual_spend``,
        ``days_since_last_order``, ``region`` and ``channel``.
    random_state : int or numpy.random.Generator, default=0
    return_segments : bool, default=False
        If True, also return the planted segment of every row.

    Returns
    -------
    customers : pandas.DataFrame
        Columns ``customer_id`` (str, unique), ``signup_date`` (datetime),
        ``region`` and ``channel`` (str), ``age`` (float, whole years),
        ``annual_spend`` (float, money, log-normal within a segment),
        ``orders_per_year`` (int), ``avg_order_value`` (float),
        ``days_since_last_order`` (float), ``discount_share`` (float in
        [0, 1]) and ``support_tickets`` (int).
    segments : numpy.ndarray of int, shape (n,)
        Only if ``return_segments``.

    Examples
    --------
    >>> from segmint.datasets import make_customers
    >>> df, truth = make_customers(200, random_state=1, return_segments=True)
    >>> df.shape, sorted(set(truth.tolist()))
    ((200, 11), [0, 1, 2, 3])
    """
    import pandas as pd

    n = _check_count(n, "n")
    n_segments = _check_count(n_segments, "n_segments")
    missing_rate = _check_rate(missing_rate, "missing_rate")
    rng = np.random.default_rng(random_state)
    arche = _archetypes(n_segments, rng)
    weights = np.array([a[0] for a in arche])
    seg = rng.choice(len(arche), size=n, p=weights / weights.sum())
    par = [np.array([a[i] for a in arche])[seg] for i in range(1, 7)]
    age_mu, spend_med, orders_mu, recency_mu, discount_mu, tickets_mu = par
    age = np.clip(np.round(rng.normal(age_mu, 7.0)), 18, 95)
    spend = spend_med * rng.lognormal(0.0, 0.5, size=n)
    orders = 1 + rng.poisson(np.maximum(orders_mu - 1, 0.1))
    recency = rng.exponential(recency_mu)
    a = 8.0 * np.clip(discount_mu, 0.01, 0.99)
    discount = rng.beta(a, 8.0 - a)
    tickets = rng.poisson(tickets_mu)
    channel = np.empty(n, dtype=object)
    region = np.empty(n, dtype=object)
    for s, spec in enumerate(arche):
        rows = np.flatnonzero(seg == s)
        channel[rows] = rng.choice(_CHANNEL_NAMES, size=len(rows), p=spec[7])
        region[rows] = rng.choice(_REGION_NAMES, size=len(rows), p=spec[8])
    signup = pd.Timestamp("2018-01-01") + pd.to_timedelta(
        rng.integers(0, 6 * 365, size=n), unit="D"
    )
    df = pd.DataFrame(
        {
            "customer_id": [f"C{i:07d}" for i in range(1, n + 1)],
            "signup_date": signup,
            "region": region,
            "channel": channel,
            "age": age,
            "annual_spend": np.round(spend, 2),
            "orders_per_year": orders.astype(np.int64),
            "avg_order_value": np.round(spend / orders, 2),
            "days_since_last_order": np.round(recency, 1),
            "discount_share": np.round(discount, 3),
            "support_tickets": tickets.astype(np.int64),
        }
    )
    for col in ("age", "annual_spend", "days_since_last_order", "region", "channel"):
        holes = rng.random(n) < missing_rate
        df.loc[holes, col] = np.nan
    if return_segments:
        return df, seg.astype(np.int64)
    return df


def make_transactions(
    n_customers: int = 500,
    *,
    start="2023-01-01",
    end="2023-12-31",
    invoices_per_customer: float = 5.0,
    missing_id_rate: float = 0.05,
    return_rate: float = 0.03,
    n_products: int = 300,
    random_state=0,
):
    """A synthetic transaction log shaped like UCI Online Retail.

    Customers differ in activity (log-normal invoice rates), first purchase
    date and basket size; products have log-normal prices and Zipf-like
    popularity.

    Parameters
    ----------
    n_customers : int, default=500
        Customers with at least one invoice.
    start, end : date-like
        Period covered.
    invoices_per_customer : float, default=5.0
        Mean invoices per customer (the median is lower: rates are skewed).
    missing_id_rate : float, default=0.05
        Share of invoices without a customer id (guest checkouts); Online
        Retail has about 25 %.
    return_rate : float, default=0.03
        Share of invoices later partly cancelled: a ``"C"`` invoice with
        negative quantities, up to 30 days later.
    n_products : int, default=300
    random_state : int or numpy.random.Generator, default=0

    Returns
    -------
    pandas.DataFrame
        Columns as Online Retail: ``InvoiceNo`` (str, ``"C"`` prefix for
        cancellations), ``StockCode`` (str), ``Quantity`` (int64, negative for
        returns), ``InvoiceDate`` (datetime64), ``UnitPrice`` (float64),
        ``CustomerID`` (float64, NaN when missing) and ``Country`` (str);
        sorted by date.

    Examples
    --------
    >>> from segmint.datasets import make_transactions
    >>> log = make_transactions(100, random_state=0)
    >>> list(log.columns)  # doctest: +NORMALIZE_WHITESPACE
    ['InvoiceNo', 'StockCode', 'Quantity', 'InvoiceDate', 'UnitPrice',
     'CustomerID', 'Country']
    >>> bool((log["Quantity"] < 0).any()), bool(log["CustomerID"].isna().any())
    (True, True)
    """
    import pandas as pd

    n_customers = _check_count(n_customers, "n_customers")
    n_products = _check_count(n_products, "n_products")
    missing_id_rate = _check_rate(missing_id_rate, "missing_id_rate")
    return_rate = _check_rate(return_rate, "return_rate")
    if not invoices_per_customer >= 1.0:
        raise ValueError(
            f"invoices_per_customer={invoices_per_customer!r} should be >= 1"
        )
    t0, t1 = pd.Timestamp(start), pd.Timestamp(end)
    if not t1 > t0:
        raise ValueError(f"end={end!r} should be after start={start!r}")
    rng = np.random.default_rng(random_state)
    span = (t1 - t0).total_seconds()

    # customers: activity rate (skewed), first purchase, basket size, country
    rate = rng.lognormal(0.0, 0.8, size=n_customers)
    rate *= (invoices_per_customer - 1.0) / rate.mean()
    n_inv = 1 + rng.poisson(rate)
    first = rng.uniform(0.0, 0.9, size=n_customers) ** 2  # more early customers
    basket = rng.lognormal(0.0, 0.6, size=n_customers)
    countries = np.array(["United Kingdom", "Germany", "France", "EIRE", "Spain"])
    country = rng.choice(countries, size=n_customers, p=[0.8, 0.06, 0.06, 0.05, 0.03])
    ids = rng.choice(
        np.arange(12346, 12346 + 10 * n_customers), n_customers, replace=False
    )

    # invoices
    cust = np.repeat(np.arange(n_customers), n_inv)
    when = first[cust] + (1.0 - first[cust]) * rng.random(len(cust))
    inv_time = t0 + pd.to_timedelta(np.round(when * span), unit="s")
    guest = rng.random(len(cust)) < missing_id_rate

    # lines
    n_lines = 1 + rng.poisson(3.0, size=len(cust))
    line_inv = np.repeat(np.arange(len(cust)), n_lines)
    popularity = 1.0 / np.arange(1, n_products + 1) ** 1.1
    product = rng.choice(
        n_products, size=len(line_inv), p=popularity / popularity.sum()
    )
    price = np.round(rng.lognormal(1.0, 0.8, size=n_products), 2) + 0.05
    qty = 1 + rng.geometric(1.0 / (1.0 + 5.0 * basket[cust[line_inv]]))

    # cancellations of some invoices: a part of their lines, a few days later
    cancelled = np.flatnonzero(rng.random(len(cust)) < return_rate)
    ret_lines = np.flatnonzero(
        np.isin(line_inv, cancelled) & (rng.random(len(line_inv)) < 0.6)
    )
    ret_delay = pd.to_timedelta(rng.integers(1, 31, size=len(cancelled)), unit="D")
    ret_time = pd.Series(inv_time[cancelled] + ret_delay).clip(upper=t1).to_numpy()

    # invoice numbers in date order, as a shop would issue them
    all_times = np.concatenate([np.asarray(inv_time), ret_time])
    order = np.argsort(all_times, kind="stable")
    numbers = np.empty(len(all_times), dtype=np.int64)
    numbers[order] = 536365 + np.arange(len(all_times))
    sale_no = numbers[: len(cust)].astype(str)
    ret_no = np.char.add("C", numbers[len(cust) :].astype(str))

    # cancelled is sorted (flatnonzero): position of each line's invoice in it
    ret_of_line = np.searchsorted(cancelled, line_inv[ret_lines])
    customer_ids = np.where(guest, np.nan, ids[cust].astype(np.float64))
    sale = pd.DataFrame(
        {
            "InvoiceNo": sale_no[line_inv],
            "StockCode": (10000 + product).astype(str),
            "Quantity": qty.astype(np.int64),
            "InvoiceDate": np.asarray(inv_time)[line_inv],
            "UnitPrice": price[product],
            "CustomerID": customer_ids[line_inv],
            "Country": country[cust[line_inv]],
        }
    )
    returns = pd.DataFrame(
        {
            "InvoiceNo": ret_no[ret_of_line],
            "StockCode": sale["StockCode"].to_numpy()[ret_lines],
            "Quantity": -np.maximum(
                1, qty[ret_lines] // rng.integers(1, 3, len(ret_lines))
            ),
            "InvoiceDate": ret_time[ret_of_line],
            "UnitPrice": price[product[ret_lines]],
            "CustomerID": customer_ids[line_inv[ret_lines]],
            "Country": country[cust[line_inv[ret_lines]]],
        }
    )
    log = pd.concat([sale, returns], ignore_index=True)
    log["Quantity"] = log["Quantity"].astype(np.int64)
    log = log.sort_values(
        ["InvoiceDate", "InvoiceNo"], kind="stable", ignore_index=True
    )
    return log
