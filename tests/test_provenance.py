"""Provenance: fingerprints that identify a model and data across fits, processes and machines."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import load_breast_cancer
from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import explain as ex
from explain._provenance import Provenance, data_fingerprint, library_versions, model_fingerprint


def _cancer():
    X, y = load_breast_cancer(return_X_y=True, as_frame=True)
    return X.iloc[:, :5], y


def _fit(kind: str, seed: int):
    X, y = _cancer()
    if kind == "forest":
        return RandomForestClassifier(n_estimators=5, max_depth=3, random_state=seed).fit(X, y)
    if kind == "boosting":
        return HistGradientBoostingClassifier(max_iter=5, random_state=seed, early_stopping=False).fit(X, y)
    if kind == "pipeline":
        return make_pipeline(StandardScaler(), LogisticRegression(C=1.0 + seed)).fit(X, y)
    if kind == "lightgbm":
        lightgbm = pytest.importorskip("lightgbm")
        return lightgbm.LGBMClassifier(
            n_estimators=5, subsample=0.5, subsample_freq=1, verbose=-1, random_state=seed, n_jobs=1
        ).fit(X, y)
    if kind == "xgboost":
        xgboost = pytest.importorskip("xgboost")
        return xgboost.XGBClassifier(n_estimators=5, max_depth=2, subsample=0.5, random_state=seed, n_jobs=1).fit(X, y)
    raise AssertionError(kind)


KINDS = ["forest", "boosting", "pipeline", "lightgbm", "xgboost"]


@pytest.mark.parametrize("kind", KINDS)
def test_model_fingerprint_is_equal_for_identical_fits_and_differs_otherwise(kind):
    first, second, other = _fit(kind, 0), _fit(kind, 0), _fit(kind, 1)
    assert first is not second
    fingerprint = model_fingerprint(first)
    assert len(fingerprint) == 64 and int(fingerprint, 16) >= 0  # a SHA-256 hex digest
    assert model_fingerprint(second) == fingerprint
    assert model_fingerprint(other) != fingerprint


def test_model_fingerprint_sees_a_changed_coefficient():
    model = _fit("pipeline", 0)
    before = model_fingerprint(model)
    model[-1].coef_ = model[-1].coef_.copy()
    assert model_fingerprint(model) == before  # a copy of the same numbers
    model[-1].coef_[0, 0] = np.nextafter(model[-1].coef_[0, 0], np.inf)
    assert model_fingerprint(model) != before


def test_model_fingerprint_differs_between_model_classes():
    X, y = _cancer()
    a = RandomForestClassifier(n_estimators=2, max_depth=1, random_state=0).fit(X, y)
    from sklearn.ensemble import ExtraTreesClassifier

    b = ExtraTreesClassifier(n_estimators=2, max_depth=1, random_state=0).fit(X, y)
    assert model_fingerprint(a) != model_fingerprint(b)


def test_model_fingerprint_of_functions():
    def f(X):
        return X[:, 0]

    def g(X):
        return X[:, 1]

    assert model_fingerprint(f) == model_fingerprint(f)
    assert model_fingerprint(f) != model_fingerprint(g)


_SUBPROCESS = textwrap.dedent(
    """
    import sys
    sys.path.insert(0, {tests!r})
    from test_provenance import _fit
    from explain._provenance import model_fingerprint
    for kind in {kinds!r}:
        print(kind, model_fingerprint(_fit(kind, 0)))
    """
)


def test_model_fingerprint_is_stable_across_processes():
    import os

    kinds = ["forest", "boosting", "pipeline", "lightgbm", "xgboost"]
    code = _SUBPROCESS.format(tests=os.path.dirname(__file__), kinds=kinds)
    # another interpreter with another string-hash seed: nothing may depend on set or id order
    env = {**os.environ, "PYTHONHASHSEED": "12345", "OMP_NUM_THREADS": "1"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env, timeout=120)
    theirs = dict(line.split() for line in out.stdout.strip().splitlines())
    assert set(theirs) == set(kinds)
    for kind in kinds:
        assert theirs[kind] == model_fingerprint(_fit(kind, 0)), kind


def test_explanations_record_the_model_fingerprint(cancer_rf, cancer_data):
    local = ex.Explainer(cancer_rf, background=cancer_data.background).explain_local(cancer_data.rows)
    assert local.provenance.model_fingerprint == model_fingerprint(cancer_rf)
    assert local.provenance.model_type == "sklearn.ensemble._forest.RandomForestClassifier"
    assert local.provenance.random_state == 0


# --------------------------------------------------------------------------- data


def test_data_fingerprint_changes_when_one_value_changes(cancer_lr, cancer_data):
    X = cancer_data.rows
    explainer = ex.Explainer(cancer_lr, background=cancer_data.background)
    base = explainer.explain_local(X).provenance
    changed = X.copy()
    changed.iloc[3, 2] = np.nextafter(changed.iloc[3, 2], np.inf)  # the smallest possible change
    other = explainer.explain_local(changed).provenance
    assert other.data_fingerprint != base.data_fingerprint
    assert other.background_fingerprint == base.background_fingerprint
    assert other.model_fingerprint == base.model_fingerprint
    again = explainer.explain_local(X.copy()).provenance
    assert again.data_fingerprint == base.data_fingerprint


def test_background_fingerprint_changes_with_the_background(cancer_lr, cancer_data):
    a = ex.Explainer(cancer_lr, background=cancer_data.X.iloc[:40]).explain_local(cancer_data.rows)
    b = ex.Explainer(cancer_lr, background=cancer_data.X.iloc[1:41]).explain_local(cancer_data.rows)
    assert a.provenance.background_fingerprint != b.provenance.background_fingerprint
    assert a.provenance.data_fingerprint == b.provenance.data_fingerprint


def test_data_fingerprint_depends_on_values_names_kinds_and_order():
    values = np.array([[1.0, 2.0], [3.0, np.nan]])
    base = data_fingerprint(values, ("a", "b"), ("numeric", "numeric"))
    assert data_fingerprint(values.copy(), ("a", "b"), ("numeric", "numeric")) == base
    assert data_fingerprint(values, ("a", "c"), ("numeric", "numeric")) != base
    assert data_fingerprint(values, ("a", "b"), ("numeric", "categorical")) != base
    assert data_fingerprint(values[::-1], ("a", "b"), ("numeric", "numeric")) != base
    assert data_fingerprint(values.T.copy(), ("a", "b"), ("numeric", "numeric")) != base
    changed = values.copy()
    changed[0, 0] = 1.0000000000000002
    assert data_fingerprint(changed, ("a", "b"), ("numeric", "numeric")) != base
    # every NaN bit pattern is the same missing value
    other_nan = values.copy()
    other_nan[1, 1] = np.frombuffer(np.array([0x7FF8000000000001], dtype="<u8").tobytes(), dtype="<f8")[0]
    assert data_fingerprint(other_nan, ("a", "b"), ("numeric", "numeric")) == base


def test_data_fingerprint_of_categories_and_missing_values():
    kinds = ("categorical",)
    a = data_fingerprint(np.array([["x"], [None]], dtype=object), ("c",), kinds)
    assert data_fingerprint(np.array([["x"], [np.nan]], dtype=object), ("c",), kinds) == a
    assert data_fingerprint(np.array([["x"], ["None"]], dtype=object), ("c",), kinds) != a
    assert data_fingerprint(np.array([["x"], ["y"]], dtype=object), ("c",), kinds) != a


def test_data_fingerprint_is_the_same_for_pandas_numpy_and_int_columns(cancer_lr, cancer_data):
    explainer = ex.Explainer(cancer_lr, background=cancer_data.background)
    from_frame = explainer.explain_local(cancer_data.rows).provenance.data_fingerprint
    from_array = explainer.explain_local(cancer_data.rows.to_numpy()).provenance.data_fingerprint
    assert from_frame == from_array
    whole = pd.DataFrame({"a": [1, 2, 3], "b": [0.5, 1.5, 2.5]})
    as_int = data_fingerprint(whole.to_numpy(dtype=float), ("a", "b"), ("numeric", "numeric"))
    from explain._data import infer_schema, read_table

    table = read_table(whole, infer_schema(whole))
    assert data_fingerprint(table.values, ("a", "b"), ("numeric", "numeric")) == as_int


# --------------------------------------------------------------------------- versions and round trip


def test_versions_name_the_libraries_that_computed_the_values(cancer_rf, cancer_data):
    import numpy
    import shap
    import sklearn

    local = ex.Explainer(cancer_rf, background=cancer_data.background).explain_local(cancer_data.rows)
    versions = local.provenance.versions
    assert versions["numpy"] == numpy.__version__
    assert versions["scikit-learn"] == sklearn.__version__
    assert versions["shap"] == shap.__version__
    assert versions["python"] == "{}.{}.{}".format(*sys.version_info[:3])
    assert "explain" in versions and "pandas" in versions
    assert "lightgbm" not in versions  # only the libraries this model used


def test_versions_include_the_model_library(cancer_data):
    lightgbm = pytest.importorskip("lightgbm")
    model = lightgbm.LGBMClassifier(n_estimators=3, verbose=-1, n_jobs=1).fit(cancer_data.X, cancer_data.y)
    local = ex.Explainer(model, background=cancer_data.background).explain_local(cancer_data.rows)
    assert local.provenance.versions["lightgbm"] == lightgbm.__version__


def test_library_versions_skip_what_is_not_installed():
    versions = library_versions("explain-no-such-distribution")
    assert "explain-no-such-distribution" not in versions and "numpy" in versions


def test_provenance_round_trips_through_a_dict():
    p = Provenance(
        model_fingerprint="a" * 64, data_fingerprint="b" * 64, background_fingerprint=None, random_state=None,
        versions={"numpy": "2.0"}, elapsed_seconds=0.25, model_type="x.Y",
    )  # fmt: skip
    assert Provenance.from_dict(p.to_dict()) == p
    assert list(p.to_dict()) == [
        "model_fingerprint", "data_fingerprint", "background_fingerprint", "random_state", "versions",
        "elapsed_seconds", "model_type",
    ]  # fmt: skip


def test_elapsed_time_is_recorded(cancer_lr, cancer_data):
    local = ex.Explainer(cancer_lr, background=cancer_data.background).explain_local(cancer_data.rows)
    assert 0 < local.provenance.elapsed_seconds < 60
