"""Accumulated local effects (``method="ale"``) against a brute-force reference and closed forms.

The reference below is written from the definition (Apley and Zhu, 2020; ALEPlot's estimator),
with plain loops over intervals, rows and categories, and imports nothing from ``explain``:

- edges: the ``ceil(n k / K)``-th smallest value for ``k = 0..K`` (R's quantile type 1), repeats dropped;
- a row belongs to the interval ``(z_{k-1}, z_k]`` (the smallest value to the first);
- local effect of an interval: mean over its rows of ``f(row at z_k) - f(row at z_{k-1})``;
- the effect at ``z_k``: local effects summed up to ``k``, minus their mean over the rows, each
  row taken at the midpoint of its interval;
- categories: ordered by a 1-D classical scaling of the summed Kolmogorov-Smirnov / total
  variation distances of the other features; the step between neighbours is the mean over the
  rows of both of ``f(row in the upper) - f(row in the lower)``; centred by the row mean.

alibi (the Python library with an ALE) cannot be installed next to this project: it pins
numpy < 2 and pulls in spacy and transformers. The reference is therefore the check.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pandas as pd
import pytest
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.compose import make_column_transformer
from sklearn.datasets import load_iris
from sklearn.ensemble import GradientBoostingRegressor, HistGradientBoostingClassifier
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder

import explain as ex
from explain.errors import InputError, MethodError

# ------------------------------------------------------------------ the reference


def _edges(values, n_intervals):
    ordered = sorted(values)
    n = len(ordered)
    edges = []
    for k in range(n_intervals + 1):
        v = ordered[max(math.ceil(n * k / n_intervals - 1e-9), 1) - 1]
        if not edges or v != edges[-1]:
            edges.append(v)
    return edges


def _outputs(predict, frame):
    out = np.asarray(predict(frame), dtype=float)
    return out.reshape(len(frame), -1)


def ref_numeric(predict, X, name, n_intervals):
    """(edges, effect at each edge (K+1, k)) by the definition."""
    x = X[name].to_numpy()
    edges = _edges(x, n_intervals)
    bin_of = []
    for v in x:
        for k in range(1, len(edges)):
            if edges[k - 1] < v <= edges[k] or (k == 1 and v == edges[0]):
                bin_of.append(k)
                break
    local = []
    for k in range(1, len(edges)):
        rows = [i for i in range(len(x)) if bin_of[i] == k]
        low, high = X.iloc[rows].copy(), X.iloc[rows].copy()
        low[name] = edges[k - 1]
        high[name] = edges[k]
        local.append((_outputs(predict, high) - _outputs(predict, low)).mean(axis=0))
    accumulated = [np.zeros_like(local[0])]
    for step in local:
        accumulated.append(accumulated[-1] + step)
    centre = sum((accumulated[k - 1] + accumulated[k]) / 2 for k in bin_of) / len(x)
    return edges, np.array([a - centre for a in accumulated])


def _ks(a, b, points):
    return max(abs(np.mean(a <= p) - np.mean(b <= p)) for p in points)


def ref_order(X, name):
    """Categories of ``name`` in the reference order (classical scaling, one dimension)."""
    levels = sorted(set(X[name]), key=list(dict.fromkeys(X[name])).index)
    D = np.zeros((len(levels), len(levels)))
    for other in X.columns:
        if other == name:
            continue
        for i, a in enumerate(levels):
            for j, b in enumerate(levels):
                va, vb = X.loc[X[name] == a, other], X.loc[X[name] == b, other]
                if pd.api.types.is_numeric_dtype(X[other]):
                    points = np.quantile(X[other], np.linspace(0, 1, 100))
                    D[i, j] += _ks(va.to_numpy(), vb.to_numpy(), points)
                else:
                    kinds = set(X[other])
                    D[i, j] += 0.5 * sum(abs(np.mean(va == v) - np.mean(vb == v)) for v in kinds)
    m = len(levels)
    J = np.eye(m) - 1 / m
    values, vectors = np.linalg.eigh(-0.5 * J @ D**2 @ J)
    return [levels[i] for i in np.argsort(vectors[:, -1] * np.sqrt(values[-1]))]


def ref_categorical(predict, X, name):
    """{category: effect (k,)} by the definition, and the order used."""
    order = ref_order(X, name)
    steps = []
    for lower, upper in itertools.pairwise(order):
        rows = [i for i in range(len(X)) if X[name].iloc[i] in (lower, upper)]
        up, down = X.iloc[rows].copy(), X.iloc[rows].copy()
        up[name], down[name] = upper, lower
        steps.append((_outputs(predict, up) - _outputs(predict, down)).mean(axis=0))
    accumulated = {order[0]: np.zeros_like(steps[0])}
    for k, level in enumerate(order[1:]):
        accumulated[level] = accumulated[order[k]] + steps[k]
    centre = np.mean([accumulated[v] for v in X[name]], axis=0)
    return {level: accumulated[level] - centre for level in order}, order


# ------------------------------------------------------------------ data


@pytest.fixture(scope="module")
def mixed():
    rng = np.random.default_rng(7)
    n = 240
    region = rng.choice(["north", "south", "east", "west"], n)
    shift = pd.Series(region).map({"north": 0.0, "east": 1.0, "south": 2.0, "west": 3.0}).to_numpy()
    X = pd.DataFrame(
        {
            "income": rng.normal(50, 10, n) + 8 * shift,
            "rooms": rng.integers(1, 7, n),
            "region": pd.Series(region, dtype=object),
            "age": rng.uniform(20, 70, n),
        }
    )
    y = 0.1 * X["income"] + np.sin(X["age"] / 8) * X["rooms"] + 2 * (X["region"] == "south") + rng.normal(0, 0.3, n)
    pre = make_column_transformer((OneHotEncoder(), ["region"]), remainder="passthrough")
    model = make_pipeline(pre, GradientBoostingRegressor(n_estimators=60, max_depth=3, random_state=0)).fit(X, y)
    return model, X


# ------------------------------------------------------------------ against the reference


def test_numeric_features_equal_the_reference(mixed):
    model, X = mixed
    glob = ex.Explainer(model, method="ale").explain_global(X, features=["income", "rooms", "age"])
    assert glob.kind == "ale_std" and glob.method == "ale" and glob.output_space == "raw"
    for name in ("income", "rooms", "age"):
        edges, effect = ref_numeric(model.predict, X, name, 20)
        got = glob.effect(name)
        assert got.kind == "accumulated_local_effects"
        assert got.lower is None and got.upper is None
        np.testing.assert_array_equal(got.grid, edges)
        np.testing.assert_allclose(got.average, effect[:, 0], atol=1e-10, rtol=0)


def test_integer_feature_keeps_integer_edges(mixed):
    model, X = mixed
    glob = ex.Explainer(model, method="ale", method_params={"grid_resolution": 50}).explain_global(
        X, features=["rooms"]
    )
    grid = glob.effect("rooms").grid
    assert set(grid) <= set(X["rooms"]) and len(grid) == X["rooms"].nunique()
    assert glob.params["bin_counts"]["rooms"][0] == int((X["rooms"] <= grid[1]).sum())


def test_categorical_feature_equals_the_reference(mixed):
    model, X = mixed
    glob = ex.Explainer(model, method="ale").explain_global(X, features=["region"])
    expected, order = ref_categorical(model.predict, X, "region")
    got = glob.effect("region")
    assert list(got.grid) in (order, order[::-1])
    assert list(glob.params["category_order"]["region"]) == list(got.grid)
    for level, value in zip(got.grid, got.average, strict=True):
        assert value == pytest.approx(expected[level][0], abs=1e-10)
    # the order follows how income (which the regions shift) is distributed in each region
    assert list(got.grid) in (["north", "east", "south", "west"], ["west", "south", "east", "north"])


def test_categories_ordered_by_another_categorical_feature():
    rng = np.random.default_rng(5)
    n = 300
    grade = rng.choice(["a", "b", "c", "d", "e"], n)
    # the share of "city" among rows rises with the grade in the order b, e, a, d, c
    share = pd.Series(grade).map({"b": 0.05, "e": 0.3, "a": 0.5, "d": 0.7, "c": 0.95}).to_numpy()
    X = pd.DataFrame(
        {
            "grade": pd.Series(grade, dtype=object),
            "place": pd.Series(np.where(rng.uniform(size=n) < share, "city", "country"), dtype=object),
            "score": rng.normal(size=n),
        }
    )

    def f(frame):
        bump = frame["grade"].map({"a": 1.0, "b": -2.0, "c": 0.5, "d": 3.0, "e": 0.0}).to_numpy()
        return bump * (1 + frame["score"].to_numpy()) + (frame["place"] == "city").to_numpy()

    glob = ex.Explainer(f, task="regression", method="ale").explain_global(X, features=["grade"])
    expected, order = ref_categorical(f, X, "grade")
    got = glob.effect("grade")
    assert list(got.grid) in (order, order[::-1])
    assert list(got.grid) in (list("beadc"), list("cdaeb"))
    for level, value in zip(got.grid, got.average, strict=True):
        assert value == pytest.approx(expected[level][0], abs=1e-12)


def test_probabilities_of_a_binary_and_a_multiclass_classifier():
    X, y = load_iris(return_X_y=True, as_frame=True)
    multi = HistGradientBoostingClassifier(max_iter=15, random_state=0).fit(X, y)
    glob = ex.Explainer(multi, method="ale", method_params={"grid_resolution": 8}).explain_global(X)
    assert glob.importances.shape == (4, 3) and glob.output_names == ("0", "1", "2")
    _, effect = ref_numeric(multi.predict_proba, X, "petal length (cm)", 8)
    np.testing.assert_allclose(glob.effect("petal length (cm)").average, effect, atol=1e-12, rtol=0)
    # the three classes' probabilities sum to one, so their effects sum to zero
    np.testing.assert_allclose(glob.effect("petal width (cm)").average.sum(axis=1), 0, atol=1e-12)

    binary = LogisticRegression(max_iter=500).fit(X, y == 2)
    glob = ex.Explainer(binary, method="ale", method_params={"grid_resolution": 8}).explain_global(X)
    assert glob.importances.shape == (4,) and glob.output_space == "probability"
    _, effect = ref_numeric(lambda f: binary.predict_proba(f)[:, 1], X, "sepal width (cm)", 8)
    np.testing.assert_allclose(glob.effect("sepal width (cm)").average, effect[:, 0], atol=1e-12, rtol=0)


# ------------------------------------------------------------------ closed forms


def test_linear_model_is_coefficient_times_centred_value():
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"a": rng.normal(size=300), "b": rng.exponential(size=300), "k": rng.integers(0, 9, 300)})
    model = LinearRegression().fit(X, 3 * X["a"] - 2 * X["b"] + 0.5 * X["k"] + rng.normal(size=300))
    glob = ex.Explainer(model, method="ale").explain_global(X)
    for name, coef in zip(X.columns, model.coef_, strict=True):
        effect = glob.effect(name)
        grid = np.asarray(effect.grid)
        centre = grid - effect.average / coef  # the same number at every edge
        np.testing.assert_allclose(centre, centre[0], atol=1e-9)
        # read at each row, the effect is coef * (x - centre): its spread is |coef| * std(x)
        assert glob.importances[list(X.columns).index(name)] == pytest.approx(abs(coef) * X[name].std(ddof=0))


def test_one_hot_linear_model_gives_centred_coefficients():
    rng = np.random.default_rng(1)
    X = pd.DataFrame({"c": rng.choice(["x", "y", "z"], 300, p=[0.5, 0.3, 0.2]), "v": rng.normal(size=300)})
    y = X["c"].map({"x": 0.0, "y": 2.0, "z": -1.0}) + X["v"]
    model = make_pipeline(
        make_column_transformer((OneHotEncoder(), ["c"]), remainder="passthrough"), LinearRegression()
    )
    model.fit(X, y)
    glob = ex.Explainer(model, method="ale").explain_global(X, features=["c"])
    coef = dict(zip(["x", "y", "z"], model[-1].coef_[:3], strict=True))
    weights = X["c"].value_counts(normalize=True)
    centre = sum(coef[c] * weights[c] for c in coef)
    for level, value in zip(glob.effect("c").grid, glob.effect("c").average, strict=True):
        assert value == pytest.approx(coef[level] - centre, abs=1e-10)


def test_interaction_term_is_weighted_by_the_partner_in_each_interval():
    """f = x1 * x2: the local effect of x1 in an interval is (z_k - z_{k-1}) times the mean of x2
    over the rows in that interval. With x2 ~ U(0, 1) independent of x1, the ALE of x1 is close
    to 0.5 * x1 (centred); the reference gives it exactly."""
    rng = np.random.default_rng(2)
    X = pd.DataFrame({"x1": rng.uniform(-1, 1, 2000), "x2": rng.uniform(0, 1, 2000)})

    def f(frame):
        return frame["x1"].to_numpy() * frame["x2"].to_numpy()

    glob = ex.Explainer(f, task="regression", method="ale").explain_global(X)
    edges, effect = ref_numeric(f, X, "x1", 20)
    np.testing.assert_allclose(glob.effect("x1").average, effect[:, 0], atol=1e-12, rtol=0)
    slope = np.diff(glob.effect("x1").average) / np.diff(edges)
    np.testing.assert_allclose(slope, 0.5, atol=0.1)
    # mean of x2 within each interval of x1, times the interval's width: the definition itself
    x1, x2 = X["x1"].to_numpy(), X["x2"].to_numpy()
    inside = [(x1 > lo) & (x1 <= hi) | ((x1 == lo) & (k == 0)) for k, (lo, hi) in enumerate(itertools.pairwise(edges))]
    np.testing.assert_allclose(np.diff(glob.effect("x1").average), [x2[m].mean() for m in inside] * np.diff(edges))


class _OffTheData(RegressorMixin, BaseEstimator):
    """Equal to ``x1 + x2**2`` wherever ``|x1 - x2| <= 0.3`` (where all the data lie), and far
    from it elsewhere: a model that extrapolates badly where it saw no rows, as flexible
    models fitted on correlated features do."""

    def fit(self, X, y=None):
        self.n_features_in_ = 2
        return self

    def predict(self, X):
        x = np.asarray(X, dtype=float)
        gap = np.maximum(np.abs(x[:, 0] - x[:, 1]) - 0.3, 0)
        return x[:, 0] + x[:, 1] ** 2 + 50 * gap**2


def test_correlated_features_bias_partial_dependence_not_ale():
    rng = np.random.default_rng(3)
    x1 = rng.uniform(0, 1, 500)
    X = pd.DataFrame({"x1": x1, "x2": x1 + rng.uniform(-0.05, 0.05, 500)})
    model = _OffTheData().fit(X)
    ale = ex.Explainer(model, method="ale").explain_global(X)
    pdp = ex.Explainer(model, method="partial_dependence").explain_global(X)
    # ALE moves each row only within its interval (width ~0.05), so it stays where the model
    # is x1 + x2^2 and recovers each term exactly: x1 - c1 and x2^2 - c2
    e1, e2 = ale.effect("x1"), ale.effect("x2")
    np.testing.assert_allclose(np.asarray(e1.grid) - e1.average, (np.asarray(e1.grid) - e1.average)[0], atol=1e-12)
    np.testing.assert_allclose(np.asarray(e2.grid) ** 2 - e2.average, (np.asarray(e2.grid) ** 2 - e2.average)[0])
    # partial dependence sets x1 to each value in every row, far from x2: it averages the
    # extrapolation, and its curve of x1 bends away from a straight line of slope 1
    p1 = pdp.effect("x1")
    deviation = np.asarray(p1.average) - np.asarray(p1.grid)
    assert np.ptp(deviation) > 1.0  # ALE's deviation from x1 is a constant: ptp 0
    assert np.ptp(np.asarray(e1.average) - np.asarray(e1.grid)) < 1e-12


# ------------------------------------------------------------------ the contract


def test_one_model_call_per_feature_with_all_rows():
    rng = np.random.default_rng(4)
    X = pd.DataFrame({"a": rng.normal(size=50), "b": rng.normal(size=50), "c": rng.choice(["p", "q", "r"], 50)})
    sizes = []

    def f(frame):
        sizes.append(len(frame))
        return frame["a"].to_numpy() + (frame["c"] == "q").to_numpy()

    glob = ex.Explainer(f, task="regression", method="ale").explain_global(X)
    order = glob.params["category_order"]["c"]
    first, last = (int((X["c"] == level).sum()) for level in (order[0], order[-1]))
    # numeric: every row at both edges of its interval; categorical: every row as it is, the
    # rows not in the last category moved up one, and those not in the first moved down one
    assert sizes == [2 * 50, 2 * 50, 50 + (50 - last) + (50 - first)]


def test_effects_plot_draws_the_curve_and_json_round_trips(tmp_path, mixed):
    model, X = mixed
    glob = ex.Explainer(model, method="ale").explain_global(X, features=["age", "region"])
    ax = glob.plot("effects", feature="age")
    line = ax.get_lines()[0]
    np.testing.assert_allclose(line.get_xdata(), glob.effect("age").grid)
    np.testing.assert_allclose(line.get_ydata(), glob.effect("age").average)
    assert "Accumulated local effects" in ax.get_ylabel()
    glob.plot("effects", feature="region")
    path = tmp_path / "ale.json"
    glob.to_json(path)
    back = ex.load(path)
    assert back.kind == "ale_std" and back.effect("region").grid == glob.effect("region").grid
    assert np.array_equal(back.effect("age").average, glob.effect("age").average)
    assert back.params["category_order"] == glob.params["category_order"]


def test_same_result_with_workers(mixed):
    model, X = mixed
    one = ex.Explainer(model, method="ale").explain_global(X)
    two = ex.Explainer(model, method="ale", n_jobs=2).explain_global(X)
    assert np.array_equal(one.importances, two.importances)
    for a, b in zip(one.effects, two.effects, strict=True):
        assert a.grid == b.grid and np.array_equal(a.average, b.average)


@pytest.mark.parametrize("bad", [1, 0, 2.5, True, "20", None])
def test_grid_resolution_is_refused_at_construction(bad):
    model = LinearRegression().fit([[0.0], [1.0]], [0.0, 1.0])
    with pytest.raises(MethodError, match=r"grid_resolution=.*whole number >= 2"):
        ex.Explainer(model, method="ale", method_params={"grid_resolution": bad})


def test_unknown_setting_is_refused():
    model = LinearRegression().fit([[0.0], [1.0]], [0.0, 1.0])
    with pytest.raises(MethodError, match="grid_resolution"):
        ex.Explainer(model, method="ale", method_params={"percentiles": (0, 1)})


def test_single_valued_and_missing_features_are_refused():
    X = pd.DataFrame({"a": [1.0, 2.0, 3.0, 4.0], "flat": [5.0] * 4, "c": ["u"] * 4})
    model = LinearRegression().fit(X[["a", "flat"]], [1.0, 2.0, 3.0, 5.0])
    with pytest.raises(InputError, match=r"'flat' takes a single value in X \(5.0\).*features="):
        ex.Explainer(model, method="ale").explain_global(X[["a", "flat"]])
    assert ex.Explainer(model, method="ale").explain_global(X[["a", "flat"]], features=["a"]).feature_names == ("a",)

    def f(frame):
        return np.nan_to_num(frame["a"].to_numpy())

    with pytest.raises(InputError, match=r"'c' takes a single value"):
        ex.Explainer(f, task="regression", method="ale").explain_global(X[["a", "c"]])
    holed = X[["a"]].assign(a=[1.0, np.nan, 3.0, 4.0])
    with pytest.raises(InputError, match=r"'a'.*missing in 1 of the 4 rows"):
        ex.Explainer(f, task="regression", method="ale").explain_global(holed)
