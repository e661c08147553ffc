"""Pipelines: explanations in the user's own columns, summed back from one-hot encodings."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.compose import ColumnTransformer, make_column_transformer
from sklearn.decomposition import PCA
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, PolynomialFeatures, StandardScaler

import explain as ex
from explain._pipeline import column_map

SHAPLEY_METHODS = ("exact_shap", "linear_shap", "kernel_shap", "permutation_shap", "tree_shap")


def _frame(n=240, seed=0):
    rng = np.random.default_rng(seed)
    df = pd.DataFrame(
        {
            "age": rng.normal(40, 10, n),
            "city": pd.Series(rng.choice(["oslo", "paris", "rome"], n), dtype=object),
            "income": rng.gamma(2.0, 1.5, n),
            "grade": pd.Series(rng.choice(["A", "B"], n), dtype=object),
        }
    )
    score = (df["age"] - 40) / 10 + (df["city"] == "rome") - (df["grade"] == "B") + 0.2 * df["income"]
    y = (score + rng.normal(0, 0.7, n) > 0.3).astype(int)
    return df, y


def _encoder():
    return make_column_transformer(
        (OneHotEncoder(handle_unknown="ignore"), ["city", "grade"]),
        (StandardScaler(), ["age", "income"]),
    )


@pytest.fixture(scope="module")
def data():
    return _frame()


@pytest.fixture(scope="module")
def models(data):
    df, y = data
    return {
        "logistic": make_pipeline(_encoder(), LogisticRegression(max_iter=1000)).fit(df, y),
        "forest": make_pipeline(_encoder(), RandomForestClassifier(n_estimators=15, max_depth=4, random_state=0)).fit(
            df, y
        ),
    }


def _explain(model, df, method, rows=slice(100, 104), **kwargs):
    original = df.copy(deep=True)
    local = ex.Explainer(model, background=df.iloc[:15], method=method, **kwargs).explain_local(df.iloc[rows])
    pd.testing.assert_frame_equal(df, original)  # the user's frame is untouched
    return local


@pytest.mark.parametrize("model_name", ["logistic", "forest"])
@pytest.mark.parametrize("method", SHAPLEY_METHODS)
def test_additive_in_the_original_columns(data, models, model_name, method):
    df, _ = data
    model = models[model_name]
    rows = slice(100, 104) if method != "permutation_shap" else slice(100, 102)
    try:
        local = _explain(model, df, method, rows=rows)
    except ex.errors.MethodError as exc:
        assert (model_name, method) in {("forest", "linear_shap"), ("logistic", "tree_shap")}, exc
        return
    assert local.feature_names == tuple(df.columns)
    assert local.values.shape == (rows.stop - rows.start, 4)
    assert list(local.data[:, 1]) == list(df["city"].iloc[rows])
    assert list(local.data[:, 3]) == list(df["grade"].iloc[rows])
    assert all(isinstance(v, str) for v in local.data[:, 1])
    np.testing.assert_allclose(local.data[:, 0].astype(float), df["age"].iloc[rows].to_numpy())
    assert local.additivity_error() < 1e-6
    # predictions are the model's own
    p = model.predict_proba(df.iloc[rows])[:, 1]
    expected = p if local.output_space == "probability" else model.decision_function(df.iloc[rows])
    np.testing.assert_allclose(local.predictions, expected, rtol=0, atol=1e-9)


def test_linear_behind_one_hot_equals_exact_on_raw_columns(data, models):
    # a logistic model is additive in its one-hot columns, so the summed linear values are the
    # exact Shapley values of the game played on the original columns
    df, _ = data
    linear = _explain(models["logistic"], df, "linear_shap", rows=slice(100, 110), output="log_odds")
    exact = _explain(models["logistic"], df, "exact_shap", rows=slice(100, 110), output="log_odds")
    assert linear.params["summed_from_encoded_columns"] is True
    assert np.abs(linear.values - exact.values).max() < 1e-8
    assert np.abs(linear.base_values - exact.base_values).max() < 1e-8


def test_linear_regression_behind_one_hot_equals_exact():
    df, _ = _frame(seed=1)
    y = 3 * (df["city"] == "paris") + 0.5 * df["age"] - df["income"]
    model = make_pipeline(_encoder(), LinearRegression()).fit(df, y)
    linear = _explain(model, df, "linear_shap", rows=slice(0, 8))
    exact = _explain(model, df, "exact_shap", rows=slice(0, 8))
    assert np.abs(linear.values - exact.values).max() < 1e-8


def _preprocessors():
    from sklearn.compose import make_column_selector
    from sklearn.feature_selection import VarianceThreshold
    from sklearn.impute import SimpleImputer
    from sklearn.model_selection import KFold
    from sklearn.pipeline import make_union
    from sklearn.preprocessing import KBinsDiscretizer, MinMaxScaler, OrdinalEncoder, SplineTransformer, TargetEncoder

    cats, nums = ["city", "grade"], ["age", "income"]
    return {
        "selectors": make_column_transformer(
            (OneHotEncoder(), make_column_selector(dtype_include=object)),
            (StandardScaler(), make_column_selector(dtype_include="number")),
        ),
        "drop_first": make_column_transformer((OneHotEncoder(drop="first"), cats), remainder="passthrough"),
        "if_binary_scaled_remainder": make_column_transformer(
            (OneHotEncoder(drop="if_binary"), cats), remainder=StandardScaler()
        ),
        "infrequent": make_column_transformer(
            (OneHotEncoder(max_categories=2, handle_unknown="infrequent_if_exist"), cats), remainder="passthrough"
        ),
        "reordered_and_dropped": make_column_transformer(
            (StandardScaler(), ["income"]), (OneHotEncoder(), ["grade", "city"]), remainder="drop"
        ),
        "kbins": make_column_transformer(
            (KBinsDiscretizer(n_bins=4, encode="onehot-dense", quantile_method="averaged_inverted_cdf"), nums),
            (OneHotEncoder(), cats),
        ),
        "splines": make_column_transformer((SplineTransformer(n_knots=4), nums), (OrdinalEncoder(), cats)),
        "nested_pipelines": make_column_transformer(
            (make_pipeline(SimpleImputer(add_indicator=True), StandardScaler()), nums),
            (make_pipeline(SimpleImputer(strategy="most_frequent"), OneHotEncoder()), cats),
        ),
        "target_encoder": make_column_transformer((TargetEncoder(cv=KFold(5)), cats), remainder="passthrough"),
        "feature_union": make_column_transformer(
            (make_union(StandardScaler(), MinMaxScaler()), nums), (OneHotEncoder(), cats)
        ),
        "selection_after_encoding": make_pipeline(
            make_column_transformer((OneHotEncoder(sparse_output=False), cats), remainder="passthrough"),
            VarianceThreshold(0.2),
        ),
    }


@pytest.mark.parametrize("name", sorted(_preprocessors()))
def test_column_tracing_through_preprocessors(name):
    # a linear model is additive in its input columns, so linear_shap summed back through the
    # preprocessing equals exact_shap on the original columns only if every column is traced
    df, _ = _frame(seed=2)
    if name == "nested_pipelines":  # with imputers: missing values too
        df.loc[::9, "age"] = np.nan
    y = 3 * (df["city"] == "paris") - (df["grade"] == "B") + 0.05 * df["age"].fillna(40) - df["income"]
    model = make_pipeline(_preprocessors()[name], LinearRegression()).fit(df, y)
    linear = _explain(model, df, "linear_shap", rows=slice(0, 6))
    exact = _explain(model, df, "exact_shap", rows=slice(0, 6))
    assert linear.params["summed_from_encoded_columns"] is True
    assert np.abs(linear.values - exact.values).max() < 1e-8
    assert linear.additivity_error() < 1e-8


def test_column_mixing_inside_a_column_transformer_falls_back(data):
    df, y = data
    pre = make_column_transformer((PolynomialFeatures(degree=2), ["age", "income"]), (OneHotEncoder(), ["city"]))
    model = make_pipeline(pre, LogisticRegression(max_iter=1000)).fit(df[["age", "income", "city"]], y)
    X = df[["age", "income", "city"]]
    local = ex.Explainer(model, background=X.iloc[:15]).explain_local(X.iloc[:3])
    assert local.method == "exact_shap"
    assert "PolynomialFeatures" in local.params["auto"]["skipped"]["linear_shap"]
    assert local.additivity_error() < 1e-6


def test_pca_pipeline_falls_back_and_says_why(data):
    df, y = data
    numeric = df[["age", "income"]]
    model = make_pipeline(StandardScaler(), PCA(n_components=2), LogisticRegression()).fit(numeric, y)
    local = ex.Explainer(model, background=numeric.iloc[:15]).explain_local(numeric.iloc[:3])
    assert local.method in ("exact_shap", "kernel_shap", "permutation_shap")
    skipped = local.params["auto"]["skipped"]
    assert local.params["auto"]["chosen"] == local.method
    assert "PCA" in skipped["linear_shap"]
    assert local.feature_names == ("age", "income")
    assert local.additivity_error() < 1e-6


def test_pca_pipeline_refuses_linear_shap_explicitly(data):
    df, y = data
    numeric = df[["age", "income"]]
    model = make_pipeline(PCA(n_components=2), LogisticRegression()).fit(numeric, y)
    with pytest.raises(ex.errors.MethodError, match="PCA"):
        ex.Explainer(model, background=numeric.iloc[:15], method="linear_shap").explain_local(numeric.iloc[:3])


# --------------------------------------------------------------------------- column_map


def test_column_map_traces_one_hot_and_scaled_columns(models):
    pre = models["logistic"][:-1]
    cmap = column_map(pre, 4)
    # one-hot city (3 columns) and grade (2), then scaled age and income, in input order 0..3
    assert cmap.source.tolist() == [1, 1, 1, 3, 3, 0, 2]
    assert len(cmap.names_out) == 7
    assert not cmap.is_identity


def test_column_map_collapse_sums_groups():
    ct = make_column_transformer((OneHotEncoder(), [1]), remainder="passthrough")
    ct.fit(np.array([[0.5, "a"], [1.5, "b"], [2.5, "c"]], dtype=object))
    cmap = column_map(ct, 2)
    values = np.arange(8.0).reshape(2, 4, 1)  # (n, model columns, outputs)
    collapsed = cmap.collapse(values)
    np.testing.assert_array_equal(collapsed[:, :, 0], [[3.0, 0 + 1 + 2], [7.0, 4 + 5 + 6]])


def test_column_map_handles_dropped_columns():
    X = pd.DataFrame({"a": [1.0, 2.0, 3.0], "b": [0.0, 1.0, 0.0], "c": [5.0, 6.0, 7.0]})
    ct = ColumnTransformer([("scale", StandardScaler(), ["c", "a"])], remainder="drop").fit(X)
    assert column_map(ct, 3).source.tolist() == [2, 0]


@pytest.mark.parametrize("step", [PCA(n_components=2), PolynomialFeatures(degree=2)], ids=["pca", "poly"])
def test_column_map_explains_mixing_steps(step):
    X = np.random.default_rng(0).normal(size=(20, 3))
    reason = column_map(make_pipeline(StandardScaler(), step).fit(X), 3)
    assert isinstance(reason, str)
    assert type(step).__name__ in reason
