"""The audit report: :func:`audit` builds one evidence document from a model and its data; the
:class:`AuditReport` it returns exports it as canonical JSON, self-contained HTML and an archival
PDF (PDF/A-3b + PDF/UA-1, with the evidence attached), all rendered from that one document.

Modules: ``_context`` (validated inputs), ``_sections_*`` (one builder per report section, from
:mod:`explain.metrics`), ``_schema`` (the evidence's shape), ``_evidence`` (canonical JSON),
``_regulations`` (the crosswalk data), ``_view``/``_html``/``_pdf``/``_charts`` (exporters),
``_verify`` (checking a PDF later).
"""

from ._audit import AuditReport, audit
from ._policy import ModelCard, Policy, SignOff

__all__ = ["AuditReport", "ModelCard", "Policy", "SignOff", "audit"]
