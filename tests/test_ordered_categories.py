"""A pandas Categorical's declared order of categories is the order partial dependence shows.

scikit-learn sorts a categorical grid (``np.unique``): "high" before "low". The user declared
"low", "mid", "high", "very high" (here ordered, as ``pd.cut`` gives): the global effect, ICE
and two-way plots keep that order, their numbers moved with their labels. An explanation of
rows keeps values, not dtypes, so the dependence plot and ``to_shap`` keep the sorted order.
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib.collections import QuadMesh
from sklearn.ensemble import HistGradientBoostingRegressor

import explain as ex
from explain.plots import dependence, ice, partial_dependence_2d

BANDS = ["low", "mid", "high", "very high"]  # declared; sorted would be high, low, mid, very high


@pytest.fixture(scope="module")
def banded():
    rng = np.random.default_rng(0)
    n = 160
    X = pd.DataFrame({"bp": rng.normal(size=n), "s5": rng.normal(size=n)})
    X["band"] = pd.Categorical(rng.choice(BANDS, size=n), categories=BANDS, ordered=True)
    step = X["band"].cat.codes.to_numpy() * 10.0  # rises with the declared order
    y = step + 3 * X["bp"] + rng.normal(scale=0.1, size=n)
    model = HistGradientBoostingRegressor(categorical_features="from_dtype", max_iter=40, random_state=0)
    return model.fit(X, y), X.iloc[:60]


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _mean_prediction(model, X, band: str, **fixed: float) -> float:
    Z = X.assign(band=pd.Categorical([band] * len(X), categories=BANDS, ordered=True), **fixed)
    return float(model.predict(Z).mean())


def _ticks(labels) -> list[str]:
    return [t.get_text() for t in labels]


def test_partial_dependence_grid_keeps_the_declared_order(banded):
    model, X = banded
    effect = ex.Explainer(model, method="partial_dependence").explain_global(X).effect("band")
    assert list(effect.grid) == BANDS
    expected = [_mean_prediction(model, X, b) for b in BANDS]
    np.testing.assert_allclose(effect.average, expected, rtol=1e-9)
    assert np.all(np.diff(effect.average) > 0)  # the model's own rise, in the user's order
    assert effect.lower is not None and effect.upper is not None
    assert np.all(effect.lower <= effect.average + 1e-9) and np.all(effect.average <= effect.upper + 1e-9)


def test_unordered_declared_categories_keep_their_order_too(banded):
    model, X = banded
    unordered = X.assign(band=X["band"].cat.as_unordered())
    effect = ex.Explainer(model, method="partial_dependence").explain_global(unordered).effect("band")
    assert list(effect.grid) == BANDS


def test_ice_keeps_the_declared_order(banded):
    model, X = banded
    plot = ice(model, X, "band")
    assert _ticks(plot.ax.get_xticklabels()) == BANDS
    (line,) = plot.ax.get_lines()
    expected = [_mean_prediction(model, X, b) for b in BANDS]
    np.testing.assert_allclose(line.get_ydata(), expected, rtol=1e-9)
    curves = np.array([p.vertices[:, 1] for p in plot.ax.collections[0].get_paths()])
    first = model.predict(X.iloc[:1].assign(band=pd.Categorical(["low"], categories=BANDS, ordered=True)))
    assert curves[0, 0] == pytest.approx(first[0])  # each row's curve moved with the labels
    centered = ice(model, X, "band", centered=True)
    (line,) = centered.ax.get_lines()
    assert line.get_ydata()[0] == pytest.approx(0.0, abs=1e-9)  # centred at the first declared category


def test_partial_dependence_2d_keeps_the_declared_order(banded):
    model, X = banded
    plot = partial_dependence_2d(model, X, ("band", "bp"), grid_resolution=5)
    assert _ticks(plot.ax.get_xticklabels()) == BANDS
    (mesh,) = [c for c in plot.ax.collections if isinstance(c, QuadMesh)]
    cells = np.asarray(mesh.get_array()).reshape(5, 4)  # (bp up, bands across)
    assert np.all(np.diff(cells, axis=1) > 0)  # each row of cells rises with the declared order
    top = float(np.quantile(X["bp"], 0.95))  # the last grid point of bp: percentiles (0.05, 0.95)
    expected = [_mean_prediction(model, X, b, bp=top) for b in BANDS]
    np.testing.assert_allclose(cells[-1], expected, rtol=1e-6)


def test_dependence_and_to_shap_keep_the_sorted_order(banded):
    # a LocalExplanation holds the rows' values, not the Categorical dtype: sorted, as documented
    model, X = banded
    local = ex.Explainer(model, background=X.iloc[::6]).explain_local(X)
    assert _ticks(dependence(local, "band").ax.get_xticklabels()) == sorted(BANDS)
    sv = local.to_shap()
    j = list(local.feature_names).index("band")
    pairs = dict(zip(sv.display_data[:, j].tolist(), sv.data[:, j].tolist(), strict=True))
    assert [pairs[b] for b in sorted(BANDS)] == [0.0, 1.0, 2.0, 3.0]
