"""The performance section: generalization (train against test with bootstrap intervals, the
train-test gap), calibration, rank ordering and thresholds, and results per group; for a
multiclass model, per-class and macro metrics (:mod:`._sections_multiclass`)."""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import metrics
from ..metrics.fairness import group_labels
from ..metrics.fairness_disclosure import DERIVABLE, suppressed_groups
from ._context import AuditContext
from ._schema import chart, column, facts, finding, findings_block, line_chart, paragraph, table
from ._sections_model import Built, _sec, constant_score, ranking_finding
from ._sections_multiclass import AUC_NAME, multiclass_group, multiclass_performance
from ._sections_validation import rank_ordering_blocks

__all__ = ["performance_section"]


def _generalization_findings(ctx: AuditContext, gen: Any, name: str) -> list[dict[str, Any]]:
    """The test score against the declared minimum, and the train-test gap (overfitting)."""
    p = ctx.policy
    return [
        finding(
            "performance.test_score",
            "performance",
            f"Test {name} meets the declared minimum",
            metric=name,
            observed=gen.test.value,
            threshold=p.min_test_score,
            comparison=">=",
            ci=(gen.test.low, gen.test.high),
            warn_margin=p.score_margin,
            message=f"Test {name} {gen.test.value:.3f} (95% CI {gen.test.low:.3f} to {gen.test.high:.3f}, "
            f"{gen.test.n_boot} bootstrap resamples).".replace("95%", f"{1 - p.alpha:.0%}"),
        ),
        finding(
            "performance.gap",
            "performance",
            "Train-test gap (overfitting)",
            metric=f"train minus test {name}",
            observed=gen.gap,
            threshold=p.max_train_test_gap,
            comparison="<=",
            ci=(gen.gap_low, gen.gap_high),
            message=f"Diagnosis: {gen.diagnosis} (train {gen.train.value:.3f}, test {gen.test.value:.3f}).",
            status="fail" if gen.diagnosis == "overfitting" else "warn" if gen.diagnosis == "underfitting" else None,
        ),
    ]


def _generalization_table(ctx: AuditContext, gen: Any, name: str) -> dict[str, Any]:
    return table(
        "generalization",
        f"Train against test ({name}, {1 - ctx.policy.alpha:.0%} bootstrap intervals)",
        [
            column("data", "Data set"),
            column("value", name, "float"),
            column("low", "CI low", "float"),
            column("high", "CI high", "float"),
        ],
        [
            {"data": "train", "value": gen.train.value, "low": gen.train.low, "high": gen.train.high},
            {"data": "test", "value": gen.test.value, "low": gen.test.low, "high": gen.test.high},
            {"data": "gap (train - test)", "value": gen.gap, "low": gen.gap_low, "high": gen.gap_high},
        ],
    )


def _multiclass_performance_section(ctx: AuditContext) -> Built:
    """Performance of a multiclass model (:mod:`._sections_multiclass`): the macro one-vs-rest ROC
    AUC, train against test, per-class metrics, the confusion matrix and calibration per class."""
    ctx.log(f"Measuring performance per class ({ctx.policy.n_bootstrap} bootstrap resamples)")
    gen, blocks, found = multiclass_performance(ctx)
    ctx.extras["generalization"] = gen
    found = _generalization_findings(ctx, gen, AUC_NAME) + found
    blocks.insert(2, _generalization_table(ctx, gen, AUC_NAME))
    blocks += _disaggregated(ctx, None, AUC_NAME)
    blocks.append(findings_block([f["id"] for f in found]))
    accuracy = ctx.extras["multiclass_metrics"]["accuracy"].value
    summary = (
        f"Test {AUC_NAME} {gen.test.value:.3f}; train {gen.train.value:.3f}; diagnosis: {gen.diagnosis}; "
        f"accuracy {accuracy:.1%} over {len(ctx.classes)} classes."
    )
    return _sec("performance", summary, blocks, found)


def performance_section(ctx: AuditContext) -> Built:
    if ctx.is_multiclass:
        return _multiclass_performance_section(ctx)
    p = ctx.policy
    metric: Any = "roc_auc" if ctx.is_classifier else "r2"
    name = "ROC AUC" if ctx.is_classifier else "R²"
    ctx.log(f"Measuring performance ({p.n_bootstrap} bootstrap resamples)")
    gen = metrics.generalization(
        ctx.y_train,
        ctx.scores_train,
        ctx.y_test,
        ctx.scores_test,
        metric=metric,
        max_gap=p.max_train_test_gap,
        n_boot=p.n_bootstrap,
        random_state=ctx.random_state,
        alpha=p.alpha,
    )
    ctx.extras["generalization"] = gen
    found = _generalization_findings(ctx, gen, name)
    if constant_score(ctx.scores_test) is not None:
        found.append(ranking_finding(ctx, gen.test.value))
    blocks: list[dict[str, Any]] = [
        paragraph(
            (
                f"{name} measures how well the scores rank outcomes (0.5 is chance, 1 is perfect; it does not depend "
                "on the threshold)."
                if ctx.is_classifier
                else f"{name} is the share of the target's variance that the predictions explain (1 is perfect; 0 is "
                "no better than predicting the mean; it is negative when worse than that)."
            )
            + " Confidence intervals are percentile bootstrap intervals over the rows."
        ),
        _generalization_table(ctx, gen, name),
    ]
    if ctx.is_classifier:
        blocks += _threshold_blocks(ctx)
        cal = metrics.calibration(ctx.y_test, ctx.scores_test)
        ctx.extras["calibration"] = cal
        found.append(
            finding(
                "performance.calibration",
                "performance",
                "Probabilities are calibrated",
                metric="expected calibration error",
                observed=cal.ece,
                threshold=p.max_calibration_error,
                comparison="<=",
                status="pass" if cal.ece <= p.max_calibration_error else "warn",
                message=f"ECE {cal.ece:.3f}, Brier score {cal.brier:.3f} over {cal.n_bins} bins.",
            )
        )
        curve = line_chart(
            [{"name": "model", "x": list(cal.prob_pred), "y": list(cal.prob_true)}],
            xlabel="Mean predicted probability",
            ylabel="Observed frequency",
            diagonal=True,
        )
        alt = "Reliability curve of the test predictions: " + "; ".join(
            f"predicted {x:.2f}, observed {y:.2f}" for x, y in zip(cal.prob_pred, cal.prob_true, strict=True)
        )
        blocks.append(chart("calibration", "Calibration on the test data (the diagonal is perfect)", alt, curve))
        ranking_blocks, ranking_found = rank_ordering_blocks(ctx.y_test, ctx.scores_test)
        blocks += ranking_blocks
        found += ranking_found
    blocks += _disaggregated(ctx, metric, name)
    blocks.append(findings_block([f["id"] for f in found]))
    summary = f"Test {name} {gen.test.value:.3f}; train {gen.train.value:.3f}; diagnosis: {gen.diagnosis}."
    return _sec("performance", summary, blocks, found)


def _threshold_blocks(ctx: AuditContext) -> list[dict[str, Any]]:
    t = ctx.policy.decision_threshold
    pred, y = ctx.selected_test, ctx.y_test.astype(bool)
    tp, fp = int(np.sum(pred & y)), int(np.sum(pred & ~y))
    fn, tn = int(np.sum(~pred & y)), int(np.sum(~pred & ~y))
    return [
        paragraph(
            f"Decision threshold: a score of at least {t:g} gives the favourable decision (set by the policy; "
            "record the business rationale for it in the model card)."
        ),
        table(
            "confusion",
            f"Confusion matrix on the test data at threshold {t:g}",
            [
                column("actual", "Actual"),
                column("favourable", "Decided favourable", "int"),
                column("adverse", "Decided adverse", "int"),
            ],
            [
                {"actual": "favourable", "favourable": tp, "adverse": fn},
                {"actual": "adverse", "favourable": fp, "adverse": tn},
            ],
        ),
        facts(
            [
                ("Accuracy", (tp + tn) / len(y), "pct"),
                ("Precision", tp / max(tp + fp, 1), "pct"),
                ("Recall (true positive rate)", tp / max(tp + fn, 1), "pct"),
                ("False positive rate", fp / max(fp + tn, 1), "pct"),
                ("Favourable decisions", float(pred.mean()), "pct"),
            ]
        ),
    ]


def _disaggregated(ctx: AuditContext, metric: Any, name: str) -> list[dict[str, Any]]:
    sens = ctx.sensitive_test
    if sens is None:
        return []
    rows = []
    smallest = ctx.policy.min_group_size
    # the groups of the fairness section (an intersection is "unknown" when a part is missing),
    # and the same ones hidden: a group shown here but hidden there would undo the suppression
    labels = group_labels(sens, len(sens))
    hidden = suppressed_groups(labels, smallest)
    for attr in labels.columns:
        values = labels[attr].to_numpy()
        for group in sorted(set(values)):
            mask = values == group
            n = int(mask.sum())
            row: dict[str, Any] = {"attribute": attr, "group": group, "n": n, "score": None, "favourable": None}
            if group in hidden[attr]:
                # privacy: a small group's rates could identify people, and a larger one's would
                # give a smaller one's by subtraction; only the size is shown, as in the fairness section
                rows.append({**row, "note": f"fewer than {smallest} rows: suppressed" if n < smallest else DERIVABLE})
                continue
            if ctx.is_multiclass:
                rows.append({**row, **multiclass_group(ctx, mask), "note": ""})
                continue
            if not ctx.is_classifier or len(np.unique(ctx.y_test[mask])) == 2:
                row["score"] = metrics.bootstrap_ci(metric, ctx.y_test[mask], ctx.scores_test[mask], n_boot=1).value
            rows.append({**row, "favourable": float(ctx.selected_test[mask].mean()), "note": ""})
    columns = [
        column("attribute", "Attribute"),
        column("group", "Group"),
        column("n", "Rows", "int"),
        column("score", name, "float"),
        column("favourable", "Favourable", "pct"),
        column("note", "Note"),
    ]
    caption, undefined = f"Test {name} and favourable-decision rate per group", "one outcome only"
    if not ctx.is_classifier and getattr(ctx.policy, "regression_threshold", None) is None:
        # no decision declared: the column (same key, for machine readers) is the share of the group
        # predicted above the median (NYC LL144, AuditContext.selected_test), not a decision rate
        columns = [column("favourable", "Above median", "pct") if c["key"] == "favourable" else c for c in columns]
        caption = f"Test {name} and share predicted above the median per group"
    if ctx.is_multiclass:
        columns.insert(4, column("accuracy", "Accuracy", "pct"))
        caption, undefined = f"Test {name}, accuracy and favourable-decision rate per group", "a class missing"
        for r in rows:
            r.setdefault("accuracy", None)
        if ctx.favourable_index is None:
            columns = [c for c in columns if c["key"] != "favourable"]
            caption = f"Test {name} and accuracy per group"
    return [
        table(
            "performance_by_group",
            caption,
            columns,
            rows,
            note=f"Groups under {smallest} rows show their size only (privacy), and so does the smallest other "
            f"group of an attribute while the groups hidden hold fewer than {smallest} rows together (otherwise "
            "the overall count minus the shown groups' would give a small group's); "
            f"{name} is not computed for a group with {undefined}.",
        )
    ]
