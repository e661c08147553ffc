"""The local-explanations section decides adverse rows by the model's own score against the
policy's threshold, whatever space the explanation is in (a logistic regression is explained in
log-odds; the threshold is a probability)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression

import explain as ex


def test_adverse_decisions_are_the_models_own_in_probability():
    rng = np.random.default_rng(0)
    n = 1200
    X = pd.DataFrame({"x1": rng.normal(size=n), "x2": rng.uniform(size=n), "x3": rng.normal(size=n)})
    y = (rng.random(n) < 1 / (1 + np.exp(-(X.x1 - X.x2 + 0.3)))).astype(int)
    model = LogisticRegression().fit(X[:800], y[:800])
    X["grp"] = np.where(np.arange(n) % 2 == 0, "A", "B")
    report = ex.audit(
        model, X[:800], y[:800], X[800:], y[800:], sensitive_features=["grp"], random_state=0,
        policy={"decision_threshold": 0.5, "explain_rows": 100, "n_bootstrap": 20},
    )  # fmt: skip
    section = next(s for s in report.evidence["sections"] if s["id"] == "local_explanations")
    table = next(b for b in section["blocks"] if b.get("id") == "adverse_decisions")
    p = pd.Series(model.predict_proba(X[["x1", "x2", "x3"]])[:, 1], index=X.index)
    assert table["rows"]
    for row in table["rows"]:
        # the score shown is the probability the threshold applies to, and it is below it
        assert row["score"] == p[int(row["id"])] and row["score"] < row["threshold"] == 0.5
    explained = 100
    adverse = int(section["summary"].split(" of ")[0])
    assert adverse < explained and "log-odds" in table["columns"][-1]["label"]


def test_what_if_rows_are_counterfactuals_the_model_confirms():
    from sklearn.ensemble import HistGradientBoostingClassifier

    from explain.datasets import credit_splits

    splits = credit_splits()
    features = [c for c in splits.X_train.columns if c not in ("sex", "age_band")]
    model = HistGradientBoostingClassifier(max_iter=40, random_state=0, categorical_features="from_dtype")
    model.fit(splits.X_train[features], splits.y_train)
    report = ex.audit(
        model, splits.X_train[features], splits.y_train, splits.X_test[features], splits.y_test, random_state=0,
        policy={"decision_threshold": 0.7, "explain_rows": 60, "n_bootstrap": 20, "stability_runs": 2},
    )  # fmt: skip
    section = next(s for s in report.evidence["sections"] if s["id"] == "local_explanations")
    table = next(b for b in section["blocks"] if b.get("id") == "what_if")
    assert "scored again by the model" in table["note"] and "Held fixed: age" in table["note"]
    options = [row for row in table["rows"] if row["option"] > 0]
    assert len(options) >= 5
    for row in options:
        assert row["score"] >= 0.7  # the model's own new score reaches the favourable side
        assert not any(move.startswith("age ") for move in row["what_if"].split("; "))  # age held fixed
