"""Global importance and feature effects
======================================

Three ways to ask "what drives this model?" of one gradient-boosting regressor on
scikit-learn's bundled diabetes data: permutation importance (how much the score drops when a
feature's values are shuffled), mean absolute SHAP value (how much a feature moves the
predictions), and partial dependence with ICE curves (how the prediction moves as one feature
changes). The first two rank features; the third shows the shape of each effect.
"""

# %%
# Setup
# -----
import os
import tempfile
from pathlib import Path

import pandas as pd
from matplotlib.figure import Figure
from sklearn.datasets import load_diabetes
from sklearn.ensemble import HistGradientBoostingRegressor
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
# The model
# ---------
# 442 patients, ten baseline measurements (scaled by scikit-learn), and a measure of disease
# progression one year later.
X, y = load_diabetes(return_X_y=True, as_frame=True)
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.3, random_state=0)
model = HistGradientBoostingRegressor(
    max_iter=200, learning_rate=0.03, max_depth=2, min_samples_leaf=20, random_state=0
).fit(X_train, y_train)
print(f"test R^2: {model.score(X_test, y_test):.3f}")  # the target is noisy: no model gets far above 0.5

# %%
# Two importances
# ---------------
# ``method="permutation_importance"`` runs scikit-learn's permutation importance on held-out
# rows, so it needs the target: the importance is in units of the score (R² here), with the
# spread over ``n_repeats`` shuffles. Mean |SHAP| comes from explaining the same rows with
# ``tree_shap``; it is in units of the prediction.
permutation = ex.Explainer(
    model, method="permutation_importance", method_params={"n_repeats": 10}, random_state=0
).explain_global(X_test, y_test)
shap_global = ex.Explainer(model, background=X_train, random_state=0).explain_global(X_test)
print(permutation.kind, permutation.output_space, "|", shap_global.kind, shap_global.output_space)

ranks = pd.DataFrame(
    {
        "permutation rank": permutation.top(10).set_index("feature")["rank"],
        "mean |SHAP| rank": shap_global.top(10).set_index("feature")["rank"],
    }
).sort_values("mean |SHAP| rank")
print(ranks.to_string())

# %%
# Side by side: two Axes of one Figure, each drawn by :func:`explain.plots.bar`.
fig = Figure(figsize=(10, 4), layout="constrained")
left, right = fig.subplots(1, 2)
plots.bar(permutation, ax=left)
left.set_title("Permutation importance (drop in R²)", fontsize=10)
plots.bar(shap_global, ax=right)
right.set_title("Mean |SHAP value|", fontsize=10)
save(fig, "global_importances")

# %%
# The two agree on the top three and part ways below. They measure different things. Mean
# |SHAP| says how much the model's predictions move with a feature; permutation importance says
# how much the *score on held-out rows* suffers without it. ``s3`` moves predictions, yet
# shuffling it does not hurt the test score (its importance is below zero, within the noise of
# the shuffles): what the model learned from it does not carry over to new rows, or the
# features correlated with it (``s4`` at -0.74, ``s5``) carry the same information. Permutation
# also breaks the links between features, so it scores the model on rows that may not exist.
print(X[["s3", "s4", "s5"]].corr().round(2).to_string())

# %%
# Partial dependence with ICE bands
# ---------------------------------
# ``method="partial_dependence"`` sets a feature to each value of a grid in every row, and
# averages the predictions (the partial dependence, the line). Each row's own curve is an ICE
# curve; the band holds the middle 80% of them (10th to 90th percentile). Parallel ICE curves
# (a band of even width) mean the feature acts alike in every row; a band that widens or
# twists means it interacts with other features. The rug marks the observed values: outside
# them the curve extrapolates.
pd_global = ex.Explainer(model, method="partial_dependence", random_state=0).explain_global(X_test)
bmi = pd_global.effect("bmi")
print(bmi.kind, f"{len(bmi.grid)} grid points", pd_global.params["ice_band"])
ax = plots.effects(pd_global, "bmi", data=X_test)
save(ax, "global_pdp_bmi")

# %%
# The grid runs from the 5th to the 95th percentile of the feature (``percentiles`` in
# ``method_params``), so the curve stops where the data thin out, and the rug shows the rows
# beyond it.
#
# A grid of the most important effects
# ------------------------------------
# The same GlobalExplanation ranks features by how much their partial dependence varies (the
# standard deviation of the curve), yet another importance. A flat curve does not prove a
# feature unused: opposite effects in different rows can cancel in the average, which the ICE
# band would show.
print(pd_global.top(6)[["rank", "feature", "importance"]].round(2).to_string(index=False))

# %%
# :func:`explain.plots.effects_grid` draws the most important effects (six by default) in one
# Figure with a shared y axis, so their heights compare directly.
fig = plots.effects_grid(pd_global, data=X_test)
save(fig, "global_effects_grid")
