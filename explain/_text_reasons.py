"""Principal reasons of a text decision: the tokens that pushed it furthest toward the adverse side.

The rules of :mod:`explain._reasons` apply (only tokens pushing toward the adverse side, by more
than ``min_contribution``; ranked by contribution, ties by position; at most ``k``), with
tokens in the place of features: each occurrence of a word is its own reason, at its position.
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
        toward = np.asarray(values) * sign
        order = np.argsort(-toward, kind="stable")
        kept = [int(p) for p in order if toward[p] > min_contribution][:k]
        for rank, p in enumerate(kept, start=1):
            statement = f"the word {tokens[p]!r}"
            records.append((r, rank, tokens[p], f"position {p}", float(values[p]), tokens[p], statement))
    frame = pd.DataFrame(records, columns=["row", "rank", "feature", "value", "contribution", "code", "statement"])
    return Reasons(frame, adverse, exp.output_names[0], exp.output_space, predictions.copy(), decisions)
