"""Protected attributes used by the model: sensitive inputs, proxies, marked reasons, the age rule."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.ensemble import HistGradientBoostingClassifier

import explain as ex
from explain.errors import InputError
from explain.report._sections_protected import cramers_v

POLICY = {"explain_rows": 60, "n_bootstrap": 20, "stability_runs": 2}
N = 1500


def _data(penalise_age: bool) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(0)
    sex = rng.integers(0, 2, N)
    age = rng.integers(18, 81, N).astype(float)
    X = pd.DataFrame(
        {
            "income": rng.normal(0, 1, N),
            "sex": sex,
            "sex_proxy": np.where(rng.random(N) < 0.02, 1 - sex, sex),  # sex, 2 % of it flipped
            "unrelated": rng.normal(0, 1, N),
            "age": age,
        }
    )
    if penalise_age:
        logit = 0.5 + X["income"] - 1.5 * sex - 2.0 * (age >= 62)
    else:
        logit = 0.5 + X["income"] + 0.02 * (age - 40)  # older applicants score better
    y = (rng.random(N) < 1 / (1 + np.exp(-logit))).to_numpy().astype(int)
    return X, y


def _audit(columns: list[str], penalise_age: bool, **policy: object) -> ex.AuditReport:
    X, y = _data(penalise_age)
    model = HistGradientBoostingClassifier(max_iter=30, random_state=0).fit(X[columns][:1000], y[:1000])
    return ex.audit(
        model,
        X[:1000],
        y[:1000],
        X[1000:],
        y[1000:],
        sensitive_features=["sex"],
        policy=POLICY | policy,
        generated_at="2026-01-01T00:00:00Z",
    )


@pytest.fixture(scope="module")
def with_sex() -> ex.AuditReport:
    return _audit(["income", "sex", "sex_proxy", "unrelated", "age"], penalise_age=True)


@pytest.fixture(scope="module")
def without_sex() -> ex.AuditReport:
    return _audit(["income", "unrelated", "age"], penalise_age=False)


def _finding(report: ex.AuditReport, id: str) -> pd.Series:
    return report.findings.set_index("id").loc[id]


def test_sex_as_a_model_input_warns_by_default(with_sex: ex.AuditReport) -> None:
    found = _finding(with_sex, "fairness.protected_inputs")
    assert found["status"] == "warn"
    assert found["observed"] == 2  # sex itself and its proxy
    assert "sex" in found["message"] and "1002.6(b)" in found["message"]


def test_sex_as_a_model_input_fails_under_the_policy() -> None:
    report = _audit(["income", "sex", "unrelated"], penalise_age=True, protected_inputs="fail")
    assert _finding(report, "fairness.protected_inputs")["status"] == "fail"
    assert _finding(report, "local.protected_reasons")["status"] == "fail"
    assert report.verdict == "fail"


def test_a_proxy_is_flagged_and_an_unrelated_feature_is_not(with_sex: ex.AuditReport) -> None:
    table = with_sex.table("fairness", "protected_inputs").set_index("feature")
    assert table.loc["sex_proxy", "kind"] == "proxy"
    assert table.loc["sex_proxy", "association"] > 0.9
    assert table.loc["unrelated", "kind"] == ""
    assert table.loc["unrelated", "association"] < 0.3
    assert "age" not in table.index  # judged by the age rule


def test_adverse_reasons_citing_sex_are_marked(with_sex: ex.AuditReport) -> None:
    reasons = with_sex.table("local_explanations", "adverse_decisions")["reasons"]
    citing = [r for r in reasons if "R02 sex (" in r]
    assert citing and all("(protected attribute: sex — Regulation B prohibits considering it)" in r for r in citing)
    found = _finding(with_sex, "local.protected_reasons")
    assert found["status"] == "warn" and found["observed"] >= len(citing)
    blocks = with_sex.section("local_explanations")["blocks"]
    text = next(b["text"] for b in blocks if b["type"] == "notice")
    lines = [line for line in text.splitlines() if line[:1].isdigit()]
    assert all(("protected attribute" in line) == (line.split(". ", 1)[1].startswith("sex")) for line in lines)


def test_the_age_rule_fails_when_applicants_62_and_over_are_penalised(with_sex: ex.AuditReport) -> None:
    found = _finding(with_sex, "fairness.age_rule")
    assert found["status"] == "fail"
    assert found["observed"] < -0.1


def test_the_age_rule_passes_when_older_applicants_are_not_penalised(without_sex: ex.AuditReport) -> None:
    assert _finding(without_sex, "fairness.age_rule")["status"] == "pass"
    assert _finding(without_sex, "fairness.protected_inputs")["status"] == "pass"
    assert _finding(without_sex, "local.protected_reasons")["status"] == "pass"
    assert "(protected attribute" not in " ".join(
        without_sex.table("local_explanations", "adverse_decisions")["reasons"]
    )


def test_the_policy_setting_is_checked() -> None:
    assert ex.Policy(protected_inputs="allow").protected_inputs == "allow"
    with pytest.raises(InputError, match="protected_inputs='maybe'"):
        ex.Policy(protected_inputs="maybe")
    with pytest.raises(InputError, match="proxy_association must lie in"):
        ex.Policy(proxy_association=1.5)
    with pytest.raises(InputError, match="age_feature=3"):
        ex.Policy(age_feature=3)  # type: ignore[arg-type]


def test_cramers_v_of_a_copy_is_one_and_of_noise_small() -> None:
    rng = np.random.default_rng(1)
    sex = pd.Series(rng.integers(0, 2, 2000))
    assert cramers_v(sex, sex) == pytest.approx(1.0)
    assert cramers_v(pd.Series(rng.normal(size=2000)), sex) < 0.15
