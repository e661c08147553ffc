"""Fairness metrics against fairlearn's definitions, scipy's tests and hand computations."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from sklearn.datasets import load_breast_cancer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from explain.errors import InputError
from explain.metrics import group_metrics

fm = pytest.importorskip("fairlearn.metrics")

TOL = 1e-12


@pytest.fixture(scope="module")
def cancer():
    """Breast cancer with model decisions and two attributes derived deterministically from the data."""
    X, y = load_breast_cancer(return_X_y=True, as_frame=True)
    model = make_pipeline(StandardScaler(), LogisticRegression()).fit(X.iloc[:, :4], y)
    y_pred = model.predict(X.iloc[:, :4])
    size = pd.qcut(X["mean area"], 3, labels=["small", "medium", "large"]).astype(str)
    texture = np.where(X["mean texture"] > X["mean texture"].median(), "rough", "smooth")
    return y.to_numpy(), y_pred, pd.DataFrame({"size": size.to_numpy(), "texture": texture})


def make_credit(n: int = 4000, seed: int = 0) -> pd.DataFrame:
    """Credit applications with a planted disparity: group "f" is approved less at equal risk."""
    rng = np.random.default_rng(seed)
    sex = rng.choice(["f", "m"], n)
    race = rng.choice(["a", "b", "c"], n, p=[0.6, 0.25, 0.15])
    income = rng.lognormal(10.5, 0.4, n)
    debt = rng.beta(2, 5, n)
    repaid = rng.random(n) < 1 / (1 + np.exp(-(np.log(income) - 10.5) * 3 + 4 * (debt - 0.3) - 1))
    score = 1 / (1 + np.exp(-(3 * (np.log(income) - 10.5) - 4 * (debt - 0.3) + 0.5 - 0.9 * (sex == "f"))))
    return pd.DataFrame(
        {"sex": sex, "race": race, "repaid": repaid.astype(int), "score": score, "approved": (score > 0.5).astype(int)}
    )


@pytest.fixture(scope="module")
def credit() -> pd.DataFrame:
    return make_credit()


def _fairlearn_frame(y_true, y_pred, sensitive):
    metrics = {"selection_rate": fm.selection_rate, "tpr": fm.true_positive_rate, "fpr": fm.false_positive_rate}
    return fm.MetricFrame(metrics=metrics, y_true=y_true, y_pred=y_pred, sensitive_features=sensitive)


def _label(index_value) -> str:
    return " & ".join(map(str, index_value)) if isinstance(index_value, tuple) else str(index_value)


def _assert_equals_fairlearn(result, frame, attribute):
    ours = result.by_group.loc[attribute]
    theirs = frame.by_group.copy()
    theirs.index = [_label(i) for i in theirs.index]
    for metric in ("selection_rate", "tpr", "fpr"):
        np.testing.assert_allclose(ours.loc[theirs.index, metric], theirs[metric], rtol=0, atol=TOL)
    rates = theirs["selection_rate"]
    np.testing.assert_allclose(ours.loc[theirs.index, "impact_ratio"], rates / rates.max(), rtol=0, atol=TOL)


def test_single_attribute_equals_fairlearn(cancer):
    y, y_pred, sensitive = cancer
    result = group_metrics(y, y_pred, sensitive["size"])
    frame = _fairlearn_frame(y, y_pred, sensitive["size"])
    _assert_equals_fairlearn(result, frame, "size")
    sf = sensitive["size"]
    assert result.ratio() == pytest.approx(fm.demographic_parity_ratio(y, y_pred, sensitive_features=sf), abs=TOL)
    assert result.difference() == pytest.approx(
        fm.demographic_parity_difference(y, y_pred, sensitive_features=sf), abs=TOL
    )
    assert result.difference("equalized_odds") == pytest.approx(
        fm.equalized_odds_difference(y, y_pred, sensitive_features=sf), abs=TOL
    )
    tpr, fpr = frame.difference()[["tpr", "fpr"]]
    assert result.difference("tpr") == pytest.approx(tpr, abs=TOL)
    assert result.difference("fpr") == pytest.approx(fpr, abs=TOL)
    assert result.overall["selection_rate"] == pytest.approx(fm.selection_rate(y, y_pred), abs=TOL)


def test_intersection_equals_fairlearn(cancer, credit):
    y, y_pred, sensitive = cancer
    result = group_metrics(y, y_pred, sensitive, min_group_size=20)
    assert result.attributes == ("size", "texture", "size & texture")
    assert not result.by_group["suppressed"].any()
    frame = _fairlearn_frame(y, y_pred, sensitive)
    _assert_equals_fairlearn(result, frame, "size & texture")
    for attribute in ("size", "texture"):
        _assert_equals_fairlearn(result, _fairlearn_frame(y, y_pred, sensitive[attribute]), attribute)
    dp_ratio = fm.demographic_parity_ratio(y, y_pred, sensitive_features=sensitive)
    assert result.ratio() == pytest.approx(dp_ratio, abs=TOL)
    assert result.difference("equalized_odds") == pytest.approx(
        fm.equalized_odds_difference(y, y_pred, sensitive_features=sensitive), abs=TOL
    )
    c = credit
    result = group_metrics(c["repaid"], c["approved"], c[["sex", "race"]])
    _assert_equals_fairlearn(result, _fairlearn_frame(c["repaid"], c["approved"], c[["sex", "race"]]), "sex & race")
    summary = result.summary()
    for name, sf in (("sex", c["sex"]), ("race", c["race"]), ("sex & race", c[["sex", "race"]])):
        args = (c["repaid"], c["approved"])
        assert summary.loc[name, "selection_rate_ratio"] == pytest.approx(
            fm.demographic_parity_ratio(*args, sensitive_features=sf), abs=TOL
        )
        assert summary.loc[name, "selection_rate_difference"] == pytest.approx(
            fm.demographic_parity_difference(*args, sensitive_features=sf), abs=TOL
        )
        assert summary.loc[name, "equalized_odds_difference"] == pytest.approx(
            fm.equalized_odds_difference(*args, sensitive_features=sf), abs=TOL
        )


def test_planted_disparity_is_flagged_and_significant(credit):
    result = group_metrics(credit["repaid"], credit["approved"], credit[["sex", "race"]])
    sex = result.by_group.loc["sex"]
    assert result.reference["sex"] == "m"
    assert sex.loc["f", "impact_ratio"] < 0.8
    assert bool(sex.loc["f", "four_fifths"]) and bool(sex.loc["f", "significant"])
    assert sex.loc["f", "p_value"] < 1e-10
    assert not sex.loc["m", "four_fifths"] and sex.loc["m", "is_reference"]
    race = result.by_group.loc["race"]
    assert not race["four_fifths"].any()  # race plays no part in the score
    assert result.summary().loc["sex", "four_fifths_flags"] == 1
    table = result.by_group
    flags = table["four_fifths"].dropna().astype(bool)
    assert (flags == (table.loc[flags.index, "impact_ratio"] < 0.8)).all()


def test_reference_group_and_gaps(credit):
    result = group_metrics(credit["repaid"], credit["approved"], credit["race"], reference="b")
    table = result.by_group.loc["race"]
    assert result.reference["race"] == "b" and table.loc["b", "is_reference"]
    np.testing.assert_allclose(table["impact_ratio"], table["selection_rate"] / table.loc["b", "selection_rate"])
    np.testing.assert_allclose(table["tpr_gap"], table["tpr"] - table.loc["b", "tpr"])
    np.testing.assert_allclose(table["fpr_gap"], table["fpr"] - table.loc["b", "fpr"])
    reference = {"sex": "f", "race": "a"}
    several = group_metrics(credit["repaid"], credit["approved"], credit[["sex", "race"]], reference=reference)
    assert several.reference == {"sex": "f", "race": "a", "sex & race": "f & a"}


def _two_by_two(table, group, ref):
    return [
        [table.loc[group, "selected"], table.loc[group, "count"] - table.loc[group, "selected"]],
        [table.loc[ref, "selected"], table.loc[ref, "count"] - table.loc[ref, "selected"]],
    ]


def test_fisher_and_z_agree_with_scipy_and_hand(credit):
    args = (credit["repaid"], credit["approved"], credit[["sex", "race"]])
    fisher = group_metrics(*args, test="fisher").by_group.loc["sex & race"]
    z_test = group_metrics(*args, test="z").by_group.loc["sex & race"]
    ref = fisher.index[fisher["is_reference"]][0]
    for group in fisher.index.drop(ref):
        table = _two_by_two(fisher, group, ref)
        assert fisher.loc[group, "test"] == "fisher_exact"
        assert fisher.loc[group, "p_value"] == stats.fisher_exact(np.array(table, dtype=int)).pvalue
        (k1, f1), (k2, f2) = table
        n1, n2 = k1 + f1, k2 + f2
        pooled = (k1 + k2) / (n1 + n2)
        z = (k1 / n1 - k2 / n2) / math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
        assert z_test.loc[group, "test"] == "two_proportion_z"
        assert z_test.loc[group, "z"] == pytest.approx(z, abs=TOL)
        assert z_test.loc[group, "p_value"] == pytest.approx(math.erfc(abs(z) / math.sqrt(2)), abs=TOL)


def test_auto_uses_fisher_for_small_expected_counts():
    group = np.repeat(["a", "b"], [60, 60])
    y_pred = np.r_[np.ones(2), np.zeros(58), np.ones(5), np.zeros(55)]  # expected selected 3.5 < 5
    table = group_metrics(None, y_pred, group).by_group.loc["group"]
    assert table.loc["a", "test"] == "fisher_exact"
    assert table.loc["a", "p_value"] == stats.fisher_exact([[2, 58], [5, 55]]).pvalue
    big = group_metrics(None, np.tile(y_pred, 5), np.tile(group, 5)).by_group.loc["group"]
    assert big.loc["a", "test"] == "two_proportion_z"


def test_wilson_interval_equals_hand_formula(credit):
    table = group_metrics(credit["repaid"], credit["approved"], credit["race"], alpha=0.1).by_group.loc["race"]
    z = stats.norm.ppf(0.95)
    n, p = table["count"].astype(float), table["selection_rate"]
    center = (p + z**2 / (2 * n)) / (1 + z**2 / n)
    half = z / (1 + z**2 / n) * np.sqrt(p * (1 - p) / n + z**2 / (4 * n**2))
    np.testing.assert_allclose(table["ci_low"], center - half, rtol=0, atol=1e-12)
    np.testing.assert_allclose(table["ci_high"], center + half, rtol=0, atol=1e-12)


def test_small_and_unknown_groups_are_suppressed_but_counted(credit):
    c = credit.copy()
    c.loc[:39, "sex"] = None  # 40 unknown
    c.loc[40:59, "race"] = "d"  # 20 rows: under min_group_size
    c.loc[60:119, "race"] = "e"  # 60 rows = 1.5 %: under min_share
    result = group_metrics(c["repaid"], c["approved"], c[["sex", "race"]])
    sex, race = result.by_group.loc["sex"], result.by_group.loc["race"]
    assert sex.loc["unknown", "count"] == 40 and sex.loc["unknown", "suppressed"]
    assert "unknown" in sex.loc["unknown", "reason"]
    assert race.loc["d", "count"] == 20 and "fewer than 30" in race.loc["d", "reason"]
    assert race.loc["e", "count"] == 60 and "under 2%" in race.loc["e", "reason"]
    for row in (sex.loc["unknown"], race.loc["d"], race.loc["e"]):
        assert np.isnan(row["selection_rate"]) and np.isnan(row["impact_ratio"]) and pd.isna(row["selected"])
    assert result.by_group.loc["sex & race"].loc["unknown", "count"] == 40
    assert sex["count"].sum() == race["count"].sum() == len(c)
    # each attribute's ratios leave out its own suppressed groups, and only those
    for attribute, kept in (("sex", c["sex"].notna()), ("race", ~c["race"].isin(["d", "e"]))):
        assert result.ratio(attribute=attribute) == pytest.approx(
            fm.demographic_parity_ratio(c["repaid"][kept], c["approved"][kept], sensitive_features=c[attribute][kept]),
            abs=TOL,
        )


def test_scoring_rate_is_share_above_sample_median(credit):
    result = group_metrics(credit["repaid"], credit["approved"], credit["sex"], y_score=credit["score"])
    above = credit["score"] > credit["score"].median()
    expected = above.groupby(credit["sex"]).mean()
    table = result.by_group.loc["sex"]
    np.testing.assert_allclose(table.loc[expected.index, "scoring_rate"], expected, rtol=0, atol=TOL)
    np.testing.assert_allclose(table["scoring_impact_ratio"], table["scoring_rate"] / expected.max(), atol=TOL)
    assert result.overall["score_median"] == credit["score"].median()


def test_selection_only_and_undefined_rates():
    group = np.repeat(["a", "b"], 50)
    y_pred = np.r_[np.ones(25), np.zeros(25), np.ones(30), np.zeros(20)]
    result = group_metrics(None, y_pred, group)
    assert result.by_group["tpr"].isna().all() and np.isnan(result.difference("tpr"))
    y_true = np.r_[np.zeros(50), np.ones(50)]  # group a has no positives: its TPR is undefined
    table = group_metrics(y_true, y_pred, group).by_group.loc["group"]
    assert np.isnan(table.loc["a", "tpr"]) and table.loc["b", "tpr"] == 0.6


def test_labels_and_pos_label():
    group = pd.Series(np.repeat(["x", "y"], 40), name="region")
    decisions = np.where(np.arange(80) % 3 == 0, "approve", "deny")
    result = group_metrics(None, decisions, group, pos_label="approve")
    assert result.attributes == ("region",)
    assert result.overall["selected"] == (decisions == "approve").sum()


def test_to_dict_is_json_and_inputs_untouched(credit):
    before = credit.copy()
    result = group_metrics(credit["repaid"], credit["approved"], credit[["sex", "race"]], y_score=credit["score"])
    text = json.dumps(result.to_dict(), allow_nan=False)
    assert '"impact_ratio"' in text and '"sex & race"' in text
    pd.testing.assert_frame_equal(credit, before)
    frame = result.by_group
    frame["count"] = -1  # a copy: the result does not change
    assert (result.by_group["count"] > 0).all()


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"y_pred": np.ones(9)}, "has 10 rows but y_pred has 9"),
        ({"sensitive_features": ["a"] * 10}, "single group"),
        ({"y_pred": np.linspace(0, 1, 10)}, "must be binary"),
        ({"y_pred": np.r_[np.nan, np.ones(9)]}, "missing values"),
        ({"y_score": np.r_[np.nan, np.ones(9)]}, "NaN"),
        ({"reference": "z"}, "not a group"),
        ({"y_pred": np.r_[np.full(5, 2), np.zeros(5)]}, "pos_label=1 is not one"),
        ({"test": "chi2"}, "test must be"),
        ({"min_group_size": 0}, "min_group_size"),
    ],
)
def test_input_errors_name_the_problem(kwargs, match):
    args = {"y_true": None, "y_pred": np.r_[np.ones(5), np.zeros(5)], "sensitive_features": list("aabbaabbab")}
    args.update(kwargs)
    with pytest.raises(InputError, match=match):
        group_metrics(args.pop("y_true"), args.pop("y_pred"), args.pop("sensitive_features"), **args)


def test_suppressed_reference_is_refused(credit):
    with pytest.raises(InputError, match="suppressed"):
        group_metrics(None, credit["approved"], credit["race"], reference="c", min_group_size=1000)
