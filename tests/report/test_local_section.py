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
