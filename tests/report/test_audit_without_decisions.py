"""Audits that take no decision (issue 15): a regressor without ``Policy.regression_threshold`` and a
multiclass model without ``Policy.favourable_class``. The report must say what it measured in
their terms (a cut at the median prediction, agreement of predicted classes), and the regulation
crosswalk must not claim the adverse-action requirements it cannot answer."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from sklearn.datasets import load_diabetes, load_wine
from sklearn.ensemble import GradientBoostingRegressor
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from explain.report import AuditReport, audit
from explain.report._sections_robust import NOISE_REPEATS

POLICY: dict[str, Any] = {"n_bootstrap": 20, "explain_rows": 30}
STAMP = "2026-12-01T00:00:00Z"


@pytest.fixture(scope="module")
def diabetes() -> tuple:
    data = load_diabetes(as_frame=True)
    X, y = data.data.copy(), data.target
    X["group"] = np.where(X["sex"] > 0, "a", "b")
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.3, random_state=0)
    inputs = [c for c in data.data.columns if c != "sex"]
    model = GradientBoostingRegressor(n_estimators=40, max_depth=2, random_state=0).fit(X_train[inputs], y_train)
    return model, X_train, y_train, X_test, y_test


def _regression(diabetes: tuple, **policy: Any) -> AuditReport:
    model, X_train, y_train, X_test, y_test = diabetes
    return audit(
        model,
        X_train,
        y_train,
        X_test,
        y_test,
        sensitive_features=["group"],
        policy=POLICY | policy,
        generated_at=STAMP,
    )


@pytest.fixture(scope="module")
def regression(diabetes: tuple) -> AuditReport:
    return _regression(diabetes)


@pytest.fixture(scope="module")
def regression_cut(diabetes: tuple) -> AuditReport:
    return _regression(diabetes, regression_threshold=150.0)


@pytest.fixture(scope="module")
def wine() -> AuditReport:
    data = load_wine(as_frame=True)
    X, y = (
        data.data[["alcohol", "malic_acid", "ash", "magnesium"]].copy(),
        data.target.map({0: "barolo", 1: "grignolino", 2: "barbera"}),
    )
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.4, random_state=1, stratify=y)
    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=500)).fit(X_train, y_train)
    return audit(model, X_train, y_train, X_test, y_test, policy=POLICY, generated_at=STAMP)


def _section(report: AuditReport, sid: str) -> dict[str, Any]:
    return next(s for s in report.evidence["sections"] if s["id"] == sid)


def _facts(section: dict[str, Any]) -> dict[str, Any]:
    return {r["label"]: r["value"] for b in section["blocks"] if b["type"] == "facts" for r in b["rows"]}


def _text(section: dict[str, Any]) -> str:
    return " ".join(str(b.get("text", "")) for b in section["blocks"]) + " " + section["summary"]


# --------------------------------------------------------------------------- robustness wording (B)


def test_a_regressor_without_a_threshold_says_its_cut_is_the_median_prediction(
    diabetes: tuple, regression: AuditReport
) -> None:
    model, _, _, X_test, _ = diabetes
    median = float(np.median(model.predict(X_test[model.feature_names_in_])))
    section = _section(regression, "robustness")
    noise = next(f for f in regression.evidence["findings"] if f["id"] == "robustness.noise")
    facts = _facts(section)
    assert facts["Median test prediction (the cut)"] == pytest.approx(median)
    assert facts["Rows crossing the median prediction (mean over repeats)"] == pytest.approx(noise["observed"])
    assert noise["metric"] == "share of rows whose prediction crosses the median prediction"
    text = _text(section) + " " + noise["message"]
    assert "decisions change" not in text and "Decisions changed" not in str(facts)
    assert f"cross the median test prediction ({median:.4g})" in section["summary"]
    assert "no regression_threshold" in text and f"{NOISE_REPEATS} repeats" in noise["message"]


def test_a_regressor_with_a_threshold_and_a_classifier_keep_the_decision_wording(
    regression_cut: AuditReport, wine: AuditReport
) -> None:
    for report in (regression_cut, wine):
        section = _section(report, "robustness")
        noise = next(f for f in report.evidence["findings"] if f["id"] == "robustness.noise")
        assert noise["metric"] == "share of decisions that change"
        assert "decisions change under small input noise" in section["summary"]
        assert "Decisions changed (mean over repeats)" in _facts(section) and "median" not in section["summary"]


# --------------------------------------------------------------------------- design section (E)


def test_a_multiclass_design_section_compares_predicted_classes_without_a_threshold(wine: AuditReport) -> None:
    facts = _facts(_section(wine, "design"))
    assert not [label for label in facts if "threshold" in label]
    agreement = facts["Predicted classes in agreement"]
    assert 0.0 <= agreement <= 1.0


# --------------------------------------------------------------------------- regulation crosswalk (A)

ADVERSE_ACTION = ("RegB-1002.9a2", "RegB-1002.9b2", "RegB-SuppI-9b2-2", "RegB-CFPB-2022-03", "RegB-FCRA-615a")


def _rows(report: AuditReport) -> dict[str, dict[str, Any]]:
    return {r["id"]: r for r in report.evidence["crosswalk"]}


@pytest.mark.parametrize("case", ["regression", "wine"])
def test_no_declared_decision_claims_no_adverse_action_requirement(case: str, request: pytest.FixtureRequest) -> None:
    report = request.getfixturevalue(case)
    local = _section(report, "local_explanations")
    assert not [b for b in local["blocks"] if b["type"] == "notice"]  # no sample notice to claim
    rows = _rows(report)
    for rid in ADVERSE_ACTION:
        assert rows[rid]["status"] == "not addressed by this report", rid
        assert rows[rid]["note"].startswith("Not answered: no decision was declared"), rid
        assert "re-running the audit" in rows[rid]["responsible"], rid
    assert rows["GDPR-C-203-22"]["status"] == "addressed"  # the local section still explains each prediction


def test_a_declared_threshold_answers_the_adverse_action_requirements(regression_cut: AuditReport) -> None:
    report = regression_cut
    assert [b for b in _section(report, "local_explanations")["blocks"] if b["type"] == "notice"]
    rows = _rows(report)
    assert rows["RegB-1002.9b2"]["status"] == "addressed"
    assert rows["RegB-1002.9a2"]["status"] == "partially addressed"
    assert "renders a sample" in rows["RegB-1002.9a2"]["note"]
