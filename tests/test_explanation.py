"""Explanation objects: frozen, sliceable, summarised, serialised exactly, displayed safely."""

from __future__ import annotations

import json
from dataclasses import FrozenInstanceError

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import explain as ex
from explain import GlobalExplanation, LocalExplanation
from explain._provenance import data_fingerprint
from explain.errors import InputError


def _local(model, background, X, **kwargs):
    return ex.Explainer(model, background=background, **kwargs).explain_local(X)


@pytest.fixture(scope="module")
def binary(cancer_lr, cancer_data) -> LocalExplanation:
    return _local(cancer_lr, cancer_data.background, cancer_data.X.iloc[100:108], method="exact_shap")


@pytest.fixture(scope="module")
def multi(iris_data) -> LocalExplanation:
    model = make_pipeline(StandardScaler(), LogisticRegression()).fit(iris_data.X, iris_data.y)
    return _local(model, iris_data.X.iloc[::10], iris_data.X.iloc[[0, 1, 60, 61, 120, 121]], method="exact_shap")


@pytest.fixture(scope="module")
def mixed(mixed_pipeline, mixed_data) -> LocalExplanation:
    X = mixed_data.X.iloc[10:16].copy()
    X.loc[X.index[2], "city"] = np.nan
    X.loc[X.index[3], "income"] = np.nan
    from sklearn.compose import make_column_transformer
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.preprocessing import OrdinalEncoder

    model = make_pipeline(
        make_column_transformer(
            (OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=-1), ["city", "grade"]),
            remainder="passthrough",
        ),
        HistGradientBoostingClassifier(max_iter=5, random_state=0),
    ).fit(mixed_data.X, mixed_data.y)
    return _local(model, mixed_data.X.iloc[:30], X, method="exact_shap")


def assert_identical(a: np.ndarray, b: np.ndarray) -> None:
    """Same dtype, shape and values; NaN equal to NaN; for objects, same types too."""
    assert a.dtype == b.dtype and a.shape == b.shape
    if a.dtype != object:
        assert np.array_equal(a, b, equal_nan=True)
        assert a.tobytes() == b.tobytes()
        return
    for x, y in zip(a.ravel(), b.ravel(), strict=True):
        assert type(x) is type(y), (x, y)
        assert x == y or (x != x and y != y), (x, y)


# --------------------------------------------------------------------------- frozen


@pytest.mark.parametrize("name", ["values", "base_values", "data", "predictions"])
def test_arrays_are_read_only(binary, mixed, name):
    for local in (binary, mixed):
        array = getattr(local, name)
        with pytest.raises(ValueError, match="read-only"):
            array[0] = 1
        with pytest.raises(ValueError):
            array.setflags(write=True)  # and cannot be made writeable again
    assert not binary[1:3].values.flags.writeable


def test_global_arrays_are_read_only(binary):
    glob = binary.to_global()
    for array in (glob.importances, glob.spread):
        with pytest.raises(ValueError, match="read-only"):
            array[0] = 1.0
        with pytest.raises(ValueError):
            array.setflags(write=True)


def test_arrays_are_copies_of_what_was_passed():
    values = np.zeros((2, 2))
    local = LocalExplanation(
        values=values, base_values=0.0, data=np.ones((2, 2)), predictions=np.zeros(2),
        feature_names=("a", "b"), output_names=("y",), output_space="raw", method="test",
    )  # fmt: skip
    values[0, 0] = 5.0
    assert local.values[0, 0] == 0.0
    assert values.flags.writeable  # the caller's array is left writeable


def test_attributes_and_params_cannot_be_changed(binary):
    with pytest.raises(FrozenInstanceError):
        binary.method = "other"  # type: ignore[misc]
    with pytest.raises(TypeError):
        binary.params["background_rows"] = 1  # type: ignore[index]
    with pytest.raises(TypeError):
        binary.provenance.versions["numpy"] = "0"  # type: ignore[index]
    with pytest.raises(FrozenInstanceError):
        binary.provenance.random_state = 1  # type: ignore[misc]
    assert isinstance(binary.feature_names, tuple) and isinstance(binary.output_names, tuple)


def test_nested_params_cannot_be_changed(cancer_lr, cancer_data):
    local = _local(cancer_lr, cancer_data.background, cancer_data.rows)  # auto records a nested dict
    assert local.params["auto"]["chosen"] == "linear_shap"
    with pytest.raises(TypeError):
        local.params["auto"]["chosen"] = "x"  # type: ignore[index]
    with pytest.raises(TypeError):
        local.params["auto"]["skipped"]["tree_shap"] = "x"  # type: ignore[index]


def test_params_are_copied_from_the_callers_mapping():
    params = {"nsamples": 10, "nested": {"a": [1, 2]}}
    local = LocalExplanation(
        values=np.zeros((1, 1)), base_values=0.0, data=np.zeros((1, 1)), predictions=0.0,
        feature_names=("a",), output_names=("y",), output_space="raw", method="test", params=params,
    )  # fmt: skip
    params["nsamples"] = 99
    params["nested"]["a"].append(3)
    assert local.params["nsamples"] == 10 and local.params["nested"]["a"] == (1, 2)


# --------------------------------------------------------------------------- rows


@pytest.mark.parametrize(
    "rows",
    [3, -1, np.int64(2), slice(1, 5), slice(None, None, 2), [0, 5, 2], np.array([7, 1]),
     np.array([True, False, True, False, False, False, False, True])],
    ids=["int", "negative", "numpy_int", "slice", "step", "list", "array", "mask"],
)  # fmt: skip
def test_row_indexing(binary, rows):
    idx = np.arange(binary.n_rows)[rows]
    idx = np.atleast_1d(idx)
    part = binary[rows]
    assert isinstance(part, LocalExplanation)
    assert part.n_rows == len(idx) == len(part)
    np.testing.assert_array_equal(part.values, binary.values[idx])
    np.testing.assert_array_equal(part.base_values, binary.base_values[idx])
    np.testing.assert_array_equal(part.predictions, binary.predictions[idx])
    np.testing.assert_array_equal(part.data, binary.data[idx])
    assert part.feature_names == binary.feature_names and part.method == binary.method
    assert dict(part.params) == dict(binary.params)
    expected = data_fingerprint(binary.data[idx], binary.feature_names, binary.feature_kinds)
    assert part.provenance.data_fingerprint == expected
    assert part.provenance.model_fingerprint == binary.provenance.model_fingerprint
    if len(idx) < binary.n_rows:
        assert part.provenance.data_fingerprint != binary.provenance.data_fingerprint


def test_a_row_has_the_fingerprint_of_explaining_that_row_alone(cancer_lr, cancer_data, binary):
    alone = _local(cancer_lr, cancer_data.background, cancer_data.X.iloc[[103]], method="exact_shap")
    assert binary[3].provenance.data_fingerprint == alone.provenance.data_fingerprint
    np.testing.assert_allclose(binary[3].values, alone.values, rtol=0, atol=1e-12)


def test_row_indexing_of_a_multi_output_explanation(multi):
    part = multi[[1, 4]]
    assert part.values.shape == (2, 4, 3) and part.base_values.shape == part.predictions.shape == (2, 3)
    np.testing.assert_array_equal(part.values, multi.values[[1, 4]])


def test_out_of_range_rows_raise_index_error(binary):
    with pytest.raises(IndexError, match="row 8 is out of range"):
        binary[8]
    with pytest.raises(IndexError, match="row -9 is out of range"):
        binary[-9]
    with pytest.raises(IndexError):
        binary[[True, False]]


# --------------------------------------------------------------------------- outputs


def test_for_output_by_name_and_by_index(multi):
    assert multi.output_names == ("setosa", "versicolor", "virginica")
    by_name, by_index = multi.for_output("versicolor"), multi.for_output(1)
    for one in (by_name, by_index):
        assert one.output_names == ("versicolor",) and not one.is_multi_output
        np.testing.assert_array_equal(one.values, multi.values[:, :, 1])
        np.testing.assert_array_equal(one.base_values, multi.base_values[:, 1])
        np.testing.assert_array_equal(one.predictions, multi.predictions[:, 1])
        assert one.additivity_error() < 1e-9
    assert by_name.to_json() == by_index.to_json()


def test_for_output_of_a_single_output_explanation(binary):
    assert binary.for_output("1") is binary and binary.for_output(0) is binary


def test_for_output_errors_name_the_outputs(multi):
    with pytest.raises(InputError, match=r"no output named 'daisy'; the outputs are \['setosa'"):
        multi.for_output("daisy")
    with pytest.raises(InputError, match="output index 3 is out of range; there are 3 outputs"):
        multi.for_output(3)


# --------------------------------------------------------------------------- tables and summaries


def test_to_frame_single_output(binary):
    frame = binary.to_frame()
    assert frame.shape == (8, 5)
    assert list(frame.columns) == list(binary.feature_names)
    np.testing.assert_array_equal(frame.to_numpy(), binary.values)
    frame.iloc[0, 0] = 123.0  # the frame is the caller's: writing to it leaves the explanation alone
    assert binary.values[0, 0] != 123.0


def test_to_frame_multi_output(multi):
    frame = multi.to_frame()
    assert frame.shape == (6, 4 * 3)
    assert frame.columns.names == ["output", "feature"]
    np.testing.assert_array_equal(frame["virginica"].to_numpy(), multi.values[:, :, 2])
    np.testing.assert_array_equal(frame[("setosa", "petal width (cm)")].to_numpy(), multi.values[:, 3, 0])


def test_top_orders_by_absolute_attribution(binary):
    table = binary.top(3)
    assert list(table.columns) == ["row", "output", "rank", "feature", "feature_value", "attribution"]
    assert len(table) == 8 * 3
    names = list(binary.feature_names)
    for row, group in table.groupby("row"):
        assert list(group["rank"]) == [1, 2, 3]
        magnitudes = group["attribution"].abs().to_numpy()
        assert (np.diff(magnitudes) <= 0).all()
        expected = sorted(range(5), key=lambda j: -abs(binary.values[row, j]))[:3]
        assert list(group["feature"]) == [names[j] for j in expected]
        for _, record in group.iterrows():
            j = names.index(record["feature"])
            assert record["attribution"] == binary.values[row, j]
            assert record["feature_value"] == binary.data[row, j]


def test_top_breaks_ties_by_feature_order():
    local = LocalExplanation(
        values=np.array([[0.5, -0.5, 0.5, 0.1]]), base_values=0.0, data=np.zeros((1, 4)), predictions=0.6,
        feature_names=("d", "c", "b", "a"), output_names=("y",), output_space="raw", method="test",
    )  # fmt: skip
    assert list(local.top(3)["feature"]) == ["d", "c", "b"]


def test_top_of_multi_output_has_every_output(multi):
    table = multi.top(2)
    assert len(table) == 6 * 3 * 2
    assert set(table["output"]) == set(multi.output_names)


def test_top_refuses_k_below_one(binary):
    with pytest.raises(InputError, match="k=0"):
        binary.top(0)


def test_to_global_is_mean_and_std_of_absolute_values(binary, multi):
    for local in (binary, multi):
        glob = local.to_global()
        assert isinstance(glob, GlobalExplanation)
        np.testing.assert_allclose(glob.importances, np.abs(local.values).mean(axis=0), rtol=0, atol=0)
        np.testing.assert_allclose(glob.spread, np.abs(local.values).std(axis=0), rtol=0, atol=0)
        assert glob.kind == "mean_abs_attribution" and glob.method == local.method
        assert glob.params["n_rows"] == local.n_rows and glob.params["aggregation"] == "mean_abs"
        assert glob.feature_names == local.feature_names and glob.output_names == local.output_names
        assert glob.provenance == local.provenance


def test_global_summaries(multi):
    glob = multi.to_global()
    assert glob.importances.shape == (4, 3)
    frame = glob.to_frame()
    assert list(frame.index) == list(multi.feature_names)
    assert list(frame.columns) == ["setosa", "versicolor", "virginica", "setosa spread", "versicolor spread",
                                   "virginica spread"]  # fmt: skip
    one = glob.for_output("virginica")
    np.testing.assert_array_equal(one.importances, glob.importances[:, 2])
    top = one.top(2)
    order = np.argsort(-glob.importances[:, 2], kind="stable")[:2]
    assert list(top["feature"]) == [multi.feature_names[j] for j in order]
    assert list(top["importance"]) == list(glob.importances[order, 2])


def test_explain_global_equals_to_global_of_explain_local(cancer_lr, cancer_data):
    explainer = ex.Explainer(cancer_lr, background=cancer_data.background, method="exact_shap")
    glob = explainer.explain_global(cancer_data.rows)
    np.testing.assert_array_equal(glob.importances, explainer.explain_local(cancer_data.rows).to_global().importances)


# --------------------------------------------------------------------------- JSON


def _round_trip(explanation, tmp_path):
    path = tmp_path / "explanation.json"
    text = explanation.to_json(path)
    assert path.read_text(encoding="utf-8") == text
    return ex.load(path)


def _assert_same_local(a: LocalExplanation, b: LocalExplanation) -> None:
    for name in ("values", "base_values", "predictions", "data"):
        assert_identical(getattr(a, name), getattr(b, name))
    for name in ("feature_names", "output_names", "output_space", "method", "feature_kinds", "provenance"):
        assert getattr(a, name) == getattr(b, name), name
    assert _thawed(a.params) == _thawed(b.params)


def _thawed(params):
    from explain.explanation import thaw

    return thaw(params)


@pytest.mark.parametrize("name", ["binary", "multi", "mixed"])
def test_local_json_round_trip_is_exact(name, request, tmp_path):
    local = request.getfixturevalue(name)
    loaded = _round_trip(local, tmp_path)
    assert isinstance(loaded, LocalExplanation)
    _assert_same_local(local, loaded)
    assert loaded.to_json() == local.to_json()
    assert loaded.content_hash() == local.content_hash()


def test_round_trip_keeps_strings_and_missing_values(mixed, tmp_path):
    assert mixed.data.dtype == object
    assert mixed.feature_kinds == ("numeric", "numeric", "categorical", "categorical")
    assert mixed.data[2, 2] is None  # the NaN city, one missing marker
    assert np.isnan(mixed.data[3, 1])  # the NaN income stays a float NaN
    loaded = _round_trip(mixed, tmp_path)
    assert np.array_equal(loaded.data[:, 2:], mixed.data[:, 2:])  # strings and None compare equal
    assert isinstance(loaded.data[0, 2], str) and loaded.data[2, 2] is None
    assert np.isnan(loaded.data[3, 1]) and type(loaded.data[3, 1]) is float
    assert np.array_equal(loaded.data[:, :2].astype(float), mixed.data[:, :2].astype(float), equal_nan=True)


def test_round_trip_of_float_data_with_nan_and_extreme_values(tmp_path):
    values = np.array([[0.1, -0.0], [1e-300, 5e-324], [np.nextafter(1.0, 2.0), -1.7976931348623157e308]])
    data = np.array([[np.nan, 1.0], [2.0, np.nan], [1 / 3, 2 / 3]])
    local = LocalExplanation(
        values=values, base_values=np.array([0.2, 0.3, 0.4]), data=data, predictions=values.sum(1) + 0.2,
        feature_names=("a", "b"), output_names=("y",), output_space="raw", method="test",
    )  # fmt: skip
    loaded = _round_trip(local, tmp_path)
    assert_identical(loaded.values, local.values)  # -0.0 and subnormals included
    assert_identical(loaded.data, local.data)


def test_round_trip_with_numeric_categories(tmp_path):
    data = np.array([[1.5, 3], [2.5, None]], dtype=object)
    local = LocalExplanation(
        values=np.zeros((2, 2)), base_values=0.0, data=data, predictions=np.zeros(2),
        feature_names=("x", "code"), output_names=("y",), output_space="raw", method="test",
        feature_kinds=("numeric", "categorical"),
    )  # fmt: skip
    loaded = _round_trip(local, tmp_path)
    assert_identical(loaded.data, local.data)
    assert loaded.data[0, 1] == 3 and type(loaded.data[0, 1]) is int


def test_global_json_round_trip_is_exact(multi, binary, tmp_path):
    for glob in (multi.to_global(), binary.to_global(), binary.to_global().for_output(0)):
        loaded = _round_trip(glob, tmp_path)
        assert isinstance(loaded, GlobalExplanation)
        assert_identical(loaded.importances, glob.importances)
        assert_identical(loaded.spread, glob.spread)
        for name in ("feature_names", "output_names", "output_space", "kind", "method", "provenance"):
            assert getattr(loaded, name) == getattr(glob, name)
        assert _thawed(loaded.params) == _thawed(glob.params)
        assert loaded.to_json() == glob.to_json()


def test_global_without_spread_round_trips(tmp_path):
    glob = GlobalExplanation(
        importances=np.array([0.3, 0.1]), spread=None, feature_names=("a", "b"), output_names=("y",),
        output_space="raw", kind="coefficient", method="glassbox",
    )  # fmt: skip
    loaded = _round_trip(glob, tmp_path)
    assert loaded.spread is None and loaded.kind == "coefficient"
    assert_identical(loaded.importances, glob.importances)


def test_json_is_canonical_and_carries_a_schema(binary):
    text = binary.to_json()
    d = json.loads(text)
    assert d["schema"] == "explain.LocalExplanation" and d["schema_version"] == 1
    assert text == json.dumps(d, sort_keys=True, separators=(",", ":"))
    assert "NaN" not in text and "Infinity" not in text


def test_same_random_state_gives_the_same_bytes(cancer_rf, cancer_data):
    def run(seed):
        explainer = ex.Explainer(
            cancer_rf, background=cancer_data.background, method="kernel_shap",
            method_params={"nsamples": 24}, random_state=seed,
        )  # fmt: skip
        return explainer.explain_local(cancer_data.rows)

    first, second, other = run(0), run(0), run(1)
    assert first.content_hash() == second.content_hash()
    assert first.content_hash() != other.content_hash()
    a, b = json.loads(first.to_json()), json.loads(second.to_json())
    assert a["provenance"].pop("elapsed_seconds") >= 0 and b["provenance"].pop("elapsed_seconds") >= 0
    assert a == b
    # the texts differ at most in the elapsed time
    strip = '"elapsed_seconds":'
    ta, tb = first.to_json(), second.to_json()
    assert ta.split(strip)[0] == tb.split(strip)[0]
    assert ta.split(strip)[1].split(",", 1)[1] == tb.split(strip)[1].split(",", 1)[1]


def test_content_hash_ignores_only_the_elapsed_time(binary):
    from dataclasses import replace

    slower = replace(binary, provenance=replace(binary.provenance, elapsed_seconds=99.0))
    assert slower.content_hash() == binary.content_hash()
    assert slower.to_json() != binary.to_json()
    other_seed = replace(binary, provenance=replace(binary.provenance, random_state=7))
    assert other_seed.content_hash() != binary.content_hash()
    nudged = replace(binary, values=binary.values + np.eye(8, 5) * 1e-15)
    assert nudged.content_hash() != binary.content_hash()


def test_load_never_unpickles(tmp_path):
    import pickle

    path = tmp_path / "payload.json"
    path.write_bytes(pickle.dumps({"schema": "explain.LocalExplanation"}))
    with pytest.raises(ex.errors.SchemaError):
        ex.load(path)


# --------------------------------------------------------------------------- display


def test_repr_names_the_essentials(binary, multi):
    assert repr(binary) == (
        "LocalExplanation(method='exact_shap', rows=8, features=5, outputs=['1'], "
        "output_space='probability', values=8x5)"
    )
    assert "outputs=['setosa', 'versicolor', 'virginica']" in repr(multi.to_global())


def test_html_has_a_table_of_the_largest_attributions(binary):
    html = binary[0]._repr_html_()
    assert "<table>" in html and "</table>" in html
    first = binary.feature_names[int(np.argmax(np.abs(binary.values[0])))]
    assert html.index(first) < min(html.index(n) for n in binary.feature_names if n != first)
    many = binary._repr_html_()
    assert "<table>" in many and "mean |attribution|" in many
    assert "<table>" in binary.to_global()._repr_html_()


def test_html_escapes_feature_names_and_values(tmp_path):
    X = pd.DataFrame({"<b>x</b>": [1.0, 2.0, 3.0, 4.0], "note": ["<script>alert(1)</script>", "a&b", "c", "d"]})

    def model(frame):
        return frame["<b>x</b>"].to_numpy() / 10 + (frame["note"] == "c").to_numpy() * 0.1

    local = _local(model, X, X, task="regression", method="exact_shap")
    assert local.feature_names == ("<b>x</b>", "note")
    for html in (local[2]._repr_html_(), local._repr_html_(), local.to_global()._repr_html_()):
        assert "<b>x</b>" not in html and "&lt;b&gt;x&lt;/b&gt;" in html
        assert "<script>" not in html
    assert "&lt;script&gt;" in local[0]._repr_html_() and "a&amp;b" in local[1]._repr_html_()


def test_construction_checks_shapes():
    with pytest.raises(InputError, match="do not match 3 feature names"):
        LocalExplanation(
            values=np.zeros((2, 2)), base_values=0.0, data=np.zeros((2, 2)), predictions=np.zeros(2),
            feature_names=("a", "b", "c"), output_names=("y",), output_space="raw", method="test",
        )  # fmt: skip
    with pytest.raises(InputError, match="2 output names for 1 outputs"):
        LocalExplanation(
            values=np.zeros((2, 2)), base_values=0.0, data=np.zeros((2, 2)), predictions=np.zeros(2),
            feature_names=("a", "b"), output_names=("y", "z"), output_space="raw", method="test",
        )  # fmt: skip
    with pytest.raises(InputError, match="data of shape"):
        LocalExplanation(
            values=np.zeros((2, 2)), base_values=0.0, data=np.zeros((3, 2)), predictions=np.zeros(2),
            feature_names=("a", "b"), output_names=("y",), output_space="raw", method="test",
        )  # fmt: skip
