"""``lime`` over the tokens of documents: the estimator of ``lime.lime_text.LimeTextExplainer``.

For a document of ``p`` tokens (the estimator of ``LimeTextExplainer`` with its defaults):

- **Sample.** ``num_samples`` rows (5000): the first is the document itself (every token
  kept); each other row draws how many tokens to remove uniformly from ``1..p``, then which,
  uniformly without replacement. A row's text is the document with those tokens removed
  (lime's ``inverse_removing``: every separator stays).
- **Weights.** The cosine distance between the row's 0/1 vector and the all-ones vector, times
  100: ``D = 100 (1 - sqrt(kept / p))``; weight ``sqrt(exp(-D^2 / kernel_width^2))`` with
  ``kernel_width = 25``.
- **Fit.** A weighted ridge regression (``alpha = 1``, unpenalised intercept: lime's
  ``Ridge(alpha=1, fit_intercept=True)``) of the model's output on the 0/1 design, every token a
  feature (lime's ``feature_selection="none"`` with ``num_features = p``). The coefficients are
  the tokens' values; the intercept is the base value. The weighted R^2 on the sample (lime's
  ``score``) and the regression's prediction at the document (lime's ``local_pred``) are kept
  per document as ``diagnostics["fidelity"]`` and ``diagnostics["local_prediction"]``.

Differences from the ``lime`` package, by design: the players are token *positions*; lime
(``bow=True``) removes every occurrence of a word together, so the two coincide for documents
whose words are all distinct (lime's ``bow=False`` masks positions, but replaces them with
``"UNKWORDZ"`` rather than removing them: pass ``mask_token="UNKWORDZ"`` for that). Each
document draws from its own random stream, keyed by ``random_state`` and the document's text,
so its values do not depend on the other documents (equal documents get equal values). The
ridge problems are solved in closed form with numpy; the model is called on every document's
sample in batches of ``batch_size`` strings. LIME values do not add up to the prediction:
they are the slopes of a local surrogate.
"""

from __future__ import annotations

import hashlib

import numpy as np

from .._model import ModelAdapter, OutputSpace
from .._text import Document, masked_texts, predict_texts
from .text_shap import CHUNK_TEXTS, TextResult

__all__ = ["run_lime"]

ALPHA = 1.0


def document_rng(seed: int | None, text: str) -> np.random.Generator:
    """The random stream of one document: keyed by the seed and the document's text."""
    if seed is None:
        return np.random.default_rng()
    digest = hashlib.sha256(text.encode("utf-8", "surrogatepass")).digest()
    return np.random.default_rng([seed, *np.frombuffer(digest[:16], dtype=np.uint32).tolist()])


def lime_design(p: int, num_samples: int, rng: np.random.Generator) -> np.ndarray:
    """The 0/1 design ``(num_samples, p)`` (True = token kept); row 0 keeps every token."""
    removed = rng.integers(1, p + 1, size=num_samples - 1)
    # a uniform subset of `removed` tokens: the tokens whose random rank is below that count
    ranks = np.argsort(rng.random((num_samples - 1, p)), axis=1).argsort(axis=1)
    keep = np.ones((num_samples, p), dtype=bool)
    keep[1:] = ranks >= removed[:, None]
    return keep


def lime_weights(keep: np.ndarray, kernel_width: float) -> np.ndarray:
    """lime's weights: exponential kernel on 100 x the cosine distance to the all-ones row."""
    p = keep.shape[1]
    distance = 100.0 * (1.0 - np.sqrt(keep.sum(axis=1) / p))
    return np.asarray(np.sqrt(np.exp(-(distance**2) / kernel_width**2)))


def weighted_ridge(
    X: np.ndarray, y: np.ndarray, w: np.ndarray, alpha: float = ALPHA
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Ridge with an unpenalised intercept and sample weights (scikit-learn's ``Ridge``):
    coefficients ``(p, k)``, intercepts ``(k,)`` and the weighted R^2 ``(k,)``."""
    total = w.sum()
    x_mean = w @ X / total
    y_mean = w @ y / total
    Xc, yc = X - x_mean, y - y_mean
    gram = (Xc * w[:, None]).T @ Xc + alpha * np.eye(X.shape[1])
    coef = np.linalg.solve(gram, (Xc * w[:, None]).T @ yc)
    intercept = y_mean - x_mean @ coef
    residual = yc - Xc @ coef
    ss_res = w @ residual**2
    ss_tot = w @ yc**2
    with np.errstate(divide="ignore", invalid="ignore"):
        r2 = np.where(ss_tot > 0, 1.0 - ss_res / np.where(ss_tot > 0, ss_tot, 1.0), np.where(ss_res > 0, 0.0, 1.0))
    return coef, intercept, r2


def run_lime(
    model: ModelAdapter,
    docs: list[Document],
    space: OutputSpace,
    *,
    num_samples: int,
    kernel_width: float,
    mask_token: str | None,
    batch_size: int,
    seed: int | None,
) -> TextResult:
    """LIME values of every document's tokens (see the module docstring)."""
    n = len(docs)
    designs = [lime_design(len(d.tokens), num_samples, document_rng(seed, d.text)) if d.tokens else None for d in docs]
    values: list[np.ndarray] = [np.empty((0, 0))] * n
    base: list[np.ndarray] = [np.empty(0)] * n
    fidelity: list[np.ndarray] = [np.empty(0)] * n
    local: list[np.ndarray] = [np.empty(0)] * n
    per_doc = num_samples
    group = max(1, CHUNK_TEXTS // per_doc)
    for lo in range(0, n, group):
        idx = range(lo, min(n, lo + group))
        texts: list[str] = []
        for i in idx:
            design = designs[i]
            texts.extend([docs[i].text] if design is None else masked_texts(docs[i], design, mask_token))
        scores = predict_texts(model, texts, space, batch_size)
        at = 0
        for i in idx:
            design = designs[i]
            if design is None:  # no token: the surrogate is its intercept, the prediction
                y0 = scores[at]
                values[i], base[i], fidelity[i], local[i] = np.zeros((0, len(y0))), y0, np.ones(len(y0)), y0
                at += 1
                continue
            y = scores[at : at + num_samples]
            at += num_samples
            X = design.astype(float)
            coef, intercept, r2 = weighted_ridge(X, y, lime_weights(design, kernel_width))
            values[i], base[i], fidelity[i], local[i] = coef, intercept, r2, intercept + coef.sum(axis=0)
    params = {
        "num_samples": num_samples,
        "kernel_width": kernel_width,
        "alpha": ALPHA,
        "masking": "remove" if mask_token is None else "replace",
        "mask_token": mask_token,
        "distance": "cosine x 100",
        "sample": "independent (per document, keyed by random_state and the text)",
    }
    diagnostics = {"fidelity": np.array(fidelity), "local_prediction": np.array(local)}
    return TextResult(values, np.array(base, dtype=float).reshape(n, -1), params, diagnostics)
