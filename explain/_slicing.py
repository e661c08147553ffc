"""Selecting rows, features and outputs of a LocalExplanation, and joining several.

Private: :func:`concat` is public as :func:`explain.concat` (re-exported by
:mod:`explain.explanation`); :func:`select`, :func:`select_output` and :func:`cohorts` are the
bodies of ``LocalExplanation.__getitem__``, ``for_output`` and ``cohorts``, whose docstrings
(with examples) stay on the methods. The checks of a feature selection's ``remainder`` live
here too.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ._provenance import data_fingerprint
from ._values import _columns, _frozen_array, _groups, _index, _short, _unknown_feature, thaw
from .errors import InputError

if TYPE_CHECKING:
    from .explanation import LocalExplanation

__all__ = ["cohorts", "concat", "select", "select_output"]


def concat(explanations: Sequence[LocalExplanation]) -> LocalExplanation:
    """One LocalExplanation of the rows of several, in order (e.g. batches, or cohorts).

    They must explain the same model with the same method, output space, features, outputs
    and background data; the first difference is named otherwise. Parameters they share are
    kept; ``params["concatenated"]`` lists each part (rows, data fingerprint, seed, and the
    parameters it did not share), and the provenance fingerprints the joined rows and adds
    up the time taken (its seed is ``None`` if the parts had different seeds).

    Examples
    --------
    >>> from sklearn.datasets import load_diabetes
    >>> from sklearn.linear_model import LinearRegression
    >>> import explain as ex
    >>> X, y = load_diabetes(return_X_y=True, as_frame=True)
    >>> explainer = ex.Explainer(LinearRegression().fit(X, y), background=X[:50])
    >>> both = ex.concat([explainer.explain_local(X[:3]), explainer.explain_local(X[3:5])])
    >>> len(both), [part["rows"] for part in both.params["concatenated"]]
    (5, [3, 2])
    """
    from .explanation import LocalExplanation  # here: explanation.py imports this module

    parts = list(explanations) if isinstance(explanations, (list, tuple)) else None
    if not parts or not all(isinstance(p, LocalExplanation) for p in parts):
        given = type(explanations).__name__ if parts is None else [type(p).__name__ for p in parts]
        raise InputError(f"concat() takes a non-empty list of LocalExplanations, not {given}.")
    for i, part in enumerate(parts[1:], start=1):
        difference = _difference(parts[0], part)
        if difference:
            raise InputError(
                f"explanation {i} differs from explanation 0 in its {difference}. concat() joins explanations of "
                "the same model, method, output space, features and background; explain the rows together, or "
                "select the same features (local[:, names])."
            )
    first = parts[0]
    data = np.concatenate([p.data for p in parts])
    provenance = replace(
        first.provenance,
        data_fingerprint=data_fingerprint(data, first.feature_names, first.feature_kinds),
        random_state=first.provenance.random_state if _same(p.provenance.random_state for p in parts) else None,
        elapsed_seconds=float(sum(p.provenance.elapsed_seconds for p in parts)),
    )
    return replace(
        first,
        values=np.concatenate([p.values for p in parts]),
        base_values=np.concatenate([p.base_values for p in parts]),
        data=data,
        predictions=np.concatenate([p.predictions for p in parts]),
        params=_joined_params(parts),
        provenance=provenance,
        diagnostics={k: np.concatenate([p.diagnostics[k] for p in parts]) for k in first.diagnostics},
        remainder=None if first.remainder is None else np.concatenate([p.remainder for p in parts]),  # type: ignore[misc]
    )


# --------------------------------------------------------------------------- slicing helpers


def select(local: LocalExplanation, key: Any) -> LocalExplanation:
    """``local[key]``: rows, features and output (see :meth:`LocalExplanation.__getitem__`)."""
    rows, features, output = _split_key(key)
    out = local if _everything(rows) else _select_rows(local, _index(local.n_rows, rows))
    if not _everything(features):
        out = _select_features(out, _columns(local.feature_names, features))
    return out if output is None else out.for_output(output)


def select_output(local: LocalExplanation, output: str | int) -> LocalExplanation:
    """The explanation of one output (see :meth:`LocalExplanation.for_output`)."""
    j = local._output_index(output)
    if not local.is_multi_output:
        return local
    return replace(
        local,
        values=local.values[:, :, j],
        base_values=local.base_values[:, j],
        predictions=local.predictions[:, j],
        output_names=(local.output_names[j],),
        diagnostics={k: v[:, j] if v.ndim == 2 else v for k, v in local.diagnostics.items()},
        remainder=None if local.remainder is None else local.remainder[:, j],
    )


def cohorts(local: LocalExplanation, by: Any) -> dict[Any, LocalExplanation]:
    """The rows split into groups (see :meth:`LocalExplanation.cohorts`)."""
    labels, name = _cohort_labels(local, by)
    out = {}
    for label, rows in _groups(labels).items():
        part = _select_rows(local, rows)
        cohort = {"by": name, "label": label if isinstance(label, (str, int, float, bool)) or label is None
                  else str(label)}  # fmt: skip
        out[label] = replace(part, params={**thaw(part.params), "cohort": cohort})
    return out


def _select_rows(local: LocalExplanation, idx: np.ndarray) -> LocalExplanation:
    data = local.data[idx]
    provenance = replace(
        local.provenance,
        data_fingerprint=data_fingerprint(data, local.feature_names, local.feature_kinds),
    )
    return replace(
        local,
        values=local.values[idx],
        base_values=local.base_values[idx],
        data=data,
        predictions=local.predictions[idx],
        provenance=provenance,
        diagnostics={k: v[idx] for k, v in local.diagnostics.items()},
        remainder=None if local.remainder is None else local.remainder[idx],
    )


def _select_features(local: LocalExplanation, kept: np.ndarray) -> LocalExplanation:
    if np.array_equal(kept, np.arange(local.n_features)):
        return local
    names = tuple(local.feature_names[j] for j in kept)
    kinds = tuple(local.feature_kinds[j] for j in kept)
    dropped = np.setdiff1d(np.arange(local.n_features), kept)
    remainder = local.values[:, dropped].sum(axis=1)
    if local.remainder is not None:
        remainder = remainder + local.remainder
    left_out = [*local.features_left_out, *(local.feature_names[j] for j in dropped)]
    data = local.data[:, kept]
    return replace(
        local,
        values=local.values[:, kept],
        data=data,
        feature_names=names,
        feature_kinds=kinds,
        params={**thaw(local.params), "features_left_out": left_out},
        provenance=replace(local.provenance, data_fingerprint=data_fingerprint(data, names, kinds)),
        remainder=remainder,
    )


def _cohort_labels(local: LocalExplanation, by: Any) -> tuple[np.ndarray, str]:
    if isinstance(by, str):
        if by not in local.feature_names:
            raise InputError(
                f"cohorts(by={by!r}): {_unknown_feature(by, local.feature_names)} Or pass one label per row."
            )
        return local.data[:, local.feature_names.index(by)], by
    labels = np.asarray(by.to_numpy() if isinstance(by, (pd.Series, pd.Index)) else by, dtype=object)
    if labels.shape != (local.n_rows,):
        raise InputError(
            f"cohorts(by=...) got labels of shape {labels.shape} for an explanation of {local.n_rows} rows; pass "
            "a feature name, one label per row, or a boolean mask of one entry per row."
        )
    mask = np.asarray(by).dtype == bool
    return labels, "mask" if mask else (str(by.name) if isinstance(by, pd.Series) and by.name else "labels")


def _split_key(key: Any) -> tuple[Any, Any, str | int | None]:
    """``local[rows]``, ``local[rows, features]`` or ``local[rows, features, output]``."""
    if not isinstance(key, tuple):
        return key, slice(None), None
    if len(key) == 2:
        return key[0], key[1], None
    if len(key) == 3:
        if not isinstance(key[2], (str, int, np.integer)) or isinstance(key[2], (bool, np.bool_)):
            raise InputError(f"the third index picks one output, by name or position, not {_short(key[2])}.")
        return key[0], key[1], key[2] if isinstance(key[2], str) else int(key[2])
    raise IndexError(f"an explanation takes local[rows, features, output] at most, not {len(key)} indices.")


def _everything(key: Any) -> bool:
    return isinstance(key, slice) and key == slice(None)


def _frozen_remainder(remainder: Any, shape: tuple[int, ...]) -> np.ndarray | None:
    if remainder is None:
        return None
    array = np.asarray(remainder, dtype=float)
    if array.shape != shape:
        raise InputError(f"remainder of shape {array.shape}; it holds one number per row (and output): {shape}.")
    return _frozen_array(array)


def _check_left_out(exp: LocalExplanation) -> None:
    """A feature selection carries its remainder and the names of the features it left out."""
    left = exp.params.get("features_left_out")
    if left is None and exp.remainder is None:
        return
    if left is None or exp.remainder is None:
        raise InputError(
            "a selection of features carries both its remainder (the attributions of the features left out) and "
            "params['features_left_out'] (their names); select features with local[:, names]."
        )
    if not isinstance(left, tuple) or not left or not all(isinstance(name, str) for name in left):
        raise InputError(f"params['features_left_out'] should list the names of the features left out, not {left!r}.")
    if len(set(left)) != len(left) or set(left) & set(exp.feature_names):
        raise InputError(
            f"params['features_left_out'] {_short(left)} repeats a name or names a feature that is kept "
            f"{_short(exp.feature_names)}."
        )


def _same(items: Any) -> bool:
    items = list(items)
    return all(item == items[0] for item in items)


def _difference(a: LocalExplanation, b: LocalExplanation) -> str | None:
    """The first thing that keeps two explanations from being joined, described; or None."""
    unknown = "not recorded"
    checks = (
        ("model", a.provenance.model_fingerprint[:12] or unknown, b.provenance.model_fingerprint[:12] or unknown),
        ("method", a.method, b.method),
        ("output space", a.output_space, b.output_space),
        ("feature names", a.feature_names, b.feature_names),
        ("feature kinds", a.feature_kinds, b.feature_kinds),
        ("output names", a.output_names, b.output_names),
        ("background data", (a.provenance.background_fingerprint or "none")[:12],
         (b.provenance.background_fingerprint or "none")[:12]),
        ("features left out", a.features_left_out, b.features_left_out),
        ("diagnostics", tuple(sorted(a.diagnostics)), tuple(sorted(b.diagnostics))),
    )  # fmt: skip
    for label, x, y in checks:
        if x != y:
            return f"{label} ({_short(x)} here, {_short(y)} there)"
    return None


def _joined_params(parts: list[LocalExplanation]) -> dict[str, Any]:
    """The parameters every part shares, and ``concatenated``: one entry per part (flattened)."""
    plain = [thaw(p.params) for p in parts]
    common = {k: v for k, v in plain[0].items() if k != "concatenated" and all(q.get(k, ...) == v for q in plain)}
    versions_differ = not _same(dict(p.provenance.versions) for p in parts)
    entries: list[Any] = []
    for part, params in zip(parts, plain, strict=True):
        own = {k: v for k, v in params.items() if k not in common and k != "concatenated"}
        earlier = params.get("concatenated")
        if isinstance(earlier, list) and earlier and all(isinstance(e, dict) for e in earlier):
            own.pop("concatenated", None)
            entries.extend({**e, "params": {**own, **e.get("params", {})}} if own else e for e in earlier)
            continue
        entry: dict[str, Any] = {
            "rows": part.n_rows,
            "data_fingerprint": part.provenance.data_fingerprint,
            "random_state": part.provenance.random_state,
        }
        if own:
            entry["params"] = own
        if versions_differ:
            entry["versions"] = dict(part.provenance.versions)
        entries.append(entry)
    return {**common, "concatenated": entries}
