"""The comparison with the champion: the model in production that the audited model (the
challenger) would replace, scored on the same test rows.

What is compared, all on the rows of ``X_test`` (each model reads its own columns of it):

- **Performance**: the primary metrics of both models (ROC AUC, Brier score and accuracy at the
  policy's decision threshold for a binary classifier; R², RMSE and MAE for a regressor) and
  their differences, challenger minus champion, with **paired** percentile-bootstrap intervals:
  resample ``i`` is row ``i`` of ``np.random.default_rng(random_state).integers(0, n, size=(n_boot,
  n))`` (drawn in chunks of 100, the stream of :func:`explain.metrics.bootstrap_ci`), and both
  models are scored on the same resampled rows, so the interval of the difference accounts for
  the correlation of the two models' errors. A resample on which a metric is undefined (ROC AUC of
  one class) is left out for both models.
- **Fairness**: the measures the fairness section judges, per sensitive attribute (and their
  intersection): the lowest impact ratio and, for a classifier, the largest TPR or FPR gap.
- **Disagreement**: the share of rows whose decision differs, and the swap set: the rows the
  challenger approves and the champion declines (swap-in), and the reverse (swap-out), with the
  observed outcome rate of each. The decision: a score at or above the policy's threshold for a
  classifier; for a regressor, a prediction at or above ``regression_threshold`` when the policy
  declares one, else above the model's own median prediction (the fairness section's rule, which
  the fairness comparison always uses).
- **Rank correlation** of the two models' scores (Spearman, ``scipy.stats.spearmanr``).
- **Stability**: the PSI of the challenger's score distribution against the champion's on the same
  rows (:func:`explain.metrics.prediction_drift`, reference = the champion). The chi-square
  p-value of the drift section is not given: it assumes two independent samples, and these are
  the same rows scored twice.

Findings: ``champion.primary_metric`` fails when the challenger's primary metric (ROC AUC, or R²)
is significantly worse than the champion's by more than ``Policy.champion_margin`` (0 by
default: the upper bound of the paired interval of the difference is below ``-champion_margin``),
warns when it is worse but within the margin or not significantly, and passes otherwise: it is
about the primary metric only, and says so. ``champion.fairness.<attribute>`` (with
sensitive_features) judges the fairness comparison: it warns when the challenger's lowest impact
ratio is below the champion's by more than :data:`IMPACT_RATIO_TOLERANCE` (0.05) *and* below the
policy's ``min_impact_ratio``, i.e. when it is below the lower of ``min_impact_ratio`` and the
champion's ratio minus the tolerance (the finding's threshold), and passes otherwise;
``champion.disagreement`` and ``champion.score_psi`` are reported without a threshold (``info``).
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
from scipy import stats

from .. import metrics
from ._champion import METRICS, Champion, PairedBootstrap, decisions, paired_bootstrap, selected
from ._context import AuditContext
from ._schema import column, facts, finding, findings_block, paragraph, table
from ._sections_model import Built, _sec

__all__ = ["IMPACT_RATIO_TOLERANCE", "SECTION_ID", "champion_section"]

SECTION_ID = "champion"

#: How far the challenger's lowest impact ratio of an attribute may fall below the champion's
#: before ``champion.fairness.<attribute>`` warns (when it is also under min_impact_ratio): a
#: difference this small is within the noise of a few hundred test rows.
IMPACT_RATIO_TOLERANCE = 0.05


def _none(x: float) -> float | None:
    return None if x is None or not np.isfinite(x) else float(x)


def _performance(ctx: AuditContext, champ: Champion) -> tuple[list[PairedBootstrap], dict[str, Any]]:
    p = ctx.policy
    names = ("roc_auc", "brier", "accuracy") if ctx.is_classifier else ("r2", "rmse", "mae")
    results = []
    for name in names:
        reads_decisions = METRICS[name][3]
        a = decisions(ctx, ctx.scores_test) if reads_decisions else ctx.scores_test
        b = decisions(ctx, champ.scores) if reads_decisions else champ.scores
        results.append(
            paired_bootstrap(name, ctx.y_test, a, b, n_boot=p.n_bootstrap, random_state=ctx.random_state, alpha=p.alpha)
        )
    rows = []
    for r in results:
        label, _, greater, _ = METRICS[r.metric]
        low, high = r.difference_ci
        better = "challenger" if (r.difference > 0) == greater else "champion"
        significant = bool(np.isfinite(low) and (low > 0 or high < 0))
        rows.append(
            {
                "metric": label,
                "challenger": _none(r.challenger),
                "champion": _none(r.champion),
                "difference": _none(r.difference),
                "ci_low": _none(low),
                "ci_high": _none(high),
                "better": "equal" if r.difference == 0 else better + (" (significant)" if significant else ""),
            }
        )
    block = table(
        "champion_performance",
        f"Challenger against champion on the same {len(ctx.y_test)} test rows: difference = challenger - champion, "
        f"{1 - p.alpha:.0%} paired bootstrap interval ({results[0].n_valid} of {p.n_bootstrap} resamples)",
        [
            column("metric", "Metric"),
            column("challenger", "Challenger", "float"),
            column("champion", "Champion", "float"),
            column("difference", "Difference", "float"),
            column("ci_low", "CI low", "float"),
            column("ci_high", "CI high", "float"),
            column("better", "Better"),
        ],
        rows,
        note="Lower is better for the Brier score, RMSE and MAE; higher for the others.",
    )
    return results, block


def _primary_finding(ctx: AuditContext, primary: PairedBootstrap, champ: Champion) -> dict[str, Any]:
    label = METRICS[primary.metric][0]
    low, high = primary.difference_ci
    margin = float(ctx.policy.champion_margin)
    beyond = f" by more than the margin of {margin:g}" if margin else ""
    if not np.isfinite(high):
        status, verdict = "not_applicable", "no bootstrap resample gave the metric for both models"
    elif high < -margin:
        status, verdict = "fail", f"the challenger is significantly worse than the champion on {label}{beyond}"
    elif primary.difference < 0:
        status, verdict = "warn", f"the challenger is worse than the champion on {label}, but not significantly{beyond}"
    else:
        status, verdict = "pass", f"the challenger is at least as good as the champion on {label}"
    return finding(
        "champion.primary_metric",
        SECTION_ID,
        f"{label} against the champion",
        metric=f"{label} difference (challenger - champion)",
        observed=_none(primary.difference),
        threshold=-margin,
        comparison=">=",
        ci=(_none(low), _none(high)),
        status=status,  # type: ignore[arg-type]
        message=f"{label} {primary.challenger:.4f} (challenger) against {primary.champion:.4f} ({champ.name}): "
        f"difference {primary.difference:+.4f}, {1 - ctx.policy.alpha:.0%} paired interval "
        f"[{low:+.4f}, {high:+.4f}]; {verdict}.",
    )


def _worst_ratio(gm: Any, attr: str) -> tuple[float | None, str]:
    """The lowest impact ratio of ``attr`` among the groups compared, as the fairness section takes it."""
    by = gm.by_group.reset_index()
    rows = by[(by["attribute"] == attr) & ~by["suppressed"].astype(bool)]
    compared = rows[rows["impact_ratio"].notna() & ~rows["is_reference"].astype(bool)]
    if not len(compared):
        return None, "no two groups to compare"
    worst = compared.loc[compared["impact_ratio"].idxmin()]
    return float(worst["impact_ratio"]), f"group {worst['group']!s}"


def _fairness(ctx: AuditContext, champ: Champion) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The fairness table of both models and a finding per attribute (``champion.fairness.<attr>``)."""
    if ctx.sensitive_test is None:
        return [paragraph("No sensitive_features were given, so the models' fairness is not compared.")], []
    p = ctx.policy
    y = ctx.y_test if ctx.is_classifier else None

    def groups(scores: np.ndarray) -> Any:
        chosen = selected(ctx, scores).astype(int)
        return metrics.group_metrics(
            y,
            chosen,
            ctx.sensitive_test,
            y_score=scores,
            min_group_size=p.min_group_size,
            min_share=p.min_group_share,
            alpha=p.alpha,
        )

    models = {"challenger": groups(ctx.scores_test), "champion": groups(champ.scores)}
    rows = []
    found = []
    for attr in models["challenger"].attributes:
        (ra, ga), (rb, gb) = (_worst_ratio(models[m], attr) for m in ("challenger", "champion"))
        found.append(_fairness_finding(ctx, champ, attr, (ra, ga), (rb, gb)))
        rows.append(
            {
                "attribute": attr,
                "measure": f"lowest impact ratio (pass at >= {p.min_impact_ratio:g})",
                "challenger": ra,
                "champion": rb,
                "difference": None if ra is None or rb is None else ra - rb,
                "note": f"challenger: {ga}; champion: {gb}",
            }
        )
        if ctx.is_classifier:
            ea, eb = (_none(models[m].difference("equalized_odds", attribute=attr)) for m in ("challenger", "champion"))
            rows.append(
                {
                    "attribute": attr,
                    "measure": f"largest TPR or FPR gap (pass at <= {p.max_error_rate_gap:g})",
                    "challenger": ea,
                    "champion": eb,
                    "difference": None if ea is None or eb is None else ea - eb,
                    "note": "",
                }
            )
    return [
        table(
            "champion_fairness",
            "Fairness of both models per sensitive attribute (the fairness section's measures; difference = "
            "challenger - champion)",
            [
                column("attribute", "Attribute"),
                column("measure", "Measure"),
                column("challenger", "Challenger", "float"),
                column("champion", "Champion", "float"),
                column("difference", "Difference", "float"),
                column("note", "Note"),
            ],
            rows,
        )
    ], found


def _fairness_finding(
    ctx: AuditContext,
    champ: Champion,
    attr: str,
    challenger: tuple[float | None, str],
    champion: tuple[float | None, str],
) -> dict[str, Any]:
    """Warn when the challenger's lowest impact ratio of ``attr`` is below the champion's by more
    than IMPACT_RATIO_TOLERANCE and below min_impact_ratio: below the lower of the two floors."""
    floor = ctx.policy.min_impact_ratio
    (ra, ga), (rb, gb) = challenger, champion
    id, title = f"champion.fairness.{attr}", f"Impact ratio against the champion, {attr}"
    metric = (
        f"challenger's lowest impact ratio (floor: the lower of min_impact_ratio and the champion's minus "
        f"{IMPACT_RATIO_TOLERANCE:g})"
    )
    if ra is None:
        return finding(
            id, SECTION_ID, title, metric=metric, observed=None, message=f"Not compared for the challenger: {ga}."
        )
    threshold = floor if rb is None else min(floor, rb - IMPACT_RATIO_TOLERANCE)
    worse = rb is not None and ra < rb - IMPACT_RATIO_TOLERANCE
    champion_text = f"{rb:.3f} ({gb}) for {champ.name}" if rb is not None else f"none for {champ.name} ({gb})"
    if worse and ra < floor:
        verdict = (
            f"the challenger is less fair than the champion: lower by {rb - ra:.3f}, more than the tolerance of "  # type: ignore[operator]
            f"{IMPACT_RATIO_TOLERANCE:g}, and under min_impact_ratio {floor:g}"
        )
    elif worse:
        verdict = (
            f"lower than the champion's by more than {IMPACT_RATIO_TOLERANCE:g}, but at or above "
            f"min_impact_ratio {floor:g}"
        )
    elif ra < floor:
        verdict = (
            f"under min_impact_ratio {floor:g}, but not below the champion's by more than {IMPACT_RATIO_TOLERANCE:g}"
        )
    else:
        verdict = "not lower than the champion's by more than the tolerance" if rb is not None else "no champion ratio"
    return finding(
        id,
        SECTION_ID,
        title,
        metric=metric,
        observed=ra,
        threshold=threshold,
        comparison=">=",
        status="pass" if ra >= threshold else "warn",
        format="float2",
        message=f"Lowest impact ratio of {attr}: {ra:.3f} ({ga}) for the challenger against {champion_text}; "
        f"{verdict}.",
    )


def _decision_rule(ctx: AuditContext) -> str:
    cut = getattr(ctx.policy, "regression_threshold", None)
    if ctx.is_classifier:
        return f"score at least {ctx.policy.decision_threshold:g}, the policy's threshold."
    if cut is not None:
        return f"prediction at least {cut:g}, the policy's regression_threshold."
    return "prediction above the model's own median (NYC LL144), as in the fairness section."


def _swap_rows(ctx: AuditContext, mine: np.ndarray, theirs: np.ndarray) -> list[dict[str, Any]]:
    decides = ctx.is_classifier or getattr(ctx.policy, "regression_threshold", None) is not None
    n, favourable = len(mine), "approved" if decides else "above the median"
    other = "declined" if decides else "not above it"
    rows = []
    for label, mask in (
        (f"{favourable} by the challenger, {other} by the champion (swap-in)", mine & ~theirs),
        (f"{other} by the challenger, {favourable} by the champion (swap-out)", ~mine & theirs),
        ("same decision by both", mine == theirs),
    ):
        k = int(mask.sum())
        outcome = float(ctx.y_test[mask].mean()) if k else None
        rows.append({"rows": label, "count": k, "share": k / n, "outcome": outcome})
    return rows


def _agreement(ctx: AuditContext, champ: Champion) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    mine, theirs = decisions(ctx, ctx.scores_test), decisions(ctx, champ.scores)
    disagreement = float(np.mean(mine != theirs))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # constant scores (a dummy champion): no correlation, shown as n/a
        rho = _none(float(stats.spearmanr(ctx.scores_test, champ.scores).statistic))
    drift = metrics.prediction_drift(champ.scores, ctx.scores_test)
    if ctx.is_classifier:
        outcome = (
            f"share {ctx.target_name} = {ctx.positive_class}" if ctx.target_name else f"share {ctx.positive_class}"
        )
    else:
        outcome = f"mean {ctx.target_name}" if ctx.target_name else "mean outcome"
    swap = _swap_rows(ctx, mine, theirs)
    blocks = [
        facts(
            [
                ("Decisions that differ (disagreement rate)", disagreement, "pct"),
                ("Rank correlation of the scores (Spearman)", rho, "float"),
                ("PSI of the challenger's scores against the champion's", drift["psi"], "float"),
                ("Reading of the PSI", drift["psi_flag"]),
                ("Mean score: challenger, champion", f"{drift['mean_current']:.4g}, {drift['mean_reference']:.4g}"),
            ]
        ),
        table(
            "champion_swap",
            "Swap set: the test rows whose decision the replacement changes, with their observed outcome",
            [
                column("rows", "Rows"),
                column("count", "N", "int"),
                column("share", "Share", "pct"),
                column("outcome", f"Observed {outcome}", "pct" if ctx.is_classifier else "float"),
            ],
            swap,
            note="Decision: " + _decision_rule(ctx),
        ),
    ]
    found = {"disagreement": disagreement, "spearman": rho, "psi": float(drift["psi"]), "flag": drift["psi_flag"]}
    return blocks, found


def _sensitive_read(ctx: AuditContext, champ: Champion) -> list[str]:
    """The audit's sensitive attributes that are inputs of the champion (a retired model may have
    read one the audited model no longer reads)."""
    names = [] if ctx.sensitive_test is None else [str(c) for c in ctx.sensitive_test.columns]
    return [c for c in champ.columns if c in names]


def champion_section(ctx: AuditContext, champ: Champion) -> Built:
    """The section comparing the audited model with ``champ`` and its findings."""
    ctx.log(f"Comparing with the champion ({champ.name}, {ctx.policy.n_bootstrap} paired resamples)")
    results, perf_block = _performance(ctx, champ)
    primary = _primary_finding(ctx, results[0], champ)
    agree_blocks, agree = _agreement(ctx, champ)
    fair_blocks, fair_found = _fairness(ctx, champ)
    found = [
        primary,
        finding(
            "champion.disagreement",
            SECTION_ID,
            "Decisions that change with the replacement",
            metric="share of test rows whose decision differs",
            observed=agree["disagreement"],
            format="pct",
            message=f"{agree['disagreement']:.1%} of the test rows get another decision from the challenger than "
            f"from {champ.name}; the swap set below shows which and their outcomes.",
        ),
        finding(
            "champion.score_psi",
            SECTION_ID,
            "Score distribution against the champion's",
            metric="PSI (challenger's scores against the champion's, same rows)",
            observed=agree["psi"],
            message=f"PSI {agree['psi']:.3f} ({agree['flag']}): how far the score "
            "distribution moves when the challenger replaces the champion; a cut-off or a downstream "
            "rule set on the champion's scores may need recalibration.",
        ),
    ]
    blocks = [
        paragraph(
            f"The audited model (the challenger) would replace {champ.name} (the champion). Both are scored on the "
            "same test rows, each reading its own columns of X_test; the differences are challenger minus champion, "
            "with paired bootstrap intervals (both models scored on the same resampled rows)."
        ),
        facts(
            [
                ("Champion", champ.name),
                ("Champion type", champ.type),
                ("Champion fingerprint (SHA-256)", champ.sha256, "hash"),
                ("Champion's columns", ", ".join(champ.columns)),
                ("Sensitive attributes the champion reads", ", ".join(_sensitive_read(ctx, champ)) or "none"),
                ("Test rows", len(ctx.y_test), "int"),
                ("Bootstrap resamples (seed)", f"{ctx.policy.n_bootstrap} (random_state {ctx.random_state})"),
            ]
        ),
        perf_block,
        findings_block([f["id"] for f in found]),
        *agree_blocks,
        *fair_blocks,
    ]
    if fair_found:
        blocks.append(findings_block([f["id"] for f in fair_found]))
        found += fair_found
    summary = primary["message"].split(";")[-1].strip().rstrip(".") + "."
    summary = summary[0].upper() + summary[1:]
    less_fair = [f for f in fair_found if f["status"] == "warn"]
    if less_fair:
        summary += (
            " Less fair: "
            + "; ".join(
                f"{f['id'].removeprefix('champion.fairness.')} (lowest impact ratio {f['observed']:.3f}, under "
                f"{f['threshold']:.3f})"
                for f in less_fair
            )
            + "."
        )
    return _sec(SECTION_ID, summary, blocks, found)
