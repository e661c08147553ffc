"""Explanations pickle (joblib, multiprocessing) and deep-copy through their JSON-ready data:
the copy equals the original, field for field, and stays read-only."""

from __future__ import annotations

import copy
import pickle

import numpy as np
import pytest
from sklearn.datasets import load_diabetes
from sklearn.ensemble import HistGradientBoostingRegressor

import explain as ex


@pytest.fixture(scope="module")
def explained():  # type: ignore[no-untyped-def]
    X, y = load_diabetes(return_X_y=True, as_frame=True)
    model = HistGradientBoostingRegressor(max_iter=20, random_state=0).fit(X, y)
    explainer = ex.Explainer(model, background=X[:50])
    local = explainer.explain_local(X[:5])
    cfs = ex.counterfactuals(model, X[:3], data=X, desired=(None, 100.0))
    docs = ["python and sql", "ten years of sql", "excel"]
    words = ex.Explainer(lambda d: np.array([t.count("sql") + 0.5 * t.count("python") for t in d]), task="regression")
    digits = np.random.default_rng(0).uniform(size=(2, 4, 4))
    pixels = ex.Explainer(lambda b: b.reshape(len(b), -1).mean(axis=1), task="regression", segmentation=(2, 2))
    return [
        local,
        local.to_global(),
        explainer.explain_interactions(X[:3]),
        cfs,
        words.explain_local(docs),
        pixels.explain_local(digits),
    ]


@pytest.mark.parametrize("how", ["pickle", "deepcopy", "copy"])
def test_explanations_pickle_and_copy(explained, how: str) -> None:  # type: ignore[no-untyped-def]
    for original in explained:
        again = {
            "pickle": lambda o: pickle.loads(pickle.dumps(o)),
            "deepcopy": copy.deepcopy,
            "copy": copy.copy,
        }[how](original)
        assert type(again) is type(original) and again is not original
        assert again.to_dict() == original.to_dict()
        arrays = [v for v in vars(again).values() if isinstance(v, np.ndarray)]
        assert arrays and not any(a.flags.writeable for a in arrays)
