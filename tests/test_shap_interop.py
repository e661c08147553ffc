"""Interop with shap and pandas: to_shap() feeds every shap plot, from_shap() and from_frame()
read attributions made elsewhere (validated, honest about their provenance), round trips exact."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")  # shap's plots draw with pyplot: never open a window in the tests

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
import shap
from sklearn.compose import make_column_transformer
from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OrdinalEncoder, StandardScaler

import explain as ex
from explain import LocalExplanation
from explain.errors import InputError


@pytest.fixture(scope="module")
def binary(cancer_lr, cancer_data) -> LocalExplanation:
    explainer = ex.Explainer(cancer_lr, background=cancer_data.background, method="exact_shap")
    return explainer.explain_local(cancer_data.X.iloc[100:112])


@pytest.fixture(scope="module")
def multi(iris_data) -> LocalExplanation:
    model = make_pipeline(StandardScaler(), LogisticRegression()).fit(iris_data.X, iris_data.y)
    explainer = ex.Explainer(model, background=iris_data.X.iloc[::10], method="exact_shap")
    return explainer.explain_local(iris_data.X.iloc[[0, 1, 60, 61, 120, 121]])


@pytest.fixture(scope="module")
def mixed(mixed_data) -> LocalExplanation:
    X = mixed_data.X.iloc[10:22].copy()
    X.loc[X.index[2], "city"] = np.nan
    X.loc[X.index[3], "income"] = np.nan
    model = make_pipeline(
        make_column_transformer(
            (OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=-1), ["city", "grade"]),
            remainder="passthrough",
        ),
        HistGradientBoostingClassifier(max_iter=5, random_state=0),
    ).fit(mixed_data.X, mixed_data.y)
    return ex.Explainer(model, background=mixed_data.X.iloc[:30], method="exact_shap").explain_local(X)


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _same_data(a: np.ndarray, b: np.ndarray) -> bool:
    if a.dtype != object and b.dtype != object:
        return np.array_equal(a, b, equal_nan=True)
    return all(x == y or (x != x and y != y) for x, y in zip(a.ravel(), b.ravel(), strict=True))


def _assert_round_trip(local: LocalExplanation, back: LocalExplanation) -> None:
    np.testing.assert_array_equal(back.values, local.values)
    np.testing.assert_array_equal(back.base_values, local.base_values)
    assert back.data.shape == local.data.shape and _same_data(back.data, local.data)
    assert back.feature_names == local.feature_names and back.output_names == local.output_names
    assert back.feature_kinds == local.feature_kinds
    assert back.output_space == local.output_space


# --------------------------------------------------------------------------- to_shap


def test_to_shap_gives_shaps_parallel_arrays(binary):
    sv = binary.to_shap()
    assert isinstance(sv, shap.Explanation)
    np.testing.assert_array_equal(sv.values, binary.values)
    np.testing.assert_array_equal(sv.base_values, binary.base_values)
    np.testing.assert_array_equal(sv.data, binary.data)
    assert sv.display_data is None  # every column is numeric
    assert list(sv.feature_names) == list(binary.feature_names)
    assert sv.output_names == binary.output_names[0]  # one output: one name, as shap's own slices
    np.testing.assert_allclose(sv.values.sum(axis=1) + sv.base_values, binary.predictions, atol=1e-9)
    sv.values[0, 0] = 99.0  # shap's arrays are the caller's copies, never ours
    assert binary.values[0, 0] != 99.0


def test_to_shap_of_several_outputs_follows_shaps_layout(multi):
    sv = multi.to_shap()
    assert sv.values.shape == (6, 4, 3) and sv.base_values.shape == (6, 3)
    assert list(sv.output_names) == list(multi.output_names)
    one = sv[:, :, "virginica"]  # shap's own way to pick an output by name
    np.testing.assert_array_equal(one.values, multi.for_output("virginica").values)
    np.testing.assert_array_equal(one.base_values, multi.for_output("virginica").base_values)
    np.testing.assert_array_equal(sv[2, :, 0].values, multi.values[2, :, 0])


def test_to_shap_codes_categories_and_shows_their_values(mixed):
    sv = mixed.to_shap()
    assert sv.data.dtype == float and sv.display_data is not None
    city = list(mixed.feature_names).index("city")
    categories = sorted({v for v in mixed.data[:, city] if v is not None})
    for code, shown in zip(sv.data[:, city], sv.display_data[:, city], strict=True):
        assert (np.isnan(code) and shown is None) or categories[int(code)] == shown
    income = list(mixed.feature_names).index("income")
    np.testing.assert_array_equal(sv.data[:, income], mixed.data[:, income].astype(float))


def test_to_shap_of_a_feature_selection_is_shaps_column_slice(binary):
    sv = binary[:, ["mean area", "mean radius"]].to_shap()
    full = binary.to_shap()
    np.testing.assert_array_equal(sv.values, full[:, ["mean area", "mean radius"]].values)
    np.testing.assert_array_equal(sv.base_values, full.base_values)


# --------------------------------------------------------------------------- shap's plots on to_shap()


def _yticklabels(ax) -> list[str]:
    return [t.get_text() for t in ax.get_yticklabels()]


def test_shap_waterfall_draws_to_shap(binary, mixed):
    ax = shap.plots.waterfall(binary.to_shap()[3], max_display=20, show=False)
    labels = " ".join(_yticklabels(ax))
    assert all(name in labels for name in binary.feature_names)
    plt.close("all")
    row = mixed.to_shap()[0]
    ax = shap.plots.waterfall(row, max_display=20, show=False)
    labels = " ".join(_yticklabels(ax))
    assert f"{mixed.data[0, 2]} = city" in labels  # shap prints display_data: the city, not its code


def test_shap_beeswarm_and_bar_draw_to_shap(binary, mixed, multi):
    for local in (binary, mixed, multi.for_output("versicolor")):
        sv = local.to_shap()
        ax = shap.plots.beeswarm(sv, show=False)
        assert set(_yticklabels(ax)) >= set(local.feature_names)
        plt.close("all")
        ax = shap.plots.bar(sv, show=False)
        assert set(_yticklabels(ax)) >= set(local.feature_names)
        plt.close("all")
        assert shap.plots.bar(sv[0], show=False) is not None
        plt.close("all")
    ax = shap.plots.beeswarm(multi.to_shap()[:, :, "virginica"], show=False)
    assert set(_yticklabels(ax)) >= set(multi.feature_names)


def test_shap_bar_lengths_are_our_mean_absolute_values(binary):
    ax = shap.plots.bar(binary.to_shap(), max_display=10, show=False)
    drawn = sorted(round(p.get_width(), 12) for p in ax.patches)
    expected = sorted(round(float(v), 12) for v in binary.to_global().importances)
    assert drawn == expected


# --------------------------------------------------------------------------- from_shap


@pytest.mark.parametrize("name", ["binary", "multi", "mixed"])
def test_from_shap_of_to_shap_is_the_explanation(name, request):
    local = request.getfixturevalue(name)
    back = LocalExplanation.from_shap(local.to_shap(), output_space=local.output_space, output_names=local.output_names)
    _assert_round_trip(local, back)
    np.testing.assert_allclose(back.predictions, local.predictions, rtol=0, atol=1e-9)


def test_from_shap_says_where_the_values_came_from(binary):
    back = LocalExplanation.from_shap(binary.to_shap(), output_space="probability")
    assert back.method == "shap"
    assert back.params["source"] == "shap.Explanation"
    assert back.params["predictions"] == "base_values + sum of values"
    assert back.provenance.model_fingerprint == "" and back.provenance.model_type == ""
    assert back.provenance.random_state is None and dict(back.provenance.versions) == {}
    assert back.provenance.data_fingerprint == binary.provenance.data_fingerprint  # the same rows
    assert back.output_names == ("1",)  # shap's single output name, kept
    assert back.additivity_error() == 0.0
    assert not back.values.flags.writeable and not back.data.flags.writeable


def test_from_shap_of_shaps_tree_explainer(iris_data):
    model = RandomForestClassifier(n_estimators=5, max_depth=3, random_state=0).fit(iris_data.X, iris_data.y)
    explainer = shap.TreeExplainer(model)
    sv = explainer(iris_data.X.iloc[:8])
    local = LocalExplanation.from_shap(sv, output_space="probability", explainer=explainer)
    assert local.method == "shap:TreeExplainer"
    assert local.values.shape == (8, 4, 3) and local.output_names == ("Output 0", "Output 1", "Output 2")
    assert local.feature_names == tuple(iris_data.X.columns)
    np.testing.assert_allclose(local.predictions, model.predict_proba(iris_data.X.iloc[:8]), atol=1e-9)
    named = LocalExplanation.from_shap(sv, output_space="probability", explainer="Tree", output_names=model.classes_)
    assert named.method == "shap:Tree" and named.output_names == tuple(model.classes_)
    assert named[:, "petal length (cm)", "virginica"].values.shape == (8, 1)


def test_from_shap_of_one_row(multi, binary):
    row = LocalExplanation.from_shap(multi.to_shap()[2], output_space="probability")
    assert row.values.shape == (1, 4, 3)
    np.testing.assert_array_equal(row.values[0], multi.values[2])
    single = LocalExplanation.from_shap(binary.to_shap()[5], output_space="probability")
    assert single.values.shape == (1, 5) and single.base_values.shape == (1,)
    np.testing.assert_array_equal(single.data[0], binary.data[5])


def test_from_shap_of_text_data_and_of_no_data():
    values = np.array([[0.5, -0.25], [0.1, 0.2]])
    text = shap.Explanation(values, base_values=0.0, data=np.array([["rome", 1.0], ["oslo", 2.0]], dtype=object),
                            feature_names=["city", "age"])  # fmt: skip
    local = LocalExplanation.from_shap(text, output_space="raw")
    assert local.feature_kinds == ("categorical", "numeric") and local.data[1, 0] == "oslo"
    bare = LocalExplanation.from_shap(shap.Explanation(values, base_values=np.array([1.0, 2.0])), output_space="raw")
    assert bare.feature_names == ("Feature 0", "Feature 1") and np.isnan(bare.data).all()
    assert bare.params["data"] == "not given (missing)"
    kinds = LocalExplanation.from_shap(text, output_space="raw", feature_kinds=["categorical", "categorical"])
    assert kinds.feature_kinds == ("categorical", "categorical")


def _sv(**changes):
    arrays = dict(values=np.ones((3, 2)), base_values=np.zeros(3), data=np.ones((3, 2)), feature_names=["a", "b"])
    arrays.update(changes)
    return shap.Explanation(**arrays)


@pytest.mark.parametrize(
    "given, message",
    [(np.ones((3, 2)), "takes a shap.Explanation .* not ndarray; a DataFrame of attributions is read by"),
     (pd.DataFrame({"a": [1.0]}), "not DataFrame"),
     (_sv(values=np.array([[1.0, np.nan], [0, 0], [0, 0]])), "1 of the shap.Explanation's values are NaN"),
     (_sv(base_values=np.zeros(4)), r"base_values of shape \(4,\) do not fit 3 rows"),
     (_sv(base_values=np.array([0.0, np.inf, 0.0])), "base_values hold NaN or infinite"),
     (_sv(base_values=None), "base_values are missing"),
     (_sv(data=np.ones((3, 3))), r"data of shape \(3, 3\)"),
     (_sv(feature_names=["a", "a"]), "repeat a name"),
     (_sv(values=np.ones((2, 2, 2, 2))), "rows by features"),
     (_sv(values=np.array([["x", "y"]] * 3, dtype=object)), "not an array of numbers")],
    ids=["array", "frame", "nan", "base_shape", "base_inf", "no_base", "data_shape", "names", "rank", "text"],
)  # fmt: skip
def test_from_shap_refuses_bad_input_naming_the_fix(given, message):
    with pytest.raises(InputError, match=message):
        LocalExplanation.from_shap(given, output_space="raw")


def test_from_shap_needs_the_output_space_in_the_words_we_use(binary):
    with pytest.raises(InputError, match="output_space='logit'; say which units"):
        LocalExplanation.from_shap(binary.to_shap(), output_space="logit")
    with pytest.raises(TypeError):
        LocalExplanation.from_shap(binary.to_shap())  # type: ignore[call-arg]
    with pytest.raises(InputError, match=r"output_names .* should name each of the 1 outputs"):
        LocalExplanation.from_shap(binary.to_shap(), output_space="raw", output_names=["a", "b"])
    with pytest.raises(InputError, match="feature_kinds="):
        LocalExplanation.from_shap(binary.to_shap(), output_space="raw", feature_kinds=["numeric"])


def test_from_shap_objects_slice_join_and_save(binary, tmp_path):
    local = LocalExplanation.from_shap(binary.to_shap(), output_space="probability")
    joined = ex.concat([local[:4], local[4:]])
    part = joined[:, ["mean area"]]
    assert part.additivity_error() < 1e-12
    for exp in (local, joined, part):
        path = tmp_path / "from_shap.json"
        exp.to_json(path)
        loaded = ex.load(path)
        assert loaded.to_json() == exp.to_json()
        assert loaded.method == "shap" and loaded.params["source"] == "shap.Explanation"


# --------------------------------------------------------------------------- from_frame


@pytest.mark.parametrize("name", ["binary", "multi", "mixed"])
def test_from_frame_of_to_frame_is_the_explanation(name, request, mixed_data, tmp_path):
    local = request.getfixturevalue(name)
    data = pd.DataFrame(local.data, columns=list(local.feature_names))
    if name == "mixed":
        data = mixed_data.X.iloc[10:22].copy()  # the user's own DataFrame, dtypes and all
        data.loc[data.index[2], "city"] = np.nan
        data.loc[data.index[3], "income"] = np.nan
    back = LocalExplanation.from_frame(
        local.to_frame(), base_values=local.base_values, data=data, predictions=local.predictions,
        output_space=local.output_space, output_names=local.output_names, method=local.method,
    )  # fmt: skip
    _assert_round_trip(local, back)
    np.testing.assert_array_equal(back.predictions, local.predictions)
    assert back.method == local.method and back.params["source"] == "pandas.DataFrame"
    assert back.provenance.model_fingerprint == ""
    assert back.provenance.data_fingerprint == local.provenance.data_fingerprint
    assert back.to_frame().equals(local.to_frame())
    path = tmp_path / "from_frame.json"
    back.to_json(path)
    assert ex.load(path).to_json() == back.to_json()


def test_from_frame_defaults():
    frame = pd.DataFrame({"age": [0.5, -0.2], "income": [1.0, 0.0]}, index=[10, 20])
    local = LocalExplanation.from_frame(frame, base_values=[1.0, 2.0], output_space="log_odds")
    np.testing.assert_array_equal(local.predictions, [2.5, 1.8])
    assert local.method == "unknown" and local.output_names == ("prediction",)
    assert np.isnan(local.data).all() and local.params["data"] == "not given (missing)"
    assert local.params["predictions"] == "base_values + sum of values"
    arrays = LocalExplanation.from_frame(frame, base_values=0.0, output_space="raw", data=np.array([[30, 5], [40, 6]]))
    np.testing.assert_array_equal(arrays.data, [[30.0, 5.0], [40.0, 6.0]])


@pytest.mark.parametrize(
    "frame, kwargs, message",
    [(np.zeros((2, 2)), {}, "takes a pandas DataFrame"),
     (pd.DataFrame({"a": ["x", "y"]}), {}, r"columns \['a'\] are not numbers"),
     (pd.DataFrame({"a": [1.0, np.nan]}), {}, r"columns \['a'\] hold NaN"),
     (pd.DataFrame({"a": [], "b": []}), {}, "at least one row"),
     (pd.DataFrame([[1.0, 2.0]], columns=["a", "a"]), {}, "repeats a column name"),
     (pd.DataFrame([[1.0, 2.0, 3.0]], columns=pd.MultiIndex.from_tuples([("p", "a"), ("p", "b"), ("q", "a")])), {},
      "every feature under every output"),
     (pd.DataFrame({"a": [1.0, 2.0]}), {"base_values": [0.0, 1.0, 2.0]}, r"do not fit 2 rows"),
     (pd.DataFrame({"a": [1.0, 2.0]}), {"predictions": [1.0]}, r"predictions of shape \(1,\)"),
     (pd.DataFrame({"a": [1.0, 2.0]}), {"data": pd.DataFrame({"b": [1, 2]})}, r"missing: \['a'\], extra: \['b'\]"),
     (pd.DataFrame({"a": [1.0, 2.0]}), {"data": np.ones((3, 1))}, r"data of shape \(3, 1\)"),
     (pd.DataFrame({"a": [1.0, 2.0]}), {"method": "linear_shap", "predictions": [5.0, 5.0]}, "miss them by up to"),
     (pd.DataFrame({"a": [1.0, 2.0]}), {"method": ""}, "name the method"),
     (pd.DataFrame({"a": [1.0, 2.0]}), {"output_space": "probabilities"}, "say which units")],
    ids=["array", "text", "nan", "empty", "repeated", "ragged_outputs", "base", "predictions", "data_columns",
         "data_rows", "not_additive", "method", "space"],
)  # fmt: skip
def test_from_frame_refuses_bad_input_naming_the_fix(frame, kwargs, message):
    arguments = {"base_values": 0.0, "output_space": "raw", **kwargs}
    with pytest.raises(InputError, match=message):
        LocalExplanation.from_frame(frame, **arguments)


def test_from_shap_names_a_column_slice_and_interaction_values():
    # each was misread: a column slice as one row of "30 features", interaction values as d outputs
    from sklearn.ensemble import RandomForestRegressor

    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(40, 4)), columns=["a", "b", "bmi", "c"])
    model = RandomForestRegressor(n_estimators=5, max_depth=3, random_state=0).fit(X, X.a * X.bmi)
    sv = shap.TreeExplainer(model)(X.iloc[:12])
    with pytest.raises(InputError, match=r"single column 'bmi'.*sv\[:, \['bmi'\]\]"):
        LocalExplanation.from_shap(sv[:, "bmi"], output_space="raw")
    assert LocalExplanation.from_shap(sv[:, ["bmi"]], output_space="raw").values.shape == (12, 1)
    interactions = shap.TreeExplainer(model)(X.iloc[:12], interactions=True)
    for given in (interactions, interactions[0]):
        with pytest.raises(InputError, match=r"interaction values.*explain_interactions"):
            LocalExplanation.from_shap(given, output_space="raw")
    square = _sv(values=np.ones((2, 2)), base_values=0.0, data=np.ones((2, 2)))  # 2 rows of 2 features
    assert LocalExplanation.from_shap(square, output_space="raw").values.shape == (2, 2)
