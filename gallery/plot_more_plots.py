"""More plots: heatmap, decision, violin, ICE and two-way partial dependence
==========================================================================

Five more ways to look at a model, on the credit data shipped with ``explain`` and a
HistGradientBoosting classifier of the probability that a loan is repaid. Three draw a local
explanation of many rows (:func:`explain.plots.heatmap`, :func:`explain.plots.decision`,
:func:`explain.plots.violin`); two call the model itself on a grid of one or two features
(:func:`explain.plots.ice`, :func:`explain.plots.partial_dependence_2d`). Every plot returns an
:class:`explain.plots.Plot`: in a notebook, the last one of a cell shows its figure; here each is
saved with ``plot.savefig``.
"""

# %%
# Setup
# -----
import os
import tempfile
from pathlib import Path

import numpy as np
from sklearn.ensemble import HistGradientBoostingClassifier

import explain as ex
from explain import plots
from explain.datasets import credit_splits

OUT = Path(os.environ.get("EXPLAIN_GALLERY_OUT") or tempfile.mkdtemp(prefix="explain-gallery-"))
OUT.mkdir(parents=True, exist_ok=True)


def save(plot, name):
    """Save a plot's whole figure as ``OUT/name.png``."""
    plot.savefig(OUT / f"{name}.png", dpi=100)
    print(f"wrote {OUT / name}.png")


# %%
# The model
# ---------
# Twelve columns of loan applications (three categorical, one with missing values), and whether
# the loan was repaid. The data were generated with one planted interaction: the loan amount
# counts relative to income.
data = credit_splits()
features = list(data.features)
X_train, X_test = data.X_train[features], data.X_test[features]
model = HistGradientBoostingClassifier(
    max_iter=150, learning_rate=0.05, max_leaf_nodes=15, categorical_features="from_dtype", random_state=0
).fit(X_train, data.y_train)
print(f"test accuracy: {model.score(X_test, data.y_test):.3f}")

explainer = ex.Explainer(model, background=X_train.sample(200, random_state=0), random_state=0)
rows = X_test.iloc[:300]
local = explainer.explain_local(rows)
print(local.method, local.output_space, local.output_names)  # tree_shap, probability of class '1' (repaid)

# %%
# Heatmap: many rows side by side
# -------------------------------
# One column per application, one line per feature, coloured by its SHAP value (vermillion
# raises the probability of repayment, blue lowers it). With ``order="clustering"`` (the
# default) applications explained alike sit together; the strip above shows each one's
# prediction against the base value. Here a block of low predictions is explained mostly by
# high credit utilization, another by low income.
plot = plots.heatmap(local)
save(plot, "more_heatmap")

# %%
# ``order="prediction"`` sorts the applications by their predictions instead.
save(plots.heatmap(local[:40], order="prediction", max_display=6), "more_heatmap_by_prediction")

# %%
# Decision plot: paths from the base value to each prediction
# ------------------------------------------------------------
# Each line is one application, read from the bottom up: it starts at the base value and moves
# by each feature's SHAP value, the most important features on top, ending at the prediction.
# Lines that run together were decided for the same reasons.
plot = plots.decision(local, rows=range(40), max_display=10)
assert len(plot.ax.collections[0].get_paths()) == 40  # one line per row
ends = np.array([path.vertices[-1, 0] for path in plot.ax.collections[0].get_paths()])
print(f"lines end at the predictions: {np.allclose(ends, local.predictions[:40])}")
save(plot, "more_decision")

# %%
# Violin: the spread of each feature's SHAP values
# -------------------------------------------------
# A summary of the beeswarm that stays readable for any number of rows: the width is the density
# of the SHAP values, the white dot their median, the thick line the middle half.
save(plots.violin(local, max_display=10), "more_violin")

# %%
# ICE curves: every row as one feature moves
# ------------------------------------------
# Each thin line is one application with its credit utilization set to each value of a grid;
# the thick line is their average, the partial dependence (the same numbers as
# ``Explainer(model, method="partial_dependence").explain_global(rows)``). Given the Explainer,
# the curves are in its output space: probability of repayment. Lines that are not parallel
# show that utilization matters more for some applicants than for others.
plot = plots.ice(explainer, rows, "credit_utilization", max_lines=150)
pd_global = ex.Explainer(model, method="partial_dependence").explain_global(rows, features=["credit_utilization"])
average = plot.ax.get_lines()[0].get_ydata()
print(f"ICE average equals partial dependence: {np.allclose(average, pd_global.effect('credit_utilization').average)}")
save(plot, "more_ice")

# %%
# ``centered=True`` starts every curve at zero, so that the shapes compare.
save(plots.ice(explainer, rows, "credit_utilization", centered=True, max_lines=150), "more_ice_centered")

# %%
# Two-way partial dependence: income and loan amount together
# -----------------------------------------------------------
# The average prediction over the rows with income and loan amount set to each pair of grid
# values. Contours that bend show the interaction the data were generated with: a loan of the
# same amount lowers the probability of repayment more for a lower income. The dots are the
# applications' own pairs of values; away from them the map extrapolates.
plot = plots.partial_dependence_2d(explainer, rows.iloc[:200], ("income", "loan_amount"), grid_resolution=15)
save(plot, "more_partial_dependence_2d")
