"""Sections about risk and governance: fairness, drift, limitations, monitoring, standards,
sign-off, and the appendices (crosswalk, provenance, glossary)."""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import metrics
from ..metrics.fairness_disclosure import DERIVABLE
from ._context import AuditContext
from ._schema import (
    bar_chart,
    chart,
    column,
    facts,
    finding,
    findings_block,
    paragraph,
    table,
)
from ._sections_explain import regression_threshold
from ._sections_model import Built, _sec
from ._sections_protected import age_rule, protected_inputs

__all__ = ["drift_section", "fairness_section"]


TESTS = {"two_proportion_z": "two-proportion z-test", "fisher_exact": "Fisher's exact test"}


def fairness_section(ctx: AuditContext) -> Built:
    p = ctx.policy
    age_found, age_blocks = age_rule(ctx)
    if ctx.sensitive_test is None:
        found = [
            finding(
                "fairness.tested",
                "fairness",
                "Bias audit performed",
                metric="sensitive attributes",
                observed=0,
                status="warn",
                format="int",
                message="No sensitive_features were given, so no bias audit was done. The EU AI Act "
                "(Art. 10(2)(f)) and NYC LL144 expect one.",
            ),
            *age_found,
        ]
        return _sec(
            "fairness",
            "Not done: no sensitive attributes given.",
            [*age_blocks, findings_block([f["id"] for f in found])],
            found,
            not_applicable="no sensitive_features were given",
        )
    ctx.log("Auditing fairness per group and intersection")
    gm = metrics.group_metrics(
        ctx.y_test if ctx.is_classifier else None,
        ctx.selected_test.astype(int),
        ctx.sensitive_test,
        y_score=ctx.scores_test,
        min_group_size=p.min_group_size,
        min_share=p.min_group_share,
        alpha=p.alpha,
    )
    ctx.extras["group_metrics"] = gm
    by = gm.by_group.reset_index()
    found, blocks = [], []
    blocks.append(
        paragraph(
            "Selection rate: the share of each group given the favourable decision on the test data "
            f"({ctx.score_name} at least {p.decision_threshold:g})."
            if ctx.is_classifier
            else "Selection rate: the share of each group whose prediction is above the median prediction on the "
            "test data. Fairness compares a binary outcome and a regressor gives a number, so by the convention "
            "of NYC LL144 for continuous scores a row 'selected' here is a row predicted above the median"
            + (
                " (not the policy's regression_threshold, which the local explanations use)."
                if regression_threshold(ctx) is not None
                else "; the model itself takes no decision."
            )
        )
    )
    for attr in gm.attributes:
        rows = by[by["attribute"] == attr]
        kept = rows[~rows["suppressed"].astype(bool)]
        ref = gm.reference[attr]
        # compared with the reference: none when suppression leaves the reference group alone
        compared = kept[kept["impact_ratio"].notna() & ~kept["is_reference"].astype(bool)]
        worst = compared.loc[compared["impact_ratio"].idxmin()] if len(compared) else None
        if worst is None:
            found.append(
                finding(
                    f"fairness.impact_ratio.{attr}",
                    "fairness",
                    f"Impact ratio, {attr}",
                    metric="lowest impact ratio",
                    observed=None,
                    message="No two groups are large enough to compare."
                    if not rows["reason"].str.contains(DERIVABLE, regex=False).any()
                    else "No two groups can be compared: the others are too small, or left out so that a small "
                    "group cannot be derived by subtraction.",
                )
            )
        else:
            # NA (no test) is not significant
            ratio, significant = float(worst["impact_ratio"]), _plain(worst["significant"]) is True
            ref_rate = float(rows.loc[rows["group"] == ref, "selection_rate"].iloc[0])
            status = "pass" if ratio >= p.min_impact_ratio else ("fail" if significant else "warn")
            found.append(
                finding(
                    f"fairness.impact_ratio.{attr}",
                    "fairness",
                    f"Impact ratio, {attr}",
                    metric="lowest impact ratio",
                    observed=ratio,
                    threshold=p.min_impact_ratio,
                    comparison=">=",
                    status=status,  # type: ignore[arg-type]
                    message=f"Group {worst['group']!s} ({int(worst['count'])} rows): selection rate "
                    f"{worst['selection_rate']:.1%} against {ref_rate:.1%} for {ref!s} (the most selected group); "
                    f"{TESTS.get(worst['test'], worst['test'])} p = {worst['p_value']:.2g}"
                    + (" (significant)." if significant else " (not significant)."),
                )
            )
        if ctx.is_classifier and len(kept) > 1:  # one group left: no gap (not a gap of 0)
            gap = max(gm.difference("tpr", attribute=attr), gm.difference("fpr", attribute=attr))
            if not np.isnan(gap):
                found.append(
                    finding(
                        f"fairness.error_rates.{attr}",
                        "fairness",
                        f"Error-rate gap, {attr}",
                        metric="largest TPR or FPR difference",
                        observed=gap,
                        threshold=p.max_error_rate_gap,
                        comparison="<=",
                        status="pass" if gap <= p.max_error_rate_gap else "warn",
                        message=f"Equalized-odds difference {gap:.3f} (fairlearn's definition), supplementary.",
                    )
                )
        blocks.append(
            table(
                f"fairness_{attr}",
                f"{attr}: selection rates and impact ratios (reference group: {ref})",
                [
                    column("group", "Group"),
                    column("count", "N", "int"),
                    column("selected", "Selected", "int"),
                    column("selection_rate", "Rate", "pct"),
                    column("ci_low", "CI low", "pct"),
                    column("ci_high", "CI high", "pct"),
                    column("impact_ratio", "Impact ratio", "float2"),
                    column("four_fifths", "< 4/5", "bool"),
                    column("p_value", "p-value", "pvalue"),
                    column("test", "Test"),
                    column("tpr", "TPR", "pct"),
                    column("fpr", "FPR", "pct"),
                    column("reason", "Note"),
                ],
                [
                    {
                        k: _plain(r[k])
                        for k in (
                            "group",
                            "count",
                            "selected",
                            "selection_rate",
                            "ci_low",
                            "ci_high",
                            "impact_ratio",
                            "four_fifths",
                            "p_value",
                            "test",
                            "tpr",
                            "fpr",
                            "reason",
                        )
                    }
                    for _, r in rows.iterrows()
                ],
            )
        )
        shown = kept[kept["impact_ratio"].notna()]
        if len(shown):
            labels = [str(g) for g in shown["group"]]
            values = [float(v) for v in shown["impact_ratio"]]
            alt = f"Impact ratios by {attr} group against the four-fifths line: " + "; ".join(
                f"{g}: {v:.2f}" for g, v in zip(labels, values, strict=True)
            )
            spec = bar_chart(
                labels,
                values,
                xlabel="impact ratio",
                reference=p.min_impact_ratio,
                highlight=[v < p.min_impact_ratio for v in values],
            )
            blocks.append(chart(f"impact_{attr}", f"Impact ratios by {attr} (line: {p.min_impact_ratio:g})", alt, spec))
    suppressed = by[by["suppressed"].astype(bool)]
    selected = "favourable decisions" if ctx.is_classifier else "rows predicted above the median"
    blocks += [
        paragraph(
            f"Groups with fewer than {p.min_group_size} rows or under {p.min_group_share:.0%} of the rows are left out "
            "of the rates and ratios (their counts are shown); missing values form the group 'unknown'. "
            "Complementary suppression: the overall count minus the counts of the groups shown would give a "
            f"left-out group's count ({selected}, positives, errors), so while the groups left out of an "
            f"attribute hold fewer than {p.min_group_size} rows together, its smallest other group is left out too, "
            "here and in the performance section; the attributes and their intersections are checked together, "
            "so that no group under the minimum follows from any combination of the numbers shown. "
            + (
                f"Left out here: {', '.join(f'{a}={g} ({c})' for a, g, c in zip(suppressed['attribute'], suppressed['group'], suppressed['count'], strict=True))}."  # noqa: E501
                if len(suppressed)
                else "No group was left out."
            )
        ),
        paragraph(
            "Data source: the test data, scored by the model (not historical decisions). An impact ratio under "
            f"{p.min_impact_ratio:g} is a screening flag; this report fails it when the difference is also "
            f"significant at {p.alpha:g} ({'Fisher exact or two-proportion z'} test against the reference group). "
            "Mitigation: none applied by explain; record the mitigation decided, if any, in the limitations."
        ),
    ]
    protected_found, protected_blocks = protected_inputs(ctx)
    found += protected_found + age_found
    blocks += [*protected_blocks, *age_blocks, findings_block([f["id"] for f in found])]
    flags = [f for f in found if f["status"] in ("warn", "fail") and ".impact_ratio." in f["id"]]
    summary = f"{len(flags)} impact-ratio flag(s) over {len(gm.attributes)} attribute(s) and intersections."
    return _sec("fairness", summary, blocks, found)


def _plain(v: Any) -> Any:
    if v is None or (isinstance(v, float) and np.isnan(v)):
        return None
    if isinstance(v, (np.bool_, bool)):
        return bool(v)
    if isinstance(v, np.integer):
        return int(v)
    if isinstance(v, np.floating):
        return float(v)
    try:
        if v != v:  # pandas NA
            return None
    except (TypeError, ValueError):
        return None
    return v if isinstance(v, (int, float, str)) else str(v)


def drift_section(ctx: AuditContext) -> Built:
    p = ctx.policy
    ctx.log("Measuring drift between the reference and the test data")
    table_ = metrics.drift(ctx.reference, ctx.X_test)
    pred = metrics.prediction_drift(ctx.scores_reference, ctx.scores_test)
    ctx.extras["drift"] = table_
    worst = table_["psi"].idxmax()
    max_psi = float(table_.loc[worst, "psi"])

    def status(psi: float) -> str:
        return "fail" if psi > p.max_psi else "warn" if psi > p.warn_psi else "pass"

    found = [
        finding(
            "drift.features",
            "drift",
            "Input distributions stable",
            metric="largest feature PSI",
            observed=max_psi,
            threshold=p.max_psi,
            comparison="<=",
            status=status(max_psi),  # type: ignore[arg-type]
            message=f"Largest PSI: {worst} ({max_psi:.3f}). "
            f"{int((table_['psi'] > p.max_psi).sum())} feature(s) above {p.max_psi:g}, "
            f"{int(((table_['psi'] > p.warn_psi) & (table_['psi'] <= p.max_psi)).sum())} between {p.warn_psi:g} "
            f"and {p.max_psi:g}.",
        ),
        finding(
            "drift.prediction",
            "drift",
            "Prediction distribution stable",
            metric="PSI of the scores",
            observed=float(pred["psi"]),
            threshold=p.max_psi,
            comparison="<=",
            status=status(float(pred["psi"])),  # type: ignore[arg-type]
            message=f"Mean score {pred['mean_reference']:.3f} on the reference, {pred['mean_current']:.3f} on the "
            f"test data; KS p = {pred['ks_p_value']:.2g}.",
        ),
    ]
    rows = [
        {
            "feature": str(name),
            "kind": r["kind"],
            "psi": float(r["psi"]),
            "flag": r["psi_flag"],
            # no test without a value on both sides (a column missing everywhere)
            "test": r["test"] if _plain(r["statistic"]) is not None else "none: no values to compare",
            "statistic": _plain(r["statistic"]),
            "p_value": _plain(r["p_value"]),
        }
        for name, r in table_.sort_values("psi", ascending=False).iterrows()
    ]
    top = rows[:12]
    alt = "Bar chart of the population stability index per feature: " + "; ".join(
        f"{r['feature']}: {r['psi']:.3f}" for r in top
    )
    source = "the reference data given" if ctx.reference_given else "the training data (no reference was given)"
    blocks = [
        paragraph(
            f"Drift from {source} to the test data. PSI bins numeric features at the reference's deciles; the "
            "Kolmogorov-Smirnov (numeric) and chi-square (categorical) tests are scipy.stats'."
        ),
        chart(
            "psi",
            f"Population stability index per feature (line: {p.max_psi:g})",
            alt,
            bar_chart(
                [r["feature"] for r in top],
                [r["psi"] for r in top],
                xlabel="PSI",
                reference=p.max_psi,
                highlight=[r["psi"] > p.max_psi for r in top],
            ),
        ),
        table(
            "drift",
            "Drift per feature",
            [
                column("feature", "Feature"),
                column("kind", "Kind"),
                column("psi", "PSI", "float"),
                column("flag", "Reading"),
                column("test", "Test"),
                column("statistic", "Statistic", "float"),
                column("p_value", "p-value", "pvalue"),
            ],
            rows,
        ),
        facts(
            [
                ("Prediction PSI", float(pred["psi"]), "float"),
                ("Prediction KS statistic", pred["ks_statistic"], "float"),
                ("Prediction KS p-value", pred["ks_p_value"], "pvalue"),
                ("Mean score, reference", pred["mean_reference"], "float"),
                ("Mean score, test", pred["mean_current"], "float"),
            ]
        ),
        findings_block([f["id"] for f in found]),
    ]
    return _sec(
        "drift", f"Largest feature PSI {max_psi:.3f} ({worst}); prediction PSI {pred['psi']:.3f}.", blocks, found
    )
