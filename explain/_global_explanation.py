"""GlobalExplanation: one importance per feature, with spread and feature effects.

Re-exported by :mod:`explain.explanation`, where it belongs in the public API.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ._effects import FeatureEffect
from ._provenance import Provenance
from ._values import SCHEMA_VERSION, _Base, _frozen_array, freeze, thaw
from .errors import InputError

if TYPE_CHECKING:
    pass

__all__ = ["GlobalExplanation"]

# importances that summarise effect curves (their spread); .plot() draws the curves by default
_EFFECT_KINDS = ("partial_dependence", "partial_dependence_std", "ale_std")


@dataclass(frozen=True, eq=False, repr=False)
class GlobalExplanation(_Base):
    """One importance per feature (and per output), with an optional spread.

    Attributes
    ----------
    importances : ndarray, shape (n_features,) or (n_features, n_outputs)
    spread : ndarray of the same shape, or None
        How much the importance varies (for ``mean_abs_attribution``: the standard deviation of
        the absolute attributions across rows).
    kind : str
        What the importances are: ``"mean_abs_attribution"``, ``"permutation"``, ``"coefficient"``.
    """

    importances: np.ndarray
    spread: np.ndarray | None
    feature_names: tuple[str, ...]
    output_names: tuple[str, ...]
    output_space: str
    kind: str
    method: str
    params: Mapping[str, Any] = field(default_factory=dict)
    provenance: Provenance = field(default_factory=lambda: Provenance("", "", None, None))
    effects: tuple[FeatureEffect, ...] = ()

    def __post_init__(self) -> None:
        imp = _frozen_array(self.importances)
        d = len(self.feature_names)
        if imp.shape[0] != d or imp.ndim not in (1, 2):
            raise InputError(f"importances of shape {imp.shape} do not match {d} feature names.")
        spread = None if self.spread is None else _frozen_array(np.reshape(self.spread, imp.shape))
        object.__setattr__(self, "importances", imp)
        object.__setattr__(self, "spread", spread)
        object.__setattr__(self, "feature_names", tuple(str(f) for f in self.feature_names))
        object.__setattr__(self, "output_names", tuple(str(o) for o in self.output_names))
        object.__setattr__(self, "params", freeze(self.params))
        object.__setattr__(self, "effects", tuple(self.effects or ()))

    @property
    def is_multi_output(self) -> bool:
        return self.importances.ndim == 2

    def effect(self, feature: str) -> FeatureEffect:
        """The effect (partial dependence or shape function) of one feature."""
        for e in self.effects:
            if e.feature == feature:
                return e
        known = [e.feature for e in self.effects]
        raise InputError(f"no effect was computed for {feature!r}; effects exist for {known}.")

    def for_output(self, output: str | int) -> GlobalExplanation:
        """The importances of one output (a class name, or its position)."""
        j = self._output_index(output)
        if not self.is_multi_output:
            return self
        return replace(
            self,
            importances=self.importances[:, j],
            spread=None if self.spread is None else self.spread[:, j],
            output_names=(self.output_names[j],),
        )

    def to_frame(self) -> pd.DataFrame:
        """Importances as a DataFrame indexed by feature (one column per output)."""
        imp = self.importances if self.is_multi_output else self.importances[:, None]
        frame = pd.DataFrame(imp, index=pd.Index(self.feature_names, name="feature"), columns=list(self.output_names))
        if self.spread is not None:
            spread = self.spread if self.is_multi_output else self.spread[:, None]
            for j, name in enumerate(self.output_names):
                frame[f"{name} spread"] = spread[:, j]
        return frame

    def top(self, k: int = 10) -> pd.DataFrame:
        """The ``k`` most important features, largest first (ties by feature order)."""
        if k < 1:
            raise InputError(f"k={k}; pass k >= 1.")
        imp = self.importances if self.is_multi_output else self.importances[:, None]
        spread = None if self.spread is None else (self.spread if self.is_multi_output else self.spread[:, None])
        records = []
        for j, output in enumerate(self.output_names):
            for rank, f in enumerate(np.argsort(-imp[:, j], kind="stable")[:k], start=1):
                spread_f = None if spread is None else spread[f, j]
                records.append((output, rank, self.feature_names[f], imp[f, j], spread_f))
        return pd.DataFrame(records, columns=["output", "rank", "feature", "importance", "spread"])

    def to_dict(self) -> dict[str, Any]:
        from ._io import floats_to_json

        return {
            "schema": "explain.GlobalExplanation",
            "schema_version": SCHEMA_VERSION,
            "importances": floats_to_json(self.importances),
            "spread": None if self.spread is None else floats_to_json(self.spread),
            "feature_names": list(self.feature_names),
            "output_names": list(self.output_names),
            "output_space": self.output_space,
            "kind": self.kind,
            "method": self.method,
            "params": thaw(self.params),
            "provenance": self.provenance.to_dict(),
            "effects": [e.to_dict() for e in self.effects],
        }

    def __repr__(self) -> str:
        return (
            f"GlobalExplanation(kind={self.kind!r}, method={self.method!r}, features={self.n_features}, "
            f"outputs={list(self.output_names)}, output_space={self.output_space!r})"
        )

    def _repr_html_(self) -> str:
        from ._html import global_summary_html

        return global_summary_html(self)

    def plot(self, kind: str | None = None, **kwargs: Any) -> Any:
        """Draw the explanation with :mod:`explain.plots`.

        Parameters
        ----------
        kind : {"bar", "effects"}, optional
            By default ``"effects"`` for a partial dependence or ALE explanation (its curves are
            the result; its importances only summarise how much each curve varies) and
            ``"bar"`` otherwise. ``"bar"``: importances with their spread. ``"effects"``: the effect of
            ``feature=``, or without ``feature`` a grid of the most important features' effects;
            ``feature=("a", "b")`` draws the pair effect of two features (a glass box's pair
            term, see :func:`explain.plots.pair_effect`).
            Either returns a :class:`explain.plots.Plot` (shown as its figure in a notebook;
            ``.ax`` the Axes, ``.figure`` the Figure).
        **kwargs
            Passed to the plot function, e.g. ``max_display=``, ``output=``, ``ax=``, ``style=``.
        """
        from .plots._dispatch import plot_global

        if kind is None:
            kind = "effects" if self.effects and self.kind in _EFFECT_KINDS else "bar"
        return plot_global(self, kind, **kwargs)
