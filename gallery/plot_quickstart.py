"""Quick start: explain a gradient-boosting classifier
=====================================================

Fit a model on scikit-learn's bundled breast-cancer data, explain 100 test predictions with
Shapley values, and look at the result three ways: a waterfall of one prediction, a beeswarm
of all 100, and a bar chart of global importance. Then save the explanation to JSON and load
it back. This is the five-minute tour; the other examples go deeper into each step.
"""

# %%
# Setup
# -----
# Every example writes its figures to the directory named by the environment variable
# ``EXPLAIN_GALLERY_OUT`` (a temporary directory by default) and never opens a window: the
# plots in :mod:`explain.plots` draw on a :class:`matplotlib.figure.Figure` and return a
# :class:`explain.plots.Plot` (its ``.figure``; a notebook shows it as the figure).
import os
import tempfile
from pathlib import Path

import numpy as np
from sklearn.datasets import load_breast_cancer
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.model_selection import train_test_split

import explain as ex

OUT = Path(os.environ.get("EXPLAIN_GALLERY_OUT") or tempfile.mkdtemp(prefix="explain-gallery-"))
OUT.mkdir(parents=True, exist_ok=True)


def save(ax_or_fig, name):
    """Save the figure an Axes belongs to (or a Figure) as ``OUT/name.png``."""
    fig = ax_or_fig.figure
    fig.savefig(OUT / f"{name}.png", dpi=100)
    print(f"wrote {OUT / name}.png")


# %%
# Fit a model
# -----------
# 569 tumours, 30 measurements each; the target is 1 for benign, 0 for malignant. A small
# histogram gradient-boosting model is enough to be accurate here.
X, y = load_breast_cancer(return_X_y=True, as_frame=True)
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.3, random_state=0)
model = HistGradientBoostingClassifier(max_iter=60, max_depth=4, random_state=0).fit(X_train, y_train)
print(f"test accuracy: {model.score(X_test, y_test):.3f}")

# %%
# Explain 100 predictions
# -----------------------
# The training rows are the *background*: "feature unknown" means "drawn from these rows".
# ``method="auto"`` picks the exact and fastest method the model allows (here ``tree_shap``)
# and records its choice. Attributions are in probability of the positive class, which
# ``class_names`` (in the order of ``model.classes_``: 0, 1) names "benign".
explainer = ex.Explainer(model, background=X_train, class_names=["malignant", "benign"], random_state=0)
local = explainer.explain_local(X_test[:100])
print(local)
print("chosen by auto:", local.params["auto"]["chosen"])
print(f"additivity error: {local.additivity_error():.2e}")

# %%
# One prediction: the waterfall
# -----------------------------
# Take the test row the model is least sure about. Start at the base value (the average
# prediction over the background, at the bottom) and add each feature's contribution; the top
# bar ends at this row's prediction. Vermillion bars raise the probability of "benign", blue
# bars lower it. The smallest contributions are summed into one "other features" bar.
row = int(np.argmin(np.abs(local.predictions - 0.5)))
one = local[row]
ax = one.plot()  # one row -> waterfall; the same as explain.plots.waterfall(one)
ax.set_title(f"Test row {row}: P(benign) = {one.predictions[0]:.2f}", fontsize=10)
save(ax, "quickstart_waterfall")
print(one.top(4)[["rank", "feature", "feature_value", "attribution"]])

# %%
# Many predictions: the beeswarm
# ------------------------------
# One dot per row on each feature's line: where the dot sits is the attribution, its colour is
# the feature's value (blue low, vermillion high). "worst" measurements that are high push
# towards malignant (left).
ax = local.plot("beeswarm", max_display=12)
save(ax, "quickstart_beeswarm")

# %%
# What drives the model: global importance
# ----------------------------------------
# The mean absolute attribution of each feature over the 100 rows, with its standard
# deviation as an error bar. It says how much a feature moves predictions, not in which
# direction.
glob = local.to_global()
print(glob.top(5)[["rank", "feature", "importance"]])
ax = glob.plot(max_display=12)
save(ax, "quickstart_bar")

# %%
# Save and reload
# ---------------
# Explanations are values: JSON with a schema version, read back by :func:`explain.load`
# without executing any code. ``content_hash()`` leaves out the run time, so it is equal for
# equal explanations.
path = OUT / "quickstart_local.json"
local.to_json(path)
again = ex.load(path)
assert again.content_hash() == local.content_hash()
assert (again.values == local.values).all()
print(f"reloaded {again.n_rows} rows from {path.name}; content hash {again.content_hash()[:12]}...")
