"""The ``explain demo`` job: train a credit model on the shipped data set and audit it.

The data is :func:`explain.datasets.credit_splits` (applications of 2022-2023 to train, 2024 to
test; a planted disparity by sex and drift in 2024, see ``explain/datasets/credit.md``). The
model is a gradient-boosting classifier behind a one-hot encoder, trained without the sensitive
attributes. Every random step takes ``random_state=0`` and the report date is pinned
(:data:`REPORT_DATE`), so two runs write the same bytes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .report import AuditReport, ModelCard, Policy, SignOff, audit

__all__ = [
    "CARD",
    "POLICY",
    "REASON_CODES",
    "REPORT_DATE",
    "DemoResult",
    "describe",
    "run_demo",
    "train_champion",
    "train_model",
]

RANDOM_STATE = 0
REPORT_DATE = "2026-01-15T09:00:00Z"
PDF_FILE, HTML_FILE, JSON_FILE = "audit.pdf", "audit.html", "evidence.json"

CARD = ModelCard(
    name="Example Bank personal-loan scorecard",
    version="2.0",
    owner="Example Bank, Retail Credit Risk (a fictional lender, for this demo)",
    contact="model-risk@example.invalid",
    intended_use="Estimate the probability that an applicant for an unsecured personal loan repays it, to rank "
    "applications for approval.",
    decision="Approve or decline unsecured personal loans of USD 1 000 to 60 000. Approve when the probability "
    "of repayment is at least 0.7: the bank's risk appetite, about two thirds of applicants.",
    users="Credit underwriters, who see the score and its principal reasons.",
    affected_persons="Applicants for personal loans.",
    out_of_scope=(
        "Mortgages, business lending and credit-limit changes: the training data holds none.",
        "Applicants outside the population the data describes (e.g. under 18).",
        "Any decision about employment, insurance or housing.",
    ),
    foreseeable_misuse=("Declining applicants automatically, without an underwriter's review.",),
    limitations=(
        "Trained on two years of applications; the 2024 applicants differ (higher credit utilization, larger loans).",
        "The historical outcomes carry a documented bias against women (see the datasheet).",
    ),
    deployment="Python library behind the bank's loan-origination system.",
    automated_decision="No: an underwriter makes every decision and can override the score.",
    human_oversight="Underwriters may override any score; overrides are logged and reviewed monthly by Credit Risk.",
    previous_version="1.3 (logistic scorecard, retired 2025)",
    training_data="explain.datasets credit data, applications of 2022-2023.",
    related_documents=("Datasheet: explain/datasets/credit.md",),
    signoff=(SignOff("Model owner"), SignOff("Independent validator"), SignOff("Approver")),
)

POLICY = Policy(decision_threshold=0.7)
"""The policy defaults, with the bank's cut-off: approve when P(repaid) >= 0.7 (about two thirds of
the 2024 applicants)."""

REASON_CODES: dict[str, tuple[str, str]] = {
    "age": ("A01", "Length of adult credit life"),
    "income": ("I01", "Income insufficient for the amount of credit requested"),
    "debt_to_income": ("D01", "Debt obligations too high compared with income"),
    "credit_utilization": ("U01", "Proportion of revolving balances to credit limits too high"),
    "credit_history_months": ("H01", "Length of credit history too short"),
    "late_payments_2y": ("L01", "Delinquent past or present credit obligations"),
    "employment_years": ("E01", "Length of employment"),
    "employment_type": ("E02", "Type of employment"),
    "loan_amount": ("M01", "Amount of credit requested"),
    "loan_purpose": ("P01", "Purpose of the loan"),
    "home_ownership": ("R01", "Residential status"),
    "months_at_address": ("R02", "Length of residence"),
}


@dataclass(frozen=True)
class DemoResult:
    """What :func:`run_demo` made: the model, the report and the files written."""

    model: Any
    report: AuditReport
    paths: tuple[Path, ...]


def train_model(X: Any, y: Any, features: tuple[str, ...]) -> Any:
    """A one-hot encoder and a HistGradientBoostingClassifier, fitted on ``features`` only."""
    from sklearn.compose import ColumnTransformer
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import OneHotEncoder

    categorical = [c for c in features if str(X[c].dtype) in ("category", "object")]
    encode = ColumnTransformer(
        [("categories", OneHotEncoder(handle_unknown="ignore", sparse_output=False), categorical)],
        remainder="passthrough",
        verbose_feature_names_out=False,
    )
    gbm = HistGradientBoostingClassifier(
        max_iter=200,
        learning_rate=0.05,
        max_depth=3,
        min_samples_leaf=50,
        l2_regularization=1.0,
        random_state=RANDOM_STATE,
    )
    model = Pipeline([("encode", encode), ("gbm", gbm)])
    return model.fit(X[list(features)], y)


def train_champion(X: Any, y: Any, features: tuple[str, ...]) -> Any:
    """Version 1.3, the logistic scorecard the model replaces: median-imputed, standardized numeric
    features and one-hot categories into a logistic regression, fitted on the same applications."""
    from sklearn.compose import ColumnTransformer
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline, make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    categorical = [c for c in features if str(X[c].dtype) in ("category", "object")]
    numeric = [c for c in features if c not in categorical]
    encode = ColumnTransformer(
        [
            ("numbers", make_pipeline(SimpleImputer(strategy="median"), StandardScaler()), numeric),
            ("categories", OneHotEncoder(handle_unknown="ignore"), categorical),
        ]
    )
    return Pipeline([("encode", encode), ("logistic", LogisticRegression(max_iter=2000))]).fit(X[list(features)], y)


def run_demo(out: str | Path, *, log: Callable[[str], None] = print, progress: bool | None = None) -> DemoResult:
    """Train the demo model, audit it, and write ``audit.pdf``, ``audit.html`` and ``evidence.json``
    into ``out``. Needs the ``pdf`` extra for the PDF (the HTML and JSON are written first)."""
    from .datasets import credit_splits

    out = Path(out)
    log("[1/4] Loading the shipped credit data (explain.datasets.credit_splits)")
    data = credit_splits()
    log(f"[2/4] Training a gradient-boosting model on {len(data.X_train)} applications of 2022-2023")
    model = train_model(data.X_train, data.y_train, data.features)
    champion = train_champion(data.X_train, data.y_train, data.features)
    log(f"[3/4] Auditing it on {len(data.X_test)} applications of 2024")
    report = audit(
        model,
        data.X_train,
        data.y_train,
        data.X_test,
        data.y_test,
        sensitive_features=list(data.sensitive),
        reason_codes=REASON_CODES,
        card=CARD,
        policy=POLICY,
        random_state=RANDOM_STATE,
        generated_at=REPORT_DATE,
        progress=progress,
        champion=champion,
        champion_name="version 1.3 (logistic scorecard)",
    )
    out.mkdir(parents=True, exist_ok=True)
    log(f"[4/4] Writing the report to {out}")
    paths = (report.to_json(out / JSON_FILE), report.to_html(out / HTML_FILE), report.to_pdf(out / PDF_FILE))
    return DemoResult(model, report, paths)


def describe(result: DemoResult) -> str:
    """A few lines for the terminal: the verdict, the findings that need attention, the files."""
    report = result.report
    flagged = report.findings[report.findings["status"].isin(["fail", "warn"])]
    lines = ["", f"Verdict: {report.verdict.upper()} ({report.evidence['report']['verdict_reason']})"]
    lines += [f"  {r.status.upper():5} {r.title}: {r.message}" for r in flagged.itertuples()]
    lines += [f"Evidence SHA-256: {report.evidence_sha256}", "Wrote:", *(f"  {p}" for p in result.paths)]
    lines.append("Check the PDF later with: explain verify " + str(result.paths[-1]))
    return "\n".join(lines)
