"""A synthetic credit-application data set with known drivers, a planted disparity and drift.

Every number below is part of the documented generating process; ``credit.md`` (the datasheet
shipped next to this module) says the same in prose. The shipped file
``data/credit.csv.gz`` is ``generate_credit()`` written to CSV, and a test checks that
regenerating it gives the identical frame, so the file and this description cannot diverge.

Generating process (``n`` applications, ``rng = np.random.default_rng(random_state)``)
--------------------------------------------------------------------------------------
Applications are split in equal thirds over ``application_year`` 2022, 2023 and 2024. Per
applicant, in this order:

- ``sex``: female with probability 0.47, otherwise male.
- ``age``: Normal(41, 12.5) years, rounded, clipped to [18, 80].
- ``credit_history_months``: (age - 18) * 12 * Beta(5, 2) plus a uniform 0-11 months.
- ``employment_type``: part-time with probability 0.42 for women and 0.08 for men (the proxy
  of the planted disparity), self-employed 0.10, otherwise full-time.
- ``employment_years``: (age - 18) * Beta(2, 3), one decimal.
- ``income`` (USD a year): 50 000 * exp(0.015 a - 0.0004 a^2 - 0.55 [part-time]
  + 0.05 [self-employed] - 0.18 [female] + 0.06 [2024] + Normal(0, 0.42)) with a = age - 40;
  0.25 % of applicants are genuine high earners, income times Uniform(8, 20); rounded to 100.
- ``home_ownership``: rent, mortgage or own, multinomial logit with logits 0,
  -2 + 0.06 (age - 18) + 0.6 ln(income / 50 000) and -3.5 + 0.07 (age - 18) + 0.3 ln(income / 50 000).
- ``credit_utilization``: Beta(2, 4.5) (mean 0.31); in 2024 Beta(2.8, 4) (mean 0.41): drift.
- ``late_payments_2y``: Poisson(0.15 + credit_utilization), at most 12.
- ``debt_to_income``: Beta(2.5, 6) + 0.04 [mortgage], clipped to [0, 0.95], three decimals.
- ``loan_purpose``: debt_consolidation 36 %, credit_card 15 %, home_improvement 13 %, car 14 %,
  medical 8 %, education 7 %, small_business 7 %.
- ``loan_amount`` (USD): 9 000 * (income / 50 000)^0.45 * purpose factor * LogNormal(0, 0.5),
  times 1.35 in 2024 (drift), rounded to 100, clipped to [1 000, 60 000]. Purpose factors
  exp(.): debt_consolidation 0, credit_card -0.2, home_improvement 0.4, car 0.25, medical -0.6,
  education -0.1, small_business 0.5.
- ``months_at_address``: Geometric(1/40) - 1, at most 480, independent of everything else:
  the known dummy, with no effect on the outcome.
- ``repaid`` ~ Bernoulli(sigmoid(z)), z given by :func:`credit_log_odds`.
- Then values are hidden completely at random: ``employment_years`` for 3 % of rows and
  ``sex`` for 2.5 % (the labels were drawn from the full values).
- ``age_band`` is cut from ``age``: 18-29, 30-44, 45-59, 60+.

The concept does not drift: 2024 applications follow the same :func:`credit_log_odds`; only
the inputs shift (higher utilization, inflated loan amounts and, a little, incomes).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["CreditSplits", "credit_log_odds", "credit_splits", "generate_credit", "load_credit"]

N_APPLICATIONS = 6000
YEARS = (2022, 2023, 2024)
TEST_YEAR = 2024
TARGET = "repaid"
SENSITIVE = ("sex", "age_band")
FEATURES = (
    "age",
    "income",
    "debt_to_income",
    "credit_utilization",
    "credit_history_months",
    "late_payments_2y",
    "employment_years",
    "employment_type",
    "loan_amount",
    "loan_purpose",
    "home_ownership",
    "months_at_address",
)
COLUMNS = ("application_id", "application_year", *FEATURES, *SENSITIVE, TARGET)
CATEGORIES: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        "employment_type": ("full_time", "part_time", "self_employed"),
        "loan_purpose": (
            "debt_consolidation",
            "credit_card",
            "home_improvement",
            "car",
            "medical",
            "education",
            "small_business",
        ),
        "home_ownership": ("rent", "mortgage", "own"),
        "sex": ("female", "male"),
        "age_band": ("18-29", "30-44", "45-59", "60+"),
    }
)
"""The categories of each categorical column, in code order."""
_PURPOSE_SHARE = (0.36, 0.15, 0.13, 0.14, 0.08, 0.07, 0.07)
_PURPOSE_AMOUNT = (0.0, -0.2, 0.4, 0.25, -0.6, -0.1, 0.5)  # ln of the loan-amount factor
_PURPOSE_EFFECT = (-0.2, 0.0, 0.25, 0.15, -0.4, -0.1, -0.6)  # on the log-odds of repaid
_AGE_EDGES = (29, 44, 59)
LABEL_BIAS = -0.6
"""Historical label bias: added to the log-odds of repaid for women (see :func:`credit_log_odds`)."""
DATA_FILE = "credit.csv.gz"


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-z))


def _indicator(frame: pd.DataFrame, column: str, value: str) -> np.ndarray:
    values = frame[column].astype(object)
    return np.where(values.isna(), np.nan, (values == value).astype(float))


def credit_log_odds(frame: pd.DataFrame, *, label_bias: bool = True) -> np.ndarray:
    """The true log-odds of ``repaid`` that generated the labels: the ground truth of explanations.

    ::

        z =  3.0
           + 0.9  * ln(income / 50 000)                        income, log scale
           - 3.5  * (debt_to_income - 0.3)
           - 6.0  * max(credit_utilization - 0.35, 0)          non-linear: a hinge at 35 %
           - 0.6  * late_payments_2y
           + 0.15 * ln(1 + credit_history_months / 12)         concave
           + 0.035 * min(employment_years, 10)                 capped at 10 years
           - 0.6  * [part_time] - 0.3 * [self_employed]
           - 2.3  * loan_amount / income                       interaction of amount and income
           + 0.25 * [mortgage] + 0.4 * [own]
           + purpose effect   (debt_consolidation -0.2, credit_card 0, home_improvement 0.25,
                               car 0.15, medical -0.4, education -0.1, small_business -0.6)
           - 0.6  * [female]                                   historical label bias
           + 0    * months_at_address, 0 * age                 no direct effect

    The last sex term is not creditworthiness: it models how outcomes were recorded (loans in
    hardship forbearance, taken more often by women, e.g. around parental leave, were coded as
    not repaid), so the labels carry a bias no model input can justify. ``age`` acts only
    through its correlates (history, income, tenure, home ownership); ``months_at_address``
    has no effect at all.

    Parameters
    ----------
    frame : DataFrame
        Columns of :func:`generate_credit` (``sex`` only with ``label_bias``).
    label_bias : bool, default True
        Include the historical label-bias term (the log-odds the labels were drawn from); without
        it, the applicant's creditworthiness alone.

    Returns
    -------
    ndarray of shape (n,)
        NaN where an input is missing: those values were hidden after the labels were drawn.

    Examples
    --------
    >>> frame = generate_credit(n=300)
    >>> z = credit_log_odds(frame)
    >>> z.shape, bool(np.isnan(z).any())
    ((300,), True)
    >>> shuffled = frame.assign(months_at_address=frame["months_at_address"].to_numpy()[::-1])
    >>> np.array_equal(credit_log_odds(shuffled), z, equal_nan=True)
    True
    """
    income = frame["income"].to_numpy(float)
    effects = dict(zip(CATEGORIES["loan_purpose"], _PURPOSE_EFFECT, strict=True))
    purpose = frame["loan_purpose"].astype(object).map(effects)
    z = (
        3.0
        + 0.9 * np.log(income / 50_000)
        - 3.5 * (frame["debt_to_income"].to_numpy(float) - 0.3)
        - 6.0 * np.maximum(frame["credit_utilization"].to_numpy(float) - 0.35, 0.0)
        - 0.6 * frame["late_payments_2y"].to_numpy(float)
        + 0.15 * np.log1p(frame["credit_history_months"].to_numpy(float) / 12)
        + 0.035 * np.minimum(frame["employment_years"].to_numpy(float), 10)
        - 0.6 * _indicator(frame, "employment_type", "part_time")
        - 0.3 * _indicator(frame, "employment_type", "self_employed")
        - 2.3 * frame["loan_amount"].to_numpy(float) / income
        + 0.25 * _indicator(frame, "home_ownership", "mortgage")
        + 0.4 * _indicator(frame, "home_ownership", "own")
        + purpose.to_numpy(float)
    )
    if label_bias:
        z = z + LABEL_BIAS * _indicator(frame, "sex", "female")
    return np.asarray(z, dtype=float)


def _applicants(rng: np.random.Generator, year: np.ndarray) -> dict[str, np.ndarray]:
    n = year.size
    female = rng.random(n) < 0.47
    age = np.clip(np.rint(rng.normal(41, 12.5, n)), 18, 80).astype(np.int64)
    history = np.floor((age - 18) * 12 * rng.beta(5, 2, n) + rng.integers(0, 12, n)).astype(np.int64)
    u = rng.random(n)
    part_time = np.where(female, 0.42, 0.08)
    kind = np.where(u < part_time, 1, np.where(u < part_time + 0.10, 2, 0))  # codes of employment_type
    tenure = np.round((age - 18) * rng.beta(2, 3, n), 1)
    a = age - 40.0
    log_income = (
        0.015 * a
        - 0.0004 * a**2
        - 0.55 * (kind == 1)
        + 0.05 * (kind == 2)
        - 0.18 * female
        + 0.06 * (year == TEST_YEAR)
        + rng.normal(0, 0.42, n)
    )
    income = 50_000 * np.exp(log_income)
    high_earner = rng.random(n) < 0.0025
    income = np.round(np.where(high_earner, income * rng.uniform(8, 20, n), income), -2)
    rel = np.log(income / 50_000)
    logits = np.column_stack([np.zeros(n), -2.0 + 0.06 * (age - 18) + 0.6 * rel, -3.5 + 0.07 * (age - 18) + 0.3 * rel])
    p = np.exp(logits)
    p /= p.sum(axis=1, keepdims=True)
    home = (rng.random(n)[:, None] > p.cumsum(axis=1)).sum(axis=1).clip(0, 2)
    return {
        "female": female,
        "age": age,
        "credit_history_months": history,
        "employment_type": kind,
        "employment_years": tenure,
        "income": income.astype(np.int64),
        "home_ownership": home,
    }


def _credit_and_loan(rng: np.random.Generator, year: np.ndarray, person: dict[str, np.ndarray]) -> dict[str, Any]:
    n = year.size
    new = year == TEST_YEAR
    utilization = np.round(np.where(new, rng.beta(2.8, 4.0, n), rng.beta(2.0, 4.5, n)), 3)
    late = np.minimum(rng.poisson(0.15 + utilization), 12).astype(np.int64)
    dti = np.round(np.clip(rng.beta(2.5, 6.0, n) + 0.04 * (person["home_ownership"] == 1), 0, 0.95), 3)
    purpose = rng.choice(len(_PURPOSE_SHARE), size=n, p=_PURPOSE_SHARE)
    log_amount = (
        np.log(9000)
        + 0.45 * np.log(person["income"] / 50_000)
        + np.asarray(_PURPOSE_AMOUNT)[purpose]
        + rng.normal(0, 0.5, n)
        + np.log(1.35) * new
    )
    amount = np.clip(np.round(np.exp(log_amount), -2), 1000, 60_000).astype(np.int64)
    months_at_address = np.minimum(rng.geometric(1 / 40, n) - 1, 480).astype(np.int64)
    return {
        "credit_utilization": utilization,
        "late_payments_2y": late,
        "debt_to_income": dti,
        "loan_purpose": purpose,
        "loan_amount": amount,
        "months_at_address": months_at_address,
    }


def _categorical(codes_or_values: Any, column: str) -> pd.Categorical:
    categories = list(CATEGORIES[column])
    values = np.asarray(codes_or_values)
    if values.dtype.kind in "iu":
        return pd.Categorical.from_codes(values, categories=categories)
    return pd.Categorical(values, categories=categories)


def generate_credit(n: int = N_APPLICATIONS, random_state: int = 0) -> pd.DataFrame:
    """Generate the credit applications by the documented process (see the module docstring).

    Parameters
    ----------
    n : int, default 6000
        Number of applications, split in equal thirds over 2022, 2023 and 2024.
    random_state : int, default 0
        Seed of ``np.random.default_rng``; the same seed gives the same frame.

    Returns
    -------
    DataFrame
        One row per application: ``application_id``, ``application_year``, the twelve model
        features, the sensitive attributes ``sex`` and ``age_band`` (category dtype, missing
        values allowed), and the target ``repaid`` (1 = repaid, the favourable outcome).

    Examples
    --------
    >>> frame = generate_credit(n=600)
    >>> frame.shape, frame["application_year"].value_counts().sort_index().tolist()
    ((600, 17), [200, 200, 200])
    >>> frame.equals(generate_credit(n=600))
    True
    """
    if n < 3:
        raise ValueError(f"n must be at least 3 (one application per year); got {n}.")
    rng = np.random.default_rng(random_state)
    year = np.asarray(YEARS, dtype=np.int64)[np.arange(n) * len(YEARS) // n]
    person = _applicants(rng, year)
    columns: dict[str, Any] = {"application_id": np.arange(1, n + 1, dtype=np.int64), "application_year": year}
    columns |= {k: v for k, v in person.items() if k != "female"}
    columns |= _credit_and_loan(rng, year, person)
    for name in ("employment_type", "loan_purpose", "home_ownership"):
        columns[name] = _categorical(columns[name], name)
    columns["sex"] = _categorical(np.where(person["female"], 0, 1), "sex")
    columns["age_band"] = _categorical(np.searchsorted(_AGE_EDGES, person["age"], side="left"), "age_band")
    frame = pd.DataFrame(columns)
    frame[TARGET] = (rng.random(n) < _sigmoid(credit_log_odds(frame))).astype(np.int64)
    frame["employment_years"] = frame["employment_years"].mask(rng.random(n) < 0.03)
    frame["sex"] = frame["sex"].mask(rng.random(n) < 0.025)
    return frame.loc[:, list(COLUMNS)]


def _from_csv(source: Any) -> pd.DataFrame:
    frame = pd.read_csv(source, compression="gzip")
    for name in CATEGORIES:
        frame[name] = _categorical(frame[name].astype(object), name)
    frame["employment_years"] = frame["employment_years"].astype(float)
    return frame.loc[:, list(COLUMNS)]


def load_credit() -> pd.DataFrame:
    """Read the shipped credit applications (``generate_credit()``, 6 000 rows).

    Returns
    -------
    DataFrame
        The frame of :func:`generate_credit` with its defaults; see the datasheet ``credit.md``.

    Examples
    --------
    >>> frame = load_credit()
    >>> frame.shape, round(float(frame["repaid"].mean()), 3)
    ((6000, 17), 0.763)
    """
    with resources.files(__package__).joinpath("data", DATA_FILE).open("rb") as f:
        return _from_csv(f)


@dataclass(frozen=True)
class CreditSplits:
    """The out-of-time demo split: train on 2022-2023 applications, test on 2024.

    ``X_train`` and ``X_test`` hold the model features *and* the sensitive columns (for the
    bias audit; indexed by ``application_id``); fit a model on ``X[list(features)]`` only.
    """

    X_train: pd.DataFrame
    y_train: pd.Series
    X_test: pd.DataFrame
    y_test: pd.Series
    features: tuple[str, ...]
    sensitive: tuple[str, ...]
    target: str


def credit_splits(random_state: int = 0) -> CreditSplits:
    """Split the credit data out of time: 2022-2023 to train, 2024 (the drifted year) to test.

    Parameters
    ----------
    random_state : int, default 0
        Seed of the generating process. 0 reads the shipped file (identical to
        ``generate_credit(random_state=0)``); another seed generates a fresh draw.

    Returns
    -------
    CreditSplits

    Examples
    --------
    >>> split = credit_splits()
    >>> split.X_train.shape, split.X_test.shape, split.sensitive, split.target
    ((4000, 14), (2000, 14), ('sex', 'age_band'), 'repaid')
    """
    frame = load_credit() if random_state == 0 else generate_credit(random_state=random_state)
    frame = frame.set_index("application_id")
    test = (frame["application_year"] == TEST_YEAR).to_numpy()
    X = frame.loc[:, [*FEATURES, *SENSITIVE]]
    y = frame[TARGET]
    return CreditSplits(X[~test], y[~test], X[test], y[test], FEATURES, SENSITIVE, TARGET)


def write_credit(path: str | Path) -> Path:
    """Write ``generate_credit()`` as gzip CSV with a pinned header time, so the bytes repeat."""
    path = Path(path)
    frame = generate_credit()
    frame.to_csv(path, index=False, compression={"method": "gzip", "mtime": 0, "compresslevel": 9})
    return path
