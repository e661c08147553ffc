"""A representative evidence document for the exporter tests, built with the schema constructors.

It holds every block type, both chart kinds, every status, a section that does not apply, a
table long enough to break across pages, Unicode, and strings that are markup in Typst, HTML or
matplotlib (``*bold* #set [x] $y$ <script>``), which every exporter must show literally.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from datetime import datetime, timezone
from typing import Any

from explain.report import _schema as s
from explain.report._renderer import PDF_LIBRARIES, running

TIMESTAMP = datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
HOSTILE = "*bold* #set [x] $y$ <script>alert(1)</script> & </p>"
MODEL_NAME = "gbm_credit *bold* #set [x] $y$ <script>"
FEATURE = "débt_ratio *bold* #set [x] $y$ <b>"


def _sha(name: str) -> str:
    return hashlib.sha256(name.encode()).hexdigest()


GLOSSARY = [
    {"term": "Impact ratio", "definition": "Selection rate of a group divided by the rate of the most selected group."},
    {"term": "PSI", "definition": "Population stability index: how far a distribution moved."},
]
FRAMEWORKS = [
    {
        "id": "AIA",
        "name": "EU AI Act, Reg. (EU) 2024/1689",
        "citation": "OJ L 2024/1689",
        "effective": "2026-08-02",
        "note": "Annex III duties may move to 2027-12-02 (Digital Omnibus).",
    },
    {
        "id": "SR26-2",
        "name": "Federal Reserve SR 26-2",
        "citation": "SR 26-2",
        "effective": "2026-04-17",
        "note": "Supersedes SR 11-7.",
    },
    {"id": "RegB", "name": "ECOA / Regulation B", "citation": "12 CFR 1002", "effective": None, "note": None},
]


def _control() -> list[dict[str, Any]]:
    """Document control as audit() writes it: facts and the regulatory profiles, as blocks."""
    return [
        s.facts([("Report ID", "AUD-2026-0042"), ("Model", f"{MODEL_NAME}, version 2.1.0"),
                 ("Retention class", "10 years (AIA Art. 18)"), ("Independent review", True, "bool")]),
        s.paragraph("Validated by a team independent of development."),
        s.table("profiles", "Regulatory profiles applied",
                [s.column("name", "Framework"), s.column("citation", "Citation"), s.column("effective", "In force"),
                 s.column("note", "Status note")],
                [{k: f[k] for k in ("name", "citation", "effective", "note")} for f in FRAMEWORKS]),
    ]  # fmt: skip


def _provenance_blocks() -> list[dict[str, Any]]:
    return [
        s.facts([("Model fingerprint (SHA-256)", _sha("model"), "hash"), ("random_state", 0, "int"),
                 ("Call", "explain.audit(model, X_train, y_train, X_test, y_test, random_state=0)")]),
        s.table("datasets_provenance", "Data sets",
                [s.column("name", "Data set"), s.column("rows", "Rows", "int"), s.column("sha256", "SHA-256", "hash"),
                 s.column("schema_sha256", "Schema SHA-256", "hash")],
                [{"name": n, "rows": r, "sha256": _sha(n), "schema_sha256": _sha("schema")}
                 for n, r in (("train", 25432), ("test", 6358))]),
    ]  # fmt: skip


def _findings() -> list[dict[str, Any]]:
    f = s.finding
    # fmt: off
    return [
        f("performance.roc_auc", "performance", "ROC AUC on test data", metric="roc_auc", observed=0.81234,
          threshold=0.75, comparison=">=", ci=(0.7912, 0.8311), message="Above the declared target."),
        f("performance.gap", "performance", "Train-test AUC gap", metric="auc_gap", observed=0.043, threshold=0.05,
          comparison="<=", warn_margin=0.01, format="float2", message="Close to the overfitting limit."),
        f("robustness.noise", "robustness", "AUC drop under 5% noise", metric="auc_drop", observed=0.0071,
          threshold=0.02, comparison="<="),
        f("global.additivity", "global_explanations", "SHAP additivity error", metric="max_abs_error",
          observed=1.2e-7, threshold=1e-6, comparison="<="),
        f("local.stability", "local_explanations", "Top-4 reason stability across seeds", metric="top4_agreement",
          observed=0.86, threshold=0.8, comparison=">=", warn_margin=0.1, format="pct"),
        f("fairness.impact_ratio.sex", "fairness", "Impact ratio, sex", metric="impact_ratio", observed=0.72,
          threshold=0.8, comparison=">=", ci=(0.61, 0.7), format="float2",
          message=f"Group {HOSTILE} is selected at 72% of the reference rate."),
        f("fairness.impact_ratio.age", "fairness", "Impact ratio, age band", metric="impact_ratio", observed=0.91,
          threshold=0.8, comparison=">=", ci=(0.85, 0.97), format="float2"),
        f("fairness.fisher.sex", "fairness", "Fisher exact test, sex", metric="p_value", observed=0.0004,
          format="pvalue", message="Reported without a threshold."),
        f("data.missing", "data", "Missing values in training data", metric="missing_share", observed=0.0132,
          format="pct"),
        f("drift.psi", "drift", "Population stability index", metric="psi", observed=None, threshold=0.2,
          comparison="<="),
    ]
    # fmt: on


def _blocks_summary(findings: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        s.paragraph("The model meets its performance targets; one fairness screen fails and needs review."),
        s.findings_block([x["id"] for x in findings]),
        s.bullets(["Open issue: impact ratio for sex below 0.8.", f"Feature {FEATURE} is the strongest driver."]),
    ]


def _importance() -> list[dict[str, Any]]:
    names = [FEATURE, "income", "age", "months_since_last_delinquency_in_any_account", "credit_lines", "€ balance"]
    values = [0.31, 0.2, 0.11, 0.072, 0.03, 0.012]
    table = s.table(
        "global.importance",
        f"Global importance of {FEATURE}, income and others",
        [
            s.column("feature", "Feature"),
            s.column("value", "Mean |SHAP|", "float"),
            s.column("spread", "Spread", "float"),
            s.column("share", "Share", "pct"),
        ],
        [
            {"feature": n, "value": v, "spread": None if i == 2 else v / 10, "share": v / sum(values)}
            for i, (n, v) in enumerate(zip(names, values, strict=True))
        ],
        note="Spread: standard deviation over 5 background resamples.",
    )
    chart = s.chart(
        "global.importance.chart",
        "Global feature importance with spread",
        "Horizontal bar chart of mean absolute SHAP value per feature; " + f"{FEATURE} is highest at 0.31.",
        s.bar_chart(names, values, xlabel="Mean |SHAP value| ($ log-odds)", errors=[v / 10 for v in values]),
    )
    return [s.paragraph("Explainer: tree_shap (shap 0.46), background 200 rows, seed 0."), table, chart]


def _reason_rows(n: int = 48) -> list[dict[str, Any]]:
    return [
        {
            "id": f"A-{1000 + i}",
            "score": 0.5 + (i % 17) / 40,
            "reasons": f"R{i % 4 + 1}: {FEATURE}",
            "contribution": -0.02 * (i % 9) - 0.01,
            "adverse": i % 3 == 0,
        }
        for i in range(n)
    ]


def _sections(findings: list[dict[str, Any]]) -> list[dict[str, Any]]:
    by_section: dict[str, list[dict[str, Any]]] = {}
    for x in findings:
        by_section.setdefault(x["section"], []).append(x)

    def sec(sid: str, blocks: list[dict[str, Any]], **kw: Any) -> dict[str, Any]:
        mine = findings if sid == "summary" else by_section.get(sid, [])
        if mine and sid != "summary" and not kw.get("not_applicable"):
            blocks = [*blocks, s.findings_block([x["id"] for x in mine])]
        return s.section(
            sid,
            s.SECTION_TITLES[sid],
            requirements=[f"REQ.{sid}"],
            summary=f"Summary of {sid}.",
            blocks=blocks,
            findings=mine,
            appendix=sid in s.APPENDICES,
            **kw,
        )

    groups = s.table(
        "fairness.groups",
        "Selection rates by group",
        [
            s.column("group", "Group"),
            s.column("n", "N", "int"),
            s.column("rate", "Selection rate", "pct"),
            s.column("ratio", "Impact ratio", "float2"),
            s.column("p", "p-value", "pvalue"),
            s.column("flag", "4/5 flag", "bool"),
        ],
        [
            {"group": "female", "n": 12034, "rate": 0.312, "ratio": 0.72, "p": 0.0004, "flag": True},
            {"group": "male", "n": 13311, "rate": 0.433, "ratio": 1.0, "p": None, "flag": False},
            {"group": HOSTILE, "n": 87, "rate": None, "ratio": None, "p": 0.5123, "flag": False},
        ],
    )
    ratios = s.chart(
        "fairness.ratios",
        "Impact ratio by group",
        "Bar chart of impact ratios: female 0.72 (below the 0.8 line), male 1.0, age 25\u201334 0.91.",
        s.bar_chart(
            ["female", "male", "age 25\u201334"],
            [0.72, 1.0, 0.91],
            xlabel="Impact ratio",
            reference=0.8,
            highlight=[True, False, False],
        ),
    )
    curve = s.chart(
        "performance.calibration",
        "Reliability curve on test data",
        "Line chart: observed default rate against predicted probability for train and test, close to the diagonal.",
        s.line_chart(
            [
                {"name": "test", "x": [0.05, 0.2, 0.4, 0.6, 0.8], "y": [0.04, 0.22, 0.37, 0.63, 0.78]},
                {"name": "train $y$", "x": [0.05, 0.2, 0.4, 0.6, 0.8], "y": [0.05, 0.2, 0.41, 0.6, 0.8]},
            ],
            xlabel="Predicted probability",
            ylabel="Observed rate",
            diagonal=True,
        ),
    )
    reasons = s.table(
        "local.decisions",
        "Per-decision reasons (sample of denials)",
        [
            s.column("id", "Decision"),
            s.column("score", "Score", "float"),
            s.column("reasons", "Top reason"),
            s.column("contribution", "Contribution", "float"),
            s.column("adverse", "Adverse", "bool"),
        ],
        _reason_rows(),
    )
    return [
        sec("document_control", _control()),
        sec("summary", _blocks_summary(findings)),
        sec(
            "intended_use",
            [
                s.facts(
                    [
                        ("Intended use", "Rank consumer credit applications."),
                        ("Automated decision", False, "bool"),
                        ("Users", "Credit officers"),
                    ]
                ),
                s.bullets(["Not for employment decisions.", "Not for applicants under 18."]),
            ],
        ),
        sec("design", [s.paragraph("Histogram gradient boosting, 200 trees, depth 6. " + HOSTILE)]),
        sec(
            "data",
            [
                s.facts(
                    [
                        ("Rows (train)", 25432, "int"),
                        ("Columns", 14, "int"),
                        ("Missing share", 0.0132, "pct"),
                        ("Train SHA-256", _sha("train"), "hash"),
                        ("Window end", None, "text"),
                    ]
                )
            ],
        ),
        sec("performance", [s.paragraph("Bootstrap n = 1,000, seed 0."), curve]),
        sec("robustness", [s.paragraph("Gaussian noise at 5% of each feature's spread.")]),
        sec("global_explanations", _importance()),
        sec(
            "local_explanations",
            [
                reasons,
                s.notice(
                    "Sample adverse-action notice",
                    "We could not approve your "
                    f"application. Principal reasons: 1. {FEATURE} too high. 2. Income too low.",
                ),
            ],
        ),
        sec("fairness", [groups, ratios]),
        sec("drift", [], not_applicable="No reference data set was given, so drift was not measured."),
        sec(
            "limitations",
            [
                s.bullets(
                    [
                        "Extrapolates poorly beyond incomes of 500,000.",
                        "Do not rely on reasons for applicants with missing bureau data.",
                    ]
                )
            ],
        ),
        sec("monitoring", [s.facts([("Revalidation", "every 12 months"), ("PSI alert", 0.2, "float")])]),
        sec("standards", [s.paragraph("ISO/IEC 42001:2023 (management system).")]),
        sec("signoff", [s.paragraph("Signed copies are kept by the model risk office.")]),
        sec("crosswalk", [s.paragraph("Each requirement and the sections that answer it.")]),
        sec("provenance", _provenance_blocks()),
        sec(
            "glossary",
            [s.table("glossary", "Glossary", [s.column("term", "Term"), s.column("definition", "Meaning")], GLOSSARY)],
        ),
    ]


def sample_evidence() -> dict[str, Any]:
    """The sample evidence document (a new dict every call)."""
    findings = _findings()
    sections = _sections(findings)
    verdict = s.worst(x["status"] for x in findings)
    counts = Counter(x["status"] for x in findings)
    return {
        "schema": s.SCHEMA,
        "schema_version": s.SCHEMA_VERSION,
        "report": {
            "id": "AUD-2026-0042",
            "title": "Model audit: credit default classifier",
            "version": "1.0",
            "generated_at": "2026-01-02T03:04:05Z",
            "verdict": verdict,
            "verdict_reason": "1 finding fails its target: impact ratio, sex.",
            "counts": {k: counts.get(k, 0) for k in s.STATUSES},
        },
        "card": {
            "name": MODEL_NAME,
            "version": "2.1.0",
            "owner": "Credit Risk Analytics, Zürich",
            "contact": "model-risk@example.com",
            "intended_use": "Rank consumer credit applications.",
            "decision": "Approve or refer",
            "users": "Credit officers",
            "affected_persons": "Applicants",
            "out_of_scope": ["Employment"],
            "limitations": ["Income above 500,000"],
            "previous_version": "2.0.3",
            "automated_decision": False,
        },
        "policy": {"min_auc": 0.75, "min_impact_ratio": 0.8},
        "findings": findings,
        "sections": sections,
        "frameworks": FRAMEWORKS,
        "crosswalk": [
            {"id": "REQ.summary", "framework": "AIA", "reference": "Art. 15(3)", "text": "Declared accuracy"},
            {
                "id": "AIA.IV.2g",
                "framework": "AIA",
                "reference": "Annex IV 2(g)",
                "text": "Test logs and reports, dated and signed",
                "sections": ["performance", "signoff"],
            },
            {"id": "REQ.fairness", "framework": "LL144", "reference": "§5-301", "text": f"Impact ratios {HOSTILE}"},
            {
                "id": "REQ.local_explanations",
                "framework": "RegB",
                "reference": "§1002.9(b)(2)",
                "text": "Specific principal reasons",
            },
        ],
        "glossary": GLOSSARY,
        "signoff": [
            {"role": "Model owner", "name": "Ana Müller", "date": "2026-01-05"},
            {"role": "Independent validator", "name": "", "date": None},
            {"role": "Approver", "name": HOSTILE, "date": None},
        ],
        "provenance": {
            "model": {"type": "sklearn.ensemble.HistGradientBoostingClassifier", "sha256": _sha("model")},
            "datasets": [
                {"name": n, "sha256": _sha(n), "rows": r, "columns": 14, "schema_sha256": _sha("schema")}
                for n, r in (("train", 25432), ("test", 6358))
            ],
            "config_sha256": _sha("config"),
            # as explain.audit writes it: the versions the numbers and the pages depend on
            "versions": {"numpy": "2.2.1", "scikit-learn": "1.6.1", "shap": "0.46.0", **running(PDF_LIBRARIES)},
            "python": "3.11.2",
            "platform": "Linux-6.1-x86_64",
            "random_state": 0,
            "call": "explain.audit(model, X_train=<sha256:" + _sha("train")[:12] + ">, y_train=..., "
            "sensitive_features=['sex', 'age_band'], random_state=0)",
        },
    }
