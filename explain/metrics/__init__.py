"""Metrics for explanations and audits: all pure functions of arrays and explanation objects.

- quality of explanations: additivity, fidelity, agreement, stability;
- fairness across groups (:func:`group_metrics`), drift (:func:`drift`), data quality
  (:func:`data_quality`) and performance (:func:`bootstrap_ci`, :func:`generalization`,
  :func:`calibration`), the evidence the audit report is built from.
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
from .data_quality import DataQuality, data_quality
from .drift import drift, population_stability_index, prediction_drift
from .fairness import GroupMetrics, group_metrics
from .performance import BootstrapCI, Calibration, Generalization, bootstrap_ci, calibration, generalization

__all__ = [
    "additivity_error",
    "agreement",
    "compare",
    "fidelity",
    "rank_correlation",
    "sign_agreement",
    "stability",
    "top_k_jaccard",
    # fairness
    "GroupMetrics",
    "group_metrics",
    # drift
    "drift",
    "population_stability_index",
    "prediction_drift",
    # data quality
    "DataQuality",
    "data_quality",
    # performance
    "BootstrapCI",
    "Calibration",
    "Generalization",
    "bootstrap_ci",
    "calibration",
    "generalization",
]
