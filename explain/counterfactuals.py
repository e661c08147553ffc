"""Counterfactual explanations: the smallest changes to a row that would change the model's decision.

GDPR Art. 22, read with the CJEU's judgment in C-203/22 (Dun & Bradstreet Austria, 2025), asks
that a person subject to an automated decision be told how the decision would have come out
with other data; a counterfactual ("had your income been 52,000 instead of 41,000, the loan
would have been approved") says exactly that, in the person's own terms.

:func:`counterfactuals` searches for them (see :mod:`explain._counterfactual_search` for the
algorithm, :mod:`explain._counterfactual_space` for the allowed values and the distance) and
returns a read-only :class:`Counterfactuals`.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from ._counterfactual_goal import read_goal
from ._counterfactual_result import Counterfactuals
from ._counterfactual_search import search
from ._counterfactual_space import GRID, build_space
from ._data import Codebook, checked_random_state, read_table
from ._model import Task
from ._provenance import Provenance, data_fingerprint, library_versions, model_fingerprint, model_libraries, type_path
from .distributed import is_dask_collection
from .errors import InputError
from .methods._base import Job

__all__ = ["Counterfactuals", "counterfactuals"]

DISTANCE = (
    "MAD-normalised L1: sum of |change| / MAD(data) over numeric features (mean absolute deviation "
    "about the median where the MAD is 0, else 1), plus 1 per changed categorical feature"
)
SEARCH = "single changes, pairs, genetic (per-row seeded); simplified; greedy diverse selection; re-predicted"


def counterfactuals(
    model: Any,
    X: Any,
    *,
    data: Any,
    desired: Any,
    immutable: Any = (),
    ranges: Any = None,
    k: int = 3,
    random_state: int | np.random.RandomState | None = 0,
    threshold: float | None = None,
    max_changes: int | None = None,
    increase_only: Any = (),
    decrease_only: Any = (),
    quantiles: tuple[float, float] = (0.0, 1.0),
    diversity: float = 0.5,
    task: Task | None = None,
) -> Counterfactuals:
    """Find up to ``k`` counterfactuals of each row of ``X``: changed rows that reach ``desired``.

    Every counterfactual returned has been scored by the model and reaches the desired outcome;
    it changes no immutable feature, and takes only values allowed by ``data`` and ``ranges``.
    Rows for which none is found are listed, with the reason, in :attr:`Counterfactuals.notes`.

    Parameters
    ----------
    model : estimator or callable
        What :class:`explain.Explainer` accepts: a fitted scikit-learn estimator or Pipeline
        (categorical columns included), LightGBM, XGBoost, an EBM, or a function with ``task``.
    X : array-like or DataFrame
        The rows to explain, with the model's columns (matched by name for DataFrames).
    data : array-like or DataFrame
        Reference rows (typically the training data): a numeric feature may take the values
        observed here, between the smallest and largest (or ``quantiles``); a categorical
        feature the categories observed here.
    desired : class label, "flip" or (low, high)
        Binary classifier: the class wanted, or ``"flip"`` (the other class of each row).
        Multiclass: a class, or ``"flip"`` (any other class). Regressor: the interval the
        prediction should reach, ``None`` for an open side.
    immutable : list of str
        Features that never change (e.g. age, sex).
    ranges : dict, optional
        Per feature, ``(low, high)`` (numeric; within the values observed in ``data``; ``None``
        keeps the data's bound) or a list of allowed categories.
    k : int, default 3
        Counterfactuals per row, at most; each changes a different set of features.
    random_state : int, RandomState or None, default 0
        Seed of the genetic search; each row draws from its own stream keyed by the seed and
        the row's values, so the same inputs give the same counterfactuals, byte for byte.
    threshold : float, optional
        Classifiers: the cut-off on the positive class's probability (binary; default 0.5, the
        positive class when ``P >= threshold``), or on the desired class's (multiclass).
    max_changes : int, optional
        The most features one counterfactual may change.
    increase_only, decrease_only : list of str
        Numeric features that may move one way only (e.g. years of employment).
    quantiles : (float, float), default (0, 1)
        Bounds of numeric features as quantiles of ``data``, e.g. (0.01, 0.99) to stay off the
        extremes; ``ranges`` take precedence.
    diversity : float, default 0.5
        Weight of the distance to the counterfactuals already chosen, in the greedy choice of the
        next; 0 takes the closest ones.
    task : {"classification", "regression"}, optional
        Needed only for a plain function.

    Returns
    -------
    Counterfactuals

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from sklearn.linear_model import LogisticRegression
    >>> import explain as ex
    >>> rng = np.random.default_rng(0)
    >>> X = pd.DataFrame({"income": rng.integers(20, 100, 400) * 1000.0, "debt": rng.uniform(0, 1, 400).round(2),
    ...                   "age": rng.integers(18, 70, 400)})
    >>> y = (X["income"] / 50_000 - 2 * X["debt"] + rng.normal(0, 0.3, 400) > 0).astype(int)
    >>> model = LogisticRegression(max_iter=1000).fit(X, y)
    >>> declined = X[model.predict(X) == 0].head(5)
    >>> cf = ex.counterfactuals(model, declined, data=X, desired=1, immutable=["age"])
    >>> print(cf.text(0, outcome="the loan would be approved"))
    If debt were 0.58 instead of 0.67, the loan would be approved.
    Or, if income were 68,000 instead of 60,000, the loan would be approved.
    >>> bool(cf.found.all()), bool((cf.candidates()["outcome"] == 1).all()), "age" in set(cf.to_frame()["feature"])
    (True, True, False)
    """
    start = time.perf_counter()
    k, max_changes, diversity = _settings(k, max_changes, diversity)
    seed = checked_random_state(random_state)
    job, data_table = _prepare(model, X, data, task, seed)
    space = build_space(
        data_table,
        job.codebook,
        immutable=immutable,
        ranges=ranges,
        increase_only=increase_only,
        decrease_only=decrease_only,
        quantiles=quantiles,
    )
    X0 = np.array(job.X.encoded, dtype=float)
    space_out = "probability" if job.model.is_classifier else "raw"
    out = job.predict(X0.copy(), space_out)  # type: ignore[arg-type]
    goal = read_goal(job.model, out, desired, threshold)
    rows = np.arange(X0.shape[0])
    already = goal.reached(out, rows)
    movable = np.zeros(len(rows), dtype=bool)
    for j in np.flatnonzero(space.mutable).tolist():
        movable |= space.options(j, X0[:, j], space.values[j]).any(1)
    todo = rows[~already & movable]
    found = search(job, goal, space, X0, todo, k=k, max_changes=max_changes, diversity=diversity, seed=seed)
    has = np.isin(rows, found.rows)
    notes = tuple(
        "" if has[r] else _why_none(goal.outcome(out[[r]])[0], bool(already[r]), bool(movable[r]), space, max_changes)
        for r in rows
    )
    settings = {"k": k, "desired": desired, "threshold": goal.threshold, "immutable": immutable,
                "increase_only": increase_only, "decrease_only": decrease_only, "max_changes": max_changes,
                "quantiles": quantiles, "diversity": diversity}  # fmt: skip
    return Counterfactuals(
        feature_names=job.X.schema.feature_names,
        feature_kinds=tuple(c.kind for c in job.X.schema.columns),
        data=job.X.values,
        scores=goal.score(out, rows),
        outcomes=tuple(goal.outcome(out)),
        desired=tuple(goal.describe(r) for r in rows.tolist()),
        rows=found.rows,
        values=job.codebook.decode(found.C),
        new_scores=goal.score(found.out, found.rows),  # the outputs of the final check
        new_outcomes=tuple(goal.outcome(found.out)),
        notes=notes,
        task=goal.kind,
        score_name=_score_name(goal),
        params=_params(settings, space, found, n_rows=len(rows)),
        provenance=_provenance(job, data_table, seed, start),
    )


def _params(settings: dict[str, Any], space: Any, found: Any, n_rows: int) -> dict[str, Any]:
    """The settings as data, the allowed values and scales, the distance, the search and its cost."""
    names = sorted(str(f) for f in (settings["immutable"] or ()))
    numeric = zip(space.names, space.scale, space.kinds, strict=True)
    return {
        **settings,
        "desired": _plain(settings["desired"]),
        "immutable": names,
        "increase_only": sorted(str(f) for f in (settings["increase_only"] or ())),
        "decrease_only": sorted(str(f) for f in (settings["decrease_only"] or ())),
        "quantiles": [float(q) for q in settings["quantiles"]],
        "ranges": dict(space.bounds),
        "scales": {n: float(s) for n, s, c in numeric if c == "numeric"},
        "distance": DISTANCE,
        "search": SEARCH,
        "grid": GRID,
        "stages": found.stages,
        "model_calls": found.model_calls + 1,  # and the explained rows, once
        "model_rows": found.model_rows + n_rows,
        "dropped_by_check": found.dropped,
    }


def _provenance(job: Job, data_table: Any, seed: int | None, start: float) -> Provenance:
    kinds = tuple(c.kind for c in job.X.schema.columns)
    names = job.X.schema.feature_names
    return Provenance(
        model_fingerprint=model_fingerprint(job.model.model),
        data_fingerprint=data_fingerprint(job.X.values, names, kinds),
        background_fingerprint=data_fingerprint(data_table.values, names, kinds),
        random_state=seed,
        versions=library_versions(*model_libraries(job.model.model)),
        elapsed_seconds=round(time.perf_counter() - start, 6),
        model_type=type_path(job.model.model),
    )


def _settings(k: Any, max_changes: Any, diversity: Any) -> tuple[int, int | None, float]:
    def whole(value: Any) -> bool:
        return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))

    if not whole(k) or k < 1:
        raise InputError(f"k={k!r}; pass the number of counterfactuals wanted per row, a whole number >= 1.")
    if max_changes is not None and (not whole(max_changes) or max_changes < 1):
        raise InputError(f"max_changes={max_changes!r}; pass a whole number >= 1 of features to change, or None.")
    number = isinstance(diversity, (int, float, np.integer, np.floating)) and not isinstance(diversity, bool)
    if not number or not 0 <= float(diversity) < np.inf:
        raise InputError(f"diversity={diversity!r}; pass a number >= 0 (0: the closest counterfactuals).")
    return int(k), None if max_changes is None else int(max_changes), float(diversity)


def _prepare(model: Any, X: Any, data: Any, task: Task | None, seed: int | None) -> tuple[Job, Any]:
    """The model adapter, X and data read against the model's columns (as the Explainer reads
    them), and X checked for missing values the model cannot take."""
    from .explainer import Explainer

    if data is None:
        raise InputError("data is None; pass reference rows (e.g. the training data): they bound the changes.")
    for value, role in ((X, "X"), (data, "data")):
        if is_dask_collection(value):
            raise InputError(f"{role} is a dask collection; counterfactuals are searched in memory: pass .compute().")
    explainer = Explainer(model, task=task, random_state=seed)
    adapter = explainer._check_settings()
    schema = explainer._schema(adapter, X)
    x_table = read_table(X, schema, role="X")
    data_table = read_table(data, schema, role="data")
    codebook = Codebook.fit(schema, [data_table, x_table])
    x_table, data_table = codebook.encode(x_table), codebook.encode(data_table)
    job = Job(adapter, codebook, x_table, data_table, None, seed)
    explainer._check_missing(job, x_table, "X")
    return job, data_table


def _why_none(outcome: Any, already: bool, movable: bool, space: Any, max_changes: int | None) -> str:
    if already:
        return f"the model already decides {outcome!r}, the desired outcome: nothing to change"
    if not space.mutable.any():
        return "every feature is immutable (or never observed in data): nothing may change"
    if not movable:
        return "every mutable feature is already at its bound in its allowed direction, or missing"
    if max_changes:
        size = f"{max_changes} feature{'' if max_changes == 1 else 's'}"
        return f"no change of at most {size} within the allowed ranges reaches the desired outcome"
    return "the search found no change within the allowed ranges that reaches the desired outcome"


def _score_name(goal: Any) -> str:
    if goal.kind == "regression":
        return "prediction"
    if goal.kind == "binary":
        return f"P({goal.classes[1]})"
    return "P(own class)" if (goal.target < 0).any() else "P(desired class)"


def _plain(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value
