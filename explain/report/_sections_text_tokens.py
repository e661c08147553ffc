"""Token sections of the audit of a text model: the explanations of a sample of test documents
(computed once), global token importance, principal reasons of adverse decisions as tokens, and
the check of tokens that act as proxies of a protected attribute.

Proxy tokens
------------
For each word (a run of word characters, lower-cased when the vectorizer lower-cases) present in
at least ``policy.min_group_size`` test documents and each sensitive attribute (documents whose
value is known), the *concentration* of the word in a group ``g``::

    concentration = (share of the word's documents in g - share of all documents in g)
                    / (1 - share of all documents in g)

0 when the word is spread over the groups as the documents are, 1 when every document holding it
belongs to ``g`` ("she", "women's" in a corpus where only women write them); the group of the
largest concentration is reported, with Cramér's V of presence against the attribute and the
chi-square test of the word's presence by group. A word is a **proxy** when its concentration
is at least ``policy.proxy_association`` and the test is significant at ``policy.alpha``
divided by the number of words and attributes tested (Bonferroni). It **carries weight** when
its mean absolute contribution in the explanations, where it occurs, is at least
``MIN_WEIGHT_SHARE`` of the largest such mean among the words tested. A proxy that carries
weight is reported by the finding ``fairness.protected_inputs`` (status from
``policy.protected_inputs``), marked in the reasons of adverse decisions, and counted by
``local.protected_reasons``. Concentration rather than Cramér's V decides: V of a word found in
one document in ten is at most about 0.3 even when all of them are women's, which says nothing
of how well the word tells the group.
"""

from __future__ import annotations

import re
from functools import lru_cache
from importlib import resources
from typing import Any

import numpy as np
import pandas as pd

from ..explainer import Explainer
from ._context import AuditContext
from ._context_text import documents, text_input
from ._schema import bar_chart, chart, column, finding, findings_block, notice, paragraph, table
from ._sections_model import Built, _sec
from ._sections_protected import STATUS
from ._sections_risk import fairness_section

__all__ = [
    "explain_text_sample",
    "printable",
    "proxy_tokens",
    "text_fairness_section",
    "token_importance_section",
    "token_reasons_section",
    "word_tokens_of",
]

MIN_WEIGHT_SHARE = 0.1
MIN_TOKEN_COUNT = 10  # occurrences in the explained documents for a token to be ranked
TOP_TOKENS = 25
TOP_PROXIES = 15
REASON_ROWS = 12
SAMPLED = ("lime",)
_WORD = re.compile(r"\w+")


@lru_cache(maxsize=1)
def _font_characters() -> frozenset[int]:
    """The characters every text face of the report's font (DejaVu Sans) can show."""
    from fontTools.ttLib import TTFont  # a dependency of matplotlib

    faces = ("DejaVuSans.ttf", "DejaVuSans-Bold.ttf", "DejaVuSans-Oblique.ttf")
    found = None
    for face in faces:
        with resources.files("explain.report").joinpath("fonts", face).open("rb") as f:
            chars = set(TTFont(f).getBestCmap())
        found = chars if found is None else found & chars
    return frozenset(found or ())


def printable(text: str) -> str:
    """``text`` with each character the report's font cannot show written as ``[U+4E2D]``: the
    archival PDF embeds every glyph it prints, and DejaVu Sans has no Han, Devanagari, ... glyphs.

    >>> printable("English and 中文")
    'English and [U+4E2D][U+6587]'
    """
    chars = _font_characters()
    return "".join(c if ord(c) in chars or c in "\n\t" else f"[U+{ord(c):04X}]" for c in text)


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


# --------------------------------------------------------------------------- proxies


def _presence(ctx: AuditContext, min_docs: int) -> tuple[Any, np.ndarray]:
    from sklearn.feature_extraction.text import CountVectorizer

    counts = CountVectorizer(binary=True, lowercase=text_input(ctx).lowercase, token_pattern=r"(?u)\w+", min_df=1)
    try:
        X = counts.fit_transform(documents(ctx.X_test, text_input(ctx).column)).tocsc()
    except ValueError:  # no word in any document
        return None, np.array([], dtype=object)
    keep = np.flatnonzero(np.asarray(X.sum(axis=0)).ravel() >= min_docs)
    return X[:, keep], counts.get_feature_names_out()[keep]


def _association_rows(ctx: AuditContext, X: Any, words: np.ndarray, attr: str) -> list[dict[str, Any]]:
    from scipy.stats import chi2_contingency
    from scipy.stats.contingency import association

    values = ctx.sensitive_test[attr] if ctx.sensitive_test is not None else None
    if values is None:
        return []
    known = values.notna().to_numpy()
    groups = pd.Categorical(values[known].astype(str))
    if len(groups.categories) < 2:
        return []
    onehot = np.eye(len(groups.categories))[groups.codes]
    counts = np.asarray(X[known].T @ onehot)  # words x groups: documents holding the word
    sizes = onehot.sum(axis=0)
    base = sizes / sizes.sum()
    rows = []
    for j, word in enumerate(words):
        present = counts[j]
        n_word = present.sum()
        if n_word == 0 or n_word == sizes.sum():
            continue
        share = present / n_word
        conc = (share - base) / (1 - base)
        g = int(np.argmax(conc))
        table_ = np.vstack([present, sizes - present]).round().astype(np.int64)
        rows.append(
            {
                "token": str(word),
                "attribute": attr,
                "group": str(groups.categories[g]),
                "documents": int(n_word),
                "group_share": float(share[g]),
                "concentration": float(max(conc[g], 0.0)),
                "cramers_v": float(association(table_, method="cramer")),
                "p_value": float(chi2_contingency(table_)[1]),
            }
        )
    return rows


def proxy_tokens(ctx: AuditContext) -> pd.DataFrame:
    """Every word tested against every sensitive attribute (see the module docstring): token,
    attribute, group, documents, group_share, concentration, cramers_v, p_value, weight (its mean
    |contribution| where it occurs, relative to the largest), mean (signed), proxy, carries_weight.
    Computed once; ``ctx.extras["protected"]`` gets the proxies that carry weight."""
    if "proxy_tokens" in ctx.extras:
        return ctx.extras["proxy_tokens"]
    p = ctx.policy
    columns = ["token", "attribute", "group", "documents", "group_share", "concentration", "cramers_v", "p_value"]
    rows: list[dict[str, Any]] = []
    if ctx.sensitive_test is not None:
        X, words = _presence(ctx, p.min_group_size)
        if X is not None and len(words):
            for attr in ctx.sensitive_test.columns:
                rows += _association_rows(ctx, X, words, str(attr))
    frame = pd.DataFrame(rows, columns=columns)
    tokens = token_table(ctx)
    tested = tokens.reindex(frame["token"].unique())["mean_abs"].dropna()
    largest = float(tested.max()) if len(tested) else 0.0
    frame["mean"] = tokens["mean"].reindex(frame["token"]).to_numpy()
    frame["weight"] = (tokens["mean_abs"].reindex(frame["token"]).fillna(0.0) / (largest or 1.0)).to_numpy()
    tests = max(len(frame), 1)
    frame["proxy"] = (frame["concentration"] >= p.proxy_association) & (frame["p_value"] < p.alpha / tests)
    frame["carries_weight"] = frame["weight"] >= MIN_WEIGHT_SHARE
    frame = frame.sort_values(["concentration", "documents"], ascending=False, kind="stable").reset_index(drop=True)
    flagged = frame[frame["proxy"] & frame["carries_weight"]]
    ctx.extras["protected"] = {
        r.token: {"attribute": r.attribute, "group": r.group, "kind": "proxy", "association": float(r.concentration)}
        for r in flagged.drop_duplicates("token").itertuples()
    }
    ctx.extras["proxy_tokens"] = frame
    return frame


def _mark(token: str, protected: dict[str, dict[str, Any]]) -> str:
    found = protected.get(token)
    if found is None:
        return ""
    return f"[proxy: {found['attribute']} = {found['group']}]"


def _proxy_blocks(ctx: AuditContext) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    p = ctx.policy
    frame = proxy_tokens(ctx)
    flagged = frame[frame["proxy"] & frame["carries_weight"]]
    listed = "; ".join(
        f"{printable(r.token)!r} ({r.attribute} = {r.group}: {r.group_share:.0%} of its {r.documents} documents, mean "
        f"contribution {r.mean:+.3f})"
        for r in flagged.itertuples()
    )
    proxies = int(frame["proxy"].sum())
    found = finding(
        "fairness.protected_inputs",
        "fairness",
        "No word that stands for a protected attribute drives the model",
        metric="proxy words carrying weight in the explanations",
        observed=len(flagged),
        threshold=0,
        comparison="<=",
        format="int",
        status=STATUS[p.protected_inputs] if len(flagged) else "pass",  # type: ignore[arg-type]
        message=(
            f"Proxy words the model gives weight: {listed}. The model takes a protected attribute into account "
            "through them: NYC LL144 and Title VII (disparate impact) ask whether they are job-related; the EU AI "
            f"Act (Art. 10(2)(f)) asks for the bias to be examined and mitigated. Policy: protected_inputs="
            f"{p.protected_inputs!r}."
            if len(flagged)
            else f"{proxies} word(s) concentrated in one group (at or above {p.proxy_association:g}) and none with "
            f"weight in the explanations (at least {MIN_WEIGHT_SHARE:.0%} of the largest mean |contribution|)."
        ),
    )
    shown = frame.head(TOP_PROXIES)
    blocks = [
        paragraph(
            "Words that stand for a protected attribute. A text model is not given the sensitive attributes, but the "
            "words of a document can carry them (pronouns, names of clubs, gaps in a career). For each word in at "
            f"least {p.min_group_size} test documents and each sensitive attribute: its concentration in one group "
            "(0: spread as the documents are; 1: every document holding it is of that group), Cramér's V and a "
            f"chi-square test of its presence by group. At or above {p.proxy_association:g} (policy."
            "proxy_association) and significant (Bonferroni over the words tested) the word is a proxy; it carries "
            f"weight when its mean |contribution| where it occurs is at least {MIN_WEIGHT_SHARE:.0%} of the largest "
            "among the words tested."
        ),
        table(
            "proxy_tokens",
            f"Words most concentrated in one group (top {TOP_PROXIES} of {len(frame)} word-attribute pairs tested)",
            [
                column("token", "Word"),
                column("attribute", "Attribute"),
                column("group", "Group"),
                column("documents", "Documents", "int"),
                column("group_share", "In the group", "pct"),
                column("concentration", "Concentration", "float2"),
                column("cramers_v", "Cramér's V", "float2"),
                column("p_value", "p-value", "pvalue"),
                column("mean", "Mean contribution", "float"),
                column("weight", "Weight", "float2"),
                column("flag", "Flag"),
            ],
            [
                {
                    "token": printable(str(r["token"])),
                    **{k: _plain(r[k]) for k in ("attribute", "group", "documents", "group_share")},
                    **{k: _plain(r[k]) for k in ("concentration", "cramers_v", "p_value", "mean", "weight")},
                    "flag": "proxy with weight"
                    if r["proxy"] and r["carries_weight"]
                    else "proxy"
                    if r["proxy"]
                    else "",
                }
                for _, r in shown.iterrows()
            ],
            note="Mean contribution: the word's mean attribution where it occurs, in the explanations' output space "
            "(negative pushes toward the adverse decision). Weight: its mean |contribution| relative to the largest.",
        ),
    ]
    return [found], blocks


def _plain(value: Any) -> Any:
    if isinstance(value, (np.floating, float)):
        return None if np.isnan(value) else float(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.bool_):
        return bool(value)
    return value


def text_fairness_section(ctx: AuditContext) -> Built:
    """The tabular fairness section (group rates, impact ratios, error rates: scores and labels
    only), with its check of protected model inputs (columns) replaced by the proxy words."""
    if ctx.sensitive_test is None:
        return fairness_section(ctx)
    proxy_tokens(ctx)
    ctx.extras["proxies"] = []  # the tabular check of columns: the one column is text, checked by word below
    section, found = fairness_section(ctx)
    blocks = [b for b in section["blocks"] if b.get("type") != "findings"]
    at = next((i for i, b in enumerate(blocks) if b.get("type") == "table" and b.get("id") == "protected_inputs"), None)
    if at is not None:  # the column check's paragraph and table
        blocks = blocks[: max(at - 1, 0)] + blocks[at + 1 :]
    proxy_found, proxy_blocks = _proxy_blocks(ctx)
    found = [f for f in found if f["id"] != "fairness.protected_inputs"] + proxy_found
    blocks += [*proxy_blocks, findings_block([f["id"] for f in found])]
    return _sec("fairness", section["summary"], blocks, found)


# --------------------------------------------------------------------------- global


def token_importance_section(ctx: AuditContext) -> Built:
    p, exp = ctx.policy, _explanation(ctx)
    tokens = token_table(ctx)
    ranked = tokens[tokens["occurrences"] >= MIN_TOKEN_COUNT]
    protected = dict(ctx.extras.get("protected", {})) if ctx.sensitive_test is not None else {}
    if ctx.sensitive_test is not None and "proxy_tokens" not in ctx.extras:
        proxy_tokens(ctx)
        protected = dict(ctx.extras["protected"])
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
            "token": printable(str(tok)),
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
    frame = exp[adverse].reasons(k=k, adverse="decrease").to_frame()
    frame["row"] = adverse[frame["row"].to_numpy(dtype=np.intp)]
    if lower:
        frame["feature"] = frame["feature"].str.lower()
    return frame


def token_reasons_section(ctx: AuditContext) -> Built:
    p, text = ctx.policy, text_input(ctx)
    exp = _explanation(ctx)
    assert ctx.sample is not None
    cut = p.decision_threshold
    adverse = np.flatnonzero(ctx.scores_test[ctx.sample] < cut)
    frame = _reasons(exp, adverse, p.max_reasons, text.lowercase)
    protected = dict(ctx.extras.get("protected", {}))
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
                    f"{printable(_statement(ctx, f)[0])} ({c:+.3f})"
                    + (f" {_mark(f, protected)}" if f in protected else "")
                    for f, c in zip(part["feature"], part["contribution"], strict=True)
                ),
                "excerpt": printable(_excerpt(docs[position], list(part["feature"]))),
            }
        )
    cited = frame.groupby("feature")["row"].nunique().sort_values(ascending=False, kind="stable").head(15)
    found = [_codes_finding(ctx)]
    same = _reason_stability(ctx, adverse, adverse_rows)
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
                message=f"{same:.1%} of the adverse decisions keep the same set of up to {p.max_reasons} reason "
                f"tokens in all {len(ctx.extras['text_runs'])} runs.",
            )
        )
    if ctx.sensitive_test is not None:
        found.append(_protected_reasons(frame, adverse_rows, protected, p.protected_inputs))
    blocks: list[dict[str, Any]] = [
        paragraph(
            f"Selection method: for each adverse decision (score below {cut:g}) among the {exp.n_rows} explained "
            f"documents, the tokens whose contributions push the score furthest toward the adverse side, at most "
            f"{p.max_reasons}, largest first; each occurrence of a word is its own reason. Only words the model "
            "reads can be reasons."
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
                    "token": printable(str(t)),
                    "decisions": int(c),
                    "share": c / max(len(adverse_rows), 1),
                    "flag": _mark(t, protected),
                }
                for t, c in cited.items()
            ],
        ),
    ]
    if decisions:
        first = frame[frame["row"] == shown[0]]
        lines = "\n".join(
            f"{i}. {printable(_statement(ctx, f)[1])}" + (f" {_mark(f, protected)}" if f in protected else "")
            for i, f in enumerate(first["feature"], start=1)
        )
        blocks.append(
            notice(
                "Sample statement of principal reasons (illustration)",
                f"We could not invite you to an interview (reference {decisions[0]['id']}). The principal reasons "
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
    frame: pd.DataFrame, rows: list[int], protected: dict[str, dict[str, Any]], policy_value: str
) -> dict[str, Any]:
    citing = sorted({int(r) for r, f in zip(frame["row"], frame["feature"], strict=True) if f in protected})
    cited = sorted({str(f) for f in frame["feature"] if f in protected})
    return finding(
        "local.protected_reasons",
        "local_explanations",
        "No adverse decision cites a word that stands for a protected attribute",
        metric="adverse decisions citing a proxy word",
        observed=len(citing),
        threshold=0,
        comparison="<=",
        format="int",
        status=STATUS[policy_value] if citing else "pass",  # type: ignore[arg-type]
        message=f"{len(citing)} of {len(rows)} explained adverse decisions cite "
        f"{', '.join(repr(printable(c)) for c in cited)} among their principal reasons (marked in the tables and "
        "the sample notice)."
        if citing
        else f"None of the {len(rows)} explained adverse decisions cites a proxy word.",
    )


def _reason_stability(ctx: AuditContext, adverse: np.ndarray, rows: list[int]) -> float | None:
    runs = ctx.extras.get("text_runs") or []
    if len(runs) < 2 or not rows:
        return None
    lower = text_input(ctx).lowercase
    sets = []
    for run in runs:
        f = _reasons(run, adverse, ctx.policy.max_reasons, lower)
        sets.append({r: frozenset(f[f["row"] == r]["feature"]) for r in rows})
    return float(np.mean([all(s[r] == sets[0][r] for s in sets[1:]) for r in rows]))
