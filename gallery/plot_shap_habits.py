"""Bring your shap habits
======================

Coming from shap? The explanation is the same idea, parallel arrays (``values``,
``base_values``, ``data``) that slice together, so most habits carry over. This example
explains a credit model, hands the explanation to shap's own plots with ``to_shap()``, brings
a ``shap.Explanation`` back with ``from_shap()``, and then does what shap users do every day:
pick columns and rows, split the rows into cohorts and join batches. Two things differ on
purpose: a column selection keeps adding up to the prediction (the features left out become
"other features"), and nothing is guessed: unknown names, masks of the wrong length and
explanations that do not belong together are refused with the fix.
"""

# %%
# Setup
# -----
import os
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import shap
from matplotlib.figure import Figure
from sklearn.ensemble import HistGradientBoostingClassifier

import explain as ex
from explain import LocalExplanation
from explain.datasets import credit_splits

OUT = Path(os.environ.get("EXPLAIN_GALLERY_OUT") or tempfile.mkdtemp(prefix="explain-gallery-"))
OUT.mkdir(parents=True, exist_ok=True)
pd.set_option("display.width", 120)


def save(ax_or_fig, name):
    """Save the figure an Axes belongs to (or a Figure) as ``OUT/name.png``."""
    ax_or_fig.figure.savefig(OUT / f"{name}.png", dpi=100, bbox_inches="tight")
    print(f"wrote {OUT / name}.png")


# %%
# A credit model, explained
# -------------------------
# The synthetic credit applications that ship with ``explain``: numbers and three categorical
# columns (pandas ``category``), which the gradient-boosting model reads natively.
splits = credit_splits()
features = list(splits.features)
X_train, X_test = splits.X_train[features], splits.X_test[features].iloc[:300]
model = HistGradientBoostingClassifier(categorical_features="from_dtype", max_iter=60, random_state=0)
model.fit(X_train, splits.y_train)

explainer = ex.Explainer(model, background=X_train.iloc[:200])
local = explainer.explain_local(X_test)
print(local)

# %%
# ``to_shap()``: shap's plots on our explanation
# ----------------------------------------------
# ``to_shap()`` returns a plain ``shap.Explanation``. shap sorts and colours by numbers, so a
# categorical column's ``data`` holds codes and ``display_data`` the labels shap prints.
sv = local.to_shap()
print(sv.values.shape, sv.base_values.shape, sv.feature_names[:3])
print("employment_type as data:", sv.data[:3, 7], "as shown:", sv.display_data[:3, 7])

# shap's waterfall makes a figure of its own and returns its Axes
save(shap.plots.waterfall(sv[0], show=False), "shap_habits_shap_waterfall")
fig = Figure(figsize=(8, 5))  # beeswarm draws where it is told
shap.plots.beeswarm(sv, ax=fig.add_subplot(), plot_size=None, show=False)
save(fig, "shap_habits_shap_beeswarm")

# %%
# ``from_shap()``: a shap.Explanation brought back
# ------------------------------------------------
# A colleague explained a second model, on the numeric columns, with shap's own TreeExplainer.
# A ``shap.Explanation`` records neither the model nor the units of its values, so say the
# units (a tree model's margin: log-odds). The result names its source and claims no model
# fingerprint; its predictions are ``base_values + values.sum(axis=1)``, as in shap's
# waterfall.
numeric = [f for f in features if X_train[f].dtype.kind in "if"]
other_model = HistGradientBoostingClassifier(max_iter=30, random_state=0).fit(X_train[numeric], splits.y_train)
tree_explainer = shap.TreeExplainer(other_model)
theirs = LocalExplanation.from_shap(tree_explainer(X_test[numeric]), output_space="log_odds", explainer=tree_explainer)
print(theirs.method, dict(theirs.params), repr(theirs.provenance.model_fingerprint))

# and the round trip is exact
back = LocalExplanation.from_shap(sv, output_space=local.output_space, output_names=local.output_names)
assert np.array_equal(back.values, local.values) and back.feature_names == local.feature_names

# %%
# Slicing: ``local[rows, features]``
# ----------------------------------
# Rows by position, slice or boolean mask (a pandas Series counts by position); features by
# name or position, in the order you ask for them. Always two dimensions: ``local[:, "age"]``
# is an explanation of one feature, not a bare array.
young = (X_test["age"] < 30).to_numpy()
part = local[young, ["debt_to_income", "credit_utilization", "late_payments_2y"]]
print(part)
print("left out:", part.features_left_out)

# %%
# shap's waterfall of a column slice stops short of the prediction (the other features are
# gone). Ours keeps the base values and predictions and sums the features left out into a
# ``remainder``, drawn as "other features", so the bars still reach the prediction.
ax = part[0].plot()
save(ax, "shap_habits_subset_waterfall")
print(f"additivity error of the selection: {part.additivity_error():.2g}")

# a typo is answered with the names closest to it
try:
    local[:, "debt_to_incme"]
except ex.errors.InputError as error:
    print("refused:", error)

# %%
# Cohorts
# -------
# ``cohorts(by)`` splits the rows by a feature of the explained data, by one label per row
# (here the applicant's sex, which the model does not see), or by a boolean mask. Labels are
# sorted, so the order is the same on every run.
by_sex = local.cohorts(splits.X_test["sex"].iloc[:300])
importance = {label: cohort.to_global().importances for label, cohort in by_sex.items()}
summary = pd.DataFrame(importance, index=list(local.feature_names))  # mean |value| per cohort
print(summary.sort_values(summary.columns[0], ascending=False).round(4).head(6))
for label, cohort in local.cohorts("employment_type").items():
    print(f"{label:>14}: {len(cohort):3d} rows, mean prediction {cohort.predictions.mean():.3f}")

# %%
# ``explain.concat``: batches back together
# -----------------------------------------
# Explain in batches (or per cohort) and join them. Only explanations of the same model,
# method, output space, features and background join; the parts are listed in the params.
batches = [explainer.explain_local(X_test.iloc[i : i + 100]) for i in range(0, 300, 100)]
joined = ex.concat(batches)
assert np.array_equal(joined.values, local.values)
print([entry["rows"] for entry in joined.params["concatenated"]])
try:
    ex.concat([local, theirs])
except ex.errors.InputError as error:
    print("refused:", error)

# %%
# Everything above is an ordinary explanation: frozen, saved and loaded exactly.
path = OUT / "shap_habits_selection.json"
part.to_json(path)
assert ex.load(path).to_json() == part.to_json()
print(f"wrote {path}")
