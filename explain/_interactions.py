"""SHAP interaction values: :class:`InteractionExplanation` and its global summary.

``values[r, i, j]`` (``i != j``) is Lundberg's SHAP interaction value of features ``i`` and ``j``
in row ``r``: half the Shapley interaction index of the pair, so that the pair's whole
interaction is split evenly between ``[i, j]`` and ``[j, i]``. The diagonal ``values[r, i, i]``
is the *main effect*: feature ``i``'s SHAP value minus its interactions. Each row's matrix is
symmetric and sums, over its last axis, to the row's SHAP values (the
:class:`~explain.LocalExplanation` of the same explainer and output), so
``base_values + values.sum(axis=(1, 2)) == predictions``.

Computed by :meth:`explain.Explainer.explain_interactions`. Read-only like every explanation;
``to_json`` / :func:`explain.load` (or :meth:`InteractionExplanation.from_json`) round-trip it
exactly.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ._provenance import Provenance, data_fingerprint
from ._values import SCHEMA_VERSION, _Base, _canonical_missing, _frozen_array, _index, freeze, thaw
from .errors import InputError, SchemaError
from .explanation import LocalExplanation

__all__ = ["InteractionExplanation", "InteractionStrength"]

SYMMETRY_RTOL = 1e-9  # relative to the row's total |interaction|: rounding only


@dataclass(frozen=True, eq=False, repr=False)
class InteractionExplanation(_Base):
    """Per-row SHAP interaction values of one or several model outputs.

    Attributes
    ----------
    values : ndarray, shape (n_rows, n_features, n_features) or (..., n_outputs)
        Symmetric in the two feature axes; main effects on the diagonal; each row sums over the
        last feature axis to its SHAP values.
    base_values, data, predictions, feature_names, output_names, output_space, method, params,
    provenance, feature_kinds
        As in :class:`~explain.LocalExplanation`.

    Examples
    --------
    >>> from sklearn.datasets import load_diabetes
    >>> from sklearn.ensemble import GradientBoostingRegressor
    >>> import explain as ex
    >>> X, y = load_diabetes(return_X_y=True, as_frame=True)
    >>> model = GradientBoostingRegressor(n_estimators=30, random_state=0).fit(X, y)
    >>> inter = ex.Explainer(model).explain_interactions(X[:20])
    >>> inter.values.shape
    (20, 10, 10)
    >>> local = inter.shap_values()
    >>> bool(abs(local.values - ex.Explainer(model).explain_local(X[:20]).values).max() < 1e-9)
    True
    >>> inter.strongest("bmi") in inter.feature_names
    True
    """

    values: np.ndarray
    base_values: np.ndarray
    data: np.ndarray
    predictions: np.ndarray
    feature_names: tuple[str, ...]
    output_names: tuple[str, ...]
    output_space: str
    method: str
    params: Mapping[str, Any] = field(default_factory=dict)
    provenance: Provenance = field(default_factory=lambda: Provenance("", "", None, None))
    feature_kinds: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        values = _frozen_array(self.values)
        d = len(self.feature_names)
        multi = values.ndim == 4
        if values.ndim not in (3, 4) or values.shape[1:3] != (d, d):
            raise InputError(f"interaction values of shape {values.shape} do not match {d} feature names.")
        n, k = values.shape[0], values.shape[3] if multi else 1
        if len(self.output_names) != k:
            raise InputError(f"{len(self.output_names)} output names for {k} outputs.")
        _check_symmetric(values)
        out_shape = (n, k) if multi else (n,)
        data = np.asarray(self.data)
        data = np.array(data, dtype=object if data.dtype == object else float)
        if data.shape != (n, d):
            raise InputError(f"data of shape {data.shape} does not match values of shape {values.shape}.")
        kinds = tuple(self.feature_kinds) or tuple(
            "categorical" if data.dtype == object else "numeric" for _ in range(d)
        )
        for name, value in (
            ("values", values), ("base_values", _frozen_array(np.broadcast_to(self.base_values, out_shape))),
            ("predictions", _frozen_array(np.reshape(self.predictions, out_shape))),
            ("data", _frozen_array(_canonical_missing(data, kinds), dtype=data.dtype)),
            ("feature_names", tuple(str(f) for f in self.feature_names)),
            ("output_names", tuple(str(o) for o in self.output_names)), ("params", freeze(self.params)),
            ("feature_kinds", kinds),
        ):  # fmt: skip
            object.__setattr__(self, name, value)

    # ------------------------------------------------------------------ shape and slicing

    @property
    def n_rows(self) -> int:
        return int(self.values.shape[0])

    @property
    def is_multi_output(self) -> bool:
        return self.values.ndim == 4

    def __len__(self) -> int:
        return self.n_rows

    def __getitem__(self, rows: int | slice | Sequence[int] | np.ndarray) -> InteractionExplanation:
        """Rows of the explanation; an integer gives a one-row explanation."""
        idx = _index(self.n_rows, rows)
        data = self.data[idx]
        provenance = replace(self.provenance, data_fingerprint=data_fingerprint(data, self.feature_names,
                                                                                self.feature_kinds))  # fmt: skip
        return replace(self, values=self.values[idx], base_values=self.base_values[idx], data=data,
                       predictions=self.predictions[idx], provenance=provenance)  # fmt: skip

    def for_output(self, output: str | int) -> InteractionExplanation:
        """The interaction values of one output (a class name, or its position)."""
        j = self._output_index(output)
        if not self.is_multi_output:
            return self
        return replace(self, values=self.values[..., j], base_values=self.base_values[:, j],
                       predictions=self.predictions[:, j], output_names=(self.output_names[j],))  # fmt: skip

    # ------------------------------------------------------------------ views

    @property
    def main_effects(self) -> np.ndarray:
        """The diagonal: ``(n_rows, n_features)`` or ``(n_rows, n_features, n_outputs)``."""
        idx = np.arange(self.n_features)
        out = self.values[:, idx, idx]
        out.setflags(write=False)
        return out

    def shap_values(self) -> LocalExplanation:
        """The SHAP values these interactions decompose (each row summed over the last feature axis)."""
        return LocalExplanation(
            values=self.values.sum(axis=2), base_values=self.base_values, data=self.data,
            predictions=self.predictions, feature_names=self.feature_names, output_names=self.output_names,
            output_space=self.output_space, method=self.method,
            params={**thaw(self.params), "summed_from_interactions": True}, provenance=self.provenance,
            feature_kinds=self.feature_kinds,
        )  # fmt: skip

    def additivity_error(self) -> float:
        """Largest ``|base_value + sum(values) - prediction|`` over rows and outputs."""
        total = self.base_values + self.values.sum(axis=(1, 2))
        return float(np.max(np.abs(total - self.predictions), initial=0.0))

    def to_global(self) -> InteractionStrength:
        """Mean ``|interaction|`` over the rows: how strongly each pair interacts in this data."""
        return InteractionStrength(
            values=np.abs(self.values).mean(axis=0), feature_names=self.feature_names,
            output_names=self.output_names, output_space=self.output_space, method=self.method,
            params={**thaw(self.params), "aggregation": "mean_abs", "n_rows": self.n_rows},
            provenance=self.provenance,
        )  # fmt: skip

    def strongest(self, feature: str | int, *, output: str | int | None = None) -> str:
        """The feature that interacts most with ``feature`` (largest mean ``|interaction|``)."""
        return self.to_global().strongest(feature, output=output)

    def to_frame(self) -> pd.DataFrame:
        """A long table: one line per row, output and ordered pair of features (diagonal included)."""
        n, d = self.n_rows, self.n_features
        flat = np.asarray(self.values).reshape(n, d, d, -1)
        rows, first, second, out = np.meshgrid(np.arange(n), np.arange(d), np.arange(d), np.arange(flat.shape[3]),
                                               indexing="ij")  # fmt: skip
        names, outputs = np.array(self.feature_names, dtype=object), np.array(self.output_names, dtype=object)
        return pd.DataFrame({"row": rows.ravel(), "output": outputs[out.ravel()], "feature": names[first.ravel()],
                             "other": names[second.ravel()], "interaction": flat.ravel()})  # fmt: skip

    # ------------------------------------------------------------------ serialization

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready data with a schema name and version (read back by :meth:`from_dict`)."""
        from ._io import data_to_json, floats_to_json

        return {
            "schema": "explain.InteractionExplanation", "schema_version": SCHEMA_VERSION,
            "values": floats_to_json(self.values), "base_values": floats_to_json(self.base_values),
            "predictions": floats_to_json(self.predictions), "data": data_to_json(self.data, self.feature_kinds),
            "feature_names": list(self.feature_names), "feature_kinds": list(self.feature_kinds),
            "output_names": list(self.output_names), "output_space": self.output_space, "method": self.method,
            "params": thaw(self.params), "provenance": self.provenance.to_dict(),
        }  # fmt: skip

    @classmethod
    def from_dict(cls, obj: Any) -> InteractionExplanation:
        """The explanation :meth:`to_dict` made, or a :class:`~explain.errors.SchemaError` naming the damage."""
        from ._io import _data, _fields, _kinds, _names, _numbers, _params, _space, _text

        if not isinstance(obj, dict) or obj.get("schema") != "explain.InteractionExplanation":
            raise SchemaError("this is not a saved InteractionExplanation (its 'schema' field says otherwise).")
        if obj.get("schema_version") != SCHEMA_VERSION:
            raise SchemaError(f"schema_version {obj.get('schema_version')!r} is not supported; upgrade explain.")
        try:
            _fields(obj, ("values", "base_values", "predictions", "data", "feature_names", "feature_kinds",
                          "output_names", "output_space", "method", "params", "provenance"))  # fmt: skip
            names, outputs = _names(obj, "feature_names"), _names(obj, "output_names")
            kinds = _kinds(obj["feature_kinds"], len(names))
            values = _numbers(obj["values"], "values", ndims=(3, 4))
            n, multi = values.shape[0], values.ndim == 4
            shape = (n, len(outputs)) if multi else (n,)
            explanation = cls(
                values=values, base_values=_numbers(obj["base_values"], "base_values", shape=shape),
                data=_data(obj["data"], kinds, n),
                predictions=_numbers(obj["predictions"], "predictions", shape=shape), feature_names=names,
                output_names=outputs, output_space=_space(obj), method=_text(obj, "method"), params=_params(obj),
                provenance=Provenance.from_dict(obj["provenance"]), feature_kinds=kinds,
            )  # fmt: skip
        except SchemaError:
            raise
        except (InputError, KeyError, TypeError, ValueError, IndexError) as exc:
            raise SchemaError(f"the saved interaction explanation is damaged: {exc}") from exc
        gap = np.abs(explanation.base_values + explanation.values.sum(axis=(1, 2)) - explanation.predictions)
        if np.any(gap > 1e-5 * (1.0 + np.abs(explanation.predictions) + np.abs(explanation.values).sum(axis=(1, 2)))):
            raise SchemaError("the interaction values do not add up to the predictions: the file was changed.")
        return explanation

    @classmethod
    def from_json(cls, path: str | Path) -> InteractionExplanation:
        """Read a file :meth:`to_json` wrote (data only; no code is run)."""
        from ._jsonfile import read_json

        return cls.from_dict(read_json(path, "saved interaction explanation", "pass the path a to_json() call wrote"))

    def __repr__(self) -> str:
        shape = "x".join(str(s) for s in self.values.shape)
        return (
            f"InteractionExplanation(method={self.method!r}, rows={self.n_rows}, features={self.n_features}, "
            f"outputs={list(self.output_names)}, output_space={self.output_space!r}, values={shape})"
        )


@dataclass(frozen=True, eq=False, repr=False)
class InteractionStrength(_Base):
    """Mean ``|interaction value|`` of each pair of features over the rows explained.

    ``values`` is ``(n_features, n_features)`` (``(..., n_outputs)`` for several outputs),
    symmetric; its diagonal is the mean ``|main effect|``.
    """

    values: np.ndarray
    feature_names: tuple[str, ...]
    output_names: tuple[str, ...]
    output_space: str
    method: str
    params: Mapping[str, Any] = field(default_factory=dict)
    provenance: Provenance = field(default_factory=lambda: Provenance("", "", None, None))

    def __post_init__(self) -> None:
        values = _frozen_array(self.values)
        d = len(self.feature_names)
        if values.ndim not in (2, 3) or values.shape[:2] != (d, d):
            raise InputError(f"interaction strengths of shape {values.shape} do not match {d} feature names.")
        object.__setattr__(self, "values", values)
        object.__setattr__(self, "feature_names", tuple(str(f) for f in self.feature_names))
        object.__setattr__(self, "output_names", tuple(str(o) for o in self.output_names))
        object.__setattr__(self, "params", freeze(self.params))

    @property
    def is_multi_output(self) -> bool:
        return self.values.ndim == 3

    def for_output(self, output: str | int) -> InteractionStrength:
        j = self._output_index(output)
        if not self.is_multi_output:
            return self
        return replace(self, values=self.values[:, :, j], output_names=(self.output_names[j],))

    def _matrix(self, output: str | int | None) -> np.ndarray:
        if output is not None:
            return np.asarray(self.for_output(output).values)
        if self.is_multi_output:
            raise InputError(f"there are {self.n_outputs} outputs {list(self.output_names)}; pass output= with one.")
        return np.asarray(self.values)

    def strongest(self, feature: str | int, *, output: str | int | None = None) -> str:
        """The other feature with the largest mean ``|interaction|`` with ``feature`` (ties: the first)."""
        i = self._feature_index(feature)
        if not 0 <= i < self.n_features:
            raise InputError(f"feature={feature!r} is out of range; there are {self.n_features} features.")
        if self.n_features < 2:
            raise InputError("there is only one feature: it has no other feature to interact with.")
        row = self._matrix(output)[i].copy()
        row[i] = -np.inf
        return self.feature_names[int(np.argmax(row))]

    def to_frame(self, output: str | int | None = None) -> pd.DataFrame:
        """The matrix as a DataFrame indexed and labelled by feature names."""
        names = list(self.feature_names)
        return pd.DataFrame(self._matrix(output).copy(), index=names, columns=names)

    def to_dict(self) -> dict[str, Any]:
        from ._io import floats_to_json

        return {
            "schema": "explain.InteractionStrength", "schema_version": SCHEMA_VERSION,
            "values": floats_to_json(self.values), "feature_names": list(self.feature_names),
            "output_names": list(self.output_names), "output_space": self.output_space, "method": self.method,
            "params": thaw(self.params), "provenance": self.provenance.to_dict(),
        }  # fmt: skip

    def __repr__(self) -> str:
        return (f"InteractionStrength(method={self.method!r}, features={self.n_features}, "
                f"outputs={list(self.output_names)}, output_space={self.output_space!r})")  # fmt: skip


def _check_symmetric(values: np.ndarray) -> None:
    """Interaction matrices are symmetric up to rounding; anything else is not interaction values."""
    if values.size == 0:
        return
    if not np.isfinite(values).all():
        raise InputError("interaction values hold NaN or infinite entries.")
    gap = np.abs(values - np.swapaxes(values, 1, 2)).max(axis=(1, 2))
    scale = 1.0 + np.abs(values).sum(axis=(1, 2))
    if np.any(gap > SYMMETRY_RTOL * scale):
        raise InputError(f"interaction values are not symmetric in the two feature axes (gap {float(gap.max()):.3g}).")
