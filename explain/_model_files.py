"""Reading a fitted model from a file for ``explain audit --model``: no code from the file runs
without the user's consent.

A pickle (what ``joblib.dump`` writes) is a program: loading it runs whatever its author put in
it. So pickles load only when the caller says it trusts the file (``trust_pickle=True``, the
command's ``--trust-pickle``); otherwise the file is refused *before it is opened by pickle*,
from its suffix and its first bytes. The other formats are data, read by their library's own
parser:

=========================  ==================================================  ===========
suffix                     read with                                           extra
=========================  ==================================================  ===========
``.skops``                 ``skops.io.load``: skops' default trusted types,    ``skops``
                           plus the types the user lists (``trusted_types``)
``.txt``                   ``lightgbm.Booster(model_file=...)``                ``lightgbm``
``.json``, ``.ubj``        ``xgboost.XGBClassifier`` or ``XGBRegressor``       ``xgboost``
                           ``.load_model``, chosen by the objective in the file
``.cbm``                   ``catboost.CatBoostClassifier`` or                  ``catboost``
                           ``CatBoostRegressor``, chosen by the loss function
``.joblib``, ``.pkl``,     ``joblib.load``, only with ``trust_pickle=True``    (core)
``.pickle``, ``.jl``
=========================  ==================================================  ===========

LightGBM cannot read back the JSON of ``Booster.dump_model``; save LightGBM models with
``booster.save_model("model.txt")`` (or ``model.booster_.save_model``).

A data file read from CSV has text where the model was fitted on pandas categoricals;
:func:`with_model_categories` turns the columns a LightGBM or XGBoost model file declares
categorical back into categoricals, with the categories recorded in the file where it has them.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from .errors import InputError, ModelError, require

__all__ = ["MODEL_SUFFIXES", "PICKLE_SUFFIXES", "load_model_file", "with_model_categories"]

PICKLE_SUFFIXES = (".joblib", ".pkl", ".pickle", ".jl")
MODEL_SUFFIXES = (".skops", ".txt", ".json", ".ubj", ".cbm", *PICKLE_SUFFIXES)

# First bytes of a pickle (protocol 2 and later start with PROTO) and of the compressed
# containers joblib.dump writes with compress=...; a file starting so is treated as a pickle
# whatever its name (as is a whole protocol 0 or 1 pickle: see _is_old_pickle).
_PICKLE_MAGIC = tuple(b"\x80" + bytes([protocol]) for protocol in range(2, 6))
_COMPRESSED_MAGIC = (
    b"\x1f\x8b",  # gzip
    b"BZh",  # bz2
    b"\xfd7zXZ\x00",  # xz
    b"\x04\x22\x4d\x18",  # lz4
    b"ZF",  # joblib's own zlib container
    b"\x78\x01",  # zlib, by compression level
    b"\x78\x5e",
    b"\x78\x9c",
    b"\x78\xda",
)

_CATBOOST_CLASSIFICATION = ("Logloss", "CrossEntropy", "MultiClass", "MultiClassOneVsAll")
_CATBOOST_UNSUPPORTED = (
    "YetiRank", "YetiRankPairwise", "PairLogit", "PairLogitPairwise", "QueryRMSE", "QuerySoftMax",
    "QueryCrossEntropy", "StochasticRank", "StochasticFilter", "LambdaMart", "Cox", "SurvivalAft",
)  # fmt: skip


def _refuse_pickle(path: Path) -> ModelError:
    return ModelError(
        f"model file {str(path)!r} is a pickle (joblib), and loading a pickle runs any code its author "
        "put in it, so it is not loaded by default. Save the model as .skops (skops.io.dump) or in its "
        "library's own format (LightGBM .txt, XGBoost .json/.ubj, CatBoost .cbm), or, if you trust "
        "whoever wrote the file, pass --trust-pickle."
    )


def looks_like_pickle(head: bytes) -> bool:
    """Whether ``head`` (a file's first bytes) starts like a pickle or a compressed joblib file.

    Examples
    --------
    >>> import pickle
    >>> looks_like_pickle(pickle.dumps([1, 2])[:8]), looks_like_pickle(b"tree\\nversion=v4")
    (True, False)
    """
    return head.startswith(_PICKLE_MAGIC) or head.startswith(_COMPRESSED_MAGIC)


# Opcodes a protocol 0 or 1 pickle (no PROTO header) can start with; such a file is checked
# opcode by opcode (pickletools reads it without running it) before it is called a pickle.
_OLD_PICKLE_START = frozenset(b"(cdl}])NIFLSVKJMGTUXig")


def _is_old_pickle(path: Path, head: bytes) -> bool:
    """Whether the file is a whole protocol 0 or 1 pickle (text-like, so its suffix can be .txt)."""
    import pickletools
    from collections import deque

    if not head or head[0] not in _OLD_PICKLE_START:
        return False
    try:
        with path.open("rb") as fh:  # genops decodes opcodes only: nothing is run
            last = deque((op.name for op, _, _ in pickletools.genops(fh)), maxlen=1)
    except Exception:  # not a pickle: the first byte that is not an opcode, or a truncated argument
        return False
    return list(last) == ["STOP"]  # what follows STOP, pickle ignores


def load_model_file(path: str | Path, *, trust_pickle: bool = False, trusted_types: tuple[str, ...] = ()) -> Any:
    """Load the fitted model saved in ``path``; see the module docstring for the formats.

    Parameters
    ----------
    path : str or Path
        The model file.
    trust_pickle : bool, default False
        Load pickles (``.joblib``, ``.pkl``, ...). They run code from the file: pass True only for
        files from someone you trust. Without it a pickle raises :class:`~explain.errors.ModelError`
        and nothing from the file runs.
    trusted_types : tuple of str
        Types a ``.skops`` file may hold beyond skops' default trusted types, by full name
        (``"lightgbm.sklearn.LGBMClassifier"``).

    Raises
    ------
    InputError
        The file does not exist, or ``trusted_types`` are given for a file that is not ``.skops``.
    ModelError
        A pickle without ``trust_pickle``, untrusted skops types, an unknown or unreadable format.
    MissingDependencyError
        The library that reads the format is not installed (the message names the extra).
    """
    p = Path(path)
    if not p.is_file():
        raise InputError(f"model file {str(p)!r} does not exist (or is not a file).")
    try:
        with p.open("rb") as fh:
            head = fh.read(16)
    except OSError as exc:
        raise InputError(f"cannot read model file {str(p)!r}: {exc.strerror or exc}.") from exc
    suffix = p.suffix.lower()
    if trusted_types and suffix != ".skops":
        raise InputError(
            f"--trust-types applies to .skops model files only, and {str(p)!r} is not one; leave out "
            f"--trust-types {' '.join(trusted_types)}."
        )
    if suffix in PICKLE_SUFFIXES or looks_like_pickle(head) or _is_old_pickle(p, head):
        if not trust_pickle:
            raise _refuse_pickle(p)
        return _read_pickle(p)
    if suffix == ".skops":
        return _read_skops(p, trusted_types)
    readers = {".txt": _read_lightgbm, ".json": _read_json, ".ubj": _read_xgboost, ".cbm": _read_catboost}
    if suffix in readers:
        return readers[suffix](p)
    raise ModelError(
        f"model file {str(p)!r}: unknown model format {suffix or '(no suffix)'!r}. Use .skops (skops.io.dump), "
        "a LightGBM .txt, an XGBoost .json / .ubj, a CatBoost .cbm, or a joblib pickle (.joblib / .pkl, "
        "with --trust-pickle)."
    )


def _unreadable(path: Path, what: str, exc: BaseException) -> ModelError:
    detail = " ".join(str(exc).split()) or type(exc).__name__
    return ModelError(f"cannot read model file {str(path)!r} as {what}: {detail}")


def _read_pickle(path: Path) -> Any:
    import joblib

    try:
        return joblib.load(path)  # runs code from the file: the caller said it trusts it
    except Exception as exc:  # anything can fail inside an unpickler: one message for all
        raise _unreadable(path, "a joblib pickle", exc) from exc


def _read_skops(path: Path, trusted_types: tuple[str, ...]) -> Any:
    sio: Any = require("skops.io", extra="skops", purpose="Reading a .skops model file")
    try:
        found = list(sio.get_untrusted_types(file=path))
    except Exception as exc:  # a broken zip, a missing schema: skops raises several kinds
        raise _unreadable(path, "a skops file", exc) from exc
    untrusted = [t for t in found if t not in trusted_types]
    if untrusted:
        raise ModelError(
            f"model file {str(path)!r} holds types that skops does not trust by default: {', '.join(untrusted)}. "
            "Loading them can run their code. If you trust whoever wrote the file, pass "
            f"--trust-types {' '.join(untrusted)}"
        )
    try:
        return sio.load(path, trusted=found or None)
    except Exception as exc:  # skops re-raises the failing constructor's own error
        raise _unreadable(path, "a skops file", exc) from exc


def _read_lightgbm(path: Path) -> Any:
    lightgbm: Any = require("lightgbm", extra="lightgbm", purpose="Reading a LightGBM model file")
    # LightGBM's reader prints its own "[LightGBM] [Fatal] ..." line to the process's stderr
    # before it raises: a file that does not start as Booster.save_model writes it is refused here
    with path.open("rb") as fh:
        head = fh.read(4096)
    if not (head.startswith((b"tree\n", b"tree\r\n")) and b"\nversion=v" in head):
        raise ModelError(
            f"model file {str(path)!r} is not a LightGBM text model: it does not start with the lines 'tree' "
            "and 'version=v...' that booster.save_model('model.txt') writes (a .txt model file is read as "
            "LightGBM's). Save the model so, or see 'explain audit --help' for the other formats."
        )
    try:
        return lightgbm.Booster(model_file=str(path))
    except Exception as exc:  # LightGBMError, or an OSError of the C++ reader
        raise _unreadable(path, "a LightGBM text model (Booster.save_model)", exc) from exc


def _read_json(path: Path) -> Any:
    """A ``.json`` model is XGBoost's; a LightGBM ``dump_model`` JSON gets a message that says so."""
    try:
        with path.open("rb") as fh:
            document = json.load(fh)
    except (OSError, ValueError, RecursionError) as exc:
        raise _unreadable(path, "JSON", exc) from exc
    if isinstance(document, dict) and "tree_info" in document and "learner" not in document:
        raise ModelError(
            f"model file {str(path)!r} is a LightGBM JSON dump, which LightGBM cannot load back. Save the "
            "model with booster.save_model('model.txt') (or model.booster_.save_model) and pass the .txt file."
        )
    if not (isinstance(document, dict) and "learner" in document):
        raise ModelError(
            f"model file {str(path)!r} is JSON but not an XGBoost model (no 'learner'). Save XGBoost models "
            "with model.save_model('model.json'); for other libraries see 'explain audit --help'."
        )
    return _read_xgboost(path)


def _read_xgboost(path: Path) -> Any:
    xgboost: Any = require("xgboost", extra="xgboost", purpose="Reading an XGBoost model file")
    what = "an XGBoost model (save_model .json / .ubj)"
    try:
        config = json.loads(xgboost.Booster(model_file=str(path)).save_config())
        objective = str(config["learner"]["objective"]["name"])
    except Exception as exc:  # XGBoostError, or a config without the objective
        raise _unreadable(path, what, exc) from exc
    if objective.startswith(("binary:", "multi:")):
        model = xgboost.XGBClassifier()
    elif objective.startswith(("reg:", "count:")):
        model = xgboost.XGBRegressor()
    else:
        raise ModelError(
            f"model file {str(path)!r} is an XGBoost model with objective {objective!r}; explain audits "
            "classifiers (binary:*, multi:*) and regressors (reg:*, count:*) only."
        )
    try:
        model.load_model(str(path))
    except Exception as exc:  # XGBoostError
        raise _unreadable(path, what, exc) from exc
    return model


def _read_catboost(path: Path) -> Any:
    catboost: Any = require("catboost", extra="catboost", purpose="Reading a CatBoost model file")
    what = "a CatBoost model (save_model .cbm)"
    try:
        loss = str(catboost.CatBoost().load_model(str(path)).get_all_params().get("loss_function", ""))
    except Exception as exc:  # CatBoostError
        raise _unreadable(path, what, exc) from exc
    name = loss.split(":")[0]
    if name in _CATBOOST_UNSUPPORTED or not name:
        raise ModelError(
            f"model file {str(path)!r} is a CatBoost model with loss function {loss or '(none)'!r}; explain "
            "audits classifiers and regressors only, not ranking or survival models."
        )
    model = catboost.CatBoostClassifier() if name in _CATBOOST_CLASSIFICATION else catboost.CatBoostRegressor()
    try:
        model.load_model(str(path))
    except Exception as exc:  # CatBoostError
        raise _unreadable(path, what, exc) from exc
    names = [str(n) for n in (model.feature_names_ or [])]
    if names and not model.n_features_in_:
        # CatBoost records n_features_in_ only when it fits: a loaded model says 0, which would
        # make every data set look like it has the wrong number of columns
        model._n_features_in = len(names)
    if names and names != [str(i) for i in range(len(names))]:
        # the scikit-learn attribute, so columns are matched to the model by name, not position
        model.feature_names_in_ = np.asarray(names, dtype=object)
    return model


def with_model_categories(model: Any, frame: Any) -> Any:
    """``frame`` with the columns ``model`` declares categorical as pandas categoricals.

    LightGBM files record each categorical feature's categories (``pandas_categorical``), whose
    order fixes the codes the trees split on: they are used as recorded, and a value the model
    never saw becomes missing. XGBoost marks categorical features ``"c"`` and re-codes by value.
    Other models, and columns that are categorical already, are left as they are.
    """
    import pandas as pd

    wanted: dict[str, list[Any] | None] = {}
    if type(model).__module__.startswith("lightgbm") and type(model).__name__ == "Booster":
        names = model.feature_name()
        indices = [int(i) for i in model.params.get("categorical_feature") or []]
        recorded = model.pandas_categorical or [None] * len(indices)
        if len(recorded) == len(indices):
            wanted = {names[i]: None if c is None else list(c) for i, c in zip(indices, recorded, strict=True)}
    elif type(model).__module__.startswith("xgboost") and hasattr(model, "get_booster"):
        booster = model.get_booster()
        pairs = zip(booster.feature_names or [], booster.feature_types or [], strict=False)
        wanted = {name: None for name, kind in pairs if kind == "c"}
    by_key = {str(c).replace(" ", "_"): c for c in frame.columns}  # LightGBM's form of a name
    out = frame
    for name, categories in wanted.items():
        column = name if name in frame.columns else by_key.get(name)
        if column is None or (categories is None and isinstance(frame[column].dtype, pd.CategoricalDtype)):
            continue
        out = out.copy() if out is frame else out
        out[column] = pd.Categorical(frame[column], categories=categories)
    return out
