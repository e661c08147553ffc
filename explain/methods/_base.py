"""What every method receives (a :class:`Job`) and returns (an :class:`Attribution`).

A method is a :class:`MethodSpec`: a name, two functions and a few facts. ``support(job)``
returns the output space the method will explain for this job, or raises :class:`Unsupported`
with the reason; ``run(job, space)`` returns plain arrays. Methods know nothing about plots,
reports or explanation objects.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, TypeVar

import numpy as np

from .._data import Codebook, Table
from .._model import ModelAdapter, OutputSpace
from .._pipeline import ColumnMap, column_map

__all__ = ["Attribution", "Job", "MethodSpec", "Unsupported", "legacy_numpy_seed", "map_chunks", "row_chunks"]


T = TypeVar("T")


class Unsupported(Exception):
    """A method cannot explain this job; the message says why."""


@dataclass(frozen=True)
class Job:
    """One explanation request, already validated.

    ``X`` and ``background`` are :class:`~explain._data.Table` objects whose ``encoded`` float
    matrices methods may mix freely; :meth:`predict` turns such a matrix back into the model's
    own input and returns ``(n_rows, n_outputs)`` predictions.
    """

    model: ModelAdapter
    codebook: Codebook
    X: Table
    background: Table | None
    output: OutputSpace | None  # None: the user left output="auto"
    random_state: int | None
    params: Mapping[str, Any] = field(default_factory=dict)
    progress: bool | None = None  # Explainer(progress=...): see explain._progress
    n_jobs: int | None = None  # Explainer(n_jobs=...): workers over row chunks, where a method uses them
    # what a method worked out in support() and uses again in run() (e.g. the trees it read)
    scratch: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def n_features(self) -> int:
        return self.X.schema.n_features

    def default_output(self) -> OutputSpace:
        return self.output or self.model.default_output()

    def predict(self, encoded: np.ndarray, space: OutputSpace) -> np.ndarray:
        if self._float_input and encoded.dtype == np.float64 and encoded.flags.writeable:
            # the model takes the encoded floats as they are: skip the copy that building its
            # input would make (methods pass arrays they made and do not reuse after the call)
            return self.model.predict(encoded, space)
        return self.model.predict(self.codebook.to_container(encoded), space)

    @cached_property
    def _float_input(self) -> bool:
        """Whether the model's input is a plain float64 array equal to the encoded rows, and the
        model is a library estimator (which by convention never writes into its input; a plain
        function might, and would spoil buffers that methods reuse: it gets its own copy)."""
        if self.model.kind == "callable":
            return False
        probe = self.X.encoded[:1]
        built = self.codebook.to_container(probe)
        return (
            isinstance(built, np.ndarray) and built.dtype == np.float64 and np.array_equal(built, probe, equal_nan=True)
        )

    def model_input(self, table: Table) -> Any:
        return self.codebook.to_container(table.encoded)

    @cached_property
    def column_map(self) -> ColumnMap:
        """How the model's own columns map to the user's columns (identity without a Pipeline)."""
        pre = self.model.preprocessor
        d = self.n_features
        if pre is None:
            return ColumnMap(np.arange(d), d, self.X.schema.feature_names)
        found = column_map(pre, d)
        if isinstance(found, str):
            raise Unsupported(f"{found}; attributions cannot be summed back to the original columns")
        return found

    def model_space(self, table: Table) -> Any:
        """Rows as the final estimator sees them (after the Pipeline's preprocessing)."""
        pre = self.model.preprocessor
        data = self.model_input(table)
        if pre is None:
            return data
        out = pre.transform(data)
        if hasattr(out, "toarray"):
            out = out.toarray()
        if hasattr(out, "dtypes") and not all(np.dtype(t).kind in "biuf" for t in _numpy_dtypes(out)):
            return out  # category or text columns the final estimator reads itself (set_output="pandas")
        if hasattr(out, "to_numpy"):
            out = out.to_numpy()
        return np.asarray(out, dtype=float)


def _numpy_dtypes(frame: Any) -> list[Any]:
    """The column dtypes of a pandas frame as numpy dtypes (``object`` for extension dtypes)."""
    out = []
    for dtype in frame.dtypes:
        try:
            out.append(np.dtype(dtype))
        except TypeError:  # a pandas extension dtype ("category", "string", "Int64")
            out.append(np.dtype(object))
    return out


@dataclass(frozen=True)
class Attribution:
    """What a method returns: values ``(n, d, k)`` and base values ``(n, k)``, plus params.

    ``diagnostics`` holds per-row arrays ``(n,)`` or ``(n, k)`` that describe the quality of each
    row's explanation (e.g. LIME's local fidelity); they travel with the explanation.
    """

    values: np.ndarray
    base_values: np.ndarray
    params: dict[str, Any] = field(default_factory=dict)
    diagnostics: dict[str, np.ndarray] = field(default_factory=dict)


@dataclass(frozen=True)
class MethodSpec:
    """A registered explanation method."""

    name: str
    summary: str
    support: Callable[[Job], OutputSpace]
    run: Callable[[Job, OutputSpace], Attribution]
    exact: bool  # gives exact Shapley values for the background given (or the model's own decomposition)
    additive: bool  # base_values + values.sum() == predictions
    needs_background: bool
    defaults: Mapping[str, Any] = field(default_factory=dict)
    random: bool = False  # uses random_state


def require_background(job: Job, method: str) -> Table:
    if job.background is None:
        raise Unsupported(
            f"{method} needs background data; pass background=X_train (a sample of the training data) to the Explainer"
        )
    return job.background


def free_output(job: Job) -> OutputSpace:
    """The space a model-agnostic method explains: the one asked for, or the default."""
    space = job.default_output()
    job.model.check_output(space)
    return space


def map_chunks(job: Job, work: Callable[[int, int], T], bounds: Sequence[tuple[int, int]], desc: str) -> list[T]:
    """``[work(start, stop) for start, stop in bounds]``, over ``job.n_jobs`` workers, with progress.

    The chunks are fixed by the caller, never by the number of workers, so that the results do
    not depend on ``n_jobs``. Workers are threads by default (the model may be a closure, which
    processes cannot receive; numpy and most models release the GIL); a joblib
    ``parallel_config`` chosen by the user takes precedence.
    """
    from .._progress import progress

    if job.n_jobs is None or job.n_jobs == 1 or len(bounds) < 2:
        return [work(a, b) for a, b in progress(bounds, total=len(bounds), setting=job.progress, desc=desc)]
    from joblib import Parallel, delayed

    tasks = (delayed(work)(a, b) for a, b in bounds)
    parallel = Parallel(n_jobs=job.n_jobs, prefer="threads", return_as="generator")
    return list(progress(parallel(tasks), total=len(bounds), setting=job.progress, desc=desc))


ROWS_PER_CHUNK = 16  # rows per step of the sampled shap methods: the unit a progress bar counts


def row_chunks(n: int, size: int = ROWS_PER_CHUNK) -> list[tuple[int, int]]:
    """``(start, stop)`` of consecutive chunks of ``size`` rows covering ``n`` rows."""
    return [(a, min(n, a + size)) for a in range(0, n, size)]


def as_3d(values: np.ndarray, n: int, d: int) -> np.ndarray:
    values = np.asarray(values, dtype=float)
    return values.reshape(n, d, -1)


@contextlib.contextmanager
def legacy_numpy_seed(seed: int | None) -> Iterator[None]:
    """Run code that draws from numpy's global RNG (shap's Kernel and Permutation explainers
    do) with ``seed``, and put the global state back afterwards, so that the caller's own
    random stream is left exactly as it was."""
    # the legacy global RNG is what shap draws from, so it is the one to seed (and restore)
    state = np.random.get_state()  # noqa: NPY002
    np.random.seed(seed)  # noqa: NPY002
    try:
        yield
    finally:
        np.random.set_state(state)  # noqa: NPY002
