"""Metrics over explanations: quality (additivity, fidelity, agreement, stability).

Fairness, drift and data-quality metrics for the audit report will join them here; all are
pure functions of arrays and explanation objects.
"""

from ._quality import (
    additivity_error,
    agreement,
    compare,
    fidelity,
    rank_correlation,
    sign_agreement,
    stability,
    top_k_jaccard,
)

__all__ = [
    "additivity_error",
    "agreement",
    "compare",
    "fidelity",
    "rank_correlation",
    "sign_agreement",
    "stability",
    "top_k_jaccard",
]
