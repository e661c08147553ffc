"""Severity and remediation owner of each finding.

Every finding of an audit gets two governance fields, next to its status:

- ``severity``: ``"high"``, ``"medium"`` or ``"low"``, the impact if the finding is not
  remediated (what a model-validation team calls the priority of a model risk issue). It rates
  the *check*, so a passing finding has one too: it is the weight the check would carry if it
  failed, which is what a reviewer needs when deciding what a warning or failure costs.
- ``owner``: who must remediate it.

Defaults
--------
The default severity of a finding is that of its exact id or, failing that, of the matching glob
pattern with the most literal characters in :data:`DEFAULT_SEVERITY` (the findings that differ
from their section); else that of its section in :data:`SECTION_SEVERITY`; else ``"medium"`` (a
section these tables do not know yet). The choices, with their reasons:

===============================  ========  ==================================================
finding or section               severity  why
===============================  ========  ==================================================
``fairness`` (section)           high      disparate impact is a legal exposure (ECOA /
                                           Regulation B, 29 CFR 1607.4(D), NYC LL144, EU AI
                                           Act Art. 10(2)(f)) and harms the people scored
``fairness.error_rates.*``       medium    error-rate parity is supplementary evidence, not a
                                           legal test; a gap asks for review, not a stop
``fairness.protected_inputs``,   high      a prohibited basis in the decision (12 CFR
``fairness.age_rule``,                     1002.4(a), 1002.6(b)); an adverse-action reason
``local.protected_reasons``                citing one
``fairness.tested``              high      no bias audit at all leaves the fairness questions
                                           unanswered
``performance`` (section)        high      the declared accuracy (EU AI Act Art. 15(3)); an
                                           inaccurate or overfit model takes wrong decisions
``performance.calibration``      medium    miscalibrated probabilities mislead whoever reads
                                           them as rates; the ranking and the decisions at the
                                           threshold can still be right
``data.leakage``                 high      a leaking feature makes every performance number
                                           of the report unreliable
``data`` (section)               low       data quality (missing values, structure,
                                           balance): a concern to document and watch
``intended_use`` (section)       low       documentation: gaps in the model card are closed
                                           by writing, and change no decision
``design`` (section)             medium    conceptual soundness (SR 11-7): complexity not
                                           justified by a simpler benchmark
``robustness`` (section)         medium    unstable decisions or explanations under small
                                           changes of the input
``global_explanations``,         medium    explanation quality: the explanations, not the
``global.*``                               decisions, are in doubt
``local_explanations``,          medium    unstable reasons or drivers
``local.*``
``local.codes``                  high      adverse-action notices need a specific statement
                                           for every principal reason (12 CFR 1002.9(b)(2))
``drift`` (section)              medium    the population moved: the model is used outside
                                           the data it was validated on, to be investigated
``champion`` (section)           medium    the comparison with the model in production
``champion.primary_metric``      high      a challenger worse than the champion on the
                                           declared metric should not replace it
===============================  ========  ==================================================

The default owner is the model card's ``owner`` (the party accountable for the model), or
``"unassigned"`` when the card names none, which a reviewer sees in the summary table.

Overrides
---------
:attr:`Policy.severity <explain.report.Policy.severity>` and :attr:`Policy.owners
<explain.report.Policy.owners>` map a key to a severity or an owner. A key is a finding id
(``"fairness.impact_ratio.sex"``), a section id (``"fairness"``) or a glob pattern of finding
ids (``"fairness.*"``, :mod:`fnmatch` syntax, case-sensitive). The most specific key that
matches a finding wins:

1. its exact id;
2. a glob inside its section, one whose literal start is the finding's first id part and a dot
   (``"fairness.error_rates.*"``, ``"global.*"``): the one with the most literal (non-wildcard)
   characters (``"fairness.impact_ratio.*"`` beats ``"fairness.*"``);
3. its section id (``"fairness"``);
4. any other glob (``"*.sex"``, ``"*"``), the one with the most literal characters.

Ties go to the alphabetically first pattern, so the rule never depends on the order of the keys in
a file. So ``{"fairness": "Fair Lending", "fairness.error_rates.*": "Model Development"}`` gives
the error-rate findings to Model Development and every other fairness finding to Fair Lending.
A policy override beats any default.

A key that matches no finding does nothing, which is almost always a typo
(``"fairness.impact_ratio.sexx"``). Finding ids depend on the data (one impact ratio per
sensitive attribute), so keys are checked when the audit rates its findings: a key that is not a
section id and matches none of them is refused with an :class:`~explain.errors.InputError` naming
the key and the closest finding ids. A key is checked against the findings of its own family (the
first part of its id, ``"champion"`` in ``"champion.*"``): when the audit has none of them (no
champion was given, no previous report), the key is not checked. A policy shared by several
models should therefore name sections, or findings every audit has.
"""

from __future__ import annotations

import difflib
import fnmatch
import re
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from ..errors import InputError
from ._schema import SECTION_TITLES, SEVERITIES

if TYPE_CHECKING:
    from ._policy import ModelCard, Policy

__all__ = [
    "DEFAULT_SEVERITY",
    "SECTION_SEVERITY",
    "SEVERITIES",
    "UNASSIGNED",
    "check_overrides",
    "default_severity",
    "match_key",
    "rate_findings",
    "unmatched_keys",
]

UNASSIGNED = "unassigned"
"""The owner of a finding when neither the policy nor the model card names one."""
MAX_OWNER = 200
"""Longest owner text (characters): a name, a team or a role, not a paragraph."""

SECTION_SEVERITY: dict[str, str] = {
    "fairness": "high",
    "performance": "high",
    "data": "low",
    "intended_use": "low",
    "design": "medium",
    "robustness": "medium",
    "global_explanations": "medium",
    "local_explanations": "medium",
    "drift": "medium",
    "champion": "medium",
}
"""Default severity of the findings of each section (see the module docstring)."""

DEFAULT_SEVERITY: dict[str, str] = {
    "fairness.error_rates.*": "medium",
    "fairness.protected_inputs": "high",
    "fairness.age_rule": "high",
    "fairness.tested": "high",
    "performance.calibration": "medium",
    "data.leakage": "high",
    "local.codes": "high",
    "local.protected_reasons": "high",
    "champion.primary_metric": "high",
}
"""Default severity of findings that differ from their section's, by finding id or glob pattern."""
_FALLBACK = "medium"

# finding ids start with their section id, except these two (``global.additivity`` is in
# ``global_explanations``): the prefixes an override key may start with besides the section ids
_PREFIXES = frozenset(SECTION_TITLES) | {"global", "local", "champion"}
_JUDGED = sorted(SECTION_SEVERITY)
_WILDCARDS = re.compile(r"[*?\[]")
_RATED_APART = frozenset({"change_log"})  # rated after the other findings (audit() compares them first)


def _is_glob(key: str) -> bool:
    return bool(_WILDCARDS.search(key))


def _family(text: str) -> str:
    """The first part of a finding id or key: its section, or ``global`` / ``local``."""
    return re.split(r"[.*?\[]", text, maxsplit=1)[0]


def match_key(keys: Iterable[str], finding_id: str, section: str) -> str | None:
    """The most specific key that matches a finding: its id; else the glob inside its section with
    the most literal characters; else its section; else any other glob with the most literal
    characters (ties: the alphabetically first); ``None`` when none matches.

    Examples
    --------
    >>> keys = ["fairness", "fairness.*", "fairness.impact_ratio.*", "fairness.impact_ratio.sex"]
    >>> match_key(keys, "fairness.impact_ratio.sex", "fairness")
    'fairness.impact_ratio.sex'
    >>> match_key(keys[:3], "fairness.impact_ratio.age", "fairness")
    'fairness.impact_ratio.*'
    >>> match_key(["fairness", "fairness.error_rates.*"], "fairness.error_rates.sex", "fairness")
    'fairness.error_rates.*'
    >>> match_key(["fairness", "*.sex"], "fairness.error_rates.sex", "fairness")
    'fairness'
    >>> match_key(["drift"], "fairness.tested", "fairness") is None
    True
    """
    keys = list(keys)
    if finding_id in keys:
        return finding_id
    globs = [k for k in keys if _is_glob(k) and fnmatch.fnmatchcase(finding_id, k)]
    inside = _family(finding_id) + "."
    within = [k for k in globs if _WILDCARDS.split(k, maxsplit=1)[0].startswith(inside)]
    if within:
        return _most_literal(within)
    if section in keys:
        return section
    return _most_literal(globs) if globs else None


def _most_literal(globs: list[str]) -> str:
    return min(globs, key=lambda k: (-len(_WILDCARDS.sub("", k)), k))


def unmatched_keys(keys: Iterable[str], findings: Iterable[Mapping[str, Any]]) -> list[str]:
    """The keys that are not a section id and match none of ``findings``, among those whose family
    (first id part) some finding has, and those that start with a wildcard unless ``findings`` are
    only the change log's (rated on their own).

    >>> found = [{"id": "fairness.impact_ratio.sex", "section": "fairness"}]
    >>> unmatched_keys(["fairness", "fairness.impact_ratio.sexx", "fairness.*", "champion.*"], found)
    ['fairness.impact_ratio.sexx']
    """
    found = [(str(f["id"]), str(f["section"])) for f in findings]
    families = {_family(fid) for fid, _ in found}
    # a key starting with a wildcard has no family: it is checked against the audit's main
    # findings, not against the change log's, which the audit rates on their own
    main = any(section not in _RATED_APART for _, section in found)
    out = []
    for key in keys:
        family = _family(key)
        if key in SECTION_TITLES or (family and family not in families) or (not family and not main):
            continue
        if not any(match_key([key], fid, section) for fid, section in found):
            out.append(key)
    return out


def default_severity(finding_id: str, section: str) -> str:
    """The documented default severity of a finding (module docstring), before any policy override.

    >>> default_severity("fairness.impact_ratio.sex", "fairness"), default_severity("data.missing", "data")
    ('high', 'low')
    >>> default_severity("fairness.error_rates.sex", "fairness"), default_severity("new.check", "new")
    ('medium', 'medium')
    """
    key = match_key(DEFAULT_SEVERITY, finding_id, section)
    if key is not None:
        return DEFAULT_SEVERITY[key]
    return SECTION_SEVERITY.get(section, _FALLBACK)


def check_overrides(name: str, values: Any) -> dict[str, str] | None:
    """Validate ``Policy.severity`` or ``Policy.owners`` (``name``): a mapping of keys (finding id,
    section id or glob) to a severity word or an owner. ``None`` or an empty mapping is ``None``.

    Raises
    ------
    InputError
        Naming the key, for a key that is not text or names no known section, a severity not in
        ``("high", "medium", "low")``, or an owner that is not text of 1 to 200 characters.
    """
    if values is None:
        return None
    what = "severity" if name == "severity" else "owner"
    example = '{"fairness.*": "high"}' if what == "severity" else '{"fairness.*": "Fair Lending Office"}'
    if not isinstance(values, Mapping):
        raise InputError(
            f"policy.{name} is a {type(values).__name__} ({values!r:.60}); pass a mapping of a finding id, a "
            f"section id or a glob pattern to a {what}, e.g. {example} "
            f"(in TOML: {name} = {example.replace(':', ' =')})."
        )
    out: dict[str, str] = {}
    for key, value in values.items():
        if not isinstance(key, str) or not key.strip():
            raise InputError(f"policy.{name} has the key {key!r}; keys are finding ids, section ids or glob patterns.")
        prefix = re.split(r"[.*?\[]", key, maxsplit=1)[0]
        if prefix and prefix not in _PREFIXES:
            raise InputError(
                f"policy.{name}[{key!r}]: {prefix!r} is neither a section id nor the start of a finding id, so the "
                f"key can match no finding; the sections with findings are {_JUDGED} (finding ids start with "
                "their section id, or 'global.' / 'local.'); e.g. 'fairness' or 'fairness.impact_ratio.*'."
            )
        if what == "severity":
            if not isinstance(value, str) or value not in SEVERITIES:
                raise InputError(
                    f"policy.severity[{key!r}] is {value!r}; a severity is one of {list(SEVERITIES)} (the impact if "
                    "the finding is not remediated)."
                )
        elif not isinstance(value, str) or not value.strip() or len(value) > MAX_OWNER:
            shape = f"{len(value)} characters long" if isinstance(value, str) and value.strip() else f"{value!r:.60}"
            raise InputError(
                f"policy.owners[{key!r}] is {shape}; an owner is the name of a person, team or role as text of 1 to "
                f"{MAX_OWNER} characters, e.g. 'Retail Credit Risk'."
            )
        out[key] = value
    return dict(sorted(out.items())) or None


def rate_findings(findings: list[dict[str, Any]], policy: Policy, card: ModelCard) -> list[dict[str, Any]]:
    """Each finding with its ``severity`` and ``owner``: the policy's most specific override, else
    the default (module docstring). Returns new dicts; the findings passed in are not changed.

    Raises
    ------
    InputError
        For a key of ``policy.severity`` or ``policy.owners`` that matches none of the findings
        (:func:`unmatched_keys`), naming it and the closest finding ids.

    Examples
    --------
    >>> from explain.report import ModelCard, Policy
    >>> found = [{"id": "fairness.impact_ratio.sex", "section": "fairness"},
    ...          {"id": "data.missing", "section": "data"}]
    >>> policy = Policy(severity={"data": "medium"}, owners={"fairness.*": "Fair Lending Office"})
    >>> [(f["severity"], f["owner"]) for f in rate_findings(found, policy, ModelCard(owner="Credit Risk"))]
    [('high', 'Fair Lending Office'), ('medium', 'Credit Risk')]
    """
    severity = policy.severity or {}
    owners = policy.owners or {}
    _refuse_unmatched(severity, owners, findings)
    default_owner = card.owner.strip() or UNASSIGNED
    rated = []
    for f in findings:
        fid, section = str(f["id"]), str(f["section"])
        key = match_key(severity, fid, section)
        who = match_key(owners, fid, section)
        rated.append(
            {
                **f,
                "severity": default_severity(fid, section) if key is None else severity[key],
                "owner": default_owner[:MAX_OWNER] if who is None else owners[who],
            }
        )
    return rated


def _refuse_unmatched(severity: Mapping[str, str], owners: Mapping[str, str], findings: list[dict[str, Any]]) -> None:
    """Raise for a key of the policy that would silently do nothing in this audit."""
    ids = sorted({str(f["id"]) for f in findings})
    for name, keys in (("severity", severity), ("owners", owners)):
        bad = unmatched_keys(keys, findings)
        if not bad:
            continue
        key = bad[0]
        close = difflib.get_close_matches(key, ids, n=3, cutoff=0.5)
        family = [i for i in ids if _family(i) == _family(key)]
        hint = f"the closest finding ids are {close}" if close else f"its family's finding ids are {family[:8]}"
        raise InputError(
            f"policy.{name}[{key!r}] matches no finding of this audit, so it would do nothing"
            + (f" (nor would {bad[1:]})" if len(bad) > 1 else "")
            + f"; {hint}. Correct the key to a finding id, a section id or a glob (e.g. "
            f"{_family(key) + '.*' if _family(key) else 'fairness.*'!r}), or remove it."
        )
