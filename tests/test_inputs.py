"""Input handling: every bad input is a specific explain.errors exception whose message names the
offending thing and says how to fix it; good inputs are never modified."""

from __future__ import annotations

import json
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LinearRegression, LogisticRegression

import explain as ex
from explain.errors import (
    ExplainError,
    FeatureMismatchError,
    InputError,
    MethodError,
    MissingDependencyError,
    ModelError,
    ModelNotFittedError,
    SchemaError,
    require,
)

# --------------------------------------------------------------------------- the hierarchy


@pytest.mark.parametrize(
    ("error", "builtins"),
    [
        (InputError, (ValueError,)),
        (FeatureMismatchError, (InputError, ValueError)),
        (ModelError, (TypeError,)),
        (ModelNotFittedError, (ModelError, TypeError, ValueError)),
        (MethodError, (ValueError,)),
        (MissingDependencyError, (ImportError,)),
        (SchemaError, (ValueError,)),
    ],
)
def test_each_error_is_also_the_matching_builtin(error, builtins):
    assert issubclass(error, ExplainError)
    for builtin in builtins:
        assert issubclass(error, builtin)
    # and it can be raised and caught as that builtin
    with pytest.raises(builtins[-1]):
        raise error("x")


def test_errors_module_exports_every_error():
    import explain.errors as errors

    exported = {getattr(errors, name) for name in errors.__all__}
    subclasses = {c for c in vars(errors).values() if isinstance(c, type) and issubclass(c, ExplainError)}
    assert subclasses == exported


# --------------------------------------------------------------------------- the catalogue


@pytest.fixture(scope="module")
def f(cancer_data, cancer_wide, diabetes_data, cancer_lr, cancer_rf, cancer_hgb, diabetes_linreg):
    """Everything the catalogue's cases need, as attributes."""
    return SimpleNamespace(
        X=cancer_data.X,
        bg=cancer_data.background,
        rows=cancer_data.rows,
        y=cancer_data.y,
        wide=cancer_wide,
        diabetes=diabetes_data,
        lr=cancer_lr,
        rf=cancer_rf,
        hgb=cancer_hgb,
        linreg=diabetes_linreg,
    )


def _local(model, background, X, **kwargs):
    return ex.Explainer(model, background=background, **kwargs).explain_local(X)


def _with_value(frame: pd.DataFrame, row: int, column: str, value) -> pd.DataFrame:
    out = frame.copy()
    if not isinstance(value, float):
        out[column] = out[column].astype(object)
    out.loc[out.index[row], column] = value
    return out


def _write(tmp_path, name: str, content: str | bytes):
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content)
    return path


def _saved(tmp_path, f, **changes):
    """A valid saved explanation, with top-level keys changed (None: removed)."""
    d = json.loads(_local(f.lr, f.bg, f.rows, method="exact_shap").to_json())
    for key, value in changes.items():
        if value is None:
            d.pop(key)
        else:
            d[key] = value
    return _write(tmp_path, "saved.json", json.dumps(d))


def _lightgbm_unfitted():
    lightgbm = pytest.importorskip("lightgbm")
    return lightgbm.LGBMClassifier(n_estimators=3, verbose=-1)


# Each case: (id, call, error class, texts naming the offender, texts of the fix).
# Texts are matched case-insensitively against the message.
CASES = [
    (
        "missing_column",
        lambda f, tmp: _local(f.lr, f.bg, f.rows.drop(columns=["mean area"])),
        FeatureMismatchError,
        ["'mean area'", "missing"],
        ["select the model's columns"],
    ),
    (
        "extra_column",
        lambda f, tmp: _local(f.lr, f.bg, f.rows.assign(patient_id=1)),
        FeatureMismatchError,
        ["'patient_id'", "unexpected"],
        ["drop the extra"],
    ),
    (
        "numpy_wrong_number_of_features",
        lambda f, tmp: _local(f.lr, f.bg.to_numpy(), f.rows.to_numpy()[:, :4]),
        FeatureMismatchError,
        ["4 columns", "expects 5"],
        ["pass the same columns", "dataframe"],
    ),
    (
        "nan_for_model_without_nan_support",
        lambda f, tmp: _local(f.lr, f.bg, _with_value(f.rows, 1, "mean perimeter", np.nan)),
        InputError,
        ["missing values", "'mean perimeter': 1"],
        ["impute", "simpleimputer"],
    ),
    (
        "nan_in_background",
        lambda f, tmp: _local(f.lr, _with_value(f.bg, 3, "mean texture", np.nan), f.rows),
        InputError,
        ["background has missing values", "'mean texture'"],
        ["impute"],
    ),
    (
        "positive_inf",
        lambda f, tmp: _local(f.lr, f.bg, _with_value(f.rows, 2, "mean texture", np.inf)),
        InputError,
        ["'mean texture'", "infinite", "rows [2]"],
        ["replace them with finite numbers"],
    ),
    (
        "negative_inf",
        lambda f, tmp: _local(f.lr, f.bg, _with_value(f.rows, 4, "mean radius", -np.inf)),
        InputError,
        ["'mean radius'", "infinite", "rows [4]"],
        ["replace them with finite numbers"],
    ),
    (
        "inf_in_numpy_background",
        lambda f, tmp: _local(f.lr, np.where(np.eye(40, 5, k=0, dtype=bool), np.inf, f.bg.to_numpy()), f.rows),
        InputError,
        ["of background", "infinite"],
        ["replace them"],
    ),
    (
        "empty_X",
        lambda f, tmp: _local(f.lr, f.bg, f.rows.iloc[:0]),
        InputError,
        ["x has no rows"],
        ["pass at least one row"],
    ),
    (
        "zero_columns",
        lambda f, tmp: _local(f.lr, None, np.empty((3, 0))),
        InputError,
        ["x has no columns"],
        ["at least one feature"],
    ),
    (
        "one_dimensional",
        lambda f, tmp: _local(f.lr, f.bg, f.rows.to_numpy()[0]),
        InputError,
        ["1-d", "shape (5,)"],
        ["reshape(1, -1)"],
    ),
    (
        "three_dimensional",  # a 3-D array is a batch of images (issue 16): refused for a 5-feature model
        lambda f, tmp: _local(f.lr, f.bg, f.rows.to_numpy()[None]),
        InputError,
        ["fitted on 5 features", "5 x 5"],
        ["images of the size it was fitted on"],
    ),
    (
        "pandas_series",
        lambda f, tmp: _local(f.lr, f.bg, f.rows.iloc[0]),
        InputError,
        ["pandas series"],
        ["to_frame().t"],
    ),
    (
        "sparse_matrix",
        lambda f, tmp: _local(f.lr, f.bg, sp.csr_matrix(f.rows.to_numpy())),
        InputError,
        ["sparse matrix"],
        ["toarray()"],
    ),
    (
        "background_other_number_of_columns",
        lambda f, tmp: _local(f.lr, f.bg.to_numpy()[:, :4], f.rows.to_numpy()),
        FeatureMismatchError,
        ["background has 4 columns", "fitted on 5"],
        ["pass background with the 5 columns"],
    ),
    (
        "background_other_column_names",
        lambda f, tmp: _local(f.lr, f.bg.rename(columns={"mean area": "area"}), f.rows),
        FeatureMismatchError,
        ["columns of background", "missing ['mean area']", "unexpected ['area']"],
        ["pass background with the columns the model was fitted on"],
    ),
    (
        "unfitted_sklearn_model",
        lambda f, tmp: _local(LogisticRegression(), f.bg, f.rows),
        ModelNotFittedError,
        ["logisticregression", "not fitted"],
        ["model.fit("],
    ),
    (
        "unfitted_lightgbm_model",
        lambda f, tmp: _local(_lightgbm_unfitted(), f.bg, f.rows),
        ModelNotFittedError,
        ["lgbmclassifier", "not fitted"],
        ["model.fit("],
    ),
    (
        "model_is_none",
        lambda f, tmp: _local(None, f.bg, f.rows),
        ModelError,
        ["model is none"],
        ["pass a fitted model"],
    ),
    (
        "object_that_is_not_a_model",
        lambda f, tmp: _local(42, f.bg, f.rows),
        ModelError,
        ["type int"],
        ["pass a fitted model", "task="],
    ),
    (
        "unknown_method",
        lambda f, tmp: _local(f.lr, f.bg, f.rows, method="deep_shap"),
        MethodError,
        ["'deep_shap'"],
        ["choose one of", "'tree_shap'", "'auto'"],
    ),
    (
        "linear_shap_on_random_forest",
        lambda f, tmp: _local(f.rf, f.bg, f.rows, method="linear_shap"),
        MethodError,
        ["'linear_shap'", "randomforestclassifier"],
        ["method='auto'"],
    ),
    (
        "tree_shap_on_logistic_regression",
        lambda f, tmp: _local(f.lr, f.bg, f.rows, method="tree_shap"),
        MethodError,
        ["'tree_shap'", "logisticregression"],
        ["method='auto'"],
    ),
    (
        "exact_shap_above_max_features",
        lambda f, tmp: _local(
            LinearRegression().fit(f.wide.X, f.wide.y), f.wide.background, f.wide.rows, method="exact_shap"
        ),
        MethodError,
        ["exact_shap", "limited to 15 features", "has 20"],
        ["kernel_shap", "permutation_shap"],
    ),
    (
        "exact_shap_without_background",
        lambda f, tmp: _local(f.lr, None, f.rows, method="exact_shap"),
        MethodError,
        ["exact_shap needs background"],
        ["background=x_train"],
    ),
    (
        "probability_for_a_regressor",
        lambda f, tmp: _local(f.linreg, f.diabetes.background, f.diabetes.rows, output="probability"),
        ModelError,
        ["output='probability'", "regression model"],
        ["use output='raw'"],
    ),
    (
        "raw_for_a_random_forest_classifier",
        lambda f, tmp: _local(f.rf, f.bg, f.rows, output="raw"),
        ModelError,
        ["randomforestclassifier", "output='raw'"],
        ["use output='probability'"],
    ),
    (
        "unknown_output",
        lambda f, tmp: _local(f.lr, f.bg, f.rows, output="proba"),
        ModelError,
        ["output='proba'"],
        ["'probability'", "'log_odds'", "'raw'"],
    ),
    (
        "plain_callable_without_task",
        lambda f, tmp: _local(lambda X: np.zeros(len(X)), f.bg, f.rows),
        ModelError,
        ["plain function", "task is unknown"],
        ["task='classification'", "task='regression'"],
    ),
    (
        "unknown_task",
        lambda f, tmp: _local(lambda X: np.zeros(len(X)), f.bg, f.rows, task="ranking"),
        ModelError,
        ["task='ranking'"],
        ["'classification' or 'regression'"],
    ),
    (
        "task_contradicting_the_model",
        lambda f, tmp: _local(f.lr, f.bg, f.rows, task="regression"),
        ModelError,
        ["task='regression'", "classification model"],
        ["leave task=none"],
    ),
    (
        "wrong_number_of_class_names",
        lambda f, tmp: _local(f.lr, f.bg, f.rows, class_names=["a", "b", "c"]),
        ModelError,
        ["3 class_names", "2 classes"],
        ["one name per class"],
    ),
    (
        "bad_method_params_key",
        lambda f, tmp: _local(f.lr, f.bg, f.rows, method="kernel_shap", method_params={"nsample": 10}),
        MethodError,
        ["['nsample']", "kernel_shap"],
        ["'nsamples'"],
    ),
    (
        "bad_method_params_key_with_auto",
        lambda f, tmp: _local(f.lr, f.bg, f.rows, method_params={"n_samples": 10}),
        MethodError,
        ["['n_samples']", "method='auto'"],
        ["'nsamples'", "'max_evals'"],
    ),
    (
        "background_size_zero",
        lambda f, tmp: _local(f.lr, f.bg, f.rows, background_size=0),
        InputError,
        ["background_size=0"],
        ["positive integer or none"],
    ),
    (
        "background_size_not_an_integer",
        lambda f, tmp: _local(f.lr, f.bg, f.rows, background_size=2.5),
        InputError,
        ["background_size=2.5"],
        ["positive integer"],
    ),
    (
        "duplicate_column_names",
        lambda f, tmp: _local(f.lr, f.bg, f.rows.set_axis(["a", "a", "b", "c", "d"], axis=1)),
        FeatureMismatchError,
        ["duplicate column names ['a']"],
        ["rename them"],
    ),
    (
        "duplicate_feature_names_for_numpy",
        lambda f, tmp: _local(f.lr, f.bg.to_numpy(), f.rows.to_numpy(), feature_names=["a", "b", "b", "c", "d"]),
        FeatureMismatchError,
        ["duplicate column names ['b']"],
        ["rename"],
    ),
    (
        "wrong_number_of_feature_names",
        lambda f, tmp: _local(f.lr, f.bg.to_numpy(), f.rows.to_numpy(), feature_names=["a", "b"]),
        FeatureMismatchError,
        ["2 feature_names", "5 columns"],
        ["one name per column"],
    ),
    (
        "numeric_column_holding_a_string",
        lambda f, tmp: _local(f.lr, f.bg, _with_value(f.rows, 1, "mean radius", "twelve")),
        InputError,
        ["'mean radius'", "'twelve'", "should be numeric"],
        ["convert it to numbers"],
    ),
    (
        "X_is_none",
        lambda f, tmp: _local(f.lr, f.bg, None),
        InputError,
        ["x is none"],
        ["pass a 2-d array or dataframe"],
    ),
    (
        "load_missing_file",
        lambda f, tmp: ex.load(tmp / "nowhere.json"),
        SchemaError,
        ["nowhere.json", "no file"],
        ["to_json()"],
    ),
    (
        "load_a_directory",
        lambda f, tmp: ex.load(tmp),
        SchemaError,
        ["cannot be read"],
        ["to_json()"],
    ),
    (
        "load_non_json",
        lambda f, tmp: ex.load(_write(tmp, "notes.json", "this is not json")),
        SchemaError,
        ["notes.json", "not valid json"],
        ["to_json()"],
    ),
    (
        "load_binary_file",
        lambda f, tmp: ex.load(_write(tmp, "image.json", bytes(range(256)))),
        SchemaError,
        ["image.json", "cannot be read"],
        ["to_json()"],
    ),
    (
        "load_json_without_schema",
        lambda f, tmp: ex.load(_write(tmp, "other.json", json.dumps({"values": [1, 2]}))),
        SchemaError,
        ["no 'schema' field"],
        ["to_json()"],
    ),
    (
        "load_wrong_schema_version",
        lambda f, tmp: ex.load(_saved(tmp, f, schema_version=99)),
        SchemaError,
        ["schema_version 99", "supported: [1]"],
        ["upgrade explain"],
    ),
    (
        "load_unknown_schema_name",
        lambda f, tmp: ex.load(_saved(tmp, f, schema="explain.Report")),
        SchemaError,
        ["'explain.report'"],
        ["expected an explain explanation"],
    ),
    (
        "load_missing_field",
        lambda f, tmp: ex.load(_saved(tmp, f, values=None)),
        SchemaError,
        ["damaged", "'values'"],
        ["write it again with to_json()"],
    ),
    (
        "load_values_of_the_wrong_shape",
        lambda f, tmp: ex.load(_saved(tmp, f, values=[[1.0, 2.0]])),
        SchemaError,
        ["damaged", "shape (1, 2)"],
        ["write it again"],
    ),
    (
        "load_provenance_of_the_wrong_type",
        lambda f, tmp: ex.load(_saved(tmp, f, provenance=["not", "a", "mapping"])),
        SchemaError,
        ["damaged"],
        ["write it again"],
    ),
    (
        "load_text_where_numbers_belong",
        lambda f, tmp: ex.load(_saved(tmp, f, predictions="0.5")),
        SchemaError,
        ["damaged", "predictions", "'0.5'"],
        ["write it again"],
    ),
    (
        "missing_optional_dependency",
        lambda f, tmp: require("explain_no_such_module", extra="pdf", purpose="Writing a PDF"),
        MissingDependencyError,
        ["'explain_no_such_module'", "writing a pdf"],
        ["pip install 'explain[pdf]'"],
    ),
]


@pytest.mark.parametrize(("call", "error", "names", "fixes"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_bad_input_raises_a_specific_error_naming_problem_and_fix(f, tmp_path, call, error, names, fixes):
    with pytest.raises(ExplainError) as info:
        call(f, tmp_path)
    assert type(info.value) is error, f"expected {error.__name__}, got {type(info.value).__name__}: {info.value}"
    message = str(info.value).lower()
    for text in names + fixes:
        assert text.lower() in message, f"{text!r} not in message: {info.value}"


def test_the_catalogue_is_large_and_has_no_duplicate_ids():
    ids = [c[0] for c in CASES]
    assert len(ids) == len(set(ids)) >= 25


def test_explain_errors_can_be_caught_as_builtins(f):
    with pytest.raises(ValueError, match="'mean area'"):
        _local(f.lr, f.bg, f.rows.drop(columns=["mean area"]))
    with pytest.raises(TypeError, match="model is None"):
        _local(None, f.bg, f.rows)
    with pytest.raises(ImportError, match="explain\\[pdf\\]"):
        require("explain_no_such_module", extra="pdf", purpose="Writing a PDF")


def test_the_original_error_is_kept_as_the_cause(f):
    with pytest.raises(ModelNotFittedError) as info:
        _local(RandomForestClassifier(), f.bg, f.rows)
    from sklearn.exceptions import NotFittedError

    assert isinstance(info.value.__cause__, NotFittedError)


# --------------------------------------------------------------------------- accepted inputs


@pytest.mark.parametrize("method", ["tree_shap", "exact_shap"])
def test_nan_is_accepted_by_a_model_that_takes_it(cancer_data, cancer_hgb, method):
    X = _with_value(cancer_data.rows, 1, "mean perimeter", np.nan)
    local = _local(cancer_hgb, cancer_data.background, X, method=method)
    assert np.isnan(local.data[1, 2])
    assert np.isfinite(local.values).all()
    np.testing.assert_allclose(local.predictions, cancer_hgb.predict_proba(X)[:, 1], rtol=0, atol=1e-12)
    assert local.additivity_error() < 1e-9


def test_nan_is_accepted_through_a_pipeline_that_imputes(cancer_data):
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import make_pipeline

    model = make_pipeline(SimpleImputer(), LogisticRegression(max_iter=5000)).fit(cancer_data.X, cancer_data.y)
    X = _with_value(cancer_data.rows, 0, "mean area", np.nan)
    local = _local(model, cancer_data.background, X, method="exact_shap")
    np.testing.assert_allclose(local.predictions, model.predict_proba(X)[:, 1], rtol=0, atol=1e-12)


def test_lists_are_read_as_rows(cancer_lr, cancer_data):
    rows = cancer_data.rows.to_numpy()
    from_list = _local(cancer_lr, cancer_data.background.to_numpy().tolist(), rows.tolist())
    from_array = _local(cancer_lr, cancer_data.background.to_numpy(), rows)
    np.testing.assert_array_equal(from_list.values, from_array.values)


def test_background_larger_than_background_size_is_sampled_and_recorded(cancer_lr, cancer_data):
    # exact_shap samples a large background (its model calls grow with it); linear_shap, which
    # reads only the background's mean, uses every row (tests/methods/test_tree_memory.py)
    kw = {"background_size": 50, "method": "exact_shap"}
    rows = cancer_data.rows.iloc[:3, :6]
    X = cancer_data.X.iloc[:300, :6]
    model = LogisticRegression(max_iter=2000).fit(cancer_data.X.iloc[:, :6], cancer_data.y)
    local = _local(model, X, rows, **kw)
    assert local.params["background_rows"] == 50
    assert local.params["background_rows_given"] == 300
    assert local.params["background_sampled"] is True
    again = _local(model, X, rows, **kw)
    np.testing.assert_array_equal(local.values, again.values)
    other_seed = _local(model, X, rows, random_state=1, **kw)
    assert not np.array_equal(local.base_values, other_seed.base_values)


def test_numpy_rows_for_a_model_fitted_on_a_dataframe_get_its_column_names(cancer_lr, cancer_data):
    local = _local(cancer_lr, cancer_data.background.to_numpy(), cancer_data.rows.to_numpy())
    assert local.feature_names == tuple(cancer_data.X.columns)


def test_dataframe_for_a_model_fitted_on_an_array_gives_no_warning(cancer_data):
    model = LogisticRegression(max_iter=5000).fit(cancer_data.X.to_numpy(), cancer_data.y)
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # scikit-learn warns "X has feature names, but ..."
        local = _local(model, cancer_data.background, cancer_data.rows, method="exact_shap")
    assert local.feature_names == tuple(cancer_data.X.columns)
    p = model.predict_proba(cancer_data.rows.to_numpy())[:, 1]
    np.testing.assert_allclose(local.predictions, p, rtol=0, atol=1e-12)


# --------------------------------------------------------------------------- never modify inputs


def _snapshot(data):
    if isinstance(data, pd.DataFrame):
        return data.copy(deep=True), list(data.columns), data.dtypes.copy()
    return data.copy(), data.dtype, data.flags.writeable


def _assert_unchanged(data, snap):
    if isinstance(data, pd.DataFrame):
        copy, columns, dtypes = snap
        assert list(data.columns) == columns
        pd.testing.assert_series_equal(data.dtypes, dtypes)
        pd.testing.assert_frame_equal(data, copy, check_exact=True)
        for name in data.columns:  # bit-identical, NaN included
            a, b = data[name].to_numpy(), copy[name].to_numpy()
            if a.dtype.kind == "f":
                assert a.tobytes() == b.tobytes()
    else:
        copy, dtype, writeable = snap
        assert data.dtype == dtype and data.flags.writeable == writeable
        assert data.tobytes() == copy.tobytes() if data.dtype != object else (data == copy).all()


def test_numpy_inputs_are_not_modified(cancer_lr, cancer_data):
    bg = cancer_data.background.to_numpy().copy()
    X = cancer_data.rows.to_numpy().copy()
    X[1, 2] = -0.0  # a signed zero survives only a bit-exact comparison
    snaps = _snapshot(bg), _snapshot(X)
    for method in ("linear_shap", "exact_shap", "kernel_shap"):
        _local(cancer_lr, bg, X, method=method, method_params={"nsamples": 40} if method == "kernel_shap" else None)
    _assert_unchanged(bg, snaps[0])
    _assert_unchanged(X, snaps[1])


def test_read_only_numpy_inputs_are_accepted(cancer_lr, cancer_data):
    X = cancer_data.rows.to_numpy().copy()
    X.setflags(write=False)
    local = _local(cancer_lr, cancer_data.background.to_numpy(), X)
    assert local.n_rows == len(X)


def test_dataframes_with_nan_are_not_modified(cancer_hgb, cancer_data):
    X = _with_value(cancer_data.rows, 2, "mean texture", np.nan)
    bg = _with_value(cancer_data.background, 5, "mean area", np.nan)
    snaps = _snapshot(X), _snapshot(bg)
    _local(cancer_hgb, bg, X)
    _assert_unchanged(X, snaps[0])
    _assert_unchanged(bg, snaps[1])


@pytest.mark.parametrize("method", ["auto", "exact_shap", "kernel_shap"])
def test_mixed_type_frames_are_not_modified(mixed_pipeline, mixed_data, method):
    bg = mixed_data.X.iloc[:30].copy()
    X = mixed_data.X.iloc[[5, 60, 7, 90]].copy()
    X.loc[X.index[1], "city"] = np.nan
    X = X[["grade", "income", "city", "age"]]  # not the model's order
    snaps = _snapshot(X), _snapshot(bg)
    params = {"nsamples": 40} if method == "kernel_shap" else None
    _local(mixed_pipeline, bg, X, method=method, method_params=params)
    _assert_unchanged(X, snaps[0])
    _assert_unchanged(bg, snaps[1])
    assert isinstance(X["grade"].dtype, pd.CategoricalDtype)
    assert X["city"].dtype == object


def test_the_model_is_not_modified(cancer_rf, cancer_data):
    from explain._provenance import model_fingerprint

    before = model_fingerprint(cancer_rf)
    _local(cancer_rf, cancer_data.background, cancer_data.rows)
    _local(cancer_rf, cancer_data.background, cancer_data.rows, method="exact_shap")
    assert model_fingerprint(cancer_rf) == before


# --------------------------------------------------------------------------- columns by name


@pytest.mark.parametrize("method", ["linear_shap", "exact_shap"])
def test_columns_in_another_order_are_matched_by_name(cancer_lr, cancer_data, method):
    order = ["mean smoothness", "mean area", "mean radius", "mean perimeter", "mean texture"]
    right = _local(cancer_lr, cancer_data.background, cancer_data.rows, method=method)
    shuffled_rows = _local(cancer_lr, cancer_data.background, cancer_data.rows[order], method=method)
    shuffled_both = _local(cancer_lr, cancer_data.background[order], cancer_data.rows[order], method=method)
    for other in (shuffled_rows, shuffled_both):
        assert other.feature_names == tuple(cancer_data.X.columns)  # the model's order
        np.testing.assert_array_equal(other.values, right.values)
        np.testing.assert_array_equal(other.data, right.data)
        np.testing.assert_array_equal(other.predictions, right.predictions)


def test_mixed_columns_in_another_order_are_matched_by_name(mixed_pipeline, mixed_data):
    bg, X = mixed_data.X.iloc[:30], mixed_data.X.iloc[40:45]
    right = _local(mixed_pipeline, bg, X, method="exact_shap")
    other = _local(mixed_pipeline, bg, X[["grade", "income", "city", "age"]], method="exact_shap")
    assert other.feature_names == right.feature_names == ("age", "income", "city", "grade")
    np.testing.assert_array_equal(other.values, right.values)
    assert (other.data == right.data).all()
    np.testing.assert_allclose(right.predictions, mixed_pipeline.predict_proba(X)[:, 1], rtol=0, atol=1e-12)


def test_lightgbm_columns_with_spaces_in_another_order_are_matched_by_name(cancer_data):
    lightgbm = pytest.importorskip("lightgbm")
    model = lightgbm.LGBMClassifier(n_estimators=10, num_leaves=5, verbose=-1, random_state=0, n_jobs=1)
    model.fit(cancer_data.X, cancer_data.y)
    order = list(cancer_data.X.columns[::-1])
    right = _local(model, cancer_data.background, cancer_data.rows)
    other = _local(model, cancer_data.background, cancer_data.rows[order])
    assert right.feature_names == tuple(cancer_data.X.columns)  # the user's names, not "mean_area"
    np.testing.assert_array_equal(other.values, right.values)
    np.testing.assert_allclose(right.predictions, model.predict_proba(cancer_data.rows)[:, 1], rtol=0, atol=1e-12)


# --------------------------------------------------------------------------- categorical values


def test_a_category_missing_from_the_background_reaches_the_model(mixed_pipeline, mixed_data):
    bg = mixed_data.X[mixed_data.X["grade"] != "c"].iloc[:30].copy()
    bg["grade"] = bg["grade"].cat.remove_unused_categories()  # declares only 'a' and 'b'
    X = mixed_data.X.iloc[:4].copy()
    X["grade"] = pd.Categorical(["a", "b", "c", "c"], categories=["a", "b", "c"])
    local = _local(mixed_pipeline, bg, X, method="exact_shap")
    assert list(local.data[:, 3]) == ["a", "b", "c", "c"]
    np.testing.assert_allclose(local.predictions, mixed_pipeline.predict_proba(X)[:, 1], rtol=0, atol=1e-12)


@pytest.mark.parametrize("marker", [np.nan, None], ids=["nan", "None"])
def test_missing_strings_reach_the_model_as_the_user_marked_them(mixed_data, marker):
    from sklearn.compose import make_column_transformer
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    impute_then_encode = make_pipeline(SimpleImputer(strategy="most_frequent"), OneHotEncoder(handle_unknown="ignore"))
    pre = make_column_transformer((impute_then_encode, ["city", "grade"]), (StandardScaler(), ["age", "income"]))
    model = make_pipeline(pre, LogisticRegression()).fit(mixed_data.X, mixed_data.y)
    X = mixed_data.X.iloc[:6].copy()
    X.loc[X.index[[1, 4]], "city"] = marker
    local = _local(model, mixed_data.X.iloc[:30], X, method="exact_shap")
    # scikit-learn's imputer fills NaN but not None: the model must see what the user passed
    np.testing.assert_allclose(local.predictions, model.predict_proba(X)[:, 1], rtol=0, atol=1e-12)
    assert local.data[1, 2] is None and local.data[4, 2] is None  # one marker in the explanation


def test_object_column_dtype_is_kept_for_the_model(mixed_data):
    seen = []

    def model(X):
        seen.append(X["city"].dtype)
        return (X["city"] == "rome").to_numpy(dtype=float) * 0.5 + 0.25

    _local(model, mixed_data.X.iloc[:10], mixed_data.X.iloc[:3], task="classification", method="exact_shap")
    assert seen and all(d == np.dtype(object) for d in seen)


def test_numeric_object_column_is_read_as_numbers(cancer_lr, cancer_data):
    X = cancer_data.rows.astype(object)
    local = _local(cancer_lr, cancer_data.background, X)
    expected = _local(cancer_lr, cancer_data.background, cancer_data.rows)
    assert local.data.dtype == float
    np.testing.assert_array_equal(local.values, expected.values)


def test_column_kinds_are_read_from_values():
    from explain._data import infer_schema

    frame = pd.DataFrame(
        {
            "numbers_as_objects": pd.Series([1.0, None, 2], dtype=object),
            "strings": pd.Series(["x", "y", None], dtype=object),
            "mixed": pd.Series(["x", 1, 2], dtype=object),
            "nullable_int": pd.array([1, None, 3], dtype="Int64"),
            "flags": [True, False, True],
            "text": pd.Series(["p", "q", None], dtype="string"),
            "grade": pd.Categorical([1, 2, 1]),
        }
    )
    kinds = {c.name: c.kind for c in infer_schema(frame).columns}
    assert kinds == {
        "numbers_as_objects": "numeric", "strings": "categorical", "mixed": "categorical",
        "nullable_int": "numeric", "flags": "numeric", "text": "categorical", "grade": "categorical",
    }  # fmt: skip


def test_numpy_object_array_with_numbers_and_strings():
    from sklearn.compose import make_column_transformer
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder

    rng = np.random.default_rng(0)
    table = np.empty((60, 2), dtype=object)
    table[:, 0] = rng.normal(size=60)
    table[:, 1] = rng.choice(["u", "v"], 60)
    y = (table[:, 1] == "u").astype(int) ^ (table[:, 0].astype(float) > 1)
    encode = make_column_transformer((OneHotEncoder(), [1]), remainder="passthrough")
    model = make_pipeline(encode, LogisticRegression()).fit(table, y)
    snapshot = table.copy()
    local = _local(model, table[:20], table[:4], method="exact_shap")
    assert (table == snapshot).all()
    assert local.feature_names == ("x0", "x1") and local.feature_kinds == ("numeric", "categorical")
    assert list(local.data[:, 1]) == list(table[:4, 1])
    np.testing.assert_allclose(local.predictions, model.predict_proba(table[:4])[:, 1], rtol=0, atol=1e-12)
