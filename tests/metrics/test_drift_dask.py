"""metrics.drift of dask DataFrames (explain.metrics.drift_dask), without a cluster (partitions
one after another here): the in-memory numbers, exactly, where they are decomposable; a KS
statistic on a grid bounded around the exact one otherwise."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import explain.metrics.drift_dask as drift_dask
from explain.datasets import credit_splits
from explain.errors import FeatureMismatchError, InputError
from explain.metrics import drift

dd = pytest.importorskip("dask.dataframe")
da = pytest.importorskip("dask.array")

COLUMNS = [
    "kind",
    "psi",
    "psi_flag",
    "psi_noise",
    "psi_p_value",
    "psi_significant",
    "test",
    "statistic",
    "p_value",
    "bins",
    "missing_reference",
    "missing_current",
]


def _equal(a: pd.DataFrame, b: pd.DataFrame, columns: list[str] = COLUMNS) -> None:
    assert list(a.index) == list(b.index)
    for c in columns:
        left, right = a[c].to_numpy(dtype=object), b[c].to_numpy(dtype=object)
        same = [x == y or (pd.isna(x) and pd.isna(y)) for x, y in zip(left, right, strict=True)]
        assert all(same), (c, a[c][~np.array(same)], b[c][~np.array(same)])


@pytest.fixture(scope="module")
def credit():
    d = credit_splits()
    ref, cur = d.X_train.copy(), d.X_test.copy()
    ref.loc[ref.index[::7], "income"] = np.nan  # missing values on one side: a bin of their own
    cur["empty"], ref["empty"] = np.nan, np.nan  # no value on either side: no KS test
    return ref, cur


def test_dask_on_either_side_equals_memory_to_the_bit(credit):
    ref, cur = credit
    expected = drift(ref, cur)
    for reference, current in (
        (dd.from_pandas(ref, npartitions=3), dd.from_pandas(cur, npartitions=4)),
        (ref, dd.from_pandas(cur, npartitions=5)),
        (dd.from_pandas(ref, npartitions=2), cur),
    ):
        got = drift(reference, current)
        _equal(expected, got)
        assert got["statistic_exact"].all()
    assert np.isnan(expected.loc["empty", "statistic"])


def test_large_reference_exact_quantiles_and_ks_on_a_grid(credit, monkeypatch):
    # few distinct values allowed: the reference's deciles are found by narrowing (exact), and the
    # KS statistic of the columns with many values is compared on a grid
    ref, cur = credit
    monkeypatch.setattr(drift_dask, "EXACT_VALUES", 30)
    monkeypatch.setattr(drift_dask, "GATHER_VALUES", 40)
    expected = drift(ref, cur)
    got = drift(dd.from_pandas(ref, npartitions=3), dd.from_pandas(cur, npartitions=4))
    _equal(expected, got, ["kind", "psi", "psi_flag", "bins", "missing_reference", "missing_current"])
    grid = got[~got["statistic_exact"]]
    assert {"income", "debt_to_income", "loan_amount"} <= set(grid.index)
    exact = expected.loc[grid.index]
    assert (grid["statistic"] <= exact["statistic"] + 1e-12).all()
    assert (exact["statistic"] <= grid["statistic_upper"] + 1e-12).all()
    assert (grid["p_value"] >= exact["p_value"] - 1e-12).all()  # conservative
    assert grid["test"].str.startswith("ks on a grid of").all()
    kept = got[got["statistic_exact"] & (got["kind"] == "numeric")].index
    _equal(expected.loc[kept], got.loc[kept])  # few-valued columns stay exact


def test_asymptotic_p_values_beyond_ten_thousand_rows():
    rng = np.random.default_rng(1)
    ref = pd.DataFrame({"x": rng.integers(0, 500, 30_000).astype(float), "y": rng.normal(size=30_000).round(2)})
    cur = pd.DataFrame({"x": rng.integers(0, 520, 12_000).astype(float), "y": rng.normal(0.05, size=12_000).round(2)})
    _equal(drift(ref, cur), drift(dd.from_pandas(ref, npartitions=5), dd.from_pandas(cur, npartitions=2)))


@pytest.mark.parametrize("seed", range(6))
def test_quantiles_of_order_statistics_are_numpys(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 3000))
    x = rng.choice(rng.normal(size=int(rng.integers(1, 50))) * 10.0 ** rng.integers(-3, 6), n)  # ties
    q = np.concatenate([np.linspace(0, 1, int(rng.integers(3, 30)))[1:-1], rng.random(5)])
    ordered = np.sort(x)
    got = drift_dask.order_statistic_quantiles(n, q, lambda k: ordered[k])
    np.testing.assert_array_equal(got, np.quantile(x, q))


def test_bad_input_is_refused(credit):
    ref, cur = credit
    lazy = dd.from_pandas(cur, npartitions=2)
    with pytest.raises(FeatureMismatchError, match="lacks columns"):
        drift(dd.from_pandas(ref.drop(columns="age"), npartitions=2), lazy)
    with pytest.raises(InputError, match="bins must be at least 2"):
        drift(ref, lazy, bins=1)
    with pytest.raises(InputError, match="dask DataFrame"):
        drift(da.from_array(np.zeros((20, 2))), lazy)
