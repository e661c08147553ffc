"""Local explanations and reason codes: the reason-code dictionary, principal reasons of a sample
of adverse decisions, what-if changes that would have turned them, the stability of the reasons,
and a sample adverse-action statement (Regulation B, GDPR Art. 22, EU AI Act Art. 86).

A regressor takes no decision unless the policy declares one (``regression_threshold``):
without it the section shows the principal drivers of the highest and lowest predictions, in the
prediction's units, and says nothing of adverse decisions."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from ._context import AuditContext
from ._schema import column, finding, findings_block, notice, paragraph, table
from ._sections_explain import _explanation, _show, regression_threshold
from ._sections_model import Built, _sec
from ._sections_protected import STATUS, mark, protected_features

__all__ = ["local_section", "protected_reasons_finding", "reason_sets_stability", "reason_stability_finding"]

REASON_ROWS = 10
WHATIF_ROWS = 5
DRIVER_ROWS = 3  # highest and lowest predictions each


def decision_cut(ctx: AuditContext) -> float | None:
    """The score at or above which the decision is favourable: the policy's ``decision_threshold``
    for a classifier, its ``regression_threshold`` for a regressor (``None``: no decisions)."""
    if ctx.is_classifier:
        return ctx.policy.decision_threshold
    return regression_threshold(ctx)


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


def _counterfactual_rows(
    ctx: AuditContext, positions: list[int], cut: float | None
) -> tuple[list[dict[str, Any]], str]:
    """Counterfactuals of the adverse test rows at ``positions`` (:func:`explain.counterfactuals`):
    up to two per row, each re-scored by the model and reaching the favourable side of ``cut``
    (a multiclass model: predicted the favourable class), with sensitive attributes and age held
    fixed; the table's rows and a note on the search."""
    from ..counterfactuals import counterfactuals

    if not positions:
        return [], "No adverse decision to explain."
    names = [str(c) for c in ctx.X_test.columns]
    sensitive = set(ctx.sensitive_test.columns) if ctx.sensitive_test is not None else set()
    age = getattr(ctx.policy, "age_feature", None)
    immutable = [n for n in names if n in sensitive or n == age or n.lower() == "age"]
    rows = ctx.X_test.iloc[positions]
    if ctx.is_multiclass:  # the favourable class, predicted (the most probable)
        desired: Any = (ctx.adapter.classes or ())[ctx.favourable_index or 0]
        settings: dict[str, Any] = {}
    elif ctx.is_classifier:
        desired, settings = "flip", {"threshold": cut}
    else:  # favourable: at or above the declared regression threshold
        assert cut is not None
        desired, settings = (float(cut), None), {}
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


def _codes_finding(ctx: AuditContext, codes: dict[str, tuple[str, str]], decides: bool) -> dict[str, Any]:
    why = (
        "Regulation B asks for specific reasons; write a statement per feature."
        if decides
        else "Write a statement per feature so that each driver reads in plain words."
    )
    return finding(
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
        else f"No reason_codes given: statements are feature names. {why}",
    )


def _codes_table(codes: dict[str, tuple[str, str]]) -> dict[str, Any]:
    return table(
        "reason_codes",
        "Reason-code dictionary",
        [column("code", "Code"), column("statement", "Statement"), column("feature", "Source feature")],
        [{"code": c, "statement": s, "feature": f} for f, (c, s) in codes.items()],
    )


def local_section(ctx: AuditContext) -> Built:
    if ctx.is_multiclass:
        from ._sections_multiclass_explain import multiclass_local_section

        return multiclass_local_section(ctx)
    p = ctx.policy
    exp = _explanation(ctx)
    assert ctx.sample is not None
    codes = _codes(ctx)
    cut = decision_cut(ctx)
    if cut is None:
        return _drivers_section(ctx, exp, codes)
    # the decisions are the model's own (its score against the cut), never read from the
    # explanation's predictions, which may be in another space (log-odds) than the cut
    adverse = np.flatnonzero(ctx.scores_test[ctx.sample] < cut)
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
    found = [_codes_finding(ctx, codes, decides=True)]
    same = _reason_stability(ctx, codes, adverse, adverse_rows)
    if same is not None:
        found.append(
            reason_stability_finding(
                ctx, same, metric="adverse decisions whose reasons do not change", of="the adverse decisions"
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
        _codes_table(codes),
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
    return protected_reasons_finding(
        ctx,
        frame,
        protected,
        title="No adverse decision cites a protected attribute",
        metric="adverse decisions citing a protected attribute or proxy",
        cite=lambda n, cited: (
            f"{n} of {len(rows)} explained adverse decisions cite {', '.join(cited)} among their "
            "principal reasons (marked in the table and the sample notice). Regulation B (12 CFR 1002.6(b)) forbids "
            "considering a prohibited basis."
        ),
        none=f"None of the {len(rows)} explained adverse decisions cites a sensitive attribute or a proxy of one.",
    )


def protected_reasons_finding(
    ctx: AuditContext,
    frame: pd.DataFrame,
    protected: dict[str, Any],
    *,
    title: str,
    metric: str,
    cite: Callable[[int, list[str]], str],
    none: str,
) -> dict[str, Any]:
    """The finding ``local.protected_reasons``: how many rows of ``frame`` (principal reasons, one
    line per reason, numbered by ``row``) cite a feature of ``protected`` (a sensitive attribute or
    a proxy of one). ``cite(count, cited features)`` is the message when some do, ``none`` when none
    does; the status when some do is the policy's ``protected_inputs``."""
    citing = sorted({int(r) for r, f in zip(frame["row"], frame["feature"], strict=True) if str(f) in protected})
    cited = sorted({str(f) for f in frame["feature"] if str(f) in protected})
    status = STATUS[ctx.policy.protected_inputs] if citing else "pass"
    return finding(
        "local.protected_reasons",
        "local_explanations",
        title,
        metric=metric,
        observed=len(citing),
        threshold=0,
        comparison="<=",
        format="int",
        status=status,  # type: ignore[arg-type]
        message=cite(len(citing), cited) if citing else none,
    )


def reason_stability_finding(
    ctx: AuditContext, same: float, *, metric: str, of: str, reasons: str = "reasons", runs: int | None = None
) -> dict[str, Any]:
    """The finding ``local.reason_stability``: the share ``same`` of ``of`` (e.g. "the adverse
    decisions") that keep the same set of principal ``reasons`` in every one of ``runs``
    explanations (default: the context's stability runs)."""
    p = ctx.policy
    n_runs = len(ctx.stability_runs) if runs is None else runs
    return finding(
        "local.reason_stability",
        "local_explanations",
        "Principal reasons stable across runs",
        metric=metric,
        observed=same,
        format="pct",
        threshold=p.min_explanation_stability,
        comparison=">=",
        status="pass" if same >= p.min_explanation_stability else "warn",
        message=f"{same:.1%} of {of} keep the same set of up to {p.max_reasons} {reasons} in all {n_runs} runs.",
    )


def _adverse_reasons(exp: Any, adverse: np.ndarray, k: int, codes: dict[str, Any]) -> pd.DataFrame:
    """The principal reasons of the explained rows at positions ``adverse`` (rows numbered as in ``exp``)."""
    if not len(adverse):
        return exp[:0].reasons(k=k, adverse="decrease", codes=codes).to_frame()
    frame = exp[adverse].reasons(k=k, adverse="decrease", codes=codes).to_frame()
    frame["row"] = adverse[frame["row"].to_numpy(dtype=np.intp)]
    return frame


def _reason_stability(ctx: AuditContext, codes: dict[str, Any], adverse: np.ndarray, rows: list[int]) -> float | None:
    k = ctx.policy.max_reasons
    return reason_sets_stability(ctx.stability_runs, rows, lambda run: _adverse_reasons(run, adverse, k, codes))


def reason_sets_stability(
    runs: Sequence[Any], rows: list[int], reasons_of: Callable[[Any], pd.DataFrame]
) -> float | None:
    """The share of ``rows`` whose set of principal reasons (``reasons_of(run)``: one line per
    reason, ``row`` and ``feature``) is the same in every one of ``runs``; ``None`` with fewer
    than two runs or no rows."""
    if len(runs) < 2 or not rows:
        return None
    sets = []
    for run in runs:
        f = reasons_of(run)
        sets.append({r: frozenset(f[f["row"] == r]["feature"]) for r in rows})
    return float(np.mean([all(s[r] == sets[0][r] for s in sets[1:]) for r in rows]))


# --------------------------------------------------------------------------- regression without decisions


def _decimals(spread: float) -> int:
    """Decimals that show a number on the scale ``spread`` to about three significant digits."""
    if not np.isfinite(spread) or spread <= 0:
        return 3
    return int(np.clip(2 - np.floor(np.log10(spread)), 0, 6))


def _driver_row(
    ctx: AuditContext, exp: Any, r: int, k: int, protected: dict[str, dict[str, Any]], d: int
) -> dict[str, Any]:
    """One explained row: its prediction, the explanation's average, the features pushing it up
    and down (largest first, at most ``k`` each), and a sentence reading them."""
    assert ctx.sample is not None
    names = [str(f) for f in exp.feature_names]
    values = np.asarray(exp.values[r], dtype=float)
    prediction, average = float(ctx.scores_test[ctx.sample[r]]), float(np.ravel(exp.base_values)[r])

    def listed(order: np.ndarray) -> list[str]:
        return [
            f"{names[j]} ({values[j]:+.{d}f})" + (f" {mark(names[j], protected)}" if names[j] in protected else "")
            for j in order[:k]
        ]

    up = listed(np.array([j for j in np.argsort(-values, kind="stable") if values[j] > 0], dtype=np.intp))
    down = listed(np.array([j for j in np.argsort(values, kind="stable") if values[j] < 0], dtype=np.intp))
    side, why = ("above", up) if prediction >= average else ("below", down)
    reading = f"The prediction of {prediction:.{d}f} is {side} the average of {average:.{d}f}" + (
        f" mainly because of {', '.join(why)}." if why else "."
    )
    return {
        "id": str(ctx.X_test.index[ctx.sample[r]]),
        "prediction": prediction,
        "average": average,
        "up": "; ".join(up) or "none",
        "down": "; ".join(down) or "none",
        "reading": reading,
    }


def _drivers_section(ctx: AuditContext, exp: Any, codes: dict[str, tuple[str, str]]) -> Built:
    """The local section of a regressor without a declared decision threshold: what drives a
    sample of predictions (the highest and the lowest explained), in the prediction's units."""
    p = ctx.policy
    assert ctx.sample is not None
    predictions = ctx.scores_test[ctx.sample]
    order = np.argsort(predictions, kind="stable")
    # highest first, down to the lowest: one ranking read from top to bottom
    picks = list(dict.fromkeys([*order[::-1][:DRIVER_ROWS].tolist(), *order[:DRIVER_ROWS][::-1].tolist()]))
    d = _decimals(float(np.std(predictions)))
    protected = protected_features(ctx)
    rows = [_driver_row(ctx, exp, int(r), p.max_reasons, protected, d) for r in picks]
    found = [_codes_finding(ctx, codes, decides=False)]
    same = _driver_stability(ctx, picks)
    if same is not None:
        found.append(
            finding(
                "local.driver_stability",
                "local_explanations",
                "Principal drivers stable across runs",
                metric="explained predictions whose principal drivers do not change",
                observed=same,
                format="pct",
                threshold=p.min_explanation_stability,
                comparison=">=",
                status="pass" if same >= p.min_explanation_stability else "warn",
                message=f"{same:.1%} of the shown predictions keep the same set of up to {p.max_reasons} largest "
                f"drivers in all {len(ctx.stability_runs)} runs.",
            )
        )
    unit = ctx.score_name
    blocks: list[dict[str, Any]] = [
        paragraph(
            "The model is a regressor and the policy declares no decision threshold (regression_threshold), so "
            "no prediction is read as a decision: this section shows what drives the highest and the lowest "
            f"explained predictions. Each feature's contribution is in the prediction's units ({unit}), relative "
            "to the average prediction over the reference data (the explainer's background data); up to "
            f"{p.max_reasons} features are listed each way, largest first."
        ),
        _codes_table(codes),
        table(
            "prediction_drivers",
            f"Principal drivers of the {min(DRIVER_ROWS, len(picks))} highest and lowest predictions among the "
            f"{exp.n_rows} explained rows",
            [
                column("id", "Row"),
                column("prediction", unit, "float"),
                column("average", "Average prediction", "float"),
                column("up", "Pushing it up"),
                column("down", "Pushing it down"),
                column("reading", "Reading"),
            ],
            rows,
        ),
        findings_block([f["id"] for f in found]),
    ]
    summary = f"Principal drivers of {len(rows)} of {exp.n_rows} explained predictions; no decision threshold."
    return _sec("local_explanations", summary, blocks, found)


def _driver_stability(ctx: AuditContext, rows: list[int]) -> float | None:
    """Share of the explained rows at ``rows`` whose ``max_reasons`` largest drivers (by size) are
    the same set in every stability run."""
    runs, k = ctx.stability_runs, ctx.policy.max_reasons
    if len(runs) < 2 or not rows:
        return None
    sets = [[frozenset(np.argsort(-np.abs(np.asarray(run.values[r], dtype=float)))[:k].tolist()) for r in rows]
            for run in runs]  # fmt: skip
    return float(np.mean([all(s[i] == sets[0][i] for s in sets[1:]) for i in range(len(rows))]))
