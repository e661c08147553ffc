"""Interventional tree SHAP holds a bounded working memory, whatever the rows and the background.

The engines (``explain/methods/_tree_masks.py``) cut their work into passes over the background,
blocks of leaves and chunks of rows under ``MASK_BYTES``; the values must not depend on the cut
(bit for bit; to rounding for passes over the background), must equal an independent reference
(the per-pair walk, shap's TreeExplainer) and the memory held must stay within the budget.
Also here: which methods use the whole background whatever ``background_size``.
"""

from __future__ import annotations

import tracemalloc
import warnings

import lightgbm
import numpy as np
import pytest
import shap
from sklearn.datasets import load_breast_cancer, make_classification
from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestRegressor
from sklearn.linear_model import LogisticRegression, Ridge

import explain as ex
from explain.methods import _tree_masks
from explain.methods._tree_engine import interventional_shap, read_forest
from explain.methods._tree_masks import leaf_paths, mask_shap, mask_shap_logistic, plan_blocks


@pytest.fixture(scope="module")
def data():
    X, y = make_classification(n_samples=1300, n_features=8, n_informative=5, random_state=3)
    X[::13, 2] = np.nan  # missing values follow each split's default side
    return X, y


@pytest.fixture(scope="module")
def lgbm(data):
    X, y = data
    return lightgbm.LGBMClassifier(n_estimators=12, num_leaves=12, verbose=-1, random_state=0).fit(X[:800], y[:800])


def _engine_inputs(model, X):
    forest = read_forest(model)
    return forest, leaf_paths(forest), forest.rows(X[800:830]), forest.rows(X[900:1150])


@pytest.mark.parametrize("budget", [1, 3_000, 40_000, 400_000])
def test_blocks_of_any_budget_give_identical_values(lgbm, data, budget):
    """A budget of one byte cuts the work into single leaves and single rows; the values are the
    same bits as with the default budget (one block here), in probability and in the margin."""
    forest, paths, rows, bg = _engine_inputs(lgbm, data[0])
    rows = rows[:3] if budget <= 3_000 else rows  # a step per leaf and row: fewer rows
    plan = plan_blocks(paths.n_leaves, len(rows), len(bg), budget)
    if budget == 1:
        assert plan.row_chunk == 1 and all(hi - lo == 1 for lo, hi in plan.leaf_blocks)
    assert len(plan_blocks(paths.n_leaves, len(rows), len(bg)).leaf_blocks) == 1
    for engine in (mask_shap_logistic, mask_shap):
        whole = engine(forest, paths, rows, bg, progress=False)
        cut = engine(forest, paths, rows, bg, progress=False, max_bytes=budget)
        assert np.array_equal(cut[0], whole[0]) and np.array_equal(cut[1], whole[1])


def test_tables_cut_into_runs_of_leaves_give_identical_values(monkeypatch, data):
    """mask_shap's per-mask coefficient tables go in runs of leaves of at most a quarter of the
    budget (deep trees over many rows can have many distinct masks per leaf); forced here to
    runs of a few leaves, the values are the same bits."""
    X, _ = data
    model = RandomForestRegressor(n_estimators=4, max_depth=10, random_state=0).fit(X[:800], X[:800, 0] * X[:800, 1])
    forest = read_forest(model)
    paths = leaf_paths(forest)
    rows, bg = forest.rows(np.nan_to_num(X[800:1100])), forest.rows(np.nan_to_num(X[1100:1300]))
    whole = mask_shap(forest, paths, rows, bg, progress=False)
    plan, seen = _tree_masks.plan_blocks, []
    monkeypatch.setattr(_tree_masks, "plan_blocks", lambda *a: plan(*a)._replace(table_bytes=600))
    runs = _tree_masks._runs
    monkeypatch.setattr(_tree_masks, "_runs", lambda sizes, limit: seen.append(runs(sizes, limit)) or seen[-1])
    cut = mask_shap(forest, paths, rows, bg, progress=False)
    assert len(seen) == 1 and len(seen[0]) > 50  # one block, its tables in many runs
    assert np.array_equal(cut[0], whole[0]) and np.array_equal(cut[1], whole[1])
    assert runs(np.array([5, 1, 9, 2, 2]), 6) == [(0, 2), (2, 3), (3, 5)]  # a run holds one at least


@pytest.mark.parametrize("passes_of", [2, 7, 100])
def test_passes_over_the_background_change_the_values_by_rounding_only(monkeypatch, lgbm, data, passes_of):
    """A background larger than BACKGROUND_ROWS goes in passes; each group of masks then sums
    per pass, so the values may differ from a single pass by rounding only. The per-pair walk
    (independent code: one tree walk per row and background row) is the reference."""
    forest, paths, rows, bg = _engine_inputs(lgbm, data[0])
    single = mask_shap_logistic(forest, paths, rows, bg, progress=False)
    walk = interventional_shap(forest, rows, bg, logistic=True)
    monkeypatch.setattr(_tree_masks, "BACKGROUND_ROWS", passes_of)
    assert plan_blocks(paths.n_leaves, len(rows), len(bg)).background_rows == passes_of
    for budget in (None, 5_000):
        values, base = mask_shap_logistic(forest, paths, rows, bg, progress=False, max_bytes=budget)
        np.testing.assert_allclose(values, single[0], rtol=0, atol=1e-13)
        np.testing.assert_allclose(values, walk[0], rtol=0, atol=1e-12)
        assert np.array_equal(base, single[1])
        margin = mask_shap(forest, paths, rows, bg, progress=False, max_bytes=budget)
        np.testing.assert_allclose(margin[0], mask_shap(forest, paths, rows, bg, progress=False)[0], atol=1e-12)


def test_probability_equals_shap_tree_explainer_in_tiny_blocks(monkeypatch, lgbm, data):
    """shap's TreeExplainer(model, background, model_output="probability") defines these values;
    ours, cut into single leaves, single rows and background passes of 30 rows, equal them."""
    X, _ = data
    rows, bg = X[800:815], X[900:1000]
    whole = ex.Explainer(lgbm, background=bg).explain_local(rows)
    monkeypatch.setattr(_tree_masks, "MASK_BYTES", 1)
    monkeypatch.setattr(_tree_masks, "BACKGROUND_ROWS", 30)
    local = ex.Explainer(lgbm, background=bg).explain_local(rows)
    assert local.output_space == "probability" and local.params["probability_rescaled_per_background_row"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        reference = shap.TreeExplainer(lgbm, data=bg, feature_perturbation="interventional", model_output="probability")
        expected = reference.shap_values(rows, check_additivity=False)
    np.testing.assert_allclose(local.values, expected, rtol=0, atol=1e-8)  # shap sums in another order
    np.testing.assert_allclose(local.base_values, reference.expected_value, rtol=0, atol=1e-12)
    np.testing.assert_allclose(local.values, whole.values, rtol=0, atol=1e-13)
    assert local.additivity_error() < 1e-12


def _peak_bytes(fn):
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize("engine", [mask_shap_logistic, mask_shap])
def test_memory_held_stays_within_the_budget(engine):
    """Rows x background is 2 400 x 3 000: a rows x background array of floats alone is 58 MB, the
    old probability engine held five of them. Under a 4 MB budget the peak of what Python and numpy
    allocate (tracemalloc) stays within the budget plus the inputs, the result and the per-row and
    per-background-row vectors. (numba's own small temporaries, a sort's indices per leaf, are not
    traced.)"""
    X, y = make_classification(n_samples=6400, n_features=10, n_informative=6, random_state=0)
    model = HistGradientBoostingClassifier(max_iter=20, random_state=0).fit(X[:1000], y[:1000])
    forest = read_forest(model)
    paths = leaf_paths(forest)
    rows, bg = forest.rows(X[1000:3400]), forest.rows(X[3400:6400])
    budget = 4 << 20
    engine(forest, paths, rows[:5], bg[:5], progress=False)  # compiled (or loaded from the cache) first
    plan = plan_blocks(paths.n_leaves, len(rows), len(bg), budget)
    assert len(plan.leaf_blocks) > 10  # the budget is what bounds the memory here
    inputs = 3 * (rows.nbytes + bg.nbytes)  # the rows in the trees' dtype, and back to float64
    result = rows.nbytes
    vectors = 8 * 6 * (len(rows) + len(bg))  # margins, probabilities, slopes
    peak = _peak_bytes(lambda: engine(forest, paths, rows, bg, progress=False, max_bytes=budget))
    assert peak <= budget + inputs + result + vectors + (1 << 20), peak / 2**20
    assert 8 * len(rows) * len(bg) > 10 * peak  # one rows x background array would not have fitted


def test_default_budget_holds_a_large_background_without_rows_x_background(data, lgbm):
    """The default plan for 20 000 rows against a 10 000-row background of a 3 100-leaf model
    fits its working arrays in MASK_BYTES, with every row in one chunk."""
    plan = plan_blocks(3100, 20_000, 10_000)
    per_leaf = _tree_masks.BG_LEAF_BYTES * 10_000 + _tree_masks.ROW_LEAF_BYTES * plan.row_chunk
    assert plan.row_chunk == 20_000 and plan.background_rows == 10_000
    assert max(hi - lo for lo, hi in plan.leaf_blocks) * per_leaf + plan.table_bytes <= _tree_masks.MASK_BYTES
    huge = plan_blocks(3100, 2_000_000, 10**7)  # passes of BACKGROUND_ROWS, rows in chunks
    assert huge.background_rows == _tree_masks.BACKGROUND_ROWS and huge.row_chunk < 2_000_000
    per_leaf = _tree_masks.BG_LEAF_BYTES * huge.background_rows + _tree_masks.ROW_LEAF_BYTES * huge.row_chunk
    assert max(hi - lo for lo, hi in huge.leaf_blocks) * per_leaf + huge.table_bytes <= _tree_masks.MASK_BYTES


# ------------------------------------------------------------------ background_size, per method


def test_linear_shap_uses_the_whole_background_whatever_background_size():
    """linear_shap reads only the background's mean: every row is used, at no cost, and recorded."""
    X, y = load_breast_cancer(return_X_y=True)
    model = LogisticRegression(max_iter=5000).fit(X, y)
    local = ex.Explainer(model, background=X[:400], background_size=50).explain_local(X[450:455])
    assert local.method == "linear_shap"
    assert local.params["background_rows"] == 400 and "background_sampled" not in local.params
    coef, intercept = model.coef_[0], model.intercept_[0]
    np.testing.assert_allclose(local.base_values, intercept + X[:400].mean(axis=0) @ coef, rtol=1e-12)
    np.testing.assert_allclose(local.values, (X[450:455] - X[:400].mean(axis=0)) * coef, rtol=1e-12)
    other_seed = ex.Explainer(model, background=X[:400], background_size=50, random_state=1).explain_local(X[450:455])
    assert np.array_equal(local.values, other_seed.values)


def test_linear_shap_of_a_regressor_uses_the_whole_background():
    X, y = load_breast_cancer(return_X_y=True)
    model = Ridge().fit(X, y)
    local = ex.Explainer(model, background=X[:300], method="linear_shap", background_size=20).explain_local(X[:3])
    assert local.params["background_rows"] == 300
    np.testing.assert_allclose(local.base_values, model.predict(X[:300]).mean(), rtol=1e-12)


def test_other_methods_keep_sampling_the_background(lgbm, data):
    """tree_shap's cost grows with the background (per row, in probability): background_size
    samples it, as for the model-agnostic methods; None keeps every row."""
    X, _ = data
    sampled = ex.Explainer(lgbm, background=X[900:1200], background_size=40).explain_local(X[800:803])
    assert sampled.method == "tree_shap"
    assert sampled.params["background_rows"] == 40 and sampled.params["background_sampled"] is True
    every = ex.Explainer(lgbm, background=X[900:1200], background_size=None).explain_local(X[800:803])
    assert every.params["background_rows"] == 300 and "background_sampled" not in every.params
