"""``explain.audit``: one call from a model and its data to a report a reviewer can read, check
and archive (an :class:`AuditReport`, in ``_audit_report.py``, holds the evidence and exports it)."""

from __future__ import annotations

import json
import platform
import sys
import time
from collections.abc import Callable, Mapping
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, NamedTuple

import pandas as pd

from .._data import checked_random_state
from .._provenance import library_versions, model_libraries
from ..errors import InputError
from ._audit_report import AuditReport
from ._champion import Champion, score_champion
from ._changelog import changelog_section
from ._context import AuditContext, build_context
from ._context_checks import _frame
from ._context_text import is_text_context
from ._evidence import canonical_json, sha256_hex
from ._governance import rate_findings
from ._policy import ModelCard, Policy
from ._regulations import crosswalk, frameworks
from ._row_sample import cluster_record, explain_rows, fairness_context, rows_context
from ._schema import SCHEMA, SCHEMA_VERSION, STATUSES, worst
from ._sections_champion import champion_section
from ._sections_data import data_section
from ._sections_explain import global_section
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
from ._sections_local import local_section
from ._sections_model import design_section, document_control, intended_use
from ._sections_performance import performance_section
from ._sections_risk import drift_section, fairness_section
from ._sections_robust import robustness_section
from ._sections_summary import summary_section

__all__ = ["AuditReport", "audit"]

REPORT_VERSION = "1"


def _as(kind: type, value: Any, what: str) -> Any:
    if value is None:
        return kind()
    if isinstance(value, kind):
        return value
    if isinstance(value, Mapping):
        return kind.from_dict(value)  # type: ignore[attr-defined]
    if isinstance(value, (str, Path)):
        return kind.from_file(value)  # type: ignore[attr-defined]
    raise InputError(f"{what} must be a {kind.__name__}, a dict or a JSON/TOML file path; got {type(value).__name__}.")


def _timestamp(generated_at: datetime | str | None) -> str:
    if generated_at is None:
        stamp = datetime.now(timezone.utc).replace(microsecond=0)
    elif isinstance(generated_at, str):
        try:
            stamp = datetime.fromisoformat(generated_at.replace("Z", "+00:00"))
        except ValueError as exc:
            raise InputError(f"generated_at={generated_at!r} is not an ISO 8601 date and time.") from exc
    elif isinstance(generated_at, datetime):
        stamp = generated_at
    else:
        raise InputError(
            f"generated_at={generated_at!r}; pass a datetime with a time zone, an ISO 8601 string such as "
            "'2026-01-01T00:00:00Z', or None (now)."
        )
    if stamp.tzinfo is None:
        raise InputError("generated_at needs a time zone (e.g. datetime(..., tzinfo=timezone.utc)).")
    return stamp.astimezone(timezone.utc).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


def _logger(progress: bool | None) -> Callable[[str], None]:
    show = progress if progress is not None else bool(getattr(sys.stderr, "isatty", lambda: False)())
    step, start = [0], time.perf_counter()

    def log(message: str) -> None:
        step[0] += 1
        if show:
            elapsed = time.perf_counter() - start
            print(f"[audit {step[0]:>2} {elapsed:5.1f} s] {message}", file=sys.stderr, flush=True)

    return log


def _provenance(
    ctx: AuditContext,
    config: dict[str, Any],
    champion: Champion | None = None,
    previous: PreviousReport | None = None,
) -> dict[str, Any]:
    def describe(name: str) -> str:
        d = next((d for d in ctx.datasets if d["name"] == name), None)
        return f"<{d['rows']} rows, sha256 {d['sha256'][:12]}>" if d else "None"

    sens = config["sensitive_features"]
    call = (
        f"explain.audit(<{ctx.model_type()}, sha256 {ctx.model_sha256()[:12]}>, X_train={describe('train')}, "
        f"y_train, X_test={describe('test')}, y_test, sensitive_features={sens!r}, "
        f"reference={describe('reference')}, reason_codes={'given' if ctx.reason_codes else None}, "
        f"card=<ModelCard {ctx.card.name!r}>, policy=<Policy>, random_state={ctx.random_state}"
    )
    if champion is not None:
        call += f", champion=<{champion.type}, sha256 {champion.sha256[:12]}>, champion_name={champion.name!r}"
    if previous is not None:
        call += f", previous=<AuditReport {previous.report.evidence['report']['id']}>"
    out: dict[str, Any] = {
        "model": {"type": ctx.model_type(), "sha256": ctx.model_sha256()},
        "datasets": [dict(d) for d in ctx.datasets],
        "config_sha256": sha256_hex(canonical_json(config)),
        # what the numbers depend on (the model's library, not every library installed), and what
        # the report's pages depend on: matplotlib draws the charts, typst (the pdf extra, when
        # installed) lays out the PDF; verify renders the evidence again with these versions
        "versions": library_versions(*model_libraries(ctx.model), "matplotlib", "typst"),
        "python": platform.python_version(),
        "platform": f"{platform.system()} {platform.machine()}",
        "random_state": ctx.random_state,
        "call": call + ")",
    }
    if champion is not None:
        out["champion"] = {
            "name": champion.name,
            "type": champion.type,
            "sha256": champion.sha256,
            "columns": list(champion.columns),
        }
    if previous is not None:
        r = previous.report.evidence["report"]
        out["previous"] = {
            "id": str(r["id"]),
            "generated_at": str(r["generated_at"]),
            "evidence_sha256": previous.report.evidence_sha256,
            "checked": previous.checked,  # verified PDF, or evidence JSON not verified
        }
    return out


def _verdict(findings: list[dict[str, Any]]) -> str:
    """The worst judged status (fail > warn > pass); pass when nothing is judged."""
    statuses = [f["status"] for f in findings]
    verdict = worst(s for s in statuses if s in ("pass", "warn", "fail")) if statuses else "pass"
    return "pass" if verdict == "info" else verdict


class PreviousReport(NamedTuple):
    """The previous report of ``audit(previous=...)`` and how it was checked (``checked``: the
    text the change log and ``provenance.previous.checked`` give)."""

    report: AuditReport
    checked: str


UNVERIFIED_ADVICE = (
    "a JSON file can be edited; pass the report's PDF (or compare the SHA-256 with the one recorded when it was made)"
)


def _previous(previous: Any) -> PreviousReport | None:
    """The previous report: an AuditReport, its evidence JSON (checked, never executed), or its PDF,
    verified with :func:`explain.report._verify.verify_pdf` (the evidence attached to a verified
    PDF is used; an altered or unverifiable one is refused)."""
    if previous is None or isinstance(previous, PreviousReport):  # None, or already read (the CLI)
        return previous
    if isinstance(previous, AuditReport):
        # as its JSON reads back (numbers as canonical JSON writes them), so a report and its file
        # give the same change log
        report = AuditReport(json.loads(canonical_json(previous.evidence)))
        return PreviousReport(report, f"AuditReport object, not verified: it may have been read from an "
                              f"edited JSON file; {UNVERIFIED_ADVICE}")  # fmt: skip
    if isinstance(previous, (str, Path)):
        path = Path(previous)
        try:
            with path.open("rb") as fh:
                head = fh.read(1024)
        except OSError:
            head = b""  # from_json names the problem (no file, a folder, unreadable)
        if b"%PDF-" in head:
            return _previous_pdf(path)
        return PreviousReport(AuditReport.from_json(path), f"evidence JSON, not verified: {UNVERIFIED_ADVICE}")
    raise InputError(
        f"previous must be an AuditReport, the previous report's PDF or the path of the evidence JSON "
        f"AuditReport.to_json() wrote; got {type(previous).__name__}."
    )


def _previous_pdf(path: Path) -> PreviousReport:
    """The evidence attached to a previous report's PDF, once ``explain verify`` verifies it."""
    from ._validation import check_evidence
    from ._verify import verify_pdf

    result = verify_pdf(path)
    if not result.ok or result.evidence is None:
        raise InputError(
            f"previous={str(path)!r}: the PDF does not verify ({result.verdict}: {result.summary}); a change log "
            "against it would compare with numbers nobody can vouch for. Pass the PDF exactly as it was issued, or "
            "its evidence JSON (recorded as not verified)."
        )
    check_evidence(result.evidence)
    if result.signatures:
        trusted = (
            " (certificate not checked against a trust anchor)" if not all(s.trusted for s in result.signatures) else ""
        )
        how = "signed by " + "; ".join(s.detail for s in result.signatures) + trusted
    else:
        how = "consistent, unsigned"
    return PreviousReport(AuditReport(result.evidence), f"verified PDF ({how})")


def _check_champion_inputs(champion: Any, champion_name: Any) -> None:
    if champion_name is not None and (not isinstance(champion_name, str) or not champion_name.strip()):
        raise InputError(f"champion_name={champion_name!r}; pass the champion's name as text, e.g. 'scorecard 1.3'.")
    if champion_name is not None and champion is None:
        raise InputError("champion_name was given without champion=; pass the champion model too, or no name.")


def _test_frame(X_train: Any, X_test: Any) -> Any:
    """X_test as the frame the user passed (every column), column names as text; a dask
    DataFrame stays one (a dask array takes X_train's column names, as the audit does)."""
    from ..distributed import is_dask_collection

    if is_dask_collection(X_test):
        if not hasattr(X_test, "columns"):
            import dask.dataframe as dd

            X_test = dd.from_dask_array(X_test, columns=list(_frame(X_train, "X_train").columns))
        names = {c: str(c) for c in X_test.columns}
        return X_test if list(names) == list(names.values()) else X_test.rename(columns=names)
    if isinstance(X_test, pd.DataFrame):
        return _frame(X_test, "X_test")
    return _frame(X_test, "X_test", columns=list(_frame(X_train, "X_train").columns))


def audit(
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
    champion: Any = None,
    champion_name: str | None = None,
    previous: AuditReport | str | Path | PreviousReport | None = None,
) -> AuditReport:
    """Audit a fitted model: data, performance, robustness, explanations, fairness and drift,
    each judged against ``policy``, in one evidence document ready to export.

    Parameters
    ----------
    model : fitted binary or multiclass classifier, regressor, or text model
        Anything :class:`~explain.Explainer` accepts (scikit-learn, Pipelines, LightGBM, XGBoost, EBM).
        A multiclass classifier's decision is its predicted class (``Policy.favourable_class``
        names the favourable one); a Pipeline that starts with a text vectorizer, given a column of
        documents, is audited word by word.
    X_train, y_train, X_test, y_test : DataFrames / arrays
        The data the model was fitted on and held-out data (ideally out-of-time) it is judged on.
        Columns not used by the model (e.g. sensitive attributes) may be present. ``X_test``,
        ``y_test`` and ``y_train`` may be dask collections (DataFrame, Series, array): the model
        scores them on the cluster, and only the scores, the targets, the sensitive columns and a
        bounded sample of test rows come back; the evidence's ``provenance.cluster`` records the
        cluster and what came back (user guide, "On a cluster"). ``X_train`` is read whole.
    sensitive_features : list of column names, or DataFrame / dict aligned with ``X_test``
        Attributes of the bias audit (sex, age band, ...). Named columns are removed from the
        model's inputs unless the model was fitted on them.
    reference : DataFrame, optional
        Baseline data for drift (e.g. the data of the last validation); default: ``X_train``.
        A dask DataFrame is scored and counted on the cluster.
    reason_codes : mapping, optional
        Feature name to a :class:`~explain.ReasonCode`, a ``(code, statement)`` pair or a statement.
    card : ModelCard, dict or path, optional
        What the model is for and who owns it (:class:`ModelCard`).
    policy : Policy, dict or path, optional
        Thresholds (:class:`Policy`; its docstring documents every default).
    random_state : int, default 0
        Seed of every random step (sampling, bootstrap, noise, explanations).
    generated_at : datetime or ISO string, optional
        The report's date (UTC); pin it to make the exported files byte-identical. Default: now.
    progress : bool, optional
        Print the steps to stderr (default: only on a terminal).
    champion : fitted model, optional
        The model in production that this one would replace (same task; for a classifier, the
        same two classes). It is scored on the rows of ``X_test``, reading its own columns of it
        (by the names it was fitted on), so ``X_test`` must hold the columns of both models. The
        section "Comparison with the champion" gives both models' primary metrics and their
        differences with paired bootstrap intervals (the same resampled rows for both; seeded by
        ``random_state``, ``policy.n_bootstrap`` resamples), their fairness per sensitive
        attribute, the share of decisions that differ with the swap set, the rank correlation of
        their scores and the PSI of one score distribution against the other. The finding
        ``champion.primary_metric`` fails when the audited model's ROC AUC (R² for a regressor)
        is significantly worse than the champion's, warns when it is worse but not significantly.
        Not for multiclass models. A dask ``X_test`` is scored on the cluster by the champion too.
    champion_name : str, optional
        The champion's name in the report; default: the card's ``previous_version``.
    previous : AuditReport or path, optional
        An earlier report of this model (or of the one it replaces): its PDF, verified as
        ``explain verify`` does (an altered or unverifiable PDF is refused with an InputError; the
        evidence attached to a verified one is used), or the evidence JSON its ``to_json`` wrote
        (read as untrusted data: checked, never executed, and recorded as not verified, since a
        JSON file can be edited consistently), or the AuditReport itself. How it was checked is
        stated in the change log and in ``provenance.previous.checked``. The section "Change
        log" lists every finding of either report as new, resolved, status changed or unchanged,
        with the observed values before and after, and what changed in the model, the data, the
        policy and the library versions, with the previous report's id, date and evidence SHA-256.

    Returns
    -------
    AuditReport
        ``report.verdict``, ``report.findings``, ``report.to_pdf(path)``, ``to_html``, ``to_json``.

    Examples
    --------
    >>> import explain as ex
    >>> from explain.datasets import credit_splits
    >>> from sklearn.ensemble import HistGradientBoostingClassifier
    >>> d = credit_splits()
    >>> numeric = [c for c in d.features if d.X_train[c].dtype.kind in "if"]
    >>> model = HistGradientBoostingClassifier(max_iter=50, random_state=0)
    >>> _ = model.fit(d.X_train[numeric], d.y_train)
    >>> columns = numeric + list(d.sensitive)
    >>> report = ex.audit(model, d.X_train[columns], d.y_train, d.X_test[columns], d.y_test,
    ...                   sensitive_features=list(d.sensitive), generated_at="2026-01-01T00:00:00Z",
    ...                   policy={"decision_threshold": 0.75, "explain_rows": 100, "n_bootstrap": 50})
    >>> report.verdict, report.section("fairness")["status"]
    ('fail', 'fail')

    Against the production model it would replace, and the previous report (not run here)::

        report = ex.audit(model, X_train, y_train, X_test, y_test, sensitive_features=["sex"],
                          champion=production_model, champion_name="scorecard 1.3",
                          previous="reports/2025/audit.pdf")  # verified; or its evidence JSON
        report.section("champion"); report.table("change_log", "change_log_findings")
    """
    start = time.perf_counter()
    card_, policy_ = _as(ModelCard, card, "card"), _as(Policy, policy, "policy")
    seed = checked_random_state(random_state)
    if seed is None:
        raise InputError("random_state=None: an audit must be repeatable; pass an integer seed, e.g. random_state=0.")
    random_state = seed
    if progress is not None and not isinstance(progress, bool):
        raise InputError(f"progress={progress!r}; pass True, False or None (only on a terminal).")
    log = _logger(progress)
    stamp = _timestamp(generated_at)
    prev = _previous(previous)  # a damaged file fails before the audit runs
    _check_champion_inputs(champion, champion_name)
    ctx = build_context(
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
        random_state=random_state,
        log=log,
        progress=progress,
    )
    champ = None
    if champion is not None and is_text_context(ctx):
        raise InputError("champion= is not offered for a text model yet; audit each model on its own.")
    if champion is not None:
        name = champion_name or (f"version {card_.previous_version}" if card_.previous_version else "the champion")
        champ = score_champion(champion, _test_frame(X_train, X_test), ctx, name=name)
    sens = None if ctx.sensitive_test is None else list(ctx.sensitive_test.columns)
    codes = {k: (v.code, v.statement) if hasattr(v, "code") else v for k, v in dict(reason_codes or {}).items()}
    config: dict[str, Any] = {
        "policy": policy_.to_dict(),
        "card": card_.to_dict(),
        "sensitive_features": sens,
        "reason_codes": codes,
        "random_state": random_state,
        "reference_given": ctx.reference_given,
    }
    if champ is not None:  # only when given: the configuration hash of an audit without one stays as it was
        config["champion"] = {"name": champ.name, "type": champ.type, "sha256": champ.sha256}
    provenance = _provenance(ctx, config, champ, prev)
    # the previous report changes the report (its change log), not the configuration: a change log
    # compares configuration hashes, which a reference to the previous report would always change
    keyed = [provenance["model"]["sha256"], provenance["datasets"], provenance["config_sha256"]]
    ident = sha256_hex(canonical_json(keyed + ([prev.report.evidence_sha256] if prev is not None else [])))
    report: dict[str, Any] = {
        "id": f"EXA-{ident[:12].upper()}",
        "version": REPORT_VERSION,
        "generated_at": stamp,
        "title": f"Model audit: {card_.name} {card_.version}",
    }

    # the sections that read test rows get `rows`: ctx itself in memory; for a dask X_test, the
    # rows gathered from the cluster (every row up to a bound, else a recorded sample), and the
    # fairness section every row's scores with those rows for its checks of model inputs
    rows = rows_context(ctx)
    built = [document_control(ctx, report), intended_use(rows)]
    if is_text_context(ctx):  # design to drift, read from documents and tokens (report/_sections_text.py)
        from ._sections_text import text_sections

        built += text_sections(ctx)
    else:
        built += [design_section(rows), data_section(ctx), performance_section(ctx)]
        explain_rows(ctx, rows)
        built += [
            robustness_section(rows),
            global_section(rows),
            local_section(rows),
            fairness_section(fairness_context(ctx, rows)),
            drift_section(ctx),
        ]
    if champ is not None:
        built.append(champion_section(ctx, champ))
    findings = rate_findings([f for _, found in built for f in found], policy_, card_)
    built += [limitations_section(rows, findings), monitoring_section(ctx)]
    if prev is not None:
        current = {"report": {"verdict": _verdict(findings)}, "findings": findings, "provenance": provenance}
        current |= {"policy": policy_.to_dict(), "card": card_.to_dict()}
        log(f"Comparing with the previous report {prev.report.evidence['report']['id']}")
        change, change_found = changelog_section(
            prev.report.evidence, prev.report.evidence_sha256, current, checked=prev.checked
        )
        change_found = rate_findings(change_found, policy_, card_)
        findings = findings + change_found
        built.append((change, change_found))
    built += [standards_section(ctx), signoff_section(ctx)]
    if ctx.cluster is not None:
        provenance["cluster"] = cluster_record(ctx)
        if champ is not None and hasattr(X_test, "dask"):  # a dask X_test: the champion's scores came back
            what = {"name": "test", "what": "the champion's score of every row", "count": len(champ.scores)}
            provenance["cluster"]["gathered"] = [*provenance["cluster"].get("gathered", []), what]
    sections = [s for s, _ in built]
    statuses = [f["status"] for f in findings]
    verdict = _verdict(findings)
    sections.insert(1, summary_section(findings, sections, verdict))
    appendices = [crosswalk_section(), provenance_section(ctx, provenance), glossary_section(ctx)]
    sections += [s for s, _ in appendices]
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
        # sections whose ids the crosswalk does not know yet (champion, change_log) answer no requirement
        "crosswalk": crosswalk(sections, findings),
        "signoff": signers(ctx),
        "provenance": provenance,
    }
    log(f"Audit done in {time.perf_counter() - start:.1f} s: verdict {verdict}")
    return AuditReport(evidence)
