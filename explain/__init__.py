"""explain: explanations and audits of machine-learning models.

One :class:`Explainer` over every model and method returns :class:`LocalExplanation` and
:class:`GlobalExplanation` objects that serialize to JSON (:func:`load` reads them back) and
carry their provenance. :func:`compare` measures how far two explanations agree.

>>> import explain as ex
>>> sorted(ex.__all__)
['Explainer', 'GlobalExplanation', 'LocalExplanation', 'ReasonCode', 'compare', 'errors', 'load', 'metrics']
"""

from __future__ import annotations

from . import errors, metrics
from ._io import load
from ._reasons import ReasonCode
from .explainer import Explainer
from .explanation import GlobalExplanation, LocalExplanation
from .metrics import compare

__all__ = ["Explainer", "GlobalExplanation", "LocalExplanation", "ReasonCode", "compare", "errors", "load", "metrics"]

try:
    from importlib.metadata import version as _version

    __version__ = _version("explain")
except Exception:  # pragma: no cover - running from a source tree that is not installed
    __version__ = "0.0.0"
