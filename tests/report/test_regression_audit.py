"""A regression audit speaks about predictions, not approvals (issue 15): without a declared
``regression_threshold`` no adverse-action content appears, and the local section shows the
principal drivers of the highest and lowest predictions; with one, the decisions return."""

from __future__ import annotations

import html
import re
from pathlib import Path
from typing import Any

import pytest
from sklearn.datasets import load_diabetes
from sklearn.ensemble import RandomForestRegressor

import explain as ex
from explain.report import Policy

FAST = {"explain_rows": 60, "n_bootstrap": 20, "stability_runs": 2}
STAMP = "2026-01-02T03:04:05Z"
CREDIT = re.compile(r"\b(approve|approved|application|applications|applicant|applicants)\b|adverse[ -]action", re.I)
# the sections whose wording this change owns; the regulation texts (document control's framework
# table, the crosswalk) quote the law, and the data and drift sections are worded elsewhere
OWNED = (
    "summary", "intended_use", "design", "performance", "robustness", "global_explanations",
    "local_explanations", "fairness", "limitations", "monitoring", "signoff", "glossary",
)  # fmt: skip


def _audit(policy: Policy) -> ex.report.AuditReport:
    X, y = load_diabetes(return_X_y=True, as_frame=True)
    model = RandomForestRegressor(n_estimators=20, max_depth=5, random_state=0).fit(X[:300], y[:300])
    return ex.audit(model, X[:300], y[:300], X[300:], y[300:], policy=policy, generated_at=STAMP)


@pytest.fixture(scope="module")
def plain() -> ex.report.AuditReport:
    return _audit(Policy.from_dict(FAST))


@pytest.fixture(scope="module")
def decided() -> ex.report.AuditReport:
    return _audit(Policy.from_dict({**FAST, "regression_threshold": 150.0}))


def _strings(value: Any) -> list[str]:
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return [value] if isinstance(value, str) else []


def _credit_words(texts: list[str]) -> list[str]:
    return [t for t in texts if CREDIT.search(t)]


def test_evidence_text_has_no_credit_wording(plain: ex.report.AuditReport) -> None:
    sections = [s for s in plain.evidence["sections"] if s["id"] in OWNED]
    assert {s["id"] for s in sections} == set(OWNED)
    findings = [f for f in plain.evidence["findings"] if f["section"] in OWNED]
    assert _credit_words(_strings(sections) + _strings(findings)) == []


def test_html_text_has_no_credit_wording(plain: ex.report.AuditReport, tmp_path: Path) -> None:
    page = plain.to_html(tmp_path / "audit.html").read_text(encoding="utf-8")
    page = re.sub(r"<(script|style)\b.*?</\1>", " ", page, flags=re.S)
    parts = dict(re.findall(r'<section id="sec-(\w+)"(.*?)</section>', page, flags=re.S))
    assert set(OWNED) <= set(parts)
    lines = [
        line.strip()
        for name in OWNED
        for line in html.unescape(re.sub(r"<[^>]+>", "\n", parts[name])).splitlines()
        if line.strip()
    ]
    assert "Principal drivers stable across runs" in lines
    assert _credit_words(lines) == []


def test_local_section_shows_neutral_prediction_drivers(plain: ex.report.AuditReport) -> None:
    blocks = {b.get("id") for b in plain.section("local_explanations")["blocks"]}
    assert "prediction_drivers" in blocks
    assert not blocks & {"adverse_decisions", "what_if"}
    assert not any(b["type"] == "notice" for b in plain.section("local_explanations")["blocks"])
    ids = set(plain.findings["id"])
    assert "local.driver_stability" in ids
    assert not ids & {"local.reason_stability", "local.protected_reasons"}
    drivers = plain.table("local_explanations", "prediction_drivers")
    assert len(drivers) == 6  # the three highest and the three lowest predictions
    assert drivers["prediction"].is_monotonic_decreasing
    for row in drivers.itertuples():
        side = "above" if row.prediction >= row.average else "below"
        assert row.reading.startswith(f"The prediction of {row.prediction:.1f} is {side} the average of ")
        assert re.search(r"mainly because of \w+ \([+-]\d+\.\d\)", row.reading)


def test_declared_regression_threshold_brings_back_the_decisions(decided: ex.report.AuditReport) -> None:
    blocks = decided.section("local_explanations")["blocks"]
    ids = {b.get("id") for b in blocks}
    assert {"adverse_decisions", "what_if"} <= ids and "prediction_drivers" not in ids
    adverse = decided.table("local_explanations", "adverse_decisions")
    assert len(adverse) and (adverse["score"] < 150).all() and (adverse["threshold"] == 150).all()
    notice = next(b for b in blocks if b["type"] == "notice")
    assert "We could not approve your application" in notice["text"]
    assert "local.reason_stability" in set(decided.findings["id"])
    assert decided.evidence["policy"]["regression_threshold"] == 150.0


def test_regression_threshold_is_optional_signed_and_left_out_when_unset() -> None:
    assert Policy().regression_threshold is None and "regression_threshold" not in Policy().to_dict()
    assert Policy(regression_threshold=-2.5).regression_threshold == -2.5  # in the target's units
    with pytest.raises(ex.errors.InputError):
        Policy(regression_threshold=float("nan"))


@pytest.mark.parametrize("threshold", [None, 40.0])
def test_age_rule_only_when_predictions_decide(threshold: float | None) -> None:
    """Regulation B's age rule governs credit decisions: a regressor is judged by it only with a
    declared decision threshold, and then the gap is the partial dependence's."""
    import numpy as np
    import pandas as pd
    from sklearn.linear_model import LinearRegression

    rng = np.random.default_rng(0)
    X = pd.DataFrame({"age": rng.integers(20, 85, 600).astype(float), "income": rng.normal(50, 10, 600)})
    y = 0.8 * X["income"] - 0.1 * X["age"] + rng.normal(0, 2, 600)
    model = LinearRegression().fit(X[:400], y[:400])
    policy = Policy.from_dict({**FAST, "regression_threshold": threshold})
    report = ex.audit(model, X[:400], y[:400], X[400:], y[400:], policy=policy, generated_at=STAMP)
    if threshold is None:
        assert "fairness.age_rule" not in set(report.findings["id"])
        return
    rule = report.findings.set_index("id").loc["fairness.age_rule"]
    assert rule.status == "fail"  # the model gives older applicants lower predictions
    assert rule.title == "Applicants aged 62+ not scored adversely for age"
    ages = X["age"][400:]
    grid = np.linspace(0.05, 0.95, 10)
    old, young = (np.unique(np.quantile(a, grid)).mean() for a in (ages[ages >= 62], ages[ages < 62]))
    # a linear model's partial dependence moves by its coefficient times the change in age
    assert rule.observed == pytest.approx(model.coef_[0] * (old - young), rel=1e-9)


@pytest.mark.parametrize("threshold", [None, 150.0])
def test_performance_wording_of_a_regressor(threshold: float | None) -> None:
    # issue 15: R² does not 'rank outcomes', and without regression_threshold the per-group column
    # is the share predicted above the median, not a favourable-decision rate
    import numpy as np

    X, y = load_diabetes(return_X_y=True, as_frame=True)
    X = X.assign(group=np.where(X["sex"] > 0, "a", "b"))
    features = [c for c in X.columns if c != "group"]
    model = RandomForestRegressor(n_estimators=20, max_depth=5, random_state=0).fit(X[:300][features], y[:300])
    policy = Policy.from_dict({**FAST, "regression_threshold": threshold})
    report = ex.audit(model, X[:300], y[:300], X[300:], y[300:], sensitive_features=["group"], policy=policy,
                      generated_at=STAMP)  # fmt: skip
    texts = _strings(report.section("performance"))
    assert not [t for t in texts if "rank outcomes" in t]
    assert [t for t in texts if "share of the target's variance that the predictions explain" in t]
    by_group = report.section("performance")["blocks"]
    table = next(b for b in by_group if b.get("id") == "performance_by_group")
    label = next(c["label"] for c in table["columns"] if c["key"] == "favourable")
    prediction = model.predict(X[300:][features])
    chosen = prediction >= threshold if threshold is not None else prediction > np.median(prediction)
    rows = report.table("performance", "performance_by_group").set_index("group")
    for group in ("a", "b"):
        mask = (X[300:]["group"] == group).to_numpy()
        assert rows.loc[group, "favourable"] == pytest.approx(chosen[mask].mean())
    if threshold is None:
        assert table["caption"] == "Test R² and share predicted above the median per group" and label == "Above median"
    else:
        assert table["caption"] == "Test R² and favourable-decision rate per group" and label == "Favourable"
