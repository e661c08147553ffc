"""Auditing a credit model
========================

A model that decides who gets a loan has to be shown to work, to be stable, to treat groups
fairly, and to be documented, before anyone signs it off. ``explain.audit`` does the measuring
and writes the report. This example trains a model on the credit data shipped with ``explain``
(generated, with a documented disparity between women and men and drift in 2024), audits it,
reads the findings, pulls the fairness table out of the evidence, and writes the report as HTML
(and as an archival PDF when the ``pdf`` extra is installed).
"""

# %%
# Setup
# -----
import os
import tempfile
from pathlib import Path

import pandas as pd
from matplotlib.figure import Figure
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder

import explain as ex
from explain.datasets import credit_splits

OUT = Path(os.environ.get("EXPLAIN_GALLERY_OUT") or tempfile.mkdtemp(prefix="explain-gallery-"))
OUT.mkdir(parents=True, exist_ok=True)
pd.set_option("display.width", 140)
pd.set_option("display.max_colwidth", 60)
pd.set_option("display.max_columns", 20)

# %%
# The data and the model
# ----------------------
# Applications of 2022-2023 train the model, those of 2024 test it (out of time). ``sex`` and
# ``age_band`` are in the frames for the bias audit, but the model never sees them.
data = credit_splits()
features = list(data.features)
categorical = [c for c in features if str(data.X_train[c].dtype) == "category"]
encode = ColumnTransformer(
    [("categories", OneHotEncoder(handle_unknown="ignore", sparse_output=False), categorical)],
    remainder="passthrough",
    verbose_feature_names_out=False,
)
gbm = HistGradientBoostingClassifier(max_iter=200, learning_rate=0.05, max_depth=3, random_state=0)
model = Pipeline([("encode", encode), ("gbm", gbm)]).fit(data.X_train[features], data.y_train)

# %%
# The audit
# ---------
# The policy says what is acceptable; here the bank approves when P(repaid) >= 0.7 and keeps
# every other default. A small model card says what the model is for.
card = ex.ModelCard(
    name="personal-loan GBM",
    version="0.9",
    owner="Credit Risk (example)",
    intended_use="Rank applications for unsecured personal loans.",
)
report = ex.audit(
    model,
    data.X_train,
    data.y_train,
    data.X_test,
    data.y_test,
    sensitive_features=list(data.sensitive),
    card=card,
    policy=ex.Policy(decision_threshold=0.7, explain_rows=300),
    random_state=0,
    generated_at="2026-01-15T09:00:00Z",  # pinned: the same inputs give the same files
)
print(report)

# %%
# What needs attention
# --------------------
# Every finding has a metric, a threshold, the observed value and a status; the verdict is the
# worst status.
findings = report.findings
print(findings.loc[findings["status"].isin(["fail", "warn"]), ["title", "observed", "threshold", "status"]])

# %%
# The fairness table, straight from the evidence
# ----------------------------------------------
# Every table of the report is in the evidence, by section and id; here the selection rates by
# sex, with the impact ratio against the most selected group and the significance test.
fairness = report.table("fairness", "fairness_sex")
print(fairness[["group", "count", "selection_rate", "impact_ratio", "p_value", "reason"]])

shown = fairness.dropna(subset=["selection_rate"])
fig = Figure(figsize=(6, 2.4), layout="constrained")
ax = fig.add_subplot()
ax.barh(shown["group"], shown["selection_rate"], color="#3b6ea5")
ax.set_xlabel("share approved (test data, 2024)")
ax.set_xlim(0, 1)
for y, rate in enumerate(shown["selection_rate"]):
    ax.text(rate + 0.01, y, f"{rate:.1%}", va="center")
fig.savefig(OUT / "audit_selection_rates.png", dpi=100)
print(f"wrote {OUT / 'audit_selection_rates.png'}")

# %%
# The report
# ----------
# The HTML file is self-contained (no external requests); the PDF is archival (PDF/A-3b and
# PDF/UA-1) and carries the evidence as an attachment. Check a PDF later with
# ``explain verify audit.pdf``.
print("wrote", report.to_html(OUT / "audit.html"))
print("wrote", report.to_json(OUT / "evidence.json"))
try:
    print("wrote", report.to_pdf(OUT / "audit.pdf"))
except ex.errors.MissingDependencyError as exc:
    print(f"no PDF: {exc}")
