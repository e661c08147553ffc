"""Feature effects: how the prediction moves with one feature (partial dependence, ALE, shape
functions), or with a pair of features together (a glass-box model's pair term)."""

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
    """The effect of one feature on the prediction, on a grid of its values; or of two features
    together, on the grid of every combination of their values.

    Attributes
    ----------
    feature : str, or tuple of two str
        The feature; for a pair effect, the two features ``(a, b)``.
    kind : str
        ``"partial_dependence"`` (average over the data of the prediction with the feature set to
        each grid value), ``"accumulated_local_effects"`` (ALE, Apley and Zhu 2020: the local
        differences of the prediction within intervals of the feature, accumulated over the
        grid and centred to mean zero over the rows; the grid holds the interval edges, or the
        categories in the order they were accumulated in, see :mod:`explain.methods.ale`),
        ``"shape_function"`` (a glass-box model's own term), ``"coefficient"``, or
        ``"pair_shape_function"`` (a glass-box model's own term of two features).
    grid : tuple
        The feature's values: numbers, or category labels for a categorical feature. For a pair
        effect, two such grids: ``(grid_a, grid_b)``.
    average : ndarray, shape (len(grid),) or (len(grid), n_outputs)
        For a pair effect, ``(len(grid_a), len(grid_b))`` or ``(len(grid_a), len(grid_b),
        n_outputs)``: the value at ``a = grid_a[p]``, ``b = grid_b[q]`` is ``average[p, q]``.
    lower, upper : ndarray of the same shape, or None
        A band around the average: for partial dependence, the 10th and 90th percentiles of the
        individual conditional expectation (ICE) curves; None for accumulated local effects.

    Examples
    --------
    >>> from explain._effects import FeatureEffect
    >>> pair = FeatureEffect(("age", "city"), "pair_shape_function", ((30, 60), ("Oslo", "Rome", "Lima")),
    ...                      [[0.1, -0.2, 0.0], [0.3, 0.0, -0.1]])
    >>> pair.is_pair, pair.features, pair.average.shape
    (True, ('age', 'city'), (2, 3))
    """

    feature: str | tuple[str, str]
    kind: str
    grid: tuple[Any, ...]
    average: np.ndarray
    lower: np.ndarray | None = None
    upper: np.ndarray | None = None

    def __post_init__(self) -> None:
        average = _read_only(self.average)
        if isinstance(self.feature, (tuple, list)):
            self._check_pair(average)
        elif average.ndim == 0 or average.shape[0] != len(self.grid):
            raise InputError(
                f"effect of {self.feature!r}: {len(average) if average.ndim else 0} averages for {len(self.grid)} "
                "grid points."
            )
        else:
            object.__setattr__(self, "grid", _plain(self.grid))
        object.__setattr__(self, "average", average)
        for name in ("lower", "upper"):
            band = getattr(self, name)
            if band is not None:
                object.__setattr__(self, name, _read_only(np.reshape(band, average.shape)))

    def _check_pair(self, average: np.ndarray) -> None:
        names, grids = tuple(self.feature), tuple(self.grid)
        if len(names) != 2 or not all(isinstance(n, str) for n in names) or names[0] == names[1]:
            raise InputError(f"a pair effect names two different features, not {names!r}.")
        if len(grids) != 2 or not all(isinstance(g, (tuple, list, np.ndarray)) for g in grids):
            raise InputError(f"the effect of {names!r} should hold two grids, one per feature.")
        sizes = (len(grids[0]), len(grids[1]))
        if average.ndim not in (2, 3) or average.shape[:2] != sizes:
            raise InputError(f"effect of {names!r}: a table of shape {average.shape} for grids of {sizes} points.")
        object.__setattr__(self, "feature", (str(names[0]), str(names[1])))
        object.__setattr__(self, "grid", (_plain(grids[0]), _plain(grids[1])))

    @property
    def is_pair(self) -> bool:
        """Whether this is the effect of two features together."""
        return isinstance(self.feature, tuple)

    @property
    def features(self) -> tuple[str, ...]:
        """The feature, or the two features of a pair effect, as a tuple."""
        return self.feature if isinstance(self.feature, tuple) else (self.feature,)

    def to_dict(self) -> dict[str, Any]:
        from ._io import _scalar, floats_to_json

        grid: list[Any] = (
            [[_scalar(v) for v in g] for g in self.grid] if self.is_pair else [_scalar(v) for v in self.grid]
        )
        return {
            "feature": list(self.feature) if isinstance(self.feature, tuple) else self.feature,
            "kind": self.kind,
            "grid": grid,
            "average": floats_to_json(self.average),
            "lower": None if self.lower is None else floats_to_json(self.lower),
            "upper": None if self.upper is None else floats_to_json(self.upper),
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> FeatureEffect:
        from ._io import floats_from_json

        pair = isinstance(d["feature"], list)
        return cls(
            feature=tuple(d["feature"]) if pair else str(d["feature"]),  # type: ignore[arg-type]  # checked
            kind=str(d["kind"]),
            grid=tuple(tuple(g) for g in d["grid"]) if pair else tuple(d["grid"]),
            average=floats_from_json(d["average"], "average"),
            lower=None if d.get("lower") is None else floats_from_json(d["lower"], "lower"),
            upper=None if d.get("upper") is None else floats_from_json(d["upper"], "upper"),
        )


def _plain(grid: Any) -> tuple[Any, ...]:
    """A grid as a tuple of Python values (numpy scalars unwrapped)."""
    return tuple(v.item() if isinstance(v, np.generic) else v for v in grid)
