"""Reason codes: at most k, toward the adverse side only, groups once, deterministic ties."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.datasets import load_breast_cancer
from sklearn.ensemble import HistGradientBoostingClassifier

import explain as ex
from explain._reasons import ReasonCode
from explain.errors import InputError


def _local(values, data=None, predictions=None, names=("a", "b", "c", "d")):
    values = np.asarray(values, dtype=float)
    n, d = values.shape
    return ex.LocalExplanation(
        values=values,
        base_values=np.full(n, 0.5),
        data=np.arange(n * d, dtype=float).reshape(n, d) if data is None else data,
        predictions=0.5 + values.sum(axis=1) if predictions is None else predictions,
        feature_names=names,
        output_names=("default",),
        output_space="probability",
        method="exact_shap",
    )


def test_only_adverse_side_at_most_k_sorted():
    local = _local([[0.3, -0.2, 0.1, 0.05], [-0.1, -0.3, 0.0, 0.2]])
    frame = local.reasons(k=2).to_frame()
    assert frame.groupby("row").size().tolist() == [2, 1]
    assert (frame["contribution"] > 0).all()
    assert frame[frame.row == 0]["feature"].tolist() == ["a", "c"]
    down = local.reasons(k=4, adverse="decrease").to_frame()
    assert (down["contribution"] < 0).all()
    assert down[down.row == 1]["feature"].tolist() == ["b", "a"]


def test_ties_are_broken_by_feature_order():
    local = _local([[0.1, 0.2, 0.2, 0.2]])
    assert local.reasons(k=2).to_frame()["feature"].tolist() == ["b", "c"]


def test_tiny_contributions_are_not_reasons():
    local = _local([[1e-12, 0.0, -0.4, 0.3]])
    assert local.reasons().to_frame()["feature"].tolist() == ["d"]
    assert local.reasons(min_contribution=0.5).to_frame().empty


def test_groups_count_once_with_summed_contribution():
    local = _local([[0.1, 0.15, 0.2, -0.05]], names=("region_n", "region_s", "income", "age"))
    groups = {"region_n": "region", "region_s": "region"}
    frame = local.reasons(k=4, groups=groups).to_frame()
    assert frame["feature"].tolist() == ["region", "income"]
    assert frame["contribution"].iloc[0] == pytest.approx(0.25)
    assert "region_n=0.0" in frame["value"].iloc[0]


def test_codes_and_text():
    local = _local([[0.3, 0.2, 0.0, 0.0]])
    codes = {"a": ReasonCode("R01", "Debt too high"), "b": ("R02", "Too many inquiries")}
    frame = local.reasons(codes=codes).to_frame()
    assert frame["code"].tolist() == ["R01", "R02"]
    text = local.reasons(codes=codes).text()
    assert "[R01] Debt too high" in text and "[R02] Too many inquiries" in text
    with pytest.raises(InputError, match="ReasonCode"):
        local.reasons(codes={"a": 3})


def test_threshold_gives_reasons_to_adverse_decisions_only():
    local = _local([[0.3, 0.1, 0.0, 0.0], [0.01, 0.02, 0.0, 0.0]])
    reasons = local.reasons(threshold=0.6)
    assert set(reasons.to_frame()["row"]) == {0}
    assert "not an adverse decision" in reasons.text(1)


def test_bad_arguments():
    local = _local([[0.3, 0.1, 0.0, 0.0]])
    with pytest.raises(InputError, match="adverse"):
        local.reasons(adverse="up")
    with pytest.raises(InputError, match="k=0"):
        local.reasons(k=0)
    with pytest.raises(InputError, match="features"):
        local.reasons(groups={"zzz": "g"})


def test_on_a_real_model_reasons_push_toward_the_adverse_class():
    X, y = load_breast_cancer(return_X_y=True, as_frame=True)
    model = HistGradientBoostingClassifier(max_iter=30, random_state=0).fit(X, y)
    local = ex.Explainer(model, background=X[:100]).explain_local(X[:50])
    frame = local.reasons(k=4, adverse="decrease", threshold=0.5).to_frame()
    assert frame.groupby("row").size().max() <= 4
    assert (frame["contribution"] < 0).all()
    for row, group in frame.groupby("row"):
        assert local.predictions[row] < 0.5
        expected = np.sort(local.values[row][local.values[row] < -1e-9])[: len(group)]
        np.testing.assert_allclose(group["contribution"], expected)


def _credit_reasons_setup():  # type: ignore[no-untyped-def]
    from explain.datasets import credit_splits

    split = credit_splits()
    numeric = [c for c in split.features if split.X_train[c].dtype.kind in "if"]
    model = HistGradientBoostingClassifier(max_iter=30, random_state=0).fit(split.X_train[numeric], split.y_train)
    test = split.X_test[numeric]
    declined = test[model.predict_proba(test)[:, 1] < 0.7].iloc[:5]
    local = ex.Explainer(model, background=split.X_train[numeric]).explain_local(declined)
    cfs = ex.counterfactuals(model, declined, data=split.X_train[numeric], desired=1, threshold=0.7, immutable=["age"])
    return local, cfs, declined


def test_reasons_text_shows_what_would_change_the_decision() -> None:
    """reasons(counterfactuals=...) puts each row's counterfactuals, as sentences, under its reasons."""
    local, cfs, _ = _credit_reasons_setup()
    reasons = local.reasons(k=3, adverse="decrease", threshold=0.7, counterfactuals=cfs)
    assert reasons.counterfactuals is cfs
    text = reasons.text()
    for r in range(local.n_rows):
        block = reasons.text(r)
        assert "What would change the decision:" in block
        for sentence in cfs.text(r).splitlines():
            assert sentence in block  # the row's own counterfactuals, not another row's
    assert text.count("What would change the decision:") == local.n_rows
    # without counterfactuals the text is as before
    assert "What would change" not in local.reasons(k=3, adverse="decrease", threshold=0.7).text()


def test_reasons_refuse_counterfactuals_of_other_rows() -> None:
    local, cfs, _ = _credit_reasons_setup()
    with pytest.raises(InputError, match="different rows"):
        local[::-1].reasons(adverse="decrease", counterfactuals=cfs)
    with pytest.raises(InputError, match="of 5 rows, the explanation of 2"):
        local[:2].reasons(adverse="decrease", counterfactuals=cfs)
    with pytest.raises(InputError, match=r"Counterfactuals that explain\.counterfactuals"):
        local.reasons(adverse="decrease", counterfactuals=cfs.to_frame())  # type: ignore[arg-type]


def test_counterfactuals_searched_at_another_cut_off_are_refused() -> None:
    """Counterfactuals that reach P >= 0.5 are no way out of a decline at 0.7: refused, naming both."""
    from explain.datasets import credit_splits

    local, cfs, declined = _credit_reasons_setup()  # searched at threshold 0.7
    split = credit_splits()
    numeric = list(local.feature_names)
    model = HistGradientBoostingClassifier(max_iter=30, random_state=0).fit(split.X_train[numeric], split.y_train)
    at_half = ex.counterfactuals(model, declined, data=split.X_train[numeric], desired=1, immutable=["age"])
    assert (np.asarray(at_half.new_scores) < 0.7).any()  # some stop between 0.5 and 0.7
    with pytest.raises(InputError, match=r"still be adverse at the reasons' threshold 0\.7"):
        local.reasons(adverse="decrease", threshold=0.7, counterfactuals=at_half)
    assert local.reasons(adverse="decrease", threshold=0.7, counterfactuals=cfs).counterfactuals is cfs
    # the same rule in log-odds: logit(0.7)
    logit = float(np.log(0.7 / 0.3))
    log_odds = ex.Explainer(model, background=split.X_train[numeric], output="log_odds").explain_local(declined)
    assert log_odds.reasons(adverse="decrease", threshold=logit, counterfactuals=cfs).counterfactuals is cfs
    with pytest.raises(InputError, match="still be adverse"):
        log_odds.reasons(adverse="decrease", threshold=logit, counterfactuals=at_half)


def test_reasons_flag_protected_features_and_say_the_outcome() -> None:
    local, cfs, _ = _credit_reasons_setup()
    top = local.reasons(k=1, adverse="decrease").to_frame()["feature"].iloc[0]
    reasons = local.reasons(k=3, adverse="decrease", threshold=0.7, protected=[top], counterfactuals=cfs)
    frame = reasons.to_frame()
    assert frame["protected"].tolist() == (frame["feature"] == top).tolist()
    flagged = [line for line in reasons.text(0).splitlines() if "PROTECTED ATTRIBUTE" in line]
    assert flagged and all(f"[{top}]" in line for line in flagged)
    assert "protected" not in local.reasons(adverse="decrease").to_frame().columns
    text = reasons.text(0, outcome="the loan would be approved")
    assert "the loan would be approved." in text and "the decision would be" not in text
    with pytest.raises(InputError, match="does not have"):
        local.reasons(adverse="decrease", protected=["sex"])
