"""A brute-force Shapley reference, written plainly and independently of ``explain``.

For a row ``x``, background rows ``b_1..b_m`` and a prediction function ``f``, the value of a
coalition ``S`` is ``v(S) = mean_i f(x_S, b_i,notS)`` (interventional), and the Shapley value
of feature ``i`` is

    phi_i = sum over S subset of the other features of |S|! (d-|S|-1)! / d! * (v(S+i) - v(S)).

Nothing here imports the package under test. All coalition rows of one explained row are
scored in a single model call, only to keep the reference fast; the Shapley sum itself is the
textbook double loop over features and subsets.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from math import factorial
from typing import Any

import numpy as np
import pandas as pd


def _coalitions(d: int) -> list[tuple[int, ...]]:
    return [s for size in range(d + 1) for s in itertools.combinations(range(d), size)]


def _mixed_rows(x: Any, background: Any, coalitions: list[tuple[int, ...]]) -> Any:
    """For each coalition S, every background row with the columns in S set to ``x``'s values."""
    m = background.shape[0]
    if isinstance(background, pd.DataFrame):
        columns = {}
        for j, name in enumerate(background.columns):
            column = np.tile(background[name].to_numpy(), len(coalitions))
            for c, s in enumerate(coalitions):
                if j in s:
                    column[c * m : (c + 1) * m] = x.iloc[0, j]
            columns[name] = column
        return pd.DataFrame(columns).astype(background.dtypes.to_dict())
    blocks = []
    for s in coalitions:
        block = np.array(background, dtype=float, copy=True)
        block[:, list(s)] = np.asarray(x, dtype=float)[list(s)]
        blocks.append(block)
    return np.concatenate(blocks, axis=0)


def shapley_row(f: Callable[[Any], Any], x: Any, background: Any) -> tuple[np.ndarray, np.ndarray]:
    """Shapley values ``(d, k)`` and base value ``(k,)`` of one row ``x``.

    ``x`` is a 1-D array (with a 2-D array ``background``) or a one-row DataFrame (with a
    DataFrame ``background``); ``f`` takes the same container and returns ``(n,)`` or ``(n, k)``.
    """
    d = background.shape[1]
    m = background.shape[0]
    coalitions = _coalitions(d)
    out = np.asarray(f(_mixed_rows(x, background, coalitions)), dtype=float)
    out = out.reshape(len(coalitions), m, -1)
    v = {frozenset(s): out[c].mean(axis=0) for c, s in enumerate(coalitions)}
    phi = np.zeros((d, out.shape[2]))
    for i in range(d):
        others = [j for j in range(d) if j != i]
        for size in range(d):
            weight = factorial(size) * factorial(d - size - 1) / factorial(d)
            for s in itertools.combinations(others, size):
                phi[i] += weight * (v[frozenset(s) | {i}] - v[frozenset(s)])
    return phi, v[frozenset()]


def shapley(f: Callable[[Any], Any], X: Any, background: Any) -> tuple[np.ndarray, np.ndarray]:
    """Shapley values ``(n, d, k)`` and base values ``(n, k)`` of every row of ``X``."""
    rows = []
    for r in range(X.shape[0]):
        x = X.iloc[[r]] if isinstance(X, pd.DataFrame) else np.asarray(X, dtype=float)[r]
        rows.append(shapley_row(f, x, background))
    return np.stack([p for p, _ in rows]), np.stack([b for _, b in rows])
