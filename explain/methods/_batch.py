"""Batched model calls for the model-agnostic Shapley methods, and per-row random streams.

``exact_shap``, ``kernel_shap`` and ``permutation_shap`` all need *coalition values*: for an
explained row ``x``, a coalition ``S`` of features and background rows ``b_1..b_N``,

    v(S) = mean_i f(x_S, b_i,~S)

(interventional). Their cost is the model scoring ``N`` rows per coalition; everything else here
exists to keep the rest small next to it:

- coalitions of many explained rows go to the model together, in calls of a bounded number of
  values (:func:`call_rows`): few calls, so the model's own per-call overhead is paid rarely,
  and a bounded input, so memory does not grow with the number of rows or coalitions;
- a call's input is built without a Python loop over coalitions: one block copy of the
  background into every coalition, then one strided write per feature of ``x``'s values into
  the coalitions that hold it (:func:`masked_rows`; ``exact_shap``, whose coalitions are all
  of them in binary order, writes aligned blocks through strided views instead). That costs
  about as much as copying the input once, less than most models take to read it;
- work is cut into *tasks* of whole rows, fixed by the sizes alone, which
  :func:`~explain.methods._base.map_chunks` runs over ``n_jobs`` workers with a progress bar.

Random methods draw each row's randomness from its own stream, keyed by ``random_state`` and
the row's own values (:func:`row_generators`): the values of a row do not depend on the other
rows of the call, on their order, on how rows are cut into tasks or on ``n_jobs``, and two
calls with the same seed give identical values.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .._model import OutputSpace
from ._base import Job, map_chunks, require_background

__all__ = [
    "CALL_VALUES",
    "call_entropy",
    "call_rows",
    "coalition_values",
    "endpoints",
    "masked_rows",
    "row_generators",
    "row_streams",
    "run_tasks",
    "task_bounds",
    "varying_features",
]

CALL_VALUES = 1 << 19  # input values per model call (4 MB of floats): bounds memory
MIN_CALL_ROWS = 1 << 13  # ... but at least this many rows, so that the model's per-call overhead stays small
MAX_TASK_ROWS = 64  # explained rows per task at most: the unit of work of a worker and of a progress bar


def call_rows(d: int) -> int:
    """Model rows per call for ``d`` features."""
    return max(MIN_CALL_ROWS, CALL_VALUES // max(1, d))


def masked_rows(
    x: np.ndarray, owner: np.ndarray, masks: np.ndarray, background: np.ndarray, out: np.ndarray | None = None
) -> np.ndarray:
    """The model input of coalitions: ``(C * N, d)``, coalition ``c`` in rows ``c*N .. c*N+N-1``.

    Coalition ``c`` takes the features in ``masks[c]`` from row ``x[owner[c]]`` and the others
    from each background row in turn. ``out``: a buffer of at least ``C * N * d`` floats to
    build them in (reusing one spares the page faults of a fresh allocation per call).
    """
    c_count, d = masks.shape
    n_bg = background.shape[0]
    size = c_count * n_bg * d
    z = (np.empty(size) if out is None else out[:size]).reshape(c_count, n_bg, d)
    z[...] = background  # one block copy per coalition
    for j in range(d):  # a loop over features, never over coalitions
        on = np.flatnonzero(masks[:, j])
        if on.size:
            z[on, :, j] = x[owner[on], j][:, None]
    return z.reshape(c_count * n_bg, d)


def coalition_values(
    job: Job, space: OutputSpace, x: np.ndarray, owner: np.ndarray, masks: np.ndarray, background: np.ndarray
) -> np.ndarray:
    """``v(S)`` of each coalition ``(owner[c], masks[c])``: shape ``(C, k)``.

    The coalitions are scored in model calls of at most :func:`call_rows` rows (at least one
    coalition each), in order, so the calls depend only on the coalitions given.
    """
    c_count, d = masks.shape
    n_bg = background.shape[0]
    if c_count == 0:
        return np.zeros((0, job.predict(x[:1], space).shape[1]))
    step = max(1, call_rows(d) // n_bg)
    buffer = np.empty(min(step, c_count) * n_bg * d)
    parts = []
    for start in range(0, c_count, step):
        stop = min(c_count, start + step)
        pred = job.predict(masked_rows(x, owner[start:stop], masks[start:stop], background, buffer), space)
        # the mean over the background, reduced along a contiguous axis; read before the
        # buffer is rebuilt (a model may return a view of its input)
        parts.append(pred.reshape(stop - start, n_bg, -1).transpose(0, 2, 1).sum(axis=2) / n_bg)
    return np.concatenate(parts, axis=0)


def task_bounds(n: int, model_rows_per_row: int, d: int) -> list[tuple[int, int]]:
    """Tasks of consecutive explained rows: enough rows for a full model call, at most
    :data:`MAX_TASK_ROWS`. Fixed by the sizes alone, never by the number of workers."""
    size = int(min(MAX_TASK_ROWS, max(1, call_rows(d) // max(1, model_rows_per_row))))
    return [(a, min(n, a + size)) for a in range(0, n, size)]


def run_tasks(
    job: Job, work: Callable[[int, int], tuple[np.ndarray, ...]], bounds: list[tuple[int, int]], desc: str
) -> tuple[np.ndarray, ...]:
    """Run ``work(start, stop)`` over the tasks (``n_jobs`` workers, progress) and concatenate
    each of the arrays it returns along the rows."""
    parts = map_chunks(job, work, bounds, desc=desc)
    return tuple(np.concatenate(arrays, axis=0) for arrays in zip(*parts, strict=True))


def varying_features(x: np.ndarray, background: np.ndarray) -> np.ndarray:
    """``(n, d)``: where row ``x[r]``'s value differs from some background value.

    A feature that equals every background value is a null player: it cannot change any
    coalition's value, its Shapley value is 0, and the sampled methods leave it out of the
    coalitions they draw (as shap's explainers do, which use ``isclose``; here only exact
    equality counts, so no feature with an effect, however small, is dropped).
    """
    return ~((x[:, None, :] == background[None, :, :]) | (np.isnan(x)[:, None, :] & np.isnan(background)[None])).all(
        axis=1
    )


def endpoints(job: Job, space: OutputSpace, method: str) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, int]:
    """What a sampled method needs before its coalitions: the encoded background and rows, the
    empty coalition's value (the mean prediction over the background, ``(k,)``), the full
    coalition's (``f(x)``, ``(n, k)``) and the call's entropy."""
    background = require_background(job, method).encoded
    x = job.X.encoded
    empty = job.predict(background, space).mean(axis=0)
    return background, x, empty, job.predict(x, space), call_entropy(job.random_state)


def row_streams(rows: np.ndarray, background: np.ndarray, entropy: int) -> tuple[np.ndarray, list[np.random.Generator]]:
    """Each row's players (:func:`varying_features`) and its own random generator."""
    return varying_features(rows, background), row_generators(entropy, rows)


def call_entropy(random_state: int | None) -> int:
    """The entropy every random stream of one call derives from: ``random_state`` itself, or
    fresh entropy drawn once per call when it is None."""
    return int(np.random.SeedSequence(random_state).entropy)  # type: ignore[arg-type]


def row_generators(entropy: int, x: np.ndarray) -> list[np.random.Generator]:
    """One random generator per row of ``x``, keyed by the call's entropy and the row's values."""
    return [
        np.random.Generator(np.random.PCG64(np.random.SeedSequence(entropy, spawn_key=(int(key),))))
        for key in _row_keys(x)
    ]


def _row_keys(x: np.ndarray) -> np.ndarray:
    """A 64-bit hash of each row's bytes (FNV-1a over 64-bit words, with a final mix)."""
    words = np.ascontiguousarray(np.asarray(x, dtype=float) + 0.0).view(np.uint64)  # + 0.0: -0.0 as 0.0
    h = np.full(words.shape[0], 0xCBF29CE484222325, dtype=np.uint64)
    prime, shift = np.uint64(0x100000001B3), np.uint64(29)
    for j in range(words.shape[1]):
        h ^= words[:, j]
        h *= prime
        h ^= h >> shift
    return h
