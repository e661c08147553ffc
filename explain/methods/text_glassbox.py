"""``glassbox`` for a text vectorizer + linear model Pipeline: the model's own decomposition.

The model: a scikit-learn Pipeline whose first step is a ``CountVectorizer``,
``TfidfVectorizer`` or ``HashingVectorizer`` with a word analyzer and unigrams, optionally
followed by transformers that work column by column and keep zeros at zero (e.g.
``TfidfTransformer``, ``MaxAbsScaler``), and ending in a linear model (``coef_``,
``intercept_``). Its margin is ``b + sum_j coef_j x_j``, ``x`` the document's vector at the
final step.

**Per-token contributions.** The term ``coef_j x_j`` of column ``j`` is shared equally by the
token occurrences the vectorizer maps to column ``j`` (the word ``python`` seen twice gets half
each); a token the vectorizer drops (a stop word, a one-letter word with the default
``token_pattern``, a word outside the vocabulary) gets 0. The base value is the intercept,
which is the margin of the empty document. So the contributions add up to the margin
exactly, in log-odds for a binary logistic model and in the raw margin otherwise.

What "exact" means for TF-IDF with ``norm="l2"``: ``x_j = tf_j idf_j / ||tf idf||``. The
decomposition above is exact for the document as it is (``coef_j`` times the token's share of
its own tf-idf value, the norm of *this* document included): it is the linear model's reading
of the document. It is not the Shapley value of removing tokens, because removing a token
changes the norm and so every other token's weight; ``exact_shap`` measures that. Without a
norm and with a linear term frequency (``CountVectorizer``; ``TfidfVectorizer(norm=None)``
without ``sublinear_tf``) the margin is additive over tokens and the two coincide.

**Signs and shared columns.** Each token occurrence is credited with ``coef_j`` times its own
signed share of column ``j``: ``coef_j * a_j * s_t`` where ``s_t`` is the occurrence's signed
count in the column (+1; -1 for a ``HashingVectorizer`` with ``alternate_sign=True`` whose hash
gives the word the minus sign) and ``a_j = x_j / c_j`` the column's value per signed count in this
document (``c_j`` the sum of the signed counts). So two different words in one column (a hash
collision, or a ``vocabulary=`` mapping both to it) each get their own signed term, and two words
of opposite signs that cancel in the column (``x_j = 0``) still get ``+coef_j a_j`` and
``-coef_j a_j``; ``a_j`` of such a cancelled column is read by pushing one unit through the steps
after the vectorizer at this document's normalisation (for ``norm=None``, ``a_j = 1``). For
``norm=None`` and a linear term frequency the result is the Shapley value of removing tokens,
as computed by ``exact_shap`` in log-odds. With a non-linear term frequency (``sublinear_tf``,
``binary``) a column's value is not proportional to its count, and ``a_j = x_j / c_j`` shares it
equally among the column's occurrences. A ``HashingVectorizer(binary=True)`` sets a present
column to 1 whatever the signs of its words, so there the signs are not used.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import numpy as np

from .._model import ModelAdapter, OutputSpace, _margin_is_log_odds
from .._text import Document
from ..errors import MethodError
from .text_shap import TextResult

__all__ = ["glassbox_space", "run_glassbox"]

_VECTORIZERS = ("CountVectorizer", "TfidfVectorizer", "HashingVectorizer")


def _parts(model: ModelAdapter) -> tuple[Any, Any, Any]:
    """(vectorizer, the steps between it and the final estimator, the final estimator), or a
    :class:`MethodError` saying why the model has no per-token decomposition."""
    from sklearn.linear_model._base import LinearClassifierMixin, LinearModel
    from sklearn.pipeline import Pipeline

    pipe = model.model
    if not isinstance(pipe, Pipeline) or len(pipe.steps) < 2:
        raise MethodError(
            f"glassbox over text needs a Pipeline(vectorizer, ..., linear model); got {type(pipe).__name__}. "
            "Use method='exact_shap' or 'partition_shap', which need only the predictions"
        )
    vectorizer = pipe.steps[0][1]
    if type(vectorizer).__name__ not in _VECTORIZERS:
        raise MethodError(
            f"the Pipeline starts with {type(vectorizer).__name__}; glassbox over text reads a CountVectorizer, "
            "TfidfVectorizer or HashingVectorizer. Use method='exact_shap' or 'partition_shap'"
        )
    params = vectorizer.get_params()
    if params.get("analyzer") != "word" or tuple(params.get("ngram_range", (1, 1))) != (1, 1):
        raise MethodError(
            f"the vectorizer reads analyzer={params.get('analyzer')!r}, ngram_range={params.get('ngram_range')}: "
            "its features span several tokens, so a feature's term has no single token to credit. glassbox "
            "needs analyzer='word' and ngram_range=(1, 1); use method='partition_shap' (or 'exact_shap')"
        )
    final = pipe.steps[-1][1]
    if not (isinstance(final, (LinearModel, LinearClassifierMixin)) and hasattr(final, "coef_")):
        raise MethodError(
            f"the Pipeline ends in {type(final).__name__}, not a linear model with coef_; glassbox over text "
            "needs one. Use method='exact_shap' or 'partition_shap'"
        )
    middle = pipe[1:-1] if len(pipe.steps) > 2 else None
    return vectorizer, middle, final


def glassbox_space(model: ModelAdapter, requested: OutputSpace | None) -> OutputSpace:
    """The margin space the model is linear in, or a :class:`MethodError`."""
    _, _, final = _parts(model)
    if not model.is_classifier:
        space: OutputSpace = requested or "raw"
        if space not in ("raw", "margin") or model.link() != "identity":
            raise MethodError(f"glassbox explains this regressor's raw prediction, not output={space!r}")
        return space
    binary = len(model.classes or ()) == 2 and _margin_is_log_odds(final, "sklearn")
    space = requested or ("log_odds" if binary else "raw")
    if space == "probability":
        raise MethodError(
            "a linear classifier is linear in its log-odds, not in probability; pass output='log_odds' (or "
            "'raw'), or method='exact_shap' / 'partition_shap' for probabilities"
        )
    if space == "log_odds" and not binary:
        raise MethodError("the model's margin is not the log-odds of a binary classifier; pass output='raw'")
    return space


def _counter(vectorizer: Any) -> Any:
    """A vectorizer that counts each column's terms, with the same analysis as ``vectorizer``;
    a ``HashingVectorizer``'s counts keep their ``alternate_sign`` signs."""
    from sklearn.feature_extraction.text import CountVectorizer, HashingVectorizer

    params = vectorizer.get_params()
    if type(vectorizer).__name__ == "HashingVectorizer":
        keep = {k: v for k, v in params.items() if k in HashingVectorizer().get_params()}
        # binary=True sets every present column to 1 whatever the signs: the signs do not count
        signs = bool(params.get("alternate_sign")) and not params.get("binary")
        return HashingVectorizer(**{**keep, "norm": None, "binary": False, "alternate_sign": signs})
    keep = {k: v for k, v in params.items() if k in CountVectorizer().get_params()}
    counter = CountVectorizer(**{**keep, "vocabulary": vectorizer.vocabulary_, "binary": False})
    return counter


def run_glassbox(model: ModelAdapter, docs: list[Document], space: OutputSpace) -> TextResult:
    """Per-token contributions ``coef_j a_j s_t`` (see the module docstring)."""
    vectorizer, middle, final = _parts(model)
    coef = np.atleast_2d(np.asarray(final.coef_, dtype=float))  # (k, m)
    intercept = np.broadcast_to(np.atleast_1d(np.asarray(final.intercept_, dtype=float)), (coef.shape[0],))
    texts = [d.text for d in docs]
    vectors = _csr(vectorizer.transform(texts))
    x = _csr(middle.transform(vectors)) if middle is not None else vectors
    counter = _counter(vectorizer)
    doc_counts = _csr(counter.transform(texts))
    if x.shape[1] != coef.shape[1] or doc_counts.shape[1] != coef.shape[1]:
        raise MethodError(
            f"the steps after the vectorizer change the number of columns ({doc_counts.shape[1]} -> {x.shape[1]}); "
            "glassbox needs transformers that work column by column. Use method='exact_shap' or 'partition_shap'"
        )
    values = []
    for i, doc in enumerate(docs):
        column = _Columns(vectorizer, middle, vectors[i], x[i], doc_counts[i])
        values.append(_document_values(doc, counter, column, coef))
    params = {"decomposition": "coef_j * (x_j / signed count_j) * each token occurrence's signed count in column j"}
    return TextResult(values, np.broadcast_to(intercept, (len(docs), coef.shape[0])).copy(), params)


def _csr(x: Any) -> Any:
    from scipy import sparse

    return sparse.csr_matrix(x, dtype=float)


class _Columns:
    """One document's row at the vectorizer, at the final step, and its signed counts."""

    def __init__(self, vectorizer: Any, middle: Any, vector: Any, x_row: Any, count_row: Any) -> None:
        self.vectorizer, self.middle, self.vector = vectorizer, middle, vector
        self.x = x_row.toarray().ravel()
        self.counts = count_row.toarray().ravel()

    def cancelled_units(self, cols: np.ndarray) -> np.ndarray:
        """The value at the final step of one signed count in each of ``cols`` (columns whose
        signed counts cancel in this document), at the document's normalisation."""
        norm = getattr(self.vectorizer, "norm", None)
        counts = (self.counts != 0).astype(float) if getattr(self.vectorizer, "binary", False) else self.counts
        scale = {"l2": float(np.sqrt(np.sum(counts**2))), "l1": float(np.sum(np.abs(counts)))}.get(str(norm), 1.0)
        scale = scale or 1.0
        if self.middle is None:
            return np.full(len(cols), 1.0 / scale)
        vector = self.vector.toarray().ravel()
        if not vector.any():  # every column cancels: no norm to hold, read each column alone (one count)
            probes = np.zeros((len(cols), len(vector)))
            probes[np.arange(len(cols)), cols] = 1.0 / scale
            out = _csr(self.middle.transform(_csr(probes))).toarray()
            return out[np.arange(len(cols)), cols]
        delta = 1e-6  # small enough not to move a later step's row norm, large enough to read back
        vector[cols] = delta / scale
        out = _csr(self.middle.transform(_csr(vector[None, :]))).toarray().ravel()
        return out[cols] / delta


def _document_values(doc: Document, counter: Any, column: _Columns, coef: np.ndarray) -> np.ndarray:
    k = coef.shape[0]
    if not doc.tokens:
        return np.zeros((0, k))
    token_counts = _csr(counter.transform(list(doc.tokens)))  # (p, m): each token's signed count per column
    summed = np.asarray(token_counts.sum(axis=0)).ravel()
    whole, dense_x = column.counts, column.x
    if not np.array_equal(summed, whole):
        raise MethodError(
            "the vectorizer reads this document's terms differently when the tokens are read one by one (a "
            "token_pattern or tokenizer that joins or splits words across the tokenizer's tokens); pass a "
            "tokenizer= that cuts the words the vectorizer reads, or use method='exact_shap' / 'partition_shap'"
        )
    occurrences = np.asarray(abs(token_counts).sum(axis=0)).ravel()
    if np.any((dense_x != 0) & (occurrences == 0)):
        raise MethodError(
            "a step after the vectorizer gives non-zero values to words absent from the document (e.g. a "
            "centring scaler); glassbox needs zero-preserving, column-wise steps. Use method='exact_shap'"
        )
    unit = np.divide(dense_x, whole, out=np.zeros_like(dense_x), where=whole != 0)  # a_j = x_j / c_j
    cancelled = np.flatnonzero((whole == 0) & (occurrences > 0))
    if len(cancelled):
        unit[cancelled] = column.cancelled_units(cancelled)
    per_column = unit[None, :] * coef  # (k, m)
    contributions: defaultdict[int, np.ndarray] = defaultdict(lambda: np.zeros(k))
    tc = token_counts.tocoo()
    for t, j, c in zip(tc.row, tc.col, tc.data, strict=True):
        contributions[int(t)] += c * per_column[:, j]
    out = np.zeros((len(doc.tokens), k))
    for t, v in contributions.items():
        out[t] = v
    return out
