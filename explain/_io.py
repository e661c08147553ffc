"""Reading and writing explanations as JSON: data only, never code (no pickle).

Floats are written with Python's shortest round-trip representation, so a reloaded array is
bit-for-bit the one that was saved; NaN is written as ``null``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from ._effects import FeatureEffect
from ._jsonfile import read_json
from ._provenance import Provenance
from .errors import SchemaError

__all__ = ["load"]

_SUPPORTED_VERSIONS = (1,)
_OUTPUT_SPACES = ("probability", "log_odds", "raw", "margin")


def floats_to_json(array: np.ndarray) -> Any:
    """Nested lists of floats, NaN as None."""
    a = np.asarray(array, dtype=float)
    obj = a.astype(object)
    obj[np.isnan(a)] = None
    return obj.tolist()


def floats_from_json(obj: Any, name: str = "array") -> np.ndarray:
    """Nested lists of numbers (None for NaN) back to floats; anything else is refused, since
    numpy would otherwise read a string such as ``"0.5"`` as a number."""
    raw = np.array(obj, dtype=object)
    ok = all(v is None or (isinstance(v, (int, float)) and not isinstance(v, bool)) for v in raw.flat)
    if not ok:
        bad = next((v for v in raw.flat if not isinstance(v, (int, float, type(None))) or isinstance(v, bool)), obj)
        raise ValueError(f"{name} should hold numbers but holds {bad!r}")
    return np.array(obj, dtype=float)  # None -> nan


def _scalar(value: Any) -> Any:
    if isinstance(value, np.generic):
        value = value.item()
    if value is None or isinstance(value, (str, bool, int)):
        return value
    if isinstance(value, float):
        return None if np.isnan(value) else value
    return str(value)


def data_to_json(data: np.ndarray, kinds: tuple[str, ...]) -> dict[str, Any]:
    """The explained rows, column by column (numeric columns as floats)."""
    columns = []
    for j, kind in enumerate(kinds):
        column = data[:, j]
        if kind == "numeric":
            columns.append(floats_to_json(column.astype(float)))
        else:
            columns.append([_scalar(v) for v in column])
    return {"n_rows": int(data.shape[0]), "columns": columns}


def data_from_json(obj: dict[str, Any], kinds: list[str]) -> np.ndarray:
    n = int(obj["n_rows"])
    columns = obj["columns"]
    if all(k == "numeric" for k in kinds):
        return np.array(columns, dtype=float).reshape(len(kinds), n).T.copy()
    out = np.empty((n, len(kinds)), dtype=object)
    for j, (kind, column) in enumerate(zip(kinds, columns, strict=True)):
        out[:, j] = np.array(column, dtype=float) if kind == "numeric" else column
    return out


def load(path: str | Path) -> Any:
    """Load an explanation saved with ``to_json``. Reads data only; never executes code.

    Any file gives either an explanation that satisfies its invariants (shapes, names, finite
    attributions, additivity for the methods that claim it) and saves again, or a
    :class:`~explain.errors.SchemaError` saying what is wrong.

    Examples
    --------
    >>> import explain as ex, tempfile, os
    >>> from sklearn.linear_model import LinearRegression
    >>> model = LinearRegression().fit([[0.0, 1.0], [1.0, 0.0], [2.0, 2.0]], [0.0, 1.0, 3.0])
    >>> local = ex.Explainer(model, background=[[0.0, 0.0], [1.0, 1.0]]).explain_local([[1.0, 2.0]])
    >>> path = os.path.join(tempfile.mkdtemp(), "local.json")
    >>> _ = local.to_json(path)
    >>> bool((ex.load(path).values == local.values).all())
    True
    """
    return from_dict(read_json(path, "saved explanation", "pass the path a to_json() call wrote"))


def _interactions(obj: dict[str, Any]) -> Any:
    from ._interactions import InteractionExplanation

    return InteractionExplanation.from_dict(obj)


def _counterfactuals(obj: dict[str, Any]) -> Any:
    from ._counterfactual_result import Counterfactuals

    return Counterfactuals.from_dict(obj)


def _text_explanation(obj: dict[str, Any]) -> Any:
    from .text_explanation import TextExplanation

    return TextExplanation.from_dict(obj)


def _image_explanation(obj: dict[str, Any]) -> Any:
    from .image_explanation import ImageExplanation

    return ImageExplanation.from_dict(obj)


# explanations of text and images name their kind (a GlobalExplanation's "kind" says what its
# importances measure, and is never one of these)
_BY_KIND = {"text_explanation": _text_explanation, "image_explanation": _image_explanation}


def from_dict(obj: Any) -> Any:
    """Build an explanation from the dict ``to_dict()`` made (or a :class:`SchemaError`).

    Dispatched by ``kind`` for text and image explanations, by ``schema`` otherwise."""
    kind = obj.get("kind") if isinstance(obj, dict) else None
    by_kind = _BY_KIND.get(kind) if isinstance(kind, str) else None
    if not isinstance(obj, dict) or ("schema" not in obj and by_kind is None):
        raise SchemaError(
            "this JSON has no 'schema' field, so it is not a saved explanation; load() reads the "
            "files that the to_json() of explanations and of Counterfactuals write."
        )
    if obj.get("schema") == "explain.audit":
        raise SchemaError(
            "this JSON is an audit report's evidence (schema 'explain.audit', written by AuditReport.to_json), not a "
            "saved explanation; read it with explain.AuditReport.from_json(path)."
        )
    version = obj.get("schema_version")
    if type(version) is not int or version not in _SUPPORTED_VERSIONS:
        raise SchemaError(
            f"schema_version {version!r} is not supported by this version of explain "
            f"(supported: {list(_SUPPORTED_VERSIONS)}); upgrade explain to read it."
        )
    build = by_kind or {
        "explain.LocalExplanation": _local,
        "explain.GlobalExplanation": _global,
        "explain.InteractionExplanation": _interactions,
        "explain.Counterfactuals": _counterfactuals,
    }.get(str(obj["schema"]))
    if build is None:
        raise SchemaError(f"unknown schema {str(obj['schema'])[:80]!r}; expected an explain explanation.")
    try:
        explanation = build(obj)
        explanation.to_json()  # an explanation that loads saves again
    except SchemaError as exc:
        raise SchemaError(
            f"the saved explanation is damaged: {exc} Write it again with to_json(); do not edit the file by hand."
        ) from exc
    except (KeyError, TypeError, ValueError, AttributeError, IndexError, OverflowError) as exc:
        raise SchemaError(
            f"the saved explanation is incomplete or damaged: {exc!r}. Write it again with to_json(); "
            "do not edit the file by hand."
        ) from exc
    return explanation


# --------------------------------------------------------------------------- validation


def _local(obj: dict[str, Any]) -> Any:
    from .explanation import LocalExplanation

    _fields(obj, ("values", "base_values", "predictions", "data", "feature_names", "feature_kinds", "output_names",
                  "output_space", "method", "params", "provenance"))  # fmt: skip
    names, outputs = _names(obj, "feature_names"), _names(obj, "output_names")
    kinds = _kinds(obj["feature_kinds"], len(names))
    values = _numbers(obj["values"], "values", ndims=(2, 3))
    n, multi = values.shape[0], values.ndim == 3
    shape = (n, len(outputs)) if multi else (n,)
    if values.shape[1:] != ((len(names), len(outputs)) if multi else (len(names),)) or (
        not multi and len(outputs) != 1
    ):
        raise SchemaError(
            f"values of shape {values.shape} do not match {len(names)} features and {len(outputs)} outputs; "
            "the file is damaged: write it again with to_json()."
        )
    base = _numbers(obj["base_values"], "base_values", shape=shape)
    predictions = _numbers(obj["predictions"], "predictions", shape=shape)
    diagnostics = obj.get("diagnostics", {})
    if not isinstance(diagnostics, dict):
        raise SchemaError(f"diagnostics should be an object of arrays, not {type(diagnostics).__name__}.")
    diag = {k: _numbers(v, f"diagnostics[{k!r}]", ndims=(1, 2), finite=False) for k, v in diagnostics.items()}
    for key, array in diag.items():
        if array.shape[0] != n:
            raise SchemaError(f"diagnostic {key!r} has {array.shape[0]} rows, the explanation {n}.")
    method = _text(obj, "method")
    # a selection of features (local[:, names]): the summed attributions of the features left out
    remainder = None if obj.get("remainder") is None else _numbers(obj["remainder"], "remainder", shape=shape)
    _additive(method, values, base, predictions, remainder)
    return LocalExplanation(
        values=values,
        base_values=base,
        data=_data(obj["data"], kinds, n),
        predictions=predictions,
        feature_names=names,
        output_names=outputs,
        output_space=_space(obj),
        method=method,
        params=_params(obj),
        provenance=Provenance.from_dict(obj["provenance"]),
        feature_kinds=kinds,
        diagnostics=diag,
        remainder=remainder,
    )


def _global(obj: dict[str, Any]) -> Any:
    from .explanation import GlobalExplanation

    _fields(obj, ("importances", "spread", "feature_names", "output_names", "output_space", "kind", "method",
                  "params", "provenance"))  # fmt: skip
    names, outputs = _names(obj, "feature_names"), _names(obj, "output_names")
    importances = _numbers(obj["importances"], "importances", ndims=(1, 2))
    multi = importances.ndim == 2
    if importances.shape != ((len(names), len(outputs)) if multi else (len(names),)) or (
        not multi and len(outputs) != 1
    ):
        raise SchemaError(
            f"importances of shape {importances.shape} do not match {len(names)} features and "
            f"{len(outputs)} outputs; the file is damaged: write it again with to_json()."
        )
    spread = None if obj["spread"] is None else _numbers(obj["spread"], "spread", shape=importances.shape, finite=False)
    effects = obj.get("effects", [])
    if not isinstance(effects, list):
        raise SchemaError(f"effects should be a list, not {type(effects).__name__}.")
    return GlobalExplanation(
        importances=importances,
        spread=spread,
        feature_names=names,
        output_names=outputs,
        output_space=_space(obj),
        kind=_text(obj, "kind"),
        method=_text(obj, "method"),
        params=_params(obj),
        provenance=Provenance.from_dict(obj["provenance"]),
        effects=tuple(_effect(e, names, len(outputs) if multi else None) for e in effects),
    )


def _fields(obj: dict[str, Any], required: tuple[str, ...]) -> None:
    missing = [k for k in required if k not in obj]
    if missing:
        raise SchemaError(f"the saved explanation lacks {missing}; write it again with to_json().")


def _text(obj: dict[str, Any], key: str) -> str:
    value = obj[key]
    if not isinstance(value, str):
        raise SchemaError(f"{key} should be text, not {type(value).__name__}.")
    return value


def _names(obj: dict[str, Any], key: str) -> tuple[str, ...]:
    names = obj[key]
    if not isinstance(names, list) or not names or not all(isinstance(v, str) for v in names):
        raise SchemaError(f"{key} should be a non-empty list of text.")
    if len(set(names)) != len(names):
        raise SchemaError(f"{key} repeats a name: {sorted({v for v in names if names.count(v) > 1})[:5]}.")
    return tuple(names)


def _kinds(kinds: Any, d: int) -> tuple[str, ...]:
    if not isinstance(kinds, list) or len(kinds) != d or not all(k in ("numeric", "categorical") for k in kinds):
        raise SchemaError(f"feature_kinds should list 'numeric' or 'categorical' for each of the {d} features.")
    return tuple(kinds)


def _space(obj: dict[str, Any]) -> str:
    space = obj["output_space"]
    if space not in _OUTPUT_SPACES:
        raise SchemaError(f"output_space {str(space)[:40]!r} is not one of {list(_OUTPUT_SPACES)}.")
    return str(space)


def _params(obj: dict[str, Any]) -> dict[str, Any]:
    params = obj["params"]
    if not isinstance(params, dict):
        raise SchemaError(f"params should be an object, not {type(params).__name__}.")
    return params


def _numbers(
    obj: Any, name: str, *, ndims: tuple[int, ...] = (), shape: tuple[int, ...] | None = None, finite: bool = True
) -> np.ndarray:
    """Nested lists of numbers of the given rank or shape; ``None`` (NaN) only if not ``finite``."""
    if not isinstance(obj, list):
        raise SchemaError(f"{name!r} should be a list of numbers, not {type(obj).__name__} ({str(obj)[:40]!r}).")
    try:
        raw = np.array(obj, dtype=object)
    except ValueError as exc:  # ragged nesting
        raise SchemaError(f"{name} is not a rectangular array of numbers ({exc}).") from exc
    if (shape is not None and raw.shape != shape) or (ndims and raw.ndim not in ndims):
        want = f"shape {shape}" if shape is not None else f"{' or '.join(map(str, ndims))} dimensions"
        raise SchemaError(f"{name} has shape {raw.shape}; it should have {want}.")
    array = floats_from_json(obj, name)
    if finite and not np.isfinite(array).all():
        raise SchemaError(f"{name} has missing (null) entries; an explanation's {name} are all numbers.")
    return array


def _data(obj: Any, kinds: tuple[str, ...], n: int) -> np.ndarray:
    if not isinstance(obj, dict) or not isinstance(obj.get("columns"), list) or obj.get("n_rows") != n:
        raise SchemaError(f"data should hold n_rows = {n} and one list of values per feature.")
    columns = obj["columns"]
    if len(columns) != len(kinds) or not all(isinstance(c, list) and len(c) == n for c in columns):
        raise SchemaError(f"data should hold {len(kinds)} columns of {n} values each.")
    for column, kind in zip(columns, kinds, strict=True):
        if kind == "categorical" and not all(v is None or isinstance(v, (str, int, float)) for v in column):
            raise SchemaError("a categorical data column holds lists or objects; values are text, numbers or null.")
        if kind == "numeric":
            floats_from_json(column, "data")
    return data_from_json(obj, list(kinds))


def _effect(obj: Any, names: tuple[str, ...], outputs: int | None) -> FeatureEffect:
    """One effect: of a feature (its name, one grid), or of a pair of features (two names, two grids)."""
    if not isinstance(obj, dict) or not isinstance(obj.get("grid"), list):
        raise SchemaError("an effect should name one of the features and hold its grid as a list.")
    feature = obj.get("feature")
    if isinstance(feature, list):
        return _pair_effect(obj, feature, names, outputs)
    if not isinstance(feature, str) or feature not in names:
        raise SchemaError("an effect should name one of the features and hold its grid as a list.")
    grid = _grid(obj["grid"], feature)
    shape = (len(grid),) if outputs is None else (len(grid), outputs)
    return FeatureEffect(feature, _text(obj, "kind"), tuple(grid), **_tables(obj, shape))


def _pair_effect(obj: dict[str, Any], feature: list[Any], names: tuple[str, ...], outputs: int | None) -> FeatureEffect:
    """The effect of two features together: a grid per feature, a table over both grids."""
    if len(feature) != 2 or not all(isinstance(f, str) and f in names for f in feature) or feature[0] == feature[1]:
        raise SchemaError(f"a pair effect should name two different features, not {str(feature)[:80]}.")
    grids = obj["grid"]
    if len(grids) != 2 or not all(isinstance(g, list) for g in grids):
        raise SchemaError(f"the effect of {feature} should hold two grids, one list per feature.")
    grid_a, grid_b = (_grid(g, f) for g, f in zip(grids, feature, strict=True))
    shape = (len(grid_a), len(grid_b)) + (() if outputs is None else (outputs,))
    pair = (feature[0], feature[1])
    return FeatureEffect(pair, _text(obj, "kind"), (tuple(grid_a), tuple(grid_b)), **_tables(obj, shape))


def _grid(grid: Any, feature: str) -> list[Any]:
    if not isinstance(grid, list) or not all(v is None or isinstance(v, (str, int, float)) for v in grid):
        raise SchemaError(f"the grid of the effect of {feature!r} holds lists or objects.")
    return grid


def _tables(obj: dict[str, Any], shape: tuple[int, ...]) -> dict[str, Any]:
    """An effect's average and its band, each of ``shape``."""
    average = _numbers(obj.get("average"), "effect average", shape=shape, finite=False)
    bands = {k: None if obj.get(k) is None else _numbers(obj[k], f"effect {k}", shape=shape, finite=False)
             for k in ("lower", "upper")}  # fmt: skip
    return {"average": average, **bands}


def _additive(
    method: str, values: np.ndarray, base: np.ndarray, predictions: np.ndarray, remainder: np.ndarray | None = None
) -> None:
    """A Shapley method's values add up to the prediction (with the explainer's tolerance, at most);
    those of a selection of features with the ``remainder`` of the features left out."""
    from .methods import REGISTRY

    rest = 0.0 if remainder is None else remainder
    with np.errstate(over="ignore", invalid="ignore"):
        total = base + values.sum(axis=1) + rest
        scale = 1.0 + np.abs(predictions) + np.abs(values).sum(axis=1) + np.abs(rest)  # inf: no check beyond finiteness
        gap = np.abs(total - predictions)
    if not np.isfinite(total).all():
        raise SchemaError("the values are too large to add up (their sum overflows); the file is damaged.")
    spec = REGISTRY.get(method)
    if spec is None or not spec.additive:
        return
    if not (gap <= 1e-5 * scale).all():
        raise SchemaError(
            f"{method} values do not add up to the predictions (largest gap {float(np.nanmax(gap)):.3g}): the "
            "numbers were changed after they were computed. Compute the explanation again."
        )
