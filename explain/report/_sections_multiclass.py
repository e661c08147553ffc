"""The audit of a multiclass classifier: its performance per class and on average, and the
one-vs-rest view of its decisions that the other sections share.

The model's decision is its predicted class, the most probable one (as ``predict()``). Each class
``c`` drives a decision of its own, "predicted ``c``" against "predicted another class": the
fairness section audits that decision for every class with fairlearn's definitions, and judges it
by the binary thresholds of the policy. When the policy declares ``favourable_class``, the
favourable decision is "predicted the favourable class", the others are adverse, and the score of
the adverse-action reasons, of the separation (KS, Gini) and of the score deciles is
P(favourable class).

Thresholds of the policy and what they apply to here: ``min_test_score`` to the macro average of
the one-vs-rest ROC AUCs (and, with a warning, to the lowest class's), ``max_train_test_gap`` to
the train minus test macro ROC AUC, ``max_calibration_error`` to the largest one-vs-rest expected
calibration error of a class's probability.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from scipy.stats import rankdata
from sklearn import metrics as skm

from .. import metrics
from ._context import AuditContext
from ._schema import chart, column, facts, finding, line_chart, paragraph, table
from ._sections_validation import rank_ordering_blocks

__all__ = [
    "class_balance",
    "class_labels",
    "decision_text",
    "macro_roc_auc",
    "multiclass_glassbox",
    "multiclass_group",
    "multiclass_performance",
    "outcomes_per_class",
    "per_class_rows",
]

AUC_NAME = "macro ROC AUC (one-vs-rest)"


def class_labels(ctx: AuditContext) -> list[str]:
    """The class labels, in the model's order."""
    return list(ctx.classes)


def decision_text(ctx: AuditContext) -> str:
    """One sentence: what the model decides, and which decision is favourable."""
    labels = ", ".join(ctx.classes)
    text = (
        f"The model is a classifier of {len(ctx.classes)} classes ({labels}); its decision for a row is the "
        "class it predicts, the most probable one (as its predict() method)."
    )
    favourable = ctx.favourable_index
    if favourable is None:
        return (
            text + " The policy declares no favourable class (policy.favourable_class), so no decision is "
            "read as favourable or adverse: each class's decision is audited one against the rest."
        )
    return (
        text + f" The favourable decision is the class {ctx.classes[favourable]} (policy.favourable_class); the "
        "other classes are adverse decisions. policy.decision_threshold applies to binary models only."
    )


def macro_roc_auc(n_classes: int) -> Callable[[np.ndarray, np.ndarray], float]:
    """The macro average of the one-vs-rest ROC AUCs of ``n_classes`` classes, equal to
    ``sklearn.metrics.roc_auc_score(y, proba, multi_class="ovr", average="macro")`` (the tests
    check it) and computed as the Mann-Whitney statistic of each class's probability (ties count
    one half), without sklearn's input checks: the bootstrap calls it a thousand times. A sample
    without a row of some class (or with only that class) raises ValueError, as sklearn does, and
    the bootstrap skips it."""

    def macro_roc_auc_ovr(y: np.ndarray, proba: np.ndarray) -> float:
        aucs = []
        for c in range(n_classes):
            positive = y == c
            n_pos = int(positive.sum())
            n_neg = len(y) - n_pos
            if n_pos == 0 or n_neg == 0:
                raise ValueError(f"class {c} has {n_pos} of {len(y)} rows: its one-vs-rest ROC AUC is not defined")
            ranks = rankdata(proba[:, c])
            aucs.append((float(ranks[positive].sum()) - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))
        return float(np.mean(aucs))

    return macro_roc_auc_ovr


def _log_loss(n_classes: int) -> Callable[[np.ndarray, np.ndarray], float]:
    labels = np.arange(n_classes)

    def log_loss(y: np.ndarray, proba: np.ndarray) -> float:
        return float(skm.log_loss(y, proba, labels=labels))

    return log_loss


def _macro_f1(n_classes: int) -> Callable[[np.ndarray, np.ndarray], float]:
    labels = np.arange(n_classes)

    def macro_f1(y: np.ndarray, predicted: np.ndarray) -> float:
        return float(skm.f1_score(y, predicted, labels=labels, average="macro", zero_division=0))

    return macro_f1


def per_class_rows(ctx: AuditContext) -> list[dict[str, Any]]:
    """Per class: support, precision, recall, F1 (sklearn's ``classification_report``) and the
    one-vs-rest ROC AUC; then the macro and the weighted (by support) averages."""
    assert ctx.proba_test is not None
    y, proba, predicted = ctx.y_test, ctx.proba_test, ctx.predicted_test
    k = len(ctx.classes)
    precision, recall, f1, support = skm.precision_recall_fscore_support(
        y, predicted, labels=np.arange(k), zero_division=0
    )
    auc = [float(skm.roc_auc_score(y == c, proba[:, c])) for c in range(k)]
    rows = [
        {
            "class": ctx.classes[c],
            "support": int(support[c]),
            "predicted": int(np.sum(predicted == c)),
            "precision": float(precision[c]),
            "recall": float(recall[c]),
            "f1": float(f1[c]),
            "auc": auc[c],
        }
        for c in range(k)
    ]
    weights = support / support.sum()
    for name, w in (("macro average", np.full(k, 1 / k)), ("weighted average", weights)):
        rows.append(
            {
                "class": name,
                "support": int(support.sum()),
                "predicted": len(y),
                "precision": float(np.dot(w, precision)),
                "recall": float(np.dot(w, recall)),
                "f1": float(np.dot(w, f1)),
                "auc": float(np.dot(w, auc)),
            }
        )
    return rows


def _per_class_table(rows: list[dict[str, Any]]) -> dict[str, Any]:
    return table(
        "per_class",
        "Performance per class on the test data",
        [
            column("class", "Class"),
            column("support", "Rows", "int"),
            column("predicted", "Predicted", "int"),
            column("precision", "Precision", "pct"),
            column("recall", "Recall", "pct"),
            column("f1", "F1", "float"),
            column("auc", "ROC AUC (one-vs-rest)", "float"),
        ],
        rows,
        note="Precision: of the rows predicted in the class, the share that belong to it; recall: of the rows "
        "of the class, the share predicted in it; F1: their harmonic mean. ROC AUC one-vs-rest: how well the "
        "class's probability ranks its rows above the others. Macro average: the classes weigh the same; "
        "weighted: by their rows.",
    )


def _confusion(ctx: AuditContext) -> dict[str, Any]:
    k = len(ctx.classes)
    matrix = skm.confusion_matrix(ctx.y_test, ctx.predicted_test, labels=np.arange(k))
    columns = [column("actual", "Actual class")] + [
        column(f"p{c}", f"Predicted {ctx.classes[c]}", "int") for c in range(k)
    ]
    rows = [{"actual": ctx.classes[a], **{f"p{c}": int(matrix[a, c]) for c in range(k)}} for a in range(k)]
    return table("confusion", "Confusion matrix on the test data (rows: actual, columns: predicted)", columns, rows)


def _headline(ctx: AuditContext, gen: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """Accuracy, macro F1 and log loss with bootstrap intervals, beside the macro ROC AUC."""
    assert ctx.proba_test is not None
    p, k = ctx.policy, len(ctx.classes)
    y, proba, predicted = ctx.y_test, ctx.proba_test, ctx.predicted_test

    def ci(metric: Any, values: np.ndarray) -> Any:
        return metrics.bootstrap_ci(
            metric, y, values, n_boot=p.n_bootstrap, random_state=ctx.random_state, alpha=p.alpha
        )

    accuracy, f1, loss = ci("accuracy", predicted), ci(_macro_f1(k), predicted), ci(_log_loss(k), proba)
    rows = [
        {"metric": "Accuracy", "value": accuracy.value, "low": accuracy.low, "high": accuracy.high},
        {"metric": "Macro F1", "value": f1.value, "low": f1.low, "high": f1.high},
        {"metric": AUC_NAME, "value": gen.test.value, "low": gen.test.low, "high": gen.test.high},
        {"metric": "Log loss (lower is better)", "value": loss.value, "low": loss.low, "high": loss.high},
    ]
    ctx.extras["multiclass_metrics"] = {"accuracy": accuracy, "macro_f1": f1, "log_loss": loss}
    headline = table(
        "multiclass_metrics",
        f"Test metrics ({1 - p.alpha:.0%} percentile bootstrap intervals, {p.n_bootstrap} resamples)",
        [
            column("metric", "Metric"),
            column("value", "Value", "float"),
            column("low", "CI low", "float"),
            column("high", "CI high", "float"),
        ],
        rows,
    )
    balanced = facts(
        [
            ("Balanced accuracy (mean recall)", float(skm.balanced_accuracy_score(y, predicted)), "float"),
            ("Log loss of always predicting the training class shares", _prior_loss(ctx), "float"),
        ]
    )
    return headline, balanced


def _prior_loss(ctx: AuditContext) -> float:
    k = len(ctx.classes)
    prior = np.bincount(ctx.y_train, minlength=k) / len(ctx.y_train)
    return float(skm.log_loss(ctx.y_test, np.tile(prior, (len(ctx.y_test), 1)), labels=np.arange(k)))


def _calibration(ctx: AuditContext) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """One-vs-rest calibration of each class's probability; the finding takes the worst class."""
    assert ctx.proba_test is not None
    p = ctx.policy
    rows: list[dict[str, Any]] = []
    curves = []
    for c, label in enumerate(ctx.classes):
        cal = metrics.calibration(ctx.y_test == c, ctx.proba_test[:, c], pos_label=True)
        rows.append({"class": label, "ece": cal.ece, "brier": cal.brier, "max_error": cal.max_error})
        curves.append({"name": ctx.class_score_name(c), "x": list(cal.prob_pred), "y": list(cal.prob_true)})
    worst = max(rows, key=lambda r: r["ece"])
    found = finding(
        "performance.calibration",
        "performance",
        "Probabilities are calibrated (each class, one against the rest)",
        metric="largest expected calibration error of a class",
        observed=worst["ece"],
        threshold=p.max_calibration_error,
        comparison="<=",
        status="pass" if worst["ece"] <= p.max_calibration_error else "warn",
        message=f"Largest one-vs-rest ECE: class {worst['class']} ({worst['ece']:.3f}, Brier {worst['brier']:.3f}); "
        + ", ".join(f"{r['class']} {r['ece']:.3f}" for r in rows)
        + " over 10 bins.",
    )
    alt = "Reliability curves of each class's probability on the test data: " + "; ".join(
        f"{curve['name']}: " + ", ".join(f"{x:.2f} to {y:.2f}" for x, y in zip(curve["x"], curve["y"], strict=True))
        for curve in curves
    )
    spec = line_chart(curves, xlabel="Mean predicted probability", ylabel="Observed frequency", diagonal=True)
    drawn = chart(
        "calibration", "Calibration of each class's probability on the test data (the diagonal is perfect)", alt, spec
    )
    block = table(
        "calibration_per_class",
        "Calibration of each class's probability (one against the rest, 10 bins)",
        [
            column("class", "Class"),
            column("ece", "Expected calibration error", "float"),
            column("max_error", "Largest bin error", "float"),
            column("brier", "Brier score", "float"),
        ],
        rows,
    )
    return [drawn, block], found


def _class_auc_finding(ctx: AuditContext, rows: list[dict[str, Any]]) -> dict[str, Any]:
    """The lowest one-vs-rest ROC AUC of a class against the declared minimum (warn only: the
    declared accuracy is the macro average's)."""
    p = ctx.policy
    classes = rows[: len(ctx.classes)]
    worst = min(classes, key=lambda r: r["auc"])
    below = [r["class"] for r in classes if r["auc"] < p.min_test_score]
    return finding(
        "performance.class_auc",
        "performance",
        "Every class is told from the others",
        metric="lowest one-vs-rest ROC AUC of a class",
        observed=worst["auc"],
        threshold=p.min_test_score,
        comparison=">=",
        status="pass" if not below else "warn",
        message=f"Lowest one-vs-rest ROC AUC: class {worst['class']} ({worst['auc']:.3f}); "
        + (
            f"below {p.min_test_score:g}: {', '.join(below)}."
            if below
            else f"every class at least {p.min_test_score:g}."
        ),
    )


def multiclass_performance(ctx: AuditContext) -> tuple[Any, list[dict[str, Any]], list[dict[str, Any]]]:
    """The generalization result (macro ROC AUC), the blocks and the findings of the performance
    section of a multiclass model, but for the train-test table and the results per group."""
    assert ctx.proba_train is not None and ctx.proba_test is not None
    p, k = ctx.policy, len(ctx.classes)
    gen = metrics.generalization(
        ctx.y_train,
        ctx.proba_train,
        ctx.y_test,
        ctx.proba_test,
        metric=macro_roc_auc(k),
        greater_is_better=True,
        max_gap=p.max_train_test_gap,
        n_boot=p.n_bootstrap,
        random_state=ctx.random_state,
        alpha=p.alpha,
    )
    rows = per_class_rows(ctx)
    headline, balanced = _headline(ctx, gen)
    cal_blocks, cal_found = _calibration(ctx)
    blocks: list[dict[str, Any]] = [
        paragraph(decision_text(ctx)),
        paragraph(
            f"The {AUC_NAME} averages, over the classes, how well each class's probability ranks its rows above the "
            "other classes' (0.5 is chance, 1 is perfect); the policy's min_test_score applies to it and "
            "max_train_test_gap to its train minus test gap. Accuracy, precision, recall and F1 judge the "
            "predicted classes; log loss judges the probabilities."
        ),
        headline,
        balanced,
        _per_class_table(rows),
        _confusion(ctx),
        *cal_blocks,
    ]
    found = [_class_auc_finding(ctx, rows), cal_found]
    favourable = ctx.favourable_index
    if favourable is not None:
        label = ctx.classes[favourable]
        ranking_blocks, ranking_found = rank_ordering_blocks(ctx.y_test == favourable, ctx.proba_test[:, favourable])
        blocks.append(
            paragraph(
                f"Separation and rank ordering of the favourable class's probability, P({label}): a good is a row "
                f"of class {label}, a bad a row of any other class."
            )
        )
        blocks += ranking_blocks
        found += ranking_found
    return gen, blocks, found


def multiclass_glassbox(ctx: AuditContext, gam: Any, test: Any) -> dict[str, Any]:
    """The glass-box benchmark of a multiclass model (the design section): the additive model
    ``gam``, fitted on the training rows, against the production model on the test rows ``test``
    (the glass-box's frame): macro ROC AUC of both, the rank correlation of their scores
    (:attr:`AuditContext.scores_test`: P(favourable class), else P(predicted class)) and the share
    of test rows both models put in the same class."""
    from ._sections_model import _rank_correlation

    assert ctx.proba_test is not None
    proba = np.asarray(gam.predict_proba(test), dtype=float)
    auc = macro_roc_auc(len(ctx.classes))
    favourable = ctx.favourable_index
    scores = proba[:, favourable] if favourable is not None else proba[np.arange(len(proba)), ctx.predicted_test]
    return {
        "metric": "roc_auc_ovr_macro",
        "model": auc(ctx.y_test, ctx.proba_test),
        "glassbox": auc(ctx.y_test, proba),
        "spearman": _rank_correlation(ctx.scores_test, scores),
        "scores": scores,
        "gam": gam,
        "decision_agreement": float(np.mean(np.argmax(proba, axis=1) == ctx.predicted_test)),
    }


# --------------------------------------------------------------------------- data


def class_balance(ctx: AuditContext) -> dict[str, Any]:
    counts = np.bincount(ctx.y_train, minlength=len(ctx.classes))
    smallest = int(np.argmin(counts))
    share = float(counts[smallest] / counts.sum())
    return finding(
        "data.balance",
        "data",
        "Class balance (training)",
        metric="smallest class share",
        observed=share,
        format="pct",
        status="info",
        message=f"The smallest of the {len(ctx.classes)} classes, {ctx.classes[smallest]}, is {share:.1%} of the "
        "training rows.",
    )


def outcomes_per_class(ctx: AuditContext) -> dict[str, Any]:
    k = len(ctx.classes)
    train, test = np.bincount(ctx.y_train, minlength=k), np.bincount(ctx.y_test, minlength=k)
    favourable = ctx.favourable_index
    return table(
        "outcomes",
        "Outcomes per class and data set",
        [
            column("class", "Class"),
            column("train", "Train", "int"),
            column("train_share", "Train share", "pct"),
            column("test", "Test", "int"),
            column("test_share", "Test share", "pct"),
        ],
        [
            {
                "class": ctx.classes[c] + (" (favourable)" if c == favourable else ""),
                "train": int(train[c]),
                "train_share": float(train[c] / train.sum()),
                "test": int(test[c]),
                "test_share": float(test[c] / test.sum()),
            }
            for c in range(k)
        ],
    )


def multiclass_group(ctx: AuditContext, mask: np.ndarray) -> dict[str, Any]:
    """A multiclass model's macro ROC AUC (when the group has rows of every class), accuracy and
    favourable-decision rate (when the policy declares a favourable class) on a group's rows."""
    assert ctx.proba_test is not None
    y, k = ctx.y_test[mask], len(ctx.classes)
    every_class = len(np.unique(y)) == k
    favourable = ctx.favourable_index
    return {
        "score": macro_roc_auc(k)(y, ctx.proba_test[mask]) if every_class else None,
        "accuracy": float(np.mean(ctx.predicted_test[mask] == y)),
        "favourable": None if favourable is None else float(np.mean(ctx.predicted_test[mask] == favourable)),
    }
