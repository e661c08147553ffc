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
    assert local.provenance.elapsed_seconds > 0  # recorded; how long it takes is for benchmarks


# --------------------------------------------------------------------------- using a model


def _used_models():
    from sklearn.feature_extraction.text import HashingVectorizer
    from sklearn.neighbors import KernelDensity, KNeighborsClassifier, KNeighborsRegressor, NearestNeighbors
    from sklearn.preprocessing import MultiLabelBinarizer

    frame, y = _cancer()
    X = frame.to_numpy()[:200]
    y = y.to_numpy()[:200]
    return [
        (KNeighborsClassifier(algorithm="kd_tree").fit(X, y), lambda m: m.predict_proba(X[:30])),
        (KNeighborsClassifier(algorithm="ball_tree").fit(X, y), lambda m: m.predict(X[:30])),
        (KNeighborsRegressor().fit(X, y.astype(float)), lambda m: m.predict(X[:30])),
        (NearestNeighbors(n_neighbors=3).fit(X), lambda m: m.kneighbors(X[:5])),
        (KernelDensity().fit(X, sample_weight=np.linspace(1, 2, len(X))), lambda m: m.score_samples(X[:9])),
        (make_pipeline(StandardScaler(), KNeighborsClassifier()).fit(X, y), lambda m: m.predict(X[:30])),
        (MultiLabelBinarizer().fit([[1, 2], [3]]), lambda m: m.transform([[1], [2, 3]])),
        (HashingVectorizer(stop_words="english").fit(["a b"]), lambda m: m.transform(["the cat"])),
        (_fit("forest", 0), lambda m: m.predict_proba(frame[:30])),
        (_fit("boosting", 0), lambda m: m.predict_proba(frame[:30])),
    ]


def test_model_fingerprint_does_not_change_when_the_model_is_used():
    for model, use in _used_models():
        before = model_fingerprint(model)
        use(model)
        use(model)
        assert model_fingerprint(model) == before, type(model).__name__


def test_model_fingerprint_of_neighbours_still_sees_the_learned_data():
    from sklearn.neighbors import KernelDensity, KNeighborsClassifier

    X, y = _cancer()
    X = X.to_numpy()[:200]
    a = KNeighborsClassifier(algorithm="kd_tree").fit(X, y[:200])
    b = KNeighborsClassifier(algorithm="kd_tree").fit(X[::-1], y[:200])
    assert model_fingerprint(a) != model_fingerprint(b)
    weights = np.linspace(1, 2, len(X))
    # the sample weights live in the tree only
    c = KernelDensity().fit(X, sample_weight=weights)
    d = KernelDensity().fit(X, sample_weight=weights[::-1])
    assert model_fingerprint(c) != model_fingerprint(d)


def test_explaining_a_neighbours_model_records_the_fingerprint_it_had(cancer_data):
    from sklearn.neighbors import KNeighborsClassifier

    model = KNeighborsClassifier(algorithm="kd_tree").fit(cancer_data.X, cancer_data.y)
    before = model_fingerprint(model)
    first = ex.Explainer(model, background=cancer_data.X.iloc[:10], method="kernel_shap").explain_local(
        cancer_data.rows.iloc[:2]
    )
    assert first.provenance.model_fingerprint == before == model_fingerprint(model)


# --------------------------------------------------------------------------- libraries


def test_library_versions_name_numba_and_only_what_was_asked():
    import numba

    versions = library_versions()
    assert versions["numba"] == numba.__version__
    assert set(versions) == {"python", "explain", "numpy", "scipy", "pandas", "scikit-learn", "shap", "numba"}


def test_library_versions_do_not_change_when_other_packages_are_installed(monkeypatch):
    from importlib import metadata

    from explain import _provenance

    model = _fit("pipeline", 0)
    asked = (*_provenance.model_libraries(model), "matplotlib")
    here = library_versions(*asked)
    real = metadata.version
    for installed in ("everything", "nothing else"):

        def version(name: str, installed: str = installed) -> str:
            if name in here:
                return real(name)
            if installed == "everything":
                return "9.9.9"
            raise metadata.PackageNotFoundError(name)

        monkeypatch.setattr(_provenance.metadata, "version", version)
        _provenance._versions.cache_clear()
        assert library_versions(*_provenance.model_libraries(model), "matplotlib") == here, installed
    monkeypatch.undo()
    _provenance._versions.cache_clear()


def test_model_libraries_name_the_library_of_the_model_inside_a_pipeline():
    from explain._provenance import model_libraries

    assert model_libraries(_fit("pipeline", 0)) == ("scikit-learn",)
    assert model_libraries(_fit("forest", 0)) == ("scikit-learn",)
    lgbm = _fit("lightgbm", 0)
    assert model_libraries(make_pipeline(StandardScaler(), lgbm)) == ("lightgbm", "scikit-learn")

    def score(X):
        return X[:, 0]

    assert model_libraries(score) == ()
