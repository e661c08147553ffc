"""Token sections of the audit of a text model: the explanations of a sample of test documents
(computed once), global token importance, principal reasons of adverse decisions as tokens, and
the check of tokens that act as proxies of a protected attribute.

The check of words that stand for a protected attribute is in :mod:`._sections_text_proxies`.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pandas as pd

from ..explainer import Explainer
from ._context import AuditContext
from ._context_text import documents, text_input
from ._schema import (
    bar_chart,
    chart,
    column,
    finding,
    findings_block,
    highlighted_text,
    notice,
    paragraph,
    table,
)
from ._sections_local import protected_reasons_finding, reason_sets_stability, reason_stability_finding
from ._sections_model import Built, _sec

__all__ = [
    "explain_text_sample",
    "protected_words",
    "token_importance_section",
    "token_reasons_section",
    "token_table",
    "word_tokens_of",
]

MIN_TOKEN_COUNT = 10  # occurrences in the explained documents for a token to be ranked
TOP_TOKENS = 25
REASON_ROWS = 12
HIGHLIGHTED_ROWS = 3  # adverse decisions whose documents are shown highlighted by contribution
HIGHLIGHT_TOKENS = 400  # words shown of a highlighted document (the rest elided)
SAMPLED = ("lime",)
_WORD = re.compile(r"\w+")


def word_tokens_of(text: str, lowercase: bool) -> list[str]:
    """The words of ``text`` as the explanations cut them (runs of word characters)."""
    return _WORD.findall(text.lower() if lowercase else text)


# --------------------------------------------------------------------------- explanations


def explain_text_sample(ctx: AuditContext) -> None:
    """Explain a sample of test documents ``policy.stability_runs`` times (seeds ``random_state``
    + run), drawn as the tabular audit draws its rows; a sampled method (lime) explains
    ``policy.explain_rows_sampled`` of them."""
    if "text_runs" in ctx.extras:
        return
    p, text = ctx.policy, text_input(ctx)
    n = len(ctx.X_test)
    rng = np.random.default_rng(ctx.random_state)
    sample = np.arange(n) if n <= p.explain_rows else np.sort(rng.choice(n, p.explain_rows, replace=False))
    docs = documents(ctx.X_test, text.column)

    def run(i: int, rows: np.ndarray) -> Any:
        explainer = Explainer(text.reader, random_state=ctx.random_state + i, progress=ctx.progress)
        return explainer.explain_local([docs[j] for j in rows])

    probe = run(0, sample[:1])
    if probe.method in SAMPLED and len(sample) > p.explain_rows_sampled:
        ctx.log(f"{probe.method} costs thousands of model calls per document: explaining {p.explain_rows_sampled}")
        sample = sample[np.sort(rng.choice(len(sample), p.explain_rows_sampled, replace=False))]
    runs = []
    for i in range(p.stability_runs):
        ctx.log(f"Explaining {len(sample)} test documents (run {i + 1} of {p.stability_runs})")
        runs.append(run(i, sample))
    ctx.sample = sample
    ctx.extras["text_runs"] = runs
    ctx.extras["text_explanation"] = runs[0]


def _explanation(ctx: AuditContext) -> Any:
    explain_text_sample(ctx)
    return ctx.extras["text_explanation"]


def token_table(ctx: AuditContext) -> pd.DataFrame:
    """Per token of the explained documents (lower-cased as the vectorizer reads): occurrences,
    documents, mean contribution, mean |contribution| where it occurs (``to_global``), and its
    influence: the sum of |contribution| over its occurrences divided by the documents explained."""
    if "token_table" in ctx.extras:
        return ctx.extras["token_table"]
    exp, lower = _explanation(ctx), text_input(ctx).lowercase
    glob = exp.to_global(lowercase=lower)
    frame = pd.DataFrame(
        {
            "token": list(glob.feature_names),
            "mean_abs": np.asarray(glob.importances, dtype=float),
            "occurrences": list(glob.params["occurrences"]),
            "documents": list(glob.params["documents"]),
        }
    ).set_index("token")
    values = exp.to_frame()
    keys = values["token"].str.lower() if lower else values["token"]
    frame["mean"] = values.groupby(keys.to_numpy())["value"].mean()
    frame["influence"] = frame["mean_abs"] * frame["occurrences"] / max(exp.n_rows, 1)
    frame = frame.sort_values(["influence", "mean_abs"], ascending=False, kind="stable")
    ctx.extras["token_table"] = frame
    return frame


def protected_words(ctx: AuditContext) -> dict[str, dict[str, Any]]:
    """The words that stand for a protected attribute and carry weight (computed once, by
    :func:`._sections_text_proxies.proxy_tokens`); empty without sensitive attributes."""
    if ctx.sensitive_test is None:
        return {}
    from ._sections_text_proxies import proxy_tokens

    proxy_tokens(ctx)
    return dict(ctx.extras["protected"])


def _mark(token: str, protected: dict[str, dict[str, Any]]) -> str:
    found = protected.get(token)
    if found is None:
        return ""
    return f"[proxy: {found['attribute']} = {found['group']}]"


# --------------------------------------------------------------------------- global


def token_importance_section(ctx: AuditContext) -> Built:
    p, exp = ctx.policy, _explanation(ctx)
    tokens = token_table(ctx)
    ranked = tokens[tokens["occurrences"] >= MIN_TOKEN_COUNT]
    protected = protected_words(ctx)
    found = []
    if exp.method in ("exact_shap", "partition_shap", "glassbox"):
        err = float(exp.additivity_error())
        found.append(
            finding(
                "global.additivity",
                "global_explanations",
                "Token contributions add up to the predictions",
                metric="max |base + sum - prediction|",
                observed=err,
                threshold=p.max_additivity_error,
                comparison="<=",
                message=f"Largest additivity error over {exp.n_rows} documents: {err:.1e}.",
            )
        )
    top = ranked.head(TOP_TOKENS)
    rows: list[dict[str, Any]] = [
        {
            "rank": i + 1,
            "token": str(tok),
            "documents": int(r["documents"]),
            "mean": float(r["mean"]),
            "mean_abs": float(r["mean_abs"]),
            "influence": float(r["influence"]),
            "flag": _mark(str(tok), protected),
        }
        for i, (tok, r) in enumerate(top.iterrows())
    ]
    shown = rows[:15]
    alt = "Bar chart of token influence (mean |contribution| per explained document): " + "; ".join(
        f"{r['token']}: {r['influence']:.4g}" for r in shown
    )
    spec = bar_chart(
        [r["token"] for r in shown],
        [r["influence"] for r in shown],
        xlabel=f"mean |contribution| per document ({exp.output_space})",
        highlight=[bool(r["flag"]) for r in shown],
    )
    blocks = [
        paragraph(
            "Each token of a document gets a contribution: its share of the difference between the document's "
            "prediction and the prediction of the empty document (every token removed). A token's influence is "
            "the sum of its |contributions| over the explained documents divided by their number: how much it moves "
            "the model's decisions overall, rare tokens included at their rate. Tokens seen fewer than "
            f"{MIN_TOKEN_COUNT} times are not ranked."
        ),
        _method_facts(ctx, exp),
        chart("token_importance", "Token influence (highlighted: proxies of a protected attribute)", alt, spec),
        table(
            "token_importance",
            f"Most influential tokens (top {len(rows)} of {len(ranked)} ranked)",
            [
                column("rank", "Rank", "int"),
                column("token", "Token"),
                column("documents", "Documents", "int"),
                column("mean", "Mean contribution", "float"),
                column("mean_abs", "Mean |contribution|", "float"),
                column("influence", "Influence", "float"),
                column("flag", "Flag"),
            ],
            rows,
            note="Contributions are in the explanations' output space; negative pushes toward the adverse decision.",
        ),
        paragraph(
            "Caveats: a token's contribution describes the model, not the world; words that occur together share "
            "credit (a phrase's words split its effect); and a word the model never saw in training contributes "
            "nothing, whatever it means."
        ),
        findings_block([f["id"] for f in found]),
    ]
    ctx.extras["importance"] = rows
    summary = f"Most influential tokens: {', '.join(r['token'] for r in rows[:5])}; method {exp.method}."
    return _sec("global_explanations", summary, blocks, found)


def _method_facts(ctx: AuditContext, exp: Any) -> dict[str, Any]:
    from ._schema import facts

    params, prov = dict(exp.params), exp.provenance
    versions = dict(prov.versions)
    return facts(
        [
            ("Method", exp.method),
            ("Implementation", f"explain {versions.get('explain', '?')}"),
            ("Output explained", f"{exp.output_space}: {ctx.score_name}"),
            ("Tokens", str(params.get("tokenizer", "runs of word characters"))),
            ("Masking", str(params.get("masking", "a masked token is removed; reference: the empty document"))),
            ("Documents explained", exp.n_rows, "int"),
            ("random_state", prov.random_state if prov.random_state is not None else "none"),
        ]
    )


# --------------------------------------------------------------------------- local


def _statement(ctx: AuditContext, token: str) -> tuple[str, str]:
    codes = dict(ctx.reason_codes or {})
    entry = codes.get(token, codes.get(token.lower()))
    if entry is None:
        return token, f"the word {token!r}"
    if isinstance(entry, str):
        return token, entry
    if isinstance(entry, (tuple, list)):
        return str(entry[0]), str(entry[1])
    return str(entry.code), str(entry.statement)


def _reasons(exp: Any, adverse: np.ndarray, k: int, lower: bool) -> pd.DataFrame:
    if not len(adverse):
        return pd.DataFrame(columns=["row", "rank", "feature", "contribution"])
    frame = exp[adverse].reasons(k=k, adverse="decrease", lowercase=lower).to_frame()
    frame["row"] = adverse[frame["row"].to_numpy(dtype=np.intp)]
    return frame


def token_reasons_section(ctx: AuditContext) -> Built:
    p, text = ctx.policy, text_input(ctx)
    exp = _explanation(ctx)
    assert ctx.sample is not None
    cut = p.decision_threshold
    adverse = np.flatnonzero(ctx.scores_test[ctx.sample] < cut)
    frame = _reasons(exp, adverse, p.max_reasons, text.lowercase)
    protected = protected_words(ctx)
    adverse_rows = sorted({int(r) for r in frame["row"]})
    shown = adverse_rows[:: max(1, len(adverse_rows) // REASON_ROWS)][:REASON_ROWS]
    docs = documents(ctx.X_test, text.column)
    decisions = []
    for r in shown:
        part = frame[frame["row"] == r]
        position = int(ctx.sample[r])
        decisions.append(
            {
                "id": str(ctx.X_test.index[position]),
                "score": float(ctx.scores_test[position]),
                "reasons": "; ".join(
                    f"{_statement(ctx, f)[0]} ({c:+.3f})" + (f" {_mark(f, protected)}" if f in protected else "")
                    for f, c in zip(part["feature"], part["contribution"], strict=True)
                ),
                "excerpt": _excerpt(docs[position], list(part["feature"])),
            }
        )
    cited = frame.groupby("feature")["row"].nunique().sort_values(ascending=False, kind="stable").head(15)
    found = [_codes_finding(ctx)]
    same = _reason_stability(ctx, adverse, adverse_rows)
    if same is not None:
        found.append(
            reason_stability_finding(
                ctx,
                same,
                metric="adverse decisions whose reasons do not change",
                of="the adverse decisions",
                reasons="reason tokens",
                runs=len(ctx.extras["text_runs"]),
            )
        )
    if ctx.sensitive_test is not None:
        found.append(_protected_reasons(ctx, frame, adverse_rows, protected))
    blocks: list[dict[str, Any]] = [
        paragraph(
            f"Selection method: for each adverse decision (score below {cut:g}) among the {exp.n_rows} explained "
            f"documents, the tokens whose contributions push the score furthest toward the adverse side, at most "
            f"{p.max_reasons}, largest first; a word is one reason however often it occurs (its contribution: the sum "
            "of its occurrences'). Only words the model "
            "reads can be reasons. What-if changes (counterfactuals) are not computed for a text model: there is "
            "no set of allowed values of a document to search, and a rewritten application is not the applicant's."
        ),
        table(
            "adverse_decisions",
            f"A sample of adverse decisions ({len(shown)} of {len(adverse_rows)} among the {exp.n_rows} explained "
            "documents)",
            [
                column("id", "Row"),
                column("score", ctx.score_name, "float"),
                column("reasons", f"Principal reasons (contribution, {exp.output_space.replace('_', '-')})"),
                column("excerpt", "Where the reasons are (the document's sentences that hold them)"),
            ],
            decisions,
        ),
        table(
            "cited_tokens",
            "Words most often cited among the principal reasons of adverse decisions",
            [
                column("token", "Word"),
                column("decisions", "Adverse decisions citing it", "int"),
                column("share", "Share of adverse decisions", "pct"),
                column("flag", "Flag"),
            ],
            [
                {
                    "token": str(t),
                    "decisions": int(c),
                    "share": c / max(len(adverse_rows), 1),
                    "flag": _mark(t, protected),
                }
                for t, c in cited.items()
            ],
        ),
    ]
    blocks += _highlighted_documents(ctx, exp, shown[:HIGHLIGHTED_ROWS], [str(d["id"]) for d in decisions])
    if decisions:
        blocks.append(paragraph(_worked_example(exp, shown[0], str(decisions[0]["id"]))))
        first = frame[frame["row"] == shown[0]]
        lines = "\n".join(
            f"{i}. {_statement(ctx, f)[1]}" + (f" {_mark(f, protected)}" if f in protected else "")
            for i, f in enumerate(first["feature"], start=1)
        )
        blocks.append(
            notice(
                "Sample statement of principal reasons (illustration)",
                f"Your application was not successful (reference {decisions[0]['id']}). The principal reasons "
                f"were the following parts of your application:\n{lines}\nThe decision used a statistical model "
                "that reads the application's text. You may ask for a review by a person.",
            )
        )
    blocks.append(findings_block([f["id"] for f in found]))
    summary = (
        f"{len(adverse_rows)} of {exp.n_rows} explained decisions are adverse; reasons are tokens, at most "
        f"{p.max_reasons}."
    )
    return _sec("local_explanations", summary, blocks, found)


def _highlighted_documents(ctx: AuditContext, exp: Any, rows: list[int], ids: list[str]) -> list[dict[str, Any]]:
    """The documents of the first sampled adverse decisions, each word on the colour of its
    contribution (one scale for all: the largest |contribution| among them)."""
    if not rows or ctx.sample is None:
        return []
    sample = ctx.sample
    space = exp.output_space.replace("_", "-")
    values = [np.reshape(np.asarray(exp.values[r], dtype=float), (len(exp.tokens[r]), -1))[:, 0] for r in rows]
    scale = max((float(np.abs(v).max()) for v in values if len(v)), default=0.0) or 1.0
    legend = (
        f"Each word on the colour of its contribution ({exp.method}, {space}): blue raises the score (toward "
        "the favourable decision), orange and underlined lowers it (toward the adverse decision); the stronger the "
        f"colour, the larger the contribution, up to {scale:.3g} in the strongest step. Text between words is not "
        "coloured."
    )
    blocks = []
    for r, row_id, v in zip(rows, ids, values, strict=False):
        tokens, seps = exp.tokens[r], exp.separators[r]
        shown = min(len(tokens), HIGHLIGHT_TOKENS)
        pieces: list[str] = [seps[0]]
        contributions: list[float | None] = [None]
        for i in range(shown):
            pieces += [tokens[i], seps[i + 1] if i + 1 < shown or shown == len(tokens) else " …"]
            contributions += [float(v[i]), None]
        caption = (
            f"Adverse decision, row {row_id} (score {float(ctx.scores_test[int(sample[r])]):.3f}): its document "
            "highlighted by contribution" + (f" (first {shown} of {len(tokens)} words)" if shown < len(tokens) else "")
        )
        blocks.append(
            highlighted_text(f"highlighted_{row_id}", caption, pieces, contributions, scale=scale, legend=legend)
        )
    return blocks


def _worked_example(exp: Any, r: int, row_id: str) -> str:
    """How to read one document's token values: base, prediction, the largest contributions."""
    values = np.asarray(exp.values[r], dtype=float)
    order = np.argsort(-np.abs(values), kind="stable")[:4]
    parts = ", ".join(f"{exp.tokens[r][j]} {values[j]:+.3f}" for j in order)
    space = exp.output_space.replace("_", "-")
    adds = (
        f"; the empty document's score plus the contributions of its {len(values)} tokens gives this "
        f"document's ({float(exp.base_values[r]) + values.sum():.3f})."
        if exp.method in ("exact_shap", "partition_shap", "glassbox")
        else f" ({exp.method}'s values are a local surrogate's and need not add up to the difference)."
    )
    return (
        f"How to read a token explanation (worked example, row {row_id}): the empty document scores "
        f"{float(exp.base_values[r]):.3f} ({space}); this document {float(exp.predictions[r]):.3f}. The largest "
        f"contributions are {parts}{adds}"
    )


def _excerpt(doc: str, words: list[str], limit: int = 240) -> str:
    """The sentences of ``doc`` holding any of ``words`` (whole words, any case), joined by " … "."""
    wanted = {w.lower() for w in words}
    sentences = [s.strip() for s in re.split(r"(?<=[.!?])\s+", doc) if s.strip()]
    kept = [s for s in sentences if wanted & {w.lower() for w in _WORD.findall(s)}]
    text = " … ".join(kept) if kept else doc
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _codes_finding(ctx: AuditContext) -> dict[str, Any]:
    return finding(
        "local.codes",
        "local_explanations",
        "Reason statements supplied for the words cited",
        metric="reason statements given",
        observed=len(ctx.reason_codes or {}),
        format="int",
        status="pass" if ctx.reason_codes else "warn",
        message="Statements come from the reason_codes given (keyed by word); other words are cited as they are."
        if ctx.reason_codes
        else "No reason_codes given: reasons are the words themselves. A word is not a reason a person can act on "
        "('python' means 'no Python experience shown'); write statements for the words most often cited.",
    )


def _protected_reasons(
    ctx: AuditContext, frame: pd.DataFrame, rows: list[int], protected: dict[str, dict[str, Any]]
) -> dict[str, Any]:
    """How many adverse decisions cite a word that stands for a protected attribute among their reasons."""
    return protected_reasons_finding(
        ctx,
        frame,
        protected,
        title="No adverse decision cites a word that stands for a protected attribute",
        metric="adverse decisions citing a proxy word",
        cite=lambda n, cited: (
            f"{n} of {len(rows)} explained adverse decisions cite {', '.join(repr(c) for c in cited)} among their "
            "principal reasons (marked in the tables and the sample notice)."
        ),
        none=f"None of the {len(rows)} explained adverse decisions cites a proxy word.",
    )


def _reason_stability(ctx: AuditContext, adverse: np.ndarray, rows: list[int]) -> float | None:
    k, lower = ctx.policy.max_reasons, text_input(ctx).lowercase
    runs = ctx.extras.get("text_runs") or []
    return reason_sets_stability(runs, rows, lambda run: _reasons(run, adverse, k, lower))
