"""Explanations of a multiclass model in the audit: the explanation of each row's decision, the
global importance per class, and the local section's reasons per class.

The explainer gives every class's attributions, values (n, d, k). The sections that read one
output per row (robustness, the worked example of the limitations) read the *decision's* output:
the favourable class's when the policy declares one (as a binary model's positive class), else
each row's predicted class (:func:`decision_explanation`). A row's principal reasons for its
class are the features pushing that class's output up the most; with a favourable class, the
reasons of an adverse decision are the features pushing the favourable class's output down.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
import pandas as pd

from ..explanation import LocalExplanation
from ._context import AuditContext
from ._schema import column, findings_block, notice, paragraph, table
from ._sections_model import Built, _sec

__all__ = ["class_importance_blocks", "decision_explanation", "multiclass_local_section"]

TOP_FEATURES = 8
SIDE_BY_SIDE = 5  # classes shown as columns; more: a row per class
ROWS_PER_CLASS = 3


def decision_explanation(ctx: AuditContext, exp: LocalExplanation, sample: np.ndarray) -> LocalExplanation:
    """The explanation of the decision of each explained row (at test positions ``sample``): the
    favourable class's output when the policy declares one, else the output of each row's
    predicted class (its attributions still add up to that output's prediction)."""
    favourable = ctx.favourable_index
    if favourable is not None:
        return exp.for_output(favourable)
    rows, predicted = np.arange(exp.n_rows), ctx.predicted_test[sample]
    params = {**dict(exp.params), "output": "the predicted class of each row"}
    return dataclasses.replace(
        exp,
        values=np.asarray(exp.values)[rows, :, predicted],
        base_values=np.asarray(exp.base_values)[rows, predicted],
        predictions=np.asarray(exp.predictions)[rows, predicted],
        output_names=("predicted class",),
        params=params,
        diagnostics={},
        remainder=None,
    )


def _class_runs(ctx: AuditContext) -> list[LocalExplanation]:
    runs = ctx.extras.get("class_runs")
    if not runs:
        raise RuntimeError("the multiclass explanations are computed by explain_sample")  # pragma: no cover
    return list(runs)


def class_importance(ctx: AuditContext) -> np.ndarray:
    """Mean |attribution| of each feature for each class's output over the explained rows, (d, k)."""
    return np.mean(np.abs(np.asarray(_class_runs(ctx)[0].values, dtype=float)), axis=0)


def class_importance_blocks(ctx: AuditContext) -> list[dict[str, Any]]:
    """A table of the most important features of each class's output: side by side, a column
    per class, for up to ``SIDE_BY_SIDE`` classes; else a row per class (a page is too narrow for
    more columns)."""
    exp = _class_runs(ctx)[0]
    importance = class_importance(ctx)
    d, k = importance.shape
    top = min(TOP_FEATURES, d)
    order = np.argsort(-importance, axis=0, kind="stable")[:top]  # (top, k)

    def cell(rank: int, c: int) -> str:
        j = int(order[rank, c])
        return f"{exp.feature_names[j]} ({importance[j, c]:.3g})"

    ctx.extras["class_importance"] = {
        ctx.classes[c]: {str(f): float(importance[j, c]) for j, f in enumerate(exp.feature_names)} for c in range(k)
    }
    caption = f"The {top} most important features of each class (mean |attribution|)"
    if k <= SIDE_BY_SIDE:
        block = table(
            "importance_per_class",
            caption,
            [column("rank", "Rank", "int")] + [column(f"c{c}", f"Class {ctx.classes[c]}") for c in range(k)],
            [{"rank": rank + 1, **{f"c{c}": cell(rank, c) for c in range(k)}} for rank in range(top)],
        )
    else:
        block = table(
            "importance_per_class",
            caption + ", most important first",
            [column("class", "Class"), column("features", "Features")],
            [{"class": ctx.classes[c], "features": "; ".join(cell(rank, c) for rank in range(top))} for c in range(k)],
        )
    return [
        paragraph(
            f"Importance per class: the mean absolute attribution of each feature to each class's output "
            f"({exp.output_space}), over the {exp.n_rows} explained rows. A feature can drive one class and not "
            "another; the table lists the most important features of each class, with their importance."
        ),
        block,
    ]


# --------------------------------------------------------------------------- local


def _reasons(exp: LocalExplanation, rows: np.ndarray, k: int, codes: dict[str, Any], adverse: str) -> pd.DataFrame:
    """Principal reasons of the explained rows ``rows`` (single-output ``exp``), rows numbered as in ``exp``."""
    if not len(rows):
        return exp[:0].reasons(k=k, adverse=adverse, codes=codes).to_frame()  # type: ignore[arg-type]
    frame = exp[rows].reasons(k=k, adverse=adverse, codes=codes).to_frame()  # type: ignore[arg-type]
    frame["row"] = rows[frame["row"].to_numpy(dtype=np.intp)]
    return frame


def _shown_rows(predicted: np.ndarray, n_classes: int) -> list[int]:
    """Up to ``ROWS_PER_CLASS`` explained rows of each predicted class, in order."""
    picked: list[int] = []
    for c in range(n_classes):
        picked += np.flatnonzero(predicted == c)[:ROWS_PER_CLASS].tolist()
    return sorted(picked)


def _listed(part: pd.DataFrame, protected: dict[str, Any]) -> str:
    from ._sections_protected import mark

    return "; ".join(
        f"{c.code} {c.feature} ({c.contribution:+.3f})"
        + (f" {mark(str(c.feature), protected)}" if str(c.feature) in protected else "")
        for c in part.itertuples()
    )


def _stability(ctx: AuditContext, codes: dict[str, Any], rows: np.ndarray) -> float | None:
    """Share of the explained rows ``rows`` whose set of principal reasons for their decision's
    output is the same in every run."""
    runs = ctx.stability_runs
    if len(runs) < 2 or not len(rows):
        return None
    adverse = "decrease" if ctx.favourable_index is not None else "increase"
    sets = []
    for run in runs:
        f = _reasons(run, rows, ctx.policy.max_reasons, codes, adverse)
        sets.append({int(r): frozenset(f[f["row"] == r]["feature"]) for r in rows})
    return float(np.mean([all(s[int(r)] == sets[0][int(r)] for s in sets[1:]) for r in rows]))


def _protected_drivers(
    ctx: AuditContext, frame: pd.DataFrame, n_rows: int, protected: dict[str, Any]
) -> dict[str, Any]:
    """How many shown rows cite a protected attribute (or a proxy of one) among the reasons for
    their predicted class (no favourable class: no decision is adverse)."""
    from ._sections_local import protected_reasons_finding

    return protected_reasons_finding(
        ctx,
        frame,
        protected,
        title="No decision's reasons cite a protected attribute",
        metric="shown decisions citing a protected attribute or proxy",
        cite=lambda n, cited: (
            f"{n} of the {n_rows} shown decisions cite {', '.join(cited)} among the reasons for "
            "their predicted class (marked in the table)."
        ),
        none=f"None of the {n_rows} shown decisions cites a sensitive attribute or a proxy of one among the reasons "
        "for its predicted class.",
    )


def _reason_rows(
    ctx: AuditContext, shown: list[int], why_not: pd.DataFrame | None, protected: dict[str, Any]
) -> tuple[list[dict[str, Any]], pd.DataFrame]:
    """The table's rows (explained rows ``shown``): predicted class, its probability, the reasons for
    it and, for an adverse decision, why not the favourable class; and the reasons' table."""
    from ._sections_local import _codes

    sample, full, p = ctx.sample, _class_runs(ctx)[0], ctx.policy
    assert sample is not None and ctx.proba_test is not None
    predicted, codes = ctx.predicted_test[sample], _codes(ctx)
    picked = np.asarray(shown, dtype=int)
    per_class = [_reasons(full.for_output(c), picked[predicted[picked] == c], p.max_reasons, codes, "increase")
                 for c in range(len(ctx.classes))]  # fmt: skip
    reasons = pd.concat(per_class)
    rows = []
    for r in shown:
        c = int(predicted[r])
        row = {
            "id": str(ctx.X_test.index[sample[r]]),
            "predicted": ctx.classes[c],
            "probability": float(ctx.proba_test[sample[r], c]),
            "reasons": _listed(reasons[reasons["row"] == r], protected) or "none above zero",
            "why_not": "",
        }
        if why_not is not None and c != ctx.favourable_index:
            row["why_not"] = _listed(why_not[why_not["row"] == r], protected) or "none above zero"
        rows.append(row)
    return rows, reasons


def _findings(
    ctx: AuditContext, adverse: np.ndarray, reasons: pd.DataFrame, why_not: pd.DataFrame | None, n_shown: int
) -> list[dict[str, Any]]:
    """The reason-code dictionary, the stability of the reasons (of the adverse decisions, or of
    every explained decision without a favourable class) and the protected attributes they cite."""
    from ._sections_local import _codes, _codes_finding, _protected_reasons, reason_stability_finding
    from ._sections_protected import protected_features

    codes, decides = _codes(ctx), ctx.favourable_index is not None
    assert ctx.sample is not None
    found = [_codes_finding(ctx, codes, decides=decides)]
    rows = adverse if decides else np.arange(len(ctx.sample))
    same = _stability(ctx, codes, rows)
    if same is not None:
        found.append(
            reason_stability_finding(
                ctx,
                same,
                metric="explained decisions whose reasons do not change",
                of=f"the {len(rows)} explained {'adverse ' if decides else ''}decisions",
            )
        )
    if ctx.sensitive_test is not None:
        protected = protected_features(ctx)
        found.append(
            _protected_reasons(ctx, why_not, sorted(set(why_not["row"].tolist())), protected)
            if why_not is not None  # adverse decisions: Regulation B's question
            else _protected_drivers(ctx, reasons, n_shown, protected)
        )
    return found


def _adverse_blocks(ctx: AuditContext, shown: list[int], why_not: pd.DataFrame) -> list[dict[str, Any]]:
    """With a favourable class: what would have made a few adverse decisions favourable
    (counterfactuals), and a sample notice of principal reasons."""
    from ._sections_local import WHATIF_ROWS, _counterfactual_rows
    from ._sections_protected import mark, protected_features

    sample, favourable = ctx.sample, ctx.favourable_index
    assert sample is not None and favourable is not None
    label, predicted, protected = ctx.classes[favourable], ctx.predicted_test[sample], protected_features(ctx)
    adverse_shown = [r for r in shown if int(predicted[r]) != favourable]
    what_ifs, note = _counterfactual_rows(ctx, [int(sample[r]) for r in adverse_shown[:WHATIF_ROWS]], None)
    blocks = [
        table(
            "what_if",
            f"What would have made the decision {label} (counterfactuals, each confirmed with the model)",
            [
                column("id", "Row"),
                column("option", "Option", "int"),
                column("what_if", "Changes"),
                column("score", f"New {ctx.score_name}", "float"),
            ],
            what_ifs,
            note=note + f" The decision is {label} when it is the most probable class.",
        )
    ]
    first = next((r for r in adverse_shown if (why_not["row"] == r).any()), None)
    if first is None:
        return blocks
    part = why_not[why_not["row"] == first]
    lines = "\n".join(
        f"{i}. {s}" + (f" {mark(str(f), protected)}" if str(f) in protected else "")
        for i, (s, f) in enumerate(zip(part["statement"], part["feature"], strict=True), start=1)
    )
    # neutral wording: a multiclass model decides cases, not necessarily applications (a wine, a claim,
    # a ticket); the card's decision, when given, says what is decided
    decided = str(ctx.card.decision or "").strip().rstrip(".")
    text = (
        f"The decision{f' ({decided})' if decided else ''} for case {ctx.X_test.index[sample[first]]} was "
        f"{ctx.classes[int(predicted[first])]}, not the favourable {label}. The principal reasons were:\n{lines}\n"
        "The decision used a statistical model applied to the information about this case. A review by a person "
        "and more detail about these reasons can be asked for."
    )
    return [*blocks, notice("Sample statement of principal reasons (illustration)", text)]


def multiclass_local_section(ctx: AuditContext) -> Built:
    """The local section of a multiclass model: the reasons for each shown row's predicted class,
    and with a favourable class the reasons of the adverse decisions, what would have changed a
    few of them and a sample notice."""
    from ._sections_local import _codes, _codes_table
    from ._sections_protected import protected_features

    p, sample, favourable, explanation = ctx.policy, ctx.sample, ctx.favourable_index, ctx.explanation
    assert sample is not None and explanation is not None
    full, codes = _class_runs(ctx)[0], _codes(ctx)
    predicted = ctx.predicted_test[sample]
    shown = _shown_rows(predicted, len(ctx.classes))
    adverse = np.flatnonzero(predicted != favourable) if favourable is not None else np.array([], dtype=int)
    # the decision's explanation is the favourable class's output: its reasons push it down
    why_not = _reasons(explanation, adverse, p.max_reasons, codes, "decrease") if favourable is not None else None
    rows, reasons = _reason_rows(ctx, shown, why_not, protected_features(ctx))
    found = _findings(ctx, adverse, reasons, why_not, len(shown))
    label = ctx.classes[favourable] if favourable is not None else None
    columns = [
        column("id", "Row"),
        column("predicted", "Predicted class"),
        column("probability", "P(predicted class)", "float"),
        column("reasons", f"Reasons for the predicted class (contribution, {full.output_space.replace('_', '-')})"),
    ]
    if label is not None:
        columns.append(column("why_not", f"Why not {label} (contribution)"))
    blocks: list[dict[str, Any]] = [
        paragraph(
            "Selection method: for each shown row, the features whose attributions push the output of its predicted "
            f"class up the most, compared with the reference population (the explainer's background data), at most "
            f"{p.max_reasons}, largest first; only features the model scores can be reasons."
            + (
                f" For an adverse decision (a class other than {label}), the reasons of the decision are the features "
                f"pushing the output of {label} down the most."
                if label is not None
                else " The policy declares no favourable class (policy.favourable_class), so no decision is adverse: "
                "there are no adverse-action reasons and no sample notice. Declare the favourable class to get them."
            )
        ),
        _codes_table(codes),
        table(
            "class_reasons",
            f"Reasons per class: {len(rows)} of the {full.n_rows} explained rows (up to {ROWS_PER_CLASS} per "
            "predicted class)",
            columns,
            rows,
        ),
        *(_adverse_blocks(ctx, shown, why_not) if why_not is not None else []),
        paragraph("Data used for each decision: the model inputs listed in the intended-use section, as received."),
        findings_block([f["id"] for f in found]),
    ]
    summary = (
        f"{len(adverse)} of {full.n_rows} explained decisions are adverse (not {label}); reasons are capped at "
        f"{p.max_reasons}."
        if label is not None
        else f"Reasons for the predicted class of {len(rows)} of {full.n_rows} explained rows; no favourable class "
        "declared, so no adverse decisions."
    )
    return _sec("local_explanations", summary, blocks, found)
