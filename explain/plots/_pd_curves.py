"""Partial dependence and ICE curves for the plots that draw them from the model itself.

:func:`~explain.plots.ice` and :func:`~explain.plots.partial_dependence_2d` need what a
:class:`~explain.GlobalExplanation` of ``method="partial_dependence"`` does not keep: every row's
own curve, or the average over a grid of two features. This module computes them the way
:mod:`explain.methods.partial_dependence` computes the effects it keeps, with its own steps (the
same validated rows, output space, ``response_method``, integer columns as float, categorical
columns, and :func:`sklearn.inspection.partial_dependence` on the same estimator), so that the
average drawn here is the one ``explain_global`` returns. (Were that method to keep the
individual curves, these plots could draw from the explanation alone.)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from ..errors import FeatureMismatchError, InputError, MethodError

__all__ = ["Curves", "pd_curves"]


@dataclass(frozen=True)
class Curves:
    """The partial dependence of one feature (with its ICE curves) or of two features together."""

    features: tuple[str, ...]
    kinds: tuple[str, ...]  # "numeric" or "categorical", per feature
    grids: tuple[np.ndarray, ...]  # per feature
    average: np.ndarray  # (k, g) or (k, g1, g2)
    individual: np.ndarray | None  # (k, n, g) for one feature asked with its ICE curves
    observed: tuple[np.ndarray, ...]  # the rows' own values of each feature
    output_space: str
    output_names: tuple[str, ...]

    def output_index(self, output: str | int | None) -> int:
        """The position of the output drawn: the only one, or the one named (a name or position)."""
        names = self.output_names
        if output is None:
            if len(names) > 1:
                raise InputError(
                    f"the model has {len(names)} outputs {list(names)}; pass output= with one of them (a name "
                    f"or its position), e.g. output={names[-1]!r}."
                )
            return 0
        if isinstance(output, (int, np.integer)) and not isinstance(output, bool):
            if -len(names) <= output < len(names):
                return int(output) % len(names)
        elif str(output) in names:
            return names.index(str(output))
        raise InputError(f"output={output!r}; there is no output named so: choose one of {list(names)}.")


def pd_curves(
    source: Any,
    X: Any,
    features: Sequence[str],
    *,
    kind: Literal["average", "both"],
    grid_resolution: int,
    percentiles: tuple[float, float],
) -> Curves:
    """Partial dependence of ``features`` (one: with ICE curves if ``kind="both"``; two: jointly).

    ``source`` is an :class:`~explain.Explainer` (its model, output, task and names are used; its
    method is not) or a fitted model.
    """
    from sklearn.inspection import partial_dependence

    from ..methods._base import free_output
    from ..methods._global import GlobalJob
    from ..methods._sklearn_view import sklearn_estimator
    from ..methods.partial_dependence import (
        categorical_columns,
        declared_order,
        float_columns,
        response_method,
        with_float_columns,
    )

    job = _job(source, X, grid_resolution, percentiles)
    schema = job.X.schema
    names = list(schema.feature_names)
    unknown = [f for f in features if f not in names]
    if unknown:
        raise FeatureMismatchError(f"features {unknown} are not columns of X; choose among {names}.")
    space = free_output(job)
    X_model = job.model_input(job.X)
    as_float = float_columns(schema)
    if as_float:
        X_model = with_float_columns(X_model, as_float)
    use_names = schema.container != "numpy"
    positions = [names.index(f) for f in features]
    asked = list(features) if use_names else positions  # two features: their joint partial dependence
    method = response_method(GlobalJob(job, None, tuple(features)), space)
    categorical = (categorical_columns(schema) or None) if use_names else None
    try:
        result = partial_dependence(
            sklearn_estimator(job.model), X_model, asked, kind=kind, grid_resolution=int(grid_resolution),
            percentiles=tuple(percentiles), response_method=method, categorical_features=categorical,
            method="brute",  # as kind="both" forces in explain's method (trees would use "recursion")
        )  # fmt: skip
    except (ValueError, TypeError) as exc:  # scikit-learn's own checks of the grid and the columns
        raise MethodError(
            f"scikit-learn's partial_dependence refused {list(features)} ({type(exc).__name__}: {exc}). A column "
            "with fewer distinct values than the percentiles span needs wider percentiles, e.g. (0, 1)."
        ) from exc
    average = np.asarray(result["average"], dtype=float)
    individual = np.asarray(result["individual"], dtype=float) if kind == "both" else None
    grids = []
    for axis, (j, grid) in enumerate(zip(positions, result["grid_values"], strict=True)):
        # scikit-learn sorts a categorical grid; a pandas Categorical's declared order is the user's
        declared = schema.columns[j].categories if categorical and schema.feature_names[j] in categorical else None
        order = declared_order(grid, declared)
        grids.append(np.asarray(grid)[order])
        average = np.take(average, order, axis=axis + 1)
        individual = None if individual is None else np.take(individual, order, axis=-1)
    return Curves(
        features=tuple(features),
        kinds=tuple(schema.columns[j].kind for j in positions),
        grids=tuple(grids),
        average=average,
        individual=individual,
        observed=tuple(np.asarray(job.X.values[:, j]) for j in positions),
        output_space=space,
        output_names=job.model.output_names(average.shape[0]),
    )


def _job(source: Any, X: Any, grid_resolution: int, percentiles: tuple[float, float]) -> Any:
    """The validated rows and model, as ``Explainer(..., method="partial_dependence")`` reads them."""
    from .._global_explanation import GlobalExplanation
    from ..explainer import Explainer
    from ..explanation import LocalExplanation

    if isinstance(source, (LocalExplanation, GlobalExplanation)):
        raise InputError(
            f"this plot was given a {type(source).__name__}; it calls the model on X itself: pass the model or "
            "its Explainer, and X (e.g. ice(explainer, X, 'age'))."
        )
    settings = {"grid_resolution": grid_resolution, "percentiles": percentiles}
    if isinstance(source, Explainer):  # its model, output space and names; the method is ours
        explainer = Explainer(
            source.model, method="partial_dependence", output=source.output, task=source.task,
            feature_names=source.feature_names, class_names=source.class_names, method_params=settings,
        )  # fmt: skip
    else:
        explainer = Explainer(source, method="partial_dependence", method_params=settings)
    job, _ = explainer._prepare(X, need_background=False)
    if job.model.kind == "callable":
        raise MethodError(
            "this plot needs a fitted estimator (scikit-learn calls it); a plain function cannot be passed to "
            "sklearn.inspection.partial_dependence."
        )
    if job.X.n_rows < 2:
        raise InputError(
            f"X has {job.X.n_rows} row; partial dependence takes its grid and its average from the rows of X: pass "
            "at least 2 (a sample of the data)."
        )
    return job
