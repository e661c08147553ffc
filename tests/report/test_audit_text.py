"""The audit of a text model: its context, its sections (checked against numbers computed here
by hand, with scipy and scikit-learn), the tabular sections that read only scores and labels,
and the whole evidence document rendered to a PDF and verified."""

from __future__ import annotations

import re
import unicodedata

import numpy as np
import pandas as pd
import pytest
from scipy.stats import chi2_contingency
from scipy.stats.contingency import association
from sklearn.compose import ColumnTransformer
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline

import explain as ex
from explain.datasets import jobs_splits
from explain.errors import FeatureMismatchError, InputError, ModelError, SchemaError
from explain.report._context_text import build_text_context, is_text_audit, is_text_context
from explain.report._policy import ModelCard, Policy
from explain.report._sections_data import performance_section
from explain.report._sections_text import (
    text_data_section,
    text_drift_section,
    text_robustness_section,
)
from explain.report._sections_text_proxies import proxy_tokens, text_fairness_section
from explain.report._sections_text_tokens import (
    explain_text_sample,
    token_importance_section,
    token_reasons_section,
    token_table,
)

POLICY = {"n_bootstrap": 30, "explain_rows": 200, "stability_runs": 2}
SENSITIVE = ["gender", "age_band"]


@pytest.fixture(scope="module")
def jobs():
    return jobs_splits()


@pytest.fixture(scope="module")
def model(jobs):
    return make_pipeline(TfidfVectorizer(), LogisticRegression(max_iter=2000)).fit(
        jobs.X_train["application"], jobs.y_train
    )


def _context(model, jobs, *, policy=None, sensitive=SENSITIVE, reference=None, reason_codes=None, X=None):
    X_train, X_test = X if X is not None else (jobs.X_train, jobs.X_test)
    return build_text_context(
        model,
        X_train,
        jobs.y_train,
        X_test,
        jobs.y_test,
        sensitive_features=sensitive,
        reference=reference,
        reason_codes=reason_codes,
        card=ModelCard(),
        policy=Policy(**{**POLICY, **(policy or {})}),
        random_state=0,
        log=lambda _: None,
        progress=False,
    )


@pytest.fixture(scope="module")
def ctx(model, jobs):
    context = _context(model, jobs)
    explain_text_sample(context)
    return context


def _block(section, block_id, kind="table"):
    return next(b for b in section["blocks"] if b.get("id") == block_id and b["type"] == kind)


def _finding(found, finding_id):
    return next(f for f in found if f["id"] == finding_id)


# --------------------------------------------------------------------------- context


def test_text_models_and_inputs_are_detected(model, jobs):
    assert is_text_audit(model, jobs.X_test)
    assert is_text_audit(model, jobs.X_test["application"])
    assert is_text_audit(LogisticRegression(), jobs.X_test["application"])  # documents given: text
    table = LogisticRegression().fit(np.eye(4), [0, 1, 0, 1])
    assert not is_text_audit(table, pd.DataFrame(np.eye(4)))


def test_context_holds_the_text_column_and_the_model_scores(ctx, model, jobs):
    assert is_text_context(ctx)
    assert list(ctx.X_test.columns) == ["application"]
    assert ctx.X_test.index.equals(jobs.X_test.index)
    np.testing.assert_array_equal(ctx.scores_test, model.predict_proba(jobs.X_test["application"])[:, 1])
    np.testing.assert_array_equal(ctx.y_test, jobs.y_test.to_numpy())
    assert list(ctx.sensitive_test.columns) == SENSITIVE
    assert [d["name"] for d in ctx.datasets] == ["train", "test"]


def test_series_of_documents_with_sensitive_frame(model, jobs):
    series = _context(
        model,
        jobs,
        sensitive=jobs.X_test[SENSITIVE].reset_index(drop=True),
        X=(jobs.X_train["application"], jobs.X_test["application"]),
    )
    np.testing.assert_array_equal(series.scores_test, model.predict_proba(jobs.X_test["application"])[:, 1])
    assert list(series.X_test.columns) == ["application"]


def test_column_transformer_on_one_named_column(jobs):
    pipe = Pipeline(
        [
            ("columns", ColumnTransformer([("text", TfidfVectorizer(), "application")])),
            ("model", LogisticRegression(max_iter=2000)),
        ]
    ).fit(jobs.X_train, jobs.y_train)
    context = _context(pipe, jobs)
    np.testing.assert_array_equal(context.scores_test, pipe.predict_proba(jobs.X_test)[:, 1])
    reader = context.extras["text"].reader
    np.testing.assert_allclose(
        reader.predict_proba(jobs.X_test["application"].tolist())[:, 1], context.scores_test, atol=1e-12
    )


def test_refusals_say_what_to_do(model, jobs):
    with pytest.raises(FeatureMismatchError, match="one column of documents"):
        _context(model, jobs, sensitive=["gender"])  # age_band left as a second candidate column
    holes = jobs.X_test.copy()
    holes.iloc[3, 0] = None
    with pytest.raises(InputError, match=r"missing document.*replace them with ''"):
        _context(model, jobs, X=(jobs.X_train, holes))
    both = Pipeline(
        [
            ("columns", ColumnTransformer([("text", TfidfVectorizer(), "application"), ("n", "passthrough", ["n"])])),
            ("model", LogisticRegression()),
        ]
    ).fit(jobs.X_train.assign(n=1.0), jobs.y_train)
    with pytest.raises(ModelError, match="reads text and other columns"):
        _context(both, jobs)
    listed = Pipeline([("columns", ColumnTransformer([("text", TfidfVectorizer(), ["application"])]))])
    listed.steps.append(("model", LogisticRegression()))
    with pytest.raises(ModelError, match="as a list"):
        _context(listed, jobs)
    regressor = make_pipeline(TfidfVectorizer(), LinearRegression()).fit(jobs.X_train["application"], jobs.y_train)
    with pytest.raises(ModelError, match="binary classifier"):
        _context(regressor, jobs)


def test_too_few_documents_are_refused_with_the_count(model, jobs):
    with pytest.raises(InputError, match=r"X_test has 9 rows; an audit needs at least 10"):
        _context(model, jobs, X=(jobs.X_train, jobs.X_test.iloc[:9]))
    with pytest.raises(InputError, match=r"reference has 4 rows; drift is measured against at least 10.*=None"):
        _context(model, jobs, reference=jobs.X_train.iloc[:4])
    assert len(_context(model, jobs, reference=jobs.X_train.iloc[:10]).reference) == 10


def test_a_sensitive_feature_that_is_not_a_column_is_named(model, jobs):
    with pytest.raises(FeatureMismatchError, match=r"sensitive_features \['race'\] is not a column of X_test"):
        _context(model, jobs, sensitive=["race"])
    with pytest.raises(FeatureMismatchError, match=r"\['race'\] is not a column of X_test"):
        ex.audit(model, jobs.X_train, jobs.y_train, jobs.X_test, jobs.y_test, sensitive_features=["race"])


def test_a_plain_function_is_refused_with_what_audit_takes(model, jobs):
    def screen(docs):
        return model.predict_proba(list(docs))

    for X_train, X_test in ((jobs.X_train, jobs.X_test), (jobs.X_train["application"], jobs.X_test["application"])):
        with pytest.raises(ModelError, match=r"plain function.*no task=.*Wrap the function") as caught:
            ex.audit(screen, X_train, jobs.y_train, X_test, jobs.y_test, sensitive_features=jobs.X_test[["gender"]])
        assert "Pass task=" not in str(caught.value)


def test_the_advice_for_a_plain_function_works(model, jobs):
    # the wrapper the message describes, audited on Series of documents
    from sklearn.base import BaseEstimator, ClassifierMixin

    class Wrapped(ClassifierMixin, BaseEstimator):
        def __init__(self, fn=None):
            self.fn = fn

        def fit(self, X, y):
            self.classes_ = np.unique(y)
            return self

        def predict_proba(self, X):
            return np.asarray(self.fn(list(X)))

        def predict(self, X):
            return self.classes_[self.predict_proba(X).argmax(axis=1)]

    wrapped = Wrapped(lambda docs: model.predict_proba(docs)).fit(None, jobs.y_train)
    context = _context(
        wrapped, jobs, sensitive=jobs.X_test[["gender"]], X=(jobs.X_train["application"], jobs.X_test["application"])
    )
    np.testing.assert_allclose(context.scores_test, model.predict_proba(jobs.X_test["application"])[:, 1])


# --------------------------------------------------------------------------- data


def test_data_section_counts_by_hand(ctx, jobs):
    section, found = text_data_section(ctx)
    rows = {r["data"]: r for r in _block(section, "documents")["rows"]}
    for name, X in (("train", jobs.X_train), ("test", jobs.X_test)):
        docs = X["application"]
        assert rows[name]["documents"] == len(docs)
        assert rows[name]["empty"] == int((docs.str.strip() == "").sum())
        assert rows[name]["duplicates"] == int(docs[docs != ""].duplicated().sum())
        assert rows[name]["non_ascii"] == int(docs.map(lambda d: not d.isascii()).sum())
        assert rows[name]["median_tokens"] == float(np.median([len(re.findall(r"\w+", d)) for d in docs]))
    han = sum(any("CJK" in unicodedata.name(c, "") for c in d) for d in jobs.X_test["application"])
    scripts = {r["script"]: r for r in _block(section, "scripts")["rows"]}
    assert scripts["CJK (Han)"]["test"] == han > 0
    assert scripts["Latin"]["test"] > 0
    missing = _finding(found, "data.missing")
    assert missing["observed"] == pytest.approx(max(8 / 2000, 9 / 1000))
    in_train = jobs.X_test["application"].isin(set(jobs.X_train["application"]) - {""}).sum()
    duplicates = _finding(found, "data.duplicates")
    docs = jobs.X_test["application"]
    filled = docs.str.strip() != ""
    either = filled & (docs.duplicated() | docs.isin(set(jobs.X_train["application"]) - {""}))
    assert duplicates["observed"] == pytest.approx(either.sum() / 1000)
    assert f"{in_train} are also training documents ({either.sum()} distinct test rows" in duplicates["message"]
    assert _finding(found, "data.leakage")["status"] == "pass"


def test_a_test_document_repeated_and_in_training_counts_once(model, jobs):
    # one document three times in the test data and twice in the training data: three rows, not 2 + 3
    doc = "A unique python and sql application written only for this test."
    X_train, X_test = jobs.X_train.copy(), jobs.X_test.copy()
    X_train.iloc[:2, 0] = doc
    X_test.iloc[:3, 0] = doc
    baseline = _finding(text_data_section(_context(model, jobs))[1], "data.duplicates")["observed"]
    context = _context(model, jobs, X=(X_train, X_test))
    observed = _finding(text_data_section(context)[1], "data.duplicates")["observed"]
    docs = X_test["application"]
    either = (docs.str.strip() != "") & (docs.duplicated() | docs.isin(set(X_train["application"]) - {""}))
    assert observed == pytest.approx(either.sum() / len(docs))
    assert observed <= baseline + 3 / len(docs)


def test_scripts_are_read_from_letters_only(model, jobs):
    from explain.report._sections_text import _script

    letters = "\N{LATIN SMALL LETTER E WITH ACUTE}\N{FULLWIDTH LATIN CAPITAL LETTER A}\u4e2d\u3042\u30a2\u0414\u03b1"
    expected = ["Latin", "Latin", "CJK (Han)", "Hiragana", "Katakana", "Cyrillic", "Greek"]
    assert [_script(c) for c in letters] == expected
    marks = "\U0001f600\N{FULLWIDTH COMMA}\N{IDEOGRAPHIC FULL STOP}\u201c\u2014\u20ac"
    assert {_script(c) for c in marks} == {"symbols and punctuation"}
    assert _script("\N{ARABIC-INDIC DIGIT ONE}") == "numbers"
    X_test = jobs.X_test.copy()
    added = " \U0001f600 \N{FULLWIDTH LEFT PARENTHESIS}ok\N{FULLWIDTH RIGHT PARENTHESIS}\N{IDEOGRAPHIC FULL STOP}"
    X_test.iloc[:5, 0] = X_test.iloc[:5, 0] + added
    section, _ = text_data_section(_context(model, jobs, X=(jobs.X_train, X_test)))
    scripts = {r["script"]: r["test"] for r in _block(section, "scripts")["rows"]}
    assert not {"Grinning", "Fullwidth", "Ideographic"} & set(scripts)
    # by hand: documents holding a character outside ASCII that is not a letter, mark or digit
    symbols = X_test["application"].map(
        lambda d: any(ord(c) > 127 and not c.isspace() and unicodedata.category(c)[0] not in "LMN" for c in d)
    )
    assert scripts["symbols and punctuation"] == symbols.sum() >= 5


def test_a_word_that_gives_the_label_away_is_leakage(model, jobs):
    leaked = jobs.X_train.copy()
    leaked["application"] = leaked["application"] + np.where(jobs.y_train == 1, " Shortlisted.", "")
    context = _context(model, jobs, X=(leaked, jobs.X_test))
    _, found = text_data_section(context)
    leakage = _finding(found, "data.leakage")
    assert leakage["status"] == "fail" and "shortlisted (1.000)" in leakage["message"]


# --------------------------------------------------------------------------- explanations


def test_token_importance_from_the_explanations(ctx, model):
    exp = ctx.extras["text_explanation"]
    assert exp.method == "glassbox" and exp.n_rows == 200
    frame = exp.to_frame()
    frame["token"] = frame["token"].str.lower()
    by_hand = frame.groupby("token")["value"].agg(lambda v: np.abs(v).sum() / exp.n_rows)
    table = token_table(ctx)
    np.testing.assert_allclose(table["influence"], by_hand.reindex(table.index), rtol=1e-12)
    # glass box of a linear model: a word's contribution is its coefficient times its tf-idf value
    vectorizer, linear = model[0], model[-1]
    doc = exp.documents[0]
    x = vectorizer.transform([doc]).toarray()[0]
    for token, value in zip(exp.tokens[0], exp.values[0], strict=True):
        j = vectorizer.vocabulary_.get(token.lower())
        count = sum(1 for t in exp.tokens[0] if t.lower() == token.lower())
        expected = 0.0 if j is None else linear.coef_[0, j] * x[j] / count
        assert value == pytest.approx(expected, abs=1e-12)
    section, found = token_importance_section(ctx)
    assert _finding(found, "global.additivity")["status"] == "pass"
    ranked = [r["token"] for r in _block(section, "token_importance")["rows"]]
    assert {"python", "sql", "women"} <= set(ranked[:12])


def test_proxy_words_by_hand(ctx, jobs):
    frame = proxy_tokens(ctx)
    docs = jobs.X_test["application"].str.lower()
    gender = jobs.X_test["gender"]
    known = gender.notna()
    for word in ("women", "she", "fraternity", "career"):
        row = frame[(frame["token"] == word) & (frame["attribute"] == "gender")].iloc[0]
        present = docs[known].str.contains(rf"\b{word}\b", regex=True)
        table = pd.crosstab(present, gender[known].astype(str))
        group = row["group"]
        share = table.loc[True, group] / table.loc[True].sum()
        base = table[group].sum() / table.to_numpy().sum()
        assert row["documents"] == table.loc[True].sum()
        assert row["group_share"] == pytest.approx(share)
        assert row["concentration"] == pytest.approx((share - base) / (1 - base))
        assert row["cramers_v"] == pytest.approx(association(table.to_numpy(), method="cramer"))
        assert row["p_value"] == pytest.approx(chi2_contingency(table.to_numpy())[1], rel=1e-9)
    flagged = set(ctx.extras["protected"])
    # the penalised word and the clubs only women name carry weight; the pronouns are proxies without weight
    assert {"women", "chess", "rowing"} <= flagged
    assert not {"she", "her", "he", "his", "career"} & flagged
    she = frame[(frame["token"] == "she") & (frame["attribute"] == "gender")].iloc[0]
    assert she["proxy"] and not she["carries_weight"]


def test_fairness_section_keeps_the_rates_and_checks_words(ctx, jobs):
    section, found = text_fairness_section(ctx)
    proxies = _finding(found, "fairness.protected_inputs")
    assert proxies["status"] == "warn" and proxies["observed"] == len(ctx.extras["protected"])
    assert "'women'" in proxies["message"]
    assert not any(b.get("id") == "protected_inputs" for b in section["blocks"])
    assert _block(section, "proxy_tokens")["rows"][0]["concentration"] == pytest.approx(1.0)
    # the group rates are the tabular section's: selection at the threshold, by hand
    selected = ctx.scores_test >= 0.5
    female, male = (jobs.X_test["gender"] == "female").to_numpy(), (jobs.X_test["gender"] == "male").to_numpy()
    ratio = _finding(found, "fairness.impact_ratio.gender")
    assert ratio["observed"] == pytest.approx(selected[female].mean() / selected[male].mean())
    assert ratio["status"] == "fail"


def test_the_datasheet_and_the_section_say_what_the_proxy_check_cannot_catch(ctx):
    from importlib.resources import files

    sheet = " ".join(files("explain.datasets").joinpath("jobs.md").read_text(encoding="utf-8").split())
    frame = proxy_tokens(ctx)
    gender = frame[frame["attribute"] == "gender"].set_index("token")
    career, women = gender.loc["career"], gender.loc["women"]
    assert not career["proxy"] and women["proxy"] and women["carries_weight"]
    assert f"75 % of their {career['documents']} test documents are women's" in sheet
    assert f"a concentration of {career['concentration']:.2f} against the default threshold of 0.8" in sheet
    assert f"every one of its {women['documents']} test documents is a woman's" in sheet
    assert round(career["group_share"] * 100) == 75
    section, _ = text_fairness_section(ctx)
    text = " ".join(b.get("text", "") for b in section["blocks"] if b["type"] == "text")
    assert "What this check cannot catch" in text and "impact ratio" in text


@pytest.mark.parametrize("limit", [1, 15])
def test_every_flagged_word_is_in_the_evidence_table(ctx, monkeypatch, limit):
    import explain.report._sections_text_proxies as proxies_module

    monkeypatch.setattr(proxies_module, "TOP_PROXIES", limit)
    section, _ = text_fairness_section(ctx)
    rows = _block(section, "proxy_tokens")["rows"]
    frame = proxy_tokens(ctx)
    flagged = frame[frame["proxy"] & frame["carries_weight"]]
    assert len(flagged) >= 3
    shown = {(r["token"], r["attribute"]) for r in rows if r["flag"] == "proxy with weight"}
    assert shown == set(zip(flagged["token"], flagged["attribute"], strict=True))
    assert len(rows) == max(limit, len(flagged))
    assert [r["concentration"] for r in rows] == sorted((r["concentration"] for r in rows), reverse=True)


def test_policy_fail_and_allow_for_proxy_words(model, jobs):
    for value, status in (("fail", "fail"), ("allow", "info")):
        context = _context(model, jobs, policy={"protected_inputs": value})
        _, found = text_fairness_section(context)
        assert _finding(found, "fairness.protected_inputs")["status"] == status


def test_reasons_of_adverse_decisions_are_words(ctx):
    section, found = token_reasons_section(ctx)
    exp, sample = ctx.extras["text_explanation"], ctx.sample
    adverse = np.flatnonzero(ctx.scores_test[sample] < 0.5)
    # by hand: a word's occurrences summed; the most negative words of each adverse document are its reasons
    citing = 0
    for r in adverse:
        words = pd.Series(np.asarray(exp.values[r])).groupby([t.lower() for t in exp.tokens[r]], sort=False).sum()
        top = set(words[words < -1e-9].sort_values(kind="stable").index[: ctx.policy.max_reasons])
        citing += bool(top & set(ctx.extras["protected"]))
    protected = _finding(found, "local.protected_reasons")
    assert protected["observed"] == citing > 0
    assert _finding(found, "local.reason_stability")["observed"] == 1.0  # the glass box is deterministic
    assert _finding(found, "local.codes")["status"] == "warn"
    cited = {r["token"] for r in _block(section, "cited_tokens")["rows"]}
    assert "women" in cited


def test_adverse_decisions_documents_are_highlighted_by_contribution(ctx):
    section, _ = token_reasons_section(ctx)
    exp, sample = ctx.extras["text_explanation"], ctx.sample
    ids = {r["id"] for r in _block(section, "adverse_decisions")["rows"]}
    explained = {str(ctx.X_test.index[p]): i for i, p in enumerate(sample)}
    shown = [b for b in section["blocks"] if b["type"] == "highlighted_text"]
    assert 1 <= len(shown) <= 3
    rows = [explained[b["id"].removeprefix("highlighted_")] for b in shown]
    scale = max(np.abs(np.asarray(exp.values[r])).max() for r in rows)  # one scale for all
    for b, r in zip(shown, rows, strict=True):
        assert b["id"].removeprefix("highlighted_") in ids
        assert "".join(b["tokens"]) == exp.documents[r]
        assert b["tokens"][1::2] == list(exp.tokens[r]) and b["values"][0::2] == [None] * (len(exp.tokens[r]) + 1)
        np.testing.assert_array_equal(b["values"][1::2], exp.values[r])
        assert b["scale"] == pytest.approx(scale)


def test_a_repeated_word_is_one_reason_in_the_notice(model, jobs):
    X_test = jobs.X_test.copy()
    X_test["application"] = X_test["application"] + " excel excel excel Excel"
    context = _context(model, jobs, X=(jobs.X_train, X_test))
    explain_text_sample(context)
    section, _ = token_reasons_section(context)
    for row in _block(section, "adverse_decisions")["rows"]:
        words = [w.split(" (")[0] for w in row["reasons"].split("; ")]
        assert len(words) == len(set(words)), row["reasons"]
    notice = next(b for b in section["blocks"] if b["type"] == "notice")
    lines = [line for line in notice["text"].splitlines() if re.match(r"\d+\. ", line)]
    assert len(lines) == len(set(lines)) >= 1


def test_a_vectorizer_with_its_own_preprocessor_is_audited(jobs):
    from sklearn.feature_extraction.text import CountVectorizer

    def female(text):
        return text.lower().replace("women's", "female")

    model = make_pipeline(CountVectorizer(preprocessor=female), LogisticRegression(max_iter=2000)).fit(
        jobs.X_train["application"], jobs.y_train
    )
    context = _context(model, jobs, policy={"explain_rows": 60})
    explain_text_sample(context)
    exp = context.extras["text_explanation"]
    assert exp.method != "glassbox" and "glassbox" in exp.params["auto"]["skipped"]
    _, found = token_importance_section(context)
    assert _finding(found, "global.additivity")["status"] == "pass"


def test_reason_codes_keyed_by_word(model, jobs):
    codes = {"women": ("W01", "Membership of a women's organisation (a proxy: not job-related)")}
    context = _context(model, jobs, reason_codes=codes)
    section, found = token_reasons_section(context)
    assert _finding(found, "local.codes")["status"] == "pass"
    rows = _block(section, "adverse_decisions")["rows"]
    assert any("W01 (" in r["reasons"] for r in rows)


def test_robustness_when_words_are_lost(model, jobs):
    none = _context(model, jobs, policy={"noise_scale": 0.0})
    explain_text_sample(none)
    _, found = text_robustness_section(none)
    assert _finding(found, "robustness.noise")["observed"] == 0.0
    every = _context(model, jobs, policy={"noise_scale": 1.0})
    explain_text_sample(every)
    _, found = text_robustness_section(every)
    # every word removed: each document reads as its separators, scored as the empty document
    empty = model.predict_proba([""])[0, 1] >= 0.5
    expected = float(np.mean((every.scores_test >= 0.5) != empty))
    assert _finding(found, "robustness.noise")["observed"] == pytest.approx(expected)
    assert _finding(found, "robustness.explanations")["observed"] == pytest.approx(1.0)


def test_drift_on_document_features(model, jobs):
    half = jobs.X_train.copy()
    half["application"] = half["application"].map(lambda d: " ".join(d.split()[: len(d.split()) // 2]))
    context = _context(model, jobs, reference=half)
    section, found = text_drift_section(context)
    rows = {r["feature"]: r for r in _block(section, "drift")["rows"]}
    assert set(rows) == {"tokens", "characters", "non_ascii_share", "out_of_vocabulary_share"}
    assert rows["tokens"]["psi"] > 1 and _finding(found, "drift.features")["status"] == "fail"
    same = _context(model, jobs)
    _, found = text_drift_section(same)
    assert _finding(found, "drift.features")["status"] == "pass"


def test_performance_section_reads_scores_as_for_a_table(ctx):
    from sklearn.metrics import roc_auc_score

    _, found = performance_section(ctx)
    assert _finding(found, "performance.test_score")["observed"] == pytest.approx(
        roc_auc_score(ctx.y_test, ctx.scores_test)
    )


# --------------------------------------------------------------------------- the whole report


def _audit(model, jobs):
    return ex.audit(
        model,
        jobs.X_train,
        jobs.y_train,
        jobs.X_test,
        jobs.y_test,
        sensitive_features=SENSITIVE,
        policy=POLICY,
        generated_at="2026-01-01T00:00:00Z",
    )


@pytest.fixture(scope="module")
def report(model, jobs):
    return _audit(model, jobs)


def test_evidence_has_every_section_and_is_valid(report):
    from explain.report._schema import OPTIONAL_SECTIONS, SECTION_TITLES
    from explain.report._validation import check_evidence

    check_evidence(report.evidence)
    ids = [s["id"] for s in report.evidence["sections"]]
    assert ids == [s for s in SECTION_TITLES if s not in OPTIONAL_SECTIONS]
    assert report.verdict == "fail"
    status = report.findings.set_index("id")["status"]
    assert status["fairness.impact_ratio.gender"] == "fail"
    assert status["fairness.protected_inputs"] == "warn"
    assert status["global.additivity"] == "pass"


def test_load_of_audit_evidence_points_to_the_audit_reader(report, tmp_path):
    path = report.to_json(tmp_path / "audit.json")
    with pytest.raises(SchemaError, match=r"audit report's evidence.*AuditReport\.from_json"):
        ex.load(path)
    assert ex.AuditReport.from_json(path).evidence_sha256 == report.evidence_sha256


def test_same_inputs_same_evidence(report, model, jobs):
    again = _audit(model, jobs)
    assert again.evidence_sha256 == report.evidence_sha256


def test_pdf_renders_and_verifies(report, tmp_path):
    pytest.importorskip("typst")
    pypdf = pytest.importorskip("pypdf")
    from explain.report._verify import verify_pdf

    path = report.to_pdf(tmp_path / "audit.pdf")
    assert verify_pdf(path).verdict == "verified"
    text = "\n".join(page.extract_text() or "" for page in pypdf.PdfReader(str(path)).pages)
    assert "Every flagged word and the words most concentrated in one group" in text
    assert "its document highlighted by contribution" in text
    assert "Most influential tokens" in text
    assert "women" in text
