"""explain_global of a dask collection on a real Dask cluster (``distributed.LocalCluster``, two
worker processes): permutation importance and partial dependence equal to scikit-learn on the
collected rows for the same seed, columns by name, dask arrays and targets, the ICE band within
and beyond its budget, local methods reduced on the cluster, only columns and outputs brought
back, and bad inputs refused."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from _cluster import local_client
from sklearn.compose import make_column_transformer
from sklearn.datasets import load_breast_cancer, load_diabetes
from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestRegressor
from sklearn.inspection import partial_dependence, permutation_importance
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

import explain as ex
from explain import _distributed_global
from explain.errors import FeatureMismatchError, InputError, MethodError

dd = pytest.importorskip("dask.dataframe")
da = pytest.importorskip("dask.array")
distributed = pytest.importorskip("distributed")


@pytest.fixture(scope="module")
def client():
    with local_client() as c:
        yield c


@pytest.fixture(scope="module")
def cancer():
    X, y = load_breast_cancer(return_X_y=True, as_frame=True)
    X = X.iloc[:, :8]
    return X, y, LogisticRegression(max_iter=5000).fit(X, y)


@pytest.fixture(scope="module")
def mixed():
    rng = np.random.default_rng(1)
    n = 300
    X = pd.DataFrame(
        {
            "income": rng.normal(50, 12, n),
            "region": rng.choice(["north", "south", "east", "west"], n),
            "age": rng.integers(18, 80, n),  # integers: partial dependence calls the model with floats
        }
    )
    y = ((X["income"] + 10 * (X["region"] == "south") + rng.normal(0, 5, n)) > 55).astype(int)
    columns = make_column_transformer((OneHotEncoder(), ["region"]), (StandardScaler(), ["income", "age"]))
    return X, y, make_pipeline(columns, LogisticRegression()).fit(X, y)


def _importance(model, scoring, **params):
    settings = {"scoring": scoring, "n_repeats": 3, **params}
    return ex.Explainer(model, method="permutation_importance", random_state=3, method_params=settings)


def _same_as_sklearn(glob, model, X, y, scoring, exact=False):
    ref = permutation_importance(model, X, y, n_repeats=3, random_state=3, scoring=scoring)
    chosen = [list(X.columns).index(f) for f in glob.feature_names]
    if exact:  # the model predicts each row the same whatever rows come with it
        np.testing.assert_array_equal(glob.importances, ref.importances_mean[chosen])
        np.testing.assert_array_equal(glob.spread, ref.importances_std[chosen])
    np.testing.assert_allclose(glob.importances, ref.importances_mean[chosen], rtol=0, atol=1e-12)
    np.testing.assert_allclose(glob.spread, ref.importances_std[chosen], rtol=0, atol=1e-12)
    assert glob.kind == "permutation" and glob.output_names == (scoring,)


def test_without_a_client_the_steps_run_here(cancer):
    # first in the file, before the cluster starts
    X, y, model = cancer
    glob = _importance(model, "accuracy").explain_global(dd.from_pandas(X, npartitions=3), y.to_numpy())
    _same_as_sklearn(glob, model, X, y, "accuracy")
    assert glob.params["n_rows"] == len(X) and glob.params["partitions"] == 3


@pytest.mark.parametrize("scoring", ["accuracy", "roc_auc"])
def test_permutation_importance_of_a_classifier_equals_sklearn(client, cancer, scoring):
    X, y, model = cancer
    explainer = _importance(model, scoring)
    glob = explainer.explain_global(dd.from_pandas(X, npartitions=4), dd.from_pandas(y, npartitions=4))
    _same_as_sklearn(glob, model, X, y, scoring)
    one = explainer.explain_global(X, y)
    np.testing.assert_allclose(glob.importances, one.importances, rtol=0, atol=1e-12)
    assert glob.params["scoring"] == one.params["scoring"] == scoring


def test_permutation_importance_of_a_tree_model_is_sklearns_to_the_bit(client, cancer):
    X, y, _ = cancer
    model = HistGradientBoostingClassifier(max_iter=15, random_state=0).fit(X, y)
    features = ["mean texture", "mean radius", "mean concave points"]  # any order, any subset
    glob = _importance(model, "roc_auc").explain_global(dd.from_pandas(X, npartitions=5), y, features=features)
    assert glob.feature_names == tuple(features)
    _same_as_sklearn(glob, model, X, y, "roc_auc", exact=True)


def test_permutation_importance_of_a_regressor_from_dask_arrays(client):
    X, y = load_diabetes(return_X_y=True, as_frame=True)
    model = RandomForestRegressor(n_estimators=10, max_depth=5, random_state=0).fit(X, y)
    arr = da.from_array(X.to_numpy(), chunks=(100, 5))  # read by position, with the model's names
    glob = _importance(model, None).explain_global(arr, da.from_array(y.to_numpy(), chunks=100))
    assert glob.feature_names == tuple(X.columns) and glob.params["scoring"] == "r2"
    _same_as_sklearn(glob, model, X, y, "r2", exact=True)


def test_columns_are_matched_by_name(client, cancer):
    X, y, model = cancer
    shuffled = dd.from_pandas(X[list(reversed(X.columns))], npartitions=3)
    glob = _importance(model, "accuracy").explain_global(shuffled, y)
    assert glob.feature_names == tuple(X.columns)
    _same_as_sklearn(glob, model, X, y, "accuracy")


def test_partial_dependence_of_numeric_columns_equals_sklearn(client, cancer):
    X, _, model = cancer
    explainer = ex.Explainer(model, method="partial_dependence", method_params={"grid_resolution": 15})
    names = ["mean area", "mean radius"]
    glob = explainer.explain_global(dd.from_pandas(X, npartitions=4), features=names)
    for name in names:
        ref = partial_dependence(model, X, [name], kind="both", grid_resolution=15, response_method="predict_proba")
        effect, ice = glob.effect(name), ref["individual"][0]
        np.testing.assert_array_equal(effect.grid, ref["grid_values"][0])
        np.testing.assert_allclose(effect.average, ref["average"][0], rtol=0, atol=1e-12)
        np.testing.assert_allclose(effect.lower, np.percentile(ice, 10, axis=0), rtol=0, atol=1e-12)
        np.testing.assert_allclose(effect.upper, np.percentile(ice, 90, axis=0), rtol=0, atol=1e-12)
        assert glob.params["ice_band_rows"][name] == len(X)  # every curve: the band is exact
    np.testing.assert_allclose(glob.importances, explainer.explain_global(X, features=names).importances, atol=1e-12)


def test_partial_dependence_of_categorical_and_integer_columns(client, mixed):
    X, _, pipe = mixed
    explainer = ex.Explainer(pipe, method="partial_dependence", method_params={"grid_resolution": 10})
    glob = explainer.explain_global(dd.from_pandas(X, npartitions=3), features=["region", "age"])
    one = explainer.explain_global(X, features=["region", "age"])
    region = partial_dependence(pipe, X, ["region"], categorical_features=["region"], kind="average")
    assert glob.effect("region").grid == tuple(region["grid_values"][0]) == ("east", "north", "south", "west")
    np.testing.assert_allclose(glob.effect("region").average, region["average"][0], rtol=0, atol=1e-12)
    assert list(glob.params["integer_columns_as_float"]) == ["age"]
    for name in ("region", "age"):
        a, b = glob.effect(name), one.effect(name)
        assert a.grid == b.grid
        for part in ("average", "lower", "upper"):
            np.testing.assert_allclose(getattr(a, part), getattr(b, part), rtol=0, atol=1e-12)


def test_the_ice_band_beyond_its_budget_is_drawn_from_a_seeded_sample(client, cancer, monkeypatch):
    X, _, model = cancer
    monkeypatch.setattr(_distributed_global, "ICE_VALUES_BUDGET", 2000)  # 2000 // 20 grid points: 100 rows
    explainer = ex.Explainer(model, method="partial_dependence", method_params={"grid_resolution": 20})
    glob = explainer.explain_global(dd.from_pandas(X, npartitions=4), features=["mean area"])
    assert glob.params["ice_band_rows"] == {"mean area": 100} and glob.params["ice_band_budget"] == 2000
    ref = partial_dependence(model, X, ["mean area"], kind="both", grid_resolution=20)
    rows = np.sort(np.random.default_rng(0).choice(len(X), size=100, replace=False))  # random_state=0
    effect = glob.effect("mean area")
    np.testing.assert_allclose(effect.average, ref["average"][0], rtol=0, atol=1e-12)  # still every row
    np.testing.assert_allclose(effect.lower, np.percentile(ref["individual"][0][rows], 10, axis=0), atol=1e-12)
    again = explainer.explain_global(dd.from_pandas(X, npartitions=7), features=["mean area"])
    np.testing.assert_allclose(again.effect("mean area").upper, effect.upper, rtol=0, atol=1e-12)


def test_only_columns_and_outputs_come_back(client, cancer, monkeypatch):
    # the client receives one column or the model's outputs per partition, never its rows
    X, y, model = cancer
    received: list = []
    run = _distributed_global._Session.map

    def spy(self, work, *args, **kwargs):
        out = run(self, work, *args, **kwargs)
        received.extend(out)
        return out

    monkeypatch.setattr(_distributed_global._Session, "map", spy)
    _importance(model, "accuracy").explain_global(dd.from_pandas(X, npartitions=3), y, features=["mean radius"])
    ex.Explainer(model, method="partial_dependence").explain_global(
        dd.from_pandas(X, npartitions=3), features=["mean area"]
    )

    def arrays(part):
        if isinstance(part, dict):
            return list(part.values())
        if isinstance(part, (list, tuple)):
            return [a for p in part for a in arrays(p)]
        return [part]

    parts = [a for p in received for a in arrays(p)]
    assert parts and not any(isinstance(part, pd.DataFrame) for part in parts)
    # a column (n,), outputs (n,) or (n, 2 classes), sums (grid, 1), curves (n, grid, 1): never (n, 8)
    assert all(np.ndim(part) < 2 or np.shape(part)[-1] <= 2 for part in parts)


def test_a_local_method_is_reduced_on_the_cluster(client, cancer):
    X, y, model = cancer
    explainer = ex.Explainer(model, background=X[:50])
    glob = explainer.explain_global(dd.from_pandas(X, npartitions=3), dd.from_pandas(y, npartitions=3))
    expected = explainer.explain_global(X, y)
    np.testing.assert_allclose(glob.importances, expected.importances, rtol=1e-12, atol=1e-15)
    assert glob.kind == "mean_abs_attribution" and glob.params["partitions"] == 3


def test_bad_inputs_are_refused_with_the_fix(client, cancer, monkeypatch):
    X, y, model = cancer
    lazy = dd.from_pandas(X, npartitions=3)
    with pytest.raises(InputError, match="rows"):
        _importance(model, "accuracy").explain_global(lazy, y[:-5])
    with pytest.raises(InputError, match="rows"):
        _importance(model, "accuracy").explain_global(lazy, dd.from_pandas(y[:100], npartitions=2))
    with pytest.raises(InputError, match="rows"):
        ex.Explainer(model, background=X[:50]).explain_global(lazy, y[:10])

    def unread(*args):
        raise AssertionError("the rows were read before a refusal that needs no data")

    monkeypatch.setattr(_distributed_global, "_Session", unread)
    with pytest.raises(InputError, match="target"):
        _importance(model, "accuracy").explain_global(lazy)
    with pytest.raises(FeatureMismatchError, match="nope"):
        ex.Explainer(model, method="partial_dependence").explain_global(lazy, features=["nope"])
    with pytest.raises(FeatureMismatchError, match="missing"):
        _importance(model, "accuracy").explain_global(dd.from_pandas(X.iloc[:, 1:], npartitions=2), y)
    with pytest.raises(MethodError, match="features"):
        ex.Explainer(model, background=X[:50]).explain_global(lazy, features=["mean radius"])


def test_partial_dependence_keeps_a_declared_category_order_as_in_memory():
    from sklearn.ensemble import HistGradientBoostingRegressor

    rng = np.random.default_rng(3)
    bands = pd.Categorical(rng.choice(["low", "mid", "high", "very high"], 300),
                           categories=["low", "mid", "high", "very high"], ordered=True)  # fmt: skip
    X = pd.DataFrame({"band": bands, "x": rng.normal(size=300)})
    y = X["band"].cat.codes.to_numpy() * 2.0 + X["x"].to_numpy()
    model = HistGradientBoostingRegressor(max_iter=20, categorical_features="from_dtype").fit(X, y)
    explainer = ex.Explainer(model, method="partial_dependence")
    one = explainer.explain_global(X, features=["band"])
    cluster = explainer.explain_global(dd.from_pandas(X, npartitions=3), features=["band"])
    assert one.effects[0].grid == cluster.effects[0].grid == ("low", "mid", "high", "very high")
    np.testing.assert_allclose(cluster.effects[0].average, one.effects[0].average, rtol=1e-12)
