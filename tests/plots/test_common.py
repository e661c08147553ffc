"""Shared plot helpers: labels with units, shortened names, values, styles; no pyplot in the library."""

from __future__ import annotations

import subprocess
import sys

import pytest

from explain.errors import InputError
from explain.plots import Style, waterfall
from explain.plots._common import attribution_label, format_value, output_quantity, short_names, shorten


def test_output_quantity_names_space_and_class(mixed_local, diabetes_local, iris_local):
    assert output_quantity(mixed_local) == "probability of class '1'"
    assert output_quantity(diabetes_local) == "raw prediction"
    assert output_quantity(iris_local.for_output("setosa")) == "raw score of class 'setosa'"
    assert attribution_label(mixed_local) == "SHAP value (probability of class '1')"


def test_non_shapley_methods_are_called_contributions():
    lime_like = __import__("explain").LocalExplanation(
        values=[[0.1]], base_values=[0.0], data=[[1.0]], predictions=[0.1], feature_names=("x",),
        output_names=("yes",), output_space="log_odds", method="lime",
    )  # fmt: skip
    assert attribution_label(lime_like) == "Contribution to the log-odds of class 'yes'"


def test_shortened_names_stay_distinct_and_short():
    names = [f"number of late payments on account type {i} in the last two years" for i in range(12)]
    short = short_names([*names, "age"], 30)
    assert len(set(short)) == 13 and short[-1] == "age"
    assert all(len(s) <= 30 for s in short)
    assert shorten("short", 30) == "short"


def test_values_as_people_read_them():
    assert [format_value(v) for v in (3.0, 2.5, 1234567.0, 0.000123456)] == ["3", "2.5", "1234567", "0.0001235"]
    assert format_value("oslo", "categorical") == "oslo"
    assert format_value(None, "categorical") == "missing"


def test_style_is_frozen_and_checked(mixed_local):
    style = Style(font_size=14, positive="#000000")
    with pytest.raises(AttributeError):
        style.font_size = 3  # type: ignore[misc]
    ax = waterfall(mixed_local, style=style)
    assert ax.xaxis.label.get_fontsize() == 14
    with pytest.raises(InputError, match="Style"):
        waterfall(mixed_local, style={"font_size": 3})


def test_library_imports_matplotlib_only_to_plot_and_never_pyplot():
    code = (
        "import sys\n"
        "from sklearn.datasets import load_diabetes\n"
        "from sklearn.linear_model import LinearRegression\n"
        "import explain as ex, explain.plots\n"
        "assert 'matplotlib' not in sys.modules, 'matplotlib was imported before plotting'\n"
        "X, y = load_diabetes(return_X_y=True, as_frame=True)\n"
        "local = ex.Explainer(LinearRegression().fit(X, y), background=X[:20]).explain_local(X[:10])\n"
        "local.plot(); local[0].plot(); local.to_global().plot(); local._repr_html_()\n"
        "assert 'matplotlib.pyplot' not in sys.modules, 'pyplot was imported'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)
