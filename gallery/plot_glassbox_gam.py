"""A glass-box GAM against a black box
=====================================

A *glass-box* model is one whose explanation is the model itself. :mod:`explain.glassbox`
ships additive boosted models (GAMs): gradient boosting in which every tree splits on a single
feature, so the log-odds are an intercept plus one curve per feature. This example fits one
next to an unconstrained ``HistGradientBoostingClassifier`` on the breast-cancer data, compares
their accuracy, draws the GAM's shape functions, and asks how far the GAM's exact terms agree
with the Shapley values of the black box.
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
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import train_test_split

import explain as ex
from explain import plots
from explain.glassbox import AdditiveBoostingClassifier

OUT = Path(os.environ.get("EXPLAIN_GALLERY_OUT") or tempfile.mkdtemp(prefix="explain-gallery-"))
OUT.mkdir(parents=True, exist_ok=True)
pd.set_option("display.width", 120)


def save(ax_or_fig, name):
    """Save the figure an Axes belongs to (or a Figure) as ``OUT/name.png``."""
    ax_or_fig.figure.savefig(OUT / f"{name}.png", dpi=100)
    print(f"wrote {OUT / name}.png")


# %%
# Two models on the same data
# ---------------------------
X, y = load_breast_cancer(return_X_y=True, as_frame=True)
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.3, random_state=0)
CLASSES = ["malignant", "benign"]  # names of classes 0 and 1, for the axis labels

gam = AdditiveBoostingClassifier(max_iter=300, random_state=0).fit(X_train, y_train)
black_box = HistGradientBoostingClassifier(max_iter=100, max_depth=4, random_state=0).fit(X_train, y_train)

for name, model in (("additive GAM", gam), ("black box", black_box)):
    accuracy = model.score(X_test, y_test)
    auc = roc_auc_score(y_test, model.predict_proba(X_test)[:, 1])
    print(f"{name:>12}: accuracy {accuracy:.3f}, ROC AUC {auc:.3f}")

# %%
# On this data the constrained model is about as accurate as the black box: when that is
# so, prefer the model you can read.
#
# The GAM's exact decomposition
# -----------------------------
# For the GAM, ``method="auto"`` picks ``glassbox``: each feature's attribution is the value
# of its own term (in log-odds), read from the trees; there is nothing to estimate and no
# background is needed.
gam_local = ex.Explainer(gam, class_names=CLASSES, random_state=0).explain_local(X_test)
print(gam_local.method, gam_local.output_space, f"additivity error {gam_local.additivity_error():.1e}")
# The three largest terms of the first test row:
row = gam_local.top(3)
print(row[row["row"] == 0][["rank", "feature", "feature_value", "attribution"]].to_string(index=False))

# %%
# Shape functions
# ---------------
# ``explain_global`` of a glass-box model carries its *effects*: each feature's term on a grid
# of its values. A shape function is exact (it is the model), so it has no uncertainty band;
# the rug of ticks along the bottom shows where the training data lie, and so where the curve
# rests on data.
gam_global = ex.Explainer(gam, class_names=CLASSES, random_state=0).explain_global(X_train)
print(gam_global.kind, len(gam_global.effects), "effects")
effect = gam_global.effect("worst concave points")
print(effect.kind, f"{len(effect.grid)} grid points")

ax = plots.effects(gam_global, "worst concave points", data=X_train)
save(ax, "gam_shape_function")

fig = plots.effects_grid(gam_global, max_panels=6, data=X_train)
save(fig, "gam_shape_functions_grid")

# %%
# The same curves come straight from the estimator as step functions:
# ``gam.shape_functions()["worst concave points"]`` holds the thresholds and the value of each
# step.
steps = gam.shape_functions()["worst concave points"]
print(f"{len(steps.grid)} thresholds, values from {steps.values.min():.2f} to {steps.values.max():.2f} log-odds")

# %%
# Do the two models use the data alike?
# -------------------------------------
# Explain the black box with exact interventional Shapley values in the same units, log-odds,
# and compare them row by row with the GAM's terms. The models differ, so perfect agreement is
# not expected; high agreement says the black box relies on much the same features, in much the
# same way, as the model we can read.
bb_explainer = ex.Explainer(black_box, background=X_train, output="log_odds", class_names=CLASSES, random_state=0)
bb_local = bb_explainer.explain_local(X_test)
print(bb_local.method, bb_local.output_space)
table = ex.compare(gam_local, bb_local, k=5)
print(table[["metric", "mean", "median", "q10"]].round(3).to_string(index=False))

ax = plots.compare(gam_local, bb_local, max_display=12)
save(ax, "gam_vs_black_box")

# %%
# Sign agreement is low for a reason that matters little: the GAM never splits on some
# features, so their terms are exactly zero, while the black box gives them small non-zero
# values, and zero never has the sign of a non-zero number. Where both models give a feature
# a sizeable attribution, the signs agree.
unused = int((np.abs(gam_local.values).max(axis=0) == 0).sum())
print(f"features the GAM never uses: {unused} of {gam_local.n_features}")
both = (np.abs(gam_local.values) > 0.2) & (np.abs(bb_local.values) > 0.2)
same_sign = np.sign(gam_local.values[both]) == np.sign(bb_local.values[both])
print(f"same sign where both |attributions| > 0.2 log-odds: {same_sign.mean():.1%} of {both.sum()} cases")

# %%
# For an additive model, the exact terms are Shapley values
# ---------------------------------------------------------
# A feature's Shapley value in an additive model is its own term minus that term's mean over
# the background. The GAM's terms are centred on the training data, so ``tree_shap`` of the
# GAM's underlying booster, with the whole training set as background, gives the same numbers.
shapley_of_gam = ex.Explainer(
    gam.booster_, background=X_train, background_size=None, output="log_odds", random_state=0
).explain_local(X_test[:50])
gap = np.abs(shapley_of_gam.values - gam_local[:50].values).max()
print(f"max |tree_shap of the GAM - its exact terms| = {gap:.1e}")
