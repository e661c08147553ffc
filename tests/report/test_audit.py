"""explain.audit: the evidence document, checked against independent references.

Fairness numbers against fairlearn, drift against scipy.stats, performance against sklearn;
the verdict against the policy; determinism; bad input; the user's data left untouched.
"""

from __future__ import annotations

import json
from importlib import metadata

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from sklearn.compose import ColumnTransformer
from sklearn.dummy import DummyClassifier
from sklearn.ensemble import RandomForestRegressor
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

import explain as ex
from explain.errors import FeatureMismatchError, InputError, ModelError, ModelNotFittedError, SchemaError
from explain.report import AuditReport, ModelCard, Policy

fairlearn_metrics = pytest.importorskip("fairlearn.metrics")

FAST = {"explain_rows": 80, "n_bootstrap": 40, "stability_runs": 2}
STAMP = "2026-01-02T03:04:05Z"


def _data(n: int = 1600, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    sex = rng.choice(["f", "m"], n, p=[0.45, 0.55])
    band = rng.choice(["<30", "30-50", ">50"], n)
    X = pd.DataFrame(
        {
            "income": rng.lognormal(10, 0.4, n) * np.where(sex == "m", 1.25, 1.0),
            "debt": rng.uniform(0, 1, n),
            "history": rng.integers(0, 300, n).astype(float),
            "purpose": rng.choice(["car", "home", "other"], n),
        }
    )
    logit = 0.9 * (np.log(X["income"]) - 10) / 0.4 - 2.0 * X["debt"] + X["history"] / 150 - 0.2
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    X["sex"], X["age_band"] = sex, band
    X.loc[rng.random(n) < 0.01, "sex"] = None  # a few unknown
    return X, y


def _pipeline() -> object:
    pre = ColumnTransformer(
        [("num", StandardScaler(), ["income", "debt", "history"]), ("cat", OneHotEncoder(), ["purpose"])]
    )
    return make_pipeline(pre, LogisticRegression(max_iter=500))


@pytest.fixture(scope="module")
def case() -> dict:
    X, y = _data()
    X_train, X_test, y_train, y_test = X[:1000], X[1000:], y[:1000], y[1000:]
    features = ["income", "debt", "history", "purpose"]
    model = _pipeline().fit(X_train[features], y_train)
    before = (X_train.copy(), X_test.copy())
    report = ex.audit(
        model,
        X_train,
        y_train,
        X_test,
        y_test,
        sensitive_features=["sex", "age_band"],
        policy=FAST,
        generated_at=STAMP,
        card={"name": "credit-lr", "version": "1.0"},
    )
    return {
        "report": report,
        "model": model,
        "X_train": X_train,
        "X_test": X_test,
        "y_train": y_train,
        "y_test": y_test,
        "features": features,
        "before": before,
    }


def test_every_section_is_present_in_reading_order(case: dict) -> None:
    from explain.report._schema import OPTIONAL_SECTIONS, SECTION_TITLES

    ids = [s["id"] for s in case["report"].evidence["sections"]]
    assert ids == [s for s in SECTION_TITLES if s not in OPTIONAL_SECTIONS]


def test_fairness_numbers_equal_fairlearn(case: dict) -> None:
    report, model = case["report"], case["model"]
    X_test, y_test = case["X_test"], case["y_test"]
    decision = (model.predict_proba(X_test[case["features"]])[:, 1] >= 0.5).astype(int)
    table = report.table("fairness", "fairness_age_band").set_index("group")
    frame = fairlearn_metrics.MetricFrame(
        metrics={
            "selection_rate": fairlearn_metrics.selection_rate,
            "tpr": fairlearn_metrics.true_positive_rate,
            "fpr": fairlearn_metrics.false_positive_rate,
        },
        y_true=y_test,
        y_pred=decision,
        sensitive_features=X_test["age_band"].to_numpy(),
    )
    for group, row in frame.by_group.iterrows():
        assert table.loc[group, "selection_rate"] == pytest.approx(row["selection_rate"], abs=1e-9)
        assert table.loc[group, "tpr"] == pytest.approx(row["tpr"], abs=1e-9)
        assert table.loc[group, "fpr"] == pytest.approx(row["fpr"], abs=1e-9)
    ratio = fairlearn_metrics.demographic_parity_ratio(
        y_test, decision, sensitive_features=X_test["age_band"].to_numpy()
    )
    finding = report.findings.set_index("id").loc["fairness.impact_ratio.age_band"]
    assert finding["observed"] == pytest.approx(ratio, abs=1e-9)
    # counts: every row counted once, unknown sex included
    sex = report.table("fairness", "fairness_sex").set_index("group")
    assert sex["count"].sum() == len(X_test)
    assert sex.loc["unknown", "count"] == X_test["sex"].isna().sum()


def test_drift_statistics_equal_scipy(case: dict) -> None:
    table = case["report"].table("drift", "drift").set_index("feature")
    X_train, X_test = case["X_train"], case["X_test"]
    for name in ("income", "debt", "history"):
        ks = stats.ks_2samp(X_train[name], X_test[name])
        assert table.loc[name, "test"] == "ks"
        assert table.loc[name, "statistic"] == pytest.approx(ks.statistic, abs=1e-12)
        assert table.loc[name, "p_value"] == pytest.approx(ks.pvalue, rel=1e-9)


def test_performance_equals_sklearn(case: dict) -> None:
    report, model = case["report"], case["model"]
    scores = model.predict_proba(case["X_test"][case["features"]])[:, 1]
    table = report.table("performance", "generalization").set_index("data")
    assert table.loc["test", "value"] == pytest.approx(roc_auc_score(case["y_test"], scores), abs=1e-12)
    assert table.loc["test", "low"] <= table.loc["test", "value"] <= table.loc["test", "high"]


def test_explanations_add_up_and_reasons_are_capped(case: dict) -> None:
    findings = case["report"].findings.set_index("id")
    assert findings.loc["global.additivity", "status"] == "pass"
    decisions = case["report"].table("local_explanations", "adverse_decisions")
    assert len(decisions) > 0
    assert all(0 < r.count(";") + 1 <= 4 for r in decisions["reasons"])


def test_verdict_is_the_worst_finding(case: dict) -> None:
    report = case["report"]
    statuses = set(report.findings["status"])
    expected = "fail" if "fail" in statuses else "warn" if "warn" in statuses else "pass"
    assert report.verdict == expected
    counts = report.evidence["report"]["counts"]
    assert sum(counts.values()) == len(report.findings)


def test_a_strict_policy_fails_and_a_lenient_one_passes_the_impact_ratio() -> None:
    X, y = _data(seed=1)
    # no 4-row "unknown" group: it would hide f as well (complementary suppression), leaving m alone
    X["sex"] = X["sex"].fillna("m")
    feats = ["income", "debt", "history", "purpose"]
    model = _pipeline().fit(X[:1000][feats], y[:1000])
    strict = ex.audit(
        model,
        X[:1000],
        y[:1000],
        X[1000:],
        y[1000:],
        sensitive_features=["sex"],
        policy={**FAST, "min_impact_ratio": 0.99},
        generated_at=STAMP,
    )
    lenient = ex.audit(
        model,
        X[:1000],
        y[:1000],
        X[1000:],
        y[1000:],
        sensitive_features=["sex"],
        policy={**FAST, "min_impact_ratio": 0.1},
        generated_at=STAMP,
    )
    s = strict.findings.set_index("id").loc["fairness.impact_ratio.sex"]
    assert s["status"] in ("fail", "warn")
    assert strict.verdict == "fail" or s["status"] == "warn"
    assert lenient.findings.set_index("id").loc["fairness.impact_ratio.sex", "status"] == "pass"


def test_same_inputs_same_evidence_bytes(case: dict, tmp_path) -> None:
    again = ex.audit(
        case["model"],
        case["X_train"],
        case["y_train"],
        case["X_test"],
        case["y_test"],
        sensitive_features=["sex", "age_band"],
        policy=FAST,
        generated_at=STAMP,
        card={"name": "credit-lr", "version": "1.0"},
    )
    assert again.evidence_sha256 == case["report"].evidence_sha256
    path = case["report"].to_json(tmp_path / "evidence.json")
    loaded = AuditReport.from_json(path)
    assert loaded.evidence_sha256 == case["report"].evidence_sha256
    assert json.loads(path.read_bytes())["schema"] == "explain.audit"


def test_user_data_is_not_modified(case: dict) -> None:
    pd.testing.assert_frame_equal(case["X_train"], case["before"][0])
    pd.testing.assert_frame_equal(case["X_test"], case["before"][1])


def test_provenance_records_hashes_and_the_call(case: dict) -> None:
    prov = case["report"].evidence["provenance"]
    assert [d["name"] for d in prov["datasets"]] == ["train", "test"]
    assert all(len(d["sha256"]) == 64 for d in prov["datasets"])
    assert prov["call"].startswith("explain.audit(")
    assert "sensitive_features=['sex', 'age_band']" in prov["call"]


def test_the_library_table_lists_what_the_numbers_and_pages_depend_on(case: dict) -> None:
    import numba
    import typst  # noqa: F401  (a test dependency: the pdf extra)

    versions = case["report"].evidence["provenance"]["versions"]
    # a scikit-learn pipeline: lightgbm, xgboost or interpret may be installed here, and are not
    # listed; numba compiles the tree-SHAP kernels and is; matplotlib and typst render the pages,
    # and verify renders them again with the versions the (hashed) evidence records
    assert set(versions) == {
        "python", "explain", "numpy", "scipy", "pandas", "scikit-learn", "shap", "numba", "matplotlib", "typst"
    }  # fmt: skip
    assert versions["numba"] == numba.__version__
    assert versions["typst"] == metadata.version("typst")


def test_regression_audit() -> None:
    X, _ = _data(n=900, seed=2)
    rng = np.random.default_rng(0)
    y = X["debt"] * 3 + rng.normal(size=len(X))
    feats = ["income", "debt", "history"]
    model = RandomForestRegressor(n_estimators=20, max_depth=5, random_state=0).fit(X[:600][feats], y[:600])
    report = ex.audit(
        model,
        X[:600][[*feats, "sex"]],
        y[:600],
        X[600:][[*feats, "sex"]],
        y[600:],
        sensitive_features=["sex"],
        policy={**FAST, "min_test_score": 0.3},
        generated_at=STAMP,
    )
    ids = set(report.findings["id"])
    assert "performance.test_score" in ids and "performance.calibration" not in ids
    assert report.table("performance", "generalization").set_index("data").loc["test", "value"] > 0.3


def test_without_sensitive_features_fairness_is_not_applicable() -> None:
    X, y = _data(n=700, seed=3)
    feats = ["income", "debt", "history"]
    model = LogisticRegression(max_iter=500).fit(X[:500][feats], y[:500])
    report = ex.audit(model, X[:500][feats], y[:500], X[500:][feats], y[500:], policy=FAST, generated_at=STAMP)
    fairness = report.section("fairness")
    assert fairness["status"] == "not_applicable" and fairness["not_applicable"]
    assert report.findings.set_index("id").loc["fairness.tested", "status"] == "warn"


# --------------------------------------------------------------------------- bad input


@pytest.fixture(scope="module")
def small() -> tuple:
    X, y = _data(n=400, seed=4)
    feats = ["income", "debt", "history"]
    return LogisticRegression(max_iter=500).fit(X[:300][feats], y[:300]), X[feats], y


def test_mismatched_columns(small: tuple) -> None:
    model, X, y = small
    with pytest.raises(FeatureMismatchError, match="lacks"):
        ex.audit(model, X[:300], y[:300], X[300:].drop(columns="debt"), y[300:])


def test_missing_target_values(small: tuple) -> None:
    model, X, y = small
    y_bad = y.astype(float).copy()
    y_bad[5] = np.nan
    with pytest.raises(InputError, match="missing values"):
        ex.audit(model, X[:300], y_bad[:300], X[300:], y[300:])


def test_unfitted_model(small: tuple) -> None:
    _, X, y = small
    with pytest.raises(ModelNotFittedError):
        ex.audit(LogisticRegression(), X[:300], y[:300], X[300:], y[300:])


def test_multiclass_is_audited(small: tuple) -> None:
    # (tests/report/test_audit_multiclass.py checks the multiclass audit's numbers)
    _, X, _ = small
    y3 = np.arange(len(X)) % 3
    model = LogisticRegression(max_iter=300).fit(X[:300], y3[:300])
    report = ex.audit(model, X[:300], y3[:300], X[300:], y3[300:], policy={"n_bootstrap": 20, "explain_rows": 20})
    assert report.table("performance", "per_class")["class"].tolist()[:3] == ["0", "1", "2"]


def test_unknown_sensitive_column(small: tuple) -> None:
    model, X, y = small
    with pytest.raises(FeatureMismatchError, match="sensitive_features"):
        ex.audit(model, X[:300], y[:300], X[300:], y[300:], sensitive_features=["race"])


def test_policy_and_card_are_validated(small: tuple, tmp_path) -> None:
    model, X, y = small
    with pytest.raises(InputError, match="unknown policy fields"):
        ex.audit(model, X[:300], y[:300], X[300:], y[300:], policy={"min_impact": 0.8})
    with pytest.raises(InputError, match=r"\[0, 1\]"):
        Policy(min_impact_ratio=1.5)
    with pytest.raises(InputError, match="unknown model card fields"):
        ModelCard.from_dict({"nam": "x"})
    toml = tmp_path / "policy.toml"
    toml.write_text("min_impact_ratio = 0.9\nexplain_rows = 50\n")
    assert Policy.from_file(toml).min_impact_ratio == 0.9
    with pytest.raises(InputError, match="does not exist"):
        Policy.from_file(tmp_path / "nope.toml")


def test_timestamp_needs_a_time_zone(small: tuple) -> None:
    from datetime import datetime

    model, X, y = small
    with pytest.raises(InputError, match="time zone"):
        ex.audit(model, X[:300], y[:300], X[300:], y[300:], generated_at=datetime(2026, 1, 1))


def test_evidence_of_another_schema_is_refused(tmp_path) -> None:
    path = tmp_path / "x.json"
    path.write_text('{"schema": "something.else"}')
    with pytest.raises(SchemaError):
        AuditReport.from_json(path)


# --------------------------------------------------------------------------- degenerate but legitimate (issue 12)
# Each of these crashed inside audit() with a foreign exception (ValueError from the evidence
# writer on NaN or inf, TypeError, KeyError); each must either work or be refused early.


def _plain_data(n: int = 300, seed: int = 5) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = pd.DataFrame({"a": rng.normal(size=n), "b": rng.normal(size=n), "c": rng.integers(0, 5, n).astype(float)})
    y = (X["a"] + 0.3 * X["c"] + rng.normal(size=n) > 0.6).astype(int).to_numpy()
    return X, y


def _audit(model, X, y, split: int = 200, **kw) -> AuditReport:
    kw.setdefault("policy", FAST)
    return ex.audit(model, X[:split], y[:split], X[split:], y[split:], generated_at=STAMP, **kw)


def _constant_column(X: pd.DataFrame) -> pd.DataFrame:
    return X.assign(k=1e100)


@pytest.mark.parametrize(
    "make",
    [
        lambda X, y: (DummyClassifier(strategy="prior").fit(X[:200], y[:200]), X),
        # a constant 1e100 column swamps the other inputs of an unscaled logistic regression
        lambda X, y: (LogisticRegression().fit(_constant_column(X)[:200], y[:200]), _constant_column(X)),
    ],
    ids=["dummy_prior", "constant_1e100_column"],
)
def test_a_model_with_constant_scores_is_audited_and_flagged(make) -> None:
    """Spearman correlations of constant scores or attributions were NaN (ValueError from the
    evidence writer); the audit now says the model does not rank, and why the rest is n/a."""
    X, y = _plain_data()
    model, X = make(X, y)
    report = _audit(model, X, y)
    found = report.findings.set_index("id")
    assert found.loc["performance.ranking", "status"] == "fail"
    assert "same score" in found.loc["performance.ranking", "message"]
    assert found.loc["performance.test_score", "observed"] == pytest.approx(0.5)
    assert found.loc["robustness.explanations", "status"] == "not_applicable"
    assert found.loc["global.glassbox_agreement", "status"] == "not_applicable"
    assert "does not rank" in found.loc["design.glassbox_gain", "message"]
    facts = next(b for b in report.section("design")["blocks"][1:] if b["type"] == "facts")
    assert dict((r["label"], r["value"]) for r in facts["rows"])["Rank correlation of scores (Spearman)"] is None


def test_a_model_that_ranks_has_no_ranking_finding(small: tuple) -> None:
    model, X, y = small
    report = ex.audit(model, X[:300], y[:300], X[300:], y[300:], policy=FAST, generated_at=STAMP)
    assert "performance.ranking" not in set(report.findings["id"])


def test_a_huge_value_the_model_reads_gives_finite_evidence() -> None:
    """1e300 in one test row: the model predicts from it (a saturated probability), its attribution
    is about 1e300, and the spread of attributions overflowed to inf when squared. In a training
    row it broke the leakage check (a float32 tree) and the noise scale of the robustness test."""
    X, y = _plain_data()
    model = LogisticRegression().fit(X[:200], y[:200])
    X = X.copy()
    X.loc[5, "b"], X.loc[205, "b"] = 1e300, -1e300
    report = _audit(model, X, y, policy={**FAST, "explain_rows": 100})
    importance = report.table("global_explanations", "importance").set_index("feature")
    assert np.isfinite(importance[["importance", "spread", "low", "high"]].to_numpy()).all()
    assert importance.loc["b", "importance"] > 1e290  # the huge attribution is reported as it is
    leakage = report.table("data", "columns").set_index("feature").loc["b", "leakage"]
    assert 0 <= leakage <= 1
    assert report.findings.set_index("id").loc["robustness.noise", "observed"] <= 1


def test_values_beyond_the_models_arithmetic_are_refused_before_the_audit() -> None:
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.linear_model import LinearRegression

    X, y = _plain_data()
    huge = X.copy()
    huge.loc[5, "b"] = 1e300
    forest = RandomForestClassifier(n_estimators=5, random_state=0).fit(X[:200], y[:200])
    # the forest computes in float32 and refuses 1e300 itself: the message names the column
    with pytest.raises(
        ModelError, match=r"scoring X_train: .*Column 'b' of X_train holds 1e\+300 \(rows \[5\]\).*float32"
    ):
        _audit(forest, huge, y)
    # a regression whose prediction is 1e300: squared errors overflow float64, R² cannot be computed
    target = (X["a"] * 3).to_numpy()
    linear = LinearRegression().fit(X[:200], target[:200])
    with pytest.raises(ModelError, match=r"prediction for X_train: .* at rows \[5\]; squared errors .* overflow"):
        _audit(linear, huge, target)
    with pytest.raises(InputError, match=r"y_test: 1e\+300 at rows \[0\]"):
        _audit(linear, X, np.r_[target[:200], 1e300, target[201:]])


def test_a_numeric_sensitive_feature_with_a_one_row_group() -> None:
    """A two-group attribute whose second group has one row left the reference group compared
    with itself (TypeError: boolean value of NA is ambiguous); the one-row group is suppressed."""
    X, y = _plain_data()
    model = LogisticRegression().fit(X[:200], y[:200])
    groups = pd.DataFrame({"group": np.r_[np.zeros(99), [7.0]]})
    report = _audit(model, X, y, sensitive_features=groups)
    table = report.table("fairness", "fairness_group").set_index("group")
    assert table.loc["7.0", "count"] == 1 and pd.isna(table.loc["7.0", "selection_rate"])
    assert report.findings.set_index("id").loc["fairness.impact_ratio.group", "status"] == "not_applicable"


def test_an_all_missing_feature_is_audited() -> None:
    """The glass-box benchmark could not bin a column without a value (a ValueError from
    scikit-learn) and drift put a NaN KS statistic into the evidence."""
    from sklearn.impute import SimpleImputer

    X, y = _plain_data()
    X = X.assign(empty=np.nan)
    model = make_pipeline(SimpleImputer(keep_empty_features=True), LogisticRegression()).fit(X[:200], y[:200])
    report = _audit(model, X, y)
    drift = report.table("drift", "drift").set_index("feature")
    assert pd.isna(drift.loc["empty", "statistic"]) and drift.loc["empty", "test"].startswith("none")


def test_integer_column_names_are_audited() -> None:
    """A DataFrame made from an array (columns 0, 1, 2) failed with KeyError: '0' (explanations
    name features by text)."""
    X, y = _plain_data()
    X = pd.DataFrame(X.to_numpy())
    model = LogisticRegression().fit(X[:200], y[:200])
    report = _audit(model, X, y)
    assert set(report.table("global_explanations", "importance")["feature"]) == {"0", "1", "2"}


def test_a_constant_regression_target_is_refused_before_any_work() -> None:
    from sklearn.linear_model import LinearRegression

    X, _ = _plain_data()
    target = (X["a"] * 3).to_numpy()
    model = LinearRegression().fit(X[:200], target[:200])
    with pytest.raises(InputError, match=r"y_test is constant \(every value is 2.5\); R²"):
        _audit(model, X, np.r_[target[:200], np.full(100, 2.5)])
    with pytest.raises(InputError, match="y_train is constant"):
        _audit(model, X, np.full(300, 2.5))


@pytest.mark.parametrize("explain_rows", [1, 2])
def test_too_few_explained_rows_for_partial_dependence(explain_rows: int) -> None:
    """policy.explain_rows of 1 or 2 is accepted, but partial dependence then failed late in the
    audit (InputError for one row, scikit-learn's reshape error for two); it is left out, with why."""
    X, y = _plain_data()
    model = LogisticRegression().fit(X[:200], y[:200])
    report = _audit(model, X, y, policy={**FAST, "explain_rows": explain_rows})
    texts = [b["text"] for b in report.section("global_explanations")["blocks"] if b["type"] == "text"]
    assert any(t.startswith("Partial dependence is not shown") for t in texts)
    assert not [b for b in report.section("global_explanations")["blocks"] if b.get("id", "").startswith("effect_")]


def test_a_sensitive_frame_column_named_like_a_feature(small: tuple) -> None:
    """A sensitive attribute given as a frame column named 'debt' was reported as a sensitive
    attribute used as a model input; with X_test's own values it is that column, and is accepted."""
    model, X, y = small
    other = pd.DataFrame({"debt": np.where(np.arange(100) % 2, "f", "m")})
    with pytest.raises(InputError, match=r"sensitive_features has a column 'debt', the name of a column of X_test"):
        ex.audit(model, X[:300], y[:300], X[300:], y[300:], sensitive_features=other)
    same = X[300:][["history"]].round(-2)  # other values again: refused
    with pytest.raises(InputError, match="'history'"):
        ex.audit(model, X[:300], y[:300], X[300:], y[300:], sensitive_features=same)


def test_a_plain_function_is_refused_with_what_audit_takes() -> None:
    """audit() has no task=: a bare function gets the advice to wrap it as an estimator (it used to
    say 'pass task=', which audit() does not take)."""
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"a": rng.normal(size=60), "b": rng.normal(size=60)})
    y = (X["a"] > 0).astype(int)
    with pytest.raises(ModelError, match=r"plain function.*no task=.*a regressor with fit\(X, y\) and predict") as e:
        ex.audit(lambda frame: frame["a"].to_numpy(), X[:40], y[:40], X[40:], y[40:])
    assert "task='classification'" not in str(e.value)
