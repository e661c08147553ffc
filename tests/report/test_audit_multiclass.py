"""The audit of a multiclass classifier (issue 15, deliverable 1), on the wine data (3 cultivars):
per-class and macro metrics against scikit-learn, one-vs-rest fairness against fairlearn, the
favourable class declared or not, the PDF read back, the JSON round trip, refused inputs; and the
favourable decision of a regressor with a declared regression_threshold."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn import metrics as skm
from sklearn.datasets import load_diabetes, load_wine
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import explain as ex
from explain.errors import InputError, ModelError
from explain.report import Policy

CULTIVARS = np.array(["barolo", "grignolino", "barbera"])
# every test row explained (89 < 100): the per-class importance is checked on all of them
POLICY = {"min_group_size": 10, "n_bootstrap": 50, "explain_rows": 100, "stability_runs": 2}
STAMP = "2026-01-01T00:00:00Z"


@pytest.fixture(scope="module")
def wine() -> dict:
    X, y = load_wine(return_X_y=True, as_frame=True)
    rng = np.random.default_rng(0)
    X = X.assign(region=np.where(rng.random(len(X)) < 0.5, "north", "south"))
    y = pd.Series(CULTIVARS[y], name="cultivar")
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.5, random_state=0, stratify=y)
    features = [c for c in X.columns if c != "region"]
    return {"X_train": X_train, "X_test": X_test, "y_train": y_train, "y_test": y_test, "features": features}


def _fit(wine: dict, kind: str):
    model = (
        make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000))
        if kind == "logistic"
        else HistGradientBoostingClassifier(max_iter=30, random_state=0)
    )
    return model.fit(wine["X_train"][wine["features"]], wine["y_train"])


def _audit(wine: dict, model, **policy):
    return ex.audit(
        model,
        wine["X_train"],
        wine["y_train"],
        wine["X_test"],
        wine["y_test"],
        sensitive_features=["region"],
        policy={**POLICY, **policy},
        generated_at=STAMP,
    )


@pytest.fixture(scope="module", params=["logistic", "boosting"])
def audited(request, wine: dict) -> tuple:
    model = _fit(wine, request.param)
    return model, _audit(wine, model)


@pytest.fixture(scope="module")
def favourable(wine: dict) -> tuple:
    model = _fit(wine, "logistic")
    return model, _audit(wine, model, favourable_class="barolo")


def _finding(report, id: str) -> dict:
    found = report.findings.set_index("id")
    assert id in found.index, f"no finding {id}; findings: {list(found.index)}"
    return found.loc[id].to_dict()


def test_per_class_metrics_equal_sklearn(wine: dict, audited: tuple) -> None:
    model, report = audited
    X, y = wine["X_test"][wine["features"]], wine["y_test"]
    predicted, proba = model.predict(X), model.predict_proba(X)
    expected = skm.classification_report(y, predicted, output_dict=True, zero_division=0)
    table = report.table("performance", "per_class").set_index("class")
    for label in model.classes_:
        row = table.loc[label]
        assert row["support"] == expected[label]["support"]
        assert row["predicted"] == int(np.sum(predicted == label))
        for key, name in (("precision", "precision"), ("recall", "recall"), ("f1", "f1-score")):
            assert row[key] == pytest.approx(expected[label][name], abs=1e-12)
        column = list(model.classes_).index(label)
        assert row["auc"] == pytest.approx(skm.roc_auc_score(y == label, proba[:, column]), abs=1e-12)
    for mine, theirs in (("macro average", "macro avg"), ("weighted average", "weighted avg")):
        for key, name in (("precision", "precision"), ("recall", "recall"), ("f1", "f1-score")):
            assert table.loc[mine, key] == pytest.approx(expected[theirs][name], abs=1e-12)
    macro = skm.roc_auc_score(y, proba, multi_class="ovr", average="macro")
    assert table.loc["macro average", "auc"] == pytest.approx(macro, abs=1e-12)
    headline = report.table("performance", "multiclass_metrics").set_index("metric")["value"]
    assert headline["Accuracy"] == pytest.approx(skm.accuracy_score(y, predicted), abs=1e-12)
    assert headline["Macro F1"] == pytest.approx(expected["macro avg"]["f1-score"], abs=1e-12)
    assert headline["Log loss (lower is better)"] == pytest.approx(
        skm.log_loss(y, proba, labels=model.classes_), abs=1e-12
    )
    assert _finding(report, "performance.test_score")["observed"] == pytest.approx(macro, abs=1e-12)
    confusion = report.table("performance", "confusion").set_index("actual")
    matrix = skm.confusion_matrix(y, predicted, labels=model.classes_)
    assert confusion.to_numpy().tolist() == matrix.tolist()


def test_train_test_gap_is_on_the_macro_auc(wine: dict, audited: tuple) -> None:
    model, report = audited
    train = skm.roc_auc_score(
        wine["y_train"], model.predict_proba(wine["X_train"][wine["features"]]), multi_class="ovr"
    )
    gen = report.table("performance", "generalization").set_index("data")
    assert gen.loc["train", "value"] == pytest.approx(train, abs=1e-12)
    assert gen.loc["test", "low"] <= gen.loc["test", "value"] <= gen.loc["test", "high"]
    gap = _finding(report, "performance.gap")
    assert gap["observed"] == pytest.approx(gen.loc["train", "value"] - gen.loc["test", "value"], abs=1e-12)


def test_one_vs_rest_fairness_equals_fairlearn(wine: dict, audited: tuple) -> None:
    fairlearn = pytest.importorskip("fairlearn.metrics")
    model, report = audited
    X, y = wine["X_test"][wine["features"]], wine["y_test"].to_numpy()
    region = wine["X_test"]["region"].to_numpy()
    predicted = model.predict(X)
    for label in model.classes_:
        chosen, actual = predicted == label, y == label
        ratio = fairlearn.demographic_parity_ratio(actual, chosen, sensitive_features=region)
        odds = fairlearn.equalized_odds_difference(actual, chosen, sensitive_features=region)
        assert _finding(report, f"fairness.impact_ratio.region.{label}")["observed"] == pytest.approx(ratio, abs=1e-12)
        assert _finding(report, f"fairness.error_rates.region.{label}")["observed"] == pytest.approx(odds, abs=1e-12)
        frame = fairlearn.MetricFrame(
            metrics={"rate": fairlearn.selection_rate}, y_true=actual, y_pred=chosen, sensitive_features=region
        )
        table = report.table("fairness", f"fairness_region_{label}").set_index("group")
        for group, rate in frame.by_group["rate"].items():
            assert table.loc[group, "selection_rate"] == pytest.approx(rate, abs=1e-12)
            assert table.loc[group, "selected"] == int(np.sum(chosen & (region == group)))


def test_without_a_favourable_class_there_are_no_adverse_decisions(audited: tuple) -> None:
    _, report = audited
    local = report.section("local_explanations")
    assert not [b for b in local["blocks"] if b["type"] == "notice"]
    assert "why_not" not in report.table("local_explanations", "class_reasons").columns
    ids = set(report.findings["id"])
    assert "fairness.impact_ratio.region" not in ids  # no headline decision: every class has its own
    assert "fairness.age_rule" not in ids
    assert "performance.rank_ordering" not in ids  # no favourable class: no score to rank
    assert report.verdict in ("pass", "warn", "fail")


def test_reasons_per_class_are_of_the_predicted_class(wine: dict, audited: tuple) -> None:
    model, report = audited
    reasons = report.table("local_explanations", "class_reasons")
    X = wine["X_test"][wine["features"]]
    assert set(reasons["predicted"]) == set(model.classes_)
    for _, row in reasons.iterrows():
        case = X.loc[[int(row["id"])]]
        assert model.predict(case)[0] == row["predicted"]
        assert row["probability"] == pytest.approx(model.predict_proba(case).max(), abs=1e-12)
        contributions = [float(part.rsplit("(", 1)[1].rstrip(")")) for part in row["reasons"].split("; ")]
        assert all(c > 0 for c in contributions) and contributions == sorted(contributions, reverse=True)
    per_class = report.table("global_explanations", "importance_per_class")
    assert list(per_class.columns) == ["rank", "c0", "c1", "c2"]


def test_importance_per_class_is_the_logistic_models_own(wine: dict) -> None:
    """For a multinomial logistic model the Shapley value of feature j for class c's margin is
    coef[c, j] * (z_j - mean of z_j over the background), z the standardized feature."""
    model = _fit(wine, "logistic")
    report = _audit(wine, model)
    scaler, logistic = model[0], model[-1]
    z_test = scaler.transform(wine["X_test"][wine["features"]])
    z_background = scaler.transform(wine["X_train"][wine["features"]])
    values = logistic.coef_[None, :, :] * (z_test - z_background.mean(axis=0))[:, None, :]  # (n, k, d)
    importance = np.abs(values).mean(axis=0)
    table = report.table("global_explanations", "importance_per_class")
    for c, label in enumerate(logistic.classes_):
        order = np.argsort(-importance[c], kind="stable")
        for rank, cell in enumerate(table[f"c{c}"]):
            feature, shown = cell.rsplit(" (", 1)
            assert feature == wine["features"][order[rank]], (label, rank)
            assert float(shown.rstrip(")")) == pytest.approx(importance[c, order[rank]], rel=5e-3)


def test_data_and_drift_tables_per_class(wine: dict, audited: tuple) -> None:
    model, report = audited
    outcomes = report.table("data", "outcomes").set_index("class")
    for label in model.classes_:
        assert outcomes.loc[label, "train"] == int((wine["y_train"] == label).sum())
        assert outcomes.loc[label, "test"] == int((wine["y_test"] == label).sum())
    shares = report.table("drift", "predicted_class_drift").set_index("class")
    reference = model.predict(wine["X_train"][wine["features"]])  # no reference given: the training data
    current = model.predict(wine["X_test"][wine["features"]])
    for label in model.classes_:
        assert shares.loc[label, "reference"] == pytest.approx(np.mean(reference == label))
        assert shares.loc[label, "test"] == pytest.approx(np.mean(current == label))
    drift = report.table("drift", "prediction_drift").set_index("class")
    p_ref, p_cur = (model.predict_proba(wine[X][wine["features"]]) for X in ("X_train", "X_test"))
    for c, label in enumerate(model.classes_):
        assert drift.loc[label, "mean_reference"] == pytest.approx(p_ref[:, c].mean())
        assert drift.loc[label, "mean_current"] == pytest.approx(p_cur[:, c].mean())
    from explain.metrics.drift import PSI_ALPHA

    significant = drift[drift["psi_p_value"] < PSI_ALPHA]  # only a PSI told from noise counts; 0 when none
    worst = significant["psi"].max() if len(significant) else 0.0
    assert _finding(report, "drift.prediction")["observed"] == pytest.approx(worst)


def test_favourable_class_declared(wine: dict, favourable: tuple) -> None:
    from scipy import stats

    model, report = favourable
    X, y = wine["X_test"][wine["features"]], wine["y_test"].to_numpy()
    predicted = model.predict(X)
    score = model.predict_proba(X)[:, list(model.classes_).index("barolo")]
    local = report.section("local_explanations")
    notices = [b for b in local["blocks"] if b["type"] == "notice"]
    assert len(notices) == 1 and "not the favourable barolo" in notices[0]["text"]
    # neutral for a multiclass model (issue 15): a case, not 'your application'
    assert notices[0]["text"].startswith("The decision for case ") and "application" not in notices[0]["text"]
    reasons = report.table("local_explanations", "class_reasons")
    adverse = reasons[reasons["predicted"] != "barolo"]
    assert len(adverse) and (adverse["why_not"] != "").all()
    assert (reasons.loc[reasons["predicted"] == "barolo", "why_not"] == "").all()
    # the headline fairness finding is the favourable class's decision, as a binary model's
    fairlearn = pytest.importorskip("fairlearn.metrics")
    region = wine["X_test"]["region"].to_numpy()
    ratio = fairlearn.demographic_parity_ratio(y == "barolo", predicted == "barolo", sensitive_features=region)
    assert _finding(report, "fairness.impact_ratio.region")["observed"] == pytest.approx(ratio, abs=1e-12)
    assert "fairness.impact_ratio.region.barolo" not in set(report.findings["id"])
    # KS, Gini and the deciles on P(barolo): barolo is a good, every other class a bad
    facts = {r["label"]: r["value"] for b in report.section("performance")["blocks"] if b["type"] == "facts"
             for r in b["rows"]}  # fmt: skip
    good = y == "barolo"
    ks = stats.ks_2samp(score[good], score[~good]).statistic
    assert facts["Kolmogorov-Smirnov statistic (test)"] == pytest.approx(ks, abs=1e-12)
    assert facts["Gini coefficient (test)"] == pytest.approx(2 * skm.roc_auc_score(good, score) - 1, abs=1e-12)
    what_if = report.table("local_explanations", "what_if")
    adverse_ids = set(adverse["id"])
    assert len(what_if) and set(what_if["id"]) <= adverse_ids
    found = what_if[what_if["option"] > 0]
    assert len(found) and (found["score"] > 1 / 3).all()  # barolo, the most probable of three classes
    deciles = report.table("performance", "score_deciles")
    assert deciles["rows"].sum() == len(y)
    groups = report.table("performance", "performance_by_group").set_index("group")
    for group in ("north", "south"):
        assert groups.loc[group, "favourable"] == pytest.approx(np.mean(predicted[region == group] == "barolo"))


def test_pdf_reads_back_with_the_per_class_table_and_a_verdict(favourable: tuple, tmp_path) -> None:
    pytest.importorskip("typst")
    pypdf = pytest.importorskip("pypdf")
    _, report = favourable
    path = report.to_pdf(tmp_path / "wine.pdf")
    text = "\n".join(page.extract_text() for page in pypdf.PdfReader(path).pages)
    assert "VERDICT" in text and report.verdict.upper() in text
    assert "Performance per class on the test data" in text
    assert "Confusion matrix on the test data" in text
    for label in CULTIVARS:
        assert f"Predicted {label}" in text  # a column of the confusion matrix
    assert "most important features of each class" in text
    assert "Sample statement of principal reasons" in text


def test_json_round_trip(favourable: tuple, tmp_path) -> None:
    _, report = favourable
    path = report.to_json(tmp_path / "wine.json")
    again = ex.AuditReport.from_json(path)
    # the evidence file holds canonical JSON (numbers to 10 significant digits): the same bytes again
    assert again.to_json(tmp_path / "again.json").read_bytes() == path.read_bytes()
    assert again.evidence_sha256 == report.evidence_sha256 and again.verdict == report.verdict
    assert again.table("performance", "per_class")["class"].tolist()[:3] == sorted(CULTIVARS)


def test_a_dask_test_set_with_a_multiclass_model_is_refused(wine: dict) -> None:
    dd = pytest.importorskip("dask.dataframe")
    model = _fit(wine, "logistic")
    X_test = dd.from_pandas(wine["X_test"], npartitions=2)
    with pytest.raises(ModelError, match="in memory"):
        ex.audit(model, wine["X_train"], wine["y_train"], X_test, wine["y_test"], sensitive_features=["region"])


def test_bad_favourable_classes_and_targets_are_refused(wine: dict) -> None:
    model = _fit(wine, "logistic")
    with pytest.raises(InputError, match="not a class of the model"):
        _audit(wine, model, favourable_class="nebbiolo")
    y_test = wine["y_test"].where(wine["y_test"] != "barbera", "barolo")
    with pytest.raises(InputError, match="barbera"):
        ex.audit(model, wine["X_train"], wine["y_train"], wine["X_test"], y_test, policy=POLICY)
    X, y = load_diabetes(return_X_y=True, as_frame=True)
    regressor = LinearRegression().fit(X, y)
    with pytest.raises(InputError, match="regression_threshold"):
        ex.audit(regressor, X[:200], y[:200], X[200:], y[200:], policy={"favourable_class": 1})
    binary = LogisticRegression(max_iter=1000).fit(X, y > 140)
    with pytest.raises(InputError, match="first class of a binary model"):
        ex.audit(binary, X[:200], y[:200] > 140, X[200:], y[200:] > 140, policy={"favourable_class": 0})


def test_the_favourable_decision_of_a_regressor_is_its_threshold() -> None:
    """With regression_threshold declared the favourable decision is prediction >= threshold
    (the median cut was used before, whatever the threshold)."""
    from explain.report._context import build_context
    from explain.report._sections_risk import fairness_section

    X, y = load_diabetes(return_X_y=True, as_frame=True)
    group = pd.Series(np.where(X["sex"] > 0, "a", "b"), name="group")
    regressor = LinearRegression().fit(X[:300], y[:300])
    cut = 200.0
    ctx = build_context(
        regressor, X[:300], y[:300], X[300:], y[300:], sensitive_features=pd.DataFrame({"group": group[300:]}),
        reference=None, reason_codes=None, card=ex.report.ModelCard(), policy=Policy(regression_threshold=cut),
        random_state=0, log=lambda _: None, progress=False,
    )  # fmt: skip
    predictions = regressor.predict(X[300:])
    decided = predictions >= cut
    assert decided.mean() != pytest.approx(0.5, abs=0.1)  # not the median cut
    np.testing.assert_array_equal(ctx.selected_test, decided)
    section, _ = fairness_section(ctx)
    rows = next(b for b in section["blocks"] if b["type"] == "table" and b["id"] == "fairness_group")["rows"]
    for row in rows:
        chosen = decided[group[300:].to_numpy() == row["group"]]
        assert row["selected"] == int(chosen.sum())
    assert "regression_threshold" in section["blocks"][0]["text"]


def test_six_classes_list_their_features_a_row_per_class() -> None:
    from sklearn.datasets import make_classification

    X, y = make_classification(n_samples=900, n_features=6, n_informative=5, n_redundant=0, n_classes=6, random_state=0)
    X = pd.DataFrame(X, columns=[f"f{j}" for j in range(6)])
    model = LogisticRegression(max_iter=1000).fit(X[:450], y[:450])
    policy = {**POLICY, "explain_rows": 500}  # every test row explained
    report = ex.audit(model, X[:450], y[:450], X[450:], y[450:], policy=policy, generated_at=STAMP)
    table = report.table("global_explanations", "importance_per_class")
    assert list(table.columns) == ["class", "features"] and table["class"].tolist() == [str(c) for c in range(6)]
    values = model.coef_[None, :, :] * (X[450:].to_numpy() - X[:450].to_numpy().mean(axis=0))[:, None, :]
    importance = np.abs(values).mean(axis=0)  # (classes, features)
    for c, features in enumerate(table["features"]):
        first = features.split(" (", 1)[0]
        assert first == f"f{int(np.argmax(importance[c]))}"
    assert len(report.table("performance", "per_class")) == 6 + 2


def test_macro_roc_auc_equals_sklearn_with_ties() -> None:
    from explain.report._sections_multiclass import macro_roc_auc

    rng = np.random.default_rng(0)
    for n, k in ((40, 3), (500, 5), (200, 10)):
        y = np.concatenate([np.arange(k), rng.integers(0, k, n - k)])
        proba = rng.dirichlet(np.ones(k), n).round(2)  # many ties
        proba /= proba.sum(axis=1, keepdims=True)  # rows summing to 1, as sklearn asks
        expected = skm.roc_auc_score(y, proba, multi_class="ovr", average="macro", labels=np.arange(k))
        assert macro_roc_auc(k)(y, proba) == pytest.approx(expected, abs=1e-12)
    with pytest.raises(ValueError, match="class 2"):  # as sklearn: skipped by the bootstrap
        macro_roc_auc(3)(np.array([0, 1, 0, 1]), np.full((4, 3), 1 / 3))


def test_a_class_never_predicted_has_no_impact_ratio() -> None:
    """A model that never predicts one class: its per-class row and its fairness finding say so."""
    from sklearn.neighbors import KNeighborsClassifier

    rng = np.random.default_rng(0)
    X = pd.DataFrame({"a": rng.normal(size=600), "b": rng.normal(size=600)})
    y = np.where(X["a"] > 0.3, 2, np.where(X["a"] < -0.3, 0, 1))
    y[rng.random(600) < 0.04] = 3  # a rare class no feature predicts: never a majority of 31 neighbours
    group = pd.DataFrame({"g": np.where(rng.random(300) < 0.5, "u", "v")})
    model = KNeighborsClassifier(n_neighbors=31).fit(X[:300], y[:300])
    predicted = model.predict(X[300:])
    assert not np.any(predicted == 3)
    report = ex.audit(model, X[:300], y[:300], X[300:], y[300:], sensitive_features=group, policy=POLICY,
                      generated_at=STAMP)  # fmt: skip
    never = _finding(report, "fairness.impact_ratio.g.3")
    assert never["status"] == "not_applicable" and "none of the 300" in never["message"]
    per_class = report.table("performance", "per_class").set_index("class")
    assert per_class.loc["3", "predicted"] == 0 and per_class.loc["3", "recall"] == 0
