"""The regulation crosswalk as data: frameworks, their requirements, and the sections that answer them.

Each report section declares the requirements it answers (:func:`requirements_for`); the
appendix "Regulation crosswalk" is :func:`crosswalk` of the sections in the report, and the
regulatory profiles on the cover are :func:`frameworks`. The mapping follows the audit checklist
(``AUDIT_CHECKLIST.md``): every reference in a row's "Asked for by" column maps to that row's
section, plus the points of "Details that are easy to get wrong". The ``drift`` section has no
row of its own there; it answers the out-of-time and data-shift parts of the performance, data
and monitoring rows (AI Act Art. 10(4), 15(1), 72; SR 11-7 ongoing monitoring).

Requirement texts are short paraphrases, not quotations: read the cited text for the wording
that binds. Dates and status notes are as of the checklist; they are data, so a change in the
law is a change here, not in a template.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any

from ..errors import InputError
from ._schema import SECTION_TITLES

__all__ = ["FRAMEWORKS", "REQUIREMENTS", "Framework", "Requirement", "crosswalk", "frameworks", "requirements_for"]


@dataclass(frozen=True)
class Framework:
    """A regulation, guidance or documentation standard the report can be read against."""

    id: str
    name: str
    citation: str
    version: str
    effective: str
    note: str


@dataclass(frozen=True)
class Requirement:
    """One requirement of a framework and the report sections that answer it."""

    id: str
    framework: str
    reference: str
    text: str
    sections: tuple[str, ...]


FRAMEWORKS: tuple[Framework, ...] = (
    Framework(
        "AIA",
        "EU AI Act",
        "Regulation (EU) 2024/1689 laying down harmonised rules on artificial intelligence",
        "OJ L, 12 July 2024",
        "In force 1 Aug 2024; prohibitions from 2 Feb 2025; Annex III high-risk obligations from 2 Aug 2026",
        "Credit scoring of natural persons is high-risk (Annex III 5(b)). The Digital Omnibus may move "
        "the Annex III high-risk obligations to 2 Dec 2027.",
    ),
    Framework(
        "GDPR",
        "GDPR",
        "Regulation (EU) 2016/679 (General Data Protection Regulation), Art. 15(1)(h) and 22; "
        "CJEU C-203/22 Dun & Bradstreet Austria",
        "Regulation of 27 Apr 2016; judgment C-203/22 of 27 Feb 2025",
        "Applies since 25 May 2018",
        "C-203/22: the logic involved means the procedure and principles actually applied, in an intelligible form.",
    ),
    Framework(
        "RegB",
        "ECOA / Regulation B; FCRA §615",
        "Equal Credit Opportunity Act, 15 U.S.C. 1691 et seq., Regulation B, 12 CFR Part 1002 with "
        "Supplement I; Fair Credit Reporting Act §615, 15 U.S.C. 1681m",
        "12 CFR 1002 as in the current eCFR",
        "Regulation B as restated by the CFPB, effective 30 Dec 2011",
        "CFPB Circular 2022-03 was withdrawn in May 2025, but §1002.9(b)(2) still requires the "
        "specific principal reasons for an adverse action.",
    ),
    Framework(
        "MRM",
        "SR 11-7 / SR 26-2",
        "Federal Reserve SR 11-7 (with OCC 2011-12), Supervisory Guidance on Model Risk Management",
        "SR 11-7 of 4 Apr 2011; SR 26-2 of 17 Apr 2026",
        "SR 26-2 applies from 17 Apr 2026",
        "SR 11-7 was superseded by SR 26-2 on 17 Apr 2026, which keeps its vocabulary (conceptual "
        "soundness, outcomes analysis, ongoing monitoring); references here use the SR 11-7 sections.",
    ),
    Framework(
        "LL144",
        "NYC Local Law 144",
        "New York City Local Law 144 of 2021 (Admin. Code §§20-870 to 20-874), rules 6 RCNY §§5-300 to 5-304",
        "Final rules of 6 Apr 2023",
        "Enforced since 5 Jul 2023",
        "Written for automated employment decision tools; used here as the reference method for bias "
        "audits (selection rates, impact ratios, unknown category).",
    ),
    Framework(
        "UGESP",
        "EEOC UGESP",
        "Uniform Guidelines on Employee Selection Procedures, 29 CFR Part 1607, §1607.4(D)",
        "1978",
        "Effective 25 Sep 1978",
        "The four-fifths rule is a rule of thumb for adverse impact, read with statistical significance.",
    ),
    Framework(
        "MC",
        "Model cards",
        "Mitchell et al., Model Cards for Model Reporting, FAT* 2019, doi:10.1145/3287560.3287596",
        "2019",
        "n/a (documentation practice)",
        "Not a legal requirement.",
    ),
    Framework(
        "DS",
        "Datasheets for datasets",
        "Gebru et al., Datasheets for Datasets, Communications of the ACM 64(12), 2021, doi:10.1145/3458723",
        "2021",
        "n/a (documentation practice)",
        "Not a legal requirement.",
    ),
)
"""Every framework the crosswalk cites, in the order the report lists them."""


def _req(id: str, framework: str, reference: str, sections: tuple[str, ...], text: str) -> Requirement:
    return Requirement(id, framework, reference, text, sections)


# One requirement per entry: id, framework, reference, answering sections; then the text.
# Not formatted: a table reads best one entry per row; the formatter would spread each over eight lines.
# fmt: off
REQUIREMENTS: tuple[Requirement, ...] = (
    # EU AI Act: articles
    _req("AIA-9", "AIA", "Art. 9", ("limitations",),
         "Run a documented risk-management process over the whole lifecycle."),
    _req("AIA-10-2", "AIA", "Art. 10(2)(a) to (h)", ("data",),
         "Govern the data: design choices, origin and collection, preparation and labelling, assumptions, "
         "suitability, bias examination and mitigation, and data gaps."),
    _req("AIA-10-2f", "AIA", "Art. 10(2)(f)", ("data", "fairness"),
         "Examine the data for biases that could harm fundamental rights or lead to discrimination."),
    _req("AIA-10-2g", "AIA", "Art. 10(2)(g)", ("fairness",),
         "Take measures to detect, prevent and mitigate the biases found."),
    _req("AIA-10-3", "AIA", "Art. 10(3)", ("data",),
         "Use relevant, representative, complete and largely error-free data with suitable statistics by group."),
    _req("AIA-10-4", "AIA", "Art. 10(4)", ("data", "drift"),
         "Make the data reflect the setting (place, context, behaviour) in which the system is used."),
    _req("AIA-10-5", "AIA", "Art. 10(5)", ("data", "fairness"),
         "Special-category data may be processed for bias detection only when necessary and with safeguards."),
    _req("AIA-12", "AIA", "Art. 12", ("monitoring",),
         "Let the system log events automatically over its lifetime."),
    _req("AIA-13-1", "AIA", "Art. 13(1)", ("global_explanations",),
         "Make the system's operation transparent enough for deployers to interpret and use its output."),
    _req("AIA-13-3a", "AIA", "Art. 13(3)(a)", ("document_control",),
         "State the identity and contact details of the provider."),
    _req("AIA-13-3b-i", "AIA", "Art. 13(3)(b)(i)", ("intended_use",),
         "State the intended purpose."),
    _req("AIA-13-3b-ii", "AIA", "Art. 13(3)(b)(ii)", ("summary", "performance"),
         "Declare the accuracy, robustness and cybersecurity levels tested, and what may change them."),
    _req("AIA-13-3b-iii", "AIA", "Art. 13(3)(b)(iii)", ("intended_use", "limitations"),
         "Name known or foreseeable circumstances, including misuse, that may lead to risks."),
    _req("AIA-13-3b-iv", "AIA", "Art. 13(3)(b)(iv)", ("global_explanations",),
         "Describe the system's capabilities to provide information that explains its output."),
    _req("AIA-13-3b-v", "AIA", "Art. 13(3)(b)(v)", ("performance", "fairness"),
         "Report performance for the specific persons or groups the system is used on."),
    _req("AIA-13-3b-vi", "AIA", "Art. 13(3)(b)(vi)", ("data",),
         "Specify the input data and the training, validation and test data sets."),
    _req("AIA-13-3b-vii", "AIA", "Art. 13(3)(b)(vii)", ("global_explanations",),
         "Give deployers what they need to interpret the output and use it appropriately."),
    _req("AIA-13-3c", "AIA", "Art. 13(3)(c)", ("monitoring",),
         "Describe the changes to the system and its performance that were planned in advance."),
    _req("AIA-13-3d", "AIA", "Art. 13(3)(d)", ("global_explanations", "limitations"),
         "Describe the human-oversight measures, including aids to interpreting the output."),
    _req("AIA-13-3e", "AIA", "Art. 13(3)(e)", ("monitoring",),
         "State the resources needed, the expected lifetime, and maintenance and update measures."),
    _req("AIA-13-3f", "AIA", "Art. 13(3)(f)", ("monitoring",),
         "Describe how deployers can collect, store and interpret the logs."),
    _req("AIA-14", "AIA", "Art. 14", ("limitations",),
         "Design for effective human oversight: understand, monitor, override or stop the system."),
    _req("AIA-15-1", "AIA", "Art. 15(1)", ("performance", "drift"),
         "Reach appropriate accuracy and robustness, and keep them consistent over the lifecycle."),
    _req("AIA-15-3", "AIA", "Art. 15(3)", ("summary", "performance"),
         "Declare the accuracy levels and metrics in the instructions for use."),
    _req("AIA-15-4", "AIA", "Art. 15(4)", ("robustness",),
         "Be resilient to errors, faults and inconsistencies, and guard against feedback loops."),
    _req("AIA-15-5", "AIA", "Art. 15(5)", ("robustness",),
         "Resist attempts to alter the system's use or output (poisoning, adversarial inputs)."),
    _req("AIA-18", "AIA", "Art. 18", ("document_control",),
         "Keep the technical documentation available to authorities for ten years."),
    _req("AIA-72", "AIA", "Art. 72", ("drift", "monitoring"),
         "Monitor the system after it is placed on the market, following a monitoring plan."),
    _req("AIA-86", "AIA", "Art. 86", ("global_explanations", "local_explanations"),
         "A person affected by a decision is owed a clear explanation of the system's role and the main elements of "
         "the decision."),
    _req("AIA-Recital72", "AIA", "Recital 72", ("intended_use",),
         "Instructions for use should illustrate limitations and intended and precluded uses with examples."),
    # EU AI Act: Annex IV (technical documentation)
    _req("AIA-AnnexIV-1a", "AIA", "Annex IV 1(a)", ("document_control", "intended_use"),
         "Describe the intended purpose, the provider, and the version and its relation to earlier ones."),
    _req("AIA-AnnexIV-1b", "AIA", "Annex IV 1(b), (d) to (h)", ("intended_use",),
         "Describe interactions with other systems, the forms of supply, the hardware, the user interface and the "
         "instructions for use."),
    _req("AIA-AnnexIV-1c", "AIA", "Annex IV 1(c)", ("intended_use", "provenance"),
         "List the versions of the relevant software and any update requirements."),
    _req("AIA-AnnexIV-2a", "AIA", "Annex IV 2(a)", ("design",),
         "Describe how the system was developed, including third-party or pre-trained parts."),
    _req("AIA-AnnexIV-2b", "AIA", "Annex IV 2(b)", ("design", "global_explanations"),
         "Describe the design logic, key choices and assumptions, what is optimised and the trade-offs."),
    _req("AIA-AnnexIV-2c", "AIA", "Annex IV 2(c)", ("design",),
         "Describe the architecture and the compute used to train and validate."),
    _req("AIA-AnnexIV-2d", "AIA", "Annex IV 2(d)", ("data",),
         "Give datasheets: provenance, scope, selection, labelling and cleaning (e.g. outlier rules)."),
    _req("AIA-AnnexIV-2e", "AIA", "Annex IV 2(e)", ("global_explanations",),
         "Assess the human-oversight measures, including aids to interpreting the output."),
    _req("AIA-AnnexIV-2f", "AIA", "Annex IV 2(f)", ("monitoring",),
         "Describe pre-determined changes and how compliance is kept after them."),
    _req("AIA-AnnexIV-2g", "AIA", "Annex IV 2(g)", (
             "document_control", "performance", "fairness", "signoff", "provenance"),
         "Describe validation and testing, metrics including discriminatory impacts, and test logs dated and signed "
         "by the responsible persons."),
    _req("AIA-AnnexIV-2h", "AIA", "Annex IV 2(h)", ("robustness",),
         "Describe the cybersecurity measures."),
    _req("AIA-AnnexIV-3", "AIA", "Annex IV 3", ("performance", "global_explanations"),
         "Describe capabilities and limits, accuracy overall and by group, foreseeable risks and oversight."),
    _req("AIA-AnnexIV-4", "AIA", "Annex IV 4", ("performance",),
         "Explain why the performance metrics suit this system."),
    _req("AIA-AnnexIV-5", "AIA", "Annex IV 5", ("limitations",),
         "Describe the risk-management system of Art. 9."),
    _req("AIA-AnnexIV-6", "AIA", "Annex IV 6", ("monitoring",),
         "Describe the relevant changes made to the system over its lifecycle."),
    _req("AIA-AnnexIV-7", "AIA", "Annex IV 7", ("standards",),
         "List the harmonised standards and other specifications applied, or the solutions used instead."),
    _req("AIA-AnnexIV-8", "AIA", "Annex IV 8", ("standards",),
         "Include a copy of the EU declaration of conformity."),
    _req("AIA-AnnexIV-9", "AIA", "Annex IV 9", ("monitoring",),
         "Describe how performance is evaluated after deployment, with the post-market monitoring plan."),
    # GDPR
    _req("GDPR-15-1h", "GDPR", "Art. 15(1)(h)", ("intended_use", "design", "global_explanations"),
         "Tell the person about automated decision-making, the logic involved, and its significance and envisaged "
         "consequences."),
    _req("GDPR-9", "GDPR", "Art. 9(1), (2)", ("fairness",),
         "Special-category data (e.g. ethnic origin, health, sex life) may not be processed unless an exception "
         "applies; AI Act Art. 10(5) allows it for bias detection, not as a basis of the decision."),
    _req("GDPR-22-1", "GDPR", "Art. 22(1)", ("intended_use",),
         "Say whether decisions with legal or similarly significant effects are solely automated."),
    _req("GDPR-22-3", "GDPR", "Art. 22(3)", ("local_explanations", "limitations"),
         "Safeguards: human intervention, the person's point of view, and the right to contest."),
    _req("GDPR-Recital71", "GDPR", "Recital 71", ("local_explanations",),
         "The person may obtain an explanation of the decision reached and challenge it."),
    _req("GDPR-C-203-22", "GDPR", "CJEU C-203/22", ("global_explanations", "local_explanations"),
         "Explain the procedure and principles actually applied, e.g. how a change in the person's data would have "
         "changed the result."),
    # ECOA / Regulation B, FCRA
    _req("RegB-1002.4a", "RegB", "§1002.4(a); Supp. I 6(a)-2", ("fairness",),
         "Do not discriminate on a prohibited basis: neither disparate treatment nor unjustified disparate impact."),
    # answered by the findings fairness.protected_inputs, local.protected_reasons and fairness.age_rule
    _req("RegB-1002.6b1", "RegB", "§1002.6(b)(1)", ("fairness", "local_explanations"),
         "Do not take a prohibited basis into account in evaluating creditworthiness, directly or through a proxy."),
    _req("RegB-1002.6b2", "RegB", "§1002.6(b)(2)", ("fairness",),
         "An empirically derived scoring system may use age only if an applicant aged 62 or more is not assigned a "
         "negative factor or value for it."),
    _req("RegB-1002.9a2", "RegB", "§1002.9(a)(2)", ("local_explanations",),
         "An adverse-action notice states the action taken and the reasons, or the right to get them."),
    _req("RegB-1002.9b2", "RegB", "§1002.9(b)(2)", ("local_explanations",),
         "Reasons must be specific and give the principal reasons; citing a failed score or internal standard is "
         "not enough."),
    _req("RegB-SuppI-9b2-1", "RegB", "Supp. I 9(b)(2)-1", ("local_explanations",),
         "No fixed number of reasons, but more than four is unlikely to help the applicant."),
    _req("RegB-SuppI-9b2-2", "RegB", "Supp. I 9(b)(2)-2", ("local_explanations",),
         "Reasons must relate to and accurately describe the factors actually considered or scored."),
    _req("RegB-SuppI-9b2-4", "RegB", "Supp. I 9(b)(2)-4", ("local_explanations",),
         "With a scoring system, reasons come only from scored factors, even if their link to creditworthiness is "
         "not obvious."),
    _req("RegB-SuppI-9b2-5", "RegB", "Supp. I 9(b)(2)-5", ("local_explanations",),
         "No single way of selecting reasons is required; comparing with applicants at the cut-off or with all "
         "applicants are accepted (record which)."),
    _req("RegB-CFPB-2022-03", "RegB", "CFPB Circular 2022-03", ("local_explanations",),
         "Complex or opaque models do not excuse a creditor from giving specific, accurate reasons."),
    _req("RegB-CFPB-2023-03", "RegB", "CFPB Circular 2023-03", ("local_explanations",),
         "Sample-form reasons may be used only if they specifically and accurately reflect the real ones."),
    _req("RegB-1002.12b", "RegB", "§1002.12(b)", ("document_control",),
         "Keep application records for 25 months after notifying the applicant of the action taken."),
    _req("RegB-FCRA-615a", "RegB", "FCRA §615(a)", ("local_explanations",),
         "An adverse action based on a consumer report requires a notice with the score, its key factors and the "
         "reporting agency's details."),
    # Model risk management
    _req("MRM-IV-purpose", "MRM", "SR 11-7 §IV", ("intended_use",),
         "State the model's purpose and intended use, and check that its design fits them."),
    _req("MRM-V-soundness", "MRM", "SR 11-7 §V (conceptual soundness)", ("design", "global_explanations"),
         "Assess the quality of the design and construction, its theory, assumptions and variables."),
    _req("MRM-sensitivity", "MRM", "SR 11-7 §IV, §V (sensitivity analysis)", ("robustness",),
         "Test how outputs respond to changes in inputs and assumptions, including stress conditions."),
    _req("MRM-V-outcomes", "MRM", "SR 11-7 §V (outcomes analysis)", ("performance",),
         "Compare outputs with actual outcomes (back-testing) and with benchmark models."),
    _req("MRM-V-monitoring", "MRM", "SR 11-7 §V (ongoing monitoring)", ("drift", "monitoring"),
         "Monitor the model in use, verify its processes, and check it as products, data and markets change."),
    _req("MRM-limitations", "MRM", "SR 11-7 §IV, §V (limitations)", ("limitations",),
         "Know and report the model's limitations and the uncertainty of its outputs."),
    _req("MRM-challenge", "MRM", "SR 11-7 §III, §V (effective challenge)", ("document_control", "signoff"),
         "Models face effective challenge from competent reviewers independent of development and use."),
    _req("MRM-VI-governance", "MRM", "SR 11-7 §VI", ("summary", "document_control", "signoff"),
         "Governance: clear roles, approvals, and reporting of model risk to senior management."),
    _req("MRM-VI-documentation", "MRM", "SR 11-7 §VI (documentation)", (
             "design", "limitations", "provenance", "glossary"),
         "Document in enough detail that someone new to the model understands how it works, its limitations and key "
         "assumptions."),
    # NYC Local Law 144
    _req("LL144-5-300", "LL144", "6 RCNY §5-300", ("document_control", "signoff"),
         "The bias audit is done by an independent auditor, with no stake in the tool or its user."),
    _req("LL144-5-301", "LL144", "6 RCNY §5-301", ("fairness",),
         "Report selection (or scoring) rates and impact ratios per category and intersection; categories under 2 % "
         "may be left out of the ratios."),
    _req("LL144-5-302", "LL144", "6 RCNY §5-302", ("data", "fairness"),
         "Audit on historical data; test data only when history is insufficient, with an explanation."),
    _req("LL144-5-303", "LL144", "6 RCNY §5-303", ("document_control", "fairness"),
         "Publish the audit date, the data source, the unknown-category count, the rates and impact ratios."),
    _req("LL144-5-304", "LL144", "6 RCNY §5-304", ("intended_use",),
         "Tell the people assessed that the tool is used and which qualifications and characteristics it weighs."),
    # EEOC UGESP
    _req("UGESP-1607.4D", "UGESP", "29 CFR 1607.4(D)", ("fairness",),
         "A group's selection rate below four-fifths of the highest group's is generally evidence of adverse "
         "impact; weigh statistical and practical significance."),
    # Model cards
    _req("MC-details", "MC", "Model Details", ("design",),
         "Who made the model, when, its version, type and training."),
    _req("MC-intended-use", "MC", "Intended Use", ("intended_use",),
         "Primary uses and users, and uses out of scope."),
    _req("MC-factors", "MC", "Factors", ("performance", "fairness"),
         "The groups and conditions over which performance may differ."),
    _req("MC-metrics", "MC", "Metrics", ("performance",),
         "The performance measures, decision thresholds and how uncertainty is estimated."),
    _req("MC-data", "MC", "Training Data; Evaluation Data", ("data",),
         "The data sets used to train and evaluate, and why they were chosen."),
    _req("MC-quantitative", "MC", "Quantitative Analyses", ("performance", "fairness"),
         "Results overall, per group and per intersection of groups."),
    _req("MC-ethics", "MC", "Ethical Considerations", ("limitations",),
         "Sensitive data, risks, harms and the mitigations taken."),
    _req("MC-caveats", "MC", "Caveats and Recommendations", ("limitations",),
         "Known caveats and advice for using the model."),
    # Datasheets for datasets
    _req("DS-1", "DS", "1. Motivation", ("data",),
         "Why and by whom the data set was created."),
    _req("DS-2", "DS", "2. Composition", ("data",),
         "What the instances are, how many, what is missing, sensitive content."),
    _req("DS-3", "DS", "3. Collection process", ("data",),
         "How, when and from whom the data was collected."),
    _req("DS-4", "DS", "4. Preprocessing, cleaning, labelling", ("data",),
         "What was done to the raw data, including labelling and cleaning."),
    _req("DS-5", "DS", "5. Uses", ("data",),
         "What the data has been used for and should not be used for."),
    _req("DS-6", "DS", "6. Distribution", ("data",),
         "How the data is distributed and under what licence."),
    _req("DS-7", "DS", "7. Maintenance", ("data",),
         "Who maintains the data and how it is updated."),
)
# fmt: on
"""Every requirement, grouped by framework in the order of :data:`FRAMEWORKS`."""


def _known(section_ids: Iterable[str]) -> list[str]:
    ids = list(section_ids)
    unknown = [s for s in ids if s not in SECTION_TITLES]
    if unknown:
        raise InputError(f"unknown section ids {unknown}; the sections are {list(SECTION_TITLES)}.")
    return ids


def requirements_for(section_id: str) -> tuple[str, ...]:
    """The ids of the requirements a section answers, in the order of :data:`REQUIREMENTS`.

    Examples
    --------
    >>> requirements_for("signoff")
    ('AIA-AnnexIV-2g', 'MRM-challenge', 'MRM-VI-governance', 'LL144-5-300')
    >>> requirements_for("crosswalk")
    ()
    """
    _known([section_id])
    return tuple(r.id for r in REQUIREMENTS if section_id in r.sections)


def crosswalk(section_ids: Iterable[str]) -> list[dict[str, Any]]:
    """One row per requirement with the sections of the report that answer it.

    Parameters
    ----------
    section_ids : iterable of str
        The sections present in the report, in report order.

    Returns
    -------
    list of dict
        ``{"id", "framework", "framework_name", "reference", "text", "sections"}`` for every
        requirement of :data:`REQUIREMENTS`, in that order; ``sections`` lists the answering
        sections present in the report, in report order, and is empty when none is (a gap).

    Examples
    --------
    >>> rows = crosswalk(["summary", "performance", "fairness"])
    >>> row = next(r for r in rows if r["id"] == "AIA-15-3")
    >>> row["reference"], row["sections"]
    ('Art. 15(3)', ['summary', 'performance'])
    >>> next(r for r in rows if r["id"] == "AIA-AnnexIV-8")["sections"]
    []
    """
    order = {s: i for i, s in enumerate(_known(section_ids))}
    names = {f.id: f.name for f in FRAMEWORKS}
    return [
        {
            "id": r.id,
            "framework": r.framework,
            "framework_name": names[r.framework],
            "reference": r.reference,
            "text": r.text,
            "sections": sorted((s for s in r.sections if s in order), key=order.__getitem__),
        }
        for r in REQUIREMENTS
    ]


def frameworks() -> list[dict[str, str]]:
    """The frameworks as plain dicts, for the evidence document.

    Examples
    --------
    >>> [f["id"] for f in frameworks()]
    ['AIA', 'GDPR', 'RegB', 'MRM', 'LL144', 'UGESP', 'MC', 'DS']
    >>> sorted(frameworks()[0])
    ['citation', 'effective', 'id', 'name', 'note', 'version']
    """
    return [asdict(f) for f in FRAMEWORKS]
