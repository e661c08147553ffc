"""The limitations section's worked example names the output the explanation is in: a linear
classifier is explained in log-odds (not a probability), a multiclass model for each row's
predicted class, a regressor in its prediction; the numbers are the explained row's own."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.datasets import load_breast_cancer, load_diabetes, load_wine
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import explain as ex

FAST = {"explain_rows": 20, "n_bootstrap": 20, "stability_runs": 2}


def _example(loader, model):  # type: ignore[no-untyped-def]
    X, y = loader(return_X_y=True, as_frame=True)
    model.fit(X[::2], y[::2])
    report = ex.audit(model, X[::2], y[::2], X[1::2], y[1::2], policy=FAST, generated_at="2026-01-01T00:00:00Z")
    texts = [b["text"] for b in report.section("limitations")["blocks"] if b["type"] == "text"]
    return next(t for t in texts if t.startswith("How to read an explanation")), X


@pytest.mark.parametrize(
    ("loader", "model", "says"),
    [
        (load_breast_cancer, LogisticRegression(max_iter=5000), "log-odds of class 1"),
        (load_breast_cancer, HistGradientBoostingClassifier(max_iter=20, random_state=0), "P(target = 1)"),
        (
            load_wine,
            make_pipeline(StandardScaler(), LogisticRegression(max_iter=5000)),
            "raw score of the row's predicted class",
        ),
        (load_diabetes, LinearRegression(), "prediction of target"),
    ],
)
def test_worked_example_names_the_output_explained(loader, model, says: str) -> None:  # type: ignore[no-untyped-def]
    text, X = _example(loader, model)
    assert f"the model's {says} averages" in text
    if "log-odds" in says:
        assert "P(" not in text
    # "for this row it is Y": the model's own output for the named test row, in the space named
    row = X.loc[[int(text.split("test row ")[1].split(")")[0])]]
    if "log-odds" in says or "raw score" in says:
        expected = np.max(model.decision_function(row))
    elif says.startswith("P("):
        expected = model.predict_proba(row)[0, 1]
    else:
        expected = model.predict(row)[0]
    assert float(text.split("for this row it is ")[1].split(". ")[0]) == pytest.approx(expected, abs=5e-4)
