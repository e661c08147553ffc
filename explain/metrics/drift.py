"""Drift between a reference data set (training, or an earlier period) and current data.

Per feature, :func:`drift` reports the population stability index (PSI) and a two-sample test:
Kolmogorov-Smirnov for numeric columns (``scipy.stats.ks_2samp``) and chi-square for categorical
ones (``scipy.stats.chi2_contingency``). :func:`prediction_drift` does the same for model scores.

PSI, as used in credit-risk monitoring::

    PSI = sum over bins of (q - p) * ln(q / p)

with ``p`` the reference share and ``q`` the current share of each bin. Numeric bins are the
reference's quantiles (``bins`` bins of about equal reference counts; tied quantiles merge, so
a column with few distinct values gets fewer bins); a value equal to an edge goes to the upper
bin. Categorical columns use one bin per category seen in either sample. Missing values form a
bin of their own, so a change in missingness is drift too. An empty bin would make the log
infinite: its share is replaced by ``PSI_EPSILON = 1e-4`` (shares are not renormalized). With few
rows per bin the PSI is noisy: one empty current bin whose reference share is 10 % adds about 0.7
on its own, so on small samples read the PSI together with the test.

Conventional reading (Siddiqi, *Credit Risk Scorecards*, 2006): PSI < 0.1 stable, 0.1 to 0.25
moderate shift, > 0.25 significant shift. The tests ignore missing values; with large samples
they find tiny, harmless differences significant, so read the p-value with the PSI.

Sampling noise alone gives a positive PSI, larger the smaller the samples. For two samples of
``n_ref`` and ``n_cur`` rows from one distribution, the PSI of ``B`` bins is about a chi-square
statistic with ``B - 1`` degrees of freedom times ``1/n_ref + 1/n_cur``, so its expected value is::

    psi_noise = (B - 1) * (1/n_ref + 1/n_cur)

(``B`` the bins holding a value in either sample; 10 deciles of 133 and 133 rows: 0.135). The
``psi_p_value`` is the chi-square test of homogeneity (``scipy.stats.chi2_contingency``) of the
very bin counts the PSI is computed from, missing values included. The rule: a PSI is drift when
it exceeds the threshold *and* ``psi_p_value < PSI_ALPHA`` (0.01), column ``psi_significant``; a
PSI above the threshold that the bin counts do not tell from sampling noise is not flagged.
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy import stats

from ..errors import FeatureMismatchError, InputError

__all__ = [
    "PSI_ALPHA",
    "PSI_EPSILON",
    "drift",
    "psi_noise",
    "population_stability_index",
    "prediction_drift",
    "psi_flag",
]

PSI_EPSILON = 1e-4
PSI_ALPHA = 0.01
"""Largest p-value of the binned chi-square test at which a PSI above the threshold is drift."""
PSI_STABLE = 0.1
PSI_SIGNIFICANT = 0.25
_MISSING = "<missing>"

Flag = Literal["stable", "moderate", "significant"]


def psi_flag(psi: float) -> Flag:
    """The conventional reading of a PSI value: "stable", "moderate" or "significant"."""
    if psi < PSI_STABLE:
        return "stable"
    return "moderate" if psi <= PSI_SIGNIFICANT else "significant"


def _is_categorical(values: pd.Series) -> bool:
    return not pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values)


def _numeric_counts(ref: np.ndarray, cur: np.ndarray, bins: int) -> tuple[np.ndarray, np.ndarray]:
    ref_ok, cur_ok = ref[~np.isnan(ref)], cur[~np.isnan(cur)]
    if ref_ok.size:
        edges = np.unique(np.quantile(ref_ok, np.linspace(0, 1, bins + 1)[1:-1]))
    else:
        edges = np.empty(0)
    size = edges.size + 1
    ref_counts = np.bincount(np.searchsorted(edges, ref_ok, side="right"), minlength=size)
    cur_counts = np.bincount(np.searchsorted(edges, cur_ok, side="right"), minlength=size)
    missing = np.array([ref.size - ref_ok.size, cur.size - cur_ok.size])
    if missing.any():
        ref_counts, cur_counts = np.append(ref_counts, missing[0]), np.append(cur_counts, missing[1])
    return ref_counts, cur_counts


def _categorical_counts(ref: pd.Series, cur: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    ref_labels = ref.astype(object).where(ref.notna(), _MISSING).astype(str)
    cur_labels = cur.astype(object).where(cur.notna(), _MISSING).astype(str)
    categories = sorted(set(ref_labels) | set(cur_labels))
    ref_counts = ref_labels.value_counts().reindex(categories, fill_value=0).to_numpy()
    cur_counts = cur_labels.value_counts().reindex(categories, fill_value=0).to_numpy()
    return ref_counts, cur_counts


def _psi(ref_counts: np.ndarray, cur_counts: np.ndarray) -> float:
    p = np.maximum(ref_counts / ref_counts.sum(), PSI_EPSILON)
    q = np.maximum(cur_counts / cur_counts.sum(), PSI_EPSILON)
    return float(np.sum((q - p) * np.log(q / p)))


def psi_noise(bins: int, n_reference: int, n_current: int) -> float:
    """The PSI expected from sampling noise alone: ``(bins - 1) * (1/n_reference + 1/n_current)``.

    Under no drift the PSI of ``bins`` bins is about ``chi2(bins - 1) * (1/n_reference + 1/n_current)``
    (its terms are the squared share differences over the shares, to second order).

    Examples
    --------
    >>> from explain.metrics.drift import psi_noise
    >>> round(psi_noise(10, 133, 133), 3)
    0.135
    """
    if n_reference < 1 or n_current < 1:
        return float("nan")
    return (max(bins, 1) - 1) * (1 / n_reference + 1 / n_current)


def _psi_test(ref_counts: np.ndarray, cur_counts: np.ndarray) -> dict[str, Any]:
    """PSI of the bin counts, its noise level and the chi-square test of the same counts."""
    psi = _psi(ref_counts, cur_counts)
    table = np.vstack([ref_counts, cur_counts]).astype(np.int64)
    table = table[:, table.sum(axis=0) > 0]
    n_ref, n_cur = int(table[0].sum()), int(table[1].sum())
    # one bin, or an empty side, cannot show a shift
    if table.shape[1] > 1 and n_ref and n_cur:
        p_value = float(stats.chi2_contingency(table).pvalue)
    else:
        p_value = 1.0
    return {
        "psi": psi,
        "psi_flag": psi_flag(psi),
        "psi_noise": psi_noise(table.shape[1], n_ref, n_cur),
        "psi_p_value": p_value,
        "psi_significant": p_value < PSI_ALPHA,
    }


def _as_series(values: Any, name: str) -> pd.Series:
    series = values if isinstance(values, pd.Series) else pd.Series(np.asarray(values))
    if series.ndim != 1 or len(series) == 0:
        raise InputError(f"{name} must be a non-empty 1-D array; got {len(series)} values.")
    return series.reset_index(drop=True)


def population_stability_index(reference: Any, current: Any, *, bins: int = 10) -> float:
    """PSI of one variable: quantile bins of the reference (numeric), or categories.

    Examples
    --------
    >>> import numpy as np
    >>> from explain.metrics import population_stability_index
    >>> rng = np.random.default_rng(0)
    >>> ref = rng.normal(size=2000)
    >>> round(population_stability_index(ref, ref), 6)
    0.0
    >>> population_stability_index(ref, rng.normal(1.0, size=2000)) > 0.25
    True
    """
    ref, cur = _as_series(reference, "reference"), _as_series(current, "current")
    if bins < 2:
        raise InputError(f"bins must be at least 2; got {bins}.")
    if _is_categorical(ref) or _is_categorical(cur):
        return _psi(*_categorical_counts(ref, cur))
    return _psi(*_numeric_counts(ref.to_numpy(float), cur.to_numpy(float), bins))


def _feature_row(ref: pd.Series, cur: pd.Series, bins: int) -> dict[str, Any]:
    categorical = _is_categorical(ref) or _is_categorical(cur)
    if categorical:
        counts = _categorical_counts(ref, cur)
        table = np.vstack(counts)
        table = table[:, table.sum(axis=0) > 0]
        # chi2_contingency needs two non-empty categories; a single one cannot have shifted
        result = stats.chi2_contingency(table) if table.shape[1] > 1 else None
        test, statistic = "chi2", (0.0 if result is None else float(result.statistic))
        p_value = 1.0 if result is None else float(result.pvalue)
    else:
        r, c = ref.to_numpy(float), cur.to_numpy(float)
        counts = _numeric_counts(r, c, bins)
        r, c = r[~np.isnan(r)], c[~np.isnan(c)]
        ks = stats.ks_2samp(r, c) if r.size and c.size else None
        test, statistic = "ks", (np.nan if ks is None else float(ks.statistic))
        p_value = np.nan if ks is None else float(ks.pvalue)
    return {
        "kind": "categorical" if categorical else "numeric",
        **_psi_test(*counts),
        "test": test,
        "statistic": statistic,
        "p_value": p_value,
        "bins": len(counts[0]),
        "missing_reference": float(ref.isna().mean()),
        "missing_current": float(cur.isna().mean()),
    }


def _frame(X: Any, name: str) -> pd.DataFrame:
    if isinstance(X, pd.DataFrame):
        return X
    arr = np.asarray(X)
    if arr.ndim == 1:
        arr = arr[:, None]
    if arr.ndim != 2:
        raise InputError(f"{name} must be a table (2-D); got shape {arr.shape}.")
    return pd.DataFrame(arr, columns=[f"x{i}" for i in range(arr.shape[1])])


def _check_same_columns(reference: list[Any], current: list[Any]) -> None:
    """Refuse data sets whose columns differ (in memory and on a cluster alike)."""
    missing = [c for c in reference if c not in current]
    extra = [c for c in current if c not in reference]
    if missing or extra:
        raise FeatureMismatchError(
            f"current data lacks columns {missing} and has extra columns {extra}; "
            "compare data sets with the same columns."
        )


def drift(reference: Any, current: Any, *, bins: int = 10) -> pd.DataFrame:
    """Per-feature drift from ``reference`` to ``current``: PSI and a two-sample test.

    Parameters
    ----------
    reference, current : DataFrame or array-like of shape (n, d)
        The same columns; ``current`` may have a different number of rows. Object, category and
        boolean columns are categorical, the others numeric.
    bins : int, default 10
        Number of reference-quantile bins of numeric columns for the PSI.

    Returns
    -------
    DataFrame
        Indexed by feature: ``kind``, ``psi``, ``psi_flag`` ("stable" < 0.1 <= "moderate" <= 0.25
        < "significant"), ``psi_noise`` (the PSI expected from sampling noise for these sizes and
        bins), ``psi_p_value`` (chi-square test of the PSI's bin counts), ``psi_significant``
        (``psi_p_value < PSI_ALPHA``; flag drift where the PSI exceeds the threshold and this is
        True), ``test`` ("ks" or "chi2"), ``statistic``, ``p_value``, ``bins`` (after
        merging tied quantiles, plus the missing-value bin), ``missing_reference`` and
        ``missing_current`` (shares).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from explain.metrics import drift
    >>> rng = np.random.default_rng(0)
    >>> ref = pd.DataFrame({"age": rng.normal(40, 10, 1000), "city": rng.choice(["a", "b"], 1000)})
    >>> cur = ref.assign(age=ref["age"] + 8)
    >>> table = drift(ref, cur)
    >>> table["psi_flag"].to_dict(), table["test"].to_dict()
    ({'age': 'significant', 'city': 'stable'}, {'age': 'ks', 'city': 'chi2'})

    A dask DataFrame (for either or both) is reduced partition by partition on the cluster, to
    the same numbers except a KS statistic that needs a grid; see :mod:`explain.metrics.drift_dask`.
    """
    from ..distributed import is_dask_collection

    if is_dask_collection(reference) or is_dask_collection(current):
        from .drift_dask import drift_on_cluster

        return drift_on_cluster(reference, current, bins=bins)
    ref, cur = _frame(reference, "reference"), _frame(current, "current")
    _check_same_columns(list(ref.columns), list(cur.columns))
    if ref.empty or cur.empty:
        raise InputError(f"drift needs rows in both data sets; got {len(ref)} reference and {len(cur)} current rows.")
    if bins < 2:
        raise InputError(f"bins must be at least 2; got {bins}.")
    rows = {str(c): _feature_row(ref[c].reset_index(drop=True), cur[c].reset_index(drop=True), bins) for c in ref}
    table = pd.DataFrame.from_dict(rows, orient="index")
    table.index.name = "feature"
    return table


def _scores(values: Any, name: str) -> np.ndarray:
    arr = np.asarray(values, dtype=float)
    if arr.ndim == 2 and arr.shape[1] == 1:
        arr = arr[:, 0]
    if arr.ndim != 1:
        raise InputError(f"{name} must be one score per row; got shape {arr.shape}. Pass one column, e.g. proba[:, 1].")
    if arr.size == 0 or np.isnan(arr).any():
        raise InputError(f"{name} must be non-empty and without NaN ({int(np.isnan(arr).sum())} NaN).")
    return arr


def prediction_drift(ref_scores: Any, cur_scores: Any, *, bins: int = 10) -> dict[str, Any]:
    """Drift of model scores: PSI on reference-quantile bins (with ``psi_noise``, ``psi_p_value``
    and ``psi_significant`` as in :func:`drift`), the KS test and the means.

    Examples
    --------
    >>> import numpy as np
    >>> from explain.metrics import prediction_drift
    >>> rng = np.random.default_rng(0)
    >>> result = prediction_drift(rng.beta(2, 5, 1000), rng.beta(2, 3, 1000))
    >>> result["psi_flag"], result["ks_p_value"] < 0.001
    ('significant', True)
    """
    ref, cur = _scores(ref_scores, "ref_scores"), _scores(cur_scores, "cur_scores")
    if bins < 2:
        raise InputError(f"bins must be at least 2; got {bins}.")
    ks = stats.ks_2samp(ref, cur)
    return {
        **_psi_test(*_numeric_counts(ref, cur, bins)),
        "ks_statistic": float(ks.statistic),
        "ks_p_value": float(ks.pvalue),
        "mean_reference": float(ref.mean()),
        "mean_current": float(cur.mean()),
        "n_reference": int(ref.size),
        "n_current": int(cur.size),
    }
