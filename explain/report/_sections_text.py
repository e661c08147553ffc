"""The sections of the audit of a text model (see :mod:`._context_text`).

Each reads the same :class:`~._context.AuditContext` as the tabular sections and returns
``(section, findings)`` under the same section ids and, where a tabular check has a text
counterpart, the same finding ids (so the regulation crosswalk reads them alike):

- ``design``: the algorithm, the vectorizer, and a word-presence logistic regression as the
  interpretable benchmark (``design.glassbox_gain``);
- ``data``: documents per data set, length distribution, empty and duplicated documents, test
  documents also in the training data, characters outside ASCII and the scripts they belong
  to, single words that predict the label (``data.missing`` = empty documents,
  ``data.leakage``, ``data.duplicates``, ``data.balance``);
- ``robustness``: decisions when a few words are lost (``robustness.noise``: each token dropped
  with probability ``policy.noise_scale``), and the stability of the explanations across runs;
- ``global_explanations``: token importance from the explanations (:mod:`._sections_text_tokens`);
- ``local_explanations``: principal reasons of adverse decisions as tokens;
- ``fairness``: the tabular section (it reads scores and labels), with its check of protected
  inputs replaced by the check of proxy tokens (``fairness.protected_inputs``,
  :mod:`._sections_text_proxies`);
- ``drift``: the tabular drift section over features of the documents (tokens, characters,
  share of non-ASCII characters, share of words outside the vectorizer's vocabulary) and the
  scores.
"""

from __future__ import annotations

import itertools
import unicodedata
from collections import Counter
from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd

from .. import metrics
from .._provenance import library_versions
from ._context import AuditContext
from ._context_text import documents, score_documents, text_input
from ._schema import bar_chart, chart, column, facts, finding, findings_block, paragraph, table
from ._sections_data import (
    _representativeness,
    balance_finding,
    datasets_table,
    outcomes_table,
    performance_section,
)
from ._sections_model import Built, _algorithm, _rank_correlation, _sec
from ._sections_risk import drift_section
from ._sections_text_proxies import text_fairness_section
from ._sections_text_tokens import (
    explain_text_sample,
    token_importance_section,
    token_reasons_section,
    word_tokens_of,
)
from ._sections_validation import hyperparameter_blocks

__all__ = ["text_data_section", "text_design_section", "text_drift_section", "text_robustness_section", "text_sections"]

NOISE_REPEATS = 5
NOISE_ROWS = 2000
LEAKAGE_AUC = 0.95
LENGTH_BINS = (0, 1, 11, 26, 51, 101, 201, 501)  # token counts: 0, 1-10, 11-25, ...


def text_sections(ctx: AuditContext) -> list[Built]:
    """The sections of a text audit from ``design`` to ``drift``, in reading order (``audit()``
    adds document control and intended use before, limitations and the rest after)."""
    built = [text_design_section(ctx), text_data_section(ctx), performance_section(ctx)]
    explain_text_sample(ctx)
    built += [
        text_robustness_section(ctx),
        token_importance_section(ctx),
        token_reasons_section(ctx),
        text_fairness_section(ctx),
        text_drift_section(ctx),
    ]
    return built


# --------------------------------------------------------------------------- design


def _vectorizer_facts(vectorizer: Any) -> list[tuple[str, Any] | tuple[str, Any, str]]:
    if vectorizer is None:
        return [("Vectorizer", "none found: the model reads the documents with its own code")]
    params = vectorizer.get_params(deep=False) if hasattr(vectorizer, "get_params") else {}
    shown = ("lowercase", "ngram_range", "min_df", "max_df", "max_features", "stop_words", "token_pattern")
    settings = ", ".join(f"{k}={params[k]!r}" for k in shown if k in params)
    vocabulary = getattr(vectorizer, "vocabulary_", None)
    size = len(vocabulary) if vocabulary is not None else getattr(vectorizer, "n_features", None)
    return [
        ("Vectorizer", f"{type(vectorizer).__name__}({settings})"),
        ("Vocabulary (columns the model reads)", int(size) if size is not None else "not exposed", "int"),
    ]


def _benchmark(ctx: AuditContext) -> dict[str, Any]:
    """A logistic regression on word presence (binary bag of words), fitted on the training documents."""
    from sklearn.feature_extraction.text import CountVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    column = text_input(ctx).column
    bench = make_pipeline(
        CountVectorizer(binary=True, lowercase=text_input(ctx).lowercase, token_pattern=r"(?u)\b\w+\b"),
        LogisticRegression(max_iter=2000, random_state=ctx.random_state),
    )
    bench.fit(documents(ctx.X_train, column), ctx.y_train)
    scores = bench.predict_proba(documents(ctx.X_test, column))[:, 1]
    value = metrics.bootstrap_ci("roc_auc", ctx.y_test, ctx.scores_test, n_boot=1).value
    theirs = metrics.bootstrap_ci("roc_auc", ctx.y_test, scores, n_boot=1).value
    t = ctx.policy.decision_threshold
    return {
        "model": value,
        "glassbox": theirs,
        "spearman": _rank_correlation(ctx.scores_test, scores),
        "decision_agreement": float(np.mean((scores >= t) == (ctx.scores_test >= t))),
    }


def text_design_section(ctx: AuditContext) -> Built:
    text = text_input(ctx)
    estimator = ctx.adapter.estimator
    root = type(estimator).__module__.split(".")[0]
    dist = {"sklearn": "scikit-learn"}.get(root, root)
    rows: list[Any] = [
        ("Algorithm", _algorithm(ctx.model)),
        ("Library", f"{dist} {library_versions(dist).get(dist, 'version unknown')}"),
        ("Task", "binary classification of documents"),
        ("Positive (favourable) class", ctx.positive_class),
        ("Input", f"one text column, {text.column!r}: each row is a document"),
        *_vectorizer_facts(text.vectorizer),
        ("Model fingerprint (SHA-256)", ctx.model_sha256(), "hash"),
    ]
    ctx.log("Fitting the interpretable benchmark (logistic regression on word presence)")
    bench = _benchmark(ctx)
    ctx.extras["text_benchmark"] = bench
    gain = bench["model"] - bench["glassbox"]
    agreement = (
        f"their scores agree with Spearman rank correlation {bench['spearman']:.3f}."
        if bench["spearman"] is not None
        else "one of them gives every document the same score, so their rank correlation is not defined."
    )
    found = [
        finding(
            "design.glassbox_gain",
            "design",
            "Test ROC AUC gained over an interpretable benchmark",
            metric="model minus benchmark test ROC AUC",
            observed=gain,
            threshold=0.0,
            comparison=">=",
            status="pass" if gain >= 0 else "warn",
            message=f"The production model scores {bench['model']:.3f} and a logistic regression on word presence "
            f"{bench['glassbox']:.3f} on the test documents; {agreement}"
            + ("" if gain >= 0 else " The interpretable model does at least as well: justify the complexity."),
        )
    ]
    blocks = [
        facts(rows),
        *hyperparameter_blocks(ctx.model),
        paragraph(
            "Interpretable benchmark: a logistic regression on the presence of each word (one coefficient per word, "
            "readable as it stands), fitted on the same training documents."
        ),
        facts(
            [
                ("Model test ROC AUC", bench["model"], "float"),
                ("Benchmark test ROC AUC", bench["glassbox"], "float"),
                ("Rank correlation of scores (Spearman)", bench["spearman"], "float"),
                ("Decisions in agreement at the threshold", bench["decision_agreement"], "pct"),
            ]
        ),
        findings_block([f["id"] for f in found]),
    ]
    return _sec("design", "The algorithm, how it reads text, and an interpretable benchmark.", blocks, found)


# --------------------------------------------------------------------------- data


#: The scripts named in the scripts table: a letter (or combining mark) whose Unicode name holds
#: one of these words is of that script (FULLWIDTH LATIN SMALL LETTER A: Latin; CJK UNIFIED
#: IDEOGRAPH-4E2D: CJK (Han)); a letter holding none is "other letters".
SCRIPTS = (
    "LATIN",
    "GREEK",
    "COPTIC",
    "CYRILLIC",
    "ARMENIAN",
    "HEBREW",
    "ARABIC",
    "SYRIAC",
    "THAANA",
    "NKO",
    "DEVANAGARI",
    "BENGALI",
    "GURMUKHI",
    "GUJARATI",
    "ORIYA",
    "TAMIL",
    "TELUGU",
    "KANNADA",
    "MALAYALAM",
    "SINHALA",
    "THAI",
    "LAO",
    "TIBETAN",
    "MYANMAR",
    "GEORGIAN",
    "HANGUL",
    "ETHIOPIC",
    "CHEROKEE",
    "CANADIAN",
    "OGHAM",
    "RUNIC",
    "TAGALOG",
    "KHMER",
    "MONGOLIAN",
    "LIMBU",
    "BUGINESE",
    "BALINESE",
    "SUNDANESE",
    "JAVANESE",
    "HIRAGANA",
    "KATAKANA",
    "BOPOMOFO",
    "CJK",
    "YI",
    "VAI",
    "BAMUM",
    "TIFINAGH",
)
_SCRIPT_WORDS = frozenset(SCRIPTS)
SYMBOLS = "symbols and punctuation"


def _script(char: str) -> str:
    """Where a character outside ASCII belongs in the scripts table, by its Unicode general
    category: letters and combining marks by the script word of their name (:data:`SCRIPTS`;
    "other letters" / "combining marks" when none), digits and other numbers as "numbers",
    everything else (emoji, symbols, punctuation, spaces, format characters) as
    "symbols and punctuation"."""
    category = unicodedata.category(char)
    if category[0] in "LM":
        words = unicodedata.name(char, "").replace("-", " ").split()
        found = next((w for w in words if w in _SCRIPT_WORDS), None)
        if found is None:
            return "other letters" if category[0] == "L" else "combining marks"
        return "CJK (Han)" if found == "CJK" else found.capitalize()
    return "numbers" if category[0] == "N" else SYMBOLS


def _profile(docs: list[str]) -> dict[str, Any]:
    lengths = np.array([len(word_tokens_of(d, False)) for d in docs], dtype=float)
    non_ascii = [d for d in docs if any(ord(c) > 127 for c in d)]
    scripts: Counter[str] = Counter()
    for d in non_ascii:
        scripts.update({_script(c) for c in d if ord(c) > 127 and not c.isspace()})
    texts = pd.Series(docs, dtype=object)
    filled = texts[texts.str.strip() != ""]
    return {
        "documents": len(docs),
        "empty": int((texts.str.strip() == "").sum()),
        "duplicates": int(filled.duplicated().sum()),
        "median_tokens": float(np.median(lengths)) if len(lengths) else 0.0,
        "p95_tokens": float(np.quantile(lengths, 0.95)) if len(lengths) else 0.0,
        "max_tokens": int(lengths.max()) if len(lengths) else 0,
        "non_ascii": len(non_ascii),
        "scripts": scripts,
        "lengths": lengths,
    }


def _repeated_or_seen(test_docs: list[str], train_docs: set[str]) -> int:
    """Test rows (non-empty) that repeat an earlier test document or are a training document:
    each row counted once, whichever and however many of the two it is."""
    seen: set[str] = set()
    count = 0
    for d in test_docs:
        if d.strip() and (d in seen or d in train_docs):
            count += 1
        seen.add(d)
    return count


def _leaky_tokens(ctx: AuditContext) -> list[tuple[str, float]]:
    """Words whose presence alone ranks the training labels with ROC AUC at least ``LEAKAGE_AUC``
    (the AUC of a yes/no indicator: 0.5 + (P(word | positive) - P(word | negative)) / 2, either way)."""
    from sklearn.feature_extraction.text import CountVectorizer

    docs = documents(ctx.X_train, text_input(ctx).column)
    y = ctx.y_train.astype(bool)
    if y.all() or not y.any():
        return []
    counts = CountVectorizer(binary=True, lowercase=text_input(ctx).lowercase, token_pattern=r"(?u)\b\w+\b")
    try:
        X = counts.fit_transform(docs)
    except ValueError:  # every document empty: no word to predict with
        return []
    pos = np.asarray(X[y].mean(axis=0)).ravel()
    neg = np.asarray(X[~y].mean(axis=0)).ravel()
    auc = 0.5 + np.abs(pos - neg) / 2
    names = counts.get_feature_names_out()
    return [(str(names[j]), float(auc[j])) for j in np.flatnonzero(auc >= LEAKAGE_AUC)]


def _length_chart(lengths: np.ndarray) -> dict[str, Any]:
    edges = [e for e in LENGTH_BINS if e <= max(lengths.max(initial=0), 0) + 1] + [np.inf]
    labels, counts = [], []
    for lo, hi in itertools.pairwise(edges):
        labels.append(str(lo) if hi == lo + 1 else f"{lo}+" if not np.isfinite(hi) else f"{lo}-{int(hi) - 1}")
        counts.append(int(np.sum((lengths >= lo) & (lengths < hi))))
    alt = "Bar chart of the test documents by number of tokens: " + "; ".join(
        f"{label}: {count}" for label, count in zip(labels, counts, strict=True)
    )
    spec = bar_chart(labels, counts, xlabel="test documents")
    return chart("document_length", "Test documents by length (tokens: runs of word characters)", alt, spec)


def text_data_section(ctx: AuditContext) -> Built:
    p, column = ctx.policy, text_input(ctx).column
    ctx.log("Profiling the documents (length, empty, duplicated, characters)")
    sets = [("train", ctx.X_train), ("test", ctx.X_test)] + (
        [("reference", ctx.reference)] if ctx.reference_given else []
    )
    profiles = {name: _profile(documents(frame, column)) for name, frame in sets}
    train_docs = set(documents(ctx.X_train, column)) - {""}
    test_docs = documents(ctx.X_test, column)
    in_train = sum(1 for d in test_docs if d in train_docs)
    repeated = _repeated_or_seen(test_docs, train_docs)
    empty_share = max(profiles[n]["empty"] / max(profiles[n]["documents"], 1) for n in profiles)
    leaky = _leaky_tokens(ctx)
    test = profiles["test"]
    dup_share = repeated / max(test["documents"], 1)
    found = [
        finding(
            "data.missing",
            "data",
            "Empty documents",
            metric="largest share of empty documents",
            observed=empty_share,
            threshold=p.max_missing_share,
            comparison="<=",
            format="pct",
            status="pass" if empty_share <= p.max_missing_share else "warn",
            message=f"At most {empty_share:.1%} of a data set's documents are empty (or whitespace only); the model "
            "scores an empty document at its base rate.",
        ),
        finding(
            "data.leakage",
            "data",
            "No word alone predicts the target (leakage)",
            metric="words with ROC AUC >= 0.95 alone",
            observed=len(leaky),
            threshold=0,
            comparison="<=",
            format="int",
            message="Likely leakage: " + ", ".join(f"{w} ({a:.3f})" for w, a in leaky[:10]) + "."
            if leaky
            else f"No word's presence ranks the training labels with ROC AUC {LEAKAGE_AUC} or more.",
        ),
        finding(
            "data.duplicates",
            "data",
            "Duplicated documents",
            metric="test documents repeated within the test data or found in the training data",
            observed=dup_share,
            format="pct",
            status="info",
            message=f"{test['duplicates']} test documents repeat another test document word for word and "
            f"{in_train} are also training documents ({repeated} distinct test rows, {dup_share:.1%} of the test "
            "documents, are one or the other or both): the test "
            "score is optimistic by as much as the model memorised them.",
        ),
    ]
    if ctx.is_classifier:
        found.append(balance_finding(ctx, "documents"))
    blocks = _data_blocks(ctx, profiles, in_train)
    blocks.append(_length_chart(test["lengths"]))
    blocks += _representativeness(ctx)
    blocks.append(findings_block([f["id"] for f in found]))
    summary = (
        f"{test['documents']} test documents (median {test['median_tokens']:.0f} tokens), {test['empty']} empty, "
        f"{test['non_ascii']} with characters outside ASCII."
    )
    return _sec("data", summary, blocks, found)


def _data_blocks(ctx: AuditContext, profiles: dict[str, dict[str, Any]], in_train: int) -> list[dict[str, Any]]:
    scripts = sorted({s for prof in profiles.values() for s in prof["scripts"]})
    return [
        datasets_table(ctx),
        table(
            "documents",
            "Documents per data set",
            [
                column("data", "Data set"),
                column("documents", "Documents", "int"),
                column("empty", "Empty", "int"),
                column("duplicates", "Repeated", "int"),
                column("median_tokens", "Median tokens", "float"),
                column("p95_tokens", "95th pct. tokens", "float"),
                column("max_tokens", "Most tokens", "int"),
                column("non_ascii", "Non-ASCII", "int"),
                column("non_ascii_share", "Non-ASCII share", "pct"),
            ],
            [
                {
                    "data": name,
                    **{k: prof[k] for k in ("documents", "empty", "duplicates", "median_tokens", "p95_tokens")},
                    "max_tokens": prof["max_tokens"],
                    "non_ascii": prof["non_ascii"],
                    "non_ascii_share": prof["non_ascii"] / max(prof["documents"], 1),
                }
                for name, prof in profiles.items()
            ],
            note="Tokens: runs of word characters (the explanations' tokens). Repeated: a non-empty document equal "
            f"to an earlier one of the same data set; {in_train} test documents are also training documents. "
            "Non-ASCII: documents with at least one character outside ASCII (accented letters, other scripts, "
            "typographic quotes).",
        ),
        table(
            "scripts",
            "Scripts of the characters outside ASCII (documents holding at least one)",
            [column("script", "Script"), *[column(name, name.capitalize(), "int") for name in profiles]],
            [{"script": s, **{n: int(prof["scripts"].get(s, 0)) for n, prof in profiles.items()}} for s in scripts],
            note="Letters (and combining marks) count by their script, the script word of the character's Unicode "
            "name (Latin for é, CJK (Han) for Han characters, Hiragana, Cyrillic, ...); digits outside ASCII count as "
            "numbers, and emoji, symbols and punctuation (typographic quotes, fullwidth or ideographic punctuation) "
            f"as {SYMBOLS}. A model fitted on one language reads another's words as unknown: check that every "
            "script shown is one the model was meant to read.",
        ),
        *([outcomes_table(ctx, "Documents")] if ctx.is_classifier else []),
    ]


# --------------------------------------------------------------------------- robustness


def _dropped(docs: list[str], rate: float, rng: np.random.Generator) -> list[str]:
    """Each document with every token removed independently with probability ``rate``."""
    from .._text import tokenize

    out = []
    for d in docs:
        doc = tokenize(d)
        out.append(doc.masked(rng.random(len(doc.tokens)) >= rate))
    return out


def text_robustness_section(ctx: AuditContext) -> Built:
    p, column = ctx.policy, text_input(ctx).column
    ctx.log("Testing decisions when words are lost")
    rng = np.random.default_rng(ctx.random_state)
    n = len(ctx.X_test)
    rows = np.arange(n) if n <= NOISE_ROWS else np.sort(rng.choice(n, NOISE_ROWS, replace=False))
    docs = [documents(ctx.X_test, column)[i] for i in rows]
    noisy = [d for _ in range(NOISE_REPEATS) for d in _dropped(docs, p.noise_scale, rng)]
    scores = score_documents(ctx, noisy).reshape(NOISE_REPEATS, len(rows))
    base = ctx.scores_test[rows]
    t = p.decision_threshold
    flips = ((scores >= t) != (base >= t)[None, :]).mean(axis=1)
    flip = float(flips.mean())
    change = float(np.abs(scores - base[None, :]).mean())
    found = [
        finding(
            "robustness.noise",
            "robustness",
            "Decisions stable when a few words are lost",
            metric="share of decisions that change",
            observed=flip,
            threshold=p.max_flip_rate,
            comparison="<=",
            format="pct",
            status="pass" if flip <= p.max_flip_rate else "warn" if flip <= 2 * p.max_flip_rate else "fail",
            message=f"Each token of {len(rows)} test documents removed with probability {p.noise_scale:g}, "
            f"{NOISE_REPEATS} repeats: {flip:.2%} of decisions change on average; the score moves by {change:.4f} "
            "on average.",
        )
    ]
    stability = _explanation_stability(ctx)
    if stability is not None:
        found.append(stability)
    blocks = [
        paragraph(
            "Small, plausible losses in the input should not change decisions: a parser that drops a word, a "
            f"truncated upload. Every token of every test document is removed independently with probability "
            f"{p.noise_scale:g} (policy.noise_scale), {NOISE_REPEATS} times, and the documents are scored again."
        ),
        facts(
            [
                ("Repeats", NOISE_REPEATS, "int"),
                ("Decisions changed (mean over repeats)", flip, "pct"),
                ("Decisions changed (worst repeat)", float(flips.max()), "pct"),
                (f"Mean absolute change of the {ctx.score_name}", change, "float"),
            ]
        ),
        paragraph(
            "Missing values do not apply to a text model as to a table: a missing document is refused, and empty "
            "documents are counted in the data section (the model scores them at its base rate). Not tested here: "
            "adversarial rewording (synonyms, invisible characters, keyword stuffing), feedback loops and "
            "cybersecurity. Distribution shift is measured in the drift section."
        ),
        findings_block([f["id"] for f in found]),
    ]
    return _sec("robustness", f"{flip:.1%} of decisions change when a few words are lost.", blocks, found)


def _explanation_stability(ctx: AuditContext) -> dict[str, Any] | None:
    """Mean per-document rank correlation of the token values of every run with the first run's."""
    runs = ctx.extras.get("text_runs") or []
    if len(runs) < 2:
        return None
    rhos = []
    for run in runs[1:]:
        for a, b in zip(runs[0].values, run.values, strict=True):
            rho = _rank_correlation(np.ravel(a), np.ravel(b))
            if rho is not None:
                rhos.append(rho)
    mean = float(np.mean(rhos)) if rhos else None
    return finding(
        "robustness.explanations",
        "robustness",
        "Explanations stable across seeds",
        metric="mean rank correlation between runs",
        observed=mean,
        threshold=ctx.policy.min_explanation_stability,
        comparison=">=",
        message=f"{len(runs)} runs with different seeds ({runs[0].method}); per-document Spearman correlation of "
        f"the token values, mean {mean:.3f} over {len(rhos)} comparisons."
        if mean is not None
        else "Not measured: no explained document has two tokens of different value.",
    )


# --------------------------------------------------------------------------- drift


def document_features(ctx: AuditContext, frame: pd.DataFrame) -> pd.DataFrame:
    """Features of each document the drift section compares: tokens, characters, share of
    characters outside ASCII, and share of the vectorizer's terms outside its vocabulary."""
    text = text_input(ctx)
    docs = documents(frame, text.column)
    out = pd.DataFrame(
        {
            "tokens": [len(word_tokens_of(d, False)) for d in docs],
            "characters": [len(d) for d in docs],
            "non_ascii_share": [sum(ord(c) > 127 for c in d) / len(d) if d else 0.0 for d in docs],
        },
        index=frame.index,
    )
    vocabulary = getattr(text.vectorizer, "vocabulary_", None)
    if vocabulary is not None:
        analyze = text.vectorizer.build_analyzer()
        shares = []
        for d in docs:
            terms = analyze(d)
            shares.append(sum(t not in vocabulary for t in terms) / len(terms) if terms else np.nan)
        out["out_of_vocabulary_share"] = shares
    return out


def text_drift_section(ctx: AuditContext) -> Built:
    features = replace(ctx, X_test=document_features(ctx, ctx.X_test), reference=document_features(ctx, ctx.reference))
    section, found = drift_section(features)
    intro = paragraph(
        "The model reads documents, so drift is measured on features of the documents: their length in tokens and "
        "characters, the share of characters outside ASCII"
        + (
            ", and the share of the vectorizer's terms outside its vocabulary (words it has never seen, which it "
            "ignores)"
            if "out_of_vocabulary_share" in features.X_test.columns
            else ""
        )
        + "; and on the model's scores."
    )
    section["blocks"] = [intro, *section["blocks"]]
    return section, found
