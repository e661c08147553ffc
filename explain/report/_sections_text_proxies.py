"""Words that stand for a protected attribute, in the audit of a text model: the check behind
the text audit's ``fairness.protected_inputs`` (the fairness section of :mod:`._sections_risk`,
whose rates read only scores and labels, with its check of protected model columns replaced).

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

What it cannot catch: a word both groups write, one more often than the other, and that the
model penalises ("career break" in the jobs corpus: 75 % of its documents are women's, a
concentration of 0.48) is not a proxy by this rule; its effect is a disparity between groups,
which the impact ratio measures and the reasons of adverse decisions cite. Words are tested one
by one (a phrase is its words). Lowering ``proxy_association`` to reach such words would flag
every word one group writes somewhat more often, so the section says what it does not test.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ._context import AuditContext
from ._context_text import documents, text_input
from ._schema import column, finding, findings_block, paragraph, table
from ._sections_model import Built, _sec
from ._sections_protected import STATUS
from ._sections_risk import fairness_section
from ._sections_text_tokens import token_table

__all__ = ["MIN_WEIGHT_SHARE", "proxy_tokens", "text_fairness_section"]

MIN_WEIGHT_SHARE = 0.1
TOP_PROXIES = 15


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


def _proxy_blocks(ctx: AuditContext) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    p = ctx.policy
    frame = proxy_tokens(ctx)
    flagged = frame[frame["proxy"] & frame["carries_weight"]]
    listed = "; ".join(
        f"{r.token!r} ({r.attribute} = {r.group}: {r.group_share:.0%} of its {r.documents} documents, mean "
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
    shown = _shown(frame, flagged)
    blocks = [
        paragraph(
            "Words that stand for a protected attribute. A text model is not given the sensitive attributes, but the "
            "words of a document can carry them (pronouns, names of clubs, gaps in a career). For each word in at "
            f"least {p.min_group_size} test documents and each sensitive attribute: its concentration in one group "
            "(0: spread as the documents are; 1: every document holding it is of that group), Cramér's V and a "
            f"chi-square test of its presence by group. At or above {p.proxy_association:g} (policy."
            "proxy_association) and significant (Bonferroni over the words tested) the word is a proxy; it carries "
            f"weight when its mean |contribution| where it occurs is at least {MIN_WEIGHT_SHARE:.0%} of the largest "
            "among the words tested. What this check cannot catch: a word both groups use but one uses more often "
            "(a career break), penalised by the model, is not concentrated enough to be a proxy; its effect on the "
            "decisions is a disparity, which the impact ratio above measures and the reasons of adverse decisions "
            "cite. Words are tested one by one, not as phrases."
        ),
        table(
            "proxy_tokens",
            f"Every flagged word and the words most concentrated in one group ({len(shown)} of {len(frame)} "
            "word-attribute pairs tested)",
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
                    "token": str(r["token"]),
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


def _shown(frame: pd.DataFrame, flagged: pd.DataFrame) -> pd.DataFrame:
    """The rows of the evidence table: every flagged pair (proxy with weight), then the most
    concentrated others up to ``TOP_PROXIES`` rows in all, in the frame's order (most concentrated
    first)."""
    others = frame.index.difference(flagged.index)[: max(TOP_PROXIES - len(flagged), 0)]
    return frame.loc[frame.index.isin(flagged.index) | frame.index.isin(others)]


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
