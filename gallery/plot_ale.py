"""Accumulated local effects against partial dependence on correlated features
=============================================================================

Two features that measure nearly the same thing, and a flexible model fitted on them. Partial
dependence sets one feature to every value of its grid in every row, so it asks the model about
rows that do not exist (the first measurement high, the second low) and averages whatever the
model makes up there. Accumulated local effects (ALE, Apley and Zhu 2020) move each row only
within a narrow interval of the feature, where there is data, and add up the differences. Here
the true effects are known, so we can see which of the two recovers them.
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
from sklearn.linear_model import LinearRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import PolynomialFeatures

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
# Data with a known answer
# ------------------------
# ``x1`` and ``x2`` are two noisy readings of one quantity ``u`` (correlation about 0.97), and
# the target is ``x1 + x2**2`` plus noise: the true effect of ``x1`` is a straight line, that of
# ``x2`` a parabola.
rng = np.random.default_rng(0)
n = 500
u = rng.uniform(0, 1, n)
X = pd.DataFrame({"x1": u + rng.normal(0, 0.05, n), "x2": u + rng.normal(0, 0.05, n)})
y = X["x1"] + X["x2"] ** 2 + rng.normal(0, 0.1, n)
TRUTH = {"x1": lambda v: v, "x2": lambda v: v**2}
print(f"correlation of x1 and x2: {X['x1'].corr(X['x2']):.3f}")

# %%
# A cubic polynomial regression fits the rows well. Off the diagonal, where it saw no rows, its
# cubic terms are free to do anything: nothing in the data pins them down.
model = make_pipeline(PolynomialFeatures(degree=3), LinearRegression()).fit(X, y)
print(f"R^2 on the rows it was fitted on: {model.score(X, y):.3f}")

# %%
# Both explanations
# -----------------
# ``method="ale"`` returns a GlobalExplanation like partial dependence does: one importance per
# feature (kind ``"ale_std"``: the standard deviation of the effect over the rows) and one
# effect per feature, here on 20 intervals between quantiles of the feature (``grid_resolution``).
ale = ex.Explainer(model, method="ale").explain_global(X)
pdp = ex.Explainer(model, method="partial_dependence").explain_global(X)
print(ale.kind, ale.effect("x1").kind, f"{len(ale.effect('x1').grid)} edges")
print("rows in each interval of x1:", ale.params["bin_counts"]["x1"])
print(pd.DataFrame({"ALE": ale.importances, "partial dependence": pdp.importances}, index=ale.feature_names))

# %%
# ALE's effects draw with the same plots as partial dependence; the rug marks the observed values.
fig = plots.effects_grid(ale, data=X)
save(fig, "ale_effects")

# %%
# Against the truth
# -----------------
# An effect is known only up to a constant, so each curve (the truth, partial dependence, ALE)
# is shifted to a mean of zero over the rows before they are compared.


def centred(grid, values, x):
    """``values`` on ``grid``, shifted so that their mean at the rows' values ``x`` is zero."""
    grid, values = np.asarray(grid, dtype=float), np.asarray(values, dtype=float)
    return values - np.interp(x, grid, values).mean()


fig = Figure(figsize=(10, 4), layout="constrained")
for ax, name in zip(fig.subplots(1, 2), ("x1", "x2"), strict=True):
    x = X[name].to_numpy()
    line = np.linspace(x.min(), x.max(), 100)
    a, p = ale.effect(name), pdp.effect(name)
    ax.plot(line, centred(line, TRUTH[name](line), x), color="black", linestyle=":", label="truth")
    ax.plot(a.grid, centred(a.grid, a.average, x), linewidth=2, label="ALE")
    ax.plot(p.grid, centred(p.grid, p.average, x), linewidth=2, label="partial dependence")
    ax.set_xlabel(name)
    ax.set_ylabel("effect on the prediction (centred)")
    for grid, values, label in ((a.grid, a.average, "ALE"), (p.grid, p.average, "partial dependence")):
        inside = (line >= min(grid)) & (line <= max(grid))
        curve = np.interp(line[inside], np.asarray(grid, dtype=float), np.asarray(values, dtype=float))
        truth = TRUTH[name](line[inside])
        gap = (curve - curve.mean()) - (truth - truth.mean())
        print(f"{name}: {label} is at most {np.abs(gap).max():.2f} from the truth")
fig.axes[0].legend(frameon=False)
save(fig, "ale_vs_partial_dependence")

# %%
# ALE follows both true effects; partial dependence bends away from them, by more than the
# whole effect of ``x1``.
#
# Where each method asks the model
# --------------------------------
# For a few rows, the points at which the model is called to work out the effect of ``x1``:
# partial dependence moves each row along the whole grid of ``x1`` (far from the diagonal
# where the data are), ALE only between the two edges of the row's own interval.
edges = np.asarray(ale.effect("x1").grid)
fig = Figure(figsize=(10, 4), layout="constrained")
left, right = fig.subplots(1, 2, sharey=True)
for ax, title in ((left, "partial dependence"), (right, "ALE")):
    ax.scatter(X["x1"], X["x2"], s=4, color="0.75", label="rows")
    ax.set_title(f"{title}: where the model is asked", fontsize=10)
    ax.set_xlabel("x1")
left.set_ylabel("x2")
for i in range(0, n, 25):
    x1, x2 = X["x1"].iloc[i], X["x2"].iloc[i]
    left.plot([min(pdp.effect("x1").grid), max(pdp.effect("x1").grid)], [x2, x2], color="tab:orange", linewidth=1)
    k = max(int(np.searchsorted(edges, x1, side="left")), 1)
    right.plot([edges[k - 1], edges[k]], [x2, x2], color="tab:blue", linewidth=2)
save(fig, "ale_where_the_model_is_asked")

# %%
# The price of ALE: each effect rests only on the rows of each interval (``bin_counts``), so
# fewer intervals (a smaller ``grid_resolution``) give smoother curves from more rows each. A
# categorical feature has no order of its own: ALE orders its categories by how alike the rows
# of each are in the other features, and records that order in ``params["category_order"]``.
