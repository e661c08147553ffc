"""Data-quality profile: planted problems are all found, clean data raises no flag."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import load_diabetes, load_iris

from explain.errors import InputError
from explain.metrics import data_quality


def make_clean(n: int = 600, seed: int = 0) -> tuple[pd.DataFrame, pd.Series]:
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(
        {
            "age": rng.integers(18, 80, n),
            "income": rng.normal(50.0, 10.0, n),
            "debt_ratio": rng.uniform(0, 1, n),
            "region": rng.choice(["north", "south", "east", "west"], n),
            "owner": rng.random(n) < 0.4,
        }
    )
    logit = 0.04 * (X["age"] - 50) + 0.05 * (X["income"] - 50) - 1.5 * (X["debt_ratio"] - 0.5)
    y = pd.Series((logit + rng.logistic(size=n) > 0).astype(int), name="default")
    return X, y


@pytest.fixture(scope="module")
def planted():
    X, y = make_clean()
    rng = np.random.default_rng(1)
    X.loc[::10, "income"] = np.nan
    X = X.assign(
        constant=7.0,
        income_copy=X["income"],  # missing values in the same rows count as equal
        leak=y * 2.0 + rng.normal(0, 0.1, len(y)),  # the target, barely disguised
        leak_code=np.where(y == 1, "closed", "open"),  # a categorical leak
    )
    X.loc[::25, "region"] = None
    X.loc[:10, "debt_ratio"] = 40.0  # 11 far outliers: under 5 %, reported but not flagged
    X = pd.concat([X, X.iloc[:3]], ignore_index=True)  # 3 duplicate rows
    y = pd.concat([y, y.iloc[:3]], ignore_index=True)
    return data_quality(X, y), X, y


def test_clean_data_raises_no_flag():
    X, y = make_clean()
    report = data_quality(X, y)
    assert report.issues.empty, report.issues
    columns = report.columns
    assert not columns[["constant", "outliers", "leaky"]].any().any()
    assert (columns["duplicate_of"] == "").all() and (columns["missing"] == 0).all()
    assert report.duplicate_rows == 0 and not report.target["imbalanced"]
    assert columns["leakage_score"].max() < 0.8


def test_planted_problems_are_all_found(planted):
    report, X, _ = planted
    issues = set(map(tuple, report.issues[["column", "issue"]].to_numpy()))
    assert {
        ("constant", "constant"),
        ("income_copy", "duplicated column"),
        ("leak", "likely leakage"),
        ("leak_code", "likely leakage"),
        ("income", "missing values"),
        ("region", "missing values"),
        ("", "duplicate rows"),
    } <= issues
    assert not any(issue == "likely leakage" and column not in ("leak", "leak_code") for column, issue in issues)
    columns = report.columns
    assert columns.loc["income", "missing"] == X["income"].isna().sum()
    assert columns.loc["income", "missing_share"] == pytest.approx(X["income"].isna().mean())
    assert columns.loc["region", "missing"] == X["region"].isna().sum()
    assert columns.loc["income_copy", "duplicate_of"] == "income"
    assert report.duplicate_rows == 3
    assert columns.loc["leak", "leakage_score"] > 0.99


def test_duplicate_of_names_the_first_column():
    X, _ = make_clean(200)
    X = X.assign(age_float=X["age"].astype(float), region_again=X["region"])
    columns = data_quality(X).columns
    assert columns.loc["age_float", "duplicate_of"] == "age"
    assert columns.loc["region_again", "duplicate_of"] == "region"
    assert columns.loc["age", "duplicate_of"] == ""


def test_counts_kinds_and_outliers_equal_pandas():
    X, _ = make_clean(400)
    X["debt_ratio"] = X["debt_ratio"].where(np.arange(400) % 16 != 0, 9.0)  # 6.25 % far outliers
    columns = data_quality(X).columns
    assert columns["kind"].to_dict() == {
        "age": "numeric", "income": "numeric", "debt_ratio": "numeric", "region": "categorical", "owner": "boolean",
    }  # fmt: skip
    pd.testing.assert_series_equal(columns["n_unique"], X.nunique(), check_names=False)
    values = X["debt_ratio"]
    q1, q3 = values.quantile([0.25, 0.75])
    outside = ((values < q1 - 1.5 * (q3 - q1)) | (values > q3 + 1.5 * (q3 - q1))).mean()
    assert columns.loc["debt_ratio", "outlier_share"] == pytest.approx(outside)
    assert outside == 0.0625 and columns.loc["debt_ratio", "outliers"]
    assert np.isnan(columns.loc["region", "outlier_share"])


def test_class_balance_and_imbalance_flag():
    X, _ = make_clean(500)
    rare = pd.Series(np.where(np.arange(500) < 30, "fraud", "ok"))
    report = data_quality(X, rare)
    assert report.target["class_counts"] == {"fraud": 30, "ok": 470}
    assert report.target["minority_share"] == pytest.approx(0.06) and report.target["imbalanced"]
    assert ("<target>", "class imbalance") in set(map(tuple, report.issues[["column", "issue"]].to_numpy()))


def test_regression_and_multiclass_targets():
    X, y = load_diabetes(return_X_y=True, as_frame=True)
    report = data_quality(X.assign(leak=y + 0.5), y)
    assert report.target == {"task": "regression", "missing": 0}
    assert report.columns.loc["leak", "leaky"] and report.columns["leaky"].sum() == 1
    X, y = load_iris(return_X_y=True, as_frame=True)
    report = data_quality(X, y)
    assert report.target["task"] == "classification" and report.target["class_counts"] == {"0": 50, "1": 50, "2": 50}


def test_deterministic_and_json_ready(planted):
    report, X, y = planted
    again = data_quality(X, y)
    pd.testing.assert_frame_equal(report.columns, again.columns)
    text = json.dumps(report.to_dict(), allow_nan=False)
    assert '"likely leakage"' in text


def test_input_errors():
    X, y = make_clean(50)
    with pytest.raises(InputError, match="y has 49 values but X has 50 rows"):
        data_quality(X, y[:49])
    with pytest.raises(InputError, match="missing values"):
        data_quality(X, y.where(y.index > 0))
    with pytest.raises(InputError, match="non-empty"):
        data_quality(pd.DataFrame())
    with pytest.raises(InputError, match="repeated column names"):
        data_quality(pd.DataFrame(np.ones((3, 2)), columns=["a", "a"]))
