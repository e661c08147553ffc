"""The shipped job-application corpus: it is what the documented process generates, and the
planted facts (driving phrases, the penalised gendered words, the disparity) hold and can be
recovered by a model fitted on the text."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from scipy.stats.contingency import association
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline

from explain.datasets import JOBS_EFFECTS, JobsSplits, generate_jobs, jobs_log_odds, jobs_splits, load_jobs
from explain.datasets._jobs import (
    CATEGORIES,
    COLUMNS,
    DATA_FILE,
    INTERCEPT,
    PENALISED,
    SENSITIVE,
    YEARS_EFFECT,
    write_jobs,
)

SHIPPED = Path(__file__).resolve().parent.parent / "explain" / "datasets" / "data" / DATA_FILE


@pytest.fixture(scope="module")
def jobs() -> pd.DataFrame:
    return load_jobs()


def _has(texts: pd.Series, phrase: str) -> np.ndarray:
    pattern = r"\b" + re.escape(phrase) + r"(?!\w)"
    return texts.str.contains(pattern, case=False, regex=True).to_numpy(bool)


def test_shipped_file_is_the_documented_process(jobs):
    pd.testing.assert_frame_equal(jobs, generate_jobs(), check_exact=True)


def test_shipped_bytes_are_regenerated(tmp_path):
    # the gzip header carries the file name (and a pinned time): same name, same bytes
    assert write_jobs(tmp_path / DATA_FILE).read_bytes() == SHIPPED.read_bytes()
    assert SHIPPED.stat().st_size < 200_000


def test_same_seed_same_frame_other_seed_other_frame():
    pd.testing.assert_frame_equal(generate_jobs(n=300, random_state=5), generate_jobs(n=300, random_state=5))
    assert not generate_jobs(n=300, random_state=5).equals(generate_jobs(n=300, random_state=6))


@pytest.mark.parametrize("n", [9, 0, 2.5, True])
def test_too_few_or_not_a_count_is_an_error(n):
    with pytest.raises(ValueError, match="at least 10"):
        generate_jobs(n=n)


def test_schema(jobs):
    assert tuple(jobs.columns) == COLUMNS
    assert jobs.shape == (3000, 5)
    assert jobs["application_id"].tolist() == list(range(1, 3001))
    for name, categories in CATEGORIES.items():
        assert isinstance(jobs[name].dtype, pd.CategoricalDtype), name
        assert tuple(jobs[name].cat.categories) == categories
    assert jobs["application"].notna().all()
    assert all(isinstance(t, str) for t in jobs["application"])
    assert set(jobs["invited"].unique()) == {0, 1}
    assert 0.3 < jobs["invited"].mean() < 0.45


def test_text_as_documented(jobs):
    texts = jobs["application"]
    empty = texts == ""
    assert 0.002 < empty.mean() < 0.01
    lengths = texts[~empty].str.split().str.len()
    assert 25 <= lengths.median() <= 60 and lengths.max() < 100
    resubmitted = texts[~empty].duplicated()
    assert 0.005 < resubmitted.mean() < 0.02
    non_ascii = texts.map(lambda t: any(ord(c) > 127 for c in t))
    assert 0.01 < non_ascii.mean() < 0.08
    assert texts.str.contains("中文").sum() > 0
    # a resubmission copies the applicant too
    copies = jobs[~empty & texts.duplicated(keep=False)]
    for _, group in copies.groupby("application"):
        assert group["gender"].dropna().nunique() <= 1


def test_missing_sensitive_values_as_documented(jobs):
    missing = jobs.isna().mean()
    assert missing[missing > 0].index.tolist() == ["gender", "age_band"]
    assert 0.02 < missing["gender"] < 0.04
    assert 0.01 < missing["age_band"] < 0.03


def test_documented_shape_of_the_log_odds():
    base = "I have {} years of experience as a data analyst."
    z = jobs_log_odds([base.format(k) for k in (0, 1, 4, 10, 25)])
    np.testing.assert_allclose(z - INTERCEPT, YEARS_EFFECT * np.array([0, 1, 4, 10, 10]))
    assert jobs_log_odds("") == pytest.approx(INTERCEPT)
    assert jobs_log_odds([None])[0] == pytest.approx(INTERCEPT)
    for phrase, effect in JOBS_EFFECTS.items():
        assert jobs_log_odds(f"Something about {phrase.upper()} here.")[0] - INTERCEPT == pytest.approx(effect)
    # whole words only: "sqlite" is not "sql", "men's" is not "women's"
    assert jobs_log_odds(["sqlite and the men's team"])[0] == pytest.approx(INTERCEPT)
    # neutral words have no effect
    neutral = "He is a member of the Sigma Chi fraternity. His skills include excel and photoshop."
    assert jobs_log_odds(neutral)[0] == pytest.approx(INTERCEPT)


def test_labels_follow_the_true_log_odds(jobs):
    z = jobs_log_odds(jobs["application"])
    p, y = 1 / (1 + np.exp(-z)), jobs["invited"].to_numpy()
    assert abs(p.mean() - y.mean()) < 0.02
    assert stats.mannwhitneyu(z[y == 1], z[y == 0]).pvalue < 1e-50


def test_planted_effects_recovered_by_maximum_likelihood(jobs):
    """The unpenalised logistic regression on the documented design (phrase indicators and the
    capped years, read from the text) recovers every planted effect within 3 standard errors."""
    texts = jobs["application"]
    years = texts.str.extract(r"(\d+) years? of experience")[0].astype(float).fillna(0).clip(upper=10)
    X = np.column_stack([years.to_numpy(), *[_has(texts, p) for p in JOBS_EFFECTS]]).astype(float)
    model = LogisticRegression(C=np.inf, max_iter=10_000, tol=1e-10).fit(X, jobs["invited"])
    coef = np.concatenate([model.intercept_, model.coef_[0]])
    design = np.column_stack([np.ones(len(X)), X])
    p = model.predict_proba(X)[:, 1]
    se = np.sqrt(np.diag(np.linalg.inv(design.T @ (design * (p * (1 - p))[:, None]))))
    truth = np.array([INTERCEPT, YEARS_EFFECT, *JOBS_EFFECTS.values()])
    names = ["intercept", "years", *JOBS_EFFECTS]
    assert np.all(np.abs(coef - truth) < 3 * se), dict(zip(names, coef.round(2), strict=True))


def test_planted_effects_recovered_by_a_text_model():
    split = jobs_splits()
    model = make_pipeline(TfidfVectorizer(), LogisticRegression(max_iter=2000))
    model.fit(split.X_train["application"], split.y_train)
    coef = dict(zip(model[0].get_feature_names_out(), model[-1].coef_[0], strict=True))
    for word in ("python", "sql", "docker", "kubernetes", "certified", "led", "phd"):
        assert coef[word] > 0.5, word
    assert coef["bootcamp"] < 0
    assert coef["women"] < -1.0  # the penalised gendered word: the model learned the proxy
    # the pronouns and the men's words carry no planted effect: much smaller than "women"
    for word in ("she", "he", "his", "fraternity"):
        assert abs(coef[word]) < abs(coef["women"]) / 2, word


def test_gendered_words_are_correlated_with_gender(jobs):
    known = jobs[jobs["gender"].notna()]
    texts, female = known["application"], (known["gender"] == "female").to_numpy()
    womens = _has(texts, "women's")
    assert womens[~female].sum() == 0 and 0.35 < womens[female].mean() < 0.55
    fraternity = _has(texts, "fraternity")
    assert fraternity[female].sum() == 0 and fraternity[~female].mean() > 0.2
    she = _has(texts, "she")
    assert she[~female].sum() == 0 and 0.45 < she[female].mean() < 0.65
    career = _has(texts, "career break")
    assert career[female].mean() > 2.5 * career[~female].mean()
    table = pd.crosstab(womens, female).to_numpy()
    assert association(table, method="cramer") > 0.4


def test_selection_rates_differ_by_gender(jobs):
    rate = jobs.groupby("gender", observed=True)["invited"].mean()
    assert rate["male"] - rate["female"] > 0.07
    table = pd.crosstab(jobs["gender"], jobs["invited"])
    assert stats.chi2_contingency(table).pvalue < 1e-6
    # without the penalised phrases' effect, the true log-odds of the genders are close
    z = jobs_log_odds(jobs["application"])
    for phrase in PENALISED:
        z = z - JOBS_EFFECTS[phrase] * _has(jobs["application"], phrase)
    by = pd.Series(z).groupby(jobs["gender"].to_numpy()).mean()
    assert abs(by["female"] - by["male"]) < 0.15


def test_age_bands_differ_through_experience(jobs):
    rate = jobs.groupby("age_band", observed=True)["invited"].mean()
    assert rate["18-29"] < rate["30-44"] < rate["45-59"]


def test_jobs_splits():
    split = jobs_splits()
    assert isinstance(split, JobsSplits)
    assert (split.text, split.sensitive, split.target) == ("application", SENSITIVE, "invited")
    assert list(split.X_train.columns) == ["application", *SENSITIVE]
    assert (len(split.X_train), len(split.X_test)) == (2000, 1000)
    assert split.X_train.index.name == "application_id"
    assert split.X_train.index.intersection(split.X_test.index).empty
    frame = load_jobs().set_index("application_id")
    assert split.y_test.equals(frame.loc[split.X_test.index, "invited"])
    other = jobs_splits(random_state=1)
    assert not other.X_train.equals(split.X_train)
