"""Validation-grade content: KS, Gini, the score-decile table, rank ordering, hyperparameters."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from scipy import stats
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score, roc_curve
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from explain.datasets import credit_splits
from explain.report._sections_model import _algorithm
from explain.report._sections_validation import (
    hyperparameter_blocks,
    hyperparameters,
    rank_ordering_blocks,
    rank_ordering_finding,
    score_deciles,
    score_separation,
)


@pytest.fixture(scope="module")
def credit():
    """A fitted pipeline on the credit data and its test targets (1 = good) and scores."""
    splits = credit_splits()
    X_train, X_test = (X.select_dtypes("number").fillna(0) for X in (splits.X_train, splits.X_test))
    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=40))
    model.fit(X_train, splits.y_train)
    y = (np.asarray(splits.y_test) == model.classes_[1]).astype(int)
    return model, y, model.predict_proba(X_test)[:, 1]


def test_ks_is_the_largest_tpr_fpr_distance_and_scipy_ks(credit):
    _, y, scores = credit
    fpr, tpr, _ = roc_curve(y, scores)
    out = score_separation(y, scores)
    assert out["ks"] == pytest.approx(np.max(np.abs(tpr - fpr)), abs=1e-12)
    assert out["ks"] == pytest.approx(stats.ks_2samp(scores[y == 1], scores[y == 0]).statistic, abs=1e-12)
    assert 0 < out["ks"] < 1


def test_gini_is_two_auc_minus_one(credit):
    _, y, scores = credit
    assert score_separation(y, scores)["gini"] == pytest.approx(2 * roc_auc_score(y, scores) - 1, abs=1e-12)


def test_deciles_are_ten_equal_groups_highest_first(credit):
    _, y, scores = credit
    rows = score_deciles(y, scores)
    sizes = [r["rows"] for r in rows]
    assert len(rows) == 10 and sum(sizes) == len(y) and max(sizes) - min(sizes) <= 1
    assert all(a["score_low"] >= b["score_high"] for a, b in itertools.pairwise(rows))
    assert rows[-1]["cum_goods"] == pytest.approx(1) and rows[-1]["cum_bads"] == pytest.approx(1)
    for r in rows:
        assert r["good_rate"] + r["bad_rate"] == pytest.approx(1)
    bads = sum(r["rows"] * r["bad_rate"] for r in rows)
    assert bads == pytest.approx(np.sum(y == 0))
    # the largest cumulative separation at a decile boundary cannot exceed KS
    assert max(abs(r["separation"]) for r in rows) <= score_separation(y, scores)["ks"] + 1e-12


def test_a_ranking_model_passes_and_shuffled_scores_warn(credit):
    _, y, scores = credit
    good = rank_ordering_finding(score_deciles(y, scores))
    assert good["id"] == "performance.rank_ordering" and good["status"] == "pass", good["message"]
    shuffled = np.random.default_rng(0).permutation(scores)
    bad = rank_ordering_finding(score_deciles(y, shuffled))
    assert bad["status"] == "warn" and bad["observed"] >= 2, bad["message"]


def test_one_small_inversion_is_tolerated_a_large_one_is_not():
    # ten deciles of 100 rows; bad rates rising by 5 points, with one dip
    def rows_with(bad_rates):
        y = np.concatenate([np.r_[np.zeros(int(b * 100)), np.ones(100 - int(b * 100))] for b in bad_rates])
        scores = np.repeat(np.arange(10, 0, -1, dtype=float), 100)
        return score_deciles(y, scores)

    rates = [0.05 * i for i in range(1, 11)]
    small = rates.copy()
    small[4], small[5] = 0.27, 0.25  # a 2-point dip: z about 0.3
    large = rates.copy()
    large[5] = 0.05  # 20 points below the decile above
    assert rank_ordering_finding(rows_with(rates))["observed"] == 0
    found = rank_ordering_finding(rows_with(small))
    assert (found["observed"], found["status"]) == (1, "pass")
    found = rank_ordering_finding(rows_with(large))
    assert (found["observed"], found["status"]) == (1, "warn")


def test_rank_ordering_blocks_hold_the_table_and_facts(credit):
    _, y, scores = credit
    blocks, found = rank_ordering_blocks(y, scores)
    table = next(b for b in blocks if b.get("id") == "score_deciles")
    assert len(table["rows"]) == 10 and {c["key"] for c in table["columns"]} >= {"bad_rate", "cum_bads", "monotone"}
    labels = {r["label"]: r["value"] for b in blocks if b["type"] == "facts" for r in b["rows"]}
    assert labels["Kolmogorov-Smirnov statistic (test)"] == pytest.approx(score_separation(y, scores)["ks"])
    assert [f["id"] for f in found] == ["performance.rank_ordering"]


def test_the_first_decile_has_no_decile_above_and_shows_a_dash(credit):
    """Decile 1 has no decile above it: its "Bad rate >= decile above" is missing (shown as a dash),
    not a "yes" that was never tested; the others compare with the decile above, by hand."""
    from explain.report._view import DASH, _block

    _, y, scores = credit
    blocks, _ = rank_ordering_blocks(y, scores)
    table = next(b for b in blocks if b.get("id") == "score_deciles")
    rates = [r["bad_rate"] for r in table["rows"]]
    assert [r["monotone"] for r in table["rows"]] == [None] + [b >= a for a, b in itertools.pairwise(rates)]
    shown = _block(table, {})
    column = next(i for i, c in enumerate(table["columns"]) if c["key"] == "monotone")
    cells = [row[column] for row in shown["rows"]]
    assert cells[0] == DASH and set(cells[1:]) <= {"yes", "no"}


def test_hyperparameter_table_lists_pipeline_steps_and_non_default(credit):
    model = credit[0]
    blocks = hyperparameter_blocks(model)
    params = next(b for b in blocks if b.get("id") == "hyperparameters")
    by_name = {r["parameter"]: r for r in params["rows"]}
    assert by_name["max_iter"]["value"] == "40" and by_name["max_iter"]["changed"] is True
    assert by_name["max_iter"]["default"] == "100"
    assert by_name["C"]["changed"] is False
    steps = next(b for b in blocks if b.get("id") == "pipeline_steps")
    assert [(r["step"], r["class"]) for r in steps["rows"]] == [
        ("standardscaler", "StandardScaler"),
        ("logisticregression", "LogisticRegression"),
    ]
    assert steps["rows"][0]["parameters"] == "defaults" and "max_iter=40" in steps["rows"][1]["parameters"]
    assert "LogisticRegression" in _algorithm(model) and "standardscaler (StandardScaler)" in _algorithm(model)


def test_a_function_has_no_hyperparameters():
    def score(X):
        return np.zeros(len(X))

    (block,) = hyperparameter_blocks(score)
    assert block["type"] == "text" and "a function: no hyperparameters" in block["text"]


def test_kwargs_parameters_without_declared_default():
    class Boosted:
        """Like XGBoost: parameters through **kwargs, None when left unset."""

        def __init__(self, *, objective="binary", **kwargs):
            self.objective, self.kwargs = objective, kwargs

        def get_params(self, deep=True):
            return {"objective": self.objective, "max_depth": None, **self.kwargs}

    rows = {r["parameter"]: r for r in hyperparameters(Boosted(n_estimators=50))}
    assert rows["objective"]["changed"] is False
    assert rows["max_depth"]["changed"] is False
    assert rows["n_estimators"]["changed"] is True and rows["n_estimators"]["default"] == "not declared"


@pytest.mark.parametrize(
    "module, cls, name",
    [
        ("lightgbm", "LGBMClassifier", "n_estimators"),
        ("xgboost", "XGBClassifier", "n_estimators"),
        ("catboost", "CatBoostClassifier", "iterations"),
    ],
)
def test_boosting_libraries(module, cls, name):
    lib = pytest.importorskip(module)
    rows = {r["parameter"]: r for r in hyperparameters(getattr(lib, cls)(**{name: 7}))}
    assert rows[name]["changed"] is True and rows[name]["value"] == "7"
    assert sum(r["changed"] for r in rows.values()) == 1


def test_constant_scores_have_no_rank_ordering():
    y = np.r_[np.zeros(50), np.ones(50)]
    blocks, (found,) = rank_ordering_blocks(y, np.full(100, 0.7))
    assert found["status"] == "not_applicable" and found["observed"] is None
    assert next(b for b in blocks if b.get("id") == "score_deciles")["rows"] == []


def test_named_steps_show_as_names_and_classes():
    from sklearn.compose import ColumnTransformer
    from sklearn.preprocessing import OneHotEncoder

    encode = ColumnTransformer([("categories", OneHotEncoder(), ["a"]), ("scale", StandardScaler(), ["b"])])
    rows = {r["parameter"]: r for r in hyperparameters(encode)}
    assert rows["transformers"]["value"] == "[categories: OneHotEncoder, scale: StandardScaler]"
