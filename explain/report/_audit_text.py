"""The audit of a text model, assembled as :func:`explain.audit` assembles every audit.

Interim: until ``explain.audit`` dispatches text models itself (``build_context`` returning
:func:`~._context_text.build_text_context`'s context and ``audit()`` choosing
:func:`~._sections_text.text_sections`), :func:`audit_text` is that call for a text model: the
same validation of the card, policy, seed and date, the same provenance, report id, governance
rating, summary, limitations, monitoring, standards, sign-off and appendices. Champion
comparison and the change log against a previous report are not offered here.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from .._data import checked_random_state
from ..errors import InputError
from ._audit import REPORT_VERSION, AuditReport, _as, _logger, _provenance, _timestamp
from ._context_text import build_text_context
from ._evidence import canonical_json, sha256_hex
from ._governance import rate_findings
from ._policy import ModelCard, Policy
from ._regulations import crosswalk, frameworks
from ._schema import SCHEMA, SCHEMA_VERSION, SECTION_TITLES, STATUSES, worst
from ._sections_governance import (
    crosswalk_section,
    glossary_section,
    limitations_section,
    monitoring_section,
    provenance_section,
    signers,
    signoff_section,
    standards_section,
)
from ._sections_model import document_control, intended_use
from ._sections_summary import summary_section
from ._sections_text import text_sections

__all__ = ["audit_text"]


def audit_text(
    model: Any,
    X_train: Any,
    y_train: Any,
    X_test: Any,
    y_test: Any,
    *,
    sensitive_features: Any = None,
    reference: Any = None,
    reason_codes: Mapping[str, Any] | None = None,
    card: ModelCard | Mapping[str, Any] | str | Path | None = None,
    policy: Policy | Mapping[str, Any] | str | Path | None = None,
    random_state: int = 0,
    generated_at: datetime | str | None = None,
    progress: bool | None = None,
) -> AuditReport:
    """Audit a fitted binary classifier of documents; the parameters are :func:`explain.audit`'s.

    ``X_train`` / ``X_test`` (and ``reference``): a Series or list of documents, or a DataFrame
    holding the text column and the sensitive columns (see :mod:`._context_text` for the models
    taken). ``reason_codes`` maps words (as the vectorizer reads them) to statements.

    Examples
    --------
    >>> from sklearn.feature_extraction.text import TfidfVectorizer
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.pipeline import make_pipeline
    >>> from explain.datasets import jobs_splits
    >>> d = jobs_splits()
    >>> model = make_pipeline(TfidfVectorizer(), LogisticRegression(max_iter=1000))
    >>> _ = model.fit(d.X_train[d.text], d.y_train)
    >>> report = audit_text(model, d.X_train, d.y_train, d.X_test, d.y_test,
    ...                     sensitive_features=list(d.sensitive), generated_at="2026-01-01T00:00:00Z",
    ...                     policy={"n_bootstrap": 50, "explain_rows": 200})
    >>> report.verdict, report.findings.set_index("id").loc["fairness.protected_inputs", "status"]
    ('fail', 'warn')
    """
    start = time.perf_counter()
    card_, policy_ = _as(ModelCard, card, "card"), _as(Policy, policy, "policy")
    seed = checked_random_state(random_state)
    if seed is None:
        raise InputError("random_state=None: an audit must be repeatable; pass an integer seed, e.g. random_state=0.")
    if progress is not None and not isinstance(progress, bool):
        raise InputError(f"progress={progress!r}; pass True, False or None (only on a terminal).")
    log = _logger(progress)
    stamp = _timestamp(generated_at)
    ctx = build_text_context(
        model,
        X_train,
        y_train,
        X_test,
        y_test,
        sensitive_features=sensitive_features,
        reference=reference,
        reason_codes=reason_codes,
        card=card_,
        policy=policy_,
        random_state=seed,
        log=log,
        progress=progress,
    )
    sens = None if ctx.sensitive_test is None else list(ctx.sensitive_test.columns)
    codes = {k: (v.code, v.statement) if hasattr(v, "code") else v for k, v in dict(reason_codes or {}).items()}
    config: dict[str, Any] = {
        "policy": policy_.to_dict(),
        "card": card_.to_dict(),
        "sensitive_features": sens,
        "reason_codes": codes,
        "random_state": seed,
        "reference_given": ctx.reference_given,
    }
    provenance = _provenance(ctx, config)
    ident = sha256_hex(
        canonical_json([provenance["model"]["sha256"], provenance["datasets"], provenance["config_sha256"]])
    )
    report: dict[str, Any] = {
        "id": f"EXA-{ident[:12].upper()}",
        "version": REPORT_VERSION,
        "generated_at": stamp,
        "title": f"Model audit: {card_.name} {card_.version}",
    }
    built = [document_control(ctx, report), intended_use(ctx), *text_sections(ctx)]
    findings = rate_findings([f for _, found in built for f in found], policy_, card_)
    built += [limitations_section(ctx, findings), monitoring_section(ctx), standards_section(ctx), signoff_section(ctx)]
    sections = [s for s, _ in built]
    statuses = [f["status"] for f in findings]
    verdict = worst(s for s in statuses if s in ("pass", "warn", "fail")) if statuses else "pass"
    verdict = "pass" if verdict == "info" else verdict
    sections.insert(1, summary_section(findings, sections, verdict))
    sections += [s for s, _ in (crosswalk_section(), provenance_section(ctx, provenance), glossary_section(ctx))]
    failing = [f["title"] for f in findings if f["status"] == "fail"]
    report |= {
        "verdict": verdict,
        "verdict_reason": ("Failing: " + "; ".join(failing) + ".")
        if failing
        else f"{statuses.count('warn')} warning(s), no failure.",
        "counts": {s: statuses.count(s) for s in STATUSES},
    }
    evidence = {
        "schema": SCHEMA,
        "schema_version": SCHEMA_VERSION,
        "report": report,
        "card": card_.to_dict(),
        "policy": policy_.to_dict(),
        "findings": findings,
        "sections": sections,
        "frameworks": frameworks(),
        "crosswalk": crosswalk([s for s in sections if s["id"] in SECTION_TITLES], findings),
        "signoff": signers(ctx),
        "provenance": provenance,
    }
    log(f"Audit done in {time.perf_counter() - start:.1f} s: verdict {verdict}")
    return AuditReport(evidence)
