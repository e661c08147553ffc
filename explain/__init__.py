"""explain: explanations and audits of machine-learning models.

>>> import explain as ex
>>> sorted(ex.__all__)[:3]
['Explainer', 'GlobalExplanation', 'LocalExplanation']
"""

from __future__ import annotations

from . import errors
from ._io import load
from .explainer import Explainer
from .explanation import GlobalExplanation, LocalExplanation

__all__ = ["Explainer", "GlobalExplanation", "LocalExplanation", "errors", "load", "methods"]

try:
    from importlib.metadata import version as _version

    __version__ = _version("explain")
except Exception:  # pragma: no cover - running from a source tree that is not installed
    __version__ = "0.0.0"


def methods() -> list[str]:
    """Names of the registered explanation methods (``"auto"`` picks among them).

    >>> "tree_shap" in methods()
    True
    """
    from .methods import REGISTRY

    return sorted(REGISTRY)
