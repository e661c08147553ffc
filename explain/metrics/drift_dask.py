"""Drift of data in dask collections, from per-partition reductions.

:func:`explain.metrics.drift` comes here when the reference or the current data is a dask
DataFrame (the other may be a pandas one). Each partition is reduced on a worker (with a
``dask.distributed`` client active; else one partition after another in this process) and the
results are merged in a tree of tasks: what reaches this process is counts and a few numbers per
column, never the table. Every number equals :func:`~explain.metrics.drift`'s on the same data
in memory, except the Kolmogorov-Smirnov test of a column with many distinct values on both sides:

- **PSI** (exact). The numeric bins are the reference's deciles, its exact quantiles: numpy's
  linear interpolation between exact order statistics. These come from the reference's distinct
  values when it has at most :data:`EXACT_VALUES`; otherwise each is located by counting the
  values below points of a grid, and the grid cell that holds it is cut again until it holds at
  most :data:`GATHER_VALUES` values, which are gathered and sorted (a few passes over the
  column). The bin counts are sums of per-partition counts.
- **Chi-square tests, PSI noise level, missing shares, bins** (exact): sums of per-partition
  counts; ``psi_p_value`` is the chi-square test of the PSI's bin counts, as in memory.
- **Kolmogorov-Smirnov statistic**: exact (scipy's to the last bit) when the distinct values of
  either sample are known (at most :data:`EXACT_VALUES`; a pandas reference is known whatever its
  size up to that many values): the two empirical CDFs are compared at each of those values and
  just below each, where their largest gap lies. Otherwise they are compared at
  :data:`KS_GRID` evenly spaced points from the smallest to the largest value: the ``statistic``
  is then a lower bound of the exact one, ``statistic_upper`` an upper bound from the same counts
  (the gap inside a grid cell cannot exceed it), ``statistic_exact`` is False and the test reads
  ``ks on a grid``; the p-value, computed from the lower bound, is at least the exact one
  (conservative).
- **p-value**: scipy's ``ks_2samp`` for the statistic and the sample sizes: its exact distribution
  up to 10 000 values per sample, the asymptotic one beyond (what ``method="auto"`` does).

Reading the collections costs a pass for the summaries (counts, extremes, the distinct values of
columns with few) and one for the counts at the bin edges and comparison points, plus a few
passes per numeric column of a large dask reference for its exact deciles. ``persist()`` the
collections first if reading them is slow.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from ..errors import InputError
from .drift import _MISSING, _check_same_columns, _is_categorical, _psi_test

__all__ = ["EXACT_VALUES", "GATHER_VALUES", "KS_GRID", "drift_on_cluster", "order_statistic_quantiles"]

EXACT_VALUES = 50_000
"""Most distinct values of a numeric column whose counts are gathered (exact ECDF, exact KS)."""
GATHER_VALUES = 65_536
"""Most values of a grid cell gathered to find an order statistic exactly."""
KS_GRID = 2_049
"""Evenly spaced points the ECDFs are compared at when neither sample's distinct values are known."""
_NARROW_POINTS = 513
_KS_EXACT_N = 10_000  # scipy's ks_2samp(method="auto"): exact distribution up to this many values


# --------------------------------------------------------------------------- on the workers


@dataclass(frozen=True)
class _Numeric:
    """One numeric column of a partition, or of several merged."""

    ok: int  # values that are not missing
    lo: float
    hi: float
    values: np.ndarray | None  # distinct values, sorted; None when there are more than the cap
    counts: np.ndarray | None


def _numbers(part: pd.DataFrame, column: Any) -> np.ndarray:
    values = part[column].to_numpy(float)  # as drift() reads a numeric column
    return values[~np.isnan(values)]


def _summary_part(part: pd.DataFrame, plan: dict[str, Any]) -> dict[str, Any]:
    """Rows, missing counts per column; extremes and (few) distinct values of numeric columns;
    category counts (as drift() labels them) of categorical columns."""
    numeric: dict[Any, _Numeric] = {}
    for c in plan["numeric"]:
        ok = np.sort(_numbers(part, c))
        values, counts = np.unique(ok, return_counts=True)
        keep = len(values) <= plan["cap"]
        lo, hi = (float(ok[0]), float(ok[-1])) if len(ok) else (math.inf, -math.inf)
        numeric[c] = _Numeric(len(ok), lo, hi, values if keep else None, counts if keep else None)
    categorical = {}
    for c in plan["categorical"]:
        labels = part[c].astype(object).where(part[c].notna(), _MISSING).astype(str)
        categorical[c] = labels.value_counts().to_dict()
    missing = {c: int(part[c].isna().sum()) for c in (*plan["numeric"], *plan["categorical"])}
    return {"rows": len(part), "missing": missing, "numeric": numeric, "categorical": categorical, "cap": plan["cap"]}


def _merge_summaries(parts: list[dict[str, Any]]) -> dict[str, Any]:
    first = parts[0]
    out: dict[str, Any] = {
        "rows": sum(p["rows"] for p in parts),
        "missing": {c: sum(p["missing"][c] for p in parts) for c in first["missing"]},
        "numeric": {c: _merge_numeric([p["numeric"][c] for p in parts], first["cap"]) for c in first["numeric"]},
        "categorical": {},
        "cap": first["cap"],
    }
    for c in first["categorical"]:
        total: dict[str, int] = {}
        for p in parts:
            for label, n in p["categorical"][c].items():
                total[label] = total.get(label, 0) + int(n)
        out["categorical"][c] = total
    return out


def _merge_numeric(parts: list[_Numeric], cap: int) -> _Numeric:
    values: np.ndarray | None = None
    counts: np.ndarray | None = None
    if all(p.values is not None for p in parts):
        joined = np.concatenate([p.values for p in parts if p.values is not None])
        weights = np.concatenate([p.counts for p in parts if p.counts is not None])
        values, inverse = np.unique(joined, return_inverse=True)
        counts = np.bincount(inverse, weights=weights, minlength=len(values)).astype(np.int64)
        if len(values) > cap:
            values = counts = None
    return _Numeric(sum(p.ok for p in parts), min(p.lo for p in parts), max(p.hi for p in parts), values, counts)


def _points_part(part: pd.DataFrame, plan: dict[Any, np.ndarray]) -> dict[Any, tuple[np.ndarray, np.ndarray]]:
    """Per column: how many values are below each point, and how many at or below it."""
    out = {}
    for c, points in plan.items():
        ok = np.sort(_numbers(part, c))
        out[c] = (np.searchsorted(ok, points, side="left"), np.searchsorted(ok, points, side="right"))
    return out


def _merge_points(parts: list[dict[Any, tuple[np.ndarray, np.ndarray]]]) -> dict[Any, tuple[np.ndarray, np.ndarray]]:
    out = {}
    for c in parts[0]:
        below = np.sum([p[c][0] for p in parts], axis=0, dtype=np.int64)
        at_or_below = np.sum([p[c][1] for p in parts], axis=0, dtype=np.int64)
        out[c] = (np.asarray(below), np.asarray(at_or_below))
    return out


def _values_part(part: pd.DataFrame, plan: dict[Any, list[tuple[float, float]]]) -> dict[Any, list[np.ndarray]]:
    """Per column and interval: the values strictly inside it."""
    out = {}
    for c, cells in plan.items():
        ok = _numbers(part, c)
        out[c] = [ok[(ok > lo) & (ok < hi)] for lo, hi in cells]
    return out


def _merge_values(parts: list[dict[Any, list[np.ndarray]]]) -> dict[Any, list[np.ndarray]]:
    return {c: [np.concatenate([p[c][i] for p in parts]) for i in range(len(parts[0][c]))] for c in parts[0]}


# --------------------------------------------------------------------------- on the client


class _Side:
    """A data set being compared: a pandas DataFrame (reduced here, as one partition) or a dask
    DataFrame (reduced on the cluster)."""

    def __init__(self, frame: Any, name: str) -> None:
        from ..distributed import is_dask_collection

        if not isinstance(frame, pd.DataFrame) and not (is_dask_collection(frame) and hasattr(frame, "columns")):
            raise InputError(
                f"{name} is a {type(frame).__name__}; drift on a cluster compares a dask DataFrame with a dask or "
                "pandas DataFrame (columns by name)."
            )
        self.frame, self.name = frame, name
        self.lazy = not isinstance(frame, pd.DataFrame)
        self.columns = list(frame.columns)
        self.dtypes = dict(frame.dtypes.items())


def _reduce(
    sides: list[_Side],
    part_fn: Callable[[pd.DataFrame, Any], Any],
    merge: Callable[[list[Any]], Any],
    plans: list[Any],
    desc: str,
) -> list[Any]:
    """``merge`` over ``part_fn(partition, plan)`` of every partition, for each side; a pandas
    side is one partition, reduced here; the plan goes to the cluster once, as one task."""
    import dask

    from ..distributed import run_tasks, tree_reduce

    results: list[Any] = [None] * len(sides)
    tasks, where = [], []
    for i, (side, plan) in enumerate(zip(sides, plans, strict=True)):
        if not side.lazy:
            results[i] = merge([part_fn(side.frame, plan)])
            continue
        shared = dask.delayed(plan, pure=True, traverse=False)
        step = dask.delayed(part_fn, pure=True)
        tasks.append(tree_reduce([step(p, shared) for p in side.frame.to_delayed()], merge))
        where.append(i)
    for i, value in zip(where, run_tasks(tasks, progress=False, desc=desc), strict=True):
        results[i] = value
    return results


def _lerp(a: float, b: float, t: float) -> float:
    """numpy's linear interpolation in ``np.quantile`` (``_lerp``), operation for operation, so the
    quantile of exact order statistics equals numpy's to the last bit."""
    a64, b64, t64 = np.float64(a), np.float64(b), np.float64(t)
    diff = b64 - a64
    out = a64 + diff * t64
    if t64 >= 0.5:
        out = b64 - diff * (np.float64(1) - t64)
    return float(out)


def _quantile_ranks(n: int, quantiles: np.ndarray) -> list[tuple[int, int, float]]:
    """For ``np.quantile(x, quantiles)`` (linear) of ``n`` values: the ranks (0-based) of the two
    order statistics each quantile interpolates between, and the weight."""
    out = []
    for q in np.asarray(quantiles, dtype=float):
        virtual = np.float64(n - 1) * q
        if virtual >= n - 1:  # numpy takes the largest value
            out.append((n - 1, n - 1, 0.0))
            continue
        previous = np.floor(virtual)
        out.append((int(previous), int(previous) + 1, float(virtual - previous)))
    return out


def order_statistic_quantiles(n: int, quantiles: np.ndarray, order_statistic: Callable[[int], float]) -> np.ndarray:
    """``np.quantile`` (linear method) of ``n`` values from a function giving their order
    statistics (the ``k``-th smallest, 0-based): equal to numpy's to the last bit.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.random.default_rng(0).normal(size=101)
    >>> q = np.linspace(0, 1, 11)[1:-1]
    >>> bool((order_statistic_quantiles(len(x), q, lambda k: np.sort(x)[k]) == np.quantile(x, q)).all())
    True
    """
    ranks = _quantile_ranks(n, quantiles)
    return np.array([_lerp(order_statistic(i), order_statistic(j), t) for i, j, t in ranks], dtype=float)


def _from_counts(values: np.ndarray, counts: np.ndarray) -> Callable[[int], float]:
    cumulative = np.cumsum(counts)
    return lambda k: float(values[np.searchsorted(cumulative, k, side="right")])


def _narrowed_order_statistics(
    side: _Side, wanted: dict[Any, list[int]], summary: dict[str, Any]
) -> dict[Any, dict[int, float]]:
    """Exact order statistics (0-based ranks) of numeric columns of a dask side with many distinct
    values. Counts below and at the points of a grid put each rank on a point or inside a cell
    between two; a cell is cut again until it holds at most GATHER_VALUES values, then gathered."""
    # per column and rank: the open cell (lo, hi) holding it, the values at or below lo, and the
    # values inside; the first cell is the whole line
    cells: dict[Any, dict[int, tuple[float, float, int, int]]] = {
        c: {k: (-math.inf, math.inf, 0, summary["numeric"][c].ok) for k in sorted(set(ks))} for c, ks in wanted.items()
    }
    found: dict[Any, dict[int, float]] = {c: {} for c in wanted}
    for _ in range(200):  # a pass cuts a cell ~512-fold: a float's range is cut to single values long before
        small = {
            c: sorted({cell[:2] for cell in open_.values() if cell[3] <= GATHER_VALUES}) for c, open_ in cells.items()
        }
        small = {c: chosen for c, chosen in small.items() if chosen}
        if small:
            (gathered,) = _reduce([side], _values_part, _merge_values, [small], "gathering values")
            for c, chosen in small.items():
                inside = {cell: np.sort(values) for cell, values in zip(chosen, gathered[c], strict=True)}
                for k, (lo, hi, below, _) in list(cells[c].items()):
                    if (lo, hi) in inside:
                        found[c][k] = float(inside[(lo, hi)][k - below])
                        del cells[c][k]
        large = {
            c: np.unique(np.concatenate([_grid(summary["numeric"][c], lo, hi) for lo, hi, _, _ in open_.values()]))
            for c, open_ in cells.items()
            if open_
        }
        if not large:
            return found
        (counted,) = _reduce([side], _points_part, _merge_points, [large], "narrowing quantiles")
        for c, points in large.items():
            below, at_or_below = counted[c]
            for k in list(cells[c]):
                j = int(np.searchsorted(at_or_below, k, side="right"))  # the first point with more than k at or below
                if below[j] <= k:  # k-th smallest is that point
                    found[c][k] = float(points[j])
                    del cells[c][k]
                else:  # strictly between the points j - 1 and j
                    cells[c][k] = (
                        float(points[j - 1]),
                        float(points[j]),
                        int(at_or_below[j - 1]),
                        int(below[j] - at_or_below[j - 1]),
                    )
    raise RuntimeError("exact quantiles did not converge")  # pragma: no cover - floats are finite


def _grid(col: _Numeric, lo: float, hi: float) -> np.ndarray:
    """Points cutting the cell (lo, hi), its ends included, within the column's range."""
    return np.linspace(max(lo, col.lo), min(hi, col.hi), _NARROW_POINTS)


def _edges(ref: _Side, summary: dict[str, Any], numeric: list[Any], bins: int) -> dict[Any, np.ndarray]:
    """The reference's decile edges per numeric column, as ``drift`` computes them in memory."""
    quantiles = np.linspace(0, 1, bins + 1)[1:-1]
    edges: dict[Any, np.ndarray] = {}
    narrow: dict[Any, list[int]] = {}
    for c in numeric:
        col: _Numeric = summary["numeric"][c]
        if col.ok == 0:
            edges[c] = np.empty(0)
        elif not ref.lazy:
            edges[c] = np.unique(np.quantile(_numbers(ref.frame, c), quantiles))
        elif col.values is not None and col.counts is not None:
            statistic = _from_counts(col.values, col.counts)
            edges[c] = np.unique(order_statistic_quantiles(col.ok, quantiles, statistic))
        else:
            narrow[c] = [k for i, j, _ in _quantile_ranks(col.ok, quantiles) for k in (i, j)]
    if narrow:
        found = _narrowed_order_statistics(ref, narrow, summary)
        for c in narrow:
            ok = summary["numeric"][c].ok
            edges[c] = np.unique(order_statistic_quantiles(ok, quantiles, found[c].__getitem__))
    return edges


def _comparison_points(r: _Numeric, k: _Numeric, column: Any) -> tuple[np.ndarray, bool]:
    """Where the two ECDFs are compared, and whether that gives the exact KS statistic: every
    distinct value of one sample (the supremum lies at a value of a sample, and between two values
    of one sample the other's largest gap is just below the next), else an even grid."""
    if r.ok == 0 or k.ok == 0:
        return np.empty(0), True
    for known in (r, k):
        if known.values is not None:
            return known.values, True
    lo, hi = min(r.lo, k.lo), max(r.hi, k.hi)
    if not (math.isfinite(lo) and math.isfinite(hi)):
        raise InputError(
            f"column {str(column)!r} holds infinite values and more than {EXACT_VALUES} distinct values; the "
            "Kolmogorov-Smirnov statistic of dask data is then compared on a grid, which needs finite values. "
            "Replace the infinite values (e.g. with NaN)."
        )
    return np.unique(np.linspace(lo, hi, KS_GRID)), False


def _psi_counts(lt_edges: np.ndarray, ok: int) -> np.ndarray:
    """Counts per bin (a value equal to an edge in the upper bin) from the counts below each edge."""
    return np.diff(np.concatenate([[0], lt_edges, [ok]]).astype(np.int64))


def _ks_test(d: float, n1: int, n2: int, c1: int, c2: int) -> tuple[float, float]:
    """scipy's two-sided KS statistic and p-value for the largest ECDF gap ``d = |c1/n1 - c2/n2|``
    of samples of ``n1`` and ``n2`` values. Up to 10 000 values, ks_2samp itself, on two samples
    of those sizes whose ECDFs differ by exactly that (its exact distribution depends on nothing
    else, and it rounds ``d`` to a multiple of 1/lcm(n1, n2)); beyond, its asymptotic formula."""
    if max(n1, n2) <= _KS_EXACT_N:
        a, b = np.zeros(n1), np.zeros(n2)
        a[c1:], b[c2:] = 1.0, 1.0
        result = stats.ks_2samp(a, b)
        return float(result.statistic), float(result.pvalue)
    m, n = sorted([float(n1), float(n2)], reverse=True)
    return d, float(np.clip(stats.kstwo.sf(d, np.round(m * n / (m + n))), 0, 1))


def _ks(
    n1: int, n2: int, ref: tuple[np.ndarray, np.ndarray], cur: tuple[np.ndarray, np.ndarray], exact: bool
) -> tuple[float, float, float]:
    """KS statistic (as scipy computes it from the same counts), its p-value, and an upper bound of
    the exact statistic (itself when ``exact``)."""
    if n1 == 0 or n2 == 0:
        return math.nan, math.nan, math.nan
    (lt1, le1), (lt2, le2) = ref, cur
    diffs = np.concatenate([le1 / n1 - le2 / n2, lt1 / n1 - lt2 / n2])
    counts = np.concatenate([np.stack([le1, le2], 1), np.stack([lt1, lt2], 1)])
    high, low = int(np.argmax(diffs)), int(np.argmin(diffs))
    max_s, min_s = float(diffs[high]), float(np.clip(-diffs[low], 0, 1))
    gap, at = (min_s, low) if min_s > max_s else (max_s, high)
    d, p = _ks_test(gap, n1, n2, int(counts[at, 0]), int(counts[at, 1]))
    if exact:
        return d, p, d
    # inside the cell between two points each ECDF lies between its values at both ends
    gaps = np.concatenate([lt1[1:] / n1 - le2[:-1] / n2, lt2[1:] / n2 - le1[:-1] / n1])
    return d, p, float(max(d, gap, gaps.max(initial=0.0)))


def _categorical_row(r: dict[str, int], k: dict[str, int]) -> tuple[tuple[np.ndarray, np.ndarray], float, float]:
    categories = sorted(set(r) | set(k))
    counts = (
        np.array([r.get(c, 0) for c in categories], dtype=np.int64),
        np.array([k.get(c, 0) for c in categories], dtype=np.int64),
    )
    table = np.vstack(counts)
    table = table[:, table.sum(axis=0) > 0]
    result = stats.chi2_contingency(table) if table.shape[1] > 1 else None
    statistic = 0.0 if result is None else float(result.statistic)
    return counts, statistic, 1.0 if result is None else float(result.pvalue)


Counted = tuple[np.ndarray, np.ndarray, np.ndarray]  # below each edge; below and at or below each point


def _numeric_row(
    column: Any, s_ref: dict[str, Any], s_cur: dict[str, Any], ref: Counted, cur: Counted, exact: bool
) -> tuple[tuple[np.ndarray, np.ndarray], tuple[float, float, float], bool]:
    """PSI bin counts (the missing values a bin of their own when either side has some) and the
    KS test of a numeric column, from the counts below the edges and at the comparison points."""
    r, k = s_ref["numeric"][column], s_cur["numeric"][column]
    counts = (_psi_counts(ref[0], r.ok), _psi_counts(cur[0], k.ok))
    lost = (s_ref["missing"][column], s_cur["missing"][column])
    if any(lost):
        counts = (np.append(counts[0], lost[0]), np.append(counts[1], lost[1]))
    return counts, _ks(r.ok, k.ok, (ref[1], ref[2]), (cur[1], cur[2]), exact), exact


def drift_on_cluster(reference: Any, current: Any, *, bins: int = 10) -> pd.DataFrame:
    """:func:`explain.metrics.drift` of data in dask DataFrames (either may be a pandas one),
    from per-partition reductions; see the module docstring for what is exact.

    Returns
    -------
    DataFrame
        ``drift``'s columns, and ``statistic_exact`` (False for a KS statistic compared on a
        grid: ``statistic`` is then a lower bound) and ``statistic_upper`` (an upper bound).

    Examples
    --------
    >>> import dask.dataframe as dd, numpy as np, pandas as pd
    >>> from explain.metrics import drift
    >>> rng = np.random.default_rng(0)
    >>> ref = pd.DataFrame({"age": rng.integers(18, 80, 1000), "city": rng.choice(["a", "b"], 1000)})
    >>> cur = ref.assign(age=ref["age"] + 8)
    >>> lazy = drift(dd.from_pandas(ref, npartitions=3), dd.from_pandas(cur, npartitions=4))
    >>> bool((lazy[["psi", "statistic", "p_value"]] == drift(ref, cur)[["psi", "statistic", "p_value"]]).all().all())
    True
    """
    ref, cur = _Side(reference, "reference"), _Side(current, "current")
    _check_same_columns(list(ref.columns), list(cur.columns))
    if bins < 2:
        raise InputError(f"bins must be at least 2; got {bins}.")

    def categorical(c: Any) -> bool:
        return any(_is_categorical(pd.Series([], dtype=side.dtypes[c])) for side in (ref, cur))

    kinds = {c: categorical(c) for c in ref.columns}
    plan = {"numeric": [c for c in ref.columns if not kinds[c]], "categorical": [c for c in kinds if kinds[c]]}
    plan["cap"] = EXACT_VALUES  # type: ignore[assignment]
    s_ref, s_cur = _reduce([ref, cur], _summary_part, _merge_summaries, [plan, plan], "summarizing columns")
    if s_ref["rows"] == 0 or s_cur["rows"] == 0 or not ref.columns:
        raise InputError(
            f"drift needs rows in both data sets; got {s_ref['rows']} reference and {s_cur['rows']} current rows."
        )
    edges = _edges(ref, s_ref, plan["numeric"], bins)
    compared = {c: _comparison_points(s_ref["numeric"][c], s_cur["numeric"][c], c) for c in plan["numeric"]}
    points = {c: np.unique(np.concatenate([edges[c], compared[c][0]])) for c in plan["numeric"]}
    c_ref, c_cur = _reduce([ref, cur], _points_part, _merge_points, [points, points], "counting")
    rows = {}
    for c in ref.columns:
        if kinds[c]:
            counts, statistic, p_value = _categorical_row(s_ref["categorical"][c], s_cur["categorical"][c])
            test, exact, upper = "chi2", True, statistic
        else:
            at_edges = np.searchsorted(points[c], edges[c])
            at_points = np.searchsorted(points[c], compared[c][0])
            ref_counts, cur_counts = (
                (below[at_edges], below[at_points], at_or_below[at_points])
                for below, at_or_below in (c_ref[c], c_cur[c])
            )
            counts, (statistic, p_value, upper), exact = _numeric_row(
                c, s_ref, s_cur, ref_counts, cur_counts, compared[c][1]
            )
            test = "ks" if exact else f"ks on a grid of {len(compared[c][0])} points"
        rows[str(c)] = {
            "kind": "categorical" if kinds[c] else "numeric",
            **_psi_test(*counts),  # the same bin counts as in memory: the same noise level and p-value
            "test": test,
            "statistic": statistic,
            "p_value": p_value,
            "bins": len(counts[0]),
            "missing_reference": s_ref["missing"][c] / s_ref["rows"],
            "missing_current": s_cur["missing"][c] / s_cur["rows"],
            "statistic_exact": exact,
            "statistic_upper": upper,
        }
    table = pd.DataFrame.from_dict(rows, orient="index")
    table.index.name = "feature"
    return table
