"""audit(..., champion=...): the comparison with the model this one would replace.

Paired bootstrap intervals against a hand loop over the same resamples (sklearn's metrics) and
against scipy.stats.bootstrap(paired=True); the table's metrics against sklearn; disagreement,
swap set, Spearman and PSI by hand; the finding's direction (a worse champion passes, roles
swapped fail); identical models; bad champions.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from sklearn.dummy import DummyClassifier
from sklearn.ensemble import RandomForestRegressor
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.metrics import (
    accuracy_score,
    brier_score_loss,
    mean_absolute_error,
    r2_score,
    roc_auc_score,
    root_mean_squared_error,
)

import explain as ex
from explain._provenance import model_fingerprint
from explain.errors import FeatureMismatchError, InputError, ModelError
from explain.metrics import bootstrap_ci, group_metrics, population_stability_index
from explain.report._champion import paired_bootstrap

FAST = {"explain_rows": 60, "n_bootstrap": 200, "stability_runs": 2}
STAMP = "2026-01-02T03:04:05Z"
FEATURES = ["income", "debt", "history"]


def _data(n: int = 1400, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    sex = rng.choice(["f", "m"], n, p=[0.45, 0.55])
    X = pd.DataFrame(
        {
            "income": rng.normal(0, 1, n) + 0.4 * (sex == "m"),
            "debt": rng.uniform(0, 1, n),
            "history": rng.integers(0, 300, n).astype(float),
            "region": rng.normal(0, 1, n),  # read by the champion only
        }
    )
    logit = 1.4 * X["income"] - 2.0 * X["debt"] + X["history"] / 150 + 0.3 * X["region"]
    y = (rng.random(n) < 1 / (1 + np.exp(-logit.to_numpy()))).astype(int)
    X["sex"] = sex
    return X, y


@pytest.fixture(scope="module")
def case() -> dict:
    X, y = _data()
    X_train, X_test, y_train, y_test = X[:800], X[800:].reset_index(drop=True), y[:800], y[800:]
    model = LogisticRegression(max_iter=500).fit(X_train[FEATURES], y_train)
    weak = LogisticRegression().fit(X_train[["history", "region"]], y_train)  # other columns, weaker
    report = ex.audit(
        model,
        X_train,
        y_train,
        X_test,
        y_test,
        sensitive_features=["sex"],
        policy=FAST,
        generated_at=STAMP,
        champion=weak,
        card={"name": "credit-lr", "version": "2.0", "previous_version": "1.3 (scorecard)"},
    )
    return {
        "report": report,
        "model": model,
        "weak": weak,
        "X_train": X_train,
        "X_test": X_test,
        "y_train": y_train,
        "y_test": y_test,
        "a": model.predict_proba(X_test[FEATURES])[:, 1],
        "b": weak.predict_proba(X_test[["history", "region"]])[:, 1],
    }


def _audit(case: dict, model, champion, **kw) -> ex.AuditReport:
    return ex.audit(
        model,
        case["X_train"],
        case["y_train"],
        case["X_test"],
        case["y_test"],
        sensitive_features=["sex"],
        policy=kw.pop("policy", FAST),
        generated_at=STAMP,
        champion=champion,
        **kw,
    )


# ----------------------------------------------------------------------------- paired bootstrap


def test_paired_bootstrap_equals_a_hand_loop_over_the_same_resamples() -> None:
    rng = np.random.default_rng(3)
    n, n_boot = 300, 250
    y = rng.integers(0, 2, n)
    a = np.clip(y * 0.3 + rng.uniform(0, 0.7, n), 0, 1)
    b = np.clip(y * 0.15 + rng.uniform(0, 0.85, n), 0, 1)
    got = paired_bootstrap("roc_auc", y, a, b, n_boot=n_boot, random_state=7)
    idx = np.random.default_rng(7).integers(0, n, size=(n_boot, n))  # resample i is row i
    auc_a = np.array([roc_auc_score(y[i], a[i]) for i in idx])
    auc_b = np.array([roc_auc_score(y[i], b[i]) for i in idx])
    assert got.challenger == roc_auc_score(y, a) and got.champion == roc_auc_score(y, b)
    assert got.difference == pytest.approx(roc_auc_score(y, a) - roc_auc_score(y, b))
    np.testing.assert_allclose(got.difference_ci, np.quantile(auc_a - auc_b, [0.025, 0.975]), rtol=1e-12)
    np.testing.assert_allclose(got.challenger_ci, np.quantile(auc_a, [0.025, 0.975]), rtol=1e-12)
    np.testing.assert_allclose(got.champion_ci, np.quantile(auc_b, [0.025, 0.975]), rtol=1e-12)
    assert got.n_valid == n_boot
    # the challenger's own interval is the library's bootstrap_ci with the same seed (same stream)
    own = bootstrap_ci("roc_auc", y, a, n_boot=n_boot, random_state=7)
    np.testing.assert_allclose(got.challenger_ci, (own.low, own.high), rtol=1e-12)


@pytest.mark.parametrize(
    ("metric", "fn", "decisions"),
    [("brier", brier_score_loss, False), ("accuracy", accuracy_score, True), ("rmse", root_mean_squared_error, False),
     ("mae", mean_absolute_error, False), ("r2", r2_score, False)],
)  # fmt: skip
def test_paired_bootstrap_of_every_metric_equals_the_hand_loop(metric, fn, decisions) -> None:
    rng = np.random.default_rng(5)
    n, n_boot = 200, 60
    y = rng.integers(0, 2, n).astype(float) if metric in ("brier", "accuracy") else rng.normal(size=n)
    a, b = y * 0.5 + rng.uniform(0, 0.5, n), rng.uniform(0, 1, n)
    if decisions:
        a, b = (a >= 0.5).astype(float), (b >= 0.5).astype(float)
    got = paired_bootstrap(metric, y, a, b, n_boot=n_boot, random_state=1)
    idx = np.random.default_rng(1).integers(0, n, size=(n_boot, n))
    diff = np.array([fn(y[i], a[i]) - fn(y[i], b[i]) for i in idx])
    assert got.difference == pytest.approx(fn(y, a) - fn(y, b), rel=1e-12)
    np.testing.assert_allclose(got.difference_ci, np.quantile(diff, [0.025, 0.975]), rtol=1e-9, atol=1e-12)


def test_paired_interval_has_the_width_of_scipys_paired_bootstrap() -> None:
    rng = np.random.default_rng(11)
    n = 400
    y = rng.integers(0, 2, n)
    a = np.clip(y * 0.35 + rng.uniform(0, 0.65, n), 0, 1)
    b = np.clip(a + rng.normal(0, 0.15, n), 0, 1)  # correlated with a: pairing narrows the interval
    got = paired_bootstrap("roc_auc", y, a, b, n_boot=1000, random_state=0)

    def diff(yy, aa, bb, axis=-1):
        return np.array([roc_auc_score(r, p) - roc_auc_score(r, q) for r, p, q in zip(yy, aa, bb, strict=True)])

    ref = stats.bootstrap(
        (y, a, b), diff, paired=True, vectorized=True, n_resamples=1000, method="percentile", random_state=0
    ).confidence_interval
    width, ref_width = got.difference_ci[1] - got.difference_ci[0], ref.high - ref.low
    assert 0.8 < width / ref_width < 1.25
    # unpaired intervals of the two AUCs would be far wider than the paired interval of the difference
    assert width < (got.challenger_ci[1] - got.challenger_ci[0]) + (got.champion_ci[1] - got.champion_ci[0])


# ----------------------------------------------------------------------------- the section


def test_table_metrics_equal_sklearn_for_both_models(case: dict) -> None:
    table = case["report"].table("champion", "champion_performance").set_index("metric")
    y, a, b = case["y_test"], case["a"], case["b"]
    expected = {
        "ROC AUC": (roc_auc_score(y, a), roc_auc_score(y, b)),
        "Brier score": (brier_score_loss(y, a), brier_score_loss(y, b)),
        "Accuracy at the decision threshold": (accuracy_score(y, a >= 0.5), accuracy_score(y, b >= 0.5)),
    }
    for metric, (mine, theirs) in expected.items():
        row = table.loc[metric]
        assert row["challenger"] == pytest.approx(mine, rel=1e-12)
        assert row["champion"] == pytest.approx(theirs, rel=1e-12)
        assert row["difference"] == pytest.approx(mine - theirs, rel=1e-9)
        assert row["ci_low"] <= row["difference"] <= row["ci_high"]
    # the same seed and resamples as a hand loop of 200 (policy n_bootstrap) over the test rows
    idx = np.random.default_rng(0).integers(0, len(y), size=(200, len(y)))
    diff = [roc_auc_score(y[i], a[i]) - roc_auc_score(y[i], b[i]) for i in idx]
    low, high = np.quantile(diff, [0.025, 0.975])
    assert table.loc["ROC AUC", "ci_low"] == pytest.approx(low) and table.loc["ROC AUC", "ci_high"] == pytest.approx(
        high
    )


def test_disagreement_swap_set_spearman_and_psi_by_hand(case: dict) -> None:
    report, y, a, b = case["report"], case["y_test"], case["a"], case["b"]
    mine, theirs = a >= 0.5, b >= 0.5
    found = report.findings.set_index("id")
    assert found.loc["champion.disagreement", "observed"] == pytest.approx(np.mean(mine != theirs))
    assert found.loc["champion.disagreement", "status"] == "info"
    swap = report.table("champion", "champion_swap")
    assert swap["count"].tolist() == [
        int((mine & ~theirs).sum()),
        int((~mine & theirs).sum()),
        int((mine == theirs).sum()),
    ]
    assert swap.loc[0, "outcome"] == pytest.approx(y[mine & ~theirs].mean())
    assert swap.loc[1, "outcome"] == pytest.approx(y[~mine & theirs].mean())
    assert found.loc["champion.score_psi", "observed"] == pytest.approx(population_stability_index(b, a))
    facts = {
        r["label"]: r["value"]
        for b_ in report.section("champion")["blocks"]
        if b_["type"] == "facts"
        for r in b_["rows"]
    }
    assert facts["Rank correlation of the scores (Spearman)"] == pytest.approx(stats.spearmanr(a, b).statistic)


def test_fairness_of_both_models_equals_group_metrics(case: dict) -> None:
    table = case["report"].table("champion", "champion_fairness")
    sex = case["X_test"][["sex"]]
    for col, scores in (("challenger", case["a"]), ("champion", case["b"])):
        gm = group_metrics(case["y_test"], (scores >= 0.5).astype(int), sex, y_score=scores, min_group_size=30)
        by = gm.by_group.reset_index()
        ratio = by.loc[(by["attribute"] == "sex") & ~by["is_reference"], "impact_ratio"].min()
        assert table.loc[0, col] == pytest.approx(ratio)
        assert table.loc[1, col] == pytest.approx(gm.difference("equalized_odds", attribute="sex"))
    # and the challenger's ratio is the fairness section's finding
    found = case["report"].findings.set_index("id")
    assert table.loc[0, "challenger"] == pytest.approx(found.loc["fairness.impact_ratio.sex", "observed"])


def test_a_weaker_champion_passes_and_swapping_roles_fails(case: dict) -> None:
    found = case["report"].findings.set_index("id")
    row = found.loc["champion.primary_metric"]
    assert row["status"] == "pass" and row["ci_low"] > 0  # the challenger is significantly better
    swapped = _audit(case, case["weak"], case["model"])
    row = swapped.findings.set_index("id").loc["champion.primary_metric"]
    assert row["ci_high"] < 0 and row["status"] == "fail"
    assert swapped.verdict == "fail" and swapped.section("champion")["status"] == "fail"


def test_a_champion_reading_a_sensitive_attribute_is_said_so(case: dict) -> None:
    X_train = case["X_train"].assign(male=(case["X_train"]["sex"] == "m").astype(float))
    X_test = case["X_test"].assign(male=(case["X_test"]["sex"] == "m").astype(float))
    champ = LogisticRegression().fit(X_train[["income", "male"]], case["y_train"])
    report = ex.audit(case["model"], X_train, case["y_train"], X_test, case["y_test"],
                      sensitive_features=["sex", "male"], policy=FAST, generated_at=STAMP, champion=champ)  # fmt: skip
    facts = {r["label"]: r["value"] for r in report.section("champion")["blocks"][1]["rows"]}
    assert facts["Sensitive attributes the champion reads"] == "male"
    assert {r["label"]: r["value"] for r in case["report"].section("champion")["blocks"][1]["rows"]}[
        "Sensitive attributes the champion reads"
    ] == "none"


def test_a_dummy_champion_is_beaten(case: dict) -> None:
    dummy = DummyClassifier(strategy="prior").fit(case["X_train"][FEATURES], case["y_train"])
    report = _audit(case, case["model"], dummy)
    row = report.table("champion", "champion_performance").set_index("metric").loc["ROC AUC"]
    assert row["champion"] == 0.5 and row["ci_low"] > 0
    assert report.findings.set_index("id").loc["champion.primary_metric", "status"] == "pass"


def test_a_champion_identical_to_the_model_changes_nothing(case: dict) -> None:
    report = _audit(case, case["model"], case["model"])
    table = report.table("champion", "champion_performance")
    assert (table["difference"] == 0).all() and (table["ci_low"] == 0).all() and (table["ci_high"] == 0).all()
    found = report.findings.set_index("id")
    assert found.loc["champion.primary_metric", "status"] == "pass"
    assert found.loc["champion.disagreement", "observed"] == 0
    assert found.loc["champion.score_psi", "observed"] == pytest.approx(0, abs=1e-12)
    assert report.table("champion", "champion_swap")["count"].tolist()[:2] == [0, 0]


def test_a_worse_but_not_significantly_worse_challenger_warns(case: dict) -> None:
    X_train, y_train = case["X_train"], case["y_train"]
    close = LogisticRegression(max_iter=500).fit(X_train[["income", "debt"]], y_train)  # a little weaker
    report = _audit(case, close, case["model"])
    row = report.findings.set_index("id").loc["champion.primary_metric"]
    assert row["ci_low"] < row["observed"] < 0 < row["ci_high"]  # worse, and the interval holds 0
    assert row["status"] == "warn" and report.section("champion")["status"] == "warn"


def test_name_provenance_and_call(case: dict) -> None:
    report = case["report"]
    ev = report.evidence
    assert ev["provenance"]["champion"]["sha256"] == model_fingerprint(case["weak"])
    assert ev["provenance"]["champion"]["columns"] == ["history", "region"]
    call = ev["provenance"]["call"]
    assert (
        f"champion=<sklearn.linear_model._logistic.LogisticRegression, sha256 {model_fingerprint(case['weak'])[:12]}>"
        in call
    )
    assert call.endswith(")") and call.count("(") == call.count(")")
    assert "version 1.3 (scorecard)" in report.section("champion")["blocks"][0]["text"]
    named = _audit(case, case["model"], case["weak"], champion_name="scorecard v1.3")
    assert named.evidence["provenance"]["champion"]["name"] == "scorecard v1.3"
    assert named.evidence["report"]["id"] != _audit(case, case["model"], case["model"]).evidence["report"]["id"]


def test_the_evidence_round_trips_and_registered_or_not_the_crosswalk_holds(case: dict, tmp_path) -> None:
    path = case["report"].to_json(tmp_path / "e.json")
    again = ex.AuditReport.from_json(path)
    assert again.evidence_sha256 == case["report"].evidence_sha256
    ids = [s["id"] for s in again.evidence["sections"]]
    assert ids.index("champion") == ids.index("drift") + 1
    assert case["report"].to_html(tmp_path / "r.html").read_text(encoding="utf-8").count("Comparison with the champion")


def test_regression_champion_metrics_equal_sklearn() -> None:
    rng = np.random.default_rng(2)
    n = 700
    X = pd.DataFrame({"a": rng.normal(size=n), "b": rng.normal(size=n), "c": rng.normal(size=n)})
    y = 3 * X["a"] - 2 * X["b"] + X["c"] + rng.normal(size=n)
    model = LinearRegression().fit(X[:400], y[:400])
    champ = RandomForestRegressor(n_estimators=20, max_depth=3, random_state=0).fit(X[:400][["a"]], y[:400])
    report = ex.audit(model, X[:400], y[:400], X[400:], y[400:], policy=FAST, generated_at=STAMP, champion=champ)
    table = report.table("champion", "champion_performance").set_index("metric")
    yt, p, q = y[400:].to_numpy(), model.predict(X[400:]), champ.predict(X[400:][["a"]])
    for metric, fn in (("R²", r2_score), ("RMSE", root_mean_squared_error), ("MAE", mean_absolute_error)):
        assert table.loc[metric, "challenger"] == pytest.approx(fn(yt, p))
        assert table.loc[metric, "champion"] == pytest.approx(fn(yt, q))
    mine, theirs = p > np.median(p), q > np.median(q)
    found = report.findings.set_index("id")
    assert found.loc["champion.disagreement", "observed"] == pytest.approx(np.mean(mine != theirs))
    assert found.loc["champion.primary_metric", "status"] == "pass"


def test_a_regression_threshold_decides_the_disagreement() -> None:
    rng = np.random.default_rng(4)
    n = 500
    X = pd.DataFrame({"a": rng.normal(size=n), "b": rng.normal(size=n)})
    y = 2 * X["a"] + X["b"] + rng.normal(size=n)
    model, champ = LinearRegression().fit(X[:300], y[:300]), LinearRegression().fit(X[:300][["a"]], y[:300])
    report = ex.audit(model, X[:300], y[:300], X[300:], y[300:], generated_at=STAMP, champion=champ,
                      policy={**FAST, "regression_threshold": 1.0})  # fmt: skip
    p, q = model.predict(X[300:]), champ.predict(X[300:][["a"]])
    found = report.findings.set_index("id")
    assert found.loc["champion.disagreement", "observed"] == pytest.approx(np.mean((p >= 1.0) != (q >= 1.0)))
    swap = report.table("champion", "champion_swap")
    assert swap.loc[0, "count"] == ((p >= 1.0) & (q < 1.0)).sum() and swap.loc[0, "rows"].startswith("approved")


# ----------------------------------------------------------------------------- bad champions


def test_a_champion_whose_columns_x_test_lacks_is_refused(case: dict) -> None:
    other = case["X_train"][["income"]].assign(bureau_score=1.0)
    champ = LogisticRegression().fit(other, case["y_train"])
    with pytest.raises(FeatureMismatchError, match=r"champion was fitted on columns \['bureau_score'\]"):
        _audit(case, case["model"], champ)


def test_a_champion_with_other_classes_is_refused(case: dict) -> None:
    labels = np.where(case["y_train"] == 1, "good", "bad")
    champ = LogisticRegression().fit(case["X_train"][FEATURES], labels)
    with pytest.raises(ModelError, match="classes"):
        _audit(case, case["model"], champ)


def test_a_champion_of_another_task_is_refused(case: dict) -> None:
    champ = LinearRegression().fit(case["X_train"][FEATURES], case["y_train"])
    with pytest.raises(ModelError, match="regression model and the audited model a classification"):
        _audit(case, case["model"], champ)


def test_a_multiclass_champion_is_refused(case: dict) -> None:
    three = np.asarray(case["y_train"]) + (case["X_train"]["debt"].to_numpy() > 0.8)
    champ = LogisticRegression(max_iter=500).fit(case["X_train"][FEATURES], three)
    with pytest.raises(InputError, match="binary classifiers and regressors"):
        _audit(case, case["model"], champ)


def test_an_unfitted_champion_and_bad_names_are_refused(case: dict) -> None:
    with pytest.raises(ModelError, match="not fitted"):
        _audit(case, case["model"], LogisticRegression())
    with pytest.raises(InputError, match="champion_name"):
        _audit(case, case["model"], case["weak"], champion_name="")
    with pytest.raises(InputError, match="without champion"):
        _audit(case, case["model"], None, champion_name="v1")


def test_a_dask_x_test_is_scored_by_the_champion_on_its_partitions(case: dict) -> None:
    """Without a client the partitions run here, through the same code as on a cluster; the
    comparison equals the in-memory audit's."""
    dd = pytest.importorskip("dask.dataframe")
    X_test = dd.from_pandas(case["X_test"], npartitions=3)
    y_test = dd.from_pandas(pd.Series(case["y_test"], name="y"), npartitions=3)
    report = ex.audit(case["model"], case["X_train"], case["y_train"], X_test, y_test, sensitive_features=["sex"],
                      policy=FAST, generated_at=STAMP, champion=case["weak"],
                      card={"name": "credit-lr", "version": "2.0", "previous_version": "1.3 (scorecard)"})  # fmt: skip
    for name in ("champion_performance", "champion_swap", "champion_fairness"):
        pd.testing.assert_frame_equal(report.table("champion", name), case["report"].table("champion", name))
    gathered = report.evidence["provenance"]["cluster"]["gathered"]
    assert {"name": "test", "what": "the champion's score of every row", "count": len(case["y_test"])} in gathered


def test_a_dask_x_test_on_a_local_cluster_gives_the_in_memory_comparison(case: dict) -> None:
    from _cluster import local_client

    dd = pytest.importorskip("dask.dataframe")
    with local_client():
        X_test = dd.from_pandas(case["X_test"], npartitions=4)
        card = {"name": "credit-lr", "version": "2.0", "previous_version": "1.3 (scorecard)"}
        report = ex.audit(case["model"], case["X_train"], case["y_train"], X_test, case["y_test"],
                          sensitive_features=["sex"], policy=FAST, generated_at=STAMP, champion=case["weak"],
                          card=card)  # fmt: skip
    assert not report.evidence["provenance"]["cluster"]["scheduler"].startswith("none")
    pd.testing.assert_frame_equal(
        report.table("champion", "champion_performance"), case["report"].table("champion", "champion_performance")
    )


def test_champion_margin_turns_a_significant_but_small_loss_into_a_warning(case: dict) -> None:
    """Policy.champion_margin is a non-inferiority margin: a challenger significantly worse, but by
    less than the margin, warns instead of failing; the finding's threshold is -margin."""
    swapped = _audit(case, case["weak"], case["model"])
    row = swapped.findings.set_index("id").loc["champion.primary_metric"]
    assert row["status"] == "fail" and row["threshold"] == 0.0
    loss = -row["ci_low"]  # beyond the worst plausible loss
    within = _audit(case, case["weak"], case["model"], policy={**FAST, "champion_margin": loss + 0.01})
    row = within.findings.set_index("id").loc["champion.primary_metric"]
    assert row["status"] == "warn" and row["threshold"] == pytest.approx(-(loss + 0.01))
    assert "by more than the margin of" in row["message"]
    tight = _audit(case, case["weak"], case["model"], policy={**FAST, "champion_margin": -row["ci_high"] / 2})
    assert tight.findings.set_index("id").loc["champion.primary_metric", "status"] == "fail"
    with pytest.raises(ex.errors.InputError, match="champion_margin"):
        ex.Policy(champion_margin=-0.01)


def test_a_multiclass_audited_model_refuses_a_champion_by_name() -> None:
    from sklearn.datasets import load_wine

    X, y = load_wine(return_X_y=True, as_frame=True)
    model = LogisticRegression(max_iter=5000).fit(X[::2], y[::2])
    with pytest.raises(InputError, match="the audited model is a multiclass classifier"):
        ex.audit(model, X[::2], y[::2], X[1::2], y[1::2], champion=model, policy=FAST, generated_at=STAMP)


def test_a_regressor_with_a_threshold_selects_as_the_fairness_section_does() -> None:
    from types import SimpleNamespace

    from explain.report._champion import decisions, selected

    scores = np.array([1.0, 2.0, 3.0, 4.0, 10.0])
    ctx = SimpleNamespace(is_classifier=False, policy=ex.Policy(regression_threshold=3.0))
    assert selected(ctx, scores).tolist() == [False, False, True, True, True]  # type: ignore[arg-type]
    assert decisions(ctx, scores).tolist() == selected(ctx, scores).tolist()  # type: ignore[arg-type]
    ctx = SimpleNamespace(is_classifier=False, policy=ex.Policy())
    assert selected(ctx, scores).tolist() == [False, False, False, True, True]  # type: ignore[arg-type]


def test_the_headline_names_the_metric_and_a_less_fair_challenger_warns(case: dict) -> None:
    # issue 15: 'PASS - the challenger is at least as good' while its lowest impact ratio is worse
    from explain.report._sections_champion import IMPACT_RATIO_TOLERANCE

    report = case["report"]
    assert report.section("champion")["summary"] == "The challenger is at least as good as the champion on ROC AUC."
    table = report.table("champion", "champion_fairness")
    ra, rb = float(table.loc[0, "challenger"]), float(table.loc[0, "champion"])
    assert ra < rb - IMPACT_RATIO_TOLERANCE  # the challenger reads income, which differs by sex
    row = report.findings.set_index("id").loc["champion.fairness.sex"]
    # at or above the policy's 0.8: lower than the champion's, but not judged less fair
    assert ra >= 0.8 and row["status"] == "pass" and row["observed"] == pytest.approx(ra)
    strict = _audit(case, case["model"], case["weak"], policy={**FAST, "min_impact_ratio": 0.85})
    row = strict.findings.set_index("id").loc["champion.fairness.sex"]
    assert row["status"] == "warn" and row["comparison"] == ">="
    assert (
        row["threshold"] == pytest.approx(min(0.85, rb - IMPACT_RATIO_TOLERANCE)) and row["observed"] < row["threshold"]
    )
    assert f"{ra:.3f}" in row["message"] and f"{rb:.3f}" in row["message"]
    assert "Less fair: sex" in strict.section("champion")["summary"]
    # the roles swapped: the challenger is the fairer model, nothing to warn about
    swapped = _audit(case, case["weak"], case["model"], policy={**FAST, "min_impact_ratio": 0.85})
    assert swapped.findings.set_index("id").loc["champion.fairness.sex", "status"] == "pass"
