"""Drift findings follow one convention (issue 15): the observed value is the PSI that counts (a
shift the chi-square test tells from sampling noise; 0 when none), the status follows from that
value and the thresholds alone, and the section's summary names the real largest PSI."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import load_diabetes, load_wine
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import Ridge
from sklearn.model_selection import train_test_split

import explain as ex
from explain.metrics.drift import PSI_ALPHA

STAMP = "2026-12-01T00:00:00Z"
POLICY = {"n_bootstrap": 30, "explain_rows": 40, "min_group_size": 10, "stability_runs": 2}


@pytest.fixture(scope="module")
def wine_report():
    # the validator's case: on these 72 test rows no shift is significant, yet the largest feature
    # PSI (ash) and a class probability's PSI exceed warn_psi / max_psi by noise alone
    w = load_wine(as_frame=True)
    X = w.data.copy()
    y = w.target.map({0: "barolo", 1: "grignolino", 2: "barbera"})
    rng = np.random.default_rng(42)
    X["region"] = rng.choice(["north", "south", "east"], len(X), p=[0.4, 0.35, 0.25])
    Xtr, Xte, ytr, yte = train_test_split(X, y, test_size=0.4, random_state=1, stratify=y)
    feats = ["alcohol", "malic_acid", "ash", "alcalinity_of_ash", "magnesium"]
    m = RandomForestClassifier(n_estimators=50, max_depth=4, random_state=0).fit(Xtr[feats], ytr)
    return ex.audit(m, Xtr, ytr, Xte, yte, sensitive_features=["region"], policy=POLICY, generated_at=STAMP)


@pytest.fixture(scope="module")
def diabetes_report():
    X, y = load_diabetes(return_X_y=True, as_frame=True)
    X = X.assign(group=np.where(X["sex"] > 0, "a", "b")).drop(columns="sex")
    Xtr, Xte, ytr, yte = train_test_split(X, y, test_size=0.3, random_state=0)
    feats = [c for c in X.columns if c != "group"]
    m = Ridge().fit(Xtr[feats], ytr)
    return ex.audit(m, Xtr, ytr, Xte, yte, sensitive_features=["group"], policy=POLICY, generated_at=STAMP)


def _expected_status(f: dict, policy: dict) -> str:
    v = f["observed"]
    return "fail" if v > policy["max_psi"] else "warn" if v > policy["warn_psi"] else "pass"


def _check(report) -> None:
    found = report.findings.set_index("id")
    policy = report.evidence["policy"]
    drift = report.table("drift", "drift").set_index("feature")
    real = drift[drift["psi_p_value"] < PSI_ALPHA]
    features = found.loc["drift.features"]
    assert features["observed"] == pytest.approx(real["psi"].max() if len(real) else 0.0)
    for id in [i for i in found.index if i.startswith("drift.")]:
        f = found.loc[id].to_dict()
        assert "significant shifts only" in f["metric"], f
        assert f["status"] == _expected_status(f, policy), f  # the status follows from the row
    largest = drift["psi"].idxmax()
    summary = report.section("drift")["summary"]
    assert summary.startswith(f"Largest feature PSI {drift.loc[largest, 'psi']:.3f} ({largest}, "), summary
    if not len(real):
        assert "within sampling noise" in summary and "no significant drift" in summary, summary
        assert f"Not counted: PSI {drift.loc[largest, 'psi']:.3f} is within sampling noise" in features["message"]


def test_multiclass_drift_findings(wine_report) -> None:
    _check(wine_report)
    found = wine_report.findings.set_index("id")
    probs = wine_report.table("drift", "prediction_drift")
    real = probs[probs["psi_p_value"] < PSI_ALPHA]
    assert found.loc["drift.prediction", "observed"] == pytest.approx(real["psi"].max() if len(real) else 0.0)
    # the validator's numbers: ash 0.362 and a class probability 0.301, neither significant
    drift = wine_report.table("drift", "drift").set_index("feature")
    assert drift.loc["ash", "psi"] > wine_report.evidence["policy"]["warn_psi"]
    assert probs["psi"].max() > wine_report.evidence["policy"]["max_psi"] and not len(real)
    assert found.loc["drift.prediction", "status"] == "pass" and found.loc["drift.prediction", "observed"] == 0.0
    assert "within sampling noise" in found.loc["drift.prediction", "message"]


def test_regression_drift_findings(diabetes_report) -> None:
    _check(diabetes_report)
    pred = diabetes_report.findings.set_index("id").loc["drift.prediction"]
    psi = float(
        pd.DataFrame(diabetes_report.section("drift")["blocks"][-2]["rows"])
        .set_index("label")
        .loc["Prediction PSI", "value"]
    )
    assert f"PSI {psi:.3f}" in pred["message"]
