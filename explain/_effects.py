"""Feature effects: how the prediction moves with one feature (partial dependence, ALE, shape functions)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .errors import InputError

__all__ = ["FeatureEffect"]


def _read_only(a: Any) -> np.ndarray:
    out = np.array(a, dtype=float, copy=True)
    out.setflags(write=False)
    return out


@dataclass(frozen=True, eq=False)
class FeatureEffect:
    """The effect of one feature on the prediction, on a grid of its values.

    Attributes
    ----------
    feature : str
    kind : str
        ``"partial_dependence"`` (average over the data of the prediction with the feature set to
        each grid value), ``"accumulated_local_effects"`` (ALE, Apley and Zhu 2020: the local
        differences of the prediction within intervals of the feature, accumulated over the
        grid and centred to mean zero over the rows; the grid holds the interval edges, or the
        categories in the order they were accumulated in, see :mod:`explain.methods.ale`),
        ``"shape_function"`` (a glass-box model's own term) or ``"coefficient"``.
    grid : tuple
        The feature's values: numbers, or category labels for a categorical feature.
    average : ndarray, shape (len(grid),) or (len(grid), n_outputs)
    lower, upper : ndarray of the same shape, or None
        A band around the average: for partial dependence, the 10th and 90th percentiles of the
        individual conditional expectation (ICE) curves; None for accumulated local effects.
    """

    feature: str
    kind: str
    grid: tuple[Any, ...]
    average: np.ndarray
    lower: np.ndarray | None = None
    upper: np.ndarray | None = None

    def __post_init__(self) -> None:
        average = _read_only(self.average)
        if average.shape[0] != len(self.grid):
            raise InputError(
                f"effect of {self.feature!r}: {average.shape[0]} averages for {len(self.grid)} grid points."
            )
        object.__setattr__(self, "grid", tuple(v.item() if isinstance(v, np.generic) else v for v in self.grid))
        object.__setattr__(self, "average", average)
        for name in ("lower", "upper"):
            band = getattr(self, name)
            if band is not None:
                object.__setattr__(self, name, _read_only(np.reshape(band, average.shape)))

    def to_dict(self) -> dict[str, Any]:
        from ._io import _scalar, floats_to_json

        return {
            "feature": self.feature,
            "kind": self.kind,
            "grid": [_scalar(v) for v in self.grid],
            "average": floats_to_json(self.average),
            "lower": None if self.lower is None else floats_to_json(self.lower),
            "upper": None if self.upper is None else floats_to_json(self.upper),
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> FeatureEffect:
        from ._io import floats_from_json

        return cls(
            feature=str(d["feature"]),
            kind=str(d["kind"]),
            grid=tuple(d["grid"]),
            average=floats_from_json(d["average"], "average"),
            lower=None if d.get("lower") is None else floats_from_json(d["lower"], "lower"),
            upper=None if d.get("upper") is None else floats_from_json(d["upper"], "upper"),
        )
