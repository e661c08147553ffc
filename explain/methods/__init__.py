"""The registry of explanation methods.

Adding a method is one new module with a ``METHOD = MethodSpec(...)`` and one entry in
``_ALL`` below. The order of ``AUTO_ORDER`` is the order in which ``method="auto"`` tries them:
the model's own exact decomposition, then exact Shapley methods that read the model, then exact
enumeration when it needs no more model calls than sampling would, then sampling.
"""

from __future__ import annotations

from types import MappingProxyType

from . import (
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

__all__ = ["AUTO_ORDER", "GLOBAL_REGISTRY", "REGISTRY", "Attribution", "Job", "MethodSpec", "Unsupported"]

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
GLOBAL_REGISTRY = MappingProxyType({m.name: m for m in (permutation_importance.SPEC, partial_dependence.SPEC)})
AUTO_ORDER = ("tree_shap", "linear_shap", "exact_shap", "kernel_shap")
