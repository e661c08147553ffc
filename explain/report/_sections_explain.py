"""Sections about the model's behaviour: robustness and stability, global explanations, and local
explanations with reason codes. The explanations are computed once (:func:`explain_sample`) and
shared."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

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
    notice,
    paragraph,
    table,
)
from ._sections_model import Built, _sec, _show

__all__ = ["explain_sample", "global_section", "local_section", "robustness_section"]

NOISE_REPEATS = 5
MISSING_ROWS = 200
REASON_ROWS = 10
WHATIF_ROWS = 5
N_EFFECTS = 3
SAMPLED = ("kernel_shap", "permutation_shap", "lime")


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


def _noisy(ctx: AuditContext, rng: np.random.Generator) -> pd.DataFrame:
    X = ctx.X_test.copy()
    for c in X.columns:
        col = X[c]
        if pd.api.types.is_numeric_dtype(col.dtype) and not pd.api.types.is_bool_dtype(col.dtype):
            scale = ctx.policy.noise_scale * float(np.nanstd(ctx.X_train[c].to_numpy(dtype=float)))
            X[c] = col.to_numpy(dtype=float) + rng.normal(0.0, scale, len(col))
    return X


def _score(ctx: AuditContext, X: pd.DataFrame) -> np.ndarray:
    space = "probability" if ctx.is_classifier else "raw"
    out = ctx.adapter.predict(X, space)  # type: ignore[arg-type]
    return out[:, -1] if ctx.is_classifier else out[:, 0]


def _decide(ctx: AuditContext, scores: np.ndarray) -> np.ndarray:
    cut = ctx.policy.decision_threshold if ctx.is_classifier else float(np.median(ctx.scores_test))
    return scores >= cut if ctx.is_classifier else scores > cut


def robustness_section(ctx: AuditContext) -> Built:
    p = ctx.policy
    ctx.log("Testing prediction stability under noise and missing values")
    rng = np.random.default_rng(ctx.random_state)
    base = _decide(ctx, ctx.scores_test)
    flips, changes = [], []
    for _ in range(NOISE_REPEATS):
        scores = _score(ctx, _noisy(ctx, rng))
        flips.append(float(np.mean(_decide(ctx, scores) != base)))
        changes.append(float(np.mean(np.abs(scores - ctx.scores_test))))
    flip = float(np.mean(flips))
    found = [
        finding(
            "robustness.noise",
            "robustness",
            "Decisions stable under small input noise",
            metric="share of decisions that change",
            observed=flip,
            threshold=p.max_flip_rate,
            comparison="<=",
            format="pct",
            status="pass" if flip <= p.max_flip_rate else "warn" if flip <= 2 * p.max_flip_rate else "fail",
            message=f"Gaussian noise of {p.noise_scale:g} standard deviations on every numeric "
            f"feature, {NOISE_REPEATS} repeats: {flip:.2%} of decisions change on average; the score moves by "
            f"{np.mean(changes):.4f} on average.",
        )
    ]
    blocks: list[dict[str, Any]] = [
        paragraph(
            "Small, plausible errors in the inputs should not change decisions. Every numeric feature of every test "
            f"row gets independent Gaussian noise of {p.noise_scale:g} of its training standard deviation."
        ),
        facts(
            [
                ("Noise repeats", NOISE_REPEATS, "int"),
                ("Decisions changed (mean over repeats)", flip, "pct"),
                ("Decisions changed (worst repeat)", max(flips), "pct"),
                ("Mean absolute change of the score", float(np.mean(changes)), "float"),
            ]
        ),
    ]
    blocks += _missing_behaviour(ctx)
    runs = ctx.stability_runs or [_explanation(ctx)]
    summary = metrics.stability(runs, k=min(5, ctx.X_test.shape[1])) if len(runs) > 1 else None
    if summary is not None:
        spearman = summary[summary["metric"] == "spearman"].iloc[0]
        jaccard = summary[summary["metric"] == "top_k_jaccard"].iloc[0]
        ctx.extras["explanation_stability"] = float(spearman["mean"])
        found.append(
            finding(
                "robustness.explanations",
                "robustness",
                "Explanations stable across seeds and backgrounds",
                metric="mean rank correlation between runs",
                observed=float(spearman["mean"]),
                threshold=p.min_explanation_stability,
                comparison=">=",
                message=f"{len(runs)} runs with different seeds and background resamples; per-row Spearman "
                f"correlation mean {spearman['mean']:.3f} (worst row {spearman['min']:.3f}); top-"
                f"{int(jaccard['k'])} feature sets overlap (Jaccard) {jaccard['mean']:.3f} on average.",
            )
        )
        blocks.append(
            table(
                "explanation_stability",
                "Explanation stability (every run compared with the first)",
                [
                    column("metric", "Measure"),
                    column("mean", "Mean", "float"),
                    column("median", "Median", "float"),
                    column("q10", "10th percentile", "float"),
                    column("min", "Worst row", "float"),
                ],
                [
                    {
                        "metric": {
                            "spearman": "rank correlation (Spearman)",
                            "top_k_jaccard": "top-k overlap (Jaccard)",
                        }[r["metric"]],
                        "mean": r["mean"],
                        "median": r["median"],
                        "q10": r["q10"],
                        "min": r["min"],
                    }
                    for _, r in summary.iterrows()
                ],
            )
        )
    blocks += [
        paragraph(
            "Not tested here: adversarial (evasion) attacks, feedback loops and cybersecurity. Distribution shift is "
            "measured in the drift section. Record the organisation's own assessments of these in the model card's "
            "related documents."
        ),
        findings_block([f["id"] for f in found]),
    ]
    return _sec("robustness", f"{flip:.1%} of decisions change under small input noise.", blocks, found)


def _missing_behaviour(ctx: AuditContext) -> list[dict[str, Any]]:
    rows = ctx.X_test.iloc[:MISSING_ROWS]
    base = ctx.scores_test[:MISSING_ROWS]
    effects: list[dict[str, Any]] = []
    for c in rows.columns:
        X = rows.copy()
        X[c] = np.nan if pd.api.types.is_numeric_dtype(X[c].dtype) else None
        try:
            scores = _score(ctx, X)
        except Exception as exc:  # the model's own error: report it, it is the finding
            reason = f"{type(exc).__name__}: {str(exc).splitlines()[0][:160] if str(exc) else ''}"
            return [
                paragraph(
                    f"Missing values: the model refuses a missing {c!r} ({reason}). Inputs must be complete, or "
                    "imputed before scoring; document the imputation rule."
                )
            ]
        effects.append({"feature": str(c), "change": float(np.mean(np.abs(scores - base)))})
    effects.sort(key=lambda r: -float(r["change"]))
    return [
        paragraph(
            f"Missing values: each feature in turn is set to missing on {len(rows)} test rows; the model accepts "
            "them. The table shows the mean absolute change of the score (the largest first)."
        ),
        table(
            "missing_behaviour",
            "Score change when one feature is missing",
            [column("feature", "Feature"), column("change", "Mean |score change|", "float")],
            effects[:10],
        ),
    ]


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
    spread = np.std(np.abs(np.asarray(exp.values)), axis=0)
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


def _glassbox_importance(ctx: AuditContext) -> np.ndarray | None:
    bench = ctx.extras.get("glassbox")
    if bench is None:
        return None
    from ._sections_model import _glassbox_frame

    terms = bench["gam"].eval_terms(_glassbox_frame(ctx.X_test.iloc[ctx.sample], ctx.X_train))
    return np.mean(np.abs(np.asarray(terms, dtype=float)), axis=0)


def _effects(ctx: AuditContext, features: list[str]) -> list[dict[str, Any]]:
    ctx.log(f"Partial dependence of the {len(features)} most important features")
    rows = ctx.X_test.iloc[ctx.sample]
    glob = Explainer(
        ctx.model, method="partial_dependence", random_state=ctx.random_state, progress=ctx.progress
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
        rho = float(stats.spearmanr(importance, gb).statistic)
        found.append(
            finding(
                "global.glassbox_agreement",
                "global_explanations",
                "Importance agrees with the glass-box model",
                metric="Spearman rank correlation of importances",
                observed=rho,
                status="info",
                message=f"The ranking of features by mean |attribution| and by the glass-box model's mean |term| "
                f"correlate at {rho:.2f}.",
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


def _what_if(ctx: AuditContext, position: int, feature: str) -> str:
    """The nearest value of ``feature`` (from the training quantiles or categories) that would turn
    the decision favourable, others held fixed."""
    row = ctx.X_test.iloc[[position]]
    col = ctx.X_train[feature]
    if pd.api.types.is_numeric_dtype(col.dtype) and not pd.api.types.is_bool_dtype(col.dtype):
        candidates = list(np.unique(np.nanquantile(col.to_numpy(dtype=float), np.linspace(0.02, 0.98, 25))))
    else:
        candidates = list(pd.unique(col.dropna()))
    current = row[feature].iloc[0]
    X = pd.concat([row] * len(candidates), ignore_index=True)
    X[feature] = candidates
    scores = _score(ctx, X)
    ok = np.flatnonzero(_decide(ctx, scores))
    if not len(ok):
        return f"no single value of {feature} changes the decision"
    if isinstance(current, (int, float, np.number)) and not isinstance(current, bool) and not pd.isna(current):
        best = ok[np.argmin(np.abs(np.asarray(candidates, dtype=float)[ok] - float(current)))]
    else:
        best = ok[0]
    return f"{feature} {_show(current)} → {_show(candidates[best])} gives {ctx.score_name} {scores[best]:.3f}"


def local_section(ctx: AuditContext) -> Built:
    p = ctx.policy
    exp = _explanation(ctx)
    assert ctx.sample is not None
    codes = _codes(ctx)
    cut = p.decision_threshold if ctx.is_classifier else float(np.median(ctx.scores_test))
    reasons = exp.reasons(k=p.max_reasons, adverse="decrease", codes=codes, threshold=cut)
    frame = reasons.to_frame()
    adverse_rows = sorted(set(frame["row"]))
    index = ctx.X_test.index
    shown = adverse_rows[:: max(1, len(adverse_rows) // REASON_ROWS)][:REASON_ROWS]
    decisions = []
    for r in shown:
        part = frame[frame["row"] == r]
        decisions.append(
            {
                "id": str(index[ctx.sample[r]]),
                "score": float(exp.predictions[r]),
                "threshold": cut,
                "reasons": "; ".join(f"{c.code} {c.feature} ({c.contribution:+.3f})" for c in part.itertuples()),
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
    same = _reason_stability(ctx, codes, cut, adverse_rows)
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
    what_ifs = []
    for r in shown[:WHATIF_ROWS]:
        top = frame[frame["row"] == r]["feature"].tolist()[:2]
        for feat in top:
            what_ifs.append(
                {"id": str(index[ctx.sample[r]]), "feature": feat, "what_if": _what_if(ctx, int(ctx.sample[r]), feat)}
            )
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
                column("reasons", "Principal reasons (contribution)"),
            ],
            decisions,
        ),
        table(
            "what_if",
            "What would have changed the decision (one feature at a time, others held fixed)",
            [column("id", "Row"), column("feature", "Reason"), column("what_if", "Nearest favourable value")],
            what_ifs,
            note="Candidate values are training-data quantiles (2nd to 98th percentile) or categories.",
        ),
    ]
    if decisions:
        first = frame[frame["row"] == shown[0]]
        lines = "\n".join(f"{i}. {s}" for i, s in enumerate(first["statement"], start=1))
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


def _reason_stability(ctx: AuditContext, codes: dict[str, Any], cut: float, rows: list[int]) -> float | None:
    runs = ctx.stability_runs
    if len(runs) < 2 or not rows:
        return None
    sets = []
    for run in runs:
        f = run.reasons(k=ctx.policy.max_reasons, adverse="decrease", codes=codes, threshold=cut).to_frame()
        sets.append({r: frozenset(f[f["row"] == r]["feature"]) for r in rows})
    return float(np.mean([all(s[r] == sets[0][r] for s in sets[1:]) for r in rows]))
