"""``.plot()`` on explanations: sensible defaults, every kind, clear errors."""

from __future__ import annotations

import numpy as np
import pytest
from matplotlib.axes import Axes
from matplotlib.figure import Figure

import explain as ex
from explain.errors import InputError
from explain.plots import Plot

from ._helpers import bars_by_row, render, row_texts


def test_one_row_plots_a_waterfall(mixed_local):
    ax = mixed_local[3].plot()
    assert isinstance(ax, Plot) and isinstance(ax.ax, Axes)
    assert ax.get_xlabel().startswith("Model output")
    assert ax.patches[-1].get_x() + ax.patches[-1].get_width() == pytest.approx(mixed_local.predictions[3])


def test_many_rows_plot_a_beeswarm(mixed_local):
    ax = mixed_local.plot()
    assert len(ax.collections) == mixed_local.n_features
    assert ax.collections[0].get_offsets().shape == (mixed_local.n_rows, 2)


def test_global_plots_importance_bars(mixed_local):
    glob = mixed_local.to_global()
    ax = glob.plot()
    drawn = bars_by_row(ax)
    for j, name in enumerate(glob.feature_names):
        assert drawn[name][0].get_width() == pytest.approx(glob.importances[j])


@pytest.mark.parametrize(
    "kind", ["waterfall", "bar", "beeswarm", "dependence", "reasons", "heatmap", "decision", "violin"]
)
def test_every_local_kind(mixed_local, kind):
    plot = mixed_local.plot(kind)
    assert isinstance(plot, Plot) and isinstance(plot.ax, Axes)


def test_keywords_reach_the_plot(mixed_local, wide_local):
    assert row_texts(wide_local.plot("waterfall", row=2, max_display=4))[-1] == "other 57 features"
    assert mixed_local.plot("dependence", feature="income").get_xlabel() == "income"
    top = mixed_local.feature_names[int(np.argmax(np.abs(mixed_local.values).mean(axis=0)))]
    assert mixed_local.plot("dependence").get_xlabel() == top  # the most important feature by default
    assert "'1'" in mixed_local.plot("reasons", row=1, k=2).get_xlabel()


def test_global_effects_one_feature_or_a_grid(mixed_pd):
    ax = mixed_pd.plot("effects", feature="age")
    np.testing.assert_allclose(ax.get_lines()[0].get_ydata(), mixed_pd.effect("age").average)
    fig = mixed_pd.plot("effects")
    assert isinstance(fig.figure, Figure) and len(fig.axes) == len(mixed_pd.effects)


def test_output_is_passed_on(iris_local):
    with pytest.raises(InputError, match="pass output="):
        iris_local.plot()
    assert "'virginica'" in iris_local.plot(output="virginica").get_xlabel()
    assert "'setosa'" in iris_local.to_global().plot(output=0).get_xlabel()


def test_unknown_kind_lists_the_kinds(mixed_local, mixed_pd):
    with pytest.raises(
        InputError,
        match=r"\['waterfall', 'bar', 'beeswarm', 'dependence', 'reasons', 'heatmap', 'decision', 'violin'\]",
    ):
        mixed_local.plot("pie")
    with pytest.raises(InputError, match=r"\['bar', 'effects'\]"):
        mixed_pd.plot("beeswarm")
    with pytest.raises(TypeError):
        mixed_local.plot("bar", colour="red")  # nothing is passed blindly to matplotlib


def test_a_reloaded_explanation_plots_identically(mixed_local, mixed_pd, tmp_path):
    for exp, name in ((mixed_local, "local.json"), (mixed_local[4], "row.json"), (mixed_pd, "global.json")):
        path = tmp_path / name
        exp.to_json(path)
        again = ex.load(path)
        figure = exp.plot() if name != "global.json" else exp.plot("effects")
        reloaded = again.plot() if name != "global.json" else again.plot("effects")
        assert render(figure)[1] == render(reloaded)[1]
