"""Quality of explanations: additivity, fidelity, agreement and stability.

Pure functions over :class:`~explain.LocalExplanation` objects. Per-row numbers come back as
arrays (one entry per row, or per row and output); :func:`compare` and :func:`stability`
summarize them as tidy tables an auditor can read.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import rankdata

from ..errors import InputError
from ..explanation import LocalExplanation

__all__ = [
    "additivity_error",
    "agreement",
    "compare",
    "fidelity",
    "rank_correlation",
    "sign_agreement",
    "stability",
    "top_k_jaccard",
]


def _values(exp: LocalExplanation) -> np.ndarray:
    """Values as ``(n, d, k)``."""
    return exp.values if exp.is_multi_output else exp.values[:, :, None]


def _squeeze(per_row: np.ndarray, exp: LocalExplanation) -> np.ndarray:
    return per_row if exp.is_multi_output else per_row[:, 0]


def additivity_error(exp: LocalExplanation) -> np.ndarray:
    """``|base_value + sum(values) - prediction|`` per row (and output).

    Zero up to rounding for Shapley methods; for LIME it measures how far the surrogate's
    attributions are from adding up to the model's prediction. For a selection of features
    (``local[:, ["age", "income"]]``) the features left out count too, through
    :attr:`~explain.LocalExplanation.remainder`, as in
    :meth:`~explain.LocalExplanation.additivity_error`.

    Examples
    --------
    >>> from sklearn.datasets import load_diabetes
    >>> from sklearn.linear_model import Ridge
    >>> import explain as ex
    >>> X, y = load_diabetes(return_X_y=True)
    >>> local = ex.Explainer(Ridge().fit(X, y), background=X[:50]).explain_local(X[:4])
    >>> bool(ex.metrics.additivity_error(local).max() < 1e-9)
    True
    """
    total = exp.base_values + exp.values.sum(axis=1)
    if exp.remainder is not None:
        total = total + exp.remainder
    return np.abs(total - exp.predictions)


def fidelity(exp: LocalExplanation) -> np.ndarray:
    """Local fidelity per row: the surrogate's weighted R² for LIME; 1 for exact additive methods.

    For an additive method the attributions reproduce the prediction exactly, so its fidelity
    is 1 wherever the additivity error is below ``1e-6`` (and NaN elsewhere, a sign of trouble).
    """
    if "fidelity" in exp.diagnostics:
        return np.array(exp.diagnostics["fidelity"])
    error = additivity_error(exp)
    return np.where(error < 1e-6, 1.0, np.nan)


def _check_same_rows(a: LocalExplanation, b: LocalExplanation) -> None:
    if a.feature_names != b.feature_names:
        raise InputError(
            f"the two explanations have different features ({list(a.feature_names)} vs "
            f"{list(b.feature_names)}); compare explanations of the same model inputs."
        )
    if a.n_rows != b.n_rows or a.provenance.data_fingerprint != b.provenance.data_fingerprint:
        raise InputError(
            "the two explanations are not of the same rows (their data fingerprints differ); "
            "explain the same X with both explainers."
        )
    if a.output_names != b.output_names:
        raise InputError(
            f"the explanations are of different outputs ({list(a.output_names)} vs {list(b.output_names)}); "
            "use for_output() on both."
        )


def rank_correlation(a: LocalExplanation, b: LocalExplanation) -> np.ndarray:
    """Spearman correlation of the two rows' attributions, per row (and output).

    Rows where either explanation is constant (e.g. all zeros) have no rank order: NaN.
    """
    _check_same_rows(a, b)
    ra = rankdata(_values(a), axis=1)
    rb = rankdata(_values(b), axis=1)
    ra = ra - ra.mean(axis=1, keepdims=True)
    rb = rb - rb.mean(axis=1, keepdims=True)
    denominator = np.sqrt((ra**2).sum(axis=1) * (rb**2).sum(axis=1))
    with np.errstate(invalid="ignore", divide="ignore"):
        rho = (ra * rb).sum(axis=1) / denominator
    return _squeeze(np.where(denominator > 0, rho, np.nan), a)


def sign_agreement(a: LocalExplanation, b: LocalExplanation, *, atol: float = 1e-12) -> np.ndarray:
    """Share of features whose attributions have the same sign, per row (zeros within ``atol`` match)."""
    _check_same_rows(a, b)
    sa = np.sign(np.where(np.abs(_values(a)) <= atol, 0.0, _values(a)))
    sb = np.sign(np.where(np.abs(_values(b)) <= atol, 0.0, _values(b)))
    return _squeeze((sa == sb).mean(axis=1), a)


def _top_k(values: np.ndarray, k: int) -> np.ndarray:
    """Boolean mask of each row's k largest |values| (ties by feature order), (n, d, k_out)."""
    order = np.argsort(-np.abs(values), axis=1, kind="stable")[:, :k]
    mask = np.zeros(values.shape, dtype=bool)
    np.put_along_axis(mask, order, True, axis=1)
    return mask


def top_k_jaccard(a: LocalExplanation, b: LocalExplanation, *, k: int = 5) -> np.ndarray:
    """Jaccard overlap of the two explanations' top-``k`` features (by |value|), per row."""
    _check_same_rows(a, b)
    if k < 1:
        raise InputError(f"k={k}; pass k >= 1.")
    k = min(k, a.n_features)
    ma, mb = _top_k(_values(a), k), _top_k(_values(b), k)
    return _squeeze((ma & mb).sum(axis=1) / (ma | mb).sum(axis=1), a)


def agreement(a: LocalExplanation, b: LocalExplanation, *, k: int = 5) -> pd.DataFrame:
    """Per-row agreement of two explanations of the same rows: one row per (row, output).

    Columns: ``row``, ``output``, ``spearman``, ``sign_agreement``, ``top_k_jaccard``.
    """
    _check_same_rows(a, b)
    per = {
        "spearman": rank_correlation(a, b),
        "sign_agreement": sign_agreement(a, b),
        "top_k_jaccard": top_k_jaccard(a, b, k=k),
    }
    n, outputs = a.n_rows, a.output_names
    frame = pd.DataFrame(
        {
            "row": np.repeat(np.arange(n), len(outputs)),
            "output": np.tile(np.array(outputs, dtype=object), n),
            **{name: np.asarray(v).reshape(n, -1).ravel() for name, v in per.items()},
        }
    )
    return frame


def _summary(frame: pd.DataFrame, metrics: Sequence[str], extra: dict[str, Any]) -> pd.DataFrame:
    rows = []
    for (output,), group in frame.groupby(["output"], sort=False):
        for metric in metrics:
            column = group[metric].astype(float)
            rows.append(
                {
                    "output": output,
                    "metric": metric,
                    "mean": column.mean(),
                    "median": column.median(),
                    "min": column.min(),
                    "q10": column.quantile(0.10),
                    "rows": int(column.notna().sum()),
                    **extra,
                }
            )
    return pd.DataFrame(rows)


def compare(a: LocalExplanation, b: LocalExplanation, *, k: int = 5) -> pd.DataFrame:
    """How much two explanations of the same rows agree, as a tidy summary table.

    One row per (output, metric) with the mean, median, minimum and 10th percentile over rows
    of: Spearman rank correlation, sign agreement, and top-``k`` Jaccard overlap.

    Examples
    --------
    >>> from sklearn.datasets import load_diabetes
    >>> from sklearn.ensemble import RandomForestRegressor
    >>> import explain as ex
    >>> X, y = load_diabetes(return_X_y=True, as_frame=True)
    >>> X = X.iloc[:, :6]
    >>> model = RandomForestRegressor(n_estimators=20, random_state=0).fit(X, y)
    >>> tree = ex.Explainer(model, background=X[:30]).explain_local(X[:10])
    >>> exact = ex.Explainer(model, background=X[:30], method="exact_shap").explain_local(X[:10])
    >>> table = ex.compare(tree, exact)
    >>> table[["metric", "mean"]].round(6).values.tolist()[0]
    ['spearman', 1.0]

    Two :class:`~explain.text_explanation.TextExplanation` of the same documents, cut into the
    same tokens (the same tokenizer), are compared token by token in the same way: per
    document, over its tokens (a document with fewer than two tokens has no rank order: NaN).
    """
    text = _text_pair(a, b)
    if text:
        frame = _text_agreement(a, b, k=k)
        return _summary(frame, ["spearman", "sign_agreement", "top_k_jaccard"], {"a": a.method, "b": b.method, "k": k})
    frame = agreement(a, b, k=k)
    extra = {"a": a.method, "b": b.method, "k": k}
    return _summary(frame, ["spearman", "sign_agreement", "top_k_jaccard"], extra)


def _text_pair(a: Any, b: Any) -> bool:
    """Whether ``a`` and ``b`` are two text explanations; an :class:`InputError` for a pair
    compare does not take."""
    from ..text_explanation import TextExplanation

    texts = isinstance(a, TextExplanation), isinstance(b, TextExplanation)
    tables = isinstance(a, LocalExplanation), isinstance(b, LocalExplanation)
    if all(texts):
        return True
    if not all(tables):
        raise InputError(
            f"compare takes two LocalExplanations of the same rows, or two TextExplanations of the same documents "
            f"and tokens; got {type(a).__name__} and {type(b).__name__}."
        )
    return False


def _text_agreement(a: Any, b: Any, *, k: int) -> pd.DataFrame:
    """Per-document agreement of two text explanations (one row per document and output)."""
    if k < 1:
        raise InputError(f"k={k}; pass k >= 1.")
    if a.tokens != b.tokens:
        same_docs = a.documents == b.documents
        raise InputError(
            "the two text explanations are not of the same "
            + ("tokens (the same documents cut differently: use the same tokenizer=)" if same_docs else "documents")
            + "; explain the same documents with the same tokenizer in both."
        )
    if a.output_names != b.output_names:
        raise InputError(
            f"the explanations are of different outputs ({list(a.output_names)} vs {list(b.output_names)}); "
            "use for_output() on both."
        )
    rows = []
    for r, (va, vb) in enumerate(zip(a.values, b.values, strict=True)):
        ma = np.reshape(np.asarray(va, dtype=float), (len(a.tokens[r]), a.n_outputs))
        mb = np.reshape(np.asarray(vb, dtype=float), (len(a.tokens[r]), a.n_outputs))
        for j, output in enumerate(a.output_names):
            rows.append({"row": r, "output": output, **_vector_agreement(ma[:, j], mb[:, j], k)})
    return pd.DataFrame(rows, columns=["row", "output", "spearman", "sign_agreement", "top_k_jaccard"])


def _vector_agreement(x: np.ndarray, y: np.ndarray, k: int, atol: float = 1e-12) -> dict[str, float]:
    """The three agreement numbers of two attribution vectors (as the table functions compute them)."""
    if not len(x):
        return {"spearman": np.nan, "sign_agreement": np.nan, "top_k_jaccard": np.nan}
    rx, ry = rankdata(x) - (len(x) + 1) / 2, rankdata(y) - (len(y) + 1) / 2
    denominator = float(np.sqrt((rx**2).sum() * (ry**2).sum()))
    sx, sy = np.sign(np.where(np.abs(x) <= atol, 0.0, x)), np.sign(np.where(np.abs(y) <= atol, 0.0, y))
    kk = min(k, len(x))
    top_x = set(np.argsort(-np.abs(x), kind="stable")[:kk].tolist())
    top_y = set(np.argsort(-np.abs(y), kind="stable")[:kk].tolist())
    return {
        "spearman": float((rx * ry).sum() / denominator) if denominator > 0 else np.nan,
        "sign_agreement": float((sx == sy).mean()),
        "top_k_jaccard": len(top_x & top_y) / len(top_x | top_y),
    }


def stability(
    explain_once: Callable[[int], LocalExplanation] | Sequence[LocalExplanation],
    *,
    n_runs: int = 5,
    k: int = 5,
    seeds: Sequence[int] | None = None,
) -> pd.DataFrame:
    """How stable explanations are when only their randomness changes.

    Pass either several explanations of the same rows, or a function ``seed -> explanation``
    (e.g. ``lambda s: Explainer(model, bg, random_state=s).explain_local(X)``, which also
    resamples the background when it is larger than ``background_size``). Every run is compared
    with the first; the summary table has, per output, the rank correlation and top-``k``
    Jaccard (mean, median, min, q10 over rows and runs).
    """
    if callable(explain_once):
        seeds = list(seeds) if seeds is not None else list(range(n_runs))
        runs = [explain_once(int(s)) for s in seeds]
    else:
        runs = list(explain_once)
    if len(runs) < 2:
        raise InputError("stability needs at least two runs to compare; pass n_runs >= 2.")
    frames = []
    for i, run in enumerate(runs[1:], start=1):
        frame = agreement(runs[0], run, k=k)
        frame["run"] = i
        frames.append(frame)
    return _summary(pd.concat(frames), ["spearman", "top_k_jaccard"], {"runs": len(runs), "k": k})
