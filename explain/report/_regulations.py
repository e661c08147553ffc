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

from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from typing import Any

from ..errors import InputError
from ._schema import SECTION_TITLES

__all__ = [
    "CROSSWALK_STATUSES",
    "FRAMEWORKS",
    "REQUIREMENTS",
    "Framework",
    "Requirement",
    "crosswalk",
    "crosswalk_counts",
    "crosswalk_summary",
    "frameworks",
    "requirements_for",
]


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
    """One requirement of a framework, the report sections and findings that answer it, and what they cannot.

    ``sections`` answer it (empty: no section of an audit report can); ``needs`` are the finding
    ids (or id prefixes, ``"fairness.impact_ratio"`` for every ``fairness.impact_ratio.*``) the
    answer rests on; ``gap`` is the part the report does not cover and ``by`` who must cover it.
    ``decisions`` marks a requirement about adverse decisions (an adverse-action notice and its
    reasons): the local section answers it only when the report declares decisions and shows an
    adverse one with its reasons and a sample notice (see :func:`crosswalk`).
    """

    id: str
    framework: str
    reference: str
    text: str
    sections: tuple[str, ...]
    needs: tuple[str, ...] = ()
    gap: str = ""
    by: str = ""
    decisions: bool = False


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


def _req(
    id: str,
    framework: str,
    reference: str,
    sections: tuple[str, ...],
    text: str,
    *,
    needs: tuple[str, ...] = (),
    gap: str = "",
    by: str = "",
    decisions: bool = False,
) -> Requirement:
    return Requirement(id, framework, reference, text, sections, needs, gap, by, decisions)


# One requirement per entry: id, framework, reference, answering sections (empty: no section of an
# audit report can answer it); then the text; then the findings the answer needs, the part the report
# does not cover (gap) and who must cover it (by). The gaps follow what the sections say they did
# not do (robustness: "Not tested here: adversarial attacks, feedback loops and cybersecurity";
# standards: "explain itself claims no conformity") and what only the provider, deployer, creditor
# or employer can do (run a process, keep records, send notices).
# Not formatted: a table reads best one entry per row; the formatter would spread each over eight lines.
# fmt: off
REQUIREMENTS: tuple[Requirement, ...] = (
    # EU AI Act: articles
    _req("AIA-9", "AIA", "Art. 9", ("limitations",),
         "Run a documented risk-management process over the whole lifecycle.",
         gap="the risk-management process itself, over the lifecycle (the report lists the risks this audit found)",
         by="the provider's risk-management system"),
    _req("AIA-10-2", "AIA", "Art. 10(2)(a) to (h)", ("data",),
         "Govern the data: design choices, origin and collection, preparation and labelling, assumptions, "
         "suitability, bias examination and mitigation, and data gaps.",
         needs=("data.missing", "data.leakage"), gap="the governance of collection, labelling and preparation",
         by="the provider's data-governance process"),
    _req("AIA-10-2f", "AIA", "Art. 10(2)(f)", ("data", "fairness"),
         "Examine the data for biases that could harm fundamental rights or lead to discrimination.",
         needs=("fairness.impact_ratio",)),
    _req("AIA-10-2g", "AIA", "Art. 10(2)(g)", ("fairness",),
         "Take measures to detect, prevent and mitigate the biases found.",
         needs=("fairness.impact_ratio",),
         gap="the measures that prevent and mitigate the biases found (the report detects them)", by="the provider"),
    _req("AIA-10-3", "AIA", "Art. 10(3)", ("data",),
         "Use relevant, representative, complete and largely error-free data with suitable statistics by group.",
         needs=("data.missing", "data.balance"),
         gap="representativeness against the target population (the report compares the training and test data)",
         by="the provider's data-governance process"),
    _req("AIA-10-4", "AIA", "Art. 10(4)", ("data", "drift"),
         "Make the data reflect the setting (place, context, behaviour) in which the system is used.",
         needs=("drift.features",)),
    _req("AIA-10-5", "AIA", "Art. 10(5)", ("data", "fairness"),
         "Special-category data may be processed for bias detection only when necessary and with safeguards.",
         needs=("fairness.protected_inputs",),
         gap="the necessity of processing special-category data and the safeguards around it",
         by="the provider's data-protection officer"),
    _req("AIA-12", "AIA", "Art. 12", (),
         "Let the system log events automatically over its lifetime.",
         gap="automatic event logging of the deployed system", by="the provider, who builds logging into the system"),
    _req("AIA-13-1", "AIA", "Art. 13(1)", ("global_explanations",),
         "Make the system's operation transparent enough for deployers to interpret and use its output.",
         needs=("global.additivity",)),
    _req("AIA-13-3a", "AIA", "Art. 13(3)(a)", ("document_control",),
         "State the identity and contact details of the provider."),
    _req("AIA-13-3b-i", "AIA", "Art. 13(3)(b)(i)", ("intended_use",),
         "State the intended purpose.",
         needs=("intended_use.card",)),
    _req("AIA-13-3b-ii", "AIA", "Art. 13(3)(b)(ii)", ("summary", "performance", "robustness"),
         "Declare the accuracy, robustness and cybersecurity levels tested, and what may change them.",
         needs=("performance.test_score", "robustness.noise"), gap="the cybersecurity level, not tested",
         by="a security assessment"),
    _req("AIA-13-3b-iii", "AIA", "Art. 13(3)(b)(iii)", ("intended_use", "limitations"),
         "Name known or foreseeable circumstances, including misuse, that may lead to risks."),
    _req("AIA-13-3b-iv", "AIA", "Art. 13(3)(b)(iv)", ("global_explanations",),
         "Describe the system's capabilities to provide information that explains its output."),
    _req("AIA-13-3b-v", "AIA", "Art. 13(3)(b)(v)", ("performance", "fairness"),
         "Report performance for the specific persons or groups the system is used on.",
         needs=("fairness.error_rates",)),
    _req("AIA-13-3b-vi", "AIA", "Art. 13(3)(b)(vi)", ("data",),
         "Specify the input data and the training, validation and test data sets."),
    _req("AIA-13-3b-vii", "AIA", "Art. 13(3)(b)(vii)", ("global_explanations",),
         "Give deployers what they need to interpret the output and use it appropriately."),
    _req("AIA-13-3c", "AIA", "Art. 13(3)(c)", ("monitoring",),
         "Describe the changes to the system and its performance that were planned in advance.",
         gap="the pre-determined changes themselves (the report gives the change log and revalidation cadence)",
         by="the provider's instructions for use"),
    _req("AIA-13-3d", "AIA", "Art. 13(3)(d)", ("global_explanations", "limitations"),
         "Describe the human-oversight measures, including aids to interpreting the output.",
         needs=("global.additivity",),
         gap="the human-oversight measures in operation (the report gives aids to interpreting the output)",
         by="the provider and the deployer"),
    _req("AIA-13-3e", "AIA", "Art. 13(3)(e)", ("monitoring",),
         "State the resources needed, the expected lifetime, and maintenance and update measures.",
         gap="the computational and hardware resources and the expected lifetime",
         by="the provider's instructions for use"),
    _req("AIA-13-3f", "AIA", "Art. 13(3)(f)", (),
         "Describe how deployers can collect, store and interpret the logs.",
         gap="the mechanism to collect, store and interpret the logs of the deployed system",
         by="the provider's instructions for use"),
    _req("AIA-14", "AIA", "Art. 14", (),
         "Design for effective human oversight: understand, monitor, override or stop the system.",
         gap="human-oversight measures built into the system and assigned to people",
         by="the provider, in the design, and the deployer, who assigns the overseers"),
    _req("AIA-15-1", "AIA", "Art. 15(1)", ("performance", "drift"),
         "Reach appropriate accuracy and robustness, and keep them consistent over the lifecycle.",
         needs=("performance.test_score", "drift.prediction"),
         gap="consistency over the lifecycle (the report measures one point in time)",
         by="the provider's post-market monitoring"),
    _req("AIA-15-3", "AIA", "Art. 15(3)", ("summary", "performance"),
         "Declare the accuracy levels and metrics in the instructions for use.",
         needs=("performance.test_score",)),
    _req("AIA-15-4", "AIA", "Art. 15(4)", ("robustness",),
         "Be resilient to errors, faults and inconsistencies, and guard against feedback loops.",
         needs=("robustness.noise",), gap="faults of the surrounding system and feedback loops, not tested",
         by="the provider's risk assessment"),
    _req("AIA-15-5", "AIA", "Art. 15(5)", (),
         "Resist attempts to alter the system's use or output (poisoning, adversarial inputs).",
         gap="resilience to adversarial inputs and data poisoning, not tested", by="a security assessment"),
    _req("AIA-18", "AIA", "Art. 18", ("document_control",),
         "Keep the technical documentation available to authorities for ten years.",
         gap="keeping the documentation available for ten years (the report states its retention class)",
         by="the provider's document management"),
    _req("AIA-72", "AIA", "Art. 72", (),
         "Monitor the system after it is placed on the market, following a monitoring plan.",
         gap="the post-market monitoring system in operation (the report proposes metrics and thresholds for it)",
         by="the provider's post-market monitoring system"),
    _req("AIA-86", "AIA", "Art. 86", ("global_explanations", "local_explanations"),
         "A person affected by a decision is owed a clear explanation of the system's role and the main elements of "
         "the decision.",
         needs=("local.codes",)),
    _req("AIA-Recital72", "AIA", "Recital 72", ("intended_use",),
         "Instructions for use should illustrate limitations and intended and precluded uses with examples."),
    # EU AI Act: Annex IV (technical documentation)
    _req("AIA-AnnexIV-1a", "AIA", "Annex IV 1(a)", ("document_control", "intended_use"),
         "Describe the intended purpose, the provider, and the version and its relation to earlier ones."),
    _req("AIA-AnnexIV-1b", "AIA", "Annex IV 1(b), (d) to (h)", ("intended_use",),
         "Describe interactions with other systems, the forms of supply, the hardware, the user interface and the "
         "instructions for use.",
         gap="interactions with other systems, the hardware, the user interface and the instructions for use "
             "(the report gives the deployment form)",
         by="the provider's technical documentation"),
    _req("AIA-AnnexIV-1c", "AIA", "Annex IV 1(c)", ("intended_use", "provenance"),
         "List the versions of the relevant software and any update requirements."),
    _req("AIA-AnnexIV-2a", "AIA", "Annex IV 2(a)", ("design",),
         "Describe how the system was developed, including third-party or pre-trained parts.",
         gap="the development process and any third-party or pre-trained parts",
         by="the provider's technical documentation"),
    _req("AIA-AnnexIV-2b", "AIA", "Annex IV 2(b)", ("design", "global_explanations"),
         "Describe the design logic, key choices and assumptions, what is optimised and the trade-offs.",
         needs=("design.glassbox_gain",)),
    _req("AIA-AnnexIV-2c", "AIA", "Annex IV 2(c)", ("design",),
         "Describe the architecture and the compute used to train and validate.",
         gap="the compute used to train and validate", by="the provider's technical documentation"),
    _req("AIA-AnnexIV-2d", "AIA", "Annex IV 2(d)", ("data",),
         "Give datasheets: provenance, scope, selection, labelling and cleaning (e.g. outlier rules).",
         gap="provenance, labelling and cleaning rules (the report gives hashes, counts and schemas, and links "
             "the datasheet)",
         by="the data set's datasheet"),
    _req("AIA-AnnexIV-2e", "AIA", "Annex IV 2(e)", ("global_explanations",),
         "Assess the human-oversight measures, including aids to interpreting the output.",
         gap="the assessment of the human-oversight measures of Art. 14", by="the provider"),
    _req("AIA-AnnexIV-2f", "AIA", "Annex IV 2(f)", ("monitoring",),
         "Describe pre-determined changes and how compliance is kept after them.",
         gap="the pre-determined changes and how compliance is kept after them",
         by="the provider's technical documentation"),
    _req("AIA-AnnexIV-2g", "AIA", "Annex IV 2(g)", (
             "document_control", "performance", "fairness", "signoff", "provenance"),
         "Describe validation and testing, metrics including discriminatory impacts, and test logs dated and signed "
         "by the responsible persons.",
         needs=("performance.test_score", "fairness.impact_ratio")),
    _req("AIA-AnnexIV-2h", "AIA", "Annex IV 2(h)", (),
         "Describe the cybersecurity measures.",
         gap="the cybersecurity measures, not assessed", by="a security assessment"),
    _req("AIA-AnnexIV-3", "AIA", "Annex IV 3", ("performance", "global_explanations"),
         "Describe capabilities and limits, accuracy overall and by group, foreseeable risks and oversight.",
         needs=("performance.test_score", "fairness.error_rates")),
    _req("AIA-AnnexIV-4", "AIA", "Annex IV 4", ("performance",),
         "Explain why the performance metrics suit this system.",
         needs=("performance.test_score",)),
    _req("AIA-AnnexIV-5", "AIA", "Annex IV 5", ("limitations",),
         "Describe the risk-management system of Art. 9.",
         gap="the risk-management system itself (the report lists the risks this audit found)",
         by="the provider's risk-management system"),
    _req("AIA-AnnexIV-6", "AIA", "Annex IV 6", ("monitoring", "change_log"),
         "Describe the relevant changes made to the system over its lifecycle.",
         needs=("change_log.status_changes",)),
    _req("AIA-AnnexIV-7", "AIA", "Annex IV 7", ("standards",),
         "List the harmonised standards and other specifications applied, or the solutions used instead.",
         gap="which harmonised standards apply and whether they are met (the report lists only what the model "
             "card declares)",
         by="the provider's conformity assessment"),
    _req("AIA-AnnexIV-8", "AIA", "Annex IV 8", (),
         "Include a copy of the EU declaration of conformity.",
         gap="a copy of the EU declaration of conformity",
         by="the provider, after the conformity assessment (Art. 47)"),
    _req("AIA-AnnexIV-9", "AIA", "Annex IV 9", ("monitoring",),
         "Describe how performance is evaluated after deployment, with the post-market monitoring plan.",
         gap="the post-market monitoring plan of Art. 72(3) (the report proposes the metrics and thresholds)",
         by="the provider's post-market monitoring system"),
    # GDPR
    _req("GDPR-15-1h", "GDPR", "Art. 15(1)(h)", ("intended_use", "design", "global_explanations"),
         "Tell the person about automated decision-making, the logic involved, and its significance and envisaged "
         "consequences."),
    _req("GDPR-9", "GDPR", "Art. 9(1), (2)", ("fairness",),
         "Special-category data (e.g. ethnic origin, health, sex life) may not be processed unless an exception "
         "applies; AI Act Art. 10(5) allows it for bias detection, not as a basis of the decision.",
         needs=("fairness.protected_inputs",), gap="the legal exception that allows the processing",
         by="the controller's data-protection officer"),
    _req("GDPR-22-1", "GDPR", "Art. 22(1)", ("intended_use",),
         "Say whether decisions with legal or similarly significant effects are solely automated."),
    _req("GDPR-22-3", "GDPR", "Art. 22(3)", ("local_explanations", "limitations"),
         "Safeguards: human intervention, the person's point of view, and the right to contest.",
         needs=("local.codes",), gap="human intervention and the right to contest in operation",
         by="the deployer, as controller"),
    _req("GDPR-Recital71", "GDPR", "Recital 71", ("local_explanations",),
         "The person may obtain an explanation of the decision reached and challenge it.",
         needs=("local.codes",), gap="the procedure to challenge the decision", by="the deployer, as controller"),
    _req("GDPR-C-203-22", "GDPR", "CJEU C-203/22", ("global_explanations", "local_explanations"),
         "Explain the procedure and principles actually applied, e.g. how a change in the person's data would have "
         "changed the result.",
         needs=("local.codes",)),
    # ECOA / Regulation B, FCRA
    _req("RegB-1002.4a", "RegB", "§1002.4(a); Supp. I 6(a)-2", ("fairness",),
         "Do not discriminate on a prohibited basis: neither disparate treatment nor unjustified disparate impact.",
         needs=("fairness.impact_ratio", "fairness.protected_inputs")),
    # answered by the findings fairness.protected_inputs, local.protected_reasons and fairness.age_rule
    _req("RegB-1002.6b1", "RegB", "§1002.6(b)(1)", ("fairness", "local_explanations"),
         "Do not take a prohibited basis into account in evaluating creditworthiness, directly or through a proxy.",
         needs=("fairness.protected_inputs", "local.protected_reasons")),
    _req("RegB-1002.6b2", "RegB", "§1002.6(b)(2)", ("fairness",),
         "An empirically derived scoring system may use age only if an applicant aged 62 or more is not assigned a "
         "negative factor or value for it.",
         needs=("fairness.age_rule",)),
    _req("RegB-1002.9a2", "RegB", "§1002.9(a)(2)", ("local_explanations",),
         "An adverse-action notice states the action taken and the reasons, or the right to get them.",
         needs=("local.codes",), decisions=True,
         gap="sending a notice to each applicant (the report renders a sample when an explained decision is "
             "adverse)",
         by="the creditor"),
    _req("RegB-1002.9b2", "RegB", "§1002.9(b)(2)", ("local_explanations",),
         "Reasons must be specific and give the principal reasons; citing a failed score or internal standard is "
         "not enough.",
         needs=("local.codes",), decisions=True),
    _req("RegB-SuppI-9b2-1", "RegB", "Supp. I 9(b)(2)-1", ("local_explanations",),
         "No fixed number of reasons, but more than four is unlikely to help the applicant.",
         needs=("local.codes",), decisions=True),
    _req("RegB-SuppI-9b2-2", "RegB", "Supp. I 9(b)(2)-2", ("local_explanations",),
         "Reasons must relate to and accurately describe the factors actually considered or scored.",
         needs=("local.codes",), decisions=True),
    _req("RegB-SuppI-9b2-4", "RegB", "Supp. I 9(b)(2)-4", ("local_explanations",),
         "With a scoring system, reasons come only from scored factors, even if their link to creditworthiness is "
         "not obvious.",
         needs=("local.codes",), decisions=True),
    _req("RegB-SuppI-9b2-5", "RegB", "Supp. I 9(b)(2)-5", ("local_explanations",),
         "No single way of selecting reasons is required; comparing with applicants at the cut-off or with all "
         "applicants are accepted (record which).",
         needs=("local.codes",), decisions=True),
    _req("RegB-CFPB-2022-03", "RegB", "CFPB Circular 2022-03", ("local_explanations",),
         "Complex or opaque models do not excuse a creditor from giving specific, accurate reasons.",
         needs=("local.codes",), decisions=True),
    _req("RegB-CFPB-2023-03", "RegB", "CFPB Circular 2023-03", ("local_explanations",),
         "Sample-form reasons may be used only if they specifically and accurately reflect the real ones.",
         needs=("local.codes",), decisions=True),
    _req("RegB-1002.12b", "RegB", "§1002.12(b)", ("document_control",),
         "Keep application records for 25 months after notifying the applicant of the action taken.",
         gap="keeping the application records for 25 months (the report states its retention class)",
         by="the creditor's record-keeping"),
    _req("RegB-FCRA-615a", "RegB", "FCRA §615(a)", ("local_explanations",),
         "An adverse action based on a consumer report requires a notice with the score, its key factors and the "
         "reporting agency's details.",
         needs=("local.codes",), decisions=True,
         gap="the consumer-report score and the reporting agency's details in each notice",
         by="the creditor"),
    # Model risk management
    _req("MRM-IV-purpose", "MRM", "SR 11-7 §IV", ("intended_use",),
         "State the model's purpose and intended use, and check that its design fits them."),
    _req("MRM-V-soundness", "MRM", "SR 11-7 §V (conceptual soundness)", ("design", "global_explanations"),
         "Assess the quality of the design and construction, its theory, assumptions and variables.",
         needs=("design.glassbox_gain",)),
    _req("MRM-sensitivity", "MRM", "SR 11-7 §IV, §V (sensitivity analysis)", ("robustness",),
         "Test how outputs respond to changes in inputs and assumptions, including stress conditions.",
         needs=("robustness.noise",)),
    _req("MRM-V-outcomes", "MRM", "SR 11-7 §V (outcomes analysis)", ("performance", "champion"),
         "Compare outputs with actual outcomes (back-testing) and with benchmark models.",
         needs=("performance.test_score", "champion.primary_metric")),
    _req("MRM-V-monitoring", "MRM", "SR 11-7 §V (ongoing monitoring)", ("drift", "monitoring"),
         "Monitor the model in use, verify its processes, and check it as products, data and markets change.",
         needs=("drift.features",), gap="monitoring of the model in use and verification of its processes",
         by="the model owner's ongoing monitoring"),
    _req("MRM-limitations", "MRM", "SR 11-7 §IV, §V (limitations)", ("limitations",),
         "Know and report the model's limitations and the uncertainty of its outputs."),
    _req("MRM-challenge", "MRM", "SR 11-7 §III, §V (effective challenge)", ("document_control", "signoff"),
         "Models face effective challenge from competent reviewers independent of development and use.",
         gap="the effective challenge itself (the report gives reviewers a place to sign and state their "
             "independence)",
         by="independent reviewers in the model-risk function"),
    _req("MRM-VI-governance", "MRM", "SR 11-7 §VI", ("summary", "document_control", "signoff"),
         "Governance: clear roles, approvals, and reporting of model risk to senior management.",
         gap="roles, approvals and reporting to senior management", by="the bank's model-risk governance"),
    _req("MRM-VI-documentation", "MRM", "SR 11-7 §VI (documentation)", (
             "design", "limitations", "provenance", "glossary"),
         "Document in enough detail that someone new to the model understands how it works, its limitations and key "
         "assumptions."),
    # NYC Local Law 144
    _req("LL144-5-300", "LL144", "6 RCNY §5-300", ("document_control", "signoff"),
         "The bias audit is done by an independent auditor, with no stake in the tool or its user.",
         gap="the auditor's independence", by="an independent auditor who signs the report"),
    _req("LL144-5-301", "LL144", "6 RCNY §5-301", ("fairness",),
         "Report selection (or scoring) rates and impact ratios per category and intersection; categories under 2 % "
         "may be left out of the ratios.",
         needs=("fairness.impact_ratio",)),
    _req("LL144-5-302", "LL144", "6 RCNY §5-302", ("data", "fairness"),
         "Audit on historical data; test data only when history is insufficient, with an explanation.",
         needs=("fairness.impact_ratio",)),
    _req("LL144-5-303", "LL144", "6 RCNY §5-303", ("document_control", "fairness"),
         "Publish the audit date, the data source, the unknown-category count, the rates and impact ratios.",
         needs=("fairness.impact_ratio",), gap="publishing the results", by="the employer or employment agency"),
    _req("LL144-5-304", "LL144", "6 RCNY §5-304", ("intended_use",),
         "Tell the people assessed that the tool is used and which qualifications and characteristics it weighs.",
         gap="the notice to the people assessed (the report lists the inputs the tool weighs)",
         by="the employer or employment agency"),
    # EEOC UGESP
    _req("UGESP-1607.4D", "UGESP", "29 CFR 1607.4(D)", ("fairness",),
         "A group's selection rate below four-fifths of the highest group's is generally evidence of adverse "
         "impact; weigh statistical and practical significance.",
         needs=("fairness.impact_ratio",)),
    # Model cards
    _req("MC-details", "MC", "Model Details", ("design",),
         "Who made the model, when, its version, type and training."),
    _req("MC-intended-use", "MC", "Intended Use", ("intended_use",),
         "Primary uses and users, and uses out of scope."),
    _req("MC-factors", "MC", "Factors", ("performance", "fairness"),
         "The groups and conditions over which performance may differ.",
         needs=("fairness.error_rates",)),
    _req("MC-metrics", "MC", "Metrics", ("performance",),
         "The performance measures, decision thresholds and how uncertainty is estimated.",
         needs=("performance.test_score", "performance.calibration")),
    _req("MC-data", "MC", "Training Data; Evaluation Data", ("data",),
         "The data sets used to train and evaluate, and why they were chosen.",
         gap="why the data sets were chosen", by="the model owner's model card"),
    _req("MC-quantitative", "MC", "Quantitative Analyses", ("performance", "fairness"),
         "Results overall, per group and per intersection of groups.",
         needs=("performance.test_score", "fairness.impact_ratio", "fairness.error_rates")),
    _req("MC-ethics", "MC", "Ethical Considerations", ("limitations",),
         "Sensitive data, risks, harms and the mitigations taken."),
    _req("MC-caveats", "MC", "Caveats and Recommendations", ("limitations",),
         "Known caveats and advice for using the model."),
    # Datasheets for datasets
    _req("DS-1", "DS", "1. Motivation", (),
         "Why and by whom the data set was created.",
         gap="why and by whom the data set was created", by="the data set's datasheet"),
    _req("DS-2", "DS", "2. Composition", ("data",),
         "What the instances are, how many, what is missing, sensitive content.",
         needs=("data.missing",)),
    _req("DS-3", "DS", "3. Collection process", (),
         "How, when and from whom the data was collected.",
         gap="how, when and from whom the data was collected",
         by="the data set's datasheet"),
    _req("DS-4", "DS", "4. Preprocessing, cleaning, labelling", ("data",),
         "What was done to the raw data, including labelling and cleaning.",
         gap="labelling and cleaning of the raw data (the report checks missing values and leakage)",
         by="the data set's datasheet"),
    _req("DS-5", "DS", "5. Uses", ("data",),
         "What the data has been used for and should not be used for.",
         gap="uses the data should not be put to", by="the data set's datasheet"),
    _req("DS-6", "DS", "6. Distribution", (),
         "How the data is distributed and under what licence.",
         gap="distribution and licence", by="the data set's datasheet"),
    _req("DS-7", "DS", "7. Maintenance", (),
         "Who maintains the data and how it is updated.",
         gap="maintenance and updates", by="the data set's datasheet"),
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


ADDRESSED, PARTIAL, NOT_ADDRESSED = "addressed", "partially addressed", "not addressed by this report"
CROSSWALK_STATUSES: tuple[str, ...] = (ADDRESSED, PARTIAL, NOT_ADDRESSED)
"""The status of a requirement in the crosswalk, from fully answered to not answered at all."""

_RERUN = "the model owner, by re-running the audit with what is missing"
_DECLARE = (
    "the model owner, by declaring the decision the model takes (Policy.regression_threshold for a regressor, "
    "Policy.favourable_class for a multiclass model) and re-running the audit"
)
# Blocks of the local section that show decisions: its table of adverse decisions (a binary
# classifier, a regressor with a threshold, a text classifier) or of what would have changed one
# (also a multiclass model with a favourable class); without a declared decision it shows drivers
# or per-class reasons only. The sample adverse-action notice is shown when an explained decision
# is adverse.
_DECISION_TABLES = frozenset({"adverse_decisions", "what_if"})
NO_DECISION, NO_ADVERSE, SHOWN = "no decision", "no adverse decision", "shown"


def _decisions(sections: Iterable[str | Mapping[str, Any]]) -> str | None:
    """What the local section shows of adverse decisions: ``NO_DECISION`` (the report declares
    none), ``NO_ADVERSE`` (declared, but no explained decision is adverse: no sample notice) or
    ``SHOWN``; ``None`` when not known (no local section, or one given without its blocks)."""
    local = next((s for s in sections if not isinstance(s, str) and s.get("id") == "local_explanations"), None)
    if local is None or "blocks" not in local:
        return None
    blocks = list(local["blocks"])
    if not any(b.get("type") == "table" and b.get("id") in _DECISION_TABLES for b in blocks):
        return NO_DECISION
    return SHOWN if any(b.get("type") == "notice" for b in blocks) else NO_ADVERSE


def _ran(sections: Iterable[str | Mapping[str, Any]]) -> dict[str, str | None]:
    """Section id -> the reason it did not apply (``None`` when it did), in report order."""
    items = [(s, None) if isinstance(s, str) else (str(s["id"]), s.get("not_applicable")) for s in sections]
    _known(sid for sid, _ in items)
    return {sid: (str(reason) if reason else None) for sid, reason in items}


def _used(req: Requirement, found: Mapping[str, str]) -> tuple[list[str], list[str]]:
    """The applicable findings each need of ``req`` rests on, and what is missing of them."""
    used, missing = [], []
    for need in req.needs:
        hits = [fid for fid in found if fid == need or fid.startswith(need + ".")]
        ok = [fid for fid in hits if found[fid] != "not_applicable"]
        used += ok
        if not ok:
            missing.append(f"finding {need} " + ("was not applicable" if hits else "was not computed"))
    return used, missing


def _judge(
    req: Requirement, ran: Mapping[str, str | None], found: Mapping[str, str] | None, decided: str | None = None
) -> tuple[str, list[str], list[str], str, str]:
    """Status, answering sections, findings used, note and responsible party of one requirement."""
    answering = [s for s in ran if s in req.sections and ran[s] is None]
    lacking = [f"{SECTION_TITLES[s]} is not in the report" for s in req.sections if s not in ran]
    lacking += [f"{SECTION_TITLES[s]} did not apply ({ran[s]})" for s in ran if s in req.sections and ran[s]]
    used, missing = _used(req, found) if found is not None else ([], [])
    gap = f"Not covered by this report: {req.gap}; that is for {req.by}." if req.gap else ""
    if not req.sections:
        note = f"No section of an audit report can answer it: {req.gap}; that is for {req.by}."
        return NOT_ADDRESSED, [], [], note, req.by
    if req.decisions and decided == NO_DECISION and "local_explanations" in answering:
        note = (
            "Not answered: no decision was declared (a regressor without Policy.regression_threshold, a multiclass "
            "model without Policy.favourable_class), so the report shows no adverse decision, no principal reasons "
            "for one and no sample notice."
        )
        return NOT_ADDRESSED, [], [], note, "; ".join([_DECLARE] + ([req.by] if req.by else []))
    if req.decisions and decided == NO_ADVERSE and "local_explanations" in answering:
        missing.append(
            "no explained decision was adverse, so the report shows no principal reasons and no sample notice"
        )
    if not answering:
        by = "; ".join([_RERUN] + ([req.by] if req.by else []))
        return NOT_ADDRESSED, [], [], " ".join(["Not answered: " + "; ".join(lacking) + ".", gap]).strip(), by
    if lacking or missing or gap:
        by = "; ".join(([_RERUN] if lacking or missing else []) + ([req.by] if req.by else []))
        note = ("Missing: " + "; ".join(lacking + missing) + "." if lacking or missing else "") + " " + gap
        return PARTIAL, answering, used, note.strip(), by
    titles = ", ".join(SECTION_TITLES[s] for s in answering)
    note = f"Answered in {titles}" + (f", with findings {', '.join(used)}." if used else ".")
    if found is None and req.needs:
        note += f" Findings {', '.join(req.needs)} not checked (none were given)."
    return ADDRESSED, answering, used, note, ""


def crosswalk(
    sections: Iterable[str | Mapping[str, Any]], findings: Iterable[Mapping[str, Any]] | None = None
) -> list[dict[str, Any]]:
    """One row per requirement: its status, generated from what the report computed, and why.

    A requirement is ``"addressed"`` when every section that answers it is in the report and
    applies, every finding it needs was computed and applies, and it has no part the report cannot
    cover. It is ``"partially addressed"`` when at least one answering section applies but a
    section or finding it needs is missing or not applicable, or it has a part the report cannot
    cover (``Requirement.gap``). It is ``"not addressed by this report"`` when no section of an
    audit report answers it (a declaration of conformity, cybersecurity, event logging ...) or none
    of its answering sections applies; ``responsible`` then says who must address it.

    A requirement about adverse decisions (``Requirement.decisions``: Regulation B's adverse-action
    notice and reasons, FCRA §615(a)) is read from what the local section shows. When it shows no
    decision (no table of adverse decisions or of what would have changed one: a regressor without
    ``Policy.regression_threshold``, a multiclass model without ``Policy.favourable_class``), the
    requirement is not addressed, and the note says no decision was declared; when it shows
    decisions but none of the explained ones is adverse (no sample notice), it is partially
    addressed. Sections given as bare ids, or without their blocks, are not read for this.

    Parameters
    ----------
    sections : iterable of str or mapping
        The sections of the report in report order: the evidence's section dicts (their ``id`` and
        ``not_applicable`` are read, and the local section's ``blocks``) or bare section ids, taken
        as applying.
    findings : iterable of mapping, optional
        The evidence's findings (``id`` and ``status`` are read). When ``None`` the findings a
        requirement needs are not checked, and the note of an addressed requirement says so.

    Returns
    -------
    list of dict
        ``{"id", "framework", "framework_name", "reference", "text", "sections", "findings",
        "status", "note", "responsible"}`` for every requirement of :data:`REQUIREMENTS`, in that
        order; ``sections`` lists the answering sections that apply, in report order (empty when
        not addressed), ``findings`` the applicable findings used, and ``responsible`` is empty
        when the requirement is addressed.

    Raises
    ------
    InputError
        If a section id is unknown.

    Examples
    --------
    >>> rows = crosswalk(["summary", "performance", "fairness"])
    >>> row = next(r for r in rows if r["id"] == "AIA-15-3")
    >>> row["reference"], row["sections"], row["status"]
    ('Art. 15(3)', ['summary', 'performance'], 'addressed')
    >>> row = next(r for r in rows if r["id"] == "AIA-AnnexIV-8")
    >>> row["status"], row["responsible"]
    ('not addressed by this report', 'the provider, after the conformity assessment (Art. 47)')
    >>> fairness = {"id": "fairness", "not_applicable": "no sensitive_features were given"}
    >>> row = next(r for r in crosswalk(["summary", fairness]) if r["id"] == "UGESP-1607.4D")
    >>> row["status"]
    'not addressed by this report'
    >>> row["note"]
    'Not answered: Fairness and bias audit did not apply (no sensitive_features were given).'
    """
    sections = list(sections)
    ran, decided = _ran(sections), _decisions(sections)
    found = None if findings is None else {str(f["id"]): str(f["status"]) for f in findings}
    names = {f.id: f.name for f in FRAMEWORKS}
    rows = []
    for r in REQUIREMENTS:
        status, answering, used, note, responsible = _judge(r, ran, found, decided)
        rows.append(
            {
                "id": r.id,
                "framework": r.framework,
                "framework_name": names[r.framework],
                "reference": r.reference,
                "text": r.text,
                "sections": answering,
                "findings": used,
                "status": status,
                "note": note,
                "responsible": responsible,
            }
        )
    return rows


def crosswalk_counts(rows: Iterable[Mapping[str, Any]]) -> dict[str, int]:
    """How many requirements have each status, in the order of :data:`CROSSWALK_STATUSES`.

    Examples
    --------
    >>> crosswalk_counts([{"status": "addressed"}, {"status": "addressed"}])
    {'addressed': 2, 'partially addressed': 0, 'not addressed by this report': 0}
    """
    statuses = [str(r["status"]) for r in rows]
    return {s: statuses.count(s) for s in CROSSWALK_STATUSES}


def crosswalk_summary(rows: Iterable[Mapping[str, Any]]) -> str:
    """The counts in words, for the crosswalk's summary.

    Examples
    --------
    >>> crosswalk_summary([{"status": "addressed"}, {"status": "not addressed by this report"}])
    '1 addressed, 0 partially addressed, 1 not addressed by this report'
    """
    return ", ".join(f"{n} {status}" for status, n in crosswalk_counts(rows).items())


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
