"""``Explainer.explain_interactions``: validate, choose the engine, run, check, wrap.

The rows and settings go through the same validation as ``explain_local`` (``Explainer._prepare``)
and the same method's ``support`` (so the output space is the one ``explain_local`` explains).
Engines: ``tree_shap`` (tree models; path-dependent without background, interventional with
it) and ``exact_shap`` (any model, few features, background); ``method="auto"`` takes the first
that applies. Before anything is returned the values are checked: finite, symmetric, each row
summing to its SHAP values, and those adding up to the model's own prediction
(:class:`~explain.errors.AdditivityError` otherwise).
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

import numpy as np

from ._interactions import InteractionExplanation
from ._model import OutputSpace
from .errors import AdditivityError, InputError, MethodError
from .methods import GLOBAL_REGISTRY, REGISTRY, Attribution, Job, MethodSpec, Unsupported

if TYPE_CHECKING:
    from .explainer import Explainer

__all__ = ["ENGINES", "explain_interactions"]

ENGINES = ("tree_shap", "exact_shap")  # the methods that have interaction values
ROW_RTOL = 1e-9  # symmetry and row sums, relative to the row's total |interaction|: rounding only
MAX_RESULT_BYTES = 4 << 30  # the values returned (n x d x d x k floats): beyond this, refused up front


def explain_interactions(explainer: Explainer, X: Any) -> InteractionExplanation:
    """See :meth:`explain.Explainer.explain_interactions`."""
    from .explainer import _check_additivity

    start = time.perf_counter()
    if explainer.method in GLOBAL_REGISTRY or (explainer.method != "auto" and explainer.method not in ENGINES):
        explainer._spec(explainer.method)  # an unknown name: the Explainer's own message
        raise MethodError(
            f"method={explainer.method!r} has no interaction values; they are computed by 'tree_shap' (tree models) "
            "and 'exact_shap' (any model with up to 15 features, over a background). Pass method='auto' (or one of "
            "them) to the Explainer."
        )
    from .distributed import is_dask_collection

    if is_dask_collection(X):
        raise InputError(
            "explain_interactions takes rows in memory, not a dask collection: its values take n x d x d floats. "
            "Pass the rows to study (e.g. X.head(5000) or a sample computed with .compute())."
        )
    job, bg_note = explainer._prepare(X)
    _check_size(job)
    spec, space, notes = _choose(explainer.method, job)
    from .methods._interaction_engines import exact_interactions, tree_interactions

    try:
        run = tree_interactions if spec.name == "tree_shap" else exact_interactions
        values, phi, base, params = run(job, space)
    except Unsupported as exc:  # found once the work started: still a refusal, not a crash
        raise MethodError(f"method {spec.name!r} cannot compute interaction values here: {exc}.") from None
    predictions = job.predict(job.X.encoded, space)
    _check_additivity(job, spec, space, Attribution(phi, base, params), predictions)
    _check_interactions(spec.name, values, phi)
    k = values.shape[3]
    if k == 1:
        values, base, predictions = values[..., 0], base[:, 0], predictions[:, 0]
    schema = job.X.schema
    all_params = {**dict(spec.defaults), **dict(job.params), **params, **bg_note, **notes}
    all_params["output_requested"] = explainer.output
    all_params["interaction_definition"] = DEFINITION
    return InteractionExplanation(
        values=values, base_values=base, data=job.X.values, predictions=predictions,
        feature_names=schema.feature_names, output_names=job.model.output_names(k), output_space=space,
        method=spec.name, params=all_params, provenance=explainer._provenance(job, start),
        feature_kinds=tuple(c.kind for c in schema.columns),
    )  # fmt: skip


DEFINITION = (
    "values[i, j] (i != j) is half the Shapley interaction index of features i and j (Lundberg et al. 2020, "
    "shap's shap_interaction_values); values[i, i] is the SHAP value of i minus its interactions, so each row "
    "sums over its last axis to the SHAP values"
)


def _choose(method: str, job: Job) -> tuple[MethodSpec, OutputSpace, dict[str, Any]]:
    """The engine for ``method`` ('auto': tree_shap, then exact_shap), and the output space.

    Under 'auto' a model that ``tree_shap`` explains gets tree interaction values or a refusal,
    never exact_shap's: their rows would not sum to the values ``explain_local`` returns."""
    from .methods._interaction_engines import tree_support

    names = ENGINES if method == "auto" else (method,)
    skipped: dict[str, str] = {}
    for name in names:
        spec = REGISTRY[name]
        try:
            space = spec.support(job)
        except Unsupported as exc:
            skipped[name] = (_exact_too_wide(job) if name == "exact_shap" else None) or str(exc)
            continue
        try:
            if name == "tree_shap":
                tree_support(job, space)
        except Unsupported as exc:
            raise MethodError(f"tree_shap cannot compute interaction values for this model: {exc}.") from None
        if method != "auto":
            return spec, space, {}
        reason = "the first engine of the auto order (tree_shap, exact_shap) that can compute interaction values"
        return spec, space, {"auto": {"chosen": name, "skipped": skipped, "reason": reason}}
    if method != "auto":
        hint = "" if skipped[method] == _exact_too_wide(job) else " Pass method='auto' to use the engine that can."
        raise MethodError(
            f"method {method!r} cannot compute interaction values for this model: {skipped[method]}.{hint}"
        )
    reasons = "; ".join(f"{k}: {v}" for k, v in skipped.items())
    raise MethodError(f"no engine can compute interaction values for this model as configured ({reasons}).")


def _exact_too_wide(job: Job) -> str | None:
    """The refusal for exact_shap over too many features, or None when that is not why it refused.

    exact_shap's own reason advises kernel_shap / permutation_shap / linear_shap, which have no
    interaction values: advice for ``explain_interactions`` must not send the user there."""
    from .methods.exact_shap import MAX_FEATURES

    limit = job.params.get("max_features", MAX_FEATURES)
    if not isinstance(limit, (int, np.integer)) or job.n_features <= limit:
        return None
    return (
        f"interaction values of a model that is not a tree model need exact enumeration of all 2^d "
        f"coalitions, limited to {limit} features; this data has {job.n_features}. Select at most {limit} "
        "features (a model trained on them), use a tree model (tree_shap has interaction values at any size), "
        "or use explain_local for SHAP values without interactions"
    )


def _check_size(job: Job) -> None:
    """Refuse, before any work, values that would not fit in memory (every output of a multiclass model)."""
    n, d = job.X.n_rows, job.n_features
    classes = len(job.model.classes or ()) if job.model.is_classifier else 1
    size = 8 * n * d * d * (classes if classes > 2 else 1)
    if size > MAX_RESULT_BYTES:
        rows = max(1, MAX_RESULT_BYTES // max(1, size // max(n, 1)))
        raise InputError(
            f"the interaction values of {n} rows x {d} x {d} features would take {size / 2**30:.1f} GiB; explain at "
            f"most {rows} rows at a time (the interactions of a sample usually suffice for to_global())."
        )


def _check_interactions(method: str, values: np.ndarray, phi: np.ndarray) -> None:
    """Raise :class:`AdditivityError` unless the values are finite, symmetric and each row sums to
    its SHAP values, within rounding: numbers that fail are a bug and are not returned."""
    n, d = phi.shape[:2]
    if values.shape != (n, d, d, phi.shape[2]):
        raise AdditivityError(
            f"{method} returned interaction values of shape {values.shape} for SHAP values of shape {phi.shape}. "
            "This is a bug in explain: please report it with the model type."
        )
    if not np.isfinite(values).all():
        raise AdditivityError(f"{method} returned non-finite interaction values. This is a bug in explain: please "
                              "report it with the model type and parameters.")  # fmt: skip
    scale = 1.0 + np.abs(values).sum(axis=(1, 2))  # (n, k)
    asymmetry = np.abs(values - np.swapaxes(values, 1, 2)).max(axis=(1, 2))
    row_gap = np.abs(values.sum(axis=2) - phi).max(axis=1)
    for what, gap in (("are not symmetric", asymmetry), ("do not sum to the SHAP values", row_gap)):
        if np.any(gap > ROW_RTOL * scale):
            raise AdditivityError(
                f"{method} interaction values {what}: off by up to {float(gap.max()):.3g}; they are not returned. "
                "This is a bug in explain: please report it with the model's type and parameters."
            )
