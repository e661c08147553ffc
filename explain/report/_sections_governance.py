"""Governance sections: limitations and oversight, monitoring, standards, sign-off, and the
appendices (crosswalk, provenance, glossary)."""

from __future__ import annotations

from typing import Any

import numpy as np

from ._context import AuditContext
from ._schema import bullets, column, facts, paragraph, table
from ._sections_explain import regression_threshold
from ._sections_model import Built, _sec
from ._sections_summary import attention_order, severity_counts

__all__ = [
    "crosswalk_section",
    "glossary_section",
    "limitations_section",
    "monitoring_section",
    "provenance_section",
    "signers",
    "signoff_section",
    "standards_section",
]


GLOSSARY = (
    (
        "Shapley value",
        "A feature's share of the gap between one prediction and the average prediction over the "
        "reference data; the shares of a row add up to that gap.",
    ),
    (
        "Reference (background) data",
        "The rows that stand for 'a typical applicant'; explanations are relative to them.",
    ),
    (
        "ROC AUC",
        "The probability that the model scores a random favourable case above a random adverse one; 0.5 is "
        "chance, 1 is perfect.",
    ),
    (
        "Bootstrap confidence interval",
        "The range of a metric over data sets resampled with replacement from the "
        "rows; it shows how much the number could move with other data of the same kind.",
    ),
    (
        "Expected calibration error (ECE)",
        "The average gap between predicted probabilities and observed frequencies, "
        "weighted by the number of rows per bin.",
    ),
    ("Selection rate", "The share of a group that receives the favourable decision."),
    (
        "Impact ratio",
        "A group's selection rate divided by the rate of the most selected group (NYC LL144); under 0.8 "
        "fails the four-fifths screening rule (29 CFR 1607.4(D)).",
    ),
    (
        "True / false positive rate",
        "Among people whose true outcome is favourable (adverse), the share the model decides favourably.",
    ),
    (
        "Population stability index (PSI)",
        "How much a distribution moved between two samples; under 0.1 stable, 0.1 "
        "to 0.25 moderate, above 0.25 significant.",
    ),
    ("Kolmogorov-Smirnov test", "A test of whether two samples of a number come from the same distribution."),
    (
        "Principal reasons (reason codes)",
        "The features that pushed an adverse decision furthest toward the adverse "
        "side, stated to the applicant (Regulation B).",
    ),
    ("SHA-256", "A fingerprint of a file or data set: any change to the content changes it."),
)


def _worked_example(ctx: AuditContext) -> list[dict[str, Any]]:
    """One explained row read aloud, in the output space the explanation is in (a linear model's
    log-odds are not a probability), for the class it explains."""
    exp = ctx.explanation
    if exp is None or not exp.n_rows:
        return []
    row = exp[:1]
    if row.is_multi_output:  # a multiclass model: the row's own most likely class
        row = row.for_output(int(np.argmax(np.asarray(row.predictions)[0])))
    name, space = row.output_names[0], row.output_space
    words = {"probability": "probability", "log_odds": "log-odds", "raw": "raw score", "margin": "margin"}[space]
    if not ctx.is_classifier:
        what = f"prediction of {ctx.target_name}" if ctx.target_name else "prediction"
    elif space == "probability" and not ctx.is_multiclass:
        what = ctx.score_name if space in ("probability", "raw") else f"{words} ({ctx.score_name})"
    elif name == "predicted class":  # a multiclass explanation of each row's own predicted class
        what = f"{words} of the row's predicted class"
    else:
        what = f"{words} of class {name}"
    values = np.asarray(row.values)[0]
    order = np.argsort(-np.abs(values), kind="stable")[:3]
    parts = ", ".join(f"{row.feature_names[j]} {values[j]:+.3f}" for j in order)
    row_id = ctx.X_test.index[ctx.sample[0]] if ctx.sample is not None else 0
    return [
        paragraph(
            f"How to read an explanation (worked example, test row {row_id}): the model's {what} averages "
            f"{float(np.asarray(row.base_values)[0]):.3f} over the reference data; for this row it is "
            f"{float(np.asarray(row.predictions)[0]):.3f}. The largest contributions are {parts}; all contributions "
            "add up to the difference."
        )
    ]


def limitations_section(ctx: AuditContext, findings: list[dict[str, Any]]) -> Built:
    card = ctx.card
    # the risks this audit found are the findings that need attention: the executive summary
    # indexes them (severity, owner) and each is given in full in its section; here they are
    # counted and referred to, not printed a third time
    open_items = attention_order(findings)
    severities = severity_counts(open_items)
    n_fail = sum(f["status"] == "fail" for f in open_items)
    risks = (
        f"Risks found by this audit: {len(open_items)} finding(s) need attention ({n_fail} failing, "
        f"{len(open_items) - n_fail} warning"
        + (f"; {severities} severity" if severities else "")
        + "). The executive summary lists them with their severity and owner, and each section gives its own "
        "in full; each is a residual risk until its owner remediates it or a reviewer accepts it."
        if open_items
        else "Risks found by this audit: none; no finding fails or warns."
    )
    example = _worked_example(ctx)
    blocks = [
        paragraph("Limitations stated by the model owner:"),
        bullets(card.limitations or ["None documented in the model card."]),
        paragraph(risks),
        *example,
        paragraph(
            "When not to rely on an explanation: for rows unlike the training data (drifted features), for "
            "features strongly correlated with others (credit is shared between them), and as evidence of cause."
        ),
        facts(
            [("Human oversight, override and escalation", card.human_oversight or "Not documented in the model card.")]
        ),
    ]
    return _sec("limitations", f"{len(open_items)} open risk(s) from this audit.", blocks, [])


def monitoring_section(ctx: AuditContext) -> Built:
    p = ctx.policy
    score = "macro ROC AUC (one-vs-rest)" if ctx.is_multiclass else "ROC AUC" if ctx.is_classifier else "R²"
    rows = [
        {
            "metric": "PSI of each input feature",
            "threshold": f"> {p.warn_psi:g} warn, > {p.max_psi:g} act",
            "action": "investigate the data source; revalidate if it persists",
        },
        {
            "metric": "PSI of each class's probability and of the predicted classes"
            if ctx.is_multiclass
            else "PSI of the scores",
            "threshold": f"> {p.max_psi:g}",
            "action": "revalidate the model",
        },
        {
            "metric": f"{score} on newly labelled outcomes",
            "threshold": f"< {p.min_test_score:g}",
            "action": "suspend automated use; retrain or recalibrate",
        },
        {
            "metric": "Impact ratio per group",
            "threshold": f"< {p.min_impact_ratio:g} and significant",
            "action": "escalate to the fairness owner; mitigation review",
        },
        {
            "metric": "Explanation drift (rank correlation of global importance with this report)",
            "threshold": f"< {p.min_explanation_stability:g}",
            "action": "review the explanations and reason codes",
        },
    ]
    blocks = [
        table(
            "monitoring",
            "Monitored metrics, thresholds and actions",
            [column("metric", "Metric"), column("threshold", "Alert when"), column("action", "Action")],
            rows,
        ),
        facts(
            [
                ("Full revalidation at least every", f"{p.revalidation_months} months"),
                (
                    "Change log",
                    f"previous version: {ctx.card.previous_version or 'none stated'}; re-run explain.audit "
                    "with previous= this report's PDF (explain audit --previous audit.pdf; it is verified first) or "
                    "its evidence.json: the change log lists every finding that changed, and what changed in the "
                    "model, data and policy",
                ),
            ]
        ),
    ]
    return _sec("monitoring", "What to watch after deployment, and when to act.", blocks, [])


def standards_section(ctx: AuditContext) -> Built:
    card = ctx.card
    blocks = [
        paragraph("Standards and specifications applied, as declared by the model owner:"),
        bullets(card.standards or ["None declared in the model card."]),
        paragraph("Related documents (instructions for use, datasheets, declaration of conformity):"),
        bullets(card.related_documents or ["None listed in the model card."]),
        paragraph("explain itself claims no conformity; this report is evidence for such an assessment."),
    ]
    return _sec("standards", "References declared in the model card.", blocks, [])


DEFAULT_SIGNERS = ("Model owner", "Independent validator", "Approver")


def signers(ctx: AuditContext) -> list[dict[str, str]]:
    """The people who sign: from the model card, or blank lines for the usual three roles."""
    people = ctx.card.signoff
    if people:
        return [{"role": s.role, "name": s.name, "date": s.date} for s in people]
    return [{"role": role, "name": "", "date": ""} for role in DEFAULT_SIGNERS]


def signoff_section(ctx: AuditContext) -> Built:
    blocks = [
        paragraph(
            "By signing, each person confirms they reviewed this report and the evidence attached to it, and "
            "states whether they are independent of the model's development (SR 11-7 / SR 26-2 effective "
            "challenge; NYC LL144 independent auditor). A PAdES digital signature may be applied to the PDF "
            "after generation (`explain sign`); `explain verify` checks the content and every signature."
        ),
    ]
    return _sec("signoff", "Names, roles, dates and signatures of the responsible persons.", blocks, [])


def crosswalk_section() -> Built:
    """The crosswalk table itself is the top-level ``crosswalk`` of the evidence (exporters add the
    page of each section); this section introduces it."""
    blocks = [
        paragraph(
            "Each requirement and the sections of this report that answer it, generated from the declarations "
            "of the sections, not written by hand. Each requirement is addressed (every section and finding it "
            "needs ran and applies), partially addressed (what is missing is named) or not addressed by this report "
            "(who must address it is named): the status follows from what the report computed."
        ),
    ]
    return _sec("crosswalk", "Requirement to section.", blocks, [], appendix=True)


def provenance_section(ctx: AuditContext, provenance: dict[str, Any]) -> Built:
    rows = [
        ("Model type", provenance["model"]["type"]),
        ("Model fingerprint (SHA-256)", provenance["model"]["sha256"], "hash"),
        ("Configuration SHA-256 (policy, card, arguments)", provenance["config_sha256"], "hash"),
        ("random_state", provenance["random_state"], "int"),
        ("Python", provenance["python"]),
        ("Platform", provenance["platform"]),
        ("Call", provenance["call"]),
    ]
    blocks = [
        facts(rows),
        table(
            "datasets_provenance",
            "Data sets",
            [
                column("name", "Data set"),
                column("rows", "Rows", "int"),
                column("sha256", "SHA-256", "hash"),
                column("schema_sha256", "Schema SHA-256", "hash"),
            ],
            provenance["datasets"],
        ),
        table(
            "versions",
            "Library versions",
            [column("library", "Library"), column("version", "Version")],
            [{"library": k, "version": v} for k, v in sorted(provenance["versions"].items())],
        ),
        paragraph(
            "To verify this report: run `explain verify report.pdf`. It extracts the attached evidence.json, "
            "checks that its SHA-256 equals the value on the cover, and renders the PDF again from it to "
            "confirm that the pages show exactly the attached evidence. To reproduce the numbers, re-run the "
            "call above with the same data (same SHA-256) and library versions."
        ),
    ]
    return _sec("provenance", "Hashes, versions, seeds and the call that made this report.", blocks, [], appendix=True)


# a regression audit uses no probability, class or error rate: these terms are left out of its glossary
CLASSIFIER_TERMS = ("ROC AUC", "True / false positive rate", "Expected calibration error (ECE)")
# the terms a regression audit without a decision threshold defines in its own words (it takes no
# decision and has no favourable class)
REGRESSION_GLOSSARY = {
    "Reference (background) data": "The rows that stand for 'a typical case'; explanations are relative to them.",
    "Selection rate": "The share of a group predicted above the median prediction (the NYC LL144 convention for "
    "continuous scores: the model itself takes no decision).",
    "Principal reasons (reason codes)": "The features that pushed a prediction furthest up or down from the "
    "average prediction, in the prediction's units.",
}


def _glossary(classifier: bool, decides: bool) -> list[tuple[str, str]]:
    if classifier:
        return list(GLOSSARY)
    kept = [(t, m) for t, m in GLOSSARY if t not in CLASSIFIER_TERMS]
    return kept if decides else [(t, REGRESSION_GLOSSARY.get(t, m)) for t, m in kept]


def glossary_section(ctx: AuditContext | None = None) -> Built:
    """The glossary; a regressor without a declared ``regression_threshold`` gets its neutral wording."""
    classifier = ctx is None or ctx.is_classifier
    decides = classifier or (ctx is not None and regression_threshold(ctx) is not None)
    blocks = [
        table(
            "glossary",
            "Glossary",
            [column("term", "Term"), column("definition", "Meaning")],
            [{"term": t, "definition": d} for t, d in _glossary(classifier, decides)],
        )
    ]
    return _sec("glossary", "The metrics of this report, in plain language.", blocks, [], appendix=True)
