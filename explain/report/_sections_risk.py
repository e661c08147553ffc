"""Sections about risk and governance: fairness, drift, limitations, monitoring, standards,
sign-off, and the appendices (crosswalk, provenance, glossary)."""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import metrics
from ..metrics.drift import PSI_ALPHA
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
from ._sections_model import Built, _sec
from ._sections_protected import age_rule, protected_inputs

__all__ = ["drift_section", "fairness_section"]


TESTS = {"two_proportion_z": "two-proportion z-test", "fisher_exact": "Fisher's exact test"}


def fairness_section(ctx: AuditContext) -> Built:
    p = ctx.policy
    # the age rule asks whether older applicants are scored adversely: a multiclass model without a
    # favourable class scores no one adversely
    no_adverse = ctx.is_multiclass and ctx.favourable_index is None
    age_found, age_blocks = ([], []) if no_adverse else age_rule(ctx)
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
    if ctx.is_multiclass:
        from ._sections_multiclass_risk import multiclass_fairness

        found, blocks, by, n_attributes = multiclass_fairness(ctx)
    else:
        found, blocks, by, n_attributes = _binary_fairness(ctx)
    suppressed = by[by["suppressed"].astype(bool)]
    blocks += [
        paragraph(
            f"Groups with fewer than {p.min_group_size} rows or under {p.min_group_share:.0%} of the rows are left out "
            "of the rates and ratios (their counts are shown); missing values form the group 'unknown'. "
            "Complementary suppression: the overall count minus the counts of the groups shown would give a "
            "left-out group's count (favourable decisions, positives, errors), so while the groups left out of an "
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
    summary = f"{len(flags)} impact-ratio flag(s) over {n_attributes} attribute(s) and intersections."
    return _sec("fairness", summary, blocks, found)


def _binary_fairness(ctx: AuditContext) -> tuple[list[dict[str, Any]], list[dict[str, Any]], Any, int]:
    """Findings and blocks of the favourable decision per group (binary classifier or regressor),
    the groups' table and the number of attributes (with intersections)."""
    p = ctx.policy
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
    cut = ctx.policy.regression_threshold
    blocks = [
        paragraph(
            "Selection rate: the share of each group given the favourable decision on the test data "
            f"({ctx.score_name} at least {p.decision_threshold:g})."
            if ctx.is_classifier
            else f"Selection rate: the share of each group given the favourable decision ({ctx.score_name} at "
            f"least {cut:g}, the policy's regression_threshold)."
            if cut is not None
            else "Selection rate: the share of each group scoring above the median prediction (NYC LL144)."
        )
    ]
    found: list[dict[str, Any]] = []
    for attr in gm.attributes:
        rows = by[by["attribute"] == attr]
        found.append(impact_finding(ctx, gm, rows, attr, f"fairness.impact_ratio.{attr}", f"Impact ratio, {attr}"))
        kept = rows[~rows["suppressed"].astype(bool)]
        if ctx.is_classifier and len(kept) > 1:  # one group left: no gap (not a gap of 0)
            gap = error_rate_finding(ctx, gm, attr, f"fairness.error_rates.{attr}", f"Error-rate gap, {attr}")
            found += gap
        blocks.append(
            table(
                f"fairness_{attr}",
                f"{attr}: selection rates and impact ratios (reference group: {gm.reference[attr]})",
                GROUP_COLUMNS,
                [group_row(r) for _, r in rows.iterrows()],
            )
        )
        blocks += _impact_chart(ctx, kept, attr)
    return found, blocks, by, len(gm.attributes)


GROUP_KEYS = (
    "group", "count", "selected", "selection_rate", "ci_low", "ci_high", "impact_ratio", "four_fifths",
    "p_value", "test", "tpr", "fpr", "reason",
)  # fmt: skip
GROUP_COLUMNS = [
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
]


def group_row(r: Any) -> dict[str, Any]:
    """A row of group_metrics' table, as plain values for the evidence."""
    return {k: _plain(r[k]) for k in GROUP_KEYS}


def no_ratio_finding(id: str, title: str, message: str) -> dict[str, Any]:
    """An impact-ratio finding with no ratio to judge (no status: not applicable); ``message`` says why."""
    return finding(id, "fairness", title, metric="lowest impact ratio", observed=None, message=message)


def impact_finding(ctx: AuditContext, gm: Any, rows: Any, attr: str, id: str, title: str) -> dict[str, Any]:
    """The lowest impact ratio of an attribute's groups (``rows`` of group_metrics' table): pass at
    or above the policy's min_impact_ratio, else fail when significant, warn otherwise."""
    p = ctx.policy
    kept = rows[~rows["suppressed"].astype(bool)]
    ref = gm.reference[attr]
    # compared with the reference: none when suppression leaves the reference group alone
    compared = kept[kept["impact_ratio"].notna() & ~kept["is_reference"].astype(bool)]
    worst = compared.loc[compared["impact_ratio"].idxmin()] if len(compared) else None
    if worst is None:
        return no_ratio_finding(
            id,
            title,
            "No two groups are large enough to compare."
            if not rows["reason"].str.contains(DERIVABLE, regex=False).any()
            else "No two groups can be compared: the others are too small, or left out so that a small "
            "group cannot be derived by subtraction.",
        )
    # NA (no test) is not significant
    ratio, significant = float(worst["impact_ratio"]), _plain(worst["significant"]) is True
    ref_rate = float(rows.loc[rows["group"] == ref, "selection_rate"].iloc[0])
    status = "pass" if ratio >= p.min_impact_ratio else ("fail" if significant else "warn")
    return finding(
        id,
        "fairness",
        title,
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


def error_rate_finding(ctx: AuditContext, gm: Any, attr: str, id: str, title: str) -> list[dict[str, Any]]:
    """The largest TPR or FPR difference between an attribute's groups (equalized odds), or nothing
    when it is not defined."""
    p = ctx.policy
    gap = max(gm.difference("tpr", attribute=attr), gm.difference("fpr", attribute=attr))
    if np.isnan(gap):
        return []
    return [
        finding(
            id,
            "fairness",
            title,
            metric="largest TPR or FPR difference",
            observed=gap,
            threshold=p.max_error_rate_gap,
            comparison="<=",
            status="pass" if gap <= p.max_error_rate_gap else "warn",
            message=f"Equalized-odds difference {gap:.3f} (fairlearn's definition), supplementary.",
        )
    ]


def _impact_chart(ctx: AuditContext, kept: Any, attr: str) -> list[dict[str, Any]]:
    p = ctx.policy
    shown = kept[kept["impact_ratio"].notna()]
    if not len(shown):
        return []
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
    return [chart(f"impact_{attr}", f"Impact ratios by {attr} (line: {p.min_impact_ratio:g})", alt, spec)]


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
    # a PSI counts as drift only when the chi-square test of its bin counts tells it from sampling
    # noise (p < PSI_ALPHA): on a few hundred rows noise alone gives PSIs above 0.25
    real = table_[table_["psi_significant"]]
    noise = table_[~table_["psi_significant"]]
    worst = (real if len(real) else table_)["psi"].idxmax()
    max_psi = float(real["psi"].max()) if len(real) else 0.0
    judge = psi_judge(ctx)
    unexplained = int((noise["psi"] > p.warn_psi).sum())
    noise_note = (
        f" {unexplained} feature(s) with a PSI above {p.warn_psi:g} not told from sampling noise "
        f"(chi-square p >= {PSI_ALPHA:g}; largest {noise['psi'].idxmax()}: {float(noise['psi'].max()):.3f}, "
        f"noise level {float(noise.loc[noise['psi'].idxmax(), 'psi_noise']):.3f})."
        if unexplained
        else ""
    )
    worst_text = (
        f"Largest significant PSI: {worst} ({max_psi:.3f}, "
        f"chi-square p = {float(table_.loc[worst, 'psi_p_value']):.2g}, "
        f"noise level {float(table_.loc[worst, 'psi_noise']):.3f})."
        if len(real)
        else f"No feature's binned distribution differs significantly (chi-square p >= {PSI_ALPHA:g}); the "
        f"largest PSI, {float(table_.loc[worst, 'psi']):.3f} ({worst}), is within sampling noise."
    )
    found = [
        judge(
            "drift.features",
            "Input distributions stable",
            "largest feature PSI",
            float(table_.loc[worst, "psi"]),  # the largest significant one; else the largest, not counted
            bool(len(real)),
            message=f"{worst_text} "
            f"{int((real['psi'] > p.max_psi).sum())} feature(s) above {p.max_psi:g}, "
            f"{int(((real['psi'] > p.warn_psi) & (real['psi'] <= p.max_psi)).sum())} between {p.warn_psi:g} "
            f"and {p.max_psi:g}, with p < {PSI_ALPHA:g}.{noise_note}",
        ),
        judge(
            "drift.prediction",
            "Prediction distribution stable",
            "PSI of the scores",
            float(pred["psi"]),
            bool(pred["psi_significant"]),
            message=f"PSI {float(pred['psi']):.3f}. Mean score {pred['mean_reference']:.3f} on the reference, "
            f"{pred['mean_current']:.3f} on the test data; KS p = {pred['ks_p_value']:.2g}; chi-square p of the "
            f"PSI's bins = {pred['psi_p_value']:.2g} (noise level {pred['psi_noise']:.3f}).",
        ),
    ]
    output_blocks = [
        facts(
            [
                ("Prediction PSI", float(pred["psi"]), "float"),
                ("Prediction KS statistic", pred["ks_statistic"], "float"),
                ("Prediction KS p-value", pred["ks_p_value"], "pvalue"),
                ("Mean score, reference", pred["mean_reference"], "float"),
                ("Mean score, test", pred["mean_current"], "float"),
            ]
        )
    ]
    prediction_psi = float(pred["psi"])
    if ctx.is_multiclass:  # the probability of each class and the predicted classes, not one score
        from ._sections_multiclass_risk import multiclass_drift

        class_found, output_blocks, prediction_psi = multiclass_drift(ctx, judge)
        found = found[:1] + class_found
    rows = [
        {
            "feature": str(name),
            "kind": r["kind"],
            "psi": float(r["psi"]),
            # a moderate or large PSI the bin counts do not tell from sampling noise
            "flag": r["psi_flag"] if r["psi_significant"] or r["psi_flag"] == "stable" else "within noise",
            "psi_noise": float(r["psi_noise"]),
            "psi_p_value": float(r["psi_p_value"]),
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
            "Kolmogorov-Smirnov (numeric) and chi-square (categorical) tests are scipy.stats'. Sampling noise "
            "alone gives a positive PSI, about (B - 1)(1/n_reference + 1/n_test) for B bins (the noise level "
            f"column; {len(ctx.X_test)} test rows). A feature counts as drifted only when its PSI exceeds the "
            f"threshold and the chi-square test of the same bin counts gives p < {PSI_ALPHA:g}: a PSI above the "
            "line that the counts do not tell from noise is reported but not flagged."
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
                highlight=[r["psi"] > p.max_psi and r["psi_p_value"] < PSI_ALPHA for r in top],
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
                column("psi_noise", "Noise PSI", "float"),
                column("psi_p_value", "Bins p-value", "pvalue"),
                column("test", "Test"),
                column("statistic", "Statistic", "float"),
                column("p_value", "p-value", "pvalue"),
            ],
            rows,
        ),
        *output_blocks,
        findings_block([f["id"] for f in found]),
    ]
    largest = table_["psi"].idxmax()
    largest_significant = bool(table_.loc[largest, "psi_significant"])
    summary = (
        f"Largest feature PSI {float(table_.loc[largest, 'psi']):.3f} ({largest}, "
        + ("significant" if largest_significant else "within sampling noise")
        + ")"
        + (
            ""
            if largest_significant
            else f"; largest significant {max_psi:.3f} ({worst})"
            if len(real)
            else "; no significant drift"
        )
        + f"; prediction PSI {prediction_psi:.3f}."
    )
    return _sec("drift", summary, blocks, found)


def psi_judge(ctx: AuditContext) -> Any:
    """The judge of a drift finding, ``judge(id, title, metric, psi, significant, message=...)``.

    One convention for every drift finding (features, scores, class probabilities, predicted
    classes): a PSI counts only when the chi-square test of its bin counts tells it from sampling
    noise (p < PSI_ALPHA). The finding's observed value is the PSI that counts (0 when the shift is
    not significant), its metric name says so, and its status follows from that value alone: fail
    above max_psi, warn above warn_psi, pass otherwise (so a row never shows a value over its limit
    as a pass); the message gives the PSI measured.
    """
    p = ctx.policy

    def judge(id: str, title: str, metric: str, psi: float, significant: bool, *, message: str) -> dict[str, Any]:
        counted = psi if significant else 0.0
        note = (
            ""
            if significant
            else f"Not counted: PSI {psi:.3f} is within sampling noise (chi-square p >= {PSI_ALPHA:g}). "
        )
        return finding(
            id,
            "drift",
            title,
            metric=f"{metric}, significant shifts only (chi-square p < {PSI_ALPHA:g}; 0 when none)",
            observed=counted,
            threshold=p.max_psi,
            comparison="<=",
            # warn above warn_psi: within max_psi - warn_psi of the limit
            warn_margin=p.max_psi - p.warn_psi,
            message=note + message,
        )

    return judge
