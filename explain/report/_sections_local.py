"""Local explanations and reason codes: the reason-code dictionary, principal reasons of a sample
of adverse decisions, what-if changes that would have turned them, the stability of the reasons,
and a sample adverse-action statement (Regulation B, GDPR Art. 22, EU AI Act Art. 86)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ._context import AuditContext
from ._schema import column, finding, findings_block, notice, paragraph, table
from ._sections_explain import _explanation, _show
from ._sections_model import Built, _sec
from ._sections_protected import mark, protected_features

__all__ = ["local_section"]

REASON_ROWS = 10
WHATIF_ROWS = 5


def _codes(ctx: AuditContext) -> dict[str, tuple[str, str]]:
    given = dict(ctx.reason_codes or {})
    out = {}
    for i, name in enumerate(ctx.X_test.columns, start=1):
        entry = given.get(name)
        if entry is None:
            out[str(name)] = (f"R{i:02d}", f"{name}")
        elif isinstance(entry, str):
            out[str(name)] = (f"R{i:02d}", entry)
        elif hasattr(entry, "code"):
            out[str(name)] = (entry.code, entry.statement)
        else:
            code, statement = entry
            out[str(name)] = (str(code), str(statement))
    return out


def _counterfactual_rows(ctx: AuditContext, positions: list[int], cut: float) -> tuple[list[dict[str, Any]], str]:
    """Counterfactuals of the adverse test rows at ``positions`` (:func:`explain.counterfactuals`):
    up to two per row, each re-scored by the model and reaching the favourable side of ``cut``,
    with sensitive attributes and age held fixed; the table's rows and a note on the search."""
    from ..counterfactuals import counterfactuals

    if not positions:
        return [], "No adverse decision to explain."
    names = [str(c) for c in ctx.X_test.columns]
    sensitive = set(ctx.sensitive_test.columns) if ctx.sensitive_test is not None else set()
    age = getattr(ctx.policy, "age_feature", None)
    immutable = [n for n in names if n in sensitive or n == age or n.lower() == "age"]
    rows = ctx.X_test.iloc[positions]
    if ctx.is_classifier:
        desired: Any = "flip"
        settings: dict[str, Any] = {"threshold": cut}
    else:  # favourable: above the median score
        desired, settings = (float(np.nextafter(cut, np.inf)), None), {}
    cf = counterfactuals(
        ctx.model, rows, data=ctx.X_train, desired=desired, immutable=immutable, k=2,
        random_state=ctx.random_state, **settings,
    )  # fmt: skip
    changes, candidates = cf.to_frame(), cf.candidates()
    out = []
    for i, position in enumerate(positions):
        for option in sorted(set(changes.loc[changes["row"] == i, "counterfactual"])):
            part = changes[(changes["row"] == i) & (changes["counterfactual"] == option)]
            moves = zip(part["feature"], part["value"], part["new_value"], strict=True)
            text = "; ".join(f"{f} {_show(v)} → {_show(w)}" for f, v, w in moves)
            score = candidates.loc[(i, option), "prediction"]
            out.append({"id": str(ctx.X_test.index[position]), "option": int(option) + 1, "what_if": text,
                        "score": float(score)})  # fmt: skip
        if not (changes["row"] == i).any():
            out.append({"id": str(ctx.X_test.index[position]), "option": 0,
                        "what_if": f"none found: {cf.notes[i] or 'no allowed change reaches the favourable side'}",
                        "score": None})  # fmt: skip
    held = ", ".join(immutable) if immutable else "none"
    note = (
        "Each option changes as few features as it can, to values seen in the training data, and was scored "
        f"again by the model. Held fixed: {held}. Distance: {cf.params.get('distance', 'see explain.counterfactuals')}."
    )
    return out, note


def local_section(ctx: AuditContext) -> Built:
    p = ctx.policy
    exp = _explanation(ctx)
    assert ctx.sample is not None
    codes = _codes(ctx)
    cut = p.decision_threshold if ctx.is_classifier else float(np.median(ctx.scores_test))
    # the decisions are the model's own (its score against the cut), never read from the
    # explanation's predictions, which may be in another space (log-odds) than the cut
    adverse = np.flatnonzero(~ctx.selected_test[ctx.sample])
    frame = _adverse_reasons(exp, adverse, p.max_reasons, codes)
    adverse_rows = sorted(set(frame["row"]))
    index = ctx.X_test.index
    shown = adverse_rows[:: max(1, len(adverse_rows) // REASON_ROWS)][:REASON_ROWS]
    protected = protected_features(ctx)
    decisions = []
    for r in shown:
        part = frame[frame["row"] == r]
        decisions.append(
            {
                "id": str(index[ctx.sample[r]]),
                "score": float(ctx.scores_test[ctx.sample[r]]),
                "threshold": cut,
                "reasons": "; ".join(
                    f"{c.code} {c.feature} ({c.contribution:+.3f})"
                    + (f" {mark(str(c.feature), protected)}" if str(c.feature) in protected else "")
                    for c in part.itertuples()
                ),
            }
        )
    found = [
        finding(
            "local.codes",
            "local_explanations",
            "Reason-code dictionary supplied",
            metric="features without a statement",
            observed=sum(1 for n in codes if n not in (ctx.reason_codes or {})),
            threshold=0,
            comparison="<=",
            format="int",
            status="pass" if ctx.reason_codes else "warn",
            message="Statements come from the reason_codes given."
            if ctx.reason_codes
            else "No reason_codes given: statements are feature names. Regulation B asks for specific reasons; write "
            "a statement per feature.",
        )
    ]
    same = _reason_stability(ctx, codes, adverse, adverse_rows)
    if same is not None:
        found.append(
            finding(
                "local.reason_stability",
                "local_explanations",
                "Principal reasons stable across runs",
                metric="adverse decisions whose reasons do not change",
                observed=same,
                format="pct",
                threshold=p.min_explanation_stability,
                comparison=">=",
                status="pass" if same >= p.min_explanation_stability else "warn",
                message=f"{same:.1%} of the adverse decisions keep the same set of up to {p.max_reasons} reasons "
                f"in all {len(ctx.stability_runs)} runs.",
            )
        )
    if ctx.sensitive_test is not None:
        found.append(_protected_reasons(ctx, frame, adverse_rows, protected))
    what_ifs, cf_params = _counterfactual_rows(ctx, [int(ctx.sample[r]) for r in shown[:WHATIF_ROWS]], cut)
    blocks: list[dict[str, Any]] = [
        paragraph(
            f"Selection method: for each adverse decision (score below {cut:g}), the features whose attributions "
            "push the score furthest toward the adverse side, compared with the reference population (a sample of "
            f"the training applicants, the explainer's background data), at most {p.max_reasons}, largest first. "
            "Only features the model actually scores can be reasons."
        ),
        table(
            "reason_codes",
            "Reason-code dictionary",
            [column("code", "Code"), column("statement", "Statement"), column("feature", "Source feature")],
            [{"code": c, "statement": s, "feature": f} for f, (c, s) in codes.items()],
        ),
        table(
            "adverse_decisions",
            f"A sample of adverse decisions ({len(shown)} of {len(adverse_rows)} among the "
            f"{exp.n_rows} explained rows)",
            [
                column("id", "Row"),
                column("score", ctx.score_name, "float"),
                column("threshold", "Threshold", "float"),
                column("reasons", f"Principal reasons (contribution, {exp.output_space.replace('_', '-')})"),
            ],
            decisions,
        ),
        table(
            "what_if",
            "What would have changed the decision (counterfactuals, each confirmed with the model)",
            [
                column("id", "Row"),
                column("option", "Option", "int"),
                column("what_if", "Changes"),
                column("score", f"New {ctx.score_name}", "float"),
            ],
            what_ifs,
            note=cf_params,
        ),
    ]
    if decisions:
        first = frame[frame["row"] == shown[0]]
        lines = "\n".join(
            f"{i}. {s}" + (f" {mark(str(f), protected)}" if str(f) in protected else "")
            for i, (s, f) in enumerate(zip(first["statement"], first["feature"], strict=True), start=1)
        )
        blocks.append(
            notice(
                "Sample statement of principal reasons (illustration)",
                f"We could not approve your application (reference {decisions[0]['id']}). The principal reasons "
                f"were:\n{lines}\nThe decision used a statistical model applied to the information in your "
                "application. You may ask for a review by a person and for more detail about these reasons.",
            )
        )
    blocks += [
        paragraph("Data used for each decision: the model inputs listed in the intended-use section, as received."),
        findings_block([f["id"] for f in found]),
    ]
    summary = (
        f"{len(adverse_rows)} of {exp.n_rows} explained decisions are adverse; reasons are capped at {p.max_reasons}."
    )
    return _sec("local_explanations", summary, blocks, found)


def _protected_reasons(
    ctx: AuditContext, frame: pd.DataFrame, rows: list[int], protected: dict[str, dict[str, Any]]
) -> dict[str, Any]:
    """How many adverse decisions cite a protected attribute (or a proxy of one) among their reasons."""
    citing = sorted({int(r) for r, f in zip(frame["row"], frame["feature"], strict=True) if str(f) in protected})
    cited = sorted({str(f) for f in frame["feature"] if str(f) in protected})
    status = {"warn": "warn", "fail": "fail", "allow": "info"}[ctx.policy.protected_inputs] if citing else "pass"
    return finding(
        "local.protected_reasons",
        "local_explanations",
        "No adverse decision cites a protected attribute",
        metric="adverse decisions citing a protected attribute or proxy",
        observed=len(citing),
        threshold=0,
        comparison="<=",
        format="int",
        status=status,  # type: ignore[arg-type]
        message=(
            f"{len(citing)} of {len(rows)} explained adverse decisions cite {', '.join(cited)} among their principal "
            "reasons (marked in the table and the sample notice). Regulation B (12 CFR 1002.6(b)) forbids "
            "considering a prohibited basis."
        )
        if citing
        else f"None of the {len(rows)} explained adverse decisions cites a sensitive attribute or a proxy of one.",
    )


def _adverse_reasons(exp: Any, adverse: np.ndarray, k: int, codes: dict[str, Any]) -> pd.DataFrame:
    """The principal reasons of the explained rows at positions ``adverse`` (rows numbered as in ``exp``)."""
    if not len(adverse):
        return exp[:0].reasons(k=k, adverse="decrease", codes=codes).to_frame()
    frame = exp[adverse].reasons(k=k, adverse="decrease", codes=codes).to_frame()
    frame["row"] = adverse[frame["row"].to_numpy(dtype=np.intp)]
    return frame


def _reason_stability(ctx: AuditContext, codes: dict[str, Any], adverse: np.ndarray, rows: list[int]) -> float | None:
    runs = ctx.stability_runs
    if len(runs) < 2 or not rows:
        return None
    sets = []
    for run in runs:
        f = _adverse_reasons(run, adverse, ctx.policy.max_reasons, codes)
        sets.append({r: frozenset(f[f["row"] == r]["feature"]) for r in rows})
    return float(np.mean([all(s[r] == sets[0][r] for s in sets[1:]) for r in rows]))
