"""Protected attributes used by the model: sensitive attributes that are model inputs, inputs
that are near-perfect proxies of one, and Regulation B's age rule (12 CFR 1002.6(b)(2)).

The fairness section shows the findings; the local-explanations section marks the principal
reasons that cite a protected input (:func:`protected_features`, computed once per audit).

Proxy measure: Cramér's V (``scipy.stats.contingency.association``) between each model input and
each sensitive attribute on the test data. Numeric inputs with more than ten distinct values are
cut at their deciles, missing values are a category of their own. An input at or above
``Policy.proxy_association`` (0.8) is a proxy. V is biased upward on few rows (an unrelated decile
input scores about sqrt(9 / rows): 0.13 on 500), far below the threshold.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pandas as pd

from ._context import AuditContext
from ._schema import column, finding, paragraph, table

__all__ = ["age_rule", "protected_features", "protected_inputs"]

AGE_LIMIT = 62  # 12 CFR 1002.6(b)(2): "elderly" is 62 or older (1002.2(o))
AGE_TOLERANCE = 0.01  # score units (probability); for a regressor, times the scores' standard deviation
PD_ROWS = 300  # rows averaged in the partial dependence of the age rule
TOP_PROXIES = 10
STATUS = {"warn": "warn", "fail": "fail", "allow": "info"}


def _categories(values: pd.Series) -> np.ndarray:
    """A column as text categories: numeric columns with more than ten values cut at their deciles."""
    numeric = pd.api.types.is_numeric_dtype(values.dtype) and not pd.api.types.is_bool_dtype(values.dtype)
    if numeric and values.nunique() > 10:
        values = pd.qcut(values.astype(float), 10, labels=False, duplicates="drop")
    return np.asarray(values.astype(object).where(values.notna(), "<missing>").astype(str))


def cramers_v(a: pd.Series, b: pd.Series) -> float:
    """Cramér's V between two columns (0: independent, 1: one determines the other).

    >>> s = pd.Series(["f", "m"] * 50)
    >>> round(cramers_v(s, s), 3), round(cramers_v(s, pd.Series(["x"] * 50 + ["y"] * 50)), 3)
    (1.0, 0.0)
    """
    from scipy.stats.contingency import association, crosstab

    counts = crosstab(_categories(a.reset_index(drop=True)), _categories(b.reset_index(drop=True))).count
    if min(counts.shape) < 2:
        return 0.0
    return float(association(counts, method="cramer"))


def age_column(ctx: AuditContext) -> str | None:
    """The model input holding age: ``policy.age_feature``, or a numeric input named like age."""
    if ctx.policy.age_feature:
        return ctx.policy.age_feature if ctx.policy.age_feature in ctx.X_test.columns else None
    for name in ctx.X_test.columns:
        words = re.split(r"[^a-z0-9]+", str(name).lower())
        if "age" in words and pd.api.types.is_numeric_dtype(ctx.X_test[name].dtype):
            return str(name)
    return None


def protected_features(ctx: AuditContext) -> dict[str, dict[str, Any]]:
    """Model inputs that are a sensitive attribute or a proxy of one: feature to
    ``{"attribute", "kind" ("sensitive" or "proxy"), "association"}``. Computed once per audit;
    the table of every input's strongest association is kept in ``ctx.extras["proxies"]``."""
    if "protected" in ctx.extras:
        return dict(ctx.extras["protected"])
    out: dict[str, dict[str, Any]] = {}
    rows: list[dict[str, Any]] = []
    sens = ctx.sensitive_test
    age = age_column(ctx)
    if sens is not None:
        for attr in sens.columns:
            if attr in ctx.X_test.columns and attr != age:
                out[str(attr)] = {"attribute": str(attr), "kind": "sensitive", "association": 1.0}
        for name in ctx.X_test.columns:
            if name in sens.columns or name == age:
                continue
            scores = {str(a): cramers_v(ctx.X_test[name], sens[a]) for a in sens.columns}
            attr = max(scores, key=scores.__getitem__)
            v = scores[attr]
            proxy = v >= ctx.policy.proxy_association
            rows.append({"feature": str(name), "attribute": attr, "association": v, "proxy": proxy})
            if proxy:
                out[str(name)] = {"attribute": attr, "kind": "proxy", "association": v}
    rows.sort(key=lambda r: -r["association"])
    ctx.extras["protected"] = out
    ctx.extras["proxies"] = rows
    return dict(out)


def mark(feature: str, protected: dict[str, dict[str, Any]]) -> str:
    """The note a reason citing ``feature`` carries, or "" when it is not protected."""
    p = protected.get(feature)
    if p is None:
        return ""
    if p["kind"] == "sensitive":
        return f"(protected attribute: {feature} — Regulation B prohibits considering it)"
    return (
        f"(proxy of the protected attribute {p['attribute']}: Cramér's V {p['association']:.2f} — Regulation B "
        "prohibits considering it)"
    )


def protected_inputs(ctx: AuditContext) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The finding ``fairness.protected_inputs`` and its table (nothing without sensitive attributes)."""
    if ctx.sensitive_test is None:
        return [], []
    p = ctx.policy
    found = protected_features(ctx)
    direct = sorted(f for f, v in found.items() if v["kind"] == "sensitive")
    proxies = sorted((f for f, v in found.items() if v["kind"] == "proxy"), key=lambda f: -found[f]["association"])
    parts = []
    if direct:
        parts.append(f"sensitive attribute(s) used as model inputs: {', '.join(direct)}")
    if proxies:
        parts.append(
            "proxies: "
            + ", ".join(f"{f} of {found[f]['attribute']} (V = {found[f]['association']:.2f})" for f in proxies)
        )
    age = age_column(ctx)
    exempt = f" The input {age!r} is judged by the age rule (12 CFR 1002.6(b)(2)), not here." if age else ""
    message = (
        (
            _first_upper("; ".join(parts)) + ". Regulation B (12 CFR 1002.4(a), 1002.6(b)) forbids considering a "
            "prohibited basis; the EU AI Act (Art. 10(5)) and GDPR (Art. 9) allow special-category data for bias "
            f"detection, not as a basis of the decision. Policy: protected_inputs={p.protected_inputs!r}."
        )
        if parts
        else f"No sensitive attribute is a model input and no input reaches Cramér's V {p.proxy_association:g} "
        "with one."
    ) + exempt
    result = finding(
        "fairness.protected_inputs",
        "fairness",
        "No protected attribute used by the model",
        metric="inputs that are sensitive attributes or proxies",
        observed=len(found),
        threshold=0,
        comparison="<=",
        format="int",
        status=STATUS[p.protected_inputs] if found else "pass",  # type: ignore[arg-type]
        message=message,
    )
    rows = [
        {"feature": f, "attribute": f, "association": 1.0, "kind": "sensitive attribute (model input)"} for f in direct
    ] + [
        {
            "feature": r["feature"],
            "attribute": r["attribute"],
            "association": r["association"],
            "kind": "proxy" if r["proxy"] else "",
        }
        for r in ctx.extras["proxies"][:TOP_PROXIES]
    ]
    blocks = [
        paragraph(
            "Protected attributes used by the model: a sensitive attribute that is itself a model input, or an input "
            "that nearly determines one. The association is Cramér's V between the input and the attribute on the "
            "test data (numeric inputs with more than ten values cut at their deciles; missing values a category of "
            f"their own); at or above {p.proxy_association:g} the input is a proxy."
        ),
        table(
            "protected_inputs",
            f"Model inputs most associated with a sensitive attribute (top {TOP_PROXIES})",
            [
                column("feature", "Model input"),
                column("attribute", "Sensitive attribute"),
                column("association", "Cramér's V", "float2"),
                column("kind", "Flag"),
            ],
            rows,
        ),
    ]
    return [result], blocks


def _first_upper(text: str) -> str:
    return text[:1].upper() + text[1:]


def _partial_dependence(ctx: AuditContext, feature: str, values: np.ndarray) -> np.ndarray:
    """The mean score of up to ``PD_ROWS`` test rows with ``feature`` set to each of ``values``."""
    from ._sections_explain import _score

    rng = np.random.default_rng(ctx.random_state)
    n = len(ctx.X_test)
    rows = ctx.X_test.iloc[np.sort(rng.choice(n, PD_ROWS, replace=False))] if n > PD_ROWS else ctx.X_test
    X = pd.concat([rows] * len(values), ignore_index=True)
    X[feature] = np.repeat(values, len(rows)).astype(ctx.X_test[feature].dtype, copy=False)
    return np.asarray(_score(ctx, X), dtype=float).reshape(len(values), len(rows)).mean(axis=1)


def age_rule(ctx: AuditContext) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Regulation B's age rule: applicants aged 62 or more are not scored adversely for age. Checked
    for classifiers and for regressors with a declared ``regression_threshold`` (their predictions
    decide); a regressor that only predicts is not judged by it.

    The partial dependence of the score on age (the mean score of a sample of test applicants
    with their age set to each value) is averaged over the ages of the older test applicants and
    over those of the younger ones; the rule fails when the older applicants' average is lower by
    more than ``AGE_TOLERANCE``.
    """
    age = age_column(ctx)
    # Regulation B governs credit decisions: a regressor whose predictions decide nothing (no
    # regression_threshold) is not judged by it
    if age is None or not (ctx.is_classifier or ctx.policy.regression_threshold is not None):
        return [], []
    ages = ctx.X_test[age].astype(float).dropna()
    old, young = ages[ages >= AGE_LIMIT], ages[ages < AGE_LIMIT]
    title = f"Applicants aged {AGE_LIMIT}+ not scored adversely for age"
    if not len(old) or not len(young):
        side = "no test applicant is" if not len(old) else "every test applicant is"
        return [
            finding(
                "fairness.age_rule",
                "fairness",
                title,
                metric="age effect, older minus younger",
                observed=None,
                message=f"Not measured: {side} aged {AGE_LIMIT} or more ({age}).",
            )
        ], []
    quantiles = np.linspace(0.05, 0.95, 10)
    old_grid, young_grid = np.unique(np.quantile(old, quantiles)), np.unique(np.quantile(young, quantiles))
    pd_old = _partial_dependence(ctx, age, old_grid)
    pd_young = _partial_dependence(ctx, age, young_grid)
    gap = float(pd_old.mean() - pd_young.mean())
    tolerance = AGE_TOLERANCE * (1.0 if ctx.is_classifier else float(np.std(ctx.scores_test)) or 1.0)
    found = finding(
        "fairness.age_rule",
        "fairness",
        title,
        metric=f"mean partial dependence, aged {AGE_LIMIT}+ minus younger",
        observed=gap,
        threshold=-tolerance,
        comparison=">=",
        message=f"Mean {ctx.score_name} with {age} set to the ages of applicants aged {AGE_LIMIT}+: {pd_old.mean():.4f}"
        f" (lowest {pd_old.min():.4f}); to the ages of younger applicants: {pd_young.mean():.4f}. Regulation B "
        "(12 CFR 1002.6(b)(2)(ii)) lets an empirically derived credit scoring system use age only if an elderly "
        "applicant's age is not assigned a negative factor or value.",
    )
    blocks = [
        paragraph(
            f"Age rule (12 CFR 1002.6(b)(2)): {age} is a model input. The partial dependence of {ctx.score_name} on "
            f"{age} (the mean over {min(PD_ROWS, len(ctx.X_test))} test applicants with {age} set to a value) is "
            f"averaged over the deciles of the ages of the {len(old)} test applicants aged {AGE_LIMIT}+ and of the "
            f"{len(young)} younger ones; the older average may not be lower by more than {tolerance:.3g}."
        )
    ]
    return [found], blocks
