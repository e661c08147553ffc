"""``lime``: LIME for tabular data, the ``lime`` package's estimator with a batched engine.

For each row, LIME fits a weighted ridge regression (``alpha=1``, with intercept) of the
model's output on a perturbed sample, and reports the regression's coefficients. The estimator
is that of ``lime.lime_tabular.LimeTabularExplainer`` with its defaults:

- **Perturbed sample.** Numeric columns are cut at the quartiles of the background (lime's
  ``training_data``). A perturbed row picks, for each column independently, a bin with the
  background's bin frequencies (a category with its frequency, for categorical columns), then
  a value inside the bin from a normal fitted to the background values of that bin (their mean
  and standard deviation), truncated to the bin's bounds. The first row of the sample is the
  row itself.
- **Design.** Column ``j`` of the regression is 1 where the perturbed row falls in the same
  bin (or category) as the explained row, 0 elsewhere; its coefficient is the attribution of
  feature ``j``, the base value is the intercept.
- **Weights.** ``sqrt(exp(-D^2 / w^2))`` with ``D`` the euclidean distance between the design
  row and the explained row's (all ones), i.e. ``D^2`` = number of columns outside the row's
  bin, and ``w = 0.75 * sqrt(d)`` unless ``kernel_width`` is given.
- **Fidelity.** The weighted R^2 of the regression on its own sample (lime's ``score``) and the
  regression's prediction at the row (``local_prediction``) are kept per row in
  ``explanation.diagnostics``.

With ``discretize=False`` numeric columns are sampled from a normal with the background's mean
and standard deviation and enter the regression standardized, as in lime.

The sample is drawn from the background distribution whatever the row: only the design and the
weights depend on it. The default ``"batched"`` engine uses this. With ``sample="shared"`` one
sample of ``num_samples - 1`` rows is drawn and scored once per call and serves every row:
each row's neighbourhood still has exactly lime's distribution, but **rows share their
randomness**. Their sampling errors are correlated, so an average over rows (a global
importance) keeps the noise of one sample; ``sample="independent"`` draws a fresh sample for
every row, scored in large chunks. Either way the ridge problems of many rows are solved
together in closed form with numpy, in blocks of bounded memory, and chunks of rows run over
``n_jobs`` workers. The shared sample comes from ``random_state``; an independent sample from
the row's own stream, keyed by ``random_state`` and the row's values, so that a row's values do
not depend on the other rows, on chunking or on ``n_jobs`` (and equal rows get equal values).
``engine="lime"`` calls the ``lime`` package row by row, as a reference, in one worker. Two calls
with the same seed give identical values. Every feature gets a coefficient (lime's
``num_features`` is the number of columns).

One deliberate difference from the ``lime`` package: where a quartile bin holds a single value
(a quarter or more of the background at its minimum, e.g. a binary column), lime 0.2.0.1
samples the bin's z-score (0) instead of its value; here the bin gives its value, as the
background distribution says. The two agree wherever that value is 0.

Examples
--------
>>> from sklearn.datasets import load_iris
>>> from sklearn.linear_model import LogisticRegression
>>> import explain as ex
>>> X, y = load_iris(return_X_y=True, as_frame=True)
>>> model = LogisticRegression(max_iter=1000).fit(X, y)
>>> explainer = ex.Explainer(model, background=X, method="lime", method_params={"num_samples": 1000})
>>> local = explainer.explain_local(X[:4])
>>> local.values.shape, local.diagnostics["fidelity"].shape
((4, 4, 3), (4, 3))
>>> again = explainer.explain_local(X[:4])
>>> bool((local.values == again.values).all())
True
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.special import ndtr, ndtri

from .._model import OutputSpace
from ..errors import MethodError
from ._base import Attribution, Job, MethodSpec, Unsupported, free_output, require_background
from ._batch import call_entropy, row_generators, run_tasks

ENGINES = ("batched", "lime")
SAMPLES = ("shared", "independent")
ALPHA = 1.0  # lime's Ridge(alpha=1)
CHUNK_ELEMENTS = 1 << 20  # perturbed values drawn and scored at once (8 MB a copy): bounds memory
FIT_ELEMENTS = 1 << 17  # design entries of the ridge problems solved together (1 MB): stays in cache
_STD_FLOOR = 1e-11  # lime adds this to every bin's standard deviation
_QUARTILES = (25, 50, 75)


@dataclass(frozen=True)
class _Settings:
    num_samples: int
    engine: str
    sample: str
    kernel_width: float
    discretize: bool


def _settings(job: Job) -> _Settings:
    params = {**METHOD.defaults, **job.params}
    num_samples, engine, sample = params["num_samples"], params["engine"], params["sample"]
    if isinstance(num_samples, bool) or not isinstance(num_samples, (int, np.integer)) or num_samples < 2:
        raise MethodError(f"lime num_samples={num_samples!r}; pass an integer >= 2 (lime's default is 5000).")
    if engine not in ENGINES:
        raise MethodError(f"lime engine={engine!r}; choose one of {list(ENGINES)}.")
    if sample not in SAMPLES:
        raise MethodError(f"lime sample={sample!r}; choose one of {list(SAMPLES)}.")
    if engine == "lime":
        if job.params.get("sample", "independent") != "independent":
            raise MethodError(
                "the lime engine draws a fresh sample for every row; pass sample='independent' or "
                "engine='batched' for a sample shared by the rows."
            )
        sample = "independent"
    width = params["kernel_width"]
    if width is None:
        width = 0.75 * np.sqrt(job.n_features)
    elif isinstance(width, bool) or not isinstance(width, (int, float, np.number)) or not 0 < width < np.inf:
        raise MethodError(f"lime kernel_width={width!r}; pass a positive number, or None for 0.75 * sqrt(d).")
    if not isinstance(params["discretize"], (bool, np.bool_)):
        raise MethodError(f"lime discretize={params['discretize']!r}; pass True (quartile bins) or False.")
    return _Settings(int(num_samples), engine, sample, float(width), bool(params["discretize"]))


def support(job: Job) -> OutputSpace:
    background = require_background(job, "lime")
    for role, table in (("background", background), ("X", job.X)):
        if np.isnan(table.encoded).any():
            raise Unsupported(
                f"lime cannot bin or sample missing values, and {role} has some; impute them first "
                "(e.g. a SimpleImputer inside the Pipeline) or drop those rows"
            )
    return free_output(job)


def run(job: Job, space: OutputSpace) -> Attribution:
    s = _settings(job)
    fit = _run_lime_package(job, space, s) if s.engine == "lime" else _run_batched(job, space, s)
    coef, intercept, fidelity, local = fit
    params = {
        "num_samples": s.num_samples,
        "engine": s.engine,
        "sample": s.sample,
        "kernel_width": s.kernel_width,
        "discretize": s.discretize,
        "discretizer": "quartile" if s.discretize else None,
        "ridge_alpha": ALPHA,
    }
    return Attribution(coef, intercept, params, {"fidelity": fidelity, "local_prediction": local})


# --------------------------------------------------------------------------- the sampler


@dataclass(frozen=True)
class _Column:
    """How one column is sampled and enters the regression.

    ``kind`` is ``"binned"`` (numeric, quartile bins), ``"category"`` (categorical codes) or
    ``"continuous"`` (numeric, ``discretize=False``). A perturbed value gets a *label*: its bin
    index or category code, or for continuous columns its standardized value.
    """

    kind: str
    labels: np.ndarray  # the labels seen in the background, sorted
    cumulative: np.ndarray  # their cumulative frequencies
    edges: np.ndarray  # quartile edges (binned)
    # (4, len(labels)), binned: how a uniform becomes a value of the bin (offset and slope to
    # the normal CDF's argument, see _fit_column), and the bin values' mean and std
    bins: np.ndarray
    center: float = 0.0  # continuous: mean and scale of the background values
    scale: float = 1.0
    lo: float = -np.inf  # binned: the background's range, where draws are kept (rounding)
    hi: float = np.inf


def _fit_column(values: np.ndarray, categorical: bool, discretize: bool, edges: np.ndarray | None = None) -> _Column:
    """Fit one column's sampler to its background ``values`` (``edges``: its quartiles, if known)."""
    if not (categorical or discretize):
        std = values.std()
        tiny = 10 * np.finfo(float).eps * max(1.0, abs(values.mean()))
        empty = np.empty(0)
        return _Column("continuous", empty, empty, empty, np.empty((4, 0)), values.mean(), std if std > tiny else 1.0)
    if categorical:
        counts = np.bincount(values.astype(np.intp))
        labels = np.flatnonzero(counts)
        return _Column("category", labels.astype(float), _cumulative(counts[labels]), np.empty(0), np.empty((4, 0)))
    edges = np.unique(np.percentile(values, _QUARTILES)) if edges is None else np.unique(edges)
    index = np.searchsorted(edges, values)
    n_bins = len(edges) + 1
    counts = np.bincount(index, minlength=n_bins)
    size = np.maximum(counts, 1)
    mu = np.bincount(index, values, n_bins) / size
    sd = np.sqrt(np.bincount(index, (values - mu[index]) ** 2, n_bins) / size) + _STD_FLOOR
    labels = np.flatnonzero(counts)  # the bins that hold background values
    mu, sd = mu[labels], sd[labels]
    lo, hi = np.r_[values.min(), edges][labels], np.r_[edges, values.max()][labels]
    # a bin holding a single value gives that value (lime 0.2.0.1: its z-score, 0): any z, no spread
    single = lo == hi
    mu, sd = np.where(single, lo, mu), np.where(single, 0.0, sd)
    with np.errstate(divide="ignore", invalid="ignore"):
        a, b = np.where(single, -np.inf, (lo - mu) / sd), np.where(single, np.inf, (hi - mu) / sd)
    cumulative = _cumulative(counts[labels])
    lower = np.r_[0.0, cumulative[:-1]]  # the bin's share [lower, cumulative) of the uniforms
    # a uniform u of the bin maps to the truncated normal's CDF at (u - lower) / share, i.e.
    # ndtr(a) + (u - lower) / share * (ndtr(b) - ndtr(a)) = offset + slope * u; a single-valued
    # bin maps every u to 1/2, z = 0 (no spread)
    slope = np.where(single, 0.0, (ndtr(b) - ndtr(a)) / (cumulative - lower))
    offset = np.where(single, 0.5, ndtr(a) - lower * slope)
    bins = np.vstack([offset, slope, mu, sd])
    return _Column(
        "binned", labels.astype(float), cumulative, edges, bins, lo=float(values.min()), hi=float(values.max())
    )


def _cumulative(counts: np.ndarray) -> np.ndarray:
    return np.cumsum(counts) / counts.sum()


def _fit_columns(job: Job, discretize: bool) -> list[_Column]:
    background = require_background(job, "lime").encoded
    categorical = [c.kind == "categorical" for c in job.X.schema.columns]
    edges = np.percentile(background, _QUARTILES, axis=0) if discretize else None  # every column at once
    return [
        _fit_column(background[:, j], categorical[j], discretize, None if edges is None else edges[:, j])
        for j in range(job.n_features)
    ]


def _row_labels(columns: list[_Column], X: np.ndarray) -> np.ndarray:
    """The label of each value of ``X`` (its bin, its code, or its standardized value)."""
    out = X.astype(float)
    for j, col in enumerate(columns):
        if col.kind == "binned":
            out[:, j] = np.searchsorted(col.edges, X[:, j])
        elif col.kind == "continuous":
            out[:, j] = (X[:, j] - col.center) / col.scale
    return out


def _draw(columns: list[_Column], rng: np.random.Generator, m: int) -> tuple[np.ndarray, np.ndarray]:
    """``m`` perturbed rows from one stream: labels ``(d, m)`` and the model's input ``(m, d)``."""
    labels, values = _draw_rows(columns, [rng], m)
    return labels[0], values


def _draw_rows(columns: list[_Column], generators: list[np.random.Generator], m: int) -> tuple[np.ndarray, ...]:
    """``m`` perturbed rows from the background distribution for each generator.

    Returns their labels ``(r, d, m)`` (feature-major: the design is built feature by feature)
    and the model's encoded input ``(r * m, d)``. Each generator's rows depend on that generator
    alone, whatever the others: one explained row's sample comes from its own stream.

    One uniform per value picks the bin (with the background's frequencies) and, rescaled to
    the bin's share of ``[0, 1)`` (a uniform again, independent of the bin), the value inside
    it: the inverse CDF of the normal truncated to the bin. Continuous columns draw normals.
    """
    d, r = len(columns), len(generators)
    u = np.empty((r, d, m))
    for g, out in zip(generators, u, strict=True):
        g.random(out=out)
    continuous = [j for j, c in enumerate(columns) if c.kind == "continuous"]
    normals = np.stack([g.standard_normal((len(continuous), m)) for g in generators], axis=1) if continuous else None
    labels, values = np.empty((r, d, m)), np.empty((d, r, m))
    for j, col in enumerate(columns):
        uj = u[:, j]
        if col.kind == "continuous":
            labels[:, j] = normals[continuous.index(j)]  # type: ignore[index]
            values[j] = col.center + labels[:, j] * col.scale
            continue
        if len(col.labels) <= 8:  # a few comparisons beat a binary search
            picked = sum((uj >= c for c in col.cumulative[:-1]), np.zeros((r, m), dtype=np.intp))
        else:
            picked = np.searchsorted(col.cumulative[:-1], uj, side="right")
        labels[:, j] = col.labels[picked]
        if col.kind == "category":
            values[j] = labels[:, j]
            continue
        offset, slope, mu, sd = np.take(col.bins, picked, axis=1)  # faster than fancy indexing
        z = ndtri(offset + slope * uj)
        np.clip(mu + sd * z, col.lo, col.hi, out=values[j])  # the bounds, up to rounding
    return labels, np.ascontiguousarray(values.transpose(1, 2, 0)).reshape(r * m, d)  # rows for the model


# --------------------------------------------------------------------------- the batched engine


def _score(job: Job, encoded: np.ndarray, space: OutputSpace) -> np.ndarray:
    """Model outputs ``(m, k)`` for perturbed rows, in chunks of bounded memory."""
    step = max(1, CHUNK_ELEMENTS // max(1, encoded.shape[1]))
    parts = [job.predict(encoded[i : i + step], space) for i in range(0, encoded.shape[0], step)]
    return np.concatenate(parts, axis=0)


def _run_batched(job: Job, space: OutputSpace, s: _Settings) -> tuple[np.ndarray, ...]:
    columns = _fit_columns(job, s.discretize)
    discrete = np.array([c.kind != "continuous" for c in columns])
    x = job.X.encoded
    rows, y_rows = _row_labels(columns, x), job.predict(x, space)
    n, d, m = x.shape[0], x.shape[1], s.num_samples - 1
    per_fit = max(1, FIT_ELEMENTS // (s.num_samples * d))  # rows whose ridge problems are solved together

    def fit(labels: np.ndarray, y: np.ndarray, start: int, stop: int) -> tuple[np.ndarray, ...]:
        """Fit rows ``start:stop`` on their samples (``labels (1 or r, d, m)``, ``y (1 or r, m, k)``)."""
        shared = labels.shape[0] == 1
        fits = [
            _fit_rows(
                labels if shared else labels[i - start : i - start + per_fit],
                y if shared else y[i - start : i - start + per_fit],
                rows[i : min(i + per_fit, stop)],
                y_rows[i : min(i + per_fit, stop)],
                discrete,
                s.kernel_width,
            )
            for i in range(start, stop, per_fit)
        ]
        return tuple(np.concatenate(part) for part in zip(*fits, strict=True))

    if s.sample == "shared":
        # one sample, drawn and scored once, serves every row; the fits run over row chunks
        labels, values = _draw_rows(columns, [np.random.default_rng(job.random_state)], m)
        y = _score(job, values, space)[None]
        size = max(per_fit, 16)
        bounds = [(a, min(n, a + size)) for a in range(0, n, size)]
        return run_tasks(job, lambda start, stop: fit(labels, y, start, stop), bounds, desc="lime")
    # a fresh sample per row, from the row's own stream: chunks can run in any order or worker
    entropy = call_entropy(job.random_state)
    per_draw = max(1, CHUNK_ELEMENTS // (s.num_samples * d))  # rows whose samples are drawn and scored together

    def independent(start: int, stop: int) -> tuple[np.ndarray, ...]:
        labels, values = _draw_rows(columns, row_generators(entropy, x[start:stop]), m)
        return fit(labels, _score(job, values, space).reshape(stop - start, m, -1), start, stop)

    return run_tasks(job, independent, [(a, min(n, a + per_draw)) for a in range(0, n, per_draw)], desc="lime")


def _fit_rows(
    labels: np.ndarray, y: np.ndarray, rows: np.ndarray, y_rows: np.ndarray, discrete: np.ndarray, width: float
) -> tuple[np.ndarray, ...]:
    """LIME's design, weights and ridge fit for ``r`` rows at once.

    ``labels (r or 1, d, m)`` and ``y (r or 1, m, k)`` are the perturbed samples (one per row,
    or one for all) and their model outputs, ``rows (r, d)`` the rows' labels and
    ``y_rows (r, k)`` their predictions. The caller keeps ``r * m * d`` small, so that the
    working set stays in cache.
    """
    r, (d, m) = rows.shape[0], labels.shape[1:]
    first = np.where(discrete, 1.0, rows)  # each row's own design: inside each of its own bins
    Zt = np.empty((r, d, m + 1))  # the designs, transposed: (row, feature, sample)
    Zt[:, :, 0] = first
    np.equal(labels, rows[:, :, None], out=Zt[:, :, 1:])
    if not discrete.all():
        Zt[:, ~discrete, 1:] = labels[:, ~discrete]
    if discrete.all():  # the row is all ones: the squared distance counts the zeros
        distance2 = d - Zt.sum(axis=1)
    else:
        gap = Zt - first[:, :, None]
        distance2 = np.einsum("rjn,rjn->rn", gap, gap)
    weights = np.sqrt(np.exp(-distance2 / width**2))
    Y = np.concatenate([y_rows[:, None, :], np.broadcast_to(y, (r, m, y.shape[2]))], axis=1)
    return _weighted_ridge(Zt, Y, weights, ALPHA, first)


def _weighted_ridge(
    Zt: np.ndarray, Y: np.ndarray, w: np.ndarray, alpha: float, at: np.ndarray
) -> tuple[np.ndarray, ...]:
    """``Ridge(alpha).fit(Zt[i].T, Y[i], sample_weight=w[i])`` for each problem ``i``, and its R^2.

    As scikit-learn does: centre the design ``Zt (r, d, N)`` and ``Y (r, N, k)`` on their
    weighted means and solve ``(Zc' W Zc + alpha I) coef = Zc' W Yc``; the intercept follows
    from the means (the penalty does not reach it). Returns coefficients ``(r, d, k)``, and
    intercepts, weighted R^2 and predictions at ``at (r, d)``, each ``(r, k)``. Overwrites ``Zt``.
    """
    total = w.sum(axis=1)[:, None]
    z_mean = np.matmul(Zt, w[:, :, None])[:, :, 0] / total
    y_mean = np.matmul(w[:, None, :], Y)[:, 0, :] / total
    root = np.sqrt(w)
    Zt -= z_mean[:, :, None]
    Zt *= root[:, None, :]
    Yc = (Y - y_mean[:, None, :]) * root[:, :, None]
    A = np.matmul(Zt, Zt.transpose(0, 2, 1))
    A += alpha * np.eye(Zt.shape[1])
    coef = np.linalg.solve(A, np.matmul(Zt, Yc))
    residual = ((Yc - np.matmul(Zt.transpose(0, 2, 1), coef)) ** 2).sum(axis=1)
    spread = (Yc**2).sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        # as scikit-learn's r2_score: 1 for a perfect fit of a constant target, else 0 when it is constant
        r2 = np.where(spread > 0, 1.0 - residual / spread, np.where(residual > 0, 0.0, 1.0))
    intercept = y_mean - np.einsum("rj,rjk->rk", z_mean, coef)
    return coef, intercept, r2, intercept + np.einsum("rj,rjk->rk", at, coef)


# --------------------------------------------------------------------------- the lime package


class _Scores:
    """Stands in for a LimeTabularExplainer's ``base`` to keep the fit of *every* output.

    ``explain_instance`` keeps only the last label's ``score`` and ``local_pred``; this wrapper
    records them for each label as lime's own ``LimeBase`` computes them.
    """

    def __init__(self, base: Any) -> None:
        self.base = base
        self.fits: list[tuple[float, float]] = []

    def explain_instance_with_data(self, *args: Any, **kwargs: Any) -> Any:
        out = self.base.explain_instance_with_data(*args, **kwargs)
        self.fits.append((float(out[2]), float(np.ravel(out[3])[0])))
        return out


def _run_lime_package(job: Job, space: OutputSpace, s: _Settings) -> tuple[np.ndarray, ...]:
    from lime.lime_tabular import LimeTabularExplainer

    background = require_background(job, "lime").encoded
    x = job.X.encoded
    n, d = x.shape
    k = job.predict(x[:1], space).shape[1]
    explainer = LimeTabularExplainer(
        background,
        mode="classification",  # any (n, k) outputs; each output is fitted as lime's "label"
        feature_names=list(job.X.schema.feature_names),
        categorical_features=[j for j, c in enumerate(job.X.schema.columns) if c.kind == "categorical"],
        kernel_width=s.kernel_width,
        discretize_continuous=s.discretize,
        feature_selection="none",  # every feature, as the batched engine
        random_state=job.random_state,
    )
    scores = _Scores(explainer.base)
    explainer.base = scores
    coef, intercept, fits = np.zeros((n, d, k)), np.zeros((n, k)), np.zeros((n, k, 2))

    def f(z: np.ndarray) -> np.ndarray:
        return job.predict(np.asarray(z, dtype=float), space)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # lime warns that outputs other than probabilities do not sum to 1
        for i in range(n):
            scores.fits.clear()
            exp = explainer.explain_instance(x[i], f, labels=tuple(range(k)), num_features=d, num_samples=s.num_samples)
            for j in range(k):
                for feature, weight in exp.local_exp[j]:
                    coef[i, feature, j] = weight
                intercept[i, j] = exp.intercept[j]
            fits[i] = scores.fits
    return coef, intercept, fits[:, :, 0], fits[:, :, 1]


METHOD = MethodSpec(
    name="lime",
    summary="LIME: weighted ridge on a perturbed sample, per row (batched engine, or the lime package)",
    support=support,
    run=run,
    exact=False,
    additive=False,
    needs_background=True,
    defaults={"num_samples": 5000, "engine": "batched", "sample": "shared", "kernel_width": None, "discretize": True},
    random=True,
)
