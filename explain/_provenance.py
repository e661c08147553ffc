"""Provenance: what made an explanation, as data a reviewer can check later.

Fingerprints
------------
Both fingerprints are SHA-256 hex digests of a canonical byte stream, independent of pickle,
of the process and of the machine, so the same model or data gives the same digest tomorrow.

*Model fingerprint* (``model_fingerprint``): the model's class path, then its attributes walked
in sorted order, leaving out what describes the machine or the run rather than the model
(``n_jobs``, ``n_threads``, ``verbose``, the scikit-learn version it was fitted with) and what
changes when the model is *used* rather than fitted (the query counters of a KD or ball tree,
caches built on the first ``transform``), so predicting never changes the fingerprint: numpy
arrays as dtype, shape and little-endian bytes; numbers and strings as their canonical text;
lists, tuples and dicts element by element; nested objects (estimators, trees) by the same rule
through their ``__getstate__`` or ``__dict__``. LightGBM models are hashed through their model
text, XGBoost models through their JSON, plain functions through their qualified name and byte
code (which cannot see data they close over; say so in a report). Two fits of the same
estimator on the same data with the same ``random_state`` give the same fingerprint; a
different fit gives a different one.

*Data fingerprint* (``data_fingerprint``): the column names and kinds, then each column: numeric
columns as float64 little-endian bytes (NaN as one fixed pattern), categorical columns as the
UTF-8 text of each value (missing as a fixed marker), in the schema's column order.
"""

from __future__ import annotations

import functools
import hashlib
import platform
import struct
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from importlib import metadata
from types import MappingProxyType
from typing import Any

import numpy as np

__all__ = ["Provenance", "data_fingerprint", "library_versions", "model_fingerprint", "model_libraries"]

_MISSING = b"\x00<missing>\x00"
_NOT_THE_MODEL = frozenset(
    {
        "_sklearn_version", "n_jobs", "n_threads", "verbose",
        # caches that prediction fills in (MultiLabelBinarizer, the text vectorizers): the second
        # holds an id(), which differs between processes as well
        "_cached_dict", "_stop_words_id",
    }
)  # fmt: skip
_MAX_DEPTH = 64


@dataclass(frozen=True)
class Provenance:
    """Where an explanation came from.

    Attributes
    ----------
    model_fingerprint, data_fingerprint, background_fingerprint
        SHA-256 digests (see the module docstring); ``background_fingerprint`` is ``None``
        when the method used no background data.
    random_state
        The seed every random step of the method used.
    versions
        Versions of Python, ``explain`` and the libraries that computed the values.
    elapsed_seconds
        Wall-clock time the method took. The one field that differs between two runs: it is
        left out of :meth:`LocalExplanation.content_hash`.
    model_type
        The model's class path, e.g. ``sklearn.ensemble.HistGradientBoostingClassifier``.
    """

    model_fingerprint: str
    data_fingerprint: str
    background_fingerprint: str | None
    random_state: int | None
    versions: Mapping[str, str] = field(default_factory=dict)
    elapsed_seconds: float = 0.0
    model_type: str = ""

    def __post_init__(self) -> None:
        # read-only like the rest of an explanation: a caller cannot edit the recorded versions
        object.__setattr__(self, "versions", MappingProxyType(dict(self.versions)))

    def to_dict(self) -> dict[str, Any]:
        return {
            "model_fingerprint": self.model_fingerprint,
            "data_fingerprint": self.data_fingerprint,
            "background_fingerprint": self.background_fingerprint,
            "random_state": self.random_state,
            "versions": dict(sorted(self.versions.items())),
            "elapsed_seconds": self.elapsed_seconds,
            "model_type": self.model_type,
        }

    @classmethod
    def from_dict(cls, d: Any) -> Provenance:
        """The provenance ``to_dict`` wrote; a :class:`~explain.errors.SchemaError` names the
        first field of the wrong type."""
        from .errors import SchemaError

        def text(key: str, value: Any, optional: bool = False) -> Any:
            if isinstance(value, str) or (optional and value is None):
                return value
            raise SchemaError(f"provenance {key} should be text, not {type(value).__name__}.")

        if not isinstance(d, dict):
            raise SchemaError(f"provenance should be an object, not {type(d).__name__}.")
        for key in ("model_fingerprint", "data_fingerprint"):
            if key not in d:
                raise SchemaError(f"provenance lacks {key!r}; write the explanation again with to_json().")
        seed, elapsed, versions = d.get("random_state"), d.get("elapsed_seconds", 0.0), d.get("versions", {})
        if seed is not None and (type(seed) is not int or seed < 0):
            raise SchemaError(f"provenance random_state should be a non-negative integer or null, not {seed!r}.")
        if isinstance(elapsed, bool) or not isinstance(elapsed, (int, float)) or not 0 <= elapsed < float("inf"):
            raise SchemaError(f"provenance elapsed_seconds should be a number of seconds, not {elapsed!r}.")
        if not isinstance(versions, dict) or not all(isinstance(v, str) for v in versions.values()):
            raise SchemaError("provenance versions should map library names to version text.")
        return cls(
            model_fingerprint=text("model_fingerprint", d["model_fingerprint"]),
            data_fingerprint=text("data_fingerprint", d["data_fingerprint"]),
            background_fingerprint=text("background_fingerprint", d.get("background_fingerprint"), optional=True),
            random_state=seed,
            versions=versions,
            elapsed_seconds=float(elapsed),
            model_type=text("model_type", d.get("model_type", "")),
        )


_CORE = ("explain", "numpy", "scipy", "pandas", "scikit-learn", "shap", "numba")
"""What every number depends on: numba compiles the tree-SHAP kernels (of explain and of shap)."""

# module root -> distribution, for the model libraries explain knows; others are looked up
_DISTRIBUTIONS = {"sklearn": "scikit-learn", "lightgbm": "lightgbm", "xgboost": "xgboost",
                  "catboost": "catboost", "interpret": "interpret-core"}  # fmt: skip
_NOT_A_LIBRARY = frozenset({"builtins", "__main__", "explain", "numpy", "collections", "functools", "types"})


def library_versions(*extra: str) -> dict[str, str]:
    """Versions of Python and of the libraries an explanation depends on.

    Only the libraries named (the core ones and ``extra``), never "whatever is installed": the
    list does not change when an unrelated package is installed or removed.
    """
    return dict(_versions(tuple(dict.fromkeys((*_CORE, *extra)))))


def model_libraries(model: Any) -> tuple[str, ...]:
    """Distributions the model's classes come from (``lightgbm`` for an LGBMClassifier, also
    inside a Pipeline), so a report names the library that computes the predictions.

    Examples
    --------
    >>> from sklearn.linear_model import LinearRegression
    >>> model_libraries(LinearRegression())
    ('scikit-learn',)
    """
    roots: dict[str, None] = {}
    _collect_roots(model, roots, set(), 0)
    found = (_distribution_of(root) for root in roots if root not in _NOT_A_LIBRARY)
    return tuple(sorted({d for d in found if d is not None}))


def _collect_roots(obj: Any, roots: dict[str, None], seen_types: set[type], depth: int) -> None:
    # one object per class is enough (a forest's 500 trees are all one class), arrays hold none
    if depth > 8 or obj is None or isinstance(obj, (bool, int, float, complex, str, bytes, np.generic, np.ndarray)):
        return
    if isinstance(obj, (list, tuple)):
        for item in obj:
            _collect_roots(item, roots, seen_types, depth + 1)
        return
    if isinstance(obj, dict):
        for item in obj.values():
            _collect_roots(item, roots, seen_types, depth + 1)
        return
    if type(obj) in seen_types:
        return
    seen_types.add(type(obj))
    roots[type(obj).__module__.split(".")[0]] = None
    if callable(obj) and hasattr(obj, "__code__"):
        return
    state = getattr(obj, "__dict__", None)
    if isinstance(state, dict):
        _collect_roots(state, roots, seen_types, depth + 1)


def _distribution_of(root: str) -> str | None:
    if root in _DISTRIBUTIONS:
        return _DISTRIBUTIONS[root]
    found = _installed_distributions().get(root)
    return found[0] if found else None


@functools.lru_cache(maxsize=1)
def _installed_distributions() -> Mapping[str, list[str]]:
    return metadata.packages_distributions()  # about 0.3 s: only for a model of an unknown library


@functools.lru_cache(maxsize=32)
def _versions(names: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
    # read once per process (about 2 ms a package): the code already imported is what runs, even
    # if the installation changes under a running process
    out = [("python", platform.python_version())]
    for name in names:
        try:
            out.append((name, metadata.version(name)))
        except metadata.PackageNotFoundError:
            continue
    return tuple(out)


def type_path(obj: Any) -> str:
    t = type(obj)
    return f"{t.__module__}.{t.__qualname__}"


# --------------------------------------------------------------------------- model fingerprint


def model_fingerprint(model: Any) -> str:
    """SHA-256 of a canonical description of a fitted model (see module docstring).

    Examples
    --------
    >>> from sklearn.linear_model import LinearRegression
    >>> a = LinearRegression().fit([[0.0], [1.0]], [0.0, 2.0])
    >>> b = LinearRegression().fit([[0.0], [1.0]], [0.0, 2.0])
    >>> model_fingerprint(a) == model_fingerprint(b)
    True
    """
    h = hashlib.sha256()
    _feed(h.update, model, 0, set())
    return h.hexdigest()


def _feed(update: Callable[[bytes], None], obj: Any, depth: int, seen: set[int]) -> None:
    """Feed ``obj``'s canonical bytes to ``update`` (a hash's), depth first (direct calls: a
    chain of generators cost a few microseconds per item on models of many trees)."""
    if depth > _MAX_DEPTH:
        update(b"<deep>")
        return
    if obj is None or isinstance(obj, (bool, int, float, complex, str, bytes, np.generic)):
        update(_scalar_bytes(obj))
        return
    if isinstance(obj, np.ndarray):
        _feed_array(update, obj)
        return
    root = type(obj).__module__.split(".")[0]
    update(type_path(obj).encode())
    if root == "lightgbm" and (hasattr(obj, "model_to_string") or hasattr(obj, "booster_")):
        booster = obj if hasattr(obj, "model_to_string") else obj.booster_
        update(booster.model_to_string().encode())
        return
    if root == "xgboost" and hasattr(obj, "get_booster"):
        update(bytes(obj.get_booster().save_raw("json")))
        return
    if isinstance(obj, (list, tuple)):
        for item in obj:
            _feed(update, item, depth + 1, seen)
        return
    if isinstance(obj, dict):
        for key in sorted(obj, key=str):
            update(str(key).encode())
            _feed(update, obj[key], depth + 1, seen)
        return
    if callable(obj) and hasattr(obj, "__code__"):
        update(obj.__qualname__.encode() + obj.__code__.co_code)
        return
    if id(obj) in seen:
        update(b"<cycle>")
        return
    seen.add(id(obj))
    state = _state_of(obj)
    if state is None:
        update(type_path(obj).encode())
        return
    _feed(update, state, depth + 1, seen)


def _state_of(obj: Any) -> Any:
    if _is_binary_tree(obj):
        return _tree_state(obj)
    try:
        state = obj.__getstate__()
    except (TypeError, AttributeError):
        state = getattr(obj, "__dict__", None)
    if isinstance(state, dict):
        # settings of the machine or the run, not of the model: the scikit-learn version it was
        # fitted with, and thread counts (HistGradientBoosting stores the core count it used)
        return {k: v for k, v in state.items() if k not in _NOT_THE_MODEL}
    return state


def _is_binary_tree(obj: Any) -> bool:
    """scikit-learn's KDTree and BallTree (the index of the nearest-neighbour models)."""
    return type(obj).__module__.startswith("sklearn.") and all(
        hasattr(obj, name) for name in ("get_arrays", "get_n_calls", "get_tree_stats")
    )


def _tree_state(tree: Any) -> Any:
    """A KD or ball tree's state without its query counters (``n_trims``, ``n_leaves``,
    ``n_splits``, ``n_calls``), which every ``kneighbors`` call increments."""
    state = list(tree.__getstate__())
    counters = [*tree.get_tree_stats(), tree.get_n_calls()]
    # the layout of BinaryTree.__getstate__ (scikit-learn 1.0 to 1.9): arrays, leaf_size,
    # n_levels, n_nodes, the four counters, the metric, the sample weights
    if len(state) == 13 and state[7:11] == counters:
        return state[:7] + state[11:]
    # another layout: the learned arrays and whatever is not an int (the counters are ints)
    return [*tree.get_arrays(), *(v for v in state if not isinstance(v, int))]


def _scalar_bytes(value: Any) -> bytes:
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float):
        return b"f" + struct.pack("<d", value)
    if isinstance(value, bytes):
        return b"b" + value
    return (type(value).__name__ + ":" + repr(value)).encode()


def _feed_array(update: Callable[[bytes], None], array: np.ndarray) -> None:
    update(f"array:{array.dtype.str}:{array.shape}".encode())
    if array.dtype == object:
        for item in array.ravel():
            _feed(update, item, 0, set())
    else:
        update(np.ascontiguousarray(array).astype(array.dtype.newbyteorder("<"), copy=False).tobytes())


# --------------------------------------------------------------------------- data fingerprint


def data_fingerprint(values: np.ndarray, feature_names: tuple[str, ...], kinds: tuple[str, ...]) -> str:
    """SHA-256 of rows in canonical form (see module docstring).

    Examples
    --------
    >>> import numpy as np
    >>> a = data_fingerprint(np.array([[1.0, 2.0]]), ("a", "b"), ("numeric", "numeric"))
    >>> b = data_fingerprint(np.array([[1.0, 2.0]]), ("a", "c"), ("numeric", "numeric"))
    >>> a == b
    False
    """
    h = hashlib.sha256()
    h.update(f"rows={values.shape[0]};cols={values.shape[1]}".encode())
    for j, (name, kind) in enumerate(zip(feature_names, kinds, strict=True)):
        h.update(b"\x00" + name.encode() + b"\x00" + kind.encode())
        column = values[:, j]
        if kind == "numeric":
            numbers = column.astype("<f8")
            numbers = np.where(np.isnan(numbers), np.nan, numbers)  # one NaN bit pattern
            h.update(numbers.tobytes())
        else:
            for v in column:
                h.update(_MISSING if _is_missing(v) else b"\x01" + str(v).encode())
    return h.hexdigest()


def _is_missing(v: Any) -> bool:
    if v is None:
        return True
    try:
        return bool(v != v)
    except (TypeError, ValueError):
        return False
