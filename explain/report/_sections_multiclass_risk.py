"""Fairness and drift of a multiclass model (see :mod:`._sections_multiclass`).

Fairness: each class ``c`` drives a decision, "predicted ``c``" against "predicted another
class". For every class, the selection rate per group (the share of the group predicted ``c``),
the impact ratios against the most selected group, their significance, and the true and false
positive rates of predicting ``c`` (the rows of class ``c`` are the positives), with fairlearn's
definitions (:func:`explain.metrics.group_metrics`), are judged by the binary thresholds of the
policy. With a favourable class, its decision is the headline finding
(``fairness.impact_ratio.<attribute>``, as a binary model's); the other classes' findings carry the
class in their id (``fairness.impact_ratio.<attribute>.<class>``). For a class other than the
favourable one the ratio reads both ways: a group predicted a class much less (or much more) often
than another group.

Drift: the PSI of each class's probability, and of the distribution of the predicted classes (a
categorical PSI with its chi-square test).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from .. import metrics
from ._context import AuditContext
from ._schema import column, facts, paragraph, table

__all__ = ["class_order", "multiclass_drift", "multiclass_fairness"]


def class_order(ctx: AuditContext) -> list[int]:
    """The classes in the order they are reported: the favourable class first, when declared."""
    favourable = ctx.favourable_index
    order = list(range(len(ctx.classes)))
    return order if favourable is None else [favourable] + [c for c in order if c != favourable]


def _ids(ctx: AuditContext, c: int, attr: str) -> tuple[str, str, str]:
    """Finding ids and title suffix of class ``c``'s decision for attribute ``attr``."""
    label = ctx.classes[c]
    if c == ctx.favourable_index:
        return (
            f"fairness.impact_ratio.{attr}",
            f"fairness.error_rates.{attr}",
            f"{attr}, predicted {label} (favourable)",
        )
    return f"fairness.impact_ratio.{attr}.{label}", f"fairness.error_rates.{attr}.{label}", f"{attr}, predicted {label}"


def multiclass_fairness(ctx: AuditContext) -> tuple[list[dict[str, Any]], list[dict[str, Any]], pd.DataFrame, int]:
    """Findings and blocks of every class's one-vs-rest decision per group, the groups' table of
    the first class reported (the suppressed groups) and the number of attributes."""
    from ._sections_risk import GROUP_COLUMNS, error_rate_finding, group_row, impact_finding

    p = ctx.policy
    predicted = ctx.predicted_test
    found: list[dict[str, Any]] = []
    tables: list[dict[str, Any]] = []
    per_class: dict[str, Any] = {}
    first_by: pd.DataFrame | None = None
    attributes: list[str] = []
    for c in class_order(ctx):
        label = ctx.classes[c]
        gm = metrics.group_metrics(
            (ctx.y_test == c).astype(int),
            (predicted == c).astype(int),
            ctx.sensitive_test,
            min_group_size=p.min_group_size,
            min_share=p.min_group_share,
            alpha=p.alpha,
        )
        per_class[label] = gm
        by = gm.by_group.reset_index()
        first_by = by if first_by is None else first_by
        attributes = list(gm.attributes)
        for attr in gm.attributes:
            rows = by[by["attribute"] == attr]
            impact_id, error_id, title = _ids(ctx, c, attr)
            if not np.any(predicted == c):  # no group is selected: there is no rate to compare
                found.append(_never_predicted(impact_id, f"Impact ratio, {title}", label, len(predicted)))
            else:
                found.append(impact_finding(ctx, gm, rows, attr, impact_id, f"Impact ratio, {title}"))
            if len(rows[~rows["suppressed"].astype(bool)]) > 1:
                found += error_rate_finding(ctx, gm, attr, error_id, f"Error-rate gap, {title}")
            tables.append(
                table(
                    f"fairness_{attr}_{label}",
                    f"{attr}, decision 'predicted {label}'"
                    + (" (favourable)" if c == ctx.favourable_index else "")
                    + f": selection rates and impact ratios (reference group: {gm.reference[attr]})",
                    GROUP_COLUMNS,
                    [group_row(r) for _, r in rows.iterrows()],
                )
            )
    ctx.extras["group_metrics_per_class"] = per_class
    favourable = ctx.favourable_index
    blocks: list[dict[str, Any]] = [
        paragraph(
            "The model's decision is its predicted class, so each class drives a decision of its own: predicted "
            "that class, or another. For every class, the selection rate is the share of each group predicted in "
            "it on the test data; the impact ratio divides it by the rate of the group predicted in it most (the "
            "reference), and TPR and FPR are the rates of predicting the class among the group's rows of that "
            "class and of the other classes (equalized odds, fairlearn's definitions). Every class is judged by "
            f"the policy's thresholds (impact ratio at least {p.min_impact_ratio:g}, error-rate gap at most "
            f"{p.max_error_rate_gap:g})"
            + (
                f"; the favourable class {ctx.classes[favourable]}'s decision is the headline finding."
                if favourable is not None
                else "; no favourable class is declared, so a low ratio of any class is flagged: a group predicted "
                "a class much less often than another group is treated differently, whichever class it is."
            )
        ),
        paragraph(
            "Reading these tables: a selection rate counts decisions whatever the true classes, so where groups differ "
            "in their share of a class its ratio differs too; the error-rate gap compares the groups among rows of "
            f"the same true class. With {len(ctx.classes)} classes each attribute is tested {len(ctx.classes)} times: "
            f"at a significance level of {p.alpha:g}, one significant difference among many classes can arise by "
            "chance. Before concluding on a flagged class, compare its TPR and FPR between the groups."
        ),
    ]
    assert first_by is not None
    return found, blocks + tables, first_by, len(attributes)


def _never_predicted(id: str, title: str, label: str, n: int) -> dict[str, Any]:
    from ._sections_risk import no_ratio_finding

    return no_ratio_finding(
        id,
        title,
        f"The model predicts {label} for none of the {n} test rows: every group's selection rate is 0, so "
        "there is no ratio to compare. See the class's recall in the performance section.",
    )


def multiclass_drift(ctx: AuditContext, judge: Any) -> tuple[list[dict[str, Any]], list[dict[str, Any]], float]:
    """Drift of the model's outputs from the reference to the test data: the PSI of each class's
    probability (finding ``drift.prediction``: the largest significant one) and of the distribution
    of the predicted classes (``drift.predicted_class``), the blocks, and the largest PSI of a
    class's probability (significant or not, for the section's summary). ``judge`` makes a drift
    finding as the feature drift does (:func:`._sections_risk.psi_judge`)."""
    assert ctx.proba_reference is not None and ctx.proba_test is not None
    rows: list[dict[str, Any]] = []
    for c, label in enumerate(ctx.classes):
        pred = metrics.prediction_drift(ctx.proba_reference[:, c], ctx.proba_test[:, c])
        rows.append(
            {
                "class": label,
                "psi": float(pred["psi"]),
                "psi_noise": float(pred["psi_noise"]),
                "psi_p_value": float(pred["psi_p_value"]),
                "significant": bool(pred["psi_significant"]),
                "mean_reference": float(pred["mean_reference"]),
                "mean_current": float(pred["mean_current"]),
                "ks_p_value": float(pred["ks_p_value"]),
            }
        )
    real = [r for r in rows if r["significant"]]
    worst = max(real or rows, key=lambda r: r["psi"])
    decided = _predicted_class_drift(ctx)
    found = [
        judge(
            "drift.prediction",
            "Probability of each class stable",
            "largest PSI of a class's probability",
            worst["psi"],
            worst["significant"],
            message=("Largest significant: " if real else "Largest: ")
            + f"class {worst['class']}, PSI {worst['psi']:.3f} (noise level {worst['psi_noise']:.3f}, "
            f"chi-square p = {worst['psi_p_value']:.2g}); mean probability {worst['mean_reference']:.3f} on the "
            f"reference, {worst['mean_current']:.3f} on the test data.",
        ),
        judge(
            "drift.predicted_class",
            "Predicted classes stable",
            "PSI of the predicted-class distribution",
            decided["psi"],
            decided["significant"],
            message="Predicted-class shares, reference to test: "
            + ", ".join(f"{r['class']} {r['reference']:.1%} to {r['test']:.1%}" for r in decided["rows"])
            + f"; chi-square p = {decided['p_value']:.2g} (noise level {decided['psi_noise']:.3f}).",
        ),
    ]
    blocks = [
        paragraph(
            "The model's outputs, from the reference to the test data: the PSI of each class's probability (binned "
            "at the reference's deciles, with the noise level and the chi-square test of the bins, as for the "
            "features) and of the share of each predicted class (the decisions)."
        ),
        table(
            "prediction_drift",
            "Drift of each class's probability (reference to test)",
            [
                column("class", "Class"),
                column("psi", "PSI", "float"),
                column("psi_noise", "Noise PSI", "float"),
                column("psi_p_value", "Bins p-value", "pvalue"),
                column("mean_reference", "Mean, reference", "float"),
                column("mean_current", "Mean, test", "float"),
                column("ks_p_value", "KS p-value", "pvalue"),
            ],
            rows,
        ),
        table(
            "predicted_class_drift",
            "Share of each predicted class (reference to test)",
            [
                column("class", "Predicted class"),
                column("reference", "Reference", "pct"),
                column("test", "Test", "pct"),
            ],
            decided["rows"],
        ),
        facts(
            [("Predicted-class PSI", decided["psi"], "float"), ("Its chi-square p-value", decided["p_value"], "pvalue")]
        ),
    ]
    return found, blocks, max(r["psi"] for r in rows)


def _predicted_class_drift(ctx: AuditContext) -> dict[str, Any]:
    """The PSI of the predicted classes as a categorical feature (:func:`explain.metrics.drift`)."""
    assert ctx.proba_reference is not None and ctx.proba_test is not None
    labels = np.asarray(ctx.classes, dtype=object)
    ref = labels[np.argmax(ctx.proba_reference, axis=1)]
    cur = labels[np.argmax(ctx.proba_test, axis=1)]
    frame = metrics.drift(
        pd.DataFrame({"predicted class": pd.Categorical(ref, categories=list(ctx.classes))}),
        pd.DataFrame({"predicted class": pd.Categorical(cur, categories=list(ctx.classes))}),
    )
    row = frame.iloc[0]
    return {
        "psi": float(row["psi"]),
        "psi_noise": float(row["psi_noise"]),
        "p_value": float(row["psi_p_value"]),
        "significant": bool(row["psi_significant"]),
        "rows": [
            {"class": label, "reference": float(np.mean(ref == label)), "test": float(np.mean(cur == label))}
            for label in ctx.classes
        ],
    }
