"""Settings of a method checked before any data is read (at ``Explainer(...)`` construction).

Each method checks its own ``method_params`` when it runs; the checks that need no data are run
here too, so that a typo such as ``engine="gpu"`` fails at once rather than after the rows are
read. Settings whose bounds depend on the data (``permutation_shap``'s ``max_evals >= 2d + 1``)
are checked against one feature here and against the data's own width when the method runs.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, cast

__all__ = ["check_method_params"]


@dataclass(frozen=True)
class _Settings:
    """What a method's own settings check reads of a job: its params and its width."""

    params: Mapping[str, Any] = field(default_factory=dict)
    n_features: int = 1


def _through_job(check: Callable[[Any], Any]) -> Callable[[Mapping[str, Any]], None]:
    def run(params: Mapping[str, Any]) -> None:
        check(cast(Any, _Settings(params)))

    return run


def _checks() -> dict[str, Callable[[Mapping[str, Any]], None]]:
    from . import ale, exact_shap, kernel_shap, lime, partial_dependence, permutation_importance, permutation_shap

    return {
        "exact_shap": exact_shap.check_settings,
        "kernel_shap": _through_job(kernel_shap.settings),
        "permutation_shap": _through_job(permutation_shap.settings),
        "lime": _through_job(lime._settings),
        "permutation_importance": permutation_importance.check_settings,
        "partial_dependence": partial_dependence.check_settings,
        "ale": ale.check_settings,
    }


def check_method_params(method: str, params: Mapping[str, Any]) -> None:
    """Raise :class:`~explain.errors.MethodError` for a setting of ``method`` that no data can make right."""
    check = _checks().get(method)
    if check is not None:
        check(params)
