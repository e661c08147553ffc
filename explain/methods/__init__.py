"""The registry of explanation methods.

Adding a method is one new module with a ``METHOD = MethodSpec(...)`` and one entry in
``_ALL`` below. The order of ``AUTO_ORDER`` is the order in which ``method="auto"`` tries them:
the model's own exact decomposition, then exact Shapley methods that read the model, then exact
enumeration when it scores no more model rows than sampling would (:func:`exact_or_sampled`),
then sampling.
"""

from __future__ import annotations

from types import MappingProxyType

from .._model import OutputSpace
from . import (
    ale,
    exact_shap,
    glassbox,
    kernel_shap,
    lime,
    linear_shap,
    partial_dependence,
    permutation_importance,
    permutation_shap,
    tree_shap,
)
from ._base import Attribution, Job, MethodSpec, Unsupported

__all__ = [
    "AUTO_ORDER",
    "GLOBAL_REGISTRY",
    "REGISTRY",
    "Attribution",
    "Job",
    "MethodSpec",
    "Unsupported",
    "choose_auto",
    "exact_or_sampled",
]

_ALL = (
    tree_shap.METHOD,
    linear_shap.METHOD,
    exact_shap.METHOD,
    kernel_shap.METHOD,
    permutation_shap.METHOD,
    glassbox.METHOD,
    lime.METHOD,
)
REGISTRY = MappingProxyType({m.name: m for m in _ALL})
# global-only methods: they explain the model as a whole (Explainer.explain_global)
GLOBAL_REGISTRY = MappingProxyType(
    {m.name: m for m in (permutation_importance.SPEC, partial_dependence.SPEC, ale.SPEC)}
)
AUTO_ORDER = ("tree_shap", "linear_shap", "exact_shap", "kernel_shap")


def exact_or_sampled(job: Job) -> tuple[bool, str]:
    """Whether ``method="auto"`` enumerates (``exact_shap``) rather than samples (``kernel_shap``),
    and why: exact when it scores no more model rows than kernel_shap would with its settings.

    Per explained row, exact_shap scores ``(2^d - 2) * N`` rows (every coalition but the empty
    and the full one, ``N`` background rows each) and kernel_shap ``min(nsamples, 2^d - 2) * N``
    (its ``nsamples``, or every coalition when they are fewer, which is then exact too).
    """
    d = job.n_features
    n_bg = 1 if job.background is None else job.background.n_rows
    nsamples = kernel_shap.settings(job)[0]
    exact_rows = exact_shap.model_rows(d, n_bg)
    sampled_rows = kernel_shap.n_coalitions(d, nsamples) * n_bg
    if exact_rows <= sampled_rows:
        return True, (
            f"exact_shap scores 2^{d} - 2 coalitions x {n_bg} background rows = {exact_rows} model rows "
            f"per explained row, no more than kernel_shap with nsamples={nsamples} ({sampled_rows})"
        )
    return False, (
        f"2^{d} - 2 coalitions x {n_bg} background rows = {exact_rows} model rows per explained row, more "
        f"than kernel_shap with nsamples={nsamples} ({sampled_rows})"
    )


def choose_auto(job: Job) -> tuple[MethodSpec, OutputSpace, dict[str, object]]:
    """The first method of the auto order that can explain ``job``, its output space, and the
    record of the choice (``{"chosen", "skipped", "reason"}``), for ``params["auto"]``.

    Raises :class:`Unsupported` with every method's reason when none can.
    """
    skipped: dict[str, str] = {}
    reason = "the first method in the auto order that supports the model"
    order = (("glassbox",) if hasattr(job.model.estimator, "term_features_") else ()) + AUTO_ORDER  # EBM, GAM
    for name in order:
        spec = REGISTRY[name]
        try:
            space = spec.support(job)
        except Unsupported as exc:
            skipped[name] = str(exc)
            continue
        if name == "exact_shap":
            exact, why = exact_or_sampled(job)
            if not exact:
                skipped[name] = why
                continue
            reason = why
        return spec, space, {"chosen": name, "skipped": skipped, "reason": reason}
    raise Unsupported("; ".join(f"{k}: {v}" for k, v in skipped.items()))
