"""Where a counterfactual may go (:class:`Space`): the allowed values of each feature, and the distance.

Private: see :func:`explain.counterfactuals`.

Allowed values
--------------
A numeric feature may take the values observed in ``data`` between its bounds: the smallest and
largest observed values, or the ``quantiles=`` of the data, or the user's ``ranges=`` (which must
lie within the observed values: the model has not been fitted beyond them). Taking observed
values keeps the data's granularity (whole years, amounts rounded to 100). A categorical feature
may take the categories observed in ``data``, or those listed in ``ranges=``. Immutable features,
and features missing in a row, never change; ``increase_only`` / ``decrease_only`` features move
one way only.

Distance
--------
MAD-normalised L1, as in Wachter et al. (2017) and DiCE: the sum over numeric features of
``|x'_j - x_j| / MAD_j`` (the median absolute deviation of ``data``; where it is 0, the mean
absolute deviation about the median; where that is 0 too, 1), plus 1 for each categorical
feature that changes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from ._data import Codebook, Table, checked_names
from .errors import FeatureMismatchError, InputError

__all__ = ["GRID", "Space", "build_space"]

GRID = 25
"""Values per numeric feature tried by the search: quantiles of the data within the bounds."""


@dataclass(frozen=True)
class Space:
    """Allowed values (encoded: categories as codes) and scales, one entry per feature."""

    names: tuple[str, ...]
    kinds: tuple[str, ...]
    mutable: np.ndarray  # (d,) bool: neither immutable nor without allowed values
    values: tuple[np.ndarray, ...]  # every allowed value, sorted
    grid: tuple[np.ndarray, ...]  # at most GRID numeric quantiles, or every allowed category
    scale: np.ndarray  # (d,) MAD of numeric features; 1 for categorical ones
    direction: np.ndarray  # (d,) +1 increase only, -1 decrease only, 0 either way
    bounds: Mapping[str, Any]  # what each feature may take, for the record (JSON-ready)

    @property
    def numeric(self) -> np.ndarray:
        return np.array([k == "numeric" for k in self.kinds])

    def options(self, j: int, current: np.ndarray, candidates: np.ndarray) -> np.ndarray:
        """``(rows, len(candidates))``: whether each candidate value of feature ``j`` is a change a
        row with value ``current`` may make (allowed direction; a missing value never changes)."""
        x = current[:, None]
        ok = (candidates[None, :] != x) & ~np.isnan(x)
        if self.direction[j] > 0:
            ok &= candidates[None, :] > x
        elif self.direction[j] < 0:
            ok &= candidates[None, :] < x
        return ok & bool(self.mutable[j])

    def changed(self, C: np.ndarray, X0: np.ndarray) -> np.ndarray:
        """``(n, d)``: which features of the candidates ``C`` differ from their rows ``X0``."""
        return ~((C == X0) | (np.isnan(C) & np.isnan(X0)))

    def distance(self, A: np.ndarray, B: np.ndarray) -> np.ndarray:
        """MAD-normalised L1 between rows of ``A`` and ``B`` (see the module docstring)."""
        diff = self.changed(A, B)
        numeric = self.numeric
        gaps = np.where(diff[:, numeric], np.abs(np.nan_to_num(A[:, numeric] - B[:, numeric])), 0.0)
        return (gaps / self.scale[numeric]).sum(axis=1) + diff[:, ~numeric].sum(axis=1)


def build_space(
    data: Table,
    codebook: Codebook,
    *,
    immutable: Any,
    ranges: Any,
    increase_only: Any,
    decrease_only: Any,
    quantiles: Any,
) -> Space:
    """The :class:`Space` of the reference ``data`` (encoded by ``codebook``) and the user's settings."""
    schema = data.schema
    names = schema.feature_names
    kinds = tuple(c.kind for c in schema.columns)
    fixed = set(_features(immutable, "immutable", names))
    up = _features(increase_only, "increase_only", names)
    down = _features(decrease_only, "decrease_only", names)
    _check_directions(up, down, fixed, names, kinds)
    given = _ranges(ranges, names, fixed)
    q_low, q_high = _quantiles(quantiles)
    values, grids, scales, bounds = [], [], [], {}
    for j, name in enumerate(names):
        column = data.encoded[:, j]
        column = column[~np.isnan(column)]
        if kinds[j] == "numeric":
            allowed, grid, scale, bound = _numeric(name, column, given.get(name), q_low, q_high)
        else:
            cats = codebook.categories[j] or ()
            allowed, bound = _categorical(name, column, cats, given.get(name))
            grid, scale = allowed, 1.0
        values.append(allowed)
        grids.append(grid)
        scales.append(scale)
        bounds[name] = bound
    mutable = np.array([n not in fixed and len(v) > 0 for n, v in zip(names, values, strict=True)])
    direction = np.array([1 if n in up else -1 if n in down else 0 for n in names])
    return Space(names, kinds, mutable, tuple(values), tuple(grids), np.asarray(scales), direction, bounds)


def _features(value: Any, what: str, names: tuple[str, ...]) -> tuple[str, ...]:
    listed = checked_names(value, what, unique=True) or ()
    unknown = [f for f in listed if str(f) not in names]
    if unknown:
        raise FeatureMismatchError(
            f"{what} names {unknown}, which {'is not a feature' if len(unknown) == 1 else 'are not features'} of "
            f"the model; its features are {list(names)}. Name features as in X's columns."
        )
    return tuple(str(f) for f in listed)


def _check_directions(
    up: tuple[str, ...], down: tuple[str, ...], fixed: set[str], names: tuple[str, ...], kinds: tuple[str, ...]
) -> None:
    both = sorted(set(up) & set(down))
    if both:
        raise InputError(
            f"{both} are named in both increase_only and decrease_only, which would leave them no move; "
            "name each in one of them, or in immutable."
        )
    for f in (*up, *down):
        if f in fixed:
            raise InputError(f"{f!r} is immutable and also given a direction; name it in one place only.")
        if kinds[names.index(f)] != "numeric":
            raise InputError(
                f"{f!r} is categorical, so it has no direction to increase or decrease in; restrict its "
                f"categories with ranges={{{f!r}: [...]}} instead."
            )


def _ranges(ranges: Any, names: tuple[str, ...], fixed: set[str]) -> dict[str, Any]:
    if ranges is None:
        return {}
    if not isinstance(ranges, Mapping):
        raise InputError(
            f"ranges={ranges!r} is not a mapping; pass a dict from feature to (low, high) or to a list of "
            "allowed categories, e.g. ranges={'income': (20000, 90000)}."
        )
    out = {}
    for key, value in ranges.items():
        name = str(key)
        if name not in names:
            raise FeatureMismatchError(
                f"ranges names {name!r}, which is not a feature; its features are {list(names)}."
            )
        if name in fixed:
            raise InputError(f"{name!r} is immutable and also given a range; name it in one place only.")
        out[name] = value
    return out


def _quantiles(quantiles: Any) -> tuple[float, float]:
    try:
        low, high = (float(q) for q in quantiles)
    except (TypeError, ValueError):
        raise InputError(f"quantiles={quantiles!r}; pass two numbers (low, high) with 0 <= low < high <= 1.") from None
    if not 0.0 <= low < high <= 1.0:
        raise InputError(f"quantiles={quantiles!r}; pass (low, high) with 0 <= low < high <= 1, e.g. (0.01, 0.99).")
    return low, high


def _scale(column: np.ndarray) -> float:
    """MAD; the mean absolute deviation about the median where the MAD is 0; 1 where both are."""
    if not column.size:
        return 1.0
    deviation = np.abs(column - np.median(column))
    for candidate in (np.median(deviation), np.mean(deviation)):
        if candidate > 0:
            return float(candidate)
    return 1.0


def _numeric(
    name: str, column: np.ndarray, given: Any, q_low: float, q_high: float
) -> tuple[np.ndarray, np.ndarray, float, Any]:
    scale = _scale(column)
    if not column.size:
        return np.empty(0), np.empty(0), scale, None  # never observed: nothing to move to
    seen_low, seen_high = float(column.min()), float(column.max())
    if given is None:
        low = float(np.quantile(column, q_low, method="inverted_cdf")) if q_low > 0 else seen_low
        high = float(np.quantile(column, q_high, method="inverted_cdf")) if q_high < 1 else seen_high
    else:
        low, high = _numeric_range(name, given, seen_low, seen_high)
    inside = column[(column >= low) & (column <= high)]
    values = np.unique(np.concatenate([inside, [low, high]]))
    picks = np.quantile(inside, np.linspace(0.0, 1.0, GRID), method="inverted_cdf") if inside.size else np.empty(0)
    grid = np.unique(np.concatenate([picks, [low, high]]))
    return values, grid, scale, [low, high]


def _numeric_range(name: str, given: Any, seen_low: float, seen_high: float) -> tuple[float, float]:
    fix = f"pass ranges={{{name!r}: (low, high)}} (None keeps the data's bound)"
    try:
        pair = tuple(given) if not isinstance(given, (str, bytes)) else ()
    except TypeError:
        pair = ()
    numbers = all(v is None or (isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool))
                  for v in pair)  # fmt: skip
    if len(pair) != 2 or not numbers or any(v is not None and np.isnan(v) for v in pair):
        raise InputError(f"the range of the numeric feature {name!r} is {given!r}; {fix}.")
    low = seen_low if pair[0] is None else float(pair[0])
    high = seen_high if pair[1] is None else float(pair[1])
    if low > high:
        raise InputError(f"the range of {name!r} is {given!r}, with low > high; {fix}, low first.")
    if low < seen_low or high > seen_high:
        raise InputError(
            f"the range of {name!r}, [{low:g}, {high:g}], reaches outside the values observed in data "
            f"[{seen_low:g}, {seen_high:g}], where the model's predictions are not supported by data. Keep "
            f"it within [{seen_low:g}, {seen_high:g}], or pass data that covers it."
        )
    return low, high


def _categorical(name: str, column: np.ndarray, categories: tuple[Any, ...], given: Any) -> tuple[np.ndarray, Any]:
    seen = np.unique(column)
    if given is None:
        codes = seen
    else:
        if isinstance(given, (str, bytes)) or not hasattr(given, "__iter__"):
            raise InputError(
                f"the range of the categorical feature {name!r} is {given!r}; pass a list of allowed categories, "
                f"e.g. ranges={{{name!r}: [{', '.join(repr(c) for c in categories[:2])}]}}."
            )
        lookup = {c: i for i, c in enumerate(categories)}
        wanted = list(given)
        unseen = [c for c in wanted if c not in lookup or lookup[c] not in set(seen.tolist())]
        if unseen:
            shown = [categories[int(i)] for i in seen]
            raise InputError(
                f"ranges for {name!r} list {unseen}, not among the categories observed in data {shown}; "
                "list observed categories only (the model has not seen the others)."
            )
        codes = np.unique(np.array([lookup[c] for c in wanted], dtype=float))
    return codes.astype(float), [_plain(categories[int(i)]) for i in codes]


def _plain(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value
