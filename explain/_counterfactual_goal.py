"""The decision a counterfactual must reach (:class:`Goal`), read from ``desired=`` and ``threshold=``.

Private: see :func:`explain.counterfactuals`. A goal turns the model's output for candidate rows
into three things: whether each reaches the desired outcome, how far it is from it (a ``gap``
that only ranks candidates in the search), and the outcome it gets (a class label, or the
prediction of a regressor).

Decision rules
--------------
binary classifier
    ``P(positive class) >= threshold`` (default 0.5) decides the positive class (``classes[1]``),
    otherwise the negative one. ``desired`` is a class label, or ``"flip"`` (each row wants the
    other class).
multiclass classifier
    The class of highest probability (the first one on a tie, as ``numpy.argmax``). ``desired``
    is a class label, or ``"flip"`` (any class but the row's own). With ``threshold=`` a row
    reaches the desired class when its probability is at least ``threshold``.
regressor
    ``desired=(low, high)``: the prediction within ``[low, high]``; ``None`` for an open side.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from ._model import ModelAdapter, OutputSpace
from .errors import InputError

__all__ = ["Goal", "read_goal"]

GoalKind = Literal["binary", "multiclass", "regression"]
FLIP = "flip"


@dataclass(frozen=True)
class Goal:
    """What each explained row must reach. ``target`` holds one entry per explained row: for a
    binary classifier 1 (the positive class) or 0; for a multiclass one the index of the desired
    class, or ``-1 - c`` for "any class but c"."""

    kind: GoalKind
    space: OutputSpace
    classes: tuple[Any, ...] | None
    threshold: float | None
    target: np.ndarray
    low: float = -np.inf
    high: float = np.inf

    def reached(self, out: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """Whether each candidate (model output ``out``, of explained row ``rows``) reaches its row's goal."""
        if self.kind == "regression":
            y = out[:, 0]
            return (y >= self.low) & (y <= self.high)
        if self.kind == "binary":
            positive = out[:, 0] >= self.threshold
            return positive == (self.target[rows] == 1)
        target = self.target[rows]
        want = np.where(target >= 0, target, -1 - target)
        if self.threshold is not None:
            hit = out[np.arange(len(rows)), want] >= self.threshold
        else:
            hit = np.argmax(out, axis=1) == want
        return np.where(target >= 0, hit, np.argmax(out, axis=1) != want)

    def gap(self, out: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """How far each candidate is from its goal (0 when reached): ranks candidates, nothing more."""
        reached = self.reached(out, rows)
        if self.kind == "regression":
            y = out[:, 0]
            far = np.maximum(self.low - y, 0.0) + np.maximum(y - self.high, 0.0)
        elif self.kind == "binary":
            far = np.abs(out[:, 0] - float(self.threshold))  # type: ignore[arg-type]
        else:
            target = self.target[rows]
            want = np.where(target >= 0, target, -1 - target)
            own = out[np.arange(len(rows)), want]
            others = out.copy()
            others[np.arange(len(rows)), want] = -np.inf
            best_other = others.max(axis=1)
            if self.threshold is not None:
                far = np.where(target >= 0, np.maximum(self.threshold - own, 0.0), own - best_other)
            else:
                far = np.where(target >= 0, best_other - own, own - best_other)
            far = np.abs(far)
        # a candidate that misses its goal is never "0 away" (it may sit exactly at a cut-off)
        return np.where(reached, 0.0, far + 1e-12)

    def score(self, out: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """The number the decision is read from: P(positive class); the probability of the
        desired class (of the row's own class for ``"flip"``); the prediction of a regressor."""
        if self.kind != "multiclass":
            return out[:, 0].copy()
        target = self.target[rows]
        return out[np.arange(len(rows)), np.where(target >= 0, target, -1 - target)]

    def outcome(self, out: np.ndarray) -> list[Any]:
        """The decided outcome of each output row: a class label, or the prediction."""
        if self.kind == "regression":
            return [float(v) for v in out[:, 0]]
        assert self.classes is not None
        if self.kind == "binary":
            return [self.classes[1] if p >= self.threshold else self.classes[0] for p in out[:, 0]]
        return [self.classes[i] for i in np.argmax(out, axis=1)]

    def describe(self, row: int) -> Any:
        """The desired outcome of an explained row, as data: a label, ``"not <label>"`` or ``[low, high]``."""
        if self.kind == "regression":
            return [_finite_or_none(self.low), _finite_or_none(self.high)]
        assert self.classes is not None
        t = int(self.target[row])
        if self.kind == "binary":
            return self.classes[t]
        return self.classes[t] if t >= 0 else f"not {self.classes[-1 - t]}"


def _finite_or_none(value: float) -> float | None:
    return float(value) if np.isfinite(value) else None


def _classes(model: ModelAdapter, n_outputs: int) -> tuple[Any, ...]:
    if model.classes is not None:
        return tuple(model.classes)
    return (0, 1) if n_outputs == 1 else tuple(range(n_outputs))


def read_goal(model: ModelAdapter, out: np.ndarray, desired: Any, threshold: Any) -> Goal:
    """The :class:`Goal` that ``desired`` and ``threshold`` ask for, given the model's outputs
    ``out`` of the explained rows (probabilities for classifiers, predictions for regressors)."""
    n = out.shape[0]
    if not model.is_classifier:
        if threshold is not None:
            raise InputError(
                f"threshold={threshold!r} is a cut-off on a classifier's probability, but this model is a "
                "regressor; leave threshold=None and pass desired=(low, high), the target interval."
            )
        low, high = _interval(desired)
        return Goal("regression", "raw", None, None, np.zeros(n, dtype=int), low, high)
    classes = _classes(model, out.shape[1])
    binary = out.shape[1] == 1
    cut = _threshold(threshold, binary)
    if _is_flip(desired):
        current = (out[:, 0] >= cut).astype(int) if binary else np.argmax(out, axis=1)
        target = 1 - current if binary else -1 - current
        return Goal("binary" if binary else "multiclass", "probability", classes, cut, target)
    index = _class_index(desired, classes)
    if binary:
        return Goal("binary", "probability", classes, cut, np.full(n, index))
    return Goal("multiclass", "probability", classes, cut, np.full(n, index))


def _is_flip(desired: Any) -> bool:
    return isinstance(desired, str) and desired == FLIP


def _threshold(threshold: Any, binary: bool) -> float | None:
    if threshold is None:
        return 0.5 if binary else None
    if isinstance(threshold, bool) or not isinstance(threshold, (int, float, np.integer, np.floating)):
        raise InputError(f"threshold={threshold!r} is not a number; pass a probability between 0 and 1, e.g. 0.5.")
    if not 0.0 < float(threshold) < 1.0:
        raise InputError(
            f"threshold={threshold!r} is not a probability strictly between 0 and 1; pass the cut-off on "
            "the positive class's probability, e.g. threshold=0.7."
        )
    return float(threshold)


def _class_index(desired: Any, classes: Sequence[Any]) -> int:
    for i, c in enumerate(classes):
        if _same_label(desired, c):
            return i
    raise InputError(
        f"desired={desired!r} is not a class of the model; its classes are {list(classes)}. Pass one of them, "
        f"or desired={FLIP!r} for the other class of each row."
    )


def _same_label(a: Any, b: Any) -> bool:
    # True is not the class 1, nor "1" the class 1: a label matches only a label of its own kind
    if isinstance(a, (bool, np.bool_)) != isinstance(b, (bool, np.bool_)) or isinstance(a, str) != isinstance(b, str):
        return False
    try:
        return bool(a == b)
    except (TypeError, ValueError):
        return False


def _interval(desired: Any) -> tuple[float, float]:
    fix = "pass desired=(low, high), the interval the prediction should reach (None for an open side)"
    try:
        pair = tuple(desired) if not isinstance(desired, (str, bytes, dict)) else ()
    except TypeError:
        pair = ()
    if len(pair) != 2:
        raise InputError(f"desired={desired!r} cannot be a regressor's goal; {fix}, e.g. desired=(200, None).")
    bounds = []
    for value, open_end in zip(pair, (-np.inf, np.inf), strict=True):
        if value is None:
            bounds.append(open_end)
        elif isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
            raise InputError(f"desired={desired!r} holds {value!r}, which is not a number; {fix}.")
        elif np.isnan(value):
            raise InputError(f"desired={desired!r} holds NaN; {fix}.")
        else:
            bounds.append(float(value))
    low, high = bounds
    if low == -np.inf and high == np.inf:
        raise InputError(f"desired={desired!r} is every prediction; {fix}, with at least one bound.")
    if low > high:
        raise InputError(f"desired={desired!r} has low > high; {fix}, low first.")
    return low, high
