"""What ``LocalExplanation.plot`` and ``GlobalExplanation.plot`` draw for each ``kind``."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import InputError

if TYPE_CHECKING:
    from ..explanation import GlobalExplanation, LocalExplanation

__all__ = ["GLOBAL_KINDS", "LOCAL_KINDS", "plot_global", "plot_local"]

LOCAL_KINDS = ("waterfall", "bar", "beeswarm", "dependence", "reasons", "heatmap", "decision", "violin")
GLOBAL_KINDS = ("bar", "effects")


def _check_kind(kind: str, kinds: tuple[str, ...], what: str) -> None:
    if kind not in kinds:
        raise InputError(f"kind={kind!r} is not a plot of a {what}; choose one of {list(kinds)} (or None).")


def plot_local(exp: LocalExplanation, kind: str | None = None, **kwargs: Any) -> Any:
    """Draw a local explanation: waterfall for one row, beeswarm for many, or the ``kind`` asked."""
    from . import bar, beeswarm, decision, dependence, heatmap, reasons, violin, waterfall

    if kind is None:
        kind = "waterfall" if exp.n_rows == 1 else "beeswarm"
    _check_kind(kind, LOCAL_KINDS, "LocalExplanation")
    if kind == "dependence" and "feature" not in kwargs:
        kwargs["feature"] = _top_feature(exp, kwargs.get("output"))
    plots: dict[str, Callable[..., Any]] = {
        "waterfall": waterfall,
        "bar": bar,
        "beeswarm": beeswarm,
        "dependence": dependence,
        "reasons": reasons,
        "heatmap": heatmap,
        "decision": decision,
        "violin": violin,
    }
    return plots[kind](exp, **kwargs)


def plot_global(glob: GlobalExplanation, kind: str | None = None, **kwargs: Any) -> Any:
    """Draw a global explanation: importance bars, or its effects (one feature, or a grid)."""
    from . import bar, effects, effects_grid

    kind = "bar" if kind is None else kind
    _check_kind(kind, GLOBAL_KINDS, "GlobalExplanation")
    if kind == "bar":
        return bar(glob, **kwargs)
    feature = kwargs.pop("feature", None)
    if feature is None:
        return effects_grid(glob, **kwargs)
    return effects(glob, feature, **kwargs)


def _top_feature(exp: LocalExplanation, output: str | int | None) -> str:
    """The feature with the largest mean |attribution| (the natural first dependence plot)."""
    from ._common import select_output

    values = np.abs(select_output(exp, output).values).mean(axis=0)
    return exp.feature_names[int(np.argmax(values))]
