"""The shipped credit data: it is what the documented process generates, and the planted facts hold."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from explain.datasets import CreditSplits, credit_log_odds, credit_splits, generate_credit, load_credit
from explain.datasets._credit import CATEGORIES, COLUMNS, FEATURES, SENSITIVE


@pytest.fixture(scope="module")
def credit() -> pd.DataFrame:
    return load_credit()


def test_shipped_file_is_the_documented_process(credit):
    pd.testing.assert_frame_equal(credit, generate_credit(), check_exact=True)


def test_same_seed_same_frame_other_seed_other_frame():
    pd.testing.assert_frame_equal(generate_credit(n=900, random_state=5), generate_credit(n=900, random_state=5))
    assert not generate_credit(n=900, random_state=5).equals(generate_credit(n=900, random_state=6))


def test_too_few_rows_is_an_error():
    with pytest.raises(ValueError, match="at least 3"):
        generate_credit(n=2)


def test_schema(credit):
    assert tuple(credit.columns) == COLUMNS
    assert credit.shape == (6000, 17)
    assert isinstance(credit.index, pd.RangeIndex)
    assert credit["application_id"].is_unique
    assert credit["application_year"].value_counts().sort_index().to_dict() == {2022: 2000, 2023: 2000, 2024: 2000}
    for name, categories in CATEGORIES.items():
        assert isinstance(credit[name].dtype, pd.CategoricalDtype), name
        assert tuple(credit[name].cat.categories) == categories
    numeric = [c for c in COLUMNS if c not in CATEGORIES]
    floats = {"debt_to_income", "credit_utilization", "employment_years"}
    for name in numeric:
        assert credit[name].dtype == (np.float64 if name in floats else np.int64), name
    assert set(credit["repaid"].unique()) == {0, 1}


def test_realistic_ranges(credit):
    assert credit["age"].between(18, 80).all()
    assert credit["debt_to_income"].between(0, 0.95).all()
    assert credit["credit_utilization"].between(0, 1).all()
    assert credit["loan_amount"].between(1000, 60_000).all()
    assert (credit["credit_history_months"] <= (credit["age"] - 18) * 12 + 11).all()
    assert 0.7 < credit["repaid"].mean() < 0.82


def test_age_band_is_cut_from_age(credit):
    bands = pd.cut(credit["age"], [17, 29, 44, 59, 200], labels=list(CATEGORIES["age_band"]))
    assert (bands.astype(str) == credit["age_band"].astype(str)).all()


def test_missing_values_as_documented(credit):
    missing = credit.isna().mean()
    assert missing[missing > 0].index.tolist() == ["employment_years", "sex"]
    assert 0.025 < missing["employment_years"] < 0.035
    assert 0.02 < missing["sex"] < 0.03


def test_a_few_income_outliers(credit):
    high = credit["income"] > 8 * credit["income"].median()
    assert 5 <= high.sum() <= 30


def test_dummy_and_age_have_no_effect_on_the_true_log_odds(credit):
    z = credit_log_odds(credit)
    rng = np.random.default_rng(0)
    moved = credit.assign(
        months_at_address=rng.permutation(credit["months_at_address"].to_numpy()),
        age=rng.permutation(credit["age"].to_numpy()),
    )
    np.testing.assert_array_equal(credit_log_odds(moved), z)
    # a real driver does move it
    assert not np.allclose(credit_log_odds(credit.assign(late_payments_2y=0)), z, equal_nan=True)


def test_documented_shapes_of_the_drivers():
    one = generate_credit(n=3).iloc[[0]]
    one = one.assign(employment_years=5.0, sex="male", income=50_000, loan_amount=10_000)

    def z(**values):
        return float(credit_log_odds(one.assign(**values))[0])

    # hinge: flat below 35 % utilization, slope -6 above
    assert z(credit_utilization=0.1) == pytest.approx(z(credit_utilization=0.3))
    assert z(credit_utilization=0.6) - z(credit_utilization=0.5) == pytest.approx(-0.6)
    # interaction: the loan-amount effect is -2.3 per income
    assert z(loan_amount=20_000) - z(loan_amount=10_000) == pytest.approx(-2.3 * 10_000 / 50_000)
    rich = one.assign(income=100_000)
    step = credit_log_odds(rich.assign(loan_amount=20_000))[0] - credit_log_odds(rich)[0]
    assert step == pytest.approx(-2.3 * 10_000 / 100_000)
    # label bias: -0.6 for women, none without it
    assert z(sex="female") - z(sex="male") == pytest.approx(-0.6)
    female = one.assign(sex="female")
    assert credit_log_odds(female, label_bias=False)[0] == pytest.approx(z(sex="male"))


def test_labels_follow_the_true_log_odds(credit):
    z = credit_log_odds(credit)
    known = ~np.isnan(z)
    p = 1 / (1 + np.exp(-z[known]))
    y = credit["repaid"].to_numpy()[known]
    assert abs(p.mean() - y.mean()) < 0.02
    assert stats.mannwhitneyu(z[known][y == 1], z[known][y == 0]).pvalue < 1e-50


def test_disparity_between_sexes_is_in_the_labels_and_the_proxy(credit):
    by_sex = credit.groupby("sex", observed=True)
    rate = by_sex["repaid"].mean()
    assert rate["male"] - rate["female"] > 0.1
    table = pd.crosstab(credit["sex"], credit["repaid"])
    assert stats.chi2_contingency(table).pvalue < 1e-20
    part_time = by_sex["employment_type"].apply(lambda s: (s == "part_time").mean())
    assert part_time["female"] > 0.35 > 0.12 > part_time["male"]
    assert by_sex["income"].median()["female"] < 0.8 * by_sex["income"].median()["male"]


def test_drift_in_2024(credit):
    new = credit["application_year"] == 2024

    def p_value(column):
        values = credit[column]
        return stats.ks_2samp(values[new].dropna(), values[~new].dropna()).pvalue

    assert p_value("credit_utilization") < 1e-20
    assert p_value("loan_amount") < 1e-20
    assert p_value("months_at_address") > 0.05
    assert p_value("debt_to_income") > 0.05
    assert credit.loc[new, "credit_utilization"].mean() > credit.loc[~new, "credit_utilization"].mean() + 0.08


def test_credit_splits_are_out_of_time():
    split = credit_splits()
    assert isinstance(split, CreditSplits)
    assert (split.features, split.sensitive, split.target) == (FEATURES, SENSITIVE, "repaid")
    assert list(split.X_train.columns) == [*FEATURES, *SENSITIVE]
    assert (len(split.X_train), len(split.X_test)) == (4000, 2000)
    assert split.X_train.index.name == "application_id"
    assert split.X_train.index.intersection(split.X_test.index).empty
    frame = load_credit().set_index("application_id")
    assert set(frame.loc[split.X_train.index, "application_year"]) == {2022, 2023}
    assert set(frame.loc[split.X_test.index, "application_year"]) == {2024}
    assert split.y_test.equals(frame.loc[split.X_test.index, "repaid"])
    other = credit_splits(random_state=1)
    assert not other.X_train.equals(split.X_train)
