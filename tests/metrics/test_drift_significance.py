"""Drift that accounts for sample size (explain.metrics.drift): the PSI expected from sampling
noise, the chi-square test of the PSI's bin counts, and the rule "PSI above the threshold and
psi_p_value < PSI_ALPHA" that keeps noise on small samples from being flagged."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from explain.datasets import credit_splits
from explain.metrics import drift, population_stability_index, prediction_drift
from explain.metrics.drift import PSI_ALPHA, psi_noise

THRESHOLD = 0.2


def _flagged(table: pd.DataFrame) -> pd.Series:
    return (table["psi"] > THRESHOLD) & table["psi_significant"]


def test_small_samples_from_one_distribution_are_not_flagged():
    # random splits of 133 rows: the PSI often passes 0.2 by noise alone
    tables = []
    for seed in range(100):
        rng = np.random.default_rng(seed)
        ref = pd.DataFrame({"x": rng.normal(size=133), "c": rng.choice(list("abc"), 133)})
        cur = pd.DataFrame({"x": rng.normal(size=133), "c": rng.choice(list("abc"), 133)})
        tables.append(drift(ref, cur))
    psi_x = np.array([t.loc["x", "psi"] for t in tables])
    flagged = np.array([bool(_flagged(t).loc["x"]) for t in tables])
    assert (psi_x > THRESHOLD).sum() >= 5  # the PSI alone would flag these
    assert flagged.sum() <= 2  # the test keeps (almost) all of them: its false-alarm rate is 1 %
    first = tables[int(np.argmax(psi_x > THRESHOLD))].loc["x"]
    assert first["psi"] > THRESHOLD and not first["psi_significant"] and first["psi_p_value"] >= PSI_ALPHA
    assert first["psi_noise"] == pytest.approx(9 * 2 / 133)


def test_a_real_shift_on_2000_rows_is_flagged():
    rng = np.random.default_rng(1)
    ref = pd.DataFrame({"x": rng.normal(size=2000), "c": rng.choice(list("abc"), 2000, p=[0.6, 0.3, 0.1])})
    cur = pd.DataFrame({"x": rng.normal(0.6, size=2000), "c": rng.choice(list("abc"), 2000, p=[0.2, 0.3, 0.5])})
    table = drift(ref, cur)
    assert _flagged(table).all()
    assert (table["psi_p_value"] < 1e-10).all()
    assert table.loc["x", "psi_noise"] == pytest.approx(9 * 2 / 2000)
    assert table.loc["c", "psi_noise"] == pytest.approx(2 * 2 / 2000)
    # categorical: the chi-square test of the PSI's bins is the column's own test
    assert table.loc["c", "psi_p_value"] == table.loc["c", "p_value"]


@pytest.mark.parametrize(("n_ref", "n_cur"), [(133, 133), (500, 200), (2000, 2000)])
def test_noise_level_matches_a_simulation(n_ref, n_cur):
    rng = np.random.default_rng(n_ref + n_cur)
    draws = [population_stability_index(rng.normal(size=n_ref), rng.normal(size=n_cur)) for _ in range(200)]
    assert np.mean(draws) == pytest.approx(psi_noise(10, n_ref, n_cur), rel=0.3)


def test_noise_level_counts_the_bins_used():
    table = drift(pd.DataFrame({"c": ["a"] * 50 + ["b"] * 50}), pd.DataFrame({"c": ["a"] * 40 + [None] * 10}))
    # a, b and the missing values: three bins
    assert table.loc["c", "psi_noise"] == pytest.approx(2 * (1 / 100 + 1 / 50))
    one_value = drift(pd.DataFrame({"c": ["a"] * 5}), pd.DataFrame({"c": ["a"] * 5}))
    assert one_value.loc["c", "psi_noise"] == 0 and one_value.loc["c", "psi_p_value"] == 1.0


def test_prediction_drift_reports_the_noise_and_the_test():
    rng = np.random.default_rng(0)
    same = prediction_drift(rng.beta(2, 5, 133), rng.beta(2, 5, 133))
    assert same["psi_noise"] == pytest.approx(18 / 133) and not same["psi_significant"]
    moved = prediction_drift(rng.beta(2, 5, 2000), rng.beta(2, 3, 2000))
    assert moved["psi_significant"] and moved["psi_p_value"] < 1e-10


def test_dask_gives_the_in_memory_p_values():
    dd = pytest.importorskip("dask.dataframe")
    d = credit_splits()
    ref, cur = d.X_train.copy(), d.X_test.copy()
    ref.loc[ref.index[::7], "income"] = np.nan  # a missing-value bin on one side
    expected = drift(ref, cur)
    for lazy in (
        drift(dd.from_pandas(ref, npartitions=3), dd.from_pandas(cur, npartitions=4)),
        drift(ref, dd.from_pandas(cur, npartitions=2)),
        drift(dd.from_pandas(ref, npartitions=5), cur),
    ):
        for column in ("psi", "psi_noise", "psi_p_value", "psi_significant"):
            assert lazy[column].tolist() == expected[column].tolist(), column
