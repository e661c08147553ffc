"""Sections about the model's behaviour: robustness and stability, global explanations, and local
explanations with reason codes. The explanations are computed once (:func:`explain_sample`) and
shared."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from .. import metrics
from ..explainer import Explainer
from ..explanation import LocalExplanation
from ._context import AuditContext
from ._schema import (
    bar_chart,
    bullets,
    chart,
    column,
    facts,
    finding,
    findings_block,
    line_chart,
    paragraph,
    table,
)
from ._sections_model import Built, _rank_correlation, _sec, _show, constant_score

__all__ = ["explain_sample", "global_section"]

N_EFFECTS = 3
EFFECT_ROWS = 200  # partial dependence: rows averaged over, and grid points per feature
EFFECT_GRID = 25
# one row gives flat curves (the grid is taken from the rows' values), and scikit-learn's
# partial_dependence fails on two (a reshape error)
MIN_EFFECT_ROWS = 3
SAMPLED = ("kernel_shap", "permutation_shap", "lime")
_CONSTANT = "the model gives every test row the same score, so its attributions are zero (up to rounding)"


def explain_sample(ctx: AuditContext) -> None:
    """Explain a sample of test rows ``stability_runs`` times (seeds and background resamples)."""
    p = ctx.policy
    n = len(ctx.X_test)
    rng = np.random.default_rng(ctx.random_state)
    sample = np.arange(n) if n <= p.explain_rows else np.sort(rng.choice(n, p.explain_rows, replace=False))
    probe = _explainer(ctx, 0).explain_local(ctx.X_test.iloc[sample[:1]])
    if probe.method in SAMPLED and len(sample) > p.explain_rows_sampled:
        ctx.log(f"{probe.method} costs thousands of model calls per row: explaining {p.explain_rows_sampled} rows")
        sample = sample[np.sort(rng.choice(len(sample), p.explain_rows_sampled, replace=False))]
    rows = ctx.X_test.iloc[sample]
    runs = []
    for i in range(p.stability_runs):
        ctx.log(f"Explaining {len(sample)} test rows (run {i + 1} of {p.stability_runs})")
        runs.append(_explainer(ctx, i).explain_local(rows))
    if ctx.is_multiclass:
        # every class's attributions are kept for the per-class tables; the sections that read one
        # output per row read the output of the decision (see decision_explanation)
        from ._sections_multiclass_explain import decision_explanation

        ctx.extras["class_runs"] = runs
        runs = [decision_explanation(ctx, run, sample) for run in runs]
    ctx.sample, ctx.stability_runs, ctx.explanation = sample, runs, runs[0]


def _explainer(ctx: AuditContext, run: int) -> Explainer:
    return Explainer(ctx.model, background=ctx.X_train, random_state=ctx.random_state + run, progress=ctx.progress)


def _explanation(ctx: AuditContext) -> LocalExplanation:
    if ctx.explanation is None:
        explain_sample(ctx)
    assert ctx.explanation is not None
    return ctx.explanation


# --------------------------------------------------------------------------- robustness


def _score(ctx: AuditContext, X: pd.DataFrame) -> np.ndarray:
    """The score of rows ``X`` as :attr:`AuditContext.scores_test` holds it (for a multiclass model:
    P(favourable class), else the probability of the class predicted)."""
    space = "probability" if ctx.is_classifier else "raw"
    out = ctx.adapter.predict(X, space)  # type: ignore[arg-type]
    if ctx.is_multiclass:
        favourable = ctx.favourable_index
        return out[:, favourable] if favourable is not None else out.max(axis=1)
    return out[:, -1] if ctx.is_classifier else out[:, 0]


def _proba(ctx: AuditContext, X: pd.DataFrame) -> np.ndarray:
    """A multiclass model's probabilities of rows ``X``, (n, k)."""
    return np.asarray(ctx.adapter.predict(X, "probability"), dtype=float)


def regression_threshold(ctx: AuditContext) -> float | None:
    """The prediction (target units) at or above which a regressor's decision is favourable, when
    the policy declares one as ``regression_threshold``; ``None``: the regressor takes no decision.

    Read with ``getattr``: the ``Policy`` field is still to land (it needs an entry in
    examples/policy.toml); a policy object that carries the attribute is honoured already."""
    if ctx.is_classifier:
        return None
    value = ctx.policy.regression_threshold
    return None if value is None else float(value)


def _decide(ctx: AuditContext, scores: np.ndarray) -> np.ndarray:
    if ctx.is_classifier:
        return scores >= ctx.policy.decision_threshold
    cut = regression_threshold(ctx)
    if cut is not None:  # a regressor whose predictions drive decisions
        return scores >= cut
    return scores > float(np.median(ctx.scores_test))  # no decision: above or below the median


# --------------------------------------------------------------------------- global


def _method_card(ctx: AuditContext, exp: LocalExplanation) -> dict[str, Any]:
    params, prov = exp.params, exp.provenance
    auto = params.get("auto", {})
    skipped = "; ".join(f"{k}: {v}" for k, v in dict(auto.get("skipped", {})).items())
    versions = dict(prov.versions)
    engine = "explain (own engine, checked against brute-force Shapley values)"
    if exp.method in ("kernel_shap", "permutation_shap") or params.get("engine") == "shap":
        engine = f"shap {versions.get('shap', '?')}"
    elif exp.method == "lime":
        engine = "explain LIME (lime's sampling and weighting)"
    rows = [
        ("Method", exp.method),
        ("Implementation", f"{engine}; explain {versions.get('explain', '?')}"),
        ("Why this method", f"method='auto' chose it; skipped: {skipped}" if skipped else "method='auto' chose it"),
        ("Output explained", _output_explained(ctx, exp)),
        ("Reference (background) data", f"{params.get('background_rows', 'no')} training rows"),
        ("Background SHA-256", prov.background_fingerprint or "none", "hash"),
        ("Rows explained", exp.n_rows, "int"),
        ("random_state", prov.random_state if prov.random_state is not None else "none"),
    ]
    return facts(rows)


def _output_explained(ctx: AuditContext, exp: LocalExplanation) -> str:
    if ctx.is_multiclass:
        favourable = ctx.favourable_index
        decision = (
            f"the favourable class's ({ctx.classes[favourable]})"
            if favourable is not None
            else "each row's predicted class's"
        )
        return (
            f"{exp.output_space}: every class's output ({len(ctx.classes)}); the decision's output, read where one "
            f"output per row is shown, is {decision}"
        )
    return f"{exp.output_space}: {ctx.score_name}" if ctx.is_classifier else exp.output_space


def _importance(ctx: AuditContext) -> tuple[list[dict[str, Any]], np.ndarray]:
    runs = ctx.stability_runs or [_explanation(ctx)]
    per_run = np.stack([np.mean(np.abs(np.asarray(r.values)), axis=0) for r in runs])
    exp = runs[0]
    spread = _std(np.abs(np.asarray(exp.values, dtype=float)))
    order = np.argsort(-per_run[0], kind="stable")
    rows = [
        {
            "rank": i + 1,
            "feature": exp.feature_names[j],
            "importance": float(per_run[0, j]),
            "spread": float(spread[j]),
            "low": float(per_run[:, j].min()),
            "high": float(per_run[:, j].max()),
        }
        for i, j in enumerate(order)
    ]
    return rows, per_run[0]


def _std(values: np.ndarray) -> np.ndarray:
    """Standard deviation per column, computed on values scaled by the column's largest magnitude:
    attributions of a huge input (1e300) are finite, but their squares overflow to inf."""
    scale = np.max(np.abs(values), axis=0) if len(values) else np.zeros(values.shape[1:])
    scale = np.where(scale > 0, scale, 1.0)
    return scale * np.std(values / scale, axis=0)


def _flat(importance: np.ndarray, glassbox: np.ndarray) -> str:
    """Which of the two importance vectors has every feature equal (why they cannot be ranked)."""
    flat = [
        what
        for what, v in (("attributions", importance), ("glass-box terms", glassbox))
        if len(v) and np.all(v == v[0])
    ]
    of = " and of the ".join(flat) or "importances"
    return f"every feature has the same mean |value| of the {of} (e.g. all zero)"


def _glassbox_importance(ctx: AuditContext) -> np.ndarray | None:
    bench = ctx.extras.get("glassbox")
    if bench is None:
        return None
    from ._sections_model import _glassbox_frame

    terms = bench["gam"].eval_terms(_glassbox_frame(ctx.X_test.iloc[ctx.sample], ctx.X_train))
    importance = np.mean(np.abs(np.asarray(terms, dtype=float)), axis=0)
    # a multiclass model's terms are per class, (d, k): compared as the mean over the classes
    return importance.mean(axis=1) if importance.ndim == 2 else importance


def _effects(ctx: AuditContext, features: list[str]) -> list[dict[str, Any]]:
    ctx.log(f"Partial dependence of the {len(features)} most important features")
    assert ctx.sample is not None
    rows = ctx.X_test.iloc[ctx.sample[:EFFECT_ROWS]]
    if len(rows) < MIN_EFFECT_ROWS:
        return [
            paragraph(
                f"Partial dependence is not shown: it averages over the explained rows and takes its grid from "
                f"their values, and {len(rows)} row(s) were explained (policy.explain_rows), too few for a curve; "
                f"explain at least {MIN_EFFECT_ROWS}."
            )
        ]
    glob = Explainer(
        ctx.model,
        method="partial_dependence",
        method_params={"grid_resolution": EFFECT_GRID},
        random_state=ctx.random_state,
        progress=ctx.progress,
    ).explain_global(rows, features=features)
    blocks = []
    for name in features:
        eff = glob.effect(name)
        if ctx.is_multiclass:
            blocks.append(_class_effect(ctx, name, eff))
            continue
        avg = np.asarray(eff.average, dtype=float).reshape(len(eff.grid), -1)[:, -1]
        numeric = all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in eff.grid)
        alt = f"Partial dependence of {ctx.score_name} on {name}: " + "; ".join(
            f"{_show(g)}: {a:.3f}" for g, a in zip(eff.grid, avg, strict=True)
        )
        if numeric and len(eff.grid) > 2:
            spec = line_chart(
                [{"name": "average prediction", "x": list(eff.grid), "y": avg.tolist()}],
                xlabel=name,
                ylabel=f"average {ctx.score_name}",
            )
        else:
            spec = bar_chart([_show(g) for g in eff.grid], avg.tolist(), xlabel=f"average {ctx.score_name}")
        blocks.append(chart(f"effect_{name}", f"Partial dependence on {name}", alt, spec))
    return blocks


def _class_effect(ctx: AuditContext, name: str, eff: Any) -> dict[str, Any]:
    """The partial dependence of every class's probability on feature ``name``: one curve per
    class (numeric feature), or a table of the average probabilities per category."""
    avg = np.asarray(eff.average, dtype=float).reshape(len(eff.grid), -1)
    labels = [ctx.class_score_name(c) for c in range(len(ctx.classes))]
    numeric = all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in eff.grid)
    if numeric and len(eff.grid) > 2:
        alt = f"Partial dependence of each class's probability on {name}: " + "; ".join(
            f"{label} from {avg[0, c]:.3f} at {_show(eff.grid[0])} to {avg[-1, c]:.3f} at {_show(eff.grid[-1])}"
            for c, label in enumerate(labels)
        )
        spec = line_chart(
            [{"name": label, "x": list(eff.grid), "y": avg[:, c].tolist()} for c, label in enumerate(labels)],
            xlabel=name,
            ylabel="average probability",
        )
        return chart(f"effect_{name}", f"Partial dependence on {name} (one line per class)", alt, spec)
    return table(
        f"effect_{name}",
        f"Partial dependence on {name}: average probability of each class",
        [column("value", name)] + [column(f"c{c}", label, "float") for c, label in enumerate(labels)],
        [
            {"value": _show(g), **{f"c{c}": float(avg[i, c]) for c in range(len(labels))}}
            for i, g in enumerate(eff.grid)
        ],
    )


def _correlated(ctx: AuditContext) -> list[str]:
    numeric = ctx.X_train.select_dtypes("number")
    if numeric.shape[1] < 2:
        return []
    corr = numeric.corr(method="spearman").to_numpy()
    names = list(numeric.columns)
    return [
        f"{names[i]} and {names[j]} (Spearman {corr[i, j]:+.2f})"
        for i in range(len(names))
        for j in range(i + 1, len(names))
        if abs(corr[i, j]) > 0.7
    ]


def global_section(ctx: AuditContext) -> Built:
    p = ctx.policy
    exp = _explanation(ctx)
    rows, importance = _importance(ctx)
    found = []
    shapley = exp.method != "lime"
    if shapley:
        # a multiclass model: the error over every class's output
        err = float((ctx.extras["class_runs"][0] if ctx.is_multiclass else exp).additivity_error())
        found.append(
            finding(
                "global.additivity",
                "global_explanations",
                "Attributions add up to the predictions",
                metric="max |base + sum - prediction|",
                observed=err,
                threshold=p.max_additivity_error,
                comparison="<=",
                message=f"Largest additivity error over {exp.n_rows} rows: {err:.1e}.",
            )
        )
    else:
        fid = float(np.mean(metrics.fidelity(exp)))
        found.append(
            finding(
                "global.fidelity",
                "global_explanations",
                "Surrogate fidelity",
                metric="mean fidelity",
                observed=fid,
                status="info",
                message=f"Mean local fidelity (R²) {fid:.3f}.",
            )
        )
    gb = _glassbox_importance(ctx)
    if ctx.is_multiclass:  # the glass-box's terms are compared over the classes, as the attributions
        from ._sections_multiclass_explain import class_importance

        importance = class_importance(ctx).mean(axis=1)
    if gb is not None and len(gb) == len(importance):
        # attributions of a constant model are zero up to rounding: their ranks are noise
        same = constant_score(ctx.scores_test)
        rho = _rank_correlation(importance, gb) if same is None else None
        found.append(
            finding(
                "global.glassbox_agreement",
                "global_explanations",
                "Importance agrees with the glass-box model",
                metric="Spearman rank correlation of importances",
                observed=rho,
                status="info" if rho is not None else "not_applicable",
                message=f"The ranking of features by mean |attribution| and by the glass-box model's mean |term| "
                f"correlate at {rho:.2f}."
                if rho is not None
                else f"Not defined: {_flat(importance, gb) if same is None else _CONSTANT}, so there is no ranking "
                "to compare.",
            )
        )
    top = [r["feature"] for r in rows[: min(12, len(rows))]]
    spec = bar_chart(
        top,
        [r["importance"] for r in rows[: len(top)]],
        errors=[(r["high"] - r["low"]) / 2 for r in rows[: len(top)]],
        xlabel=f"mean |attribution| ({exp.output_space})",
    )
    alt = "Bar chart of global feature importance, mean absolute attribution: " + "; ".join(
        f"{r['feature']}: {r['importance']:.4g}" for r in rows[: len(top)]
    )
    correlated = _correlated(ctx)
    of_decision, class_blocks = "", []
    if ctx.is_multiclass:
        from ._sections_multiclass_explain import class_importance_blocks

        favourable = ctx.favourable_index
        of_decision = (
            f" for the favourable class, {ctx.classes[favourable]}"
            if favourable is not None
            else " for each row's predicted class"
        )
        class_blocks = class_importance_blocks(ctx)
    blocks: list[dict[str, Any]] = [
        paragraph(
            "A Shapley value is a feature's share of the difference between a prediction and the average prediction "
            "over the reference data; the values of a row add up to that difference. The global importance of a "
            "feature is the mean absolute value over the explained rows."
        ),
        _method_card(ctx, exp),
        chart(
            "importance",
            f"Global importance{of_decision} (error bars: range over background resamples and seeds)",
            alt,
            spec,
        ),
        table(
            "importance",
            f"Global importance{of_decision}",
            [
                column("rank", "Rank", "int"),
                column("feature", "Feature"),
                column("importance", "Mean |attr.|", "float"),
                column("spread", "Std over rows", "float"),
                column("low", "Min over runs", "float"),
                column("high", "Max over runs", "float"),
            ],
            rows,
        ),
        *class_blocks,
        *_effects(ctx, top[:N_EFFECTS]),
        paragraph("Caveats, read before relying on these explanations:"),
        bullets(
            [
                "Attributions describe the model, not the world: a large attribution is not a causal effect.",
                "Correlated features share credit, and the reference data decides what 'average' means; "
                + (
                    f"strongly correlated pairs: {'; '.join(correlated)}."
                    if correlated
                    else "no pair of numeric features has |Spearman| above 0.7."
                ),
                "Rows unlike the training data (see the drift section) are explained by extrapolation.",
            ]
        ),
        findings_block([f["id"] for f in found]),
    ]
    ctx.extras["importance"] = rows
    summary = f"Most important: {', '.join(top[:3])}; method {exp.method}."
    return _sec("global_explanations", summary, blocks, found)


# --------------------------------------------------------------------------- local
