"""glassbox and the pair terms of Explainable Boosting Machines (issue 14).

Local values: a pair term is split between its two features by their Shapley values against the
training data, so glassbox equals exact_shap with the training data as background. Global
effects: every feature its shape function, every pair term its own table, both the EBM's own
numbers; they survive JSON and draw as a map of cells.
"""

from __future__ import annotations

import copy
import json

import numpy as np
import pandas as pd
import pytest
from _mutate import mutated
from hypothesis import HealthCheck, given, settings

import explain as ex
from explain import plots
from explain._io import from_dict
from explain.errors import InputError, SchemaError

pytest.importorskip("interpret")
EXACT = 1e-10


def _data(n: int = 160, seed: int = 0) -> tuple[pd.DataFrame, pd.Series]:
    """Two correlated numbers that interact, a category that interacts with a third number."""
    rng = np.random.default_rng(seed)
    X = pd.DataFrame({"a": rng.normal(size=n), "b": rng.normal(size=n), "c": rng.choice(["x", "y", "z"], n)})
    X["b"] += 0.8 * X["a"]
    X["d"] = rng.uniform(size=n)
    score = 1.5 * X.a * X.b + (X.c == "y") + np.sin(3 * X.d) + 2 * X.d * (X.c == "z")
    return X, pd.Series((score + rng.logistic(size=n) > 0.5).astype(int), name="y")


@pytest.fixture(scope="module")
def data():
    return _data()


@pytest.fixture(scope="module")
def ebm(data):
    from interpret.glassbox import ExplainableBoostingClassifier

    X, y = data
    model = ExplainableBoostingClassifier(interactions=3, outer_bags=2, max_rounds=150, random_state=0, n_jobs=1)
    return model.fit(X, y)


@pytest.fixture(scope="module")
def ebm_categorical(data):
    """A regressor with named pairs: a number with a category, and a category with a number."""
    from interpret.glassbox import ExplainableBoostingRegressor

    X, _ = data
    target = X.a * (X.c == "y") + X.d * (X.c == "z") + 0.3 * X.b
    model = ExplainableBoostingRegressor(
        interactions=[(0, 2), (2, 3)], outer_bags=2, max_rounds=150, random_state=0, n_jobs=1
    )
    return model.fit(X, target)


@pytest.fixture(scope="module")
def glob(ebm, data):
    return ex.Explainer(ebm).explain_global(data[0])


def _pair_terms(model) -> list[int]:
    return [t for t, features in enumerate(model.term_features_) if len(features) == 2]


# --------------------------------------------------------------------------- local values


def test_pair_values_are_the_shapley_values_against_the_training_data(ebm, data):
    X, _ = data
    assert _pair_terms(ebm), "the fixture should have pair terms"
    rows = X.iloc[:40]
    local = ex.Explainer(ebm, method="glassbox").explain_local(rows)
    assert local.params["pair_terms"] == "shapley_vs_training_data"
    reference = ex.Explainer(ebm, background=X, background_size=None, method="exact_shap", output="log_odds")
    shap = reference.explain_local(rows)
    np.testing.assert_allclose(local.values, shap.values, rtol=0, atol=EXACT)
    np.testing.assert_allclose(local.base_values, shap.base_values, rtol=0, atol=EXACT)
    # the base value is still the intercept: every term averages zero on the training data
    np.testing.assert_allclose(local.base_values, ebm.intercept_[0], rtol=0, atol=1e-12)
    assert local.additivity_error() < 1e-8


def test_categorical_pairs_missing_and_unseen_values_match_exact_shap(ebm_categorical, data):
    X, _ = data
    rows = X.iloc[:25].copy()
    rows.loc[rows.index[0], "c"] = "unseen"
    rows.loc[rows.index[1], "a"] = np.nan
    rows.loc[rows.index[2], "d"] = 1e9  # beyond the training range
    local = ex.Explainer(ebm_categorical, method="glassbox").explain_local(rows)
    shap = ex.Explainer(ebm_categorical, background=X, background_size=None, method="exact_shap").explain_local(rows)
    np.testing.assert_allclose(local.values, shap.values, rtol=0, atol=EXACT)
    np.testing.assert_allclose(local.predictions, ebm_categorical.predict(rows), rtol=0, atol=1e-8)


def test_multiclass_pairs_match_exact_shap_per_class():
    from interpret.glassbox import ExplainableBoostingClassifier
    from sklearn.datasets import load_iris

    X, y = load_iris(return_X_y=True, as_frame=True)
    model = ExplainableBoostingClassifier(
        interactions=[(0, 1), (2, 3)], max_bins=16, outer_bags=1, max_rounds=60, random_state=0, n_jobs=1
    ).fit(X, y)
    rows = X.iloc[::15]
    local = ex.Explainer(model).explain_local(rows)
    shap = ex.Explainer(model, background=X, background_size=None, method="exact_shap", output="raw").explain_local(
        rows
    )
    assert local.values.shape == (10, 4, 3)
    np.testing.assert_allclose(local.values, shap.values, rtol=0, atol=EXACT)
    np.testing.assert_allclose(local.base_values + local.values.sum(axis=1), model.decision_function(rows), atol=1e-8)


def test_a_pair_term_that_moves_with_one_feature_gives_the_other_nothing(ebm, data):
    """The dummy axiom, which an equal split breaks: the term gives its other feature half."""
    X, _ = data
    model = copy.deepcopy(ebm)
    first, *others = _pair_terms(model)
    i, j = model.term_features_[first]
    for t in others:  # no other pair: feature j's value is then its main term and its share of this one
        model.term_scores_[t] = np.zeros_like(model.term_scores_[t])
    weights = model.bin_weights_[first]
    along_i = np.linspace(-2.0, 2.0, weights.shape[0])[:, None] * np.ones(weights.shape[1])
    model.term_scores_[first] = along_i - np.average(along_i, weights=weights)
    rows = X.iloc[:30]
    local = ex.Explainer(model).explain_local(rows)
    scores = model.eval_terms(rows)
    main_j = model.term_features_.index((j,))
    np.testing.assert_allclose(local.values[:, j], scores[:, main_j], rtol=0, atol=EXACT)
    main_i = model.term_features_.index((i,))
    np.testing.assert_allclose(local.values[:, i], scores[:, main_i] + scores[:, first], rtol=0, atol=EXACT)
    assert np.abs(scores[:, first]).mean() > 0.3  # the equal split would have given j half of this


def test_models_without_training_weights_still_split_equally_and_say_so(data):
    from explain.glassbox import AdditiveBoostingRegressor

    X, _ = data
    frame = X.assign(c=X["c"].astype("category"))
    gam = AdditiveBoostingRegressor(max_iter=30, interactions=[("a", "b")], random_state=0).fit(frame, X.a * X.b)
    local = ex.Explainer(gam).explain_local(frame.iloc[:10])
    assert local.params["pair_terms"] == "split_equally"
    glob = ex.Explainer(gam).explain_global(frame)
    assert {e.feature for e in glob.effects} == {"a", "b", "c", "d", ("a", "b")}


def test_a_model_without_pairs_says_none(data):
    from interpret.glassbox import ExplainableBoostingRegressor

    X, _ = data
    model = ExplainableBoostingRegressor(interactions=0, outer_bags=1, max_rounds=50, random_state=0, n_jobs=1)
    local = ex.Explainer(model.fit(X, X.d)).explain_local(X.iloc[:3])
    assert local.params["pair_terms"] == "none"


# --------------------------------------------------------------------------- global effects


def _cells(model, j: int, level: int, values) -> np.ndarray:
    """The EBM's bin of each value, by InterpretML's documented rule, written out here: a number
    goes above the cuts it is not below (cuts are lower bounds), a category to its own bin."""
    bins = model.bins_[j][min(level, len(model.bins_[j])) - 1]
    if isinstance(bins, dict):
        return np.array([bins[v] for v in values])
    return np.searchsorted(bins, np.asarray(values, dtype=float), side="right") + 1


def test_every_feature_has_its_shape_function_even_in_a_pair(ebm, glob, data):
    X, _ = data
    paired = {f for t in _pair_terms(ebm) for f in ebm.term_features_[t]}
    assert paired, "the fixture should have features in pairs"
    singles = {e.feature: e for e in glob.effects if not e.is_pair}
    assert list(singles) == list(X.columns)
    for j, name in enumerate(X.columns):
        effect = singles[name]
        assert effect.kind == "shape_function"
        table = ebm.term_scores_[ebm.term_features_.index((j,))]
        np.testing.assert_array_equal(effect.average, table[_cells(ebm, j, 1, effect.grid)])
    assert set(glob.effect("c").grid) == {"x", "y", "z"}


def test_each_pair_term_has_its_own_table_equal_to_the_ebms(ebm, glob):
    pairs = {e.feature: e for e in glob.effects if e.is_pair}
    names = list(ebm.feature_names_in_)
    assert len(pairs) == len(_pair_terms(ebm))
    for t in _pair_terms(ebm):
        i, j = ebm.term_features_[t]
        effect = pairs[(names[i], names[j])]
        assert effect.kind == "pair_shape_function"
        assert effect.average.shape == (len(effect.grid[0]), len(effect.grid[1]))
        rows, columns = _cells(ebm, i, 2, effect.grid[0]), _cells(ebm, j, 2, effect.grid[1])
        np.testing.assert_array_equal(effect.average, ebm.term_scores_[t][np.ix_(rows, columns)])
        assert glob.effect((names[i], names[j])) is effect


def test_categorical_pair_tables_and_multiclass_tables(ebm_categorical, data):
    X, _ = data
    glob = ex.Explainer(ebm_categorical).explain_global(X)
    effect = glob.effect(("c", "d"))
    assert effect.grid[0] == ("x", "y", "z") and effect.average.shape == (3, len(effect.grid[1]))
    t = ebm_categorical.term_features_.index((2, 3))
    rows, columns = _cells(ebm_categorical, 2, 2, effect.grid[0]), _cells(ebm_categorical, 3, 2, effect.grid[1])
    np.testing.assert_array_equal(effect.average, ebm_categorical.term_scores_[t][np.ix_(rows, columns)])


# --------------------------------------------------------------------------- JSON


def test_pair_effects_round_trip_through_json(glob, tmp_path):
    path = tmp_path / "glob.json"
    glob.to_json(path)
    loaded = ex.load(path)
    assert loaded.to_dict() == glob.to_dict()
    for before, after in zip(glob.effects, loaded.effects, strict=True):
        assert (after.feature, after.kind, after.grid) == (before.feature, before.kind, before.grid)
        np.testing.assert_array_equal(after.average, before.average)
    pair = next(e for e in loaded.effects if e.is_pair)
    assert isinstance(pair.feature, tuple) and pair.average.flags.writeable is False


def test_files_without_pair_effects_still_load(glob):
    old = glob.to_dict()
    old["effects"] = [e for e in old["effects"] if isinstance(e["feature"], str)]
    loaded = from_dict(json.loads(json.dumps(old)))
    assert all(not e.is_pair for e in loaded.effects) and len(loaded.effects) == 4


@pytest.mark.parametrize(
    "change",
    [
        {"feature": ["a"]},
        {"feature": ["a", "a"]},
        {"feature": ["a", "nope"]},
        {"feature": ["a", 3]},
        {"feature": ["a", "b", "c"]},
        {"grid": [[1.0, 2.0]]},
        {"grid": [[1.0], [2.0], [3.0]]},
        {"grid": [[1.0, {"x": 1}], [2.0]]},
        {"grid": [1.0, 2.0]},
        {"average": [[1.0, 2.0]]},
        {"average": [["0.5"]]},
        {"average": "table"},
        {"lower": [[0.0]]},
        {"kind": 3},
    ],
)
def test_damaged_pair_effects_are_refused(glob, change):
    d = glob.to_dict()
    index = next(i for i, e in enumerate(d["effects"]) if isinstance(e["feature"], list))
    d["effects"][index].update(change)
    with pytest.raises(SchemaError):
        from_dict(d)


def test_fuzzed_files_with_pair_effects_load_or_raise_schema_error(ebm_categorical, data, tmp_path_factory):
    glob = ex.Explainer(ebm_categorical).explain_global(data[0].iloc[:40])
    small = glob.to_dict()
    for effect in small["effects"]:  # small grids: hypothesis then reaches the pair tables often
        if isinstance(effect["feature"], list):
            effect["grid"] = [g[:3] for g in effect["grid"]]
            effect["average"] = [row[:3] for row in effect["average"][:3]]
        else:
            effect["grid"], effect["average"] = effect["grid"][:3], effect["average"][:3]
    from_dict(small)  # the corpus itself loads
    folder = tmp_path_factory.mktemp("fuzz_pairs")
    outcomes = {"loaded": 0, "refused": 0}

    @settings(max_examples=200, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(text=mutated([small]))
    def check(text: bytes) -> None:
        path = folder / "glob.json"
        path.write_bytes(text)
        try:
            loaded = ex.load(path)
        except SchemaError:
            outcomes["refused"] += 1
            return
        outcomes["loaded"] += 1
        for effect in loaded.effects:
            assert set(effect.features) <= set(loaded.feature_names)
            sizes = tuple(len(g) for g in effect.grid) if effect.is_pair else (len(effect.grid),)
            assert effect.average.shape[: len(sizes)] == sizes
        assert from_dict(json.loads(loaded.to_json())).to_dict() == loaded.to_dict()

    check()
    assert outcomes["loaded"] and outcomes["refused"]


# --------------------------------------------------------------------------- plots


def test_the_pair_plot_draws_the_table_as_cells(glob):
    effect = next(e for e in glob.effects if e.is_pair)
    a, b = effect.feature
    plot = glob.plot("effects", feature=(a, b))
    assert isinstance(plot, plots.Plot)
    assert (plot.ax.get_xlabel(), plot.ax.get_ylabel()) == (a, b)
    (mesh,) = plot.ax.collections
    drawn = np.asarray(mesh.get_array()).reshape(len(effect.grid[1]), len(effect.grid[0]))
    np.testing.assert_array_equal(drawn, effect.average.T)  # rows: the y feature
    low, high = mesh.get_clim()
    assert low == -high == -np.abs(effect.average).max()  # zero is the middle colour
    assert "Pair term (log-odds of class '1')" in plot.figure.axes[-1].get_ylabel().replace("\n", " ")
    # the other order: the same numbers, the axes swapped
    swapped = plots.pair_effect(glob, (b, a))
    drawn = np.asarray(swapped.ax.collections[0].get_array()).reshape(len(effect.grid[0]), len(effect.grid[1]))
    np.testing.assert_array_equal(drawn, effect.average)
    assert (swapped.ax.get_xlabel(), swapped.ax.get_ylabel()) == (b, a)


def test_a_categorical_pair_gets_labelled_cells_and_the_observed_rows(ebm_categorical, data):
    X, _ = data
    glob = ex.Explainer(ebm_categorical).explain_global(X)
    plot = plots.pair_effect(glob, ("c", "d"), data=X)
    assert [t.get_text() for t in plot.ax.get_xticklabels()] == ["x", "y", "z"]
    dots = plot.ax.collections[-1]
    assert len(dots.get_offsets()) == len(X)


def test_pair_plot_errors_name_the_fix(glob, data):
    from sklearn.linear_model import LinearRegression

    X, y = data
    present = {frozenset(e.feature) for e in glob.effects if e.is_pair}
    absent = next((a, b) for a in X.columns for b in X.columns if a < b and frozenset((a, b)) not in present)
    with pytest.raises(InputError, match="pair effects exist for"):
        plots.pair_effect(glob, absent)
    with pytest.raises(InputError, match="two different feature names"):
        plots.pair_effect(glob, ("a", "a"))
    with pytest.raises(InputError, match="pair_effect"):
        plots.effects_grid(glob, features=["a", ("a", "b")])
    linear = ex.Explainer(LinearRegression().fit(X[["a", "b"]], y), method="glassbox").explain_global(X[["a", "b"]])
    with pytest.raises(InputError, match="no pair effects"):
        plots.pair_effect(linear, ("a", "b"))


def test_the_effects_grid_draws_single_features_only(glob):
    grid = glob.plot("effects")
    assert len(grid.axes) == 4
    assert {ax.get_xlabel() for ax in grid.axes} == {"a", "b", "c", "d"}
