"""explain: explanations and audits of machine-learning models.

One :class:`Explainer` over every model and method returns :class:`LocalExplanation` and
:class:`GlobalExplanation` objects that serialize to JSON (:func:`load` reads them back) and
carry their provenance; :func:`concat` joins the rows of several, and
:class:`InteractionExplanation` holds SHAP interaction values; a list of documents gives a
:class:`TextExplanation` (one value per token), a batch of images an :class:`ImageExplanation`
(one value per region). :func:`compare` measures how far two explanations agree.
:func:`counterfactuals` finds the smallest changes to a row that would change the model's decision
(:class:`Counterfactuals`).
:func:`audit` turns a model and its data into an :class:`AuditReport` (evidence JSON, HTML,
archival PDF) judged against a :class:`Policy`.

>>> import explain as ex
>>> len(ex.__all__), sorted(ex.__all__)[:4]
(19, ['AuditReport', 'Counterfactuals', 'Explainer', 'GlobalExplanation'])
"""

from __future__ import annotations

from . import errors, metrics, plots  # plots imports matplotlib only when one is drawn
from ._interactions import InteractionExplanation
from ._io import load
from ._reasons import ReasonCode
from .counterfactuals import Counterfactuals, counterfactuals
from .explainer import Explainer
from .explanation import GlobalExplanation, LocalExplanation, concat
from .image_explanation import ImageExplanation
from .metrics import compare
from .report import AuditReport, ModelCard, Policy, audit
from .text_explanation import TextExplanation

__all__ = [
    "Explainer",
    "GlobalExplanation",
    "ImageExplanation",
    "InteractionExplanation",
    "LocalExplanation",
    "ReasonCode",
    "TextExplanation",
    "compare",
    "concat",
    # counterfactual explanations
    "Counterfactuals",
    "counterfactuals",
    "errors",
    "load",
    "metrics",
    "plots",
    # audits
    "AuditReport",
    "ModelCard",
    "Policy",
    "audit",
]

try:
    from importlib.metadata import version as _version

    __version__ = _version("explain")
except Exception:  # pragma: no cover - running from a source tree that is not installed
    __version__ = "0.0.0"
