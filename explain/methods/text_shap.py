"""``exact_shap`` and ``partition_shap`` over the tokens of documents.

The players of a document are its tokens; the value of a coalition is the model's prediction
on the document with the other tokens masked (removed by default; see :mod:`explain._text`).

* ``exact_shap``: the Shapley values, every one of the ``2^p`` coalitions of a document's ``p``
  tokens scored once (at most ``max_tokens`` tokens, 16 by default, 20 at most).
* ``partition_shap``: the Owen values over the balanced binary hierarchy of contiguous token
  spans (:func:`~explain.methods._coalitions.contiguous_hierarchy`): the document is halved,
  each half halved, down to single tokens; a span is a block whose tokens come and go together
  when a token outside it is measured. This is the hierarchy of shap's Partition explainer for
  text, except that shap merges tokens bottom-up by how easily they join (spaces, punctuation);
  both are contiguous spans. Each distinct coalition is scored once: about ``p^2`` model calls
  for ``p`` tokens (quadratic). The values are exact Owen values (shap's ``max_evals`` budget
  stops its recursion early; here nothing is sampled or cut). ``method_params={"hierarchy": f}``
  takes another hierarchy: ``f(text)`` returns nested tuples over the token positions or a scipy
  linkage matrix (e.g. shap's own: ``shap.maskers.Text(r"\\W+").clustering``, with which the
  values equal shap's Partition explainer's).

Both are efficient: a document's values add up to its prediction minus its base value (the
prediction with every token masked). Many documents share each model call: the coalitions of
every document are rebuilt as text and scored in batches of ``batch_size`` strings.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Literal

import numpy as np

from .._model import ModelAdapter, OutputSpace
from .._text import Document, masked_texts, predict_texts
from ..errors import MethodError
from ._coalitions import CoalitionPlan, contiguous_hierarchy, owen_plan, shapley_plan

__all__ = ["TextResult", "run_coalitions"]

#: strings rebuilt and held at once (the coalitions of several documents): bounds memory
CHUNK_TEXTS = 1 << 16


@dataclass(frozen=True)
class TextResult:
    """What a text method returns: per-document values ``(p_i, k)``, base values ``(n, k)``,
    the method's params and per-document diagnostics."""

    values: list[np.ndarray]
    base_values: np.ndarray
    params: dict[str, Any] = field(default_factory=dict)
    diagnostics: dict[str, np.ndarray] = field(default_factory=dict)


Hierarchy = Callable[[str], Any]


@lru_cache(maxsize=256)
def _shared_plan(p: int, game: Literal["shapley", "owen"]) -> CoalitionPlan:
    """The plan of every document of ``p`` tokens (read-only masks: safe to share)."""
    return shapley_plan(p) if game == "shapley" else owen_plan(contiguous_hierarchy(p))


def _plan(doc: Document, game: Literal["shapley", "owen"], hierarchy: Hierarchy | None) -> CoalitionPlan | None:
    p = len(doc.tokens)
    if p == 0:
        return None
    if game == "shapley" or hierarchy is None:
        # shared between documents of the same length; long documents' plans are too large to keep
        if p <= 128:
            return _shared_plan(p, game)
        return owen_plan(contiguous_hierarchy(p))
    tree = hierarchy(doc.text)
    plan = owen_plan(tree) if p > 1 or not isinstance(tree, (int, np.integer)) else owen_plan(0)
    if plan.n_players != p:
        raise MethodError(
            f"the hierarchy function returned a hierarchy of {plan.n_players} players for a document of {p} tokens "
            f"({doc.text[:40]!r}...); it must cover the tokens 0..{p - 1}, each once"
        )
    return plan


def _chunks(plans: list[CoalitionPlan | None]) -> Iterator[list[int]]:
    """Consecutive documents whose coalitions together stay under :data:`CHUNK_TEXTS` (a single
    larger document forms a chunk of its own)."""
    chunk: list[int] = []
    size = 0
    for i, plan in enumerate(plans):
        m = 1 if plan is None else len(plan.masks)
        if chunk and size + m > CHUNK_TEXTS:
            yield chunk
            chunk, size = [], 0
        chunk.append(i)
        size += m
    if chunk:
        yield chunk


def run_coalitions(
    model: ModelAdapter,
    docs: list[Document],
    space: OutputSpace,
    *,
    game: Literal["shapley", "owen"],
    mask_token: str | None,
    batch_size: int,
    hierarchy: Hierarchy | None = None,
) -> TextResult:
    """Shapley (``game="shapley"``) or Owen values of every document's tokens (over
    ``hierarchy(text)`` when given, else the balanced contiguous spans)."""
    plans = [_plan(doc, game, hierarchy) for doc in docs]
    values: list[np.ndarray] = [np.empty((0, 0))] * len(docs)
    base: list[np.ndarray] = [np.empty(0)] * len(docs)
    n_coalitions = 0
    for chunk in _chunks(plans):
        texts: list[str] = []
        for i in chunk:
            plan = plans[i]
            texts.extend([docs[i].text] if plan is None else masked_texts(docs[i], plan.masks, mask_token))
        scores = predict_texts(model, texts, space, batch_size)
        at = 0
        for i in chunk:
            plan = plans[i]
            if plan is None:  # no token: nothing to attribute, the base value is the prediction
                values[i], base[i] = np.zeros((0, scores.shape[1])), scores[at]
                at += 1
                continue
            m = len(plan.masks)
            phi, v_empty, _ = plan.combine(scores[at : at + m])
            values[i], base[i] = phi, v_empty
            at += m
            n_coalitions += m
    params = {
        "masking": "remove" if mask_token is None else "replace",
        "mask_token": mask_token,
        "coalitions_scored": n_coalitions,
    }
    if game == "owen":
        params["hierarchy"] = (
            "balanced binary tree of contiguous token spans"
            if hierarchy is None
            else f"given by {getattr(hierarchy, '__qualname__', type(hierarchy).__name__)}"
        )
    return TextResult(values, np.array(base, dtype=float).reshape(len(docs), -1), params)
