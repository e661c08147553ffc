"""Drift statistics against scipy.stats and a hand computation of the PSI."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from sklearn.datasets import load_diabetes

from explain.errors import FeatureMismatchError, InputError
from explain.metrics import drift, population_stability_index, prediction_drift
from explain.metrics.drift import PSI_EPSILON, psi_flag


@pytest.fixture(scope="module")
def diabetes():
    X, _ = load_diabetes(return_X_y=True, as_frame=True, scaled=False)
    X = X[["age", "bmi", "bp", "s5"]].assign(sex=X["sex"].map({1.0: "one", 2.0: "two"}))
    # a deterministic split: earlier rows are the reference, later rows the current data
    return X.iloc[:220].reset_index(drop=True), X.iloc[220:].reset_index(drop=True)


def _hand_psi(ref: np.ndarray, cur: np.ndarray, bins: int) -> float:
    edges = np.quantile(ref, [i / bins for i in range(1, bins)])
    edges = sorted(set(edges.tolist()))
    total = 0.0
    lows, highs = [-np.inf, *edges], [*edges, np.inf]
    for low, high in zip(lows, highs, strict=True):
        p = max(np.mean((ref >= low) & (ref < high)), PSI_EPSILON)
        q = max(np.mean((cur >= low) & (cur < high)), PSI_EPSILON)
        total += (q - p) * np.log(q / p)
    return total


def test_ks_equals_scipy(diabetes):
    ref, cur = diabetes
    table = drift(ref, cur)
    for column in ("age", "bmi", "bp", "s5"):
        expected = stats.ks_2samp(ref[column], cur[column])
        assert table.loc[column, "test"] == "ks"
        assert table.loc[column, "statistic"] == expected.statistic
        assert table.loc[column, "p_value"] == expected.pvalue


def test_chi2_equals_scipy(diabetes):
    ref, cur = diabetes
    table = drift(ref, cur)
    counts = pd.crosstab(
        np.r_[np.zeros(len(ref)), np.ones(len(cur))], np.r_[ref["sex"].to_numpy(), cur["sex"].to_numpy()]
    )
    expected = stats.chi2_contingency(counts.to_numpy())
    assert table.loc["sex", "kind"] == "categorical" and table.loc["sex", "test"] == "chi2"
    assert table.loc["sex", "statistic"] == expected.statistic
    assert table.loc["sex", "p_value"] == expected.pvalue


def test_psi_equals_hand_computation(diabetes):
    ref, cur = diabetes
    table = drift(ref, cur, bins=5)
    for column in ("age", "bmi", "bp", "s5"):
        r, c = ref[column].to_numpy(float), cur[column].to_numpy(float)
        assert table.loc[column, "psi"] == pytest.approx(_hand_psi(r, c, 5), abs=1e-12)
    p = ref["sex"].value_counts(normalize=True)
    q = cur["sex"].value_counts(normalize=True)
    expected = float(((q - p) * np.log(q / p)).sum())
    assert table.loc["sex", "psi"] == pytest.approx(expected, abs=1e-12)


def test_empty_bins_use_epsilon():
    ref = np.arange(100.0)
    cur = np.full(50, 5.0)  # all current values fall in the first reference decile
    p, q = np.full(10, 0.1), np.r_[1.0, np.full(9, PSI_EPSILON)]
    expected = float(np.sum((q - p) * np.log(q / p)))
    assert population_stability_index(ref, cur) == pytest.approx(expected, abs=1e-12)
    cats_ref, cats_cur = pd.Series(["a"] * 50 + ["b"] * 50), pd.Series(["a"] * 50 + ["c"] * 50)
    p, q = np.array([0.5, 0.5, PSI_EPSILON]), np.array([0.5, PSI_EPSILON, 0.5])
    expected = float(np.sum((q - p) * np.log(q / p)))
    assert population_stability_index(cats_ref, cats_cur) == pytest.approx(expected, abs=1e-12)


def test_shifted_data_is_flagged_identical_is_not():
    rng = np.random.default_rng(0)
    n = 3000
    ref = pd.DataFrame(
        {"income": rng.lognormal(10, 0.5, n), "age": rng.integers(18, 80, n), "city": rng.choice(list("abc"), n)}
    )
    same = drift(ref, ref)
    assert (same["psi"] == 0).all() and (same["psi_flag"] == "stable").all()
    assert (same["p_value"] == 1).all()
    resampled = drift(ref, ref.sample(frac=1.0, replace=True, random_state=1))
    assert (resampled["psi_flag"] == "stable").all()
    shifted = ref.assign(
        income=ref["income"] * 1.5,
        age=ref["age"] + 8,
        city=np.where(rng.random(n) < 0.5, "c", ref["city"]),
    )
    table = drift(ref, shifted)
    assert table.loc["income", "psi_flag"] == "significant"
    assert table.loc["age", "psi_flag"] in ("moderate", "significant")
    assert table.loc["city", "psi_flag"] == "significant"
    assert (table["p_value"] < 1e-6).all()


def test_psi_flag_thresholds():
    assert [psi_flag(v) for v in (0.0, 0.099, 0.1, 0.25, 0.26)] == [
        "stable", "stable", "moderate", "moderate", "significant",
    ]  # fmt: skip


def test_missing_values_are_a_bin_of_their_own():
    ref = pd.DataFrame({"x": np.r_[np.arange(90.0), np.full(10, np.nan)]})
    cur = pd.DataFrame({"x": np.r_[np.arange(50.0), np.full(50, np.nan)]})
    row = drift(ref, cur).loc["x"]
    assert row["missing_reference"] == 0.1 and row["missing_current"] == 0.5
    assert row["bins"] == 11 and row["psi_flag"] == "significant"
    assert row["statistic"] == stats.ks_2samp(np.arange(90.0), np.arange(50.0)).statistic


def test_prediction_drift_equals_scipy():
    rng = np.random.default_rng(0)
    ref, cur = rng.beta(2, 5, 800), rng.beta(2.5, 5, 600)
    result = prediction_drift(ref, cur[:, None])
    ks = stats.ks_2samp(ref, cur)
    assert result["ks_statistic"] == ks.statistic and result["ks_p_value"] == ks.pvalue
    assert result["psi"] == pytest.approx(_hand_psi(ref, cur, 10), abs=1e-12)
    assert result["n_current"] == 600 and result["mean_reference"] == pytest.approx(ref.mean())
    assert prediction_drift(ref, ref)["psi_flag"] == "stable"


def test_arrays_and_errors():
    table = drift(np.zeros((5, 2)) + np.arange(5)[:, None], np.ones((4, 2)))
    assert list(table.index) == ["x0", "x1"]
    with pytest.raises(FeatureMismatchError, match=r"lacks columns \['b'\]"):
        drift(pd.DataFrame({"a": [1.0], "b": [2.0]}), pd.DataFrame({"a": [1.0], "c": [2.0]}))
    with pytest.raises(InputError, match="rows in both"):
        drift(pd.DataFrame({"a": [1.0]}), pd.DataFrame({"a": []}))
    with pytest.raises(InputError, match="one score per row"):
        prediction_drift(np.ones((3, 2)), np.ones(3))
    with pytest.raises(InputError, match="NaN"):
        prediction_drift(np.r_[np.nan, 1.0], np.ones(3))
    with pytest.raises(InputError, match="bins"):
        population_stability_index([1.0, 2.0], [1.0], bins=1)
