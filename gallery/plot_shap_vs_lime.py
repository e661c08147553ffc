"""SHAP and LIME on one model
===========================

Explain the same 60 predictions of a random forest twice: with exact Shapley values
(``tree_shap``) and with LIME, a local linear surrogate fitted to perturbed copies of each row.
Then measure how far the two agree with :func:`explain.compare`, draw them side by side with
:func:`explain.plots.compare`, and check how well LIME's surrogate fits the model around each
row (its *fidelity*). The two answer related but different questions, so they need not agree
exactly; this example shows how to see where they do not.
"""

# %%
# Setup
# -----
import os
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.datasets import load_breast_cancer
from sklearn.ensemble import RandomForestClassifier
from sklearn.model_selection import train_test_split

import explain as ex
from explain import plots

OUT = Path(os.environ.get("EXPLAIN_GALLERY_OUT") or tempfile.mkdtemp(prefix="explain-gallery-"))
OUT.mkdir(parents=True, exist_ok=True)
pd.set_option("display.width", 120)


def save(ax_or_fig, name):
    """Save the figure an Axes belongs to (or a Figure) as ``OUT/name.png``."""
    ax_or_fig.figure.savefig(OUT / f"{name}.png", dpi=100)
    print(f"wrote {OUT / name}.png")


# %%
# A model on ten features
# -----------------------
# The ten "mean ..." measurements of the breast-cancer data, and a random forest of shallow
# trees. Fewer features keep the comparison readable.
X, y = load_breast_cancer(return_X_y=True, as_frame=True)
X = X[[c for c in X.columns if c.startswith("mean ")]]
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.3, random_state=0)
model = RandomForestClassifier(n_estimators=100, max_depth=5, random_state=0).fit(X_train, y_train)
print(f"test accuracy: {model.score(X_test, y_test):.3f}")
rows = X_test[:60]
CLASSES = ["malignant", "benign"]  # names of classes 0 and 1, for the axis labels

# %%
# Two explanations of the same rows
# ---------------------------------
# Both explain the probability of "benign" against the same background, so their
# numbers share units. SHAP values here are exact. LIME's values are the coefficients of a
# weighted ridge regression of the model's output on "is this feature in the same quartile bin
# as the row?", fitted to 5000 perturbed rows (``num_samples``). They depend on that random
# sample, drawn from ``random_state``, so the same seed gives the same values.
# ``sample="shared"`` (the default) draws one perturbed sample and uses it for every row:
# fast, but the rows share their sampling noise.
shap_explainer = ex.Explainer(model, background=X_train, output="probability", class_names=CLASSES, random_state=0)
shap_local = shap_explainer.explain_local(rows)
lime_explainer = ex.Explainer(
    model, background=X_train, method="lime", output="probability", class_names=CLASSES, random_state=0
)
lime_local = lime_explainer.explain_local(rows)
print(shap_local.method, lime_local.method, lime_local.params["num_samples"], lime_local.params["sample"])

# %%
# How far do they agree?
# ----------------------
# :func:`explain.compare` summarizes three per-row measures over the rows: the Spearman rank
# correlation of the two attribution vectors, the share of features whose attributions have
# the same sign, and the overlap (Jaccard) of the top-5 features.
table = ex.compare(shap_local, lime_local, k=5)
print(table[["metric", "mean", "median", "min", "q10"]].round(3).to_string(index=False))

# %%
# The same, in a picture: mean absolute attribution of each feature under both methods, with
# the average agreement in the title. Then one row's signed attributions.
ax = plots.compare(shap_local, lime_local)
save(ax, "shap_vs_lime_compare")

ax = plots.compare(shap_local, lime_local, row=0)
save(ax, "shap_vs_lime_compare_row0")

# %%
# LIME's fidelity
# ---------------
# LIME's surrogate is a straight-line model of the forest near the row. Its weighted R² on its
# own sample (``explain.metrics.fidelity``) says how well that line fits: near 1 the
# attributions describe the model well around this row; near 0 they describe little. Exact
# Shapley methods add up to the prediction by construction, so their fidelity is 1.
lime_fidelity = ex.metrics.fidelity(lime_local)
print(f"LIME fidelity (weighted R^2): median {np.median(lime_fidelity):.2f}, min {lime_fidelity.min():.2f}")
print(f"SHAP fidelity: {np.unique(ex.metrics.fidelity(shap_local))}")

# LIME's values do not add up to the prediction: its intercept plus the coefficients of the
# features (all "in the row's bin") is the surrogate's prediction, not the model's.
print(f"additivity error, SHAP: {ex.metrics.additivity_error(shap_local).max():.1e}")
print(f"additivity error, LIME: median {np.median(ex.metrics.additivity_error(lime_local)):.3f}")

# %%
# Is agreement lower where LIME fits worse? Compare the rows below and above the median
# fidelity. A low fidelity is a warning to read that row's LIME values with care, not proof
# that they disagree with SHAP.
per_row = ex.metrics.agreement(shap_local, lime_local)
per_row["lime_fidelity"] = lime_fidelity
low = per_row["lime_fidelity"] < per_row["lime_fidelity"].median()
print(
    f"mean Spearman where LIME fits worse than its median: {per_row.loc[low, 'spearman'].mean():.2f}; "
    f"better: {per_row.loc[~low, 'spearman'].mean():.2f}"
)

# %%
# LIME's randomness
# -----------------
# Another seed draws another sample. :func:`explain.metrics.stability` explains the rows once
# per seed and compares every run with the first: a rank correlation near 1 means the seed
# barely matters.
stable = ex.metrics.stability(
    lambda seed: ex.Explainer(
        model,
        background=X_train,
        method="lime",
        output="probability",
        class_names=CLASSES,
        random_state=seed,
    ).explain_local(rows[:20]),
    seeds=[0, 1, 2],
)
print(stable[["metric", "mean", "min"]].round(3).to_string(index=False))
