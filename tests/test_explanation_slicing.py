"""Slicing like shap, without magic: rows and features, feature subsets that still add up,
cohorts and concatenation, all frozen and saved exactly."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from sklearn.compose import make_column_transformer
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OrdinalEncoder, StandardScaler

import explain as ex
from explain import LocalExplanation
from explain._io import from_dict
from explain._provenance import Provenance, data_fingerprint
from explain.errors import InputError, SchemaError
from explain.explanation import thaw


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
def mixed_rows(mixed_data) -> pd.DataFrame:
    X = mixed_data.X.iloc[10:22].copy()
    X.loc[X.index[2], "city"] = np.nan
    return X


@pytest.fixture(scope="module")
def mixed(mixed_data, mixed_rows) -> LocalExplanation:
    model = make_pipeline(
        make_column_transformer(
            (OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=-1), ["city", "grade"]),
            remainder="passthrough",
        ),
        HistGradientBoostingClassifier(max_iter=5, random_state=0),
    ).fit(mixed_data.X, mixed_data.y)
    explainer = ex.Explainer(model, background=mixed_data.X.iloc[:30], method="exact_shap")
    return explainer.explain_local(mixed_rows)


def _others(local: LocalExplanation, kept: list[int]) -> np.ndarray:
    rest = [j for j in range(local.n_features) if j not in kept]
    return local.values[:, rest].sum(axis=1)


# --------------------------------------------------------------------------- features


@pytest.mark.parametrize(
    "features, kept",
    [("mean area", [3]), (["mean texture", "mean radius"], [1, 0]), (0, [0]), (-1, [4]), (slice(1, 3), [1, 2]),
     (["mean smoothness", 2], [4, 2]), (np.array([True, False, False, True, False]), [0, 3]),
     (pd.Index(["mean area"]), [3])],
    ids=["name", "names_in_order_asked", "position", "negative", "slice", "name_and_position", "mask", "index"],
)  # fmt: skip
def test_selecting_features(binary, features, kept):
    part = binary[:, features]
    assert isinstance(part, LocalExplanation)
    assert part.feature_names == tuple(binary.feature_names[j] for j in kept)
    np.testing.assert_array_equal(part.values, binary.values[:, kept])
    np.testing.assert_array_equal(part.data, binary.data[:, kept])
    assert part.feature_kinds == tuple(binary.feature_kinds[j] for j in kept)
    # what does not depend on the features is kept as it was
    np.testing.assert_array_equal(part.predictions, binary.predictions)
    np.testing.assert_array_equal(part.base_values, binary.base_values)
    assert part.method == binary.method and part.output_space == binary.output_space
    assert part.provenance.model_fingerprint == binary.provenance.model_fingerprint
    # the features left out: named, and their attributions summed into the remainder
    left_out = tuple(f for j, f in enumerate(binary.feature_names) if j not in kept)
    assert part.features_left_out == left_out == tuple(part.params["features_left_out"])
    np.testing.assert_allclose(part.remainder, _others(binary, kept), rtol=0, atol=1e-12)
    assert part.additivity_error() == pytest.approx(binary.additivity_error(), abs=1e-12)
    assert part.additivity_error() < 1e-9  # still adds up, with the features left out
    expected = data_fingerprint(binary.data[:, kept], part.feature_names, part.feature_kinds)
    assert part.provenance.data_fingerprint == expected


def test_without_the_remainder_a_selection_would_not_add_up(binary):
    part = binary[:, "mean area"]
    gap = np.abs(part.base_values + part.values.sum(axis=1) - part.predictions)
    assert gap.max() > 1e-3  # the reason the remainder exists (shap's column slices lose it)


def test_selecting_every_feature_is_the_explanation_itself(binary):
    assert binary[:, :] is binary
    assert binary[:, list(binary.feature_names)] is binary
    assert binary[:, :].remainder is None and "features_left_out" not in binary.params


def test_a_selection_of_a_selection_remembers_every_feature_left_out(binary):
    first = binary[:, ["mean radius", "mean texture", "mean area"]]
    second = first[:, ["mean area"]]
    direct = binary[:, "mean area"]
    assert second.features_left_out == ("mean perimeter", "mean smoothness", "mean radius", "mean texture")
    assert set(second.features_left_out) == set(direct.features_left_out)
    np.testing.assert_allclose(second.remainder, direct.remainder, rtol=0, atol=1e-12)
    assert second.additivity_error() < 1e-9


def test_rows_and_features_together(binary):
    mask = np.arange(binary.n_rows) % 3 == 0
    both = binary[mask, ["mean area", "mean radius"]]
    assert both.n_rows == mask.sum() and both.feature_names == ("mean area", "mean radius")
    np.testing.assert_array_equal(both.values, binary[mask][:, ["mean area", "mean radius"]].values)
    np.testing.assert_array_equal(both.remainder, binary[:, ["mean area", "mean radius"]][mask].remainder)
    np.testing.assert_array_equal(binary[2, "mean area"].values, binary.values[[2]][:, [3]])
    assert binary[[4, 1], 0].n_rows == 2


def test_selecting_features_of_several_outputs(multi):
    part = multi[:, ["petal length (cm)"]]
    assert part.values.shape == (6, 1, 3) and part.remainder.shape == (6, 3)
    np.testing.assert_allclose(part.remainder, multi.values[:, [0, 1, 3]].sum(axis=1), atol=1e-12)
    assert part.additivity_error() < 1e-9
    one = part.for_output("virginica")
    assert one.remainder.shape == (6,)
    np.testing.assert_array_equal(one.remainder, part.remainder[:, 2])
    assert one.additivity_error() < 1e-9


def test_the_third_index_picks_an_output(multi):
    third = multi[:, :, "virginica"]
    np.testing.assert_array_equal(third.values, multi.for_output("virginica").values)
    both = multi[1:3, "sepal width (cm)", 0]
    assert both.values.shape == (2, 1) and both.output_names == ("setosa",)
    with pytest.raises(InputError, match="no output named 'virginca'"):
        multi[:, :, "virginca"]
    with pytest.raises(InputError, match="third index picks one output"):
        multi[:, :, ["setosa", "virginica"]]
    with pytest.raises(IndexError, match="not 4 indices"):
        multi[:, :, 0, 0]


def test_unknown_feature_names_suggest_close_ones(binary):
    with pytest.raises(InputError, match=r"no feature named 'mean aera'; did you mean 'mean area'\?"):
        binary[:, "mean aera"]
    with pytest.raises(InputError, match=r"no feature named 'Mean Radius'; did you mean 'mean radius'"):
        binary[:, ["mean area", "Mean Radius"]]
    with pytest.raises(InputError, match=r"no feature named 'zzz'; the features are \['mean radius'"):
        binary[:, "zzz"]


@pytest.mark.parametrize(
    "features, error, message",
    [(["mean area", "mean area"], InputError, "more than once"), ([], InputError, "holds no feature"),
     (slice(3, 3), InputError, "holds no feature"), (7, IndexError, "feature 7 is out of range"),
     (np.array([True, False]), IndexError, "one True/False per feature"), (1.5, IndexError, "pass a name, a position")],
    ids=["repeated", "empty", "empty_slice", "out_of_range", "short_mask", "float"],
)  # fmt: skip
def test_bad_feature_selections_are_refused(binary, features, error, message):
    with pytest.raises(error, match=message):
        binary[:, features]


def test_a_name_given_as_rows_says_how_to_select_a_feature(binary):
    with pytest.raises(InputError, match=r"local\[:, 'mean area'\]"):
        binary["mean area"]


# --------------------------------------------------------------------------- rows


def test_boolean_series_select_rows_by_position(binary, cancer_data):
    X = cancer_data.X.iloc[100:112]  # index 100..111: positions, not labels, count
    mask = X["mean radius"] > X["mean radius"].median()
    part = binary[mask]
    np.testing.assert_array_equal(part.values, binary.values[mask.to_numpy()])
    np.testing.assert_array_equal(part.data, X[mask].to_numpy())


@pytest.mark.parametrize("mask", [np.ones(3, dtype=bool), pd.Series([True] * 20)], ids=["numpy", "pandas"])
def test_a_mask_of_the_wrong_length_is_refused(binary, mask):
    with pytest.raises(IndexError, match=rf"mask of shape \({len(mask)},\) for an explanation of 12 rows"):
        binary[mask]


def test_positions_given_as_a_pandas_series_and_an_empty_list(binary):
    np.testing.assert_array_equal(binary[pd.Series([3, 1])].values, binary.values[[3, 1]])
    assert binary[[]].n_rows == 0


# --------------------------------------------------------------------------- frozen and saved


def test_selections_are_frozen(binary, multi):
    for part in (binary[:, ["mean area", "mean radius"]], multi[:2, 1]):
        for name in ("values", "base_values", "data", "predictions", "remainder"):
            with pytest.raises(ValueError, match="read-only"):
                getattr(part, name)[0] = 1
        with pytest.raises(TypeError):
            part.params["features_left_out"] = ()  # type: ignore[index]


@pytest.mark.parametrize("name", ["binary", "multi", "mixed"])
def test_selections_and_cohorts_save_and_load_exactly(name, request, tmp_path):
    local = request.getfixturevalue(name)
    for part in (local[1:5, [2, 0]], local[::2, 1], *local.cohorts(local.feature_names[2]).values()):
        path = tmp_path / "part.json"
        part.to_json(path)
        loaded = ex.load(path)
        assert loaded.to_json() == part.to_json()
        np.testing.assert_array_equal(loaded.values, part.values)
        if part.remainder is not None:
            np.testing.assert_array_equal(loaded.remainder, part.remainder)
        assert loaded.features_left_out == part.features_left_out


def test_a_saved_explanation_without_a_selection_has_no_remainder_field(binary):
    assert "remainder" not in binary.to_dict()
    assert "remainder" in binary[:, 0].to_dict()


def test_load_refuses_a_changed_remainder(binary):
    saved = json.loads(binary[:, [0, 1]].to_json())
    saved["remainder"][0] += 0.5
    with pytest.raises(SchemaError, match="do not add up"):
        from_dict(saved)


@pytest.mark.parametrize("damage", ["no_names", "no_remainder", "kept_name", "remainder_shape", "remainder_text"])
def test_load_refuses_an_inconsistent_selection(binary, damage):
    saved = json.loads(binary[:, [0, 1]].to_json())
    if damage == "no_names":
        del saved["params"]["features_left_out"]
    elif damage == "no_remainder":
        del saved["remainder"]
    elif damage == "kept_name":
        saved["params"]["features_left_out"].append("mean radius")
    elif damage == "remainder_shape":
        saved["remainder"] = saved["remainder"][:3]
    else:
        saved["remainder"] = "0.5"
    with pytest.raises(SchemaError):
        from_dict(saved)


def test_the_constructor_checks_a_remainder_and_its_names():
    common = dict(values=np.zeros((2, 1)), base_values=0.0, data=np.zeros((2, 1)), predictions=np.zeros(2),
                  feature_names=("a",), output_names=("y",), output_space="raw", method="test")  # fmt: skip
    with pytest.raises(InputError, match="features_left_out"):
        LocalExplanation(**common, remainder=np.zeros(2))
    with pytest.raises(InputError, match="features_left_out"):
        LocalExplanation(**common, params={"features_left_out": ["b"]})
    with pytest.raises(InputError, match="remainder of shape"):
        LocalExplanation(**common, params={"features_left_out": ["b"]}, remainder=np.zeros(3))
    with pytest.raises(InputError, match="names a feature that is kept"):
        LocalExplanation(**common, params={"features_left_out": ["a"]}, remainder=np.zeros(2))


# --------------------------------------------------------------------------- what reads a selection


def test_waterfall_of_a_selection_ends_at_the_prediction(binary):
    from explain.plots import waterfall

    part = binary[:, ["mean area", "mean radius"]]
    ax = waterfall(part, row=3)
    labels = [t.get_text() for t in ax.get_yticklabels()][::-1]
    assert labels[-1] == "other 3 features"
    assert sorted(label.split(" = ")[0] for label in labels[:-1]) == ["mean area", "mean radius"]
    widths = [bar.get_width() for bar in ax.patches]
    assert len(widths) == 3
    assert sum(widths) == pytest.approx(part.predictions[3] - part.base_values[3], abs=1e-9)
    assert widths[0] == pytest.approx(part.remainder[3], abs=1e-12)  # drawn bottom up: "other" first


def test_waterfall_of_a_selection_keeps_max_display(binary):
    from explain.plots import waterfall

    part = binary[:, [0, 1, 2, 3]]  # one feature left out
    for max_display, n_bars, other in ((10, 5, "other 1 feature"), (3, 3, "other 3 features")):
        ax = waterfall(part, row=0, max_display=max_display)
        labels = [t.get_text() for t in ax.get_yticklabels()][::-1]
        assert len(labels) == n_bars and labels[-1] == other
        widths = [bar.get_width() for bar in ax.patches]
        assert sum(widths) == pytest.approx(part.predictions[0] - part.base_values[0], abs=1e-9)


def test_reasons_refuse_a_selection(binary):
    with pytest.raises(InputError, match="Call reasons\\(\\) on the explanation of every feature"):
        binary[:, ["mean area"]].reasons(adverse="decrease")
    with pytest.raises(InputError, match="left out"):
        binary[:, ["mean area"]].plot("reasons", adverse="decrease")


def test_other_summaries_of_a_selection(binary):
    part = binary[:, ["mean area", "mean radius"]]
    glob = part.to_global()
    np.testing.assert_allclose(glob.importances, np.abs(binary.values[:, [3, 0]]).mean(axis=0))
    assert part.top(1)["feature"].isin(["mean area", "mean radius"]).all()
    assert part.to_frame().columns.tolist() == ["mean area", "mean radius"]
    assert part.plot("beeswarm").get_yticklabels()


# --------------------------------------------------------------------------- cohorts


def test_cohorts_by_a_categorical_feature(mixed, mixed_rows):
    cohorts = mixed.cohorts("city")
    cities = mixed_rows["city"]
    assert list(cohorts) == [*sorted(cities.dropna().unique()), None]  # sorted; missing last
    for city, part in cohorts.items():
        rows = cities.isna().to_numpy() if city is None else (cities == city).to_numpy()
        np.testing.assert_array_equal(part.values, mixed.values[rows])
        assert dict(part.params["cohort"]) == {"by": "city", "label": city}
        assert part.provenance.data_fingerprint == mixed[rows].provenance.data_fingerprint
    assert sum(len(part) for part in cohorts.values()) == len(mixed)


def test_cohorts_by_labels_and_by_a_mask(binary):
    labels = np.array(["b", "a", 10, 2, "a", 2, "b", 10, 2, "a", "b", 2], dtype=object)
    cohorts = binary.cohorts(labels)
    assert list(cohorts) == [2, 10, "a", "b"]  # numbers by value, then text
    np.testing.assert_array_equal(cohorts[2].values, binary.values[[3, 5, 8, 11]])
    named = binary.cohorts(pd.Series(labels, name="segment", index=np.arange(50, 62)))
    assert named["a"].params["cohort"]["by"] == "segment"
    mask = binary.cohorts(binary.predictions > np.median(binary.predictions))
    assert list(mask) == [False, True] and mask[True].params["cohort"]["by"] == "mask"
    assert len(mask[False]) == len(mask[True]) == 6
    assert list(binary.cohorts(np.ones(12, dtype=bool))) == [True]  # no empty cohort


def test_cohorts_by_a_numeric_feature_sort_by_value(multi):
    cohorts = multi.cohorts("petal width (cm)")
    assert list(cohorts) == sorted(cohorts)


@pytest.mark.parametrize(
    "by, message",
    [("cty", "did you mean 'city'"), (np.arange(3), r"labels of shape \(3,\) for an explanation of 12 rows"),
     (np.zeros((12, 2)), r"labels of shape \(12, 2\)")],
)  # fmt: skip
def test_bad_cohorts_are_refused(mixed, by, message):
    with pytest.raises(InputError, match=message):
        mixed.cohorts(by)


# --------------------------------------------------------------------------- concat


def test_concat_joins_rows_in_order(binary):
    joined = ex.concat([binary[:5], binary[5:9], binary[9:]])
    for name in ("values", "base_values", "data", "predictions"):
        np.testing.assert_array_equal(getattr(joined, name), getattr(binary, name))
    assert joined.provenance.data_fingerprint == binary.provenance.data_fingerprint
    assert joined.provenance.model_fingerprint == binary.provenance.model_fingerprint
    assert joined.provenance.random_state == binary.provenance.random_state
    entries = [dict(e) for e in joined.params["concatenated"]]
    assert [e["rows"] for e in entries] == [5, 4, 3]
    assert entries[0]["data_fingerprint"] == binary[:5].provenance.data_fingerprint
    assert {k: v for k, v in thaw(joined.params).items() if k != "concatenated"} == thaw(binary.params)
    assert not joined.values.flags.writeable


def test_concat_of_cohorts_keeps_each_label_and_flattens(mixed):
    cohorts = mixed.cohorts("grade")
    joined = ex.concat(list(cohorts.values()))
    assert len(joined) == len(mixed) and "cohort" not in joined.params
    labels = [e["params"]["cohort"]["label"] for e in joined.params["concatenated"]]
    assert labels == list(cohorts)
    again = ex.concat([joined, mixed[:2]])  # a concatenation of a concatenation lists every part
    assert [e["rows"] for e in again.params["concatenated"]] == [*(len(c) for c in cohorts.values()), 2]
    assert again.additivity_error() < 1e-9


def test_concat_of_selections_and_of_several_outputs(binary, multi):
    part = binary[:, ["mean area"]]
    joined = ex.concat([part[:4], part[4:]])
    np.testing.assert_array_equal(joined.remainder, part.remainder)
    assert joined.features_left_out == part.features_left_out
    assert ex.concat([multi[:2], multi[2:]]).values.shape == (6, 4, 3)


def test_concat_saves_and_loads(mixed, tmp_path):
    joined = ex.concat([mixed[:3], mixed[3:]])
    path = tmp_path / "joined.json"
    joined.to_json(path)
    assert ex.load(path).to_json() == joined.to_json()


def test_concat_joins_diagnostics_and_adds_up_time():
    def make(seed: int, elapsed: float) -> LocalExplanation:
        rng = np.random.default_rng(seed)
        return LocalExplanation(
            values=rng.normal(size=(3, 2)), base_values=0.0, data=rng.normal(size=(3, 2)), predictions=np.zeros(3),
            feature_names=("a", "b"), output_names=("y",), output_space="raw", method="lime",
            diagnostics={"fidelity": rng.uniform(size=3)},
            provenance=Provenance("m", "d", "bg", seed, {}, elapsed),
        )  # fmt: skip

    a, b = make(1, 1.5), make(2, 2.0)
    joined = ex.concat([a, b])
    np.testing.assert_array_equal(
        joined.diagnostics["fidelity"], np.r_[a.diagnostics["fidelity"], b.diagnostics["fidelity"]]
    )
    assert joined.provenance.elapsed_seconds == 3.5
    assert joined.provenance.random_state is None  # the parts had different seeds: listed per part
    assert [e["random_state"] for e in joined.params["concatenated"]] == [1, 2]


def test_concat_refuses_what_differs(binary, cancer_lr, cancer_data, multi):
    X = cancer_data.X.iloc[100:103]
    linear = ex.Explainer(cancer_lr, background=cancer_data.background, method="linear_shap").explain_local(X)
    other_background = ex.Explainer(cancer_lr, background=cancer_data.X.iloc[40:80], method="exact_shap")
    cases = [
        ([binary, linear], "method \\('exact_shap' here, 'linear_shap' there\\)"),
        ([binary, binary[:, [0, 1]]], "feature names"),
        ([binary[:, [0, 1]], binary[:, [1, 0]]], "feature names"),
        ([binary, multi], "model"),
        ([binary, other_background.explain_local(X)], "background data"),
        ([binary.for_output(0), ex.Explainer(cancer_lr, background=cancer_data.background, method="exact_shap",
                                             output="log_odds").explain_local(X)], "output space"),
    ]  # fmt: skip
    for parts, message in cases:
        with pytest.raises(InputError, match=f"explanation 1 differs from explanation 0 in its {message}"):
            ex.concat(parts)


@pytest.mark.parametrize("given", [[], None, "local", [1, 2]], ids=["empty", "none", "text", "numbers"])
def test_concat_takes_a_list_of_explanations(binary, given):
    with pytest.raises(InputError, match="concat\\(\\) takes a non-empty list of LocalExplanations"):
        ex.concat(given)
    with pytest.raises(InputError, match="not LocalExplanation"):
        ex.concat(binary)  # one explanation is not a list of them
