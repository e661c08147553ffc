"""Auditing a multiclass model
============================

A model that sorts cases into more than two classes (approve / refer / decline, or three wine
cultivars here) is audited like a binary one, with the decision read as the class it predicts.
This example audits a classifier of the three cultivars of scikit-learn's wine data: the report
shows precision, recall, F1 and one-vs-rest ROC AUC per class with their macro averages, a
confusion matrix, the fairness of each class's decision one against the rest, the features that
drive each class, and the reasons for each explained row's class. Declaring a favourable class
(``Policy.favourable_class``) turns the other classes into adverse decisions, with their reasons
and a sample notice.
"""

# %%
# Setup
# -----
import os
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from sklearn.datasets import load_wine
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import explain as ex

OUT = Path(os.environ.get("EXPLAIN_GALLERY_OUT") or tempfile.mkdtemp(prefix="explain-gallery-"))
OUT.mkdir(parents=True, exist_ok=True)
pd.set_option("display.width", 140)
pd.set_option("display.max_colwidth", 70)
pd.set_option("display.max_columns", 20)

# %%
# The data and the model
# ----------------------
# The wine data has 178 wines of three cultivars. The data has no attribute of people, so a
# ``region`` column is drawn at random to show the fairness section (with a seed: the same
# column every run); the model never sees it.
X, y = load_wine(return_X_y=True, as_frame=True)
y = pd.Series(np.array(["barolo", "grignolino", "barbera"])[y], name="cultivar")
rng = np.random.default_rng(0)
X = X.assign(region=np.where(rng.random(len(X)) < 0.5, "north", "south"))
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.5, random_state=0, stratify=y)
features = [c for c in X.columns if c != "region"]
model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000)).fit(X_train[features], y_train)

# %%
# The audit
# ---------
# The groups of the test data are small (about 45 wines each), so the policy lowers the least
# group size of the fairness tables from 30 to 10.
report = ex.audit(
    model,
    X_train,
    y_train,
    X_test,
    y_test,
    sensitive_features=["region"],
    card=ex.ModelCard(name="cultivar classifier", version="1.0", owner="Cellar analytics (example)"),
    policy=ex.Policy(min_group_size=10),
    random_state=0,
    generated_at="2026-01-15T09:00:00Z",  # pinned: the same inputs give the same files
)
print(report)
findings = report.findings
print(findings[["id", "observed", "status"]].to_string(index=False))

# %%
# Performance per class
# ---------------------
# The same numbers as ``sklearn.metrics.classification_report`` on the test data, with the
# one-vs-rest ROC AUC of each class; the policy's least ROC AUC applies to the macro average.
per_class = report.table("performance", "per_class")
print(per_class.to_string(index=False))
print(report.table("performance", "confusion").to_string(index=False))

# %%
# One class against the rest, per group
# -------------------------------------
# Each class drives a decision ("predicted barolo" or not): its selection rate per group and
# the impact ratio against the group predicted in it most, as fairlearn defines them.
for label in per_class["class"][:3]:
    rates = report.table("fairness", f"fairness_region_{label}")
    print(label, dict(zip(rates["group"], rates["selection_rate"].round(3), strict=True)))

# %%
# What drives each class
# ----------------------
print(report.table("global_explanations", "importance_per_class").to_string(index=False))

fig = Figure(figsize=(6, 2.6), layout="constrained")
ax = fig.add_subplot()
classes = per_class["class"][:3].tolist()
x = np.arange(len(classes))
for offset, key in ((-0.25, "precision"), (0.0, "recall"), (0.25, "auc")):
    ax.bar(x + offset, per_class[key][:3], width=0.25, label=key)
ax.set_xticks(x, classes)
ax.set_ylim(0.5, 1.02)
ax.set_ylabel("test data")
ax.legend(loc="lower right", ncols=3)
fig.savefig(OUT / "audit_multiclass_per_class.png", dpi=100)
print(f"wrote {OUT / 'audit_multiclass_per_class.png'}")

# %%
# A favourable class
# ------------------
# Declared, ``favourable_class`` makes "predicted barolo" the favourable decision: the local
# section then gives each other decision its reasons (the features pushing P(barolo) down) and
# a sample notice, and the performance section ranks the rows by P(barolo) (KS, Gini, deciles).
decided = ex.audit(
    model,
    X_train,
    y_train,
    X_test,
    y_test,
    sensitive_features=["region"],
    policy=ex.Policy(min_group_size=10, favourable_class="barolo"),
    random_state=0,
    generated_at="2026-01-15T09:00:00Z",
)
reasons = decided.table("local_explanations", "class_reasons")
print(reasons[["id", "predicted", "why_not"]].head(4).to_string(index=False))

# %%
# The report
# ----------
print("wrote", report.to_html(OUT / "audit_multiclass.html"))
print("wrote", report.to_json(OUT / "evidence_multiclass.json"))
try:
    print("wrote", report.to_pdf(OUT / "audit_multiclass.pdf"))
except ex.errors.MissingDependencyError as exc:
    print(f"no PDF: {exc}")
