"""Values read from shap (LocalExplanation.from_shap) are labelled SHAP values, like ours."""

from __future__ import annotations

import numpy as np
import pytest

import explain as ex
from explain.plots import bar, beeswarm, dependence

shap = pytest.importorskip("shap")


def _from_shap(explainer: str | None) -> ex.LocalExplanation:
    rng = np.random.default_rng(0)
    sv = shap.Explanation(
        rng.normal(size=(12, 3)),
        base_values=np.full(12, 0.5),
        data=rng.normal(size=(12, 3)),
        feature_names=["a", "b", "c"],
    )
    return ex.LocalExplanation.from_shap(sv, output_space="raw", explainer=explainer)


@pytest.mark.parametrize(("explainer", "method"), [(None, "shap"), ("TreeExplainer", "shap:TreeExplainer")])
def test_from_shap_is_drawn_as_shap_values(explainer, method):
    local = _from_shap(explainer)
    assert local.method == method
    assert beeswarm(local).get_xlabel() == "SHAP value (raw prediction)"
    assert bar(local[0]).get_xlabel() == "SHAP value (raw prediction)"
    assert bar(local.to_global()).get_xlabel() == "mean |SHAP value| (raw prediction)"
    assert local.plot("bar").get_xlabel() == "mean |SHAP value| (raw prediction)"
    assert dependence(local, "a").get_ylabel().replace("\n", " ") == "SHAP value of 'a' (raw prediction)"


@pytest.mark.parametrize("method", ["unknown", "shapely", "lime"])
def test_other_external_methods_stay_contributions(method):
    local = _from_shap(None)
    other = ex.LocalExplanation.from_frame(
        local.to_frame(), base_values=local.base_values, output_space="raw", method=method
    )
    assert beeswarm(other).get_xlabel() == "Contribution to the raw prediction"
    assert bar(other.to_global()).get_xlabel() == "mean |contribution| (raw prediction)"
