"""The text path of :meth:`explain.Explainer.explain_local`: documents in, a TextExplanation out.

Methods over tokens (see :mod:`explain._text` for tokens and masking):

==================  ==========================================================================
``exact_shap``      Shapley values, every coalition of a document's tokens (at most
                    ``max_tokens``, 16 by default, 20 at most)
``partition_shap``  Owen values over a balanced hierarchy of contiguous token spans (quadratic)
``lime``            lime's text estimator (``LimeTextExplainer``), batched
``glassbox``        a vectorizer + linear model Pipeline's own per-token decomposition
==================  ==========================================================================

``method="auto"``: ``glassbox`` when the model is a linear text Pipeline, the output is
left to ``"auto"`` (it then explains the margin: log-odds of a binary logistic model, recorded
in ``params["output_note"]``) and glassbox can map the vectorizer's terms to these documents'
tokens (a custom ``tokenizer`` / ``preprocessor`` / ``token_pattern`` of the vectorizer may
read a document differently from its tokens one by one: then glassbox is skipped, with the
reason in ``params["auto"]["skipped"]``); else ``exact_shap`` when every document has at most
:data:`AUTO_EXACT_TOKENS` tokens; else ``partition_shap`` up to :data:`AUTO_PARTITION_TOKENS`
tokens; else ``lime``. The choice and the reasons are in
``params["auto"]``.

Settings (``method_params``): ``mask_token`` (None: remove), ``batch_size`` (strings per model
call, 8192) for every method but glassbox; ``max_tokens`` (exact_shap); ``hierarchy``
(partition_shap: None, or ``f(text)`` -> nested tuples / linkage); ``num_samples`` (5000) and
``kernel_width`` (25) for lime. The work runs in this process (``n_jobs`` and ``progress`` are
not used for text: the model is called on large batches instead; ``params["n_jobs_unused"]``
says so when they were set).

Provenance: ``data_fingerprint`` is the SHA-256 of the documents (a fixed prefix, then each
document's UTF-8 bytes preceded by their length), ``background_fingerprint`` is None.
"""

from __future__ import annotations

import hashlib
import time
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from ._data import checked_random_state
from ._model import ModelAdapter, OutputSpace
from ._provenance import Provenance, library_versions, model_fingerprint, type_path
from ._text import BATCH_SIZE, Document, check_mask_token, predict_texts, read_documents, tokenize
from .errors import AdditivityError, InputError, MethodError
from .methods._coalitions import MAX_EXACT_PLAYERS
from .text_explanation import ADDITIVE_METHODS, TextExplanation

if TYPE_CHECKING:
    from .explainer import Explainer
    from .methods.text_shap import TextResult

__all__ = ["AUTO_EXACT_TOKENS", "TEXT_METHODS", "explain_text"]

#: ``auto`` uses exact Shapley values when no document has more tokens (2^10 = 1024 texts each)
AUTO_EXACT_TOKENS = 10
#: ``auto`` uses partition_shap up to this many tokens (its coalitions, about p^2 texts of p
#: tokens, stay within :data:`~explain.methods._coalitions.MAX_MASK_ENTRIES`); lime beyond
AUTO_PARTITION_TOKENS = 500
TEXT_METHODS: dict[str, dict[str, Any]] = {
    "exact_shap": {"max_tokens": 16, "mask_token": None, "batch_size": BATCH_SIZE},
    "partition_shap": {"mask_token": None, "batch_size": BATCH_SIZE, "hierarchy": None},
    "lime": {"num_samples": 5000, "kernel_width": 25.0, "mask_token": None, "batch_size": BATCH_SIZE},
    "glassbox": {},
}
TEXT_PARAMS = frozenset(key for defaults in TEXT_METHODS.values() for key in defaults)


def _refuse_table_settings(explainer: Explainer) -> None:
    if explainer.background is not None:
        raise InputError(
            "a background was given, but text is explained against the document with its tokens removed (a "
            "token of one document has no counterpart in another). Leave background=None for text; "
            "method_params={'mask_token': '...'} replaces removed tokens by a mask instead."
        )
    if explainer.feature_names is not None:
        raise InputError("feature_names name a table's columns; documents have tokens. Leave feature_names=None.")


def _settings(explainer: Explainer, method: str) -> dict[str, Any]:
    given = dict(explainer.method_params or {})
    defaults = TEXT_METHODS[method]
    if explainer.method == "auto":  # keys of the other text methods may be given for auto's choice
        unknown = sorted(set(given) - TEXT_PARAMS)
    else:
        unknown = sorted(set(given) - set(defaults))
    if unknown:
        raise MethodError(
            f"method_params {unknown} are not settings of {method} over text; its settings are "
            f"{sorted(defaults) or 'none'}."
        )
    params = {**defaults, **{k: v for k, v in given.items() if k in defaults}}
    for key in ("batch_size", "num_samples", "max_tokens"):
        if key in params:
            value, low = params[key], 2 if key == "num_samples" else 1
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
                raise MethodError(f"{method} {key}={value!r}; pass a whole number >= {low}.")
            params[key] = int(value)
    if "max_tokens" in params and params["max_tokens"] > MAX_EXACT_PLAYERS:
        raise MethodError(
            f"exact_shap max_tokens={params['max_tokens']}: at most {MAX_EXACT_PLAYERS} (2^{MAX_EXACT_PLAYERS} "
            "texts per document). Use method='partition_shap' for longer documents."
        )
    if "kernel_width" in params:
        width = params["kernel_width"]
        if isinstance(width, bool) or not isinstance(width, (int, float, np.number)) or not 0 < width < np.inf:
            raise MethodError(f"lime kernel_width={width!r}; pass a positive number (lime's default is 25).")
        params["kernel_width"] = float(width)
    if "mask_token" in params:
        params["mask_token"] = check_mask_token(params["mask_token"])
    if params.get("hierarchy") is not None and not callable(params["hierarchy"]):
        raise MethodError(
            f"partition_shap hierarchy={params['hierarchy']!r}; pass None (balanced contiguous token spans) or a "
            "function text -> nested tuples of token positions (or a scipy linkage matrix)."
        )
    return params


def _glassbox_space(model: ModelAdapter, requested: OutputSpace | None) -> OutputSpace:
    from .methods.text_glassbox import glassbox_space

    return glassbox_space(model, requested)


def _choose(
    explainer: Explainer, model: ModelAdapter, docs: list[Document], requested: OutputSpace | None
) -> tuple[str, OutputSpace, dict[str, Any]]:
    """The method, its output space and the notes for params."""
    longest = max(len(d.tokens) for d in docs)
    if explainer.method != "auto":
        method = explainer.method
        if method not in TEXT_METHODS:
            raise MethodError(f"{method!r} does not explain text; choose one of {['auto', *TEXT_METHODS]}.")
        if method == "glassbox":
            space = _glassbox_space(model, requested)
            return method, space, {} if requested else {"output_note": _margin_note(space)}
        return method, requested or model.default_output(), {}
    skipped: dict[str, str] = {}
    try:
        if requested is None or requested in ("log_odds", "raw", "margin"):
            space = _glassbox_space(model, requested)
            _run("glassbox", model, docs, space, {}, None)  # can it credit these documents' tokens? (instant)
            note = {"chosen": "glassbox", "skipped": skipped, "reason": "a linear text Pipeline: exact and instant"}
            return "glassbox", space, {"auto": note, **({} if requested else {"output_note": _margin_note(space)})}
        skipped["glassbox"] = "glassbox explains a linear model's margin, and output='probability' was asked"
    except MethodError as exc:
        skipped["glassbox"] = str(exc)
    space = requested or model.default_output()
    if longest <= AUTO_EXACT_TOKENS:
        reason = f"every document has at most {AUTO_EXACT_TOKENS} tokens (the longest: {longest})"
        return "exact_shap", space, {"auto": {"chosen": "exact_shap", "skipped": skipped, "reason": reason}}
    skipped["exact_shap"] = (
        f"the longest document has {longest} tokens, over auto's limit of {AUTO_EXACT_TOKENS} for exact Shapley "
        "values (2^tokens texts per document)"
    )
    if longest <= AUTO_PARTITION_TOKENS:
        reason = "Owen values over contiguous token spans: exact for their hierarchy, quadratic in the tokens"
        return "partition_shap", space, {"auto": {"chosen": "partition_shap", "skipped": skipped, "reason": reason}}
    skipped["partition_shap"] = (
        f"the longest document has {longest} tokens, over {AUTO_PARTITION_TOKENS} (about tokens^2 texts each)"
    )
    reason = "documents too long for Shapley or Owen values: lime's sampled local surrogate"
    return "lime", space, {"auto": {"chosen": "lime", "skipped": skipped, "reason": reason}}


def _margin_note(space: str) -> str:
    return (
        f"glassbox explains the linear model's margin ({space}), the space it is additive in; pass "
        "output='probability' for exact_shap / partition_shap values in probability"
    )


def _run(
    method: str, model: ModelAdapter, docs: list[Document], space: OutputSpace, params: dict[str, Any], seed: Any
) -> TextResult:
    if method == "glassbox":
        from .methods.text_glassbox import run_glassbox

        return run_glassbox(model, docs, space)
    if method == "lime":
        from .methods.text_lime import run_lime

        return run_lime(
            model, docs, space, num_samples=params["num_samples"], kernel_width=params["kernel_width"],
            mask_token=params["mask_token"], batch_size=params["batch_size"], seed=seed,
        )  # fmt: skip
    from .methods.text_shap import run_coalitions

    if method == "exact_shap":
        too_long = [i for i, d in enumerate(docs) if len(d.tokens) > params["max_tokens"]]
        if too_long:
            i = too_long[0]
            raise MethodError(
                f"document {i} has {len(docs[i].tokens)} tokens; exact_shap enumerates 2^tokens texts and is "
                f"limited to max_tokens={params['max_tokens']} (at most {MAX_EXACT_PLAYERS}). Use "
                "method='partition_shap' (Owen values over token spans, quadratic) or 'lime' for longer documents."
            )
    game: Literal["shapley", "owen"] = "shapley" if method == "exact_shap" else "owen"
    return run_coalitions(
        model, docs, space, game=game, mask_token=params["mask_token"], batch_size=params["batch_size"],
        hierarchy=params.get("hierarchy"),
    )  # fmt: skip


def _check(method: str, result: TextResult, docs: list[Document], predictions: np.ndarray, model: ModelAdapter) -> None:
    """Raise :class:`AdditivityError` unless the values have one row per token, are finite, and
    (for the additive methods) add up to the model's own prediction."""
    n, k = predictions.shape
    if result.base_values.shape != (n, k) or any(
        v.shape != (len(d.tokens), k) for v, d in zip(result.values, docs, strict=True)
    ):
        raise AdditivityError(
            f"{method} returned values whose shapes do not match the tokens of the {n} documents and {k} outputs. "
            "This is a bug in explain: please report it with the model type and method."
        )
    if not all(np.isfinite(v).all() for v in result.values) or not np.isfinite(result.base_values).all():
        raise AdditivityError(f"{method} returned non-finite values. This is a bug in explain: please report it.")
    if method not in ADDITIVE_METHODS:
        return
    totals = result.base_values + np.array([v.sum(axis=0) for v in result.values]).reshape(n, k)
    scale = 1.0 + np.abs(predictions) + np.array([np.abs(v).sum(axis=0) for v in result.values]).reshape(n, k)
    gap = np.abs(totals - predictions)
    if np.any(gap > 1e-7 * scale):
        worst = int(np.unravel_index(np.argmax(gap / scale), gap.shape)[0])
        raise AdditivityError(
            f"{method} token values of this {type(model.estimator).__name__} do not add up to the model's own "
            f"prediction: off by up to {gap.max():.3g} (document {worst}); they are not returned. This is a bug in "
            "explain (or the model is not deterministic): please report it. Meanwhile method='lime' does not claim "
            "additivity."
        )


def _fingerprint(texts: list[str]) -> str:
    digest = hashlib.sha256(b"explain.text\x00")
    for text in texts:
        data = text.encode("utf-8", "surrogatepass")
        digest.update(len(data).to_bytes(8, "little") + data)
    return digest.hexdigest()


def explain_text(explainer: Explainer, X: Any) -> TextExplanation:
    """Explain each document of ``X`` (see the module docstring)."""
    start = time.perf_counter()
    model = explainer._check_settings()
    _refuse_table_settings(explainer)
    texts = read_documents(X)
    docs = [tokenize(t, explainer.tokenizer) for t in texts]
    requested: OutputSpace | None = None if explainer.output == "auto" else explainer.output
    if requested is not None:
        model.check_output(requested)
    method, space, notes = _choose(explainer, model, docs, requested)
    params = _settings(explainer, method)
    seed = checked_random_state(explainer.random_state)
    result = _run(method, model, docs, space, params, seed)
    predictions = predict_texts(model, texts, space, params.get("batch_size", BATCH_SIZE))
    _check(method, result, docs, predictions, model)
    k = predictions.shape[1]
    names = model.output_names(k)
    provenance = Provenance(
        model_fingerprint=model_fingerprint(model.model),
        data_fingerprint=_fingerprint(texts),
        background_fingerprint=None,
        random_state=seed,
        versions=library_versions(),
        elapsed_seconds=round(time.perf_counter() - start, 6),
        model_type=type_path(model.model),
    )
    tokenizer = explainer.tokenizer
    all_params = {
        **{key: value for key, value in params.items() if key != "hierarchy"},  # a function: named by the method
        **result.params,
        **notes,
        "tokenizer": "words (\\w+)"
        if tokenizer is None
        else getattr(tokenizer, "__qualname__", type(tokenizer).__name__),
        "reference": "the document with every token masked",
        "output_requested": explainer.output,
    }
    if explainer.n_jobs not in (None, 1) or explainer.progress:
        all_params["n_jobs_unused"] = "text is explained in this process, the model called on large batches"
    one = k == 1
    return TextExplanation(
        tokens=tuple(d.tokens for d in docs),
        separators=tuple(d.separators for d in docs),
        values=tuple(v[:, 0] if one else v for v in result.values),
        base_values=result.base_values[:, 0] if one else result.base_values,
        predictions=predictions[:, 0] if one else predictions,
        output_names=names,
        output_space=space,
        method=method,
        params=all_params,
        provenance=provenance,
        diagnostics={key: (v[:, 0] if one and v.ndim == 2 else v) for key, v in result.diagnostics.items()},
    )
