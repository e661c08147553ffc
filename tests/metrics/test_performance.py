"""Bootstrap intervals, generalization and calibration against sklearn.metrics and hand checks."""

from __future__ import annotations

import json

import numpy as np
import pytest
from sklearn.calibration import calibration_curve
from sklearn.datasets import load_breast_cancer, load_diabetes
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.metrics import (
    accuracy_score,
    brier_score_loss,
    mean_absolute_error,
    r2_score,
    roc_auc_score,
    root_mean_squared_error,
)
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from explain.errors import InputError
from explain.metrics import bootstrap_ci, calibration, generalization


@pytest.fixture(scope="module")
def cancer_split():
    X, y = load_breast_cancer(return_X_y=True)
    return train_test_split(X[:, :10], y, test_size=0.4, random_state=0, stratify=y)


def test_value_equals_sklearn(cancer_split):
    X_train, X_test, y_train, y_test = cancer_split
    model = make_pipeline(StandardScaler(), LogisticRegression()).fit(X_train, y_train)
    proba = model.predict_proba(X_test)[:, 1]
    assert bootstrap_ci("roc_auc", y_test, proba, n_boot=50).value == roc_auc_score(y_test, proba)
    assert bootstrap_ci("brier", y_test, proba, n_boot=50).value == brier_score_loss(y_test, proba)
    pred = model.predict(X_test)
    assert bootstrap_ci(accuracy_score, y_test, pred, n_boot=50).value == accuracy_score(y_test, pred)


def test_interval_equals_hand_bootstrap():
    """The documented resampling, done by hand: row i of one (n_boot, n) draw is resample i."""
    rng = np.random.default_rng(3)
    y = (rng.random(500) < 0.3).astype(int)
    pred = np.ones(500, dtype=int)  # accuracy = share of ones in y
    ci = bootstrap_ci("accuracy", y, pred, n_boot=250, random_state=7, alpha=0.1)
    idx = np.random.default_rng(7).integers(0, 500, size=(250, 500))
    means = y[idx].mean(axis=1)
    low, high = np.quantile(means, [0.05, 0.95])
    assert (ci.low, ci.high) == (pytest.approx(low, abs=1e-15), pytest.approx(high, abs=1e-15))
    assert ci.n_valid == 250 and ci.method == "percentile bootstrap"
    # and it is close to the normal approximation of a proportion
    p, se = y.mean(), np.sqrt(y.mean() * (1 - y.mean()) / 500)
    assert ci.low == pytest.approx(p - 1.645 * se, abs=0.01) and ci.high == pytest.approx(p + 1.645 * se, abs=0.01)


@pytest.mark.parametrize(
    ("name", "function", "kind"),
    [
        ("roc_auc", roc_auc_score, "score"),
        ("accuracy", accuracy_score, "label"),
        ("brier", brier_score_loss, "score"),
        ("r2", r2_score, "regression"),
        ("mae", mean_absolute_error, "regression"),
        ("rmse", root_mean_squared_error, "regression"),
    ],
)
def test_vectorized_metrics_equal_sklearn_per_resample(name, function, kind):
    """Named metrics are computed over all resamples at once; a callable goes through sklearn one by one."""
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 400)
    pred = {
        "score": np.round(0.3 * y + 0.7 * rng.random(400), 2),  # rounded: many ties
        "label": (rng.random(400) < 0.3 + 0.4 * y).astype(int),
        "regression": y + rng.normal(0, 0.5, 400),
    }[kind]
    fast = bootstrap_ci(name, y, pred, n_boot=150, random_state=4)
    slow = bootstrap_ci(function, y, pred, n_boot=150, random_state=4)
    assert fast.value == slow.value
    assert fast.low == pytest.approx(slow.low, abs=1e-12) and fast.high == pytest.approx(slow.high, abs=1e-12)


def test_deterministic_and_seed_dependent():
    rng = np.random.default_rng(0)
    y, score = rng.integers(0, 2, 300), rng.random(300)
    a = bootstrap_ci("log_loss", y, score, n_boot=50, random_state=1)
    assert a == bootstrap_ci("log_loss", y, score, n_boot=50, random_state=1)
    assert a != bootstrap_ci("log_loss", y, score, n_boot=50, random_state=2)


def test_undefined_resamples_are_skipped():
    y = np.r_[1, np.zeros(9, dtype=int)]  # one positive: many resamples have a single class
    ci = bootstrap_ci("roc_auc", y, np.linspace(0, 1, 10), n_boot=200)
    assert 0 < ci.n_valid < 200
    assert ci.low <= ci.value <= ci.high


def test_overfitting_is_diagnosed(cancer_split):
    X_train, X_test, y_train, y_test = cancer_split
    forest = RandomForestClassifier(n_estimators=30, random_state=0).fit(X_train, y_train)
    # accuracy: a fully grown forest is perfect on its training data
    result = generalization(
        y_train, forest.predict(X_train), y_test, forest.predict(X_test), metric="accuracy", n_boot=200
    )
    assert result.train.value == 1.0 and result.test.value == accuracy_score(y_test, forest.predict(X_test))
    assert result.gap == pytest.approx(1.0 - result.test.value)
    assert result.gap_low <= result.gap <= result.gap_high
    assert result.diagnosis == "overfitting"
    assert result.baseline == pytest.approx(np.bincount(y_train).max() / len(y_train))
    json.dumps(result.to_dict(), allow_nan=False)


def test_good_fit_and_underfitting(cancer_split):
    X_train, X_test, y_train, y_test = cancer_split
    model = make_pipeline(StandardScaler(), LogisticRegression()).fit(X_train, y_train)
    p_train, p_test = model.predict_proba(X_train)[:, 1], model.predict_proba(X_test)[:, 1]
    good = generalization(y_train, p_train, y_test, p_test, n_boot=100)
    assert good.metric == "roc_auc" and good.test.value == roc_auc_score(y_test, p_test)
    assert good.diagnosis == "good fit" and good.baseline == 0.5
    X, y = load_diabetes(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)
    weak = Ridge(alpha=1e4).fit(X_train, y_train)  # shrunk to almost a constant
    under = generalization(y_train, weak.predict(X_train), y_test, weak.predict(X_test), metric="r2", n_boot=100)
    assert under.diagnosis == "underfitting" and under.lift < 0.05 and under.baseline == 0.0
    assert under.train.value == r2_score(y_train, weak.predict(X_train))


def test_loss_metrics_are_sign_corrected(cancer_split):
    X_train, X_test, y_train, y_test = cancer_split
    forest = RandomForestClassifier(n_estimators=30, random_state=0).fit(X_train, y_train)
    p_train, p_test = forest.predict_proba(X_train)[:, 1], forest.predict_proba(X_test)[:, 1]
    result = generalization(y_train, p_train, y_test, p_test, metric="brier", n_boot=100, max_gap=0.02)
    assert result.gap == pytest.approx(brier_score_loss(y_test, p_test) - brier_score_loss(y_train, p_train))
    assert result.gap > 0 and result.lift > 0
    assert result.baseline == pytest.approx(brier_score_loss(y_train, np.full(len(y_train), y_train.mean())))


def test_calibration_equals_sklearn(cancer_split):
    X_train, X_test, y_train, y_test = cancer_split
    proba = make_pipeline(StandardScaler(), LogisticRegression()).fit(X_train, y_train).predict_proba(X_test)[:, 1]
    for strategy in ("uniform", "quantile"):
        result = calibration(y_test, proba, n_bins=8, strategy=strategy)
        prob_true, prob_pred = calibration_curve(y_test, proba, n_bins=8, strategy=strategy)
        np.testing.assert_array_equal(result.prob_true, prob_true)
        np.testing.assert_array_equal(result.prob_pred, prob_pred)
        assert sum(result.counts) == len(y_test) and len(result.counts) == len(prob_true)
        assert result.brier == brier_score_loss(y_test, proba)
        weights = np.array(result.counts) / len(y_test)
        assert result.ece == pytest.approx(np.sum(weights * np.abs(prob_true - prob_pred)))


def test_ece_hand_case():
    # two bins: probabilities 0.2 (observed 1 of 4) and 0.9 (observed 4 of 4)
    y = np.array([1, 0, 0, 0, 1, 1, 1, 1])
    p = np.array([0.2, 0.2, 0.2, 0.2, 0.9, 0.9, 0.9, 0.9])
    result = calibration(y, p, n_bins=2)
    assert result.counts == (4, 4)
    assert result.ece == pytest.approx(0.5 * abs(0.25 - 0.2) + 0.5 * abs(1.0 - 0.9))
    assert result.max_error == pytest.approx(0.1)


def test_input_errors():
    with pytest.raises(InputError, match="unknown metric"):
        bootstrap_ci("auc", [0, 1], [0.1, 0.9])
    with pytest.raises(InputError, match="2 rows and the predictions 3"):
        bootstrap_ci("accuracy", [0, 1], [0, 1, 1])
    with pytest.raises(InputError, match="NaN"):
        bootstrap_ci("roc_auc", [0, 1], [np.nan, 0.5])
    with pytest.raises(InputError, match="n_boot"):
        bootstrap_ci("accuracy", [0, 1], [0, 1], n_boot=0)
    with pytest.raises(InputError, match=r"\[0, 1\]"):
        calibration([0, 1], [0.5, 1.5])
    with pytest.raises(InputError, match="binary"):
        calibration([0, 1, 2], [0.1, 0.5, 0.9])
