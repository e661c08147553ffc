"""Reading a saved :class:`~explain.text_explanation.TextExplanation` back: data only, checked."""

from __future__ import annotations

from typing import Any

import numpy as np

from ._io import floats_from_json
from ._provenance import Provenance
from .errors import SchemaError

_FIELDS = (
    "tokens", "separators", "values", "base_values", "predictions", "output_names", "output_space", "method",
    "params", "provenance",
)  # fmt: skip


def _strings(obj: Any, name: str) -> list[list[str]]:
    if not isinstance(obj, list) or not all(isinstance(r, list) and all(isinstance(s, str) for s in r) for r in obj):
        raise SchemaError(f"{name} should be a list (one per document) of lists of text.")
    return obj


def _array(obj: Any, name: str, shape: tuple[int, ...], finite: bool = True) -> np.ndarray:
    if not isinstance(obj, list):
        raise SchemaError(f"{name} should be a list of numbers, not {type(obj).__name__}.")
    try:
        raw = np.array(obj, dtype=object)
    except ValueError as exc:
        raise SchemaError(f"{name} is not a rectangular array of numbers ({exc}).") from exc
    if raw.shape != shape and not (raw.size == 0 and int(np.prod(shape)) == 0):
        raise SchemaError(f"{name} has shape {raw.shape}; it should have shape {shape}.")
    try:
        array = floats_from_json(obj, name).reshape(shape)
    except ValueError as exc:
        raise SchemaError(str(exc)) from exc
    if finite and not np.isfinite(array).all():
        raise SchemaError(f"{name} has missing (null) entries; an explanation's {name} are all numbers.")
    return array


def read_text_explanation(cls: Any, obj: Any) -> Any:
    """Build ``cls`` (TextExplanation) from ``obj`` or raise :class:`SchemaError`."""
    from .text_explanation import ADDITIVE_METHODS, KIND, SCHEMA

    if not isinstance(obj, dict):
        raise SchemaError(f"a saved text explanation is a JSON object, not {type(obj).__name__}.")
    if obj.get("kind") != KIND or obj.get("schema", SCHEMA) != SCHEMA:
        raise SchemaError(f"kind {obj.get('kind')!r} / schema {obj.get('schema')!r} is not a text explanation.")
    missing = [key for key in _FIELDS if key not in obj]
    if missing:
        raise SchemaError(f"the saved text explanation lacks {missing}; write it again with to_json().")
    tokens, separators = _strings(obj["tokens"], "tokens"), _strings(obj["separators"], "separators")
    outputs = obj["output_names"]
    if not isinstance(outputs, list) or not outputs or not all(isinstance(o, str) for o in outputs):
        raise SchemaError("output_names should be a non-empty list of text.")
    if len(set(outputs)) != len(outputs):
        raise SchemaError("output_names repeats a name.")
    n, k = len(tokens), len(outputs)
    out_shape = (n, k) if k > 1 else (n,)
    if len(separators) != n or any(len(s) != len(t) + 1 for s, t in zip(separators, tokens, strict=True)):
        raise SchemaError("separators should hold, per document, one more piece of text than its tokens.")
    rows = obj["values"]
    if not isinstance(rows, list) or len(rows) != n:
        raise SchemaError(f"values should hold one list per document ({n}).")
    values = [
        _array(row, f"values[{r}]", (len(t), k) if k > 1 else (len(t),))
        for r, (row, t) in enumerate(zip(rows, tokens, strict=True))
    ]
    base = _array(obj["base_values"], "base_values", out_shape)
    predictions = _array(obj["predictions"], "predictions", out_shape)
    for key in ("method", "output_space"):
        if not isinstance(obj[key], str):
            raise SchemaError(f"{key} should be text.")
    if obj["output_space"] not in ("probability", "log_odds", "raw", "margin"):
        raise SchemaError(f"output_space {str(obj['output_space'])[:40]!r} is not known.")
    if not isinstance(obj["params"], dict):
        raise SchemaError("params should be an object.")
    diagnostics = obj.get("diagnostics", {})
    if not isinstance(diagnostics, dict):
        raise SchemaError("diagnostics should be an object of arrays.")
    diag = {}
    for key, value in diagnostics.items():
        raw = np.array(value, dtype=object) if isinstance(value, list) else None
        if raw is None or raw.ndim not in (1, 2) or raw.shape[0] != n:
            raise SchemaError(f"diagnostic {key!r} should hold one entry per document ({n}).")
        diag[key] = _array(value, f"diagnostics[{key!r}]", raw.shape, finite=False)
    if obj["method"] in ADDITIVE_METHODS and n:
        totals = np.array([v.sum(axis=0) for v in values]).reshape(out_shape)
        gap = np.abs(base + totals - predictions)
        scale = 1.0 + np.abs(predictions) + np.array([np.abs(v).sum(axis=0) for v in values]).reshape(out_shape)
        if not (gap <= 1e-5 * scale).all():
            raise SchemaError(
                f"{obj['method']} values do not add up to the predictions (largest gap {float(gap.max()):.3g}): "
                "the numbers were changed after they were computed. Compute the explanation again."
            )
    return cls(
        tokens=tuple(tuple(t) for t in tokens),
        separators=tuple(tuple(s) for s in separators),
        values=tuple(values),
        base_values=base,
        predictions=predictions,
        output_names=tuple(outputs),
        output_space=obj["output_space"],
        method=obj["method"],
        params=obj["params"],
        provenance=Provenance.from_dict(obj["provenance"]),
        diagnostics=diag,
    )
