"""A catalogue of malformed inputs across the public entry points, each of which must give an
``explain.errors`` exception naming the problem and the fix (early: at construction where the
problem is in the settings, before any model call in an audit), and of legitimate edge cases,
each of which must work and leave the user's inputs exactly as they were.

tests/test_inputs.py holds the first catalogue (columns, shapes, models, load); this one adds
the classes of issue 12: random_state, the model's outputs, dates and mixed columns, method
settings, global methods, plots, containers (pyarrow), strings where lists belong, audits,
policies and model cards.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
from pathlib import Path
from types import MappingProxyType, SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LinearRegression, LogisticRegression

import explain as ex
from explain.errors import ExplainError, FeatureMismatchError, InputError, MethodError, ModelError, SchemaError


class CountingClassifier(LogisticRegression):
    """A logistic regression that counts its predictions (to show an audit refused before work)."""

    calls = 0

    def predict_proba(self, X):
        type(self).calls += 1
        return super().predict_proba(X)


@pytest.fixture(scope="module")
def f(cancer_data, cancer_lr, cancer_hgb, diabetes_data, diabetes_linreg, mixed_data, mixed_pipeline):
    local = ex.Explainer(cancer_lr, background=cancer_data.background, method="exact_shap").explain_local(
        cancer_data.rows
    )
    glob = ex.Explainer(cancer_lr, method="permutation_importance").explain_global(
        cancer_data.rows, cancer_data.y.iloc[100:105]
    )
    Xa = cancer_data.X.iloc[:150].reset_index(drop=True)
    ya = cancer_data.y.iloc[:150].reset_index(drop=True)
    audit_X = Xa.assign(sex=np.where(np.arange(150) % 2 == 0, "F", "M"))
    counting = CountingClassifier(max_iter=5000).fit(Xa, ya)
    dated_X = audit_X.assign(when=pd.date_range("2024-01-01", periods=150))
    return SimpleNamespace(
        X=cancer_data.X,
        y=cancer_data.y,
        bg=cancer_data.background,
        rows=cancer_data.rows,
        lr=cancer_lr,
        hgb=cancer_hgb,
        diabetes=diabetes_data,
        linreg=diabetes_linreg,
        mixed=mixed_data,
        pipe=mixed_pipeline,
        local=local,
        glob=glob,
        audit_X=audit_X,
        audit_y=ya,
        counting=counting,
        dated_X=dated_X,
        date_model=_DateModel().fit(dated_X, ya),
    )


def _local(model, background, X, **kwargs):
    return ex.Explainer(model, background=background, **kwargs).explain_local(X)


def _global(model, X, y=None, *, features=None, **kwargs):
    return ex.Explainer(model, **kwargs).explain_global(X, y, features=features)


def _regressor(outputs):
    """A plain function declared a regressor that returns ``outputs(X)``."""
    return lambda X: outputs(np.asarray(X, dtype=float))


def _frame_with(f, name, values):
    """Five rows of the cancer data with one more column, and a plain function of the numbers."""
    rows = f.rows.reset_index(drop=True).assign(**{name: values})
    return rows


def _dated(f, values):
    rows = _frame_with(f, "when", values)

    def model(X):
        return np.zeros(len(X))

    return lambda: _local(model, rows, rows, task="regression", method="exact_shap")


def _wide(d):
    rng = np.random.default_rng(0)
    return pd.DataFrame(rng.normal(size=(6, d)), columns=[f"f{j}" for j in range(d)])


def _audit(f, **kwargs):
    X, y = kwargs.pop("X", f.audit_X), kwargs.pop("y", f.audit_y)
    model = kwargs.pop("model", f.counting)
    kwargs.setdefault("sensitive_features", ["sex"])
    kwargs.setdefault("generated_at", "2026-01-01T00:00:00Z")
    return ex.audit(
        model,
        X.iloc[:100],
        y.iloc[:100],
        kwargs.pop("X_test", X.iloc[100:]),
        kwargs.pop("y_test", y.iloc[100:]),
        **kwargs,
    )


def _plot(name, *args, **kwargs):
    import explain.plots as plots

    return getattr(plots, name)(*args, **kwargs)


def _arrow(frame):
    pa = pytest.importorskip("pyarrow")
    return pa.Table.from_pandas(frame, preserve_index=False)


# Each case: (id, call, error class, texts naming the problem, texts of the fix), matched
# case-insensitively against the message.
CASES = [
    # ------------------------------------------------------------------ random_state
    (
        "random_state_string",
        lambda f: ex.Explainer(f.lr, f.bg, random_state="0"),
        InputError,
        ["random_state='0'"],
        ["integer"],
    ),
    (
        "random_state_float",
        lambda f: ex.Explainer(f.lr, f.bg, random_state=1.5),
        InputError,
        ["random_state=1.5"],
        ["integer"],
    ),
    (
        "random_state_negative",
        lambda f: ex.Explainer(f.lr, f.bg, random_state=-1),
        InputError,
        ["random_state=-1"],
        ["0", "2**32"],
    ),
    (
        "random_state_too_large",
        lambda f: ex.Explainer(f.lr, f.bg, random_state=2**32),
        InputError,
        ["random_state=4294967296"],
        ["2**32"],
    ),
    (
        "random_state_bool",
        lambda f: ex.Explainer(f.lr, f.bg, random_state=True),
        InputError,
        ["random_state=true"],
        ["integer"],
    ),
    (
        "random_state_generator",
        lambda f: ex.Explainer(f.lr, f.bg, random_state=np.random.default_rng(0)),
        InputError,
        ["generator"],
        ["integer seed"],
    ),
    (
        "random_state_list",
        lambda f: ex.Explainer(f.lr, f.bg, random_state=[1, 2]),
        InputError,
        ["random_state=[1, 2]"],
        ["integer"],
    ),
    (
        "audit_random_state_string",
        lambda f: _audit(f, random_state="seven"),
        InputError,
        ["random_state='seven'"],
        ["integer"],
    ),
    ("audit_random_state_negative", lambda f: _audit(f, random_state=-3), InputError, ["random_state=-3"], ["integer"]),
    # ------------------------------------------------------------------ the model's outputs
    (
        "model_returns_too_many_rows",
        lambda f: _local(_regressor(lambda X: np.zeros(len(X) + 1)), f.bg, f.rows, task="regression"),
        ModelError,
        ["41 predictions", "40 rows"],
        ["one prediction per row"],
    ),
    (
        "model_returns_too_few_rows",
        lambda f: _local(_regressor(lambda X: np.zeros(1)), f.bg, f.rows, task="regression", method="exact_shap"),
        ModelError,
        ["1 predictions", "rows"],
        ["one prediction per row"],
    ),
    (
        "model_returns_a_scalar",
        lambda f: _local(_regressor(lambda X: 0.5), f.bg, f.rows, task="regression"),
        ModelError,
        ["shape ()"],
        ["one prediction per row"],
    ),
    (
        "model_returns_nan",
        lambda f: _local(
            _regressor(lambda X: np.where(X[:, 0] > 15, np.nan, 1.0)),
            f.bg,
            f.rows,
            task="regression",
            method="exact_shap",
        ),
        ModelError,
        ["nan"],
        ["finite"],
    ),
    (
        "model_returns_inf",
        lambda f: _local(_regressor(lambda X: np.full(len(X), np.inf)), f.bg, f.rows, task="regression"),
        ModelError,
        ["infinite"],
        ["finite"],
    ),
    (
        "classifier_returns_scores_above_one",
        lambda f: _local(_regressor(lambda X: X[:, 0]), f.bg, f.rows, task="classification"),
        ModelError,
        ["outside [0, 1]"],
        ["task='regression'"],
    ),
    (
        "classifier_returns_negative_probabilities",
        lambda f: _local(
            _regressor(lambda X: -np.ones(len(X))), f.bg, f.rows, task="classification", output="log_odds"
        ),
        ModelError,
        ["outside [0, 1]", "-1"],
        ["probabilities"],
    ),
    # ------------------------------------------------------------------ dates and mixed columns
    (
        "datetime_column",
        lambda f: _dated(f, pd.date_range("2024-01-01", periods=5))(),
        InputError,
        ["'when'", "datetime"],
        ["days", "categorical"],
    ),
    (
        "datetime_column_with_time_zone",
        lambda f: _dated(f, pd.date_range("2024-01-01", periods=5, tz="UTC"))(),
        InputError,
        ["'when'", "datetime"],
        ["days"],
    ),
    (
        "timedelta_column",
        lambda f: _dated(f, pd.to_timedelta(np.arange(5), unit="D"))(),
        InputError,
        ["'when'", "timedelta"],
        ["days"],
    ),
    (
        "python_dates_in_an_object_column",
        lambda f: _dated(f, [dt.date(2024, 1, d) for d in range(1, 6)])(),
        InputError,
        ["'when'", "date"],
        ["days", "categorical"],
    ),
    (
        "period_column",
        lambda f: _dated(f, pd.period_range("2024-01", periods=5, freq="M"))(),
        InputError,
        ["'when'", "period"],
        ["number"],
    ),
    (
        "numpy_datetime_array",
        lambda f: _local(
            lambda X: np.zeros(len(X)),
            None,
            np.array([["2024-01-01"], ["2024-02-01"]], dtype="datetime64[D]"),
            task="regression",
            method="exact_shap",
        ),
        InputError,
        ["datetime"],
        ["days"],
    ),
    (
        "numpy_timedelta_array",
        lambda f: _local(
            lambda X: np.zeros(len(X)),
            np.arange(4.0).reshape(2, 2).astype("m8[s]"),
            np.arange(4.0).reshape(2, 2).astype("m8[s]"),
            task="regression",
        ),
        InputError,
        ["timedelta"],
        ["days"],
    ),
    (
        "mixed_strings_and_numbers",
        lambda f: _dated(f, ["a", 1, 2.5, "b", 3])(),
        InputError,
        ["'when'", "mixed"],
        ["one type", "astype(str)"],
    ),
    # ------------------------------------------------------------------ method, output, settings
    (
        "method_params_a_list",
        lambda f: ex.Explainer(f.lr, f.bg, method_params=[("nsamples", 10)]),
        MethodError,
        ["method_params", "list"],
        ["mapping", "dict"],
    ),
    (
        "method_params_a_string",
        lambda f: ex.Explainer(f.lr, f.bg, method="kernel_shap", method_params="nsamples=10"),
        MethodError,
        ["method_params", "str"],
        ["dict"],
    ),
    (
        "method_params_unknown_key_at_construction",
        lambda f: ex.Explainer(f.lr, f.bg, method="kernel_shap", method_params={"nsample": 10}),
        MethodError,
        ["['nsample']"],
        ["'nsamples'"],
    ),
    (
        "method_not_a_string",
        lambda f: ex.Explainer(f.lr, f.bg, method=3),
        MethodError,
        ["method=3"],
        ["'auto'", "'exact_shap'"],
    ),
    (
        "unknown_method_at_construction",
        lambda f: ex.Explainer(f.lr, f.bg, method="deep_shap"),
        MethodError,
        ["'deep_shap'"],
        ["choose one of"],
    ),
    (
        "unknown_output_at_construction",
        lambda f: ex.Explainer(f.lr, f.bg, output="proba"),
        ModelError,
        ["output='proba'"],
        ["'probability'"],
    ),
    (
        "unknown_task_at_construction",
        lambda f: ex.Explainer(f.lr, f.bg, task="ranking"),
        ModelError,
        ["task='ranking'"],
        ["'classification'"],
    ),
    (
        "background_size_string_at_construction",
        lambda f: ex.Explainer(f.lr, f.bg, background_size="100"),
        InputError,
        ["background_size='100'"],
        ["positive integer"],
    ),
    ("n_jobs_zero_at_construction", lambda f: ex.Explainer(f.lr, f.bg, n_jobs=0), InputError, ["n_jobs=0"], ["-1"]),
    (
        "progress_string_at_construction",
        lambda f: ex.Explainer(f.lr, f.bg, progress="yes"),
        InputError,
        ["progress='yes'"],
        ["true, false or none"],
    ),
    (
        "model_none_at_construction",
        lambda f: ex.Explainer(None, f.bg),
        ModelError,
        ["model is none"],
        ["pass a fitted model"],
    ),
    (
        "unfitted_model_at_construction",
        lambda f: ex.Explainer(LogisticRegression(), f.bg),
        ModelError,
        ["not fitted"],
        ["model.fit("],
    ),
    (
        "exact_shap_max_features_in_the_hundreds",
        lambda f: _local(
            _regressor(lambda X: X.sum(axis=1)),
            _wide(300),
            _wide(300).iloc[:1],
            task="regression",
            method="exact_shap",
            method_params={"max_features": 300},
        ),
        MethodError,
        ["max_features=300", "2^300"],
        ["kernel_shap", "permutation_shap"],
    ),
    (
        "exact_shap_max_features_not_a_number",
        lambda f: ex.Explainer(f.lr, f.bg, method="exact_shap", method_params={"max_features": "many"}),
        MethodError,
        ["max_features='many'"],
        ["whole number"],
    ),
    (
        "exact_shap_on_hundreds_of_features",
        lambda f: _local(
            _regressor(lambda X: X.sum(axis=1)), _wide(300), _wide(300).iloc[:1], task="regression", method="exact_shap"
        ),
        MethodError,
        ["has 300"],
        ["kernel_shap", "permutation_shap"],
    ),
    (
        "kernel_shap_unknown_engine",
        lambda f: ex.Explainer(f.lr, f.bg, method="kernel_shap", method_params={"engine": "gpu"}),
        MethodError,
        ["engine='gpu'"],
        ["'batched'", "'shap'"],
    ),
    (
        "permutation_shap_unknown_engine",
        lambda f: ex.Explainer(f.lr, f.bg, method="permutation_shap", method_params={"engine": "fast"}),
        MethodError,
        ["engine='fast'"],
        ["'batched'"],
    ),
    (
        "lime_unknown_engine",
        lambda f: ex.Explainer(f.lr, f.bg, method="lime", method_params={"engine": "x"}),
        MethodError,
        ["engine='x'"],
        ["'batched'"],
    ),
    (
        "kernel_shap_negative_nsamples",
        lambda f: ex.Explainer(f.lr, f.bg, method="kernel_shap", method_params={"nsamples": -5}),
        MethodError,
        ["nsamples=-5"],
        ["positive integer"],
    ),
    (
        "tree_shap_unknown_engine",
        lambda f: _local(f.hgb, f.bg, f.rows, method="tree_shap", method_params={"engine": "gpu"}),
        MethodError,
        ["engine", "'gpu'"],
        ["'explain'"],
    ),
    # ------------------------------------------------------------------ global methods
    (
        "permutation_importance_n_repeats_zero",
        lambda f: _global(
            f.lr, f.rows, f.y.iloc[100:105], method="permutation_importance", method_params={"n_repeats": 0}
        ),
        MethodError,
        ["n_repeats=0"],
        ["whole number"],
    ),
    (
        "permutation_importance_unknown_scoring",
        lambda f: _global(
            f.lr, f.rows, f.y.iloc[100:105], method="permutation_importance", method_params={"scoring": "acuracy"}
        ),
        MethodError,
        ["scoring='acuracy'"],
        ["'accuracy'", "'roc_auc'"],
    ),
    (
        "permutation_importance_without_y",
        lambda f: _global(f.lr, f.rows, method="permutation_importance"),
        InputError,
        ["needs the target"],
        ["explain_global(x, y)"],
    ),
    (
        "permutation_importance_y_of_another_length",
        lambda f: _global(f.lr, f.rows, f.y.iloc[:7], method="permutation_importance"),
        InputError,
        ["7 values", "5 rows"],
        ["the target of these rows"],
    ),
    (
        "partial_dependence_grid_resolution_one",
        lambda f: _global(f.lr, f.rows, method="partial_dependence", method_params={"grid_resolution": 1}),
        MethodError,
        ["grid_resolution=1"],
        ["whole number >= 2"],
    ),
    (
        "partial_dependence_percentiles_reversed",
        lambda f: _global(f.lr, f.rows, method="partial_dependence", method_params={"percentiles": (0.9, 0.1)}),
        MethodError,
        ["percentiles=(0.9, 0.1)"],
        ["(0.05, 0.95)"],
    ),
    (
        "partial_dependence_percentiles_a_number",
        lambda f: _global(f.lr, f.rows, method="partial_dependence", method_params={"percentiles": 0.5}),
        MethodError,
        ["percentiles=0.5"],
        ["(0.05, 0.95)"],
    ),
    (
        "features_a_string",
        lambda f: _global(f.lr, f.rows, method="partial_dependence", features="mean area"),
        InputError,
        ["features='mean area'", "string"],
        ["features=['mean area']"],
    ),
    (
        "features_empty",
        lambda f: _global(f.lr, f.rows, method="partial_dependence", features=[]),
        InputError,
        ["features=[]"],
        ["at least one"],
    ),
    (
        "features_unknown",
        lambda f: _global(f.lr, f.rows, method="partial_dependence", features=["area"]),
        FeatureMismatchError,
        ["['area']"],
        ["choose among"],
    ),
    (
        "permutation_importance_of_one_row",
        lambda f: _global(f.lr, f.rows.iloc[:1], f.y.iloc[100:101], method="permutation_importance"),
        InputError,
        ["at least 2 rows", "x has 1", "every importance would be 0"],
        ["held-out set"],
    ),
    (
        "partial_dependence_of_one_row",
        lambda f: _global(f.lr, f.rows.iloc[:1], method="partial_dependence"),
        InputError,
        ["at least 2 rows", "flat curves"],
        ["held-out set"],
    ),
    (
        "features_repeated_for_permutation_importance",
        lambda f: _global(
            f.lr, f.rows, f.y.iloc[100:105], method="permutation_importance", features=["mean area", "mean area"]
        ),
        InputError,
        ["'mean area' more than once"],
        ["features=['mean area']"],
    ),
    (
        "features_repeated_for_partial_dependence",
        lambda f: _global(
            f.lr, f.rows, method="partial_dependence", features=("mean area", "mean radius", "mean area")
        ),
        InputError,
        ["'mean area' more than once"],
        ["features=['mean area', 'mean radius']"],
    ),
    # y given to explain_global with a local method: unused, but checked as permutation_importance checks it
    (
        "local_method_global_y_of_other_rows",
        lambda f: ex.Explainer(f.hgb, f.bg).explain_global(f.rows, f.y.iloc[:7]),
        InputError,
        ["y has 7 values", "5 rows"],
        ["the target of these rows"],
    ),
    (
        "local_method_global_y_with_nan",
        lambda f: ex.Explainer(f.hgb, f.bg).explain_global(f.rows, np.array([0.0, 1.0, np.nan, 1.0, 0.0])),
        InputError,
        ["nan"],
        ["drop those rows"],
    ),
    (
        "local_method_global_y_a_string",
        lambda f: ex.Explainer(f.hgb, f.bg).explain_global(f.rows, "target"),
        InputError,
        ["shape ()"],
        ["1-d target"],
    ),
    (
        "local_method_global_y_2d",
        lambda f: ex.Explainer(f.lr, f.bg, method="exact_shap").explain_global(f.rows, np.zeros((5, 2))),
        InputError,
        ["shape (5, 2)"],
        ["1-d target"],
    ),
    (
        "global_y_with_none",
        lambda f: _global(f.lr, f.rows, [0, 1, None, 1, 0], method="permutation_importance"),
        InputError,
        ["1 missing values", "row 2"],
        ["drop those rows"],
    ),
    # ------------------------------------------------------------------ plots
    (
        "waterfall_of_a_global_explanation",
        lambda f: _plot("waterfall", f.glob),
        InputError,
        ["waterfall", "globalexplanation"],
        ["explain_local", "bar"],
    ),
    (
        "beeswarm_of_a_global_explanation",
        lambda f: _plot("beeswarm", f.glob),
        InputError,
        ["beeswarm", "globalexplanation"],
        ["explain_local"],
    ),
    (
        "dependence_of_a_global_explanation",
        lambda f: _plot("dependence", f.glob, "mean area"),
        InputError,
        ["dependence", "globalexplanation"],
        ["explain_local"],
    ),
    (
        "reasons_of_a_global_explanation",
        lambda f: _plot("reasons", f.glob),
        InputError,
        ["reasons", "globalexplanation"],
        ["explain_local"],
    ),
    (
        "effects_of_a_local_explanation",
        lambda f: _plot("effects", f.local, "mean area"),
        InputError,
        ["effects", "localexplanation"],
        ["explain_global"],
    ),
    ("bar_of_a_dataframe", lambda f: _plot("bar", f.rows), InputError, ["bar", "dataframe"], ["explanation"]),
    ("waterfall_row_out_of_range", lambda f: _plot("waterfall", f.local, row=9), InputError, ["row=9"], ["0 to 4"]),
    (
        "dependence_unknown_feature",
        lambda f: _plot("dependence", f.local, "area"),
        InputError,
        ["'area'"],
        ["mean area"],
    ),
    # ------------------------------------------------------------------ containers
    (
        "X_list_of_dicts",
        lambda f: _local(f.lr, f.bg, f.rows.to_dict("records")),
        InputError,
        ["x is a list of dicts"],
        ["pd.dataframe(x)"],
    ),
    (
        "background_list_of_dicts",
        lambda f: _local(f.lr, f.bg.to_dict("records"), f.rows),
        InputError,
        ["background is a list of dicts"],
        ["pd.dataframe"],
    ),
    (
        "X_a_path_string",
        lambda f: _local(f.lr, f.bg, "data/test.csv"),
        InputError,
        ["x is a string", "'data/test.csv'"],
        ["pd.read_csv"],
    ),
    ("X_a_path", lambda f: _local(f.lr, f.bg, Path("test.parquet")), InputError, ["x is a path"], ["pd.read_parquet"]),
    (
        "X_a_dict_of_columns",
        lambda f: _local(f.lr, f.bg, f.rows.to_dict("list")),
        InputError,
        ["x is a dict"],
        ["pd.dataframe(x)"],
    ),
    ("X_a_number", lambda f: _local(f.lr, f.bg, 3.5), InputError, ["x is a float"], ["2-d array or dataframe"]),
    (
        "X_ragged_lists",
        lambda f: _local(f.lr, f.bg, [[1.0, 2.0, 3.0, 4.0, 5.0], [1.0]]),
        InputError,
        ["x could not be read"],
        ["same number of values"],
    ),
    (
        "pyarrow_table_missing_a_column",
        lambda f: _local(f.lr, f.bg, _arrow(f.rows.drop(columns=["mean area"]))),
        FeatureMismatchError,
        ["'mean area'", "missing"],
        ["select the model's columns"],
    ),
    (
        "pyarrow_background_other_names",
        lambda f: _local(f.lr, _arrow(f.bg.rename(columns={"mean area": "area"})), f.rows),
        FeatureMismatchError,
        ["missing ['mean area']", "unexpected ['area']"],
        ["columns the model was fitted on"],
    ),
    # ------------------------------------------------------------------ strings where a list belongs
    (
        "feature_names_a_string",
        lambda f: ex.Explainer(f.lr, f.bg.to_numpy(), feature_names="abcde"),
        InputError,
        ["feature_names='abcde'", "string"],
        ["list"],
    ),
    (
        "class_names_a_string",
        lambda f: ex.Explainer(f.lr, f.bg, class_names="ab"),
        InputError,
        ["class_names='ab'", "string"],
        ["list"],
    ),
    (
        "audit_sensitive_features_a_string",
        lambda f: _audit(f, sensitive_features="sex"),
        InputError,
        ["sensitive_features='sex'"],
        ["sensitive_features=['sex']"],
    ),
    # ------------------------------------------------------------------ duplicate names
    (
        "duplicate_columns_in_background",
        lambda f: _local(f.lr, f.bg.set_axis(["a", "a", "b", "c", "d"], axis=1), f.rows),
        FeatureMismatchError,
        ["background", "duplicate column names ['a']"],
        ["rename"],
    ),
    (
        "duplicate_columns_in_pyarrow",
        lambda f: _local(f.lr, f.bg, _arrow_duplicates(f.rows)),
        FeatureMismatchError,
        ["duplicate column names ['mean area']"],
        ["rename"],
    ),
    (
        "audit_duplicate_columns",
        lambda f: _audit(
            f, X=f.audit_X.set_axis([*f.audit_X.columns[:-1], "mean area"], axis=1), sensitive_features=None
        ),
        FeatureMismatchError,
        ["duplicate column names ['mean area']"],
        ["rename"],
    ),
    (
        "duplicate_class_names",
        lambda f: ex.Explainer(f.lr, f.bg, class_names=["benign", "benign"]),
        InputError,
        ["class_names=['benign', 'benign']", "'benign' more than once"],
        ["one distinct name per class"],
    ),
    (
        "class_names_equal_as_text",
        lambda f: ex.Explainer(f.lr, f.bg, class_names=[1, "1"]),
        InputError,
        ["'1' more than once"],
        ["one distinct name per class"],
    ),
    (
        "class_names_for_a_regressor",
        lambda f: ex.Explainer(f.linreg, f.diabetes.background, class_names=["low", "high"]),
        ModelError,
        ["class_names=['low', 'high']", "regressor"],
        ["class_names=none"],
    ),
    (
        "class_names_for_a_regression_function",
        lambda f: ex.Explainer(_regressor(lambda X: X[:, 0]), f.bg, task="regression", class_names=["a", "b"]),
        ModelError,
        ["class_names=['a', 'b']", "regressor"],
        ["class_names=none"],
    ),
    # ------------------------------------------------------------------ audits, refused before any work
    (
        "audit_single_group",
        lambda f: _audit(f, X=f.audit_X.assign(sex="F")),
        InputError,
        ["'sex'", "one group", "'f'"],
        ["at least two groups"],
    ),
    (
        "audit_single_group_in_a_frame",
        lambda f: _audit(f, sensitive_features=pd.DataFrame({"region": ["n"] * 50})),
        InputError,
        ["'region'", "one group"],
        ["at least two groups"],
    ),
    (
        "audit_sensitive_all_missing",
        lambda f: _audit(f, X=f.audit_X.assign(sex=np.nan)),
        InputError,
        ["'sex'", "no group"],
        ["at least two groups"],
    ),
    (
        "audit_test_target_one_class",
        lambda f: _audit(f, y_test=pd.Series(np.ones(50, dtype=int))),
        InputError,
        ["y_test", "one class"],
        ["both classes"],
    ),
    (
        "audit_train_target_one_class",
        lambda f: _audit(f, y=pd.Series(np.r_[np.ones(100, dtype=int), f.audit_y.iloc[100:].to_numpy()])),
        InputError,
        ["y_train", "one class"],
        ["both classes"],
    ),
    (
        "audit_continuous_y_train",
        lambda f: _audit(f, y=pd.Series(np.random.default_rng(0).normal(size=150))),
        InputError,
        ["y_train looks continuous", "100 distinct values", "classes [0, 1]"],
        ["class labels the model was fitted on", "audit a regressor"],
    ),
    (
        "audit_continuous_y_test",
        lambda f: _audit(f, y_test=pd.Series(np.linspace(0.0, 3.0, 50))),
        InputError,
        ["y_test looks continuous", "50 distinct values", "e.g. 0.0612245"],
        ["class labels the model was fitted on"],
    ),
    (
        "audit_y_of_other_labels",
        lambda f: _audit(f, y=f.audit_y.map({0: "no", 1: "yes"})),
        InputError,
        ["y_train has values that are not classes of the model ([0, 1]): 'no', 'yes'"],
        ["labels the model was fitted on"],
    ),
    (
        "audit_infinite_value_in_X_test",
        lambda f: _audit(f, X_test=f.audit_X.iloc[100:].assign(**{"mean area": np.r_[np.inf, np.ones(49)]})),
        InputError,
        ["column 'mean area' of x_test holds infinite values (rows [0])"],
        ["finite numbers or nan"],
    ),
    (
        "audit_infinite_target",
        lambda f: _audit(f, y_test=pd.Series(np.r_[f.audit_y.iloc[100:149].to_numpy(float), -np.inf])),
        InputError,
        ["y_test holds infinite values (rows [49])"],
        ["drop those rows"],
    ),
    (
        "audit_reference_of_two_rows",
        lambda f: _audit(f, reference=f.audit_X.iloc[:2]),
        InputError,
        ["reference has 2 rows", "at least 10"],
        ["reference=none"],
    ),
    (
        "audit_X_test_with_a_column_X_train_lacks",
        lambda f: _audit(f, X_test=f.audit_X.iloc[100:].assign(region="n"), sensitive_features=None),
        FeatureMismatchError,
        ["x_test has the extra columns ['region']"],
        ["drop them", "sensitive_features=dataframe"],
    ),
    ("audit_policy_not_a_policy", lambda f: _audit(f, policy=5), InputError, ["policy must be a policy"], ["dict"]),
    (
        "audit_card_a_list",
        lambda f: _audit(f, card=["credit model"]),
        InputError,
        ["card must be a modelcard"],
        ["dict"],
    ),
    (
        "audit_datetime_column",
        lambda f: _audit(f, model=f.date_model, X=f.dated_X),
        InputError,
        ["'when'", "datetime"],
        ["days"],
    ),
    (
        "audit_reason_codes_a_list",
        lambda f: _audit(f, reason_codes=["R01"]),
        InputError,
        ["reason_codes is a list"],
        ["dict of feature name"],
    ),
    (
        "audit_reason_codes_unknown_feature",
        lambda f: _audit(f, reason_codes={"income": "Income too low"}),
        InputError,
        ["['income']", "not features of the model"],
        ["dict of feature name"],
    ),
    (
        "audit_reason_code_a_number",
        lambda f: _audit(f, reason_codes={"mean area": 5}),
        InputError,
        ["reason_codes['mean area'] is 5"],
        ["(code, statement)"],
    ),
    (
        "audit_generated_at_a_number",
        lambda f: _audit(f, generated_at=2026),
        InputError,
        ["generated_at=2026"],
        ["iso 8601"],
    ),
    (
        "audit_progress_a_string",
        lambda f: _audit(f, progress="yes"),
        InputError,
        ["progress='yes'"],
        ["true, false or none"],
    ),
    (
        "audit_X_test_a_path",
        lambda f: ex.audit(f.counting, f.audit_X.iloc[:100], f.audit_y.iloc[:100], "test.csv", f.audit_y.iloc[100:]),
        InputError,
        ["x_test is a string", "'test.csv'"],
        ["pd.read_csv"],
    ),
    (
        "features_with_a_local_method",
        lambda f: ex.Explainer(f.lr, f.bg).explain_global(f.rows, features=["mean area"]),
        MethodError,
        ["features=['mean area']", "explains every feature"],
        ["features=none"],
    ),
    # ------------------------------------------------------------------ policies
    ("policy_nan", lambda f: ex.Policy(max_psi=float("nan")), InputError, ["policy.max_psi", "nan"], ["finite number"]),
    (
        "policy_inf",
        lambda f: ex.Policy(max_calibration_error=float("inf")),
        InputError,
        ["policy.max_calibration_error", "inf"],
        ["finite number"],
    ),
    (
        "policy_nan_share",
        lambda f: ex.Policy(alpha=float("nan")),
        InputError,
        ["policy.alpha", "nan"],
        ["finite number"],
    ),
    (
        "policy_negative_threshold",
        lambda f: ex.Policy(max_train_test_gap=-0.1),
        InputError,
        ["policy.max_train_test_gap", "-0.1"],
        [">= 0"],
    ),
    ("policy_negative_noise", lambda f: ex.Policy(noise_scale=-1), InputError, ["policy.noise_scale"], [">= 0"]),
    ("policy_negative_psi", lambda f: ex.Policy(max_psi=-0.2, warn_psi=-0.3), InputError, ["policy.", "-0."], [">= 0"]),
    (
        "policy_warn_psi_above_max_psi",
        lambda f: ex.Policy(warn_psi=0.3, max_psi=0.25),
        InputError,
        ["warn_psi=0.3", "max_psi=0.25"],
        ["at most"],
    ),
    ("policy_alpha_zero", lambda f: ex.Policy(alpha=0), InputError, ["policy.alpha"], ["between 0 and 1"]),
    (
        "policy_fractional_months",
        lambda f: ex.Policy(revalidation_months=1.5),
        InputError,
        ["policy.revalidation_months", "1.5"],
        ["whole number"],
    ),
    (
        "policy_from_a_list",
        lambda f: ex.Policy.from_dict([("max_psi", 0.2)]),
        InputError,
        ["policy", "list"],
        ["mapping"],
    ),
    (
        "policy_text_value",
        lambda f: ex.Policy.from_dict({"max_psi": "0.2"}),
        InputError,
        ["policy.max_psi", "'0.2'"],
        ["number"],
    ),
    # ------------------------------------------------------------------ model cards
    ("card_name_a_list", lambda f: ex.ModelCard(name=["credit", "model"]), InputError, ["card.name"], ["text"]),
    (
        "card_version_a_number",
        lambda f: ex.ModelCard.from_dict({"version": 2.1}),
        InputError,
        ["card.version", "2.1"],
        ["quotes"],
    ),
    (
        "card_limitations_a_string",
        lambda f: ex.ModelCard(limitations="Not for minors"),
        InputError,
        ["card.limitations", "string"],
        ["list", "['not for minors']"],
    ),
    (
        "card_limitations_numbers",
        lambda f: ex.ModelCard(limitations=[1, 2]),
        InputError,
        ["card.limitations"],
        ["list of texts"],
    ),
    (
        "card_limitations_a_dict",
        lambda f: ex.ModelCard.from_dict({"limitations": {"a": "b"}}),
        InputError,
        ["card.limitations", "dict"],
        ["list of texts"],
    ),
    (
        "card_signoff_a_string",
        lambda f: ex.ModelCard(signoff="Jane Doe"),
        InputError,
        ["card.signoff", "string"],
        ["role", "name"],
    ),
    (
        "card_signoff_unknown_key",
        lambda f: ex.ModelCard.from_dict({"signoff": [{"role": "Validator", "title": "x"}]}),
        InputError,
        ["card.signoff", "'title'"],
        ["'role'", "'name'", "'date'"],
    ),
    (
        "card_signoff_without_role",
        lambda f: ex.ModelCard.from_dict({"signoff": [{"name": "Jane"}]}),
        InputError,
        ["card.signoff", "role"],
        ["'role'"],
    ),
    (
        "card_signoff_number_name",
        lambda f: ex.ModelCard.from_dict({"signoff": [{"role": "Validator", "name": 7}]}),
        InputError,
        ["card.signoff", "7"],
        ["text"],
    ),
    (
        "card_from_a_list",
        lambda f: ex.ModelCard.from_dict(["name", "x"]),
        InputError,
        ["model card", "list"],
        ["mapping"],
    ),
    ("card_unknown_field", lambda f: ex.ModelCard.from_dict({"nmae": "x"}), InputError, ["['nmae']"], ["'name'"]),
    # ------------------------------------------------------------------ load
    ("load_a_number", lambda f: ex.load(123), SchemaError, ["123"], ["path"]),
    ("load_a_dict", lambda f: ex.load({"schema": "explain.LocalExplanation"}), SchemaError, ["dict"], ["path"]),
]


def _arrow_duplicates(frame):
    pa = pytest.importorskip("pyarrow")
    arrays = [pa.array(frame[c].to_numpy()) for c in frame.columns]
    return pa.table(arrays, names=[*frame.columns[:-1], "mean area"])


class _DateModel(LogisticRegression):
    """A model whose fit and predict ignore a datetime column (to reach the audit's own check)."""

    def __init__(self):
        super().__init__(max_iter=5000)

    def fit(self, X, y):
        super().fit(X.select_dtypes("number"), y)
        self.feature_names_in_ = np.array(X.columns[X.columns != "sex"], dtype=object)
        self.n_features_in_ = len(self.feature_names_in_)
        return self

    def predict_proba(self, X):
        return super().predict_proba(X.select_dtypes("number"))


@pytest.mark.parametrize(("call", "error", "names", "fixes"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_bad_input_raises_an_explain_error_naming_problem_and_fix(f, call, error, names, fixes):
    CountingClassifier.calls = 0
    with pytest.raises(ExplainError) as info:
        call(f)
    assert isinstance(info.value, error), f"expected {error.__name__}, got {type(info.value).__name__}: {info.value}"
    message = str(info.value).lower()
    for text in names + fixes:
        assert text.lower() in message, f"{text!r} not in message: {info.value}"
    assert CountingClassifier.calls == 0, "the audit called the model before refusing its inputs"


def test_the_catalogue_has_no_duplicate_ids():
    ids = [c[0] for c in CASES]
    assert len(ids) == len(set(ids))


# --------------------------------------------------------------------------- legitimate edge cases


def _snapshot(obj):
    return copy.deepcopy(obj)


def _same(a, b):
    if isinstance(a, pd.DataFrame):
        pd.testing.assert_frame_equal(a, b, check_exact=True)
        for name in a.columns:
            x, y = a[name].to_numpy(), b[name].to_numpy()
            if x.dtype.kind == "f":
                assert x.tobytes() == y.tobytes()
    elif isinstance(a, np.ndarray):
        assert a.dtype == b.dtype and a.shape == b.shape
        assert a.tobytes() == b.tobytes() if a.dtype != object else (pd.isna(a) == pd.isna(b)).all()
    elif type(a).__module__.split(".")[0] in ("polars", "pyarrow"):
        assert a.equals(b)
    else:
        assert a == b


def _run_unchanged(*inputs, run):
    """Run ``run()`` and check that none of ``inputs`` changed."""
    before = [_snapshot(x) for x in inputs]
    out = run()
    for x, b in zip(inputs, before, strict=True):
        _same(x, b)
    return out


def _one_row(f):
    rows = f.rows.iloc[[2]]
    local = _run_unchanged(f.bg, rows, run=lambda: _local(f.lr, f.bg, rows, method="exact_shap"))
    assert local.n_rows == 1 and local.additivity_error() < 1e-9


def _one_feature(f):
    X = f.X[["mean radius"]]
    model = LogisticRegression().fit(X, f.y)
    local = _run_unchanged(X, run=lambda: _local(model, X.iloc[:30], X.iloc[:3]))
    assert local.values.shape == (3, 1) and local.additivity_error() < 1e-9


def _constant_column(f):
    X = f.X.iloc[:, :3].assign(const=1.0)
    model = LinearRegression().fit(X, f.y)
    local = _run_unchanged(X, run=lambda: _local(model, X.iloc[:30], X.iloc[40:44], method="exact_shap"))
    np.testing.assert_allclose(local.values[:, 3], 0.0, atol=1e-12)


def _all_missing_column(f):
    X = f.X.iloc[:, :3].assign(empty=np.nan)
    seen = X.assign(empty=np.where(np.arange(len(X)) % 3 == 0, 1.0, np.nan))  # fitted with a few values
    model = HistGradientBoostingClassifier(max_iter=5).fit(seen, f.y)
    local = _run_unchanged(X, run=lambda: _local(model, X.iloc[:30], X.iloc[40:44], method="exact_shap"))
    np.testing.assert_allclose(local.values[:, 3], 0.0, atol=1e-12)
    np.testing.assert_allclose(local.predictions, model.predict_proba(X.iloc[40:44])[:, 1], atol=1e-12)


def _integer_and_bool_columns(f):
    X = pd.DataFrame({"n": (f.X["mean radius"] * 10).astype(int), "big": f.X["mean area"] > 600,
                      "i8": (f.X["mean texture"]).astype(np.int8)})  # fmt: skip
    model = LogisticRegression(max_iter=5000).fit(X, f.y)
    local = _run_unchanged(X, run=lambda: _local(model, X.iloc[:30], X.iloc[40:44], method="exact_shap"))
    np.testing.assert_allclose(local.predictions, model.predict_proba(X.iloc[40:44])[:, 1], atol=1e-12)
    glob = _run_unchanged(X, run=lambda: _global(model, X.iloc[:40], method="partial_dependence", features=("n",)))
    assert glob.feature_names == ("n",)


def _unicode_names(f):
    X = f.X.iloc[:, :3].set_axis(["âge", "revenu €", "城市"], axis=1)
    model = LogisticRegression(max_iter=5000).fit(X, f.y)
    local = _run_unchanged(X, run=lambda: _local(model, X.iloc[:30], X.iloc[40:44]))
    assert local.feature_names == ("âge", "revenu €", "城市")
    from explain._io import from_dict

    assert from_dict(json.loads(local.to_json())).feature_names == local.feature_names


def _non_default_index(f):
    rows = f.rows.set_axis(["a", "b", "c", "d", "e"], axis=0)
    bg = f.bg.set_axis(np.arange(40)[::-1] * 7, axis=0)
    local = _run_unchanged(rows, bg, run=lambda: _local(f.lr, bg, rows, method="exact_shap"))
    right = _local(f.lr, f.bg, f.rows, method="exact_shap")
    np.testing.assert_array_equal(local.values, right.values)


def _float32_arrays(f):
    bg, rows = f.bg.to_numpy(np.float32), f.rows.to_numpy(np.float32)
    local = _run_unchanged(bg, rows, run=lambda: _local(f.lr, bg, rows, method="exact_shap"))
    np.testing.assert_allclose(local.predictions, f.lr.predict_proba(pd.DataFrame(rows, columns=f.X.columns))[:, 1],
                               atol=1e-12)  # fmt: skip


def _polars_frame(f):
    pl = pytest.importorskip("polars")
    order = list(f.rows.columns[::-1])
    rows, bg = pl.from_pandas(f.rows[order]), pl.from_pandas(f.bg)
    local = _run_unchanged(rows, bg, run=lambda: _local(f.lr, bg, rows, method="exact_shap"))
    right = _local(f.lr, f.bg, f.rows, method="exact_shap")
    np.testing.assert_array_equal(local.values, right.values)


def _pyarrow_in_another_order(f):
    order = list(f.rows.columns[::-1])
    rows, bg = _arrow(f.rows[order]), _arrow(f.bg[order[1:] + order[:1]])
    local = _run_unchanged(rows, bg, run=lambda: _local(f.lr, bg, rows, method="exact_shap"))
    right = _local(f.lr, f.bg, f.rows, method="exact_shap")
    assert local.feature_names == right.feature_names
    np.testing.assert_array_equal(local.values, right.values)
    np.testing.assert_array_equal(local.data, right.data)


def _pyarrow_without_background(f):
    rows = _arrow(f.rows[list(f.rows.columns[::-1])])
    glob = _run_unchanged(rows, run=lambda: _global(f.lr, rows, f.y.iloc[100:105], method="permutation_importance"))
    right = _global(f.lr, f.rows, f.y.iloc[100:105], method="permutation_importance")
    np.testing.assert_array_equal(glob.importances, right.importances)


def _random_states(f):
    runs = {}
    for seed in (None, 0, np.int64(7), 2**32 - 1, np.random.RandomState(3)):
        before = copy.deepcopy(seed)
        local = _local(f.lr, f.bg, f.rows, method="permutation_shap", random_state=seed)
        again = _local(f.lr, f.bg, f.rows, method="permutation_shap", random_state=seed)
        if seed is not None:  # the same seed gives the same values
            np.testing.assert_array_equal(local.values, again.values)
        recorded = json.loads(local.to_json())["provenance"]["random_state"]
        assert recorded is None or isinstance(recorded, int)
        if isinstance(seed, np.random.RandomState):  # the user's generator is not advanced
            assert seed.randint(1 << 30) == before.randint(1 << 30)
        runs[repr(seed)] = recorded
    assert runs["np.int64(7)"] == 7


def _mapping_params(f):
    params = MappingProxyType({"max_evals": 40})
    local = _local(f.lr, f.bg, f.rows, method="permutation_shap", method_params=params)
    assert local.params["max_evals"] == 40


def _permutation_importance_of_some_features(f):
    y = f.y.iloc[100:105]
    some = _global(f.lr, f.rows, y, method="permutation_importance", features=["mean area", "mean radius"])
    every = _global(f.lr, f.rows, y, method="permutation_importance")
    assert some.feature_names == ("mean area", "mean radius")
    np.testing.assert_array_equal(some.importances, every.importances[[3, 0]])


def _features_as_tuple_and_array(f):
    a = _global(f.lr, f.rows, method="partial_dependence", features=("mean area",),
                method_params={"grid_resolution": 5})  # fmt: skip
    b = _global(f.lr, f.rows, method="partial_dependence", features=np.array(["mean area"]),
                method_params={"grid_resolution": 5})  # fmt: skip
    assert a.feature_names == b.feature_names == ("mean area",)


def _integer_column_labels(f):
    X = pd.DataFrame(f.X.iloc[:, :3].to_numpy())
    model = LogisticRegression(max_iter=5000).fit(X.to_numpy(), f.y)
    local = _run_unchanged(X, run=lambda: _local(model, X.iloc[:30], X.iloc[40:42]))
    assert local.feature_names == ("0", "1", "2")


def _categorical_single_level(f):
    X = f.mixed.X.iloc[:30].assign(grade=pd.Categorical(["a"] * 30, categories=["a", "b", "c"]))
    local = _run_unchanged(X, run=lambda: _local(f.pipe, X, X.iloc[:3], method="exact_shap"))
    np.testing.assert_allclose(local.values[:, 3], 0.0, atol=1e-12)


def _classifier_function_at_zero_and_one(f):
    def model(X):
        return (np.asarray(X)[:, 0] > 15).astype(float)  # probabilities exactly 0 and 1

    local = _local(model, f.bg, f.rows, task="classification", output="log_odds", method="exact_shap")
    assert np.isfinite(local.values).all()


def _policy_and_card_from_files_and_dicts(f):
    policy = ex.Policy.from_dict({"max_psi": 1, "warn_psi": 0.25, "n_bootstrap": 100.0})
    assert policy.max_psi == 1
    card = ex.ModelCard.from_dict({"name": "m", "version": "2.1", "limitations": ["a", "b"],
                                   "signoff": [{"role": "Validator", "name": "Jane"}]})  # fmt: skip
    assert card.limitations == ("a", "b") and card.signoff[0].name == "Jane"
    assert ex.ModelCard(limitations=("x",)).to_dict()["limitations"] == ["x"]


def _nullable_and_numeric_object(f):
    X = f.rows.astype(object)
    X.loc[X.index[0], "mean area"] = None
    local = _run_unchanged(X, run=lambda: _local(f.hgb, f.bg, X, method="exact_shap"))
    assert np.isnan(local.data[0, 3])


def _audit_with_float_labels(f):
    """0.0 / 1.0 are the classes 0 / 1 (as in scikit-learn), not labels the model does not know."""
    y = f.audit_y.astype(float)
    before = y.copy()
    report = _audit(f, y=y, y_test=y.iloc[100:])
    pd.testing.assert_series_equal(y, before, check_exact=True)
    assert report.evidence["findings"] == _audit(f).evidence["findings"]


def _plots_of_the_right_kind(f):
    import matplotlib

    matplotlib.use("Agg")
    assert _plot("waterfall", f.local) is not None
    assert _plot("bar", f.glob) is not None
    assert f.glob.plot() is not None


EDGE_CASES = [
    _one_row,
    _one_feature,
    _constant_column,
    _all_missing_column,
    _integer_and_bool_columns,
    _unicode_names,
    _non_default_index,
    _float32_arrays,
    _polars_frame,
    _pyarrow_in_another_order,
    _pyarrow_without_background,
    _random_states,
    _mapping_params,
    _permutation_importance_of_some_features,
    _features_as_tuple_and_array,
    _integer_column_labels,
    _categorical_single_level,
    _classifier_function_at_zero_and_one,
    _policy_and_card_from_files_and_dicts,
    _nullable_and_numeric_object,
    _audit_with_float_labels,
    _plots_of_the_right_kind,
]


@pytest.mark.parametrize("case", EDGE_CASES, ids=[c.__name__.lstrip("_") for c in EDGE_CASES])
def test_legitimate_edge_case_works_and_leaves_inputs_unchanged(f, case):
    case(f)


def test_a_continuous_target_for_a_classifier_audit_gives_a_short_message(f):
    """A regression target given to a classifier audit: a few values and the count, not all of them."""
    y = pd.Series(np.random.default_rng(0).normal(size=150) * 1e6)
    with pytest.raises(InputError) as info:
        _audit(f, y=y, y_test=y.iloc[100:])
    assert len(str(info.value)) < 500, str(info.value)


def test_bad_inputs_are_not_modified(f):
    """Inputs that are refused are left as they were too."""
    X = f.rows.assign(when=pd.date_range("2024-01-01", periods=5)).reset_index(drop=True)
    seed = np.random.RandomState(0)
    before = copy.deepcopy((X, seed))
    with pytest.raises(InputError):
        _local(lambda Z: np.zeros(len(Z)), X, X, task="regression")
    _same(X, before[0])


def test_image_settings_and_shapes_get_image_messages() -> None:
    """Images given as a list, or lime settings wrong for images, are answered for images (the
    table's defaults and advice were quoted)."""
    import numpy as np

    import explain as ex

    images = np.random.default_rng(0).uniform(size=(2, 8, 8))

    def model(b):  # type: ignore[no-untyped-def]
        return np.asarray(b).reshape(len(b), -1).mean(axis=1)

    explainer = ex.Explainer(model, task="regression", method="lime", method_params={"kernel_width": 0})
    with pytest.raises(ex.errors.ExplainError, match=r"image default is 0\.25"):
        explainer.explain_local(images)
    with pytest.raises(ex.errors.InputError, match=r"np\.stack"):
        ex.Explainer(model, task="regression").explain_local([images[0], images[1]])
