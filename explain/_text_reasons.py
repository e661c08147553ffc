"""Principal reasons of a text decision: the tokens that pushed it furthest toward the adverse side.

The rules of :mod:`explain._reasons` apply (only tokens pushing toward the adverse side, by more
than ``min_contribution``; ranked by contribution, ties by first position; at most ``k``), with
words in the place of features. A word is one reason however often it occurs: its contribution
is the **sum** of the contributions of its occurrences in the document (the change in the
prediction its occurrences make together under an additive method), and ``value`` lists their
positions (``"positions 0, 3"``). With ``lowercase=True`` the occurrences of a word in any case
are one reason, cited in lower case.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ._reasons import Reasons
from .errors import InputError

if TYPE_CHECKING:
    from .text_explanation import TextExplanation


def token_reasons(
    exp: TextExplanation,
    *,
    k: int,
    adverse: Any,
    threshold: float | None,
    min_contribution: float,
    output: str | int | None,
    lowercase: bool = False,
) -> Reasons:
    """See :meth:`TextExplanation.reasons`."""
    if adverse not in ("increase", "decrease"):
        raise InputError(f"adverse={adverse!r}; use 'increase' (a higher prediction is adverse) or 'decrease'.")
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1:
        raise InputError(f"k={k!r}; pass a whole number of reasons >= 1 (Regulation B suggests at most 4).")
    if exp.is_multi_output:
        if output is None:
            raise InputError(
                f"this explanation has several outputs {list(exp.output_names)}; pass output= to say which one "
                "the decision is made on."
            )
        exp = exp.for_output(output)
    elif output is not None:
        exp._output_index(output)  # an unknown name is refused
    sign = 1.0 if adverse == "increase" else -1.0
    predictions = np.asarray(exp.predictions)
    decisions = None
    if threshold is not None:
        decisions = predictions > threshold if adverse == "increase" else predictions < threshold
    records = []
    for r, (tokens, values) in enumerate(zip(exp.tokens, exp.values, strict=True)):
        if decisions is not None and not decisions[r]:
            continue
        words, totals, positions = _by_word(tokens, np.asarray(values, dtype=float), lowercase)
        toward = totals * sign
        order = np.argsort(-toward, kind="stable")  # words are in order of first occurrence: ties by position
        kept = [int(w) for w in order if toward[w] > min_contribution][:k]
        for rank, w in enumerate(kept, start=1):
            where = ", ".join(str(p) for p in positions[w])
            value = f"position {where}" if len(positions[w]) == 1 else f"positions {where}"
            records.append((r, rank, words[w], value, float(totals[w]), words[w], f"the word {words[w]!r}"))
    frame = pd.DataFrame(records, columns=["row", "rank", "feature", "value", "contribution", "code", "statement"])
    return Reasons(frame, adverse, exp.output_names[0], exp.output_space, predictions.copy(), decisions)


def _by_word(tokens: Any, values: np.ndarray, lowercase: bool) -> tuple[list[str], np.ndarray, list[list[int]]]:
    """The distinct words of a document in order of first occurrence, the sum of each word's
    values, and its positions."""
    index: dict[str, int] = {}
    positions: list[list[int]] = []
    for p, token in enumerate(tokens):
        key = token.lower() if lowercase else token
        if key not in index:
            index[key] = len(index)
            positions.append([])
        positions[index[key]].append(p)
    totals = np.array([values[ps].sum() for ps in positions]) if positions else np.zeros(0)
    return list(index), totals, positions
