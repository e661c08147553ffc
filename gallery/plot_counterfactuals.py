"""Counterfactuals: what would have changed a credit decision
=============================================================

Reason codes say *why* an application was declined; a counterfactual says *what would have
changed it*: "had your income been 36,000 instead of 29,000, the loan would have been approved".
GDPR Art. 22, read with the CJEU's judgment in C-203/22, asks that a person subject to an
automated decision can understand how other data would have led to another result, and a
counterfactual answers that in the person's own terms.

This example trains a credit model on the data set that ships with ``explain``, declines
applicants below a cut-off, and asks :func:`explain.counterfactuals` for up to three different
changes per applicant that the model would approve, with age held fixed and every value within
what the training data has seen. Every counterfactual returned has been scored by the model.
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
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder

import explain as ex
from explain.datasets import credit_splits

OUT = Path(os.environ.get("EXPLAIN_GALLERY_OUT") or tempfile.mkdtemp(prefix="explain-gallery-"))
OUT.mkdir(parents=True, exist_ok=True)
pd.set_option("display.width", 120)

# %%
# A credit model
# --------------
# Applications of 2022-2023 to train, 2024 to decide; a one-hot encoder for the categorical
# columns and gradient boosting, fitted without the sensitive attributes. The bank approves when
# the predicted probability of repayment is at least 0.7.
split = credit_splits()
features = list(split.features)
categorical = [c for c in features if str(split.X_train[c].dtype) == "category"]
encode = ColumnTransformer(
    [("categories", OneHotEncoder(handle_unknown="ignore", sparse_output=False), categorical)],
    remainder="passthrough",
)
gbm = HistGradientBoostingClassifier(max_iter=100, max_depth=3, learning_rate=0.1, random_state=0)
model = Pipeline([("encode", encode), ("gbm", gbm)]).fit(split.X_train[features], split.y_train)
CUTOFF = 0.7
applicants = split.X_test[features]
p_repaid = model.predict_proba(applicants)[:, 1]
declined = applicants[p_repaid < CUTOFF].iloc[:40]
print(f"{(p_repaid < CUTOFF).mean():.0%} of the 2024 applicants are declined; explaining {len(declined)} of them")

# %%
# Counterfactuals
# ---------------
# ``data`` bounds the changes: a numeric feature takes values observed in the training data
# (between its smallest and largest), a categorical one the categories seen there. ``age`` is
# immutable; years of employment can only grow. ``desired=1`` is the class "repaid";
# ``threshold`` the bank's cut-off.
cf = ex.counterfactuals(
    model,
    declined,
    data=split.X_train[features],
    desired=1,
    threshold=CUTOFF,
    immutable=["age"],
    increase_only=["employment_years"],
    k=3,
    random_state=0,
)
frame = cf.to_frame()
changes = frame.groupby(["row", "counterfactual"]).size()
print(repr(cf))
print(f"found for {cf.found.mean():.0%} of the declined applicants; {changes.mean():.2f} features changed on average")
print(frame[frame["row"] < 2].to_string(index=False))

# %%
# In plain words, for the applicant and for the file: ``outcome`` is the phrase for the desired
# outcome (by default the new decision and score are given).
first = int(cf.rows[0])
print(cf.text(first, outcome="the loan would have been approved"))
print()
print(cf.text(first))

# %%
# Each counterfactual, scored again here: the model approves every one.
rows = cf.candidates()
print(rows[["income", "debt_to_income", "credit_utilization", "prediction", "outcome"]].head(6).round(3))
assert (model.predict_proba(rows[features])[:, 1] >= CUTOFF).all()

# %%
# Which changes would help most often?
# ------------------------------------
# Over the declined applicants: how often each feature is part of the closest counterfactual,
# and how large the closest counterfactual is, in the distance the search minimises (the
# change of each numeric feature divided by its median absolute deviation in the training data,
# plus one for each changed category). ``months_at_address`` has no effect on repayment in the
# process that generated the data (see its datasheet), yet the model lets it tip a decision near
# the cut-off: a reviewer would declare it immutable, or question the model.
closest = frame[frame["counterfactual"] == 0]
share = closest.groupby("feature")["row"].nunique().sort_values() / cf.found.sum()
scales = dict(cf.params["scales"])
distance = []
for _, part in closest.groupby("row"):
    total = 0.0
    for rec in part.itertuples():
        if rec.feature in scales:
            total += abs(float(rec.new_value) - float(rec.value)) / scales[rec.feature]
        else:
            total += 1.0
    distance.append(total)

fig = Figure(figsize=(10, 3.8), layout="constrained")
left, right = fig.subplots(1, 2)
left.barh(share.index, share.to_numpy(), color="#3b75af")
left.set_xlabel("share of declined applicants")
left.set_title("Features changed by the closest counterfactual")
right.hist(distance, bins=12, color="#e1812c")
right.set_xlabel("distance (MAD-normalised L1)")
right.set_ylabel("applicants")
right.set_title("How far the closest approval is")
fig.savefig(OUT / "counterfactuals.png", dpi=100)
print(f"wrote {OUT / 'counterfactuals.png'}")

# %%
# Constraints, and rows with none
# -------------------------------
# Allow one change only, keep the loan purpose and amount as asked, and cap incomes at the
# 95th percentile of the training data: fewer applicants have a counterfactual, and each that
# has none says why.
income_95 = float(np.quantile(split.X_train["income"], 0.95))
strict = ex.counterfactuals(
    model,
    declined,
    data=split.X_train[features],
    desired=1,
    threshold=CUTOFF,
    immutable=["age", "loan_purpose", "loan_amount"],
    ranges={"income": (None, income_95)},
    max_changes=1,
    k=1,
)
print(f"one change only: found for {strict.found.mean():.0%}")
missing = [r for r in range(strict.n_rows) if not strict.found[r]]
if missing:
    print(f"row {missing[0]}: {strict.notes[missing[0]]}")

# %%
# Reproducible and auditable
# --------------------------
# The same inputs and seed give the same bytes; the result records the model and data
# fingerprints, the distance, the search and what it cost, and reloads from JSON (data only).
again = ex.counterfactuals(
    model, declined, data=split.X_train[features], desired=1, threshold=CUTOFF,
    immutable=["age"], increase_only=["employment_years"], k=3, random_state=0,
)  # fmt: skip
print("same bytes:", again.content_hash() == cf.content_hash())
print({key: cf.params[key] for key in ("model_calls", "model_rows")}, dict(cf.params["stages"]))
print(cf.provenance.model_fingerprint[:16], cf.provenance.background_fingerprint[:16])
saved = OUT / "counterfactuals.json"
cf.to_json(saved)
print("reloaded:", ex.Counterfactuals.from_json(saved).content_hash() == cf.content_hash())
