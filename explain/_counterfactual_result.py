"""The :class:`Counterfactuals` object: found counterfactuals as read-only data (public through
:mod:`explain.counterfactuals`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ._provenance import Provenance
from ._values import SCHEMA_VERSION, Saved, _canonical_missing, _frozen_array, freeze, thaw
from .errors import SchemaError

__all__ = ["Counterfactuals"]

SCHEMA = "explain.Counterfactuals"
TASKS = ("binary", "multiclass", "regression")


@dataclass(frozen=True, eq=False)
class Counterfactuals(Saved):
    """Counterfactuals of each explained row, made by :func:`explain.counterfactuals`.

    Parallel arrays, as in an explanation: per explained row (``n``) and per counterfactual
    (``m``, grouped by row, the closest first). Read-only; :meth:`to_dict` / :meth:`from_dict`
    round-trip through JSON (data only).

    Attributes
    ----------
    feature_names, feature_kinds : tuple of str
    data : ndarray (n, d)
        The explained rows, in the user's values.
    scores : ndarray (n,)
        What the decision is read from (``score_name``): P(positive class) of a binary
        classifier, the probability of the desired class (multiclass; of the row's own class for
        ``"flip"``), a regressor's prediction.
    outcomes, desired : tuple (n,)
        The decided outcome of each row (a class, or the prediction) and the one wanted (a
        class, ``"not <class>"``, or ``[low, high]``).
    rows : ndarray (m,)
        The explained row each counterfactual belongs to.
    values : ndarray (m, d)
        The counterfactual rows: the explained row with some features changed.
    new_scores, new_outcomes : (m,)
        The model's score and outcome for each counterfactual, as re-predicted before it was
        returned: every outcome is the desired one.
    notes : tuple of str (n,)
        Why a row has no counterfactual ("" where it has).
    task : {"binary", "multiclass", "regression"}
    params : mapping
        Settings, the distance and the search, the allowed ranges, what the search cost.
    provenance : Provenance
        Model and data fingerprints (``background_fingerprint``: the reference ``data``),
        versions, random_state, time.
    """

    feature_names: tuple[str, ...]
    feature_kinds: tuple[str, ...]
    data: np.ndarray
    scores: np.ndarray
    outcomes: tuple[Any, ...]
    desired: tuple[Any, ...]
    rows: np.ndarray
    values: np.ndarray
    new_scores: np.ndarray
    new_outcomes: tuple[Any, ...]
    notes: tuple[str, ...]
    task: str
    score_name: str
    params: Mapping[str, Any] = field(default_factory=dict)
    provenance: Provenance = field(default_factory=lambda: Provenance("", "", None, None))

    def __post_init__(self) -> None:
        names, kinds = tuple(str(n) for n in self.feature_names), tuple(self.feature_kinds)
        d = len(names)
        if len(kinds) != d or not set(kinds) <= {"numeric", "categorical"} or len(set(names)) != d:
            raise ValueError("feature_names and feature_kinds must name each feature once, numeric or categorical")
        dtype = float if all(k == "numeric" for k in kinds) else object
        data, values = (
            _canonical_missing(np.array(a, dtype=dtype).reshape(-1, d), kinds) for a in (self.data, self.values)
        )
        n, m = len(data), len(values)
        rows = np.asarray(self.rows).reshape(-1)
        if rows.dtype.kind not in "iu" and rows.size:
            raise ValueError("rows must be row positions (integers)")
        rows = rows.astype(int)
        if len(rows) != m or (m and (rows.min() < 0 or rows.max() >= n or (np.diff(rows) < 0).any())):
            raise ValueError(f"rows must give, in order, one explained row (0 to {n - 1}) per counterfactual ({m})")
        for name, numbers, size in (("scores", self.scores, n), ("new_scores", self.new_scores, m)):
            if np.shape(numbers) != (size,) or not np.isfinite(np.asarray(numbers, dtype=float)).all():
                raise ValueError(f"{name} must hold {size} finite numbers")
        for name, seq, size in (("outcomes", self.outcomes, n), ("desired", self.desired, n),
                                ("new_outcomes", self.new_outcomes, m), ("notes", self.notes, n)):  # fmt: skip
            if len(seq) != size:
                raise ValueError(f"{name} must hold {size} entries, not {len(seq)}")
        if self.task not in TASKS:
            raise ValueError(f"task must be one of {list(TASKS)}, not {self.task!r}")
        has = np.isin(np.arange(n), rows)
        if any(bool(note) == bool(h) or not isinstance(note, str) for note, h in zip(self.notes, has, strict=True)):
            raise ValueError("notes must be '' exactly for the rows that have a counterfactual")
        if m and not _changed(values, data[rows], kinds).any(axis=1).all():
            raise ValueError("every counterfactual must change at least one feature")
        for name, value in (("feature_names", names), ("feature_kinds", kinds), ("rows", _frozen_array(rows, int)),
                            ("data", _frozen_array(data, dtype)), ("values", _frozen_array(values, dtype)),
                            ("scores", _frozen_array(self.scores)), ("new_scores", _frozen_array(self.new_scores)),
                            ("outcomes", tuple(self.outcomes)), ("desired", tuple(freeze(v) for v in self.desired)),
                            ("new_outcomes", tuple(self.new_outcomes)), ("notes", tuple(self.notes)),
                            ("params", freeze(dict(self.params)))):  # fmt: skip
            object.__setattr__(self, name, value)

    # ------------------------------------------------------------------ views

    @property
    def n_rows(self) -> int:
        return int(self.data.shape[0])

    @property
    def found(self) -> np.ndarray:
        """(n,) whether each explained row has at least one counterfactual."""
        return np.isin(np.arange(self.n_rows), self.rows)

    @property
    def counterfactual(self) -> np.ndarray:
        """(m,) the position of each counterfactual among its row's (0: the closest)."""
        starts = np.searchsorted(self.rows, self.rows, side="left")
        return np.arange(len(self.rows)) - starts

    def changed(self) -> np.ndarray:
        """(m, d) which features each counterfactual changes."""
        return _changed(self.values, self.data[self.rows], self.feature_kinds)

    def to_frame(self) -> pd.DataFrame:
        """One line per changed feature: row, counterfactual, feature, value, new_value."""
        changed = self.changed()
        i, j = np.nonzero(changed)
        return pd.DataFrame(
            {
                "row": self.rows[i],
                "counterfactual": self.counterfactual[i],
                "feature": [self.feature_names[f] for f in j],
                "value": pd.Series(self.data[self.rows[i], j], dtype=object),
                "new_value": pd.Series(self.values[i, j], dtype=object),
            }
        )

    def candidates(self) -> pd.DataFrame:
        """The counterfactual rows, indexed by (row, counterfactual), with the model's new
        ``prediction`` (the score, see :attr:`score_name`) and, for classifiers, ``outcome``."""
        index = pd.MultiIndex.from_arrays([self.rows, self.counterfactual], names=["row", "counterfactual"])
        columns = {
            name: (self.values[:, j].astype(float) if kind == "numeric" else self.values[:, j])
            for j, (name, kind) in enumerate(zip(self.feature_names, self.feature_kinds, strict=True))
        }
        frame = pd.DataFrame(columns, index=index, columns=list(self.feature_names))
        extra = {"prediction": np.asarray(self.new_scores)}
        if self.task != "regression":
            extra["outcome"] = pd.Series(self.new_outcomes, dtype=object).to_numpy()
        for name, column in extra.items():
            frame[name if name not in frame.columns else f"{name}_"] = column
        return frame

    def text(self, row: int | None = None, *, outcome: str | None = None) -> str:
        """Plain-language sentences: "If income were 52,000 instead of 41,000 and debt_to_income
        0.2 instead of 0.45, <outcome>." ``outcome`` is the phrase for the desired outcome (e.g.
        "the application would be approved"); by default the new decision and score."""
        rows = range(self.n_rows) if row is None else [int(range(self.n_rows)[row])]
        blocks = []
        for r in rows:
            own = np.flatnonzero(self.rows == r).tolist()
            lines = [self._sentence(i, outcome, first=(t == 0)) for t, i in enumerate(own)]
            if not lines:
                lines = [f"No counterfactual: {self.notes[r]}."]
            if row is None:
                head = f"Row {r}: {self._decision(self.outcomes[r], self.scores[r])}; desired {self.desired[r]!r}."
                lines = [head, *(f"  {line}" for line in lines)]
            blocks.append("\n".join(lines))
        return "\n".join(blocks)

    def __str__(self) -> str:
        return self.text()

    def __repr__(self) -> str:
        found = int(self.found.sum())
        return f"Counterfactuals({self.n_rows} rows, {found} with counterfactuals, {len(self.rows)} in all)"

    def _decision(self, outcome: Any, score: float) -> str:
        if self.task == "regression":
            return f"prediction {_show(score)}"
        return f"decision {outcome!r} ({self.score_name} {score:.3f})"

    def _sentence(self, i: int, outcome: str | None, first: bool) -> str:
        r = int(self.rows[i])
        changed = np.flatnonzero(_changed(self.values[[i]], self.data[[r]], self.feature_kinds)[0])
        parts = [
            f"{self.feature_names[j]}{' were' if t == 0 else ''} {_show(self.values[i, j])} "
            f"instead of {_show(self.data[r, j])}"
            for t, j in enumerate(changed)
        ]
        changes = parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]
        if outcome is None:
            if self.task == "regression":
                outcome = f"the prediction would be {_show(self.new_scores[i])} instead of {_show(self.scores[r])}"
            else:
                outcome = (f"the decision would be {self.new_outcomes[i]!r} ({self.score_name} "
                           f"{self.new_scores[i]:.3f} instead of {self.scores[r]:.3f})")  # fmt: skip
        return f"{'If' if first else 'Or, if'} {changes}, {outcome}."

    # ------------------------------------------------------------------ serialization

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready data, with a schema name and version."""
        from ._io import _scalar, data_to_json, floats_to_json

        return {
            "schema": SCHEMA,
            "schema_version": SCHEMA_VERSION,
            "feature_names": list(self.feature_names),
            "feature_kinds": list(self.feature_kinds),
            "data": data_to_json(self.data, self.feature_kinds),
            "scores": floats_to_json(self.scores),
            "outcomes": [_scalar(v) for v in self.outcomes],
            "desired": [thaw(v) if isinstance(v, tuple) else _scalar(v) for v in self.desired],
            "rows": [int(r) for r in self.rows],
            "values": data_to_json(self.values, self.feature_kinds),
            "new_scores": floats_to_json(self.new_scores),
            "new_outcomes": [_scalar(v) for v in self.new_outcomes],
            "notes": list(self.notes),
            "task": self.task,
            "score_name": self.score_name,
            "params": thaw(self.params),
            "provenance": self.provenance.to_dict(),
        }

    @classmethod
    def from_dict(cls, obj: Any) -> Counterfactuals:
        """Counterfactuals from what :meth:`to_dict` wrote; a :class:`~explain.errors.SchemaError`
        says what is wrong with anything else. Reads data only."""
        from ._io import data_from_json, floats_from_json

        if not isinstance(obj, dict) or obj.get("schema") != SCHEMA:
            raise SchemaError(f"this is not saved counterfactuals: its 'schema' is not {SCHEMA!r}.")
        if obj.get("schema_version") != SCHEMA_VERSION or type(obj.get("schema_version")) is not int:
            raise SchemaError(
                f"schema_version {obj.get('schema_version')!r} is not supported (supported: {SCHEMA_VERSION})."
            )
        try:
            kinds = _texts(obj["feature_kinds"], "feature_kinds")
            n = _table_rows(obj["data"], len(kinds))
            m = _table_rows(obj["values"], len(kinds))
            if not isinstance(obj["params"], dict):
                raise ValueError("params must be an object")
            return cls(
                feature_names=_texts(obj["feature_names"], "feature_names"),
                feature_kinds=kinds,
                data=data_from_json(obj["data"], list(kinds)).reshape(n, len(kinds)),
                scores=floats_from_json(obj["scores"], "scores"),
                outcomes=tuple(_list(obj["outcomes"], "outcomes")),
                desired=tuple(freeze(v) for v in _list(obj["desired"], "desired")),
                rows=np.asarray(_ints(obj["rows"]), dtype=int),
                values=data_from_json(obj["values"], list(kinds)).reshape(m, len(kinds)),
                new_scores=floats_from_json(obj["new_scores"], "new_scores"),
                new_outcomes=tuple(_list(obj["new_outcomes"], "new_outcomes")),
                notes=_texts(obj["notes"], "notes"),
                task=str(obj["task"]),
                score_name=_texts([obj["score_name"]], "score_name")[0],
                params=obj["params"],
                provenance=Provenance.from_dict(obj["provenance"]),
            )
        except SchemaError:
            raise
        except (KeyError, TypeError, ValueError, IndexError, AttributeError, OverflowError) as exc:
            raise SchemaError(f"saved counterfactuals cannot be read: {type(exc).__name__}: {exc}.") from exc

    @classmethod
    def from_json(cls, path: str | Path) -> Counterfactuals:
        """Read what :meth:`to_json` wrote (data only, never code)."""
        from ._jsonfile import read_json

        return cls.from_dict(read_json(path, "saved counterfactuals", "pass the path a to_json() call wrote"))

    def _repr_html_(self) -> str:
        from ._html import _caption, _table

        facts = {"rows": self.n_rows, "found": f"{int(self.found.sum())} of {self.n_rows}",
                 "counterfactuals": len(self.rows), "task": self.task, "k": self.params.get("k", "")}  # fmt: skip
        frame = self.to_frame().head(20)
        table = _table(list(frame.columns), frame.to_numpy().tolist())
        missing = [[r, note] for r, note in enumerate(self.notes) if note][:10]
        none = _table(["row", "why no counterfactual"], missing) if missing else ""
        return "<div>" + _caption("Counterfactuals", facts) + table + none + "</div>"


def _changed(values: np.ndarray, data: np.ndarray, kinds: tuple[str, ...]) -> np.ndarray:
    out = np.zeros(values.shape, dtype=bool)
    for j, kind in enumerate(kinds):
        a, b = values[:, j], data[:, j]
        if kind == "numeric":
            a, b = a.astype(float), b.astype(float)
            out[:, j] = ~((a == b) | (np.isnan(a) & np.isnan(b)))
        else:
            out[:, j] = [
                not (x is None and y is None) and (x is None or y is None or bool(x != y))
                for x, y in zip(a, b, strict=True)
            ]
    return out


def _show(value: Any) -> str:
    """A value as a person reads it: 52,000; 0.45; 'own'."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer, np.floating)):
        return str(value)
    v = float(value)
    if np.isnan(v):
        return "missing"
    if abs(v) >= 1000:
        return f"{v:,.0f}" if v == round(v) else f"{v:,.2f}"
    return f"{v:.4g}"


def _list(value: Any, name: str) -> list[Any]:
    if not isinstance(value, list):
        raise ValueError(f"{name} must be a list")
    return value


def _texts(value: Any, name: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValueError(f"{name} must be a list of text")
    return tuple(value)


def _ints(value: Any) -> list[int]:
    if not isinstance(value, list) or not all(type(v) is int for v in value):
        raise ValueError("rows must be a list of integers")
    return value


def _table_rows(obj: Any, d: int) -> int:
    if not isinstance(obj, dict) or type(obj.get("n_rows")) is not int or obj["n_rows"] < 0:
        raise ValueError("a table must be an object with a whole number n_rows")
    columns = obj.get("columns")
    if (
        not isinstance(columns, list)
        or len(columns) != d
        or any(not isinstance(c, list) or len(c) != obj["n_rows"] for c in columns)
    ):
        raise ValueError(f"a table must hold {d} columns of n_rows values")
    return int(obj["n_rows"])
