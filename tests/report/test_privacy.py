"""Small groups never leak: a group under the policy's ``min_group_size`` shows its size only.

One audit holds a group of every size below the minimum (1 to 29 rows, default minimum 30), a
12-row group of another attribute, and their intersections. The whole evidence is walked: any
record of a small group may carry its size and nothing else numeric; no chart names a small
group. Then the distinctive numbers of the 12-row group (favourable rate, ROC AUC, error rates,
confidence bounds), formatted exactly as the exporters print them, are searched for in every
string of the evidence, in the HTML text and in the text of the PDF.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from typing import Any

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score

import explain as ex
from explain.report._view import format_value

MIN = 30  # Policy().min_group_size
FAST = {"explain_rows": 60, "n_bootstrap": 20, "stability_runs": 2}
STAMP = "2026-01-02T03:04:05Z"
SIZE_KEYS = frozenset({"count", "n", "rows", "share", "train", "test", "train_share", "test_share"})
FLAG_KEYS = frozenset({"suppressed", "is_reference"})


def _regions(n: int) -> np.ndarray:
    """Regions ``region_01`` ... ``region_29`` of 1 ... 29 rows, the rest split north / south."""
    small = np.concatenate([np.full(k, f"region_{k:02d}") for k in range(1, MIN)])
    rest = np.where(np.arange(n - len(small)) % 2 == 0, "north", "south")
    return np.concatenate([small, rest])


def _data(n: int, seed: int) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = pd.DataFrame({"income": rng.normal(0, 1, n), "debt": rng.uniform(0, 1, n), "age": rng.integers(18, 80, n)})
    logit = 1.5 * X["income"] - 2.0 * X["debt"] + 0.02 * (X["age"] - 45) + 0.8
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    X["region"] = rng.permutation(_regions(n))
    # the small regions are all "f": their intersections are as small, and the report stays short
    X["sex"] = np.where(X["region"].str.startswith("region_"), "f", rng.choice(["f", "m"], n))
    return X, y


@pytest.fixture(scope="module")
def case() -> dict[str, Any]:
    X_train, y_train = _data(800, 0)
    X_test, y_test = _data(1000, 1)
    features = ["income", "debt", "age"]
    model = LogisticRegression(max_iter=500).fit(X_train[features], y_train)
    scores = model.predict_proba(X_test[features])[:, 1]
    # the 12-row group: rows with both outcomes and a favourable rate that is not a round number
    favourable = scores >= 0.5
    large = X_test["region"].isin(["north", "south"]).to_numpy()
    pool = np.flatnonzero(favourable & large)[:7].tolist() + np.flatnonzero(~favourable & large)[:5].tolist()
    X_test.loc[X_test.index[pool], "sex"] = "x"
    report = ex.audit(
        model, X_train, y_train, X_test, y_test, sensitive_features=["sex", "region"], policy=FAST, generated_at=STAMP
    )
    return {"report": report, "X_test": X_test, "y_test": y_test, "scores": scores, "x_rows": np.array(pool)}


def _small_groups(X_test: pd.DataFrame) -> set[str]:
    labels = {c: X_test[c].astype(str).to_numpy() for c in ("sex", "region")}
    labels["sex & region"] = np.array([f"{a} & {b}" for a, b in zip(labels["sex"], labels["region"], strict=True)])
    small = set()
    for values in labels.values():
        groups, counts = np.unique(values, return_counts=True)
        small |= {str(g) for g, c in zip(groups, counts, strict=True) if c < MIN}
    return small


def _walk(node: Any, path: str = "") -> Iterator[tuple[str, Any]]:
    yield path, node
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _walk(v, f"{path}/{k}")
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _walk(v, f"{path}[{i}]")


def test_every_size_below_the_minimum_is_in_the_audit(case):
    small = _small_groups(case["X_test"])
    assert {f"region_{k:02d}" for k in range(1, MIN)} <= small
    assert "x" in small and "f" not in small and "north" not in small
    assert any(" & " in g for g in small)  # intersections too


def test_no_record_of_a_small_group_holds_anything_but_its_size(case):
    small = _small_groups(case["X_test"])
    seen = set()
    for path, node in _walk(case["report"].evidence):
        if isinstance(node, dict) and str(node.get("group")) in small:
            seen.add(node["group"])
            for key, value in node.items():
                if isinstance(value, bool):
                    assert key in FLAG_KEYS, (path, key, value)
                elif isinstance(value, (int, float)):
                    assert key in SIZE_KEYS, f"{path}/{key} = {value} for the small group {node['group']!r}"
        if isinstance(node, dict) and "labels" in node:  # a chart: bars are per-group numbers
            drawn = {str(label) for label in node["labels"]}
            assert not drawn & small, (path, sorted(drawn & small))
    # every table that lists groups listed the small ones (so the walk looked at them)
    assert small <= seen


def _needles(case: dict[str, Any]) -> dict[str, list[str]]:
    """What the report would print for the 12-row group, and, as a control, for the group f."""
    X_test, y, scores = case["X_test"], case["y_test"], case["scores"]
    out = {}
    for group in ("x", "f"):
        mask = (X_test["sex"] == group).to_numpy()
        selected = scores[mask] >= 0.5
        k, n = int(selected.sum()), int(mask.sum())
        ci = stats.binomtest(k, n).proportion_ci(0.95, method="wilson")
        truth = y[mask].astype(bool)
        numbers = [
            format_value(k / n, "pct"),
            format_value(k / n, "float"),
            format_value(roc_auc_score(y[mask], scores[mask]), "float"),
            format_value(float(selected[truth].mean()), "pct"),
            format_value(float(selected[~truth].mean()), "pct"),
            format_value(ci.low, "pct"),
            format_value(ci.high, "pct"),
        ]
        out[group] = numbers
    return out


def _strings(evidence: dict[str, Any]) -> str:
    return "\n".join(node for _, node in _walk(evidence) if isinstance(node, str))


def _present(needle: str, text: str) -> bool:
    # a number on its own: "58.3%" must not match inside "158.3%"
    return re.search(rf"(?<![\d.]){re.escape(needle)}(?!\d)", text) is not None


def test_the_small_groups_numbers_appear_in_no_string_of_the_evidence(case):
    needles = _needles(case)
    text = _strings(case["report"].evidence)
    assert not [n for n in needles["x"] if _present(n, text)]


def test_the_small_groups_numbers_appear_nowhere_in_the_html_and_pdf(case, tmp_path):
    pytest.importorskip("typst")
    pypdf = pytest.importorskip("pypdf")
    report, needles = case["report"], _needles(case)
    page = report.to_html(tmp_path / "audit.html").read_text(encoding="utf-8")
    body = html.unescape(re.sub(r"<[^>]+>", " ", page.split("<body", 1)[-1]))
    pdf = pypdf.PdfReader(str(report.to_pdf(tmp_path / "audit.pdf")))
    text = "\n".join(p.extract_text() or "" for p in pdf.pages)
    for name, rendered in (("HTML", body), ("PDF", text)):
        # the control: the large group's favourable rate is printed, so the search would find x's
        assert _present(needles["f"][0], rendered), name
        leaked = [n for n in needles["x"] if _present(n, rendered)]
        assert not leaked, f"{name} prints the 12-row group's numbers {leaked}"


def test_the_tables_say_why_a_small_group_has_no_numbers(case):
    by_group = case["report"].table("performance", "performance_by_group")
    x = by_group[(by_group["attribute"] == "sex") & (by_group["group"] == "x")].iloc[0]
    assert x["n"] == 12 and pd.isna(x["score"]) and pd.isna(x["favourable"])
    assert "fewer than 30 rows" in x["note"]
    f = by_group[(by_group["attribute"] == "sex") & (by_group["group"] == "f")].iloc[0]
    assert f["score"] is not None and f["favourable"] is not None
    fairness = case["report"].table("fairness", "fairness_sex")
    x = fairness[fairness["group"] == "x"].iloc[0]
    assert x["count"] == 12 and pd.isna(x["selected"]) and pd.isna(x["selection_rate"])


# --- Complementary suppression: a small group's counts cannot be derived by subtraction ---------
#
# Every additive count a table prints for a group (selected, positives, errors ...) adds up over
# the groups of an attribute to the overall count, which the report prints too (the confusion
# matrix). So the overall count minus the shown groups' counts is the hidden groups' count taken
# together: the hidden groups of an attribute must hold at least MIN rows between them.

ATTRIBUTES = ("sex", "region", "sex & region")


def _overall_selected(report: Any) -> int:
    confusion = report.table("performance", "confusion")
    return int(confusion["favourable"].sum())  # true and false positives: every favourable decision


def _labels(X_test: pd.DataFrame) -> dict[str, np.ndarray]:
    labels = {c: X_test[c].astype(str).to_numpy() for c in ("sex", "region")}
    labels["sex & region"] = np.array([f"{a} & {b}" for a, b in zip(labels["sex"], labels["region"], strict=True)])
    return labels


def _shown_selected(report: Any) -> dict[str, dict[str, dict[str, int]]]:
    """Per table and attribute, the selected count of every group the table shows it for."""
    out: dict[str, dict[str, dict[str, int]]] = {"fairness": {}, "performance": {}}
    for attr in ATTRIBUTES:
        rows = report.table("fairness", f"fairness_{attr}")
        out["fairness"][attr] = {str(r.group): int(r.selected) for r in rows.itertuples() if not pd.isna(r.selected)}
    by_group = report.table("performance", "performance_by_group")
    for attr in ATTRIBUTES:
        rows = by_group[by_group["attribute"] == attr]
        out["performance"][attr] = {
            str(r.group): round(float(r.favourable) * int(r.n)) for r in rows.itertuples() if not pd.isna(r.favourable)
        }
    return out


def test_the_12_row_groups_selected_count_cannot_be_derived_by_subtraction(case):
    report, X_test = case["report"], case["X_test"]
    selected = case["scores"] >= 0.5
    true_x = int(selected[(X_test["sex"] == "x").to_numpy()].sum())
    assert true_x == 7  # the fixture's 12-row group: 7 favourable decisions
    overall = _overall_selected(report)
    assert overall == int(selected.sum())
    for table_name, tables in _shown_selected(report).items():
        shown = tables["sex"]
        assert "x" not in shown
        hidden = set(np.unique(X_test["sex"])) - set(shown)
        derived = overall - sum(shown.values())
        hidden_rows = int(X_test["sex"].isin(hidden).sum())
        # what the subtraction gives is the hidden groups' count together, never x's alone
        assert hidden_rows >= MIN and hidden != {"x"}, (table_name, sorted(hidden), derived, true_x)


def test_the_hidden_groups_of_every_attribute_hold_at_least_the_minimum_together(case):
    report, labels = case["report"], _labels(case["X_test"])
    selected = case["scores"] >= 0.5
    overall = _overall_selected(report)
    for table_name, tables in _shown_selected(report).items():
        for attr, shown in tables.items():
            values = labels[attr]
            hidden = ~np.isin(values, list(shown))
            if not hidden.any():
                continue
            derived = overall - sum(shown.values())
            assert derived == int(selected[hidden].sum())  # the subtraction works ...
            # ... but on at least MIN rows
            assert hidden.sum() >= MIN, (table_name, attr, sorted(set(values[hidden])), int(hidden.sum()))


def test_no_small_group_is_a_linear_combination_of_the_published_groups(case):
    """Stronger than one table at a time: the overall count and every group any table shows a
    count for (fairness or performance, marginal or intersection) are linear equations in the
    counts of the cells sex x region; no small group, and no attribute's hidden groups taken
    together when they hold under MIN rows, may be in their span."""
    report, labels = case["report"], _labels(case["X_test"])
    cells, inverse = np.unique(labels["sex & region"], return_inverse=True)
    published = [np.ones(len(cells))]
    for tables in _shown_selected(report).values():
        for attr, shown in tables.items():
            for group in shown:
                published.append(np.bincount(inverse, weights=labels[attr] == group, minlength=len(cells)) > 0)
    basis = np.linalg.svd(np.array(published, dtype=float), full_matrices=False)
    rank = int((basis[1] > 1e-9 * basis[1][0]).sum())
    rows = basis[2][:rank]

    def derivable(mask: np.ndarray) -> bool:
        v = (np.bincount(inverse, weights=mask, minlength=len(cells)) > 0).astype(float)
        return bool(np.linalg.norm(v - rows.T @ (rows @ v)) < 1e-8)

    small = _small_groups(case["X_test"])
    for attr, values in labels.items():
        for group in set(values) & small:
            assert not derivable(values == group), (attr, group)
        shown = set().union(*(t[attr] for t in _shown_selected(report).values()))
        hidden = ~np.isin(values, list(shown))
        if hidden.any() and hidden.sum() < MIN:
            assert not derivable(hidden), (attr, int(hidden.sum()))


@pytest.mark.parametrize(
    ("sizes", "hidden"),
    [
        ({"a": 12, "b": 41, "c": 300, "d": 500}, {"a", "b"}),  # the smallest large group joins the small one
        ({"a": 12, "b": 15, "c": 40, "d": 500}, {"a", "b", "c"}),  # 27 rows hidden are not enough
        ({"a": 20, "b": 25, "c": 300, "d": 500}, {"a", "b"}),  # two small groups of 45 rows: enough
        ({"a": 12, "b": 300}, {"a", "b"}),  # two groups: the other one too
        ({"a": 40, "b": 300}, set()),  # nothing small, nothing hidden
    ],
)
def test_group_metrics_hides_the_smallest_groups_until_the_hidden_hold_the_minimum(sizes, hidden):
    labels = np.concatenate([np.full(n, g) for g, n in sizes.items()])
    y_pred = (np.arange(len(labels)) % 3 == 0).astype(int)
    table = ex.metrics.group_metrics(None, y_pred, {"g": labels}, min_share=0).by_group.loc["g"]
    assert set(table.index[table["suppressed"]]) == hidden
    assert table.loc[sorted(hidden), "selected"].isna().all()
    assert table.loc[sorted(hidden), "impact_ratio"].isna().all()  # no ratio to a printed reference either
    for g in hidden:
        small = sizes[g] < MIN
        assert ("fewer than 30 rows" in table.loc[g, "reason"]) == small
        assert ("cannot be derived by subtraction" in table.loc[g, "reason"]) != small


def test_a_group_hidden_in_one_table_is_hidden_in_every_table(case):
    """The fairness and performance sections hide the same groups: a group hidden in one table
    and shown in the other would give the subtraction back."""
    report = case["report"]
    by_group = report.table("performance", "performance_by_group")
    for attr in ATTRIBUTES:
        fairness = report.table("fairness", f"fairness_{attr}").set_index("group")
        performance = by_group[by_group["attribute"] == attr].set_index("group")
        assert sorted(fairness.index) == sorted(performance.index)
        hidden = fairness.index[fairness["selected"].isna()]
        assert performance.loc[hidden, "favourable"].isna().all() and performance.loc[hidden, "score"].isna().all()
        assert performance.drop(hidden)["favourable"].notna().all()
        for group in hidden:
            values = fairness.loc[group].drop(["count", "reason"]).dropna()
            assert set(values.index) <= {"group", "test"} | FLAG_KEYS, (attr, group, values.to_dict())
            small = fairness.loc[group, "count"] < MIN
            assert ("fewer than 30 rows" in performance.loc[group, "note"]) == small
            assert ("cannot be derived by subtraction" in fairness.loc[group, "reason"]) != small
    # the 12-row group x is hidden with the smallest other group, m
    sex = report.table("fairness", "fairness_sex").set_index("group")
    assert sorted(sex.index[sex["selected"].isna()]) == ["m", "x"]
