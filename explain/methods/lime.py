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
sample of ``num_samples - 1`` rows is drawn and scored once per call and serves every row;
each row's neighbourhood still has exactly lime's distribution, but **rows share their
randomness**: their sampling errors are correlated, and the cost per row is one ridge solve.
``sample="independent"`` draws a fresh sample for every row (scored in large chunks). All
ridge problems are solved in batch with numpy. ``engine="lime"`` calls the ``lime`` package
row by row, as a reference. Both engines draw from ``random_state`` (one generator per call),
so two calls with the same seed give identical values.

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

ENGINES = ("batched", "lime")
SAMPLES = ("shared", "independent")
ALPHA = 1.0  # lime's Ridge(alpha=1)
CHUNK_ELEMENTS = 1 << 22  # floats in one chunk's design (32 MB): bounds memory whatever n, d, num_samples
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
    bounds: np.ndarray  # (n_bins, 2) lower and upper bound of each bin (binned)
    moments: np.ndarray  # (n_bins, 2) mean and std of each bin (binned); (1, 2) center, scale (continuous)


def _fit_column(values: np.ndarray, categorical: bool, discretize: bool) -> _Column:
    empty = np.empty((0, 2))
    if categorical or discretize:
        edges = np.empty(0)
        bounds = moments = empty
        if not categorical:
            edges = np.unique(np.percentile(values, _QUARTILES))
            bins = np.searchsorted(edges, values)
            picked = [values[bins == b] for b in range(len(edges) + 1)]
            moments = np.array([[v.mean(), v.std()] if len(v) else [0.0, 0.0] for v in picked])
            moments[:, 1] += _STD_FLOOR
            bounds = np.column_stack([np.r_[values.min(), edges], np.r_[edges, values.max()]])
            values = bins.astype(float)
        labels, counts = np.unique(values, return_counts=True)
        cumulative = np.cumsum(counts) / counts.sum()
        return _Column("category" if categorical else "binned", labels, cumulative, edges, bounds, moments)
    std = values.std()
    scale = std if std > 10 * np.finfo(float).eps * max(1.0, abs(values.mean())) else 1.0  # as StandardScaler
    return _Column("continuous", np.empty(0), np.empty(0), np.empty(0), empty, np.array([[values.mean(), scale]]))


def _fit_columns(job: Job, discretize: bool) -> list[_Column]:
    background = require_background(job, "lime").encoded
    kinds = [c.kind for c in job.X.schema.columns]
    return [_fit_column(background[:, j], kinds[j] == "categorical", discretize) for j in range(job.n_features)]


def _row_labels(columns: list[_Column], X: np.ndarray) -> np.ndarray:
    """The label of each value of ``X`` (its bin, its code, or its standardized value)."""
    out = X.astype(float)
    for j, col in enumerate(columns):
        if col.kind == "binned":
            out[:, j] = np.searchsorted(col.edges, X[:, j])
        elif col.kind == "continuous":
            out[:, j] = (X[:, j] - col.moments[0, 0]) / col.moments[0, 1]
    return out


def _draw(columns: list[_Column], rng: np.random.Generator, m: int) -> tuple[np.ndarray, np.ndarray]:
    """``m`` perturbed rows from the background distribution: (labels, model input), both (m, d)."""
    d = len(columns)
    u = rng.random((m, d))
    v = rng.random((m, d))
    normal = rng.standard_normal((m, d)) if any(c.kind == "continuous" for c in columns) else None
    labels = np.empty((m, d))
    values = np.empty((m, d))
    for j, col in enumerate(columns):
        if col.kind == "continuous":
            assert normal is not None
            labels[:, j] = normal[:, j]
            values[:, j] = col.moments[0, 0] + normal[:, j] * col.moments[0, 1]
            continue
        picked = col.labels[np.searchsorted(col.cumulative[:-1], u[:, j], side="right")]
        labels[:, j] = picked
        if col.kind == "category":
            values[:, j] = picked
        else:
            b = picked.astype(np.intp)
            values[:, j] = _truncated_normal(v[:, j], *col.bounds[b].T, *col.moments[b].T)
    return labels, values


def _truncated_normal(u: np.ndarray, lo: np.ndarray, hi: np.ndarray, mu: np.ndarray, sd: np.ndarray) -> np.ndarray:
    """Normal(mu, sd) truncated to [lo, hi], by inverting its CDF at the uniforms ``u``."""
    a, b = (lo - mu) / sd, (hi - mu) / sd
    flip = a > 0  # invert in the lower tail, where the CDF keeps its precision
    a, b = np.where(flip, -b, a), np.where(flip, -a, b)
    pa, pb = ndtr(a), ndtr(b)
    with np.errstate(divide="ignore"):
        z = ndtri(pa + u * (pb - pa))
    z = np.where(flip, -z, z)
    # a bin with a single value (lo == hi) gives that value; lime 0.2.0.1 gives its z-score instead
    return np.clip(mu + sd * z, lo, hi)


# --------------------------------------------------------------------------- the batched engine


def _score(job: Job, encoded: np.ndarray, space: OutputSpace) -> np.ndarray:
    """Model outputs ``(m, k)`` for perturbed rows, in chunks of bounded memory."""
    step = max(1, CHUNK_ELEMENTS // max(1, encoded.shape[1]))
    parts = [job.predict(encoded[i : i + step], space) for i in range(0, encoded.shape[0], step)]
    return np.concatenate(parts, axis=0)


def _run_batched(job: Job, space: OutputSpace, s: _Settings) -> tuple[np.ndarray, ...]:
    rng = np.random.default_rng(job.random_state)
    columns = _fit_columns(job, s.discretize)
    discrete = np.array([c.kind != "continuous" for c in columns])
    x = job.X.encoded
    rows = _row_labels(columns, x)
    y_rows = job.predict(x, space)
    n, d, m = x.shape[0], x.shape[1], s.num_samples - 1
    step = max(1, CHUNK_ELEMENTS // (s.num_samples * d))  # rows whose ridge problems are solved together
    shared = None
    if s.sample == "shared":
        labels, values = _draw(columns, rng, m)
        shared = labels[None], _score(job, values, space)[None]
    parts = []
    for start in range(0, n, step):
        idx = slice(start, min(n, start + step))
        if shared is None:
            r = idx.stop - idx.start
            labels, values = _draw(columns, rng, r * m)
            sample = labels.reshape(r, m, d), _score(job, values, space).reshape(r, m, -1)
        else:
            sample = shared
        parts.append(_fit_rows(*sample, rows[idx], y_rows[idx], discrete, s.kernel_width))
    return tuple(np.concatenate(p, axis=0) for p in zip(*parts, strict=True))


def _fit_rows(
    labels: np.ndarray, y: np.ndarray, rows: np.ndarray, y_rows: np.ndarray, discrete: np.ndarray, width: float
) -> tuple[np.ndarray, ...]:
    """LIME's design, weights and ridge fit for ``r`` rows at once.

    ``labels (r or 1, m, d)`` and ``y (r or 1, m, k)`` are the perturbed sample (one per row, or
    one shared), ``rows (r, d)`` the rows' labels and ``y_rows (r, k)`` their predictions.
    """
    r = rows.shape[0]
    first = np.where(discrete, 1.0, rows)  # the row's own design: inside its own bins
    design = np.where(discrete, labels == rows[:, None, :], labels)
    Z = np.concatenate([first[:, None, :], design], axis=1)  # (r, N, d), row itself first
    Y = np.concatenate([y_rows[:, None, :], np.broadcast_to(y, (r, *y.shape[1:]))], axis=1)
    distance2 = ((Z - first[:, None, :]) ** 2).sum(axis=2)
    weights = np.sqrt(np.exp(-distance2 / width**2))
    return _weighted_ridge(Z, Y, weights, ALPHA, first)


def _weighted_ridge(
    Z: np.ndarray, Y: np.ndarray, w: np.ndarray, alpha: float, at: np.ndarray
) -> tuple[np.ndarray, ...]:
    """Batched ``Ridge(alpha).fit(Z[i], Y[i], sample_weight=w[i])`` for every problem ``i``.

    As scikit-learn does with sample weights: centre ``Z`` and ``Y`` on their weighted means,
    solve ``(Zc' W Zc + alpha I) coef = Zc' W Yc``, and take the intercept from the means (the
    penalty does not reach it). Returns coefficients ``(r, d, k)``, intercepts, weighted R^2 and
    predictions at ``at (r, d)``, each ``(r, k)``.
    """
    d = Z.shape[2]
    total = w.sum(axis=1)
    Zw = Z * w[:, :, None]
    z_mean = Zw.sum(axis=1) / total[:, None]
    y_mean = np.einsum("rn,rnk->rk", w, Y) / total[:, None]
    # Zc' W Zc = Z' W Z - total * z_mean z_mean' (and likewise for Y): no centred copy of Z needed
    A = np.matmul(Zw.transpose(0, 2, 1), Z) - total[:, None, None] * z_mean[:, :, None] * z_mean[:, None, :]
    A += alpha * np.eye(d)
    B = np.matmul(Zw.transpose(0, 2, 1), Y) - total[:, None, None] * z_mean[:, :, None] * y_mean[:, None, :]
    coef = np.linalg.solve(A, B)
    intercept = y_mean - np.einsum("rd,rdk->rk", z_mean, coef)
    residual = np.einsum("rn,rnk->rk", w, (Y - np.matmul(Z, coef) - intercept[:, None, :]) ** 2)
    spread = np.einsum("rn,rnk->rk", w, (Y - y_mean[:, None, :]) ** 2)
    with np.errstate(divide="ignore", invalid="ignore"):
        # scikit-learn's r2_score: 1 for a perfect fit of a constant target, else 0 when it is constant
        r2 = np.where(spread > 0, 1.0 - residual / spread, np.where(residual > 0, 0.0, 1.0))
    local = intercept + np.einsum("rd,rdk->rk", at, coef)
    return coef, intercept, r2, local


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
