"""Performance with uncertainty: bootstrap confidence intervals, generalization and calibration.

- :func:`bootstrap_ci`: the percentile bootstrap. Resample ``i`` is row ``i`` of
  ``np.random.default_rng(random_state).integers(0, n, size=(n_boot, n))`` (drawn in chunks of
  100 resamples, which gives the same stream with bounded memory); the interval is the
  ``alpha / 2`` and ``1 - alpha / 2`` quantiles (``np.quantile``, linear) of the metric over the
  resamples. A resample on which the metric is undefined (ROC AUC with one class) is skipped and
  counted: ``n_valid`` says how many were used.
- :func:`generalization`: train against test, with CIs, and a diagnosis. ``gap`` is how much
  better the model scores on train than on test (in the metric's units, sign-corrected for
  losses); ``lift`` is how much better it scores on train than a constant prediction (the
  training prior or mean, or the majority class for decisions). **underfitting** if
  ``lift < min_lift`` (0.05): the model barely beats a constant even on the data it was fitted
  to; else **overfitting** if ``gap > max_gap`` (0.05); else **good fit**. The defaults suit
  metrics on a 0-1 scale (AUC, accuracy, R²); pass your own for losses.
- :func:`calibration`: reliability curve (``sklearn.calibration.calibration_curve``), Brier score
  (``sklearn.metrics.brier_score_loss``) and expected calibration error,
  ``ECE = sum over bins of (n_bin / n) * |observed rate - mean predicted probability|``, on the
  same bins.
"""

from __future__ import annotations

import dataclasses
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from scipy.stats import rankdata
from sklearn import metrics as skm
from sklearn.calibration import calibration_curve

from ..errors import InputError

__all__ = ["BootstrapCI", "Calibration", "Generalization", "bootstrap_ci", "calibration", "generalization"]

_CHUNK = 100

# name -> (function, greater is better); the score metrics take probabilities or scores
_METRICS: dict[str, tuple[Callable[..., float], bool]] = {
    "accuracy": (skm.accuracy_score, True),
    "balanced_accuracy": (skm.balanced_accuracy_score, True),
    "f1": (skm.f1_score, True),
    "precision": (skm.precision_score, True),
    "recall": (skm.recall_score, True),
    "roc_auc": (skm.roc_auc_score, True),
    "average_precision": (skm.average_precision_score, True),
    "log_loss": (skm.log_loss, False),
    "brier": (skm.brier_score_loss, False),
    "r2": (skm.r2_score, True),
    "mae": (skm.mean_absolute_error, False),
    "rmse": (skm.root_mean_squared_error, False),
}

MetricName = Literal[
    "accuracy", "balanced_accuracy", "f1", "precision", "recall", "roc_auc", "average_precision",
    "log_loss", "brier", "r2", "mae", "rmse",
]  # fmt: skip


@dataclass(frozen=True)
class BootstrapCI:
    """A metric on the full data with its percentile-bootstrap confidence interval."""

    metric: str
    value: float
    low: float
    high: float
    alpha: float
    n_boot: int
    n_valid: int
    random_state: int | None
    method: str = "percentile bootstrap"

    def to_dict(self) -> dict[str, Any]:
        """Plain Python values, ready for the evidence JSON."""
        return dataclasses.asdict(self)


@dataclass(frozen=True)
class Generalization:
    """Train against test, as returned by :func:`generalization`."""

    metric: str
    train: BootstrapCI
    test: BootstrapCI
    gap: float
    gap_low: float
    gap_high: float
    baseline: float
    lift: float
    diagnosis: Literal["underfitting", "overfitting", "good fit"]
    thresholds: dict[str, float]

    def to_dict(self) -> dict[str, Any]:
        """Plain Python values, ready for the evidence JSON."""
        return dataclasses.asdict(self)


@dataclass(frozen=True)
class Calibration:
    """Reliability curve (non-empty bins), bin counts, Brier score and expected calibration error."""

    prob_true: tuple[float, ...]
    prob_pred: tuple[float, ...]
    counts: tuple[int, ...]
    brier: float
    ece: float
    max_error: float
    n_bins: int
    strategy: str

    def to_dict(self) -> dict[str, Any]:
        """Plain Python values, ready for the evidence JSON."""
        return dataclasses.asdict(self)


def _resolve(metric: MetricName | Callable[..., float], greater_is_better: bool | None) -> tuple[str, Callable, bool]:
    if callable(metric):
        return getattr(metric, "__name__", "metric"), metric, True if greater_is_better is None else greater_is_better
    if metric not in _METRICS:
        names = sorted(_METRICS)
        raise InputError(f"unknown metric {metric!r}; pass a callable metric(y_true, y_pred) or one of {names}.")
    fn, better = _METRICS[metric]
    return metric, fn, better if greater_is_better is None else greater_is_better


def _arrays(y_true: Any, scores: Any) -> tuple[np.ndarray, np.ndarray]:
    y, s = np.asarray(y_true), np.asarray(scores)
    if y.ndim != 1 or s.ndim not in (1, 2):
        raise InputError(f"y_true must be 1-D and the predictions 1-D or 2-D; got shapes {y.shape} and {s.shape}.")
    if len(y) != len(s) or len(y) == 0:
        raise InputError(f"y_true has {len(y)} rows and the predictions {len(s)}; pass one non-empty row each.")
    for name, arr in (("y_true", y), ("predictions", s)):
        if arr.dtype.kind in "fc" and np.isnan(arr).any():
            raise InputError(f"{name} contain {int(np.isnan(arr).sum())} NaN; drop or fill those rows first.")
    return y, s


def _auc_rows(y: np.ndarray, s: np.ndarray) -> np.ndarray:
    """ROC AUC of each row as the Mann-Whitney statistic (ties count one half, as in sklearn)."""
    n_pos = y.sum(axis=1)
    n_neg = y.shape[1] - n_pos
    with np.errstate(invalid="ignore", divide="ignore"):
        auc = ((rankdata(s, axis=1) * y).sum(axis=1) - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg)
    return np.where((n_pos > 0) & (n_neg > 0), auc, np.nan)


def _r2_rows(y: np.ndarray, s: np.ndarray) -> np.ndarray:
    ss_res = ((y - s) ** 2).sum(axis=1)
    ss_tot = ((y - y.mean(axis=1, keepdims=True)) ** 2).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        # sklearn's convention for a constant target: 1 for a perfect fit, else 0
        return np.where(ss_tot > 0, 1 - ss_res / ss_tot, np.where(ss_res == 0, 1.0, 0.0))


# metric over the rows of (resamples, n) arrays, used for 1-D predictions (0/1 targets for the
# classification ones); tests check them against the sklearn functions they stand in for
_ROWS: dict[str, Callable[[np.ndarray, np.ndarray], np.ndarray]] = {
    "accuracy": lambda y, s: (y == s).mean(axis=1),
    "roc_auc": _auc_rows,
    "brier": lambda y, s: ((y - s) ** 2).mean(axis=1),
    "r2": _r2_rows,
    "mae": lambda y, s: np.abs(y - s).mean(axis=1),
    "rmse": lambda y, s: np.sqrt(((y - s) ** 2).mean(axis=1)),
}


def _rows_metric(name: str, y: np.ndarray, s: np.ndarray) -> Callable[[np.ndarray, np.ndarray], np.ndarray] | None:
    if name not in _ROWS or s.ndim != 1 or y.dtype.kind not in "biuf":
        return None
    if name in ("accuracy", "roc_auc", "brier") and not set(np.unique(y).tolist()) <= {0, 1}:
        return None
    return _ROWS[name]


def _bootstrap(
    name: str, fn: Callable, y: np.ndarray, s: np.ndarray, n_boot: int, rng: np.random.Generator
) -> np.ndarray:
    """The metric on ``n_boot`` resamples; NaN where it is undefined."""
    n, out = len(y), np.full(n_boot, np.nan)
    rows = _rows_metric(name, y, s)
    for start in range(0, n_boot, _CHUNK):
        # one draw and gather per chunk; the metric is vectorized over resamples where we can
        idx = rng.integers(0, n, size=(min(_CHUNK, n_boot - start), n))
        y_boot, s_boot = y[idx], s[idx]
        if rows is not None:
            out[start : start + len(idx)] = rows(y_boot.astype(float), s_boot.astype(float))
            continue
        for j in range(len(idx)):
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")  # e.g. undefined precision on a resample
                    out[start + j] = fn(y_boot[j], s_boot[j])
            except ValueError:  # e.g. ROC AUC on a resample with a single class
                pass
    return out


def _interval(values: np.ndarray, alpha: float) -> tuple[float, float, int]:
    valid = values[~np.isnan(values)]
    if valid.size == 0:
        return float("nan"), float("nan"), 0
    low, high = np.quantile(valid, [alpha / 2, 1 - alpha / 2])
    return float(low), float(high), int(valid.size)


def _check(n_boot: int, alpha: float) -> None:
    if n_boot < 1 or not 0 < alpha < 1:
        raise InputError(f"need n_boot >= 1 and 0 < alpha < 1; got n_boot={n_boot}, alpha={alpha}.")


def bootstrap_ci(
    metric: MetricName | Callable[..., float],
    y_true: Any,
    y_pred_or_score: Any,
    *,
    n_boot: int = 1000,
    random_state: int | None = 0,
    alpha: float = 0.05,
) -> BootstrapCI:
    """A metric with its percentile-bootstrap ``1 - alpha`` confidence interval.

    Parameters
    ----------
    metric : str or callable
        A name (``"roc_auc"``, ``"accuracy"``, ``"brier"``, ``"r2"``, ... as in sklearn.metrics)
        or any ``metric(y_true, y_pred) -> float``.
    y_true, y_pred_or_score : array-like
        Targets and the model's decisions, scores or probabilities (2-D for multiclass).
    n_boot, random_state, alpha
        Number of resamples, their seed (the same seed gives the same interval) and the level.

    Examples
    --------
    >>> import numpy as np
    >>> from explain.metrics import bootstrap_ci
    >>> y = np.r_[np.ones(80), np.zeros(20)]
    >>> ci = bootstrap_ci("accuracy", y, np.ones(100), n_boot=200)
    >>> ci.value, ci.low < 0.8 < ci.high
    (0.8, True)
    """
    _check(n_boot, alpha)
    name, fn, _ = _resolve(metric, None)
    y, s = _arrays(y_true, y_pred_or_score)
    value = float(fn(y, s))
    boot = _bootstrap(name, fn, y, s, n_boot, np.random.default_rng(random_state))
    low, high, n_valid = _interval(boot, alpha)
    return BootstrapCI(name, value, low, high, alpha, n_boot, n_valid, random_state)


def _constant_prediction(y: np.ndarray, s: np.ndarray) -> np.ndarray:
    """What a model that ignores its inputs would predict: the prior, mean or majority class."""
    if s.ndim == 2:
        labels, counts = np.unique(y, return_counts=True)
        return np.tile(counts / counts.sum(), (len(y), 1))
    if set(np.unique(s).tolist()) <= set(np.unique(y).tolist()):
        labels, counts = np.unique(y, return_counts=True)
        return np.full(len(y), labels[np.argmax(counts)])
    return np.full(len(y), float(np.mean(y == np.max(y)) if len(np.unique(y)) == 2 else np.mean(y)))


def generalization(
    y_train: Any,
    train_scores: Any,
    y_test: Any,
    test_scores: Any,
    *,
    metric: MetricName | Callable[..., float] = "roc_auc",
    greater_is_better: bool | None = None,
    max_gap: float = 0.05,
    min_lift: float = 0.05,
    n_boot: int = 1000,
    random_state: int | None = 0,
    alpha: float = 0.05,
) -> Generalization:
    """Train against test: both scores with CIs, the gap with its CI, and a fit diagnosis.

    The train and test resamples come, in that order, from one ``default_rng(random_state)``;
    the gap's interval pairs them resample by resample (the two sets are independent).
    Thresholds ``max_gap`` and ``min_lift`` are explained in the module docstring.

    Examples
    --------
    >>> import numpy as np
    >>> from explain.metrics import generalization
    >>> rng = np.random.default_rng(0)
    >>> y_train, y_test = rng.integers(0, 2, 300), rng.integers(0, 2, 300)
    >>> memorized = y_train + rng.normal(0, 0.1, 300)
    >>> result = generalization(y_train, memorized, y_test, rng.random(300), n_boot=100)
    >>> result.diagnosis, round(result.gap, 2)
    ('overfitting', 0.49)
    """
    _check(n_boot, alpha)
    name, fn, better = _resolve(metric, greater_is_better)
    y_tr, s_tr = _arrays(y_train, train_scores)
    y_te, s_te = _arrays(y_test, test_scores)
    rng = np.random.default_rng(random_state)
    sign = 1.0 if better else -1.0
    boots, cis = [], []
    for y, s in ((y_tr, s_tr), (y_te, s_te)):
        boot = _bootstrap(name, fn, y, s, n_boot, rng)
        low, high, n_valid = _interval(boot, alpha)
        boots.append(boot)
        cis.append(BootstrapCI(name, float(fn(y, s)), low, high, alpha, n_boot, n_valid, random_state))
    gap = sign * (cis[0].value - cis[1].value)
    gap_low, gap_high, _ = _interval(sign * (boots[0] - boots[1]), alpha)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a constant prediction makes some metrics undefined
        baseline = float(fn(y_tr, _constant_prediction(y_tr, s_tr)))
    lift = sign * (cis[0].value - baseline)
    if lift < min_lift:
        diagnosis: Literal["underfitting", "overfitting", "good fit"] = "underfitting"
    else:
        diagnosis = "overfitting" if gap > max_gap else "good fit"
    thresholds = {"max_gap": max_gap, "min_lift": min_lift}
    return Generalization(name, cis[0], cis[1], gap, gap_low, gap_high, baseline, lift, diagnosis, thresholds)


def calibration(
    y_true: Any,
    y_prob: Any,
    *,
    n_bins: int = 10,
    strategy: Literal["uniform", "quantile"] = "uniform",
    pos_label: Any = 1,
) -> Calibration:
    """Calibration of binary probabilities: reliability curve, Brier score and ECE.

    Examples
    --------
    >>> import numpy as np
    >>> from explain.metrics import calibration
    >>> rng = np.random.default_rng(0)
    >>> p = rng.random(5000)
    >>> calibrated = calibration(rng.random(5000) < p, p, pos_label=True)
    >>> calibrated.ece < 0.03, round(calibrated.brier, 2)
    (True, 0.17)
    """
    y, p = _arrays(y_true, y_prob)
    if p.ndim != 1 or p.min() < 0 or p.max() > 1:
        raise InputError("y_prob must be one probability per row in [0, 1]; for multiclass pass one class's column.")
    labels = np.unique(y).tolist()
    if len(labels) > 2 or (len(labels) == 2 and pos_label not in labels):
        raise InputError(f"y_true must be binary, with pos_label={pos_label!r} among its values {labels}.")
    if strategy not in ("uniform", "quantile") or n_bins < 1:
        raise InputError(f"need strategy 'uniform' or 'quantile' and n_bins >= 1; got {strategy!r}, {n_bins}.")
    positive = (y == pos_label).astype(float)
    prob_true, prob_pred = calibration_curve(positive, p, n_bins=n_bins, strategy=strategy)
    # the bins of calibration_curve, to weight each bin's error by its count
    if strategy == "quantile":
        edges = np.percentile(p, np.linspace(0, 1, n_bins + 1) * 100)
    else:
        edges = np.linspace(0.0, 1.0, n_bins + 1)
    counts = np.bincount(np.searchsorted(edges[1:-1], p), minlength=n_bins)
    counts = counts[counts > 0]
    errors = np.abs(prob_true - prob_pred)
    return Calibration(
        prob_true=tuple(prob_true.tolist()),
        prob_pred=tuple(prob_pred.tolist()),
        counts=tuple(int(c) for c in counts),
        brier=float(skm.brier_score_loss(positive, p)),
        ece=float(np.sum(counts / len(p) * errors)),
        max_error=float(errors.max()),
        n_bins=n_bins,
        strategy=strategy,
    )
