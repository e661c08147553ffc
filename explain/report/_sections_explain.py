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
    space = "probability" if ctx.is_classifier else "raw"
    out = ctx.adapter.predict(X, space)  # type: ignore[arg-type]
    return out[:, -1] if ctx.is_classifier else out[:, 0]


def regression_threshold(ctx: AuditContext) -> float | None:
    """The prediction (target units) at or above which a regressor's decision is favourable, when
    the policy declares one as ``regression_threshold``; ``None``: the regressor takes no decision.

    Read with ``getattr``: the ``Policy`` field is still to land (it needs an entry in
    examples/policy.toml); a policy object that carries the attribute is honoured already."""
    if ctx.is_classifier:
        return None
    value = getattr(ctx.policy, "regression_threshold", None)
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
        ("Output explained", f"{exp.output_space}: {ctx.score_name}" if ctx.is_classifier else exp.output_space),
        ("Reference (background) data", f"{params.get('background_rows', 'no')} training rows"),
        ("Background SHA-256", prov.background_fingerprint or "none", "hash"),
        ("Rows explained", exp.n_rows, "int"),
        ("random_state", prov.random_state if prov.random_state is not None else "none"),
    ]
    return facts(rows)


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
    return np.mean(np.abs(np.asarray(terms, dtype=float)), axis=0)


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
        err = float(exp.additivity_error())
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
    blocks: list[dict[str, Any]] = [
        paragraph(
            "A Shapley value is a feature's share of the difference between a prediction and the average prediction "
            "over the reference data; the values of a row add up to that difference. The global importance of a "
            "feature is the mean absolute value over the explained rows."
        ),
        _method_card(ctx, exp),
        chart("importance", "Global importance (error bars: range over background resamples and seeds)", alt, spec),
        table(
            "importance",
            "Global importance",
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
