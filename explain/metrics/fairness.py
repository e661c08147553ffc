"""Fairness across groups: selection rates, impact ratios, significance and error-rate parity.

:func:`group_metrics` computes, for each sensitive attribute and for their intersection
(``sex & race``), the numbers a bias audit reports (NYC Local Law 144, the EEOC four-fifths rule
of 29 CFR 1607.4(D), EU AI Act Art. 10): per group the count, selection rate with a Wilson
confidence interval, impact ratio, four-fifths flag, a significance test against the reference
group, and true / false positive rates with their gaps.

Definitions are fairlearn's, and tested against it: ``selection_rate`` (share of ``y_pred ==
pos_label``), ``true_positive_rate``, ``false_positive_rate``; :meth:`GroupMetrics.ratio` and
:meth:`~GroupMetrics.difference` are ``demographic_parity_ratio`` / ``_difference``, and
``difference("equalized_odds")`` is ``equalized_odds_difference``, over the groups not suppressed.
One deliberate difference: a rate with an empty denominator (TPR in a group without positives)
is NaN here, 0 in fairlearn.

Suppressed groups: missing values of a sensitive attribute form the group ``"unknown"``; groups
under ``min_group_size`` rows or ``min_share`` (2 %) of the data are too small for stable ratios,
and their rates could identify people. They keep their count and share, with the reason, and are
left out of every rate and ratio. So that a small group's counts cannot be derived by subtraction
(the overall count minus the shown groups'), the smallest other groups are suppressed with it
until the suppressed groups of each attribute hold ``min_group_size`` rows together, over the
attributes and their intersection at once (:mod:`~explain.metrics.fairness_disclosure`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy import stats

from ..errors import InputError
from .fairness_disclosure import DERIVABLE, suppressed_groups

__all__ = ["GroupMetrics", "group_labels", "group_metrics"]

UNKNOWN = "unknown"
FOUR_FIFTHS = 0.8
_RATES = ("selection_rate", "tpr", "fpr", "scoring_rate")

Metric = Literal["selection_rate", "tpr", "fpr", "scoring_rate", "equalized_odds"]
Test = Literal["auto", "fisher", "z"]


@dataclass(frozen=True, eq=False)
class GroupMetrics:
    """Per-group fairness metrics, as returned by :func:`group_metrics`.

    Attributes
    ----------
    attributes : tuple of str
        The sensitive attributes, then their intersection (``"sex & race"``) when there are several.
    reference : dict
        The reference group of each attribute (``None`` when no group is large enough).
    params : dict
        The settings used: ``min_group_size``, ``min_share``, ``alpha``, ``test``, ``pos_label``.
    """

    _by_group: pd.DataFrame
    _overall: pd.Series
    attributes: tuple[str, ...]
    reference: Mapping[str, str | None]
    params: Mapping[str, Any]

    @property
    def by_group(self) -> pd.DataFrame:
        """The tidy table: one row per ``(attribute, group)`` (a copy)."""
        return self._by_group.copy()

    @property
    def overall(self) -> pd.Series:
        """Counts and rates over all rows (a copy)."""
        return self._overall.copy()

    def _values(self, metric: str, attribute: str | None) -> pd.Series:
        """The rates of the groups not suppressed."""
        if metric not in _RATES:
            raise InputError(f"unknown metric {metric!r}; choose one of {[*_RATES, 'equalized_odds']}.")
        name = self.attributes[-1] if attribute is None else attribute
        if name not in self.attributes:
            raise InputError(f"unknown attribute {name!r}; choose one of {list(self.attributes)}.")
        rows = self._by_group.loc[name]
        return rows.loc[~rows["suppressed"], metric].dropna()

    def difference(self, metric: Metric = "selection_rate", *, attribute: str | None = None) -> float:
        """Largest minus smallest rate over the groups not suppressed (``"equalized_odds"``: the
        larger of the TPR and FPR differences). ``attribute`` defaults to the last (the intersection
        of several, like a fairlearn ``MetricFrame`` of several sensitive features)."""
        if metric == "equalized_odds":
            return max(self.difference("tpr", attribute=attribute), self.difference("fpr", attribute=attribute))
        values = self._values(metric, attribute)
        return float(values.max() - values.min()) if len(values) else float("nan")

    def ratio(self, metric: Metric = "selection_rate", *, attribute: str | None = None) -> float:
        """Smallest over largest rate across the groups that are not suppressed (NaN if the largest is 0)."""
        values = self._values(metric, attribute)
        if not len(values) or values.max() == 0:
            return float("nan")
        return float(values.min() / values.max())

    def summary(self) -> pd.DataFrame:
        """One row per attribute: reference, group counts, flags, parity differences and ratios."""
        rows = {}
        for name in self.attributes:
            table = self._by_group.loc[name]
            rows[name] = {
                "reference": self.reference[name],
                "groups": len(table),
                "suppressed": int(table["suppressed"].sum()),
                "min_impact_ratio": table["impact_ratio"].min(),
                "four_fifths_flags": int(table["four_fifths"].fillna(False).sum()),
                "significant_flags": int(table["significant"].fillna(False).sum()),
                "selection_rate_difference": self.difference(attribute=name),
                "selection_rate_ratio": self.ratio(attribute=name),
                "tpr_difference": self.difference("tpr", attribute=name),
                "fpr_difference": self.difference("fpr", attribute=name),
                "equalized_odds_difference": self.difference("equalized_odds", attribute=name),
            }
        return pd.DataFrame.from_dict(rows, orient="index").rename_axis("attribute")

    def to_dict(self) -> dict[str, Any]:
        """Plain Python values (NaN and NA become ``None``), ready for the evidence JSON."""
        return {
            "by_group": _records(self._by_group.reset_index()),
            "overall": _records(self._overall.to_frame().T)[0],
            "summary": _records(self.summary().reset_index()),
            "reference": dict(self.reference),
            "params": dict(self.params),
        }

    def __repr__(self) -> str:
        attrs, refs = list(self.attributes), dict(self.reference)
        return f"GroupMetrics(attributes={attrs}, groups={len(self._by_group)}, reference={refs})"


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return frame.astype(object).where(frame.notna(), None).to_dict(orient="records")


def _column(values: Any, name: str, n: int) -> np.ndarray:
    arr = np.asarray(values)
    if arr.ndim == 2 and arr.shape[1] == 1:
        arr = arr[:, 0]
    if arr.ndim != 1:
        raise InputError(f"{name} must be one value per row (1-D); got shape {arr.shape}.")
    if len(arr) != n:
        raise InputError(f"{name} has {len(arr)} rows but y_pred has {n}; pass one value per row of the same data.")
    return arr


def _binary(values: Any, name: str, n: int, pos_label: Any) -> np.ndarray:
    arr = _column(values, name, n)
    missing = int(pd.isna(arr).sum())
    if missing:
        raise InputError(f"{name} has {missing} missing values (NaN); drop or fill those rows first.")
    labels = pd.unique(arr)
    if len(labels) > 2:
        hint = " For scores, pass y_score= and threshold them: y_pred = y_score >= threshold."
        hint = hint if name == "y_pred" else ""
        raise InputError(f"{name} must be binary (the decisions); it has {len(labels)} distinct values.{hint}")
    if len(labels) == 2 and pos_label not in set(labels.tolist()):
        values = sorted(map(str, labels))
        raise InputError(f"pos_label={pos_label!r} is not one of the values of {name} {values}; pass pos_label=.")
    return arr == pos_label


def group_labels(sensitive_features: Any, n: int) -> pd.DataFrame:
    """The group of each of the ``n`` rows: one column of string labels per sensitive attribute,
    missing values as ``"unknown"``, then their intersection (``"f & b"``, ``"unknown"`` when a
    part is missing) when there are several; the groups :func:`group_metrics` reports."""
    if isinstance(sensitive_features, pd.DataFrame):
        raw = {str(c): sensitive_features[c].to_numpy() for c in sensitive_features.columns}
    elif isinstance(sensitive_features, Mapping):
        raw = {str(k): np.asarray(v) for k, v in sensitive_features.items()}
    elif isinstance(sensitive_features, pd.Series):
        raw = {str(sensitive_features.name or "group"): sensitive_features.to_numpy()}
    else:
        arr = np.asarray(sensitive_features, dtype=object)
        cols = [arr] if arr.ndim == 1 else list(arr.T)
        raw = {("group" if arr.ndim == 1 else f"sensitive_feature_{i}"): c for i, c in enumerate(cols)}
    if not raw:
        raise InputError("sensitive_features has no columns; pass at least one sensitive attribute.")
    out: dict[str, np.ndarray] = {}
    for name, values in raw.items():
        col = _column(values, f"sensitive feature {name!r}", n)
        labels = np.array([UNKNOWN if pd.isna(v) else str(v) for v in col], dtype=object)
        if len(set(labels.tolist()) - {UNKNOWN}) < 2:
            single = sorted(set(labels.tolist()))
            raise InputError(f"sensitive feature {name!r} has a single group {single}; check it or leave it out.")
        out[name] = labels
    if len(out) > 1:
        parts = list(out.values())
        joined = [" & ".join(row) for row in zip(*parts, strict=True)]
        unknown = np.any([p == UNKNOWN for p in parts], axis=0)
        out[" & ".join(out)] = np.where(unknown, UNKNOWN, np.array(joined, dtype=object))
    return pd.DataFrame(out)


def _two_proportion(k1: float, n1: float, k2: float, n2: float, test: Test) -> tuple[str, float, float]:
    """Test name, pooled z statistic and two-sided p-value; ``"auto"``: Fisher's exact test when an
    expected count of the 2x2 table is under 5 (Cochran's rule: the normal approximation fails)."""
    pooled = (k1 + k2) / (n1 + n2)
    se = np.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    # both rates 0 (or both 1): no difference to test
    z = 0.0 if se == 0 else (k1 / n1 - k2 / n2) / se
    expected = np.outer([n1, n2], [pooled, 1 - pooled]) if se else np.zeros(1)
    if test == "fisher" or (test == "auto" and expected.min() < 5):
        table = [[int(k1), int(n1 - k1)], [int(k2), int(n2 - k2)]]
        return "fisher_exact", float(z), float(stats.fisher_exact(table).pvalue)
    return "two_proportion_z", float(z), float(2 * stats.norm.sf(abs(z)))


def _counts(labels: np.ndarray, selected: np.ndarray, y_true: Any, above: Any) -> pd.DataFrame:
    """Counts and rates per group; ``y_true`` and ``above`` are boolean arrays or None."""
    groups, inverse = np.unique(labels.astype(str), return_inverse=True)
    count = np.bincount(inverse).astype(float)
    table = pd.DataFrame({"count": count, "selected": np.bincount(inverse, weights=selected)}, index=groups)
    table["selection_rate"] = table["selected"] / count
    if y_true is not None:
        positives = np.bincount(inverse, weights=y_true)
        with np.errstate(invalid="ignore", divide="ignore"):
            table["tpr"] = np.bincount(inverse, weights=selected & y_true) / positives
            table["fpr"] = np.bincount(inverse, weights=selected & ~y_true) / (count - positives)
    else:
        table["tpr"] = table["fpr"] = np.nan
    table["scoring_rate"] = np.nan if above is None else np.bincount(inverse, weights=above) / count
    return table


def _suppression(table: pd.DataFrame, n: int, opts: dict[str, Any], derivable: set[str]) -> pd.Series:
    min_group_size, min_share = opts["min_group_size"], opts["min_share"]
    reasons = pd.Series("", index=table.index, dtype=object)
    for group, count in table["count"].items():
        why = [f"fewer than {min_group_size} rows ({count:.0f})"] if count < min_group_size else []
        why += [f"under {min_share:.0%} of the data ({count / n:.1%})"] if count / n < min_share else []
        reasons[group] = "; ".join(why)
    if UNKNOWN in reasons.index:
        reasons[UNKNOWN] = "unknown category: counted, left out of the ratios"
    for group in derivable:
        reasons[group] = "; ".join(filter(None, [reasons[group], DERIVABLE]))
    return reasons


def _pick_reference(table: pd.DataFrame, eligible: pd.Series, wanted: Any, name: str, metric: str) -> str | None:
    if wanted is not None:
        wanted = str(wanted)
        if wanted not in table.index:
            raise InputError(f"reference group {wanted!r} is not a group of {name!r}; groups: {list(table.index)}.")
        if not eligible[wanted]:
            raise InputError(f"reference group {wanted!r} of {name!r} is suppressed (too small, or unknown).")
        return wanted
    rates = table.loc[eligible, metric].dropna()
    return None if rates.empty else str(rates.idxmax())


def _attribute_table(
    name: str, labels: np.ndarray, data: dict[str, Any], wanted: Any, opts: dict[str, Any], derivable: set[str]
) -> tuple[pd.DataFrame, str | None]:
    table = _counts(labels, data["selected"], data["y_true"], data["above"])
    reasons = _suppression(table, len(labels), opts, derivable)
    eligible = reasons == ""
    ref = _pick_reference(table, eligible, wanted, name, "selection_rate")
    table.insert(1, "share", table["count"] / len(labels))
    ci = [
        stats.binomtest(int(k), int(c)).proportion_ci(1 - opts["alpha"], method="wilson")
        for k, c in zip(table["selected"], table["count"], strict=True)
    ]
    table.insert(4, "ci_low", [c.low for c in ci])
    table.insert(5, "ci_high", [c.high for c in ci])
    table["is_reference"] = table.index == ref
    table["impact_ratio"] = np.nan if ref is None else table["selection_rate"] / table.loc[ref, "selection_rate"]
    table["four_fifths"] = (table["impact_ratio"] < FOUR_FIFTHS).astype("boolean").mask(table["impact_ratio"].isna())
    tests = [
        _two_proportion(r["selected"], r["count"], table.loc[ref, "selected"], table.loc[ref, "count"], opts["test"])
        if ref is not None and g != ref else ("", np.nan, np.nan)
        for g, r in table.iterrows()
    ]
    table["test"], table["z"], table["p_value"] = zip(*tests, strict=True)
    table["significant"] = (table["p_value"] < opts["alpha"]).astype("boolean").mask(table["p_value"].isna())
    for rate in ("tpr", "fpr"):
        table[f"{rate}_gap"] = np.nan if ref is None else table[rate] - table.loc[ref, rate]
    score_ref = _pick_reference(table, eligible, wanted, name, "scoring_rate") if data["above"] is not None else None
    score_rate = np.nan if score_ref is None else table.loc[score_ref, "scoring_rate"]
    table["scoring_impact_ratio"] = table["scoring_rate"] / score_rate
    hidden = [c for c in table.columns if c not in ("count", "share", "is_reference")]
    table.loc[~eligible, hidden] = np.nan
    table["suppressed"], table["reason"] = ~eligible, reasons
    table["selected"] = table["selected"].round().astype("Int64")
    table["count"] = table["count"].astype(int)
    table["test"] = table["test"].fillna("")
    table.index.name = "group"
    table = table.sort_index(key=lambda idx: [(g == UNKNOWN, g) for g in idx])
    return table, ref


def group_metrics(
    y_true: Any,
    y_pred: Any,
    sensitive_features: Any,
    *,
    y_score: Any = None,
    min_group_size: int = 30,
    min_share: float = 0.02,
    reference: Any = None,
    pos_label: Any = 1,
    alpha: float = 0.05,
    test: Test = "auto",
) -> GroupMetrics:
    """Selection rates, impact ratios, significance and error rates per group and intersection.

    Parameters
    ----------
    y_true, y_pred : array-like of shape (n,)
        True outcomes (for TPR and FPR; ``None`` for a selection-only audit) and binary decisions.
    sensitive_features : array-like, Series, DataFrame or dict of arrays
        One or several attributes. With several, their intersection is added (``"sex & race"``).
        Missing values form the group ``"unknown"``.
    y_score : array-like of shape (n,), optional
        A continuous score: adds ``scoring_rate`` (share scoring above the sample median, as in
        NYC LL144) and its ``scoring_impact_ratio``.
    min_group_size, min_share : int, float
        Groups with fewer rows, or a smaller share of the data, are suppressed from the rates
        and ratios; their count is still reported with the reason. The smallest other groups are
        suppressed too while a group under ``min_group_size`` could be derived by subtraction
        (see :mod:`~explain.metrics.fairness_disclosure`).
    reference : scalar or dict, optional
        Reference group, ``{attribute: group}`` for several attributes (the intersection's defaults
        to the combination of the given ones). By default, the most selected group.
    pos_label : scalar, default 1
        The value of ``y_pred`` and ``y_true`` that means selected / positive.
    alpha : float, default 0.05
        1 - confidence of the Wilson intervals, and the level of ``significant``.
    test : {"auto", "fisher", "z"}, default "auto"
        Test of each group's selection rate against the reference's: Fisher's exact test, the
        pooled two-proportion z-test, or ``"auto"`` (Fisher when an expected count is under 5).
        The ``test`` column says which one gave ``p_value``; ``z`` is always reported.

    Returns
    -------
    GroupMetrics
        ``by_group`` is indexed by ``(attribute, group)`` with columns ``count, share, selected,
        selection_rate, ci_low, ci_high, tpr, fpr, scoring_rate, is_reference, impact_ratio,
        four_fifths, test, z, p_value, significant, tpr_gap, fpr_gap, scoring_impact_ratio,
        suppressed, reason``.

    Examples
    --------
    >>> import numpy as np
    >>> from explain.metrics import group_metrics
    >>> sex = np.repeat(["f", "m"], 50)
    >>> y_pred = np.r_[np.ones(20), np.zeros(30), np.ones(40), np.zeros(10)]
    >>> result = group_metrics(None, y_pred, {"sex": sex})
    >>> table = result.by_group.loc["sex"]
    >>> table["selection_rate"].to_dict(), table["impact_ratio"].to_dict()
    ({'f': 0.4, 'm': 0.8}, {'f': 0.5, 'm': 1.0})
    >>> table["four_fifths"].tolist(), table.loc["f", "test"], f"{table.loc['f', 'p_value']:.1e}"
    ([True, False], 'two_proportion_z', '4.5e-05')
    >>> result.ratio(), result.reference["sex"]
    (0.5, 'm')
    """
    if min_group_size < 1 or not 0 <= min_share < 1 or not 0 < alpha < 1:
        got = f"{min_group_size}, {min_share}, {alpha}"
        raise InputError(f"need min_group_size >= 1, 0 <= min_share < 1 and 0 < alpha < 1; got {got}.")
    if test not in ("auto", "fisher", "z"):
        raise InputError(f"test must be 'auto', 'fisher' or 'z'; got {test!r}.")
    n = len(np.asarray(y_pred))
    if n == 0:
        raise InputError("y_pred is empty; fairness metrics need at least one row per group.")
    data: dict[str, Any] = {"selected": _binary(y_pred, "y_pred", n, pos_label)}
    data["y_true"] = None if y_true is None else _binary(y_true, "y_true", n, pos_label)
    median = np.nan
    if y_score is not None:
        score = _column(y_score, "y_score", n).astype(float)
        if np.isnan(score).any():
            raise InputError(f"y_score has {np.isnan(score).sum()} NaN values; drop or fill those rows first.")
        median = float(np.median(score))
    data["above"] = None if y_score is None else score > median
    groups = group_labels(sensitive_features, n)
    wanted = _references(reference, list(groups.columns))
    opts = {"min_group_size": min_group_size, "min_share": min_share, "alpha": alpha, "test": test}
    hidden = suppressed_groups(groups, min_group_size, keep=wanted)
    tables, refs = {}, {}
    for name in groups.columns:
        derivable = {g for g, why in hidden[name].items() if why == DERIVABLE}
        labels = groups[name].to_numpy()
        tables[name], refs[name] = _attribute_table(name, labels, data, wanted.get(name), opts, derivable)
    overall = _counts(np.zeros(n), data["selected"], data["y_true"], data["above"]).iloc[0].astype(object)
    overall[["count", "selected"]] = [n, int(data["selected"].sum())]
    overall["score_median"], overall.name = median, "overall"
    return GroupMetrics(
        pd.concat(tables, names=["attribute"]), overall, tuple(groups.columns), refs, {**opts, "pos_label": pos_label}
    )


def _references(reference: Any, attributes: list[str]) -> dict[str, Any]:
    if reference is None:
        return {}
    if not isinstance(reference, Mapping):
        if len(attributes) > 1:
            raise InputError(f"several sensitive attributes: pass reference as a dict, {{{attributes[0]!r}: group}}.")
        return {attributes[0]: reference}
    unknown = set(map(str, reference)) - set(attributes)
    if unknown:
        raise InputError(f"reference names unknown attributes {sorted(unknown)}; attributes: {attributes}.")
    wanted = {str(k): v for k, v in reference.items()}
    singles = attributes[:-1]
    if singles and attributes[-1] not in wanted and all(a in wanted for a in singles):
        wanted[attributes[-1]] = " & ".join(str(wanted[a]) for a in singles)
    return wanted
