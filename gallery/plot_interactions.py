"""SHAP interaction values: which features act together
=====================================================

A SHAP value says how much a feature moved one prediction; it does not say whether the feature
acted alone or together with another. SHAP *interaction values* split each row's SHAP values
into a matrix: the main effect of each feature on the diagonal, and the interaction of each pair
off it (half of the pair's interaction on each side, so the matrix is symmetric and each row of
it sums to the feature's SHAP value).

The credit data shipped with ``explain`` was generated with one planted interaction: the loan
amount counts *relative to income* (``-2.3 * loan_amount / income`` in the true log-odds). This
example fits LightGBM (with native categorical columns and missing values), computes the
interaction values of 400 applications and checks that they find that pair.
"""

# %%
# Setup
# -----
import os
import tempfile
from pathlib import Path

import lightgbm
import numpy as np

import explain as ex
from explain.datasets import credit_splits
from explain.plots import dependence
from explain.plots.interactions import interactions

OUT = Path(os.environ.get("EXPLAIN_GALLERY_OUT") or tempfile.mkdtemp(prefix="explain-gallery-"))
OUT.mkdir(parents=True, exist_ok=True)


def save(ax_or_fig, name):
    """Save the figure an Axes belongs to (or a Figure) as ``OUT/name.png``."""
    ax_or_fig.figure.savefig(OUT / f"{name}.png", dpi=100)
    print(f"wrote {OUT / name}.png")


# %%
# The model
# ---------
data = credit_splits()
features = list(data.features)
X_train, X_test = data.X_train[features], data.X_test[features]
model = lightgbm.LGBMClassifier(n_estimators=150, num_leaves=15, learning_rate=0.05, verbose=-1, random_state=0)
model.fit(X_train, data.y_train)
rows = X_test.iloc[:400]

# %%
# Interaction values
# ------------------
# Without background data, ``tree_shap`` is path-dependent and explains the model's margin (the
# log-odds of repayment); the interaction values are then exactly those of shap's
# ``TreeExplainer.shap_interaction_values`` (for the models shap reads), computed by explain's
# own compiled engine, which also reads LightGBM's categorical splits.
explainer = ex.Explainer(model)
inter = explainer.explain_interactions(rows)
local = explainer.explain_local(rows)
print(inter)
print("largest |row sum - SHAP value|:", float(np.abs(inter.values.sum(axis=2) - local.values).max()))
print("symmetric:", bool(np.allclose(inter.values, inter.values.transpose(0, 2, 1))))

# %%
# Which pairs interact?
# ---------------------
# ``to_global()`` averages ``|interaction|`` over the rows; the heatmap shows the strongest pairs.
strength = inter.to_global()
print(strength.to_frame().loc[["loan_amount", "income"], ["loan_amount", "income", "debt_to_income"]].round(3))
print("strongest partner of loan_amount:", inter.strongest("loan_amount"))
save(interactions(inter, max_display=8), "interactions_heatmap")

# %%
# A dependence plot coloured by the partner
# -----------------------------------------
# Given interaction values, ``dependence`` draws the SHAP values of a feature and colours the
# dots by its strongest partner: at the same loan amount, a lower income (blue) costs more.
save(dependence(inter, "loan_amount"), "interactions_dependence")

# %%
# Interventional interaction values
# ---------------------------------
# With background data the game is the interventional one ("feature unknown" = taken from a
# background row), the same game ``explain_local`` plays with a background. Its interaction
# values (which shap's TreeExplainer does not offer) are computed exactly from the trees. They
# decompose the log-odds: a boosted model's probability attributions are a rescaling that
# defines no interaction index, and asking for them says so.
background = X_train.sample(100, random_state=0)
interventional = ex.Explainer(model, background=background, output="log_odds").explain_interactions(rows[:100])
print(interventional.params["feature_perturbation"], "strongest partner of loan_amount:",
      interventional.strongest("loan_amount"))  # fmt: skip
try:
    ex.Explainer(model, background=background).explain_interactions(rows[:5])
except ex.errors.MethodError as error:
    print("probability:", str(error)[:160], "...")
