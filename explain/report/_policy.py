"""What an audit is judged against (:class:`Policy`) and what the model is for (:class:`ModelCard`).

Both are small frozen dataclasses that can be written by hand, from a dict, or from a JSON or
TOML file (``explain audit --policy policy.toml --card card.toml``). Unknown keys are errors, so
a misspelt threshold never silently falls back to its default.
"""

from __future__ import annotations

import dataclasses
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

from ..errors import InputError

__all__ = ["ModelCard", "Policy", "SignOff"]

T = TypeVar("T")


def _from_mapping(cls: type[T], values: Mapping[str, Any], what: str) -> T:
    if not isinstance(values, Mapping):
        raise InputError(
            f"a {what} is built from a mapping of field names to values, not a {type(values).__name__}; "
            f"pass a dict such as {{'name': value}} (or a {cls.__name__}, or a JSON / TOML file)."
        )
    names = {f.name for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    unknown = sorted(set(values) - names)
    if unknown:
        raise InputError(f"unknown {what} fields {unknown}; the fields are {sorted(names)}.")
    kwargs = {}
    for f in dataclasses.fields(cls):  # type: ignore[arg-type]
        if f.name not in values:
            continue
        value = values[f.name]
        if isinstance(value, list):
            value = tuple(value)  # lists from JSON / TOML become tuples: the dataclass is frozen
        kwargs[f.name] = value
    return cls(**kwargs)


def _read_file(path: str | Path, what: str) -> dict[str, Any]:
    """A JSON or TOML file of ``what``'s fields: TOML when the name ends in .toml, else JSON."""
    p = Path(path)
    if not p.is_file():
        raise InputError(f"{what} file {str(p)!r} does not exist.")
    toml = p.suffix.lower() == ".toml"
    fix = f"pass a .toml or .json {what} file"
    try:
        text = p.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise InputError(f"{what} file {str(p)!r} is not a UTF-8 text file: {fix}.") from None
    try:
        if toml:
            try:
                import tomllib
            except ImportError:  # Python 3.10: tomllib is 3.11+; tomli is the same parser (a 3.10 dependency)
                import tomli as tomllib  # type: ignore[no-redef]

            document: Any = tomllib.loads(text)
        else:
            document = json.loads(text)
    except ValueError as exc:
        # any name but .toml is read as JSON: say so, and which parser failed, not the suffix
        how = "TOML" if toml else "JSON" if p.suffix.lower() == ".json" else "JSON (its name does not end in .toml)"
        detail = " ".join(str(exc).split())
        raise InputError(
            f"{what} file {str(p)!r} is not valid {how}: the {how[:4]} parser says {detail!r}; {fix}."
        ) from exc
    if not isinstance(document, dict):
        raise InputError(
            f"{what} file {str(p)!r} holds a JSON {type(document).__name__}, not an object of field names "
            f'and values such as {{"name": value}}; {fix}.'
        )
    return document


@dataclass(frozen=True)
class Policy:
    """Thresholds every audit finding is judged against. The defaults are documented choices
    (with the rule or convention each follows); change them to your institution's policy.

    Attributes
    ----------
    decision_threshold : float, default 0.5
        Score at or above which the favourable decision is taken (selected / approved). It
        applies to classifiers only: a probability cut means nothing on a regressor's scale.
    regression_threshold : float or None, default None
        For a regressor, the prediction (in the target's units) at or above which the favourable
        decision is taken, when the predictions drive decisions (a credit limit, a price cap).
        Only when it is set does a regression audit speak of decisions: adverse decisions, their
        principal reasons, what-if changes and a sample notice. Left at ``None`` (the default),
        the local section shows the principal drivers of a sample of predictions instead, and
        fairness compares the rows predicted above the median (the NYC LL144 convention for
        continuous scores). Ignored for classifiers. Any finite number, negative included; in
        TOML, leave the key out for ``None``.
    favourable_class : str, int or None, default None
        The class label (as in the model's ``classes_``: text or a whole number) of the
        favourable outcome of a multiclass classifier (e.g. ``"approved"`` among ``"approved"``,
        ``"referred"``, ``"declined"``): a row's decision is favourable when the model predicts
        this class, which is what the fairness audit compares between groups. ``None`` (the
        default): a multiclass audit judges each class against the rest, with no single
        favourable decision. A multiclass decision is the predicted class (``decision_threshold``
        applies to binary classifiers only); with a favourable class declared, the adverse
        decisions (any other class) get principal reasons, what-if changes and a sample notice,
        and KS, Gini and the score deciles are computed on P(favourable class). For a binary
        classifier the favourable outcome is the positive class (``classes_[1]``): declared there,
        it must name that class (to audit ``classes_[0]`` as favourable, fit the model with the
        labels the other way round). A regression model refuses it (declare
        ``regression_threshold`` instead). In TOML, leave the key out for ``None``.
    min_test_score : float, default 0.70
        Least acceptable test ROC AUC (macro one-vs-rest ROC AUC for a multiclass model; R² for
        regression): the declared accuracy (EU AI Act Art. 15(3)). Within ``score_margin`` of it:
        warn.
    max_train_test_gap : float, default 0.05
        Largest acceptable train minus test score; above it the model overfits (fail).
    max_calibration_error : float, default 0.05
        Largest acceptable expected calibration error of the probabilities (warn above).
    min_impact_ratio : float, default 0.8
        The four-fifths rule (29 CFR 1607.4(D), NYC LL144): a group's selection rate under 0.8 of
        the most selected group's is flagged. It fails when also significant at ``alpha``, and
        warns otherwise (a screening flag, not a finding, until the difference is significant).
    max_error_rate_gap : float, default 0.10
        Largest acceptable difference in true or false positive rates between groups (warn).
    min_group_size : int, default 30
        Groups with fewer rows are suppressed from rates and ratios (privacy and stability):
        only their size is shown. Complementary suppression keeps them from being derived by
        subtraction (the overall count minus the shown groups'): while the suppressed groups of
        an attribute hold fewer than ``min_group_size`` rows together, its smallest other group
        is suppressed too, and over the attributes and their intersections together no group
        under the minimum may follow from the counts shown.
    min_group_share : float, default 0.02
        Groups under this share of rows are left out of the impact ratios (NYC LL144 allows
        under 2 %); their counts are still reported.
    alpha : float, default 0.05
        Significance level of the fairness tests and 1 - confidence of every interval.
    max_psi : float, default 0.25
        Population stability index above which a feature (or the prediction) has drifted
        significantly (fail); above ``0.1``, moderately (warn). Industry convention.
    champion_margin : float, default 0.0
        Non-inferiority margin of ``audit(champion=...)``, in the units of the primary metric
        (ROC AUC, or R² for a regressor): the challenger fails when its metric is significantly
        lower than the champion's by more than this (the upper bound of the paired interval of
        the difference is below ``-champion_margin``); worse but within the margin, or not
        significantly, warns. E.g. 0.005 accepts a challenger up to half a point of AUC worse.
    max_missing_share : float, default 0.2
        Share of missing values in a column above which the data section warns.
    max_flip_rate : float, default 0.05
        Largest acceptable share of decisions that change under small input noise; up to twice
        as many warn, more fail.
    noise_scale : float, default 0.05
        The noise of the stability test: Gaussian, this many standard deviations of each numeric
        feature.
    min_explanation_stability : float, default 0.9
        Least acceptable mean rank correlation of explanations across seeds and background
        resamples.
    max_additivity_error : float, default 1e-6
        Largest acceptable |base + sum of attributions - prediction| (Shapley methods).
    max_reasons : int, default 4
        Principal reasons per adverse decision (Regulation B: more than four rarely helps).
    n_bootstrap : int, default 500
        Bootstrap resamples of every confidence interval.
    explain_rows : int, default 500
        Test rows explained (a sample drawn with ``random_state`` when there are more).
    explain_rows_sampled : int, default 100
        Test rows explained when the model needs a sampled method (``kernel_shap``,
        ``permutation_shap``, ``lime``), each row of which costs thousands of model calls.
    stability_runs : int, default 3
        Explanation runs (seeds and background resamples) of the stability check.
    revalidation_months : int, default 12
        Most months between full revalidations (monitoring plan).
    retention_years : int, default 10
        How long the report is kept (EU AI Act Art. 18: ten years; Reg B: 25 months minimum).
    protected_inputs : {"warn", "fail", "allow"}, default "warn"
        What a model input that is a sensitive attribute (one of the audit's
        ``sensitive_features``), or a near-perfect proxy of one, makes of the finding
        ``fairness.protected_inputs`` and of ``local.protected_reasons`` (adverse decisions whose
        principal reasons cite one): ``"warn"`` (a reviewer must justify it), ``"fail"``, or
        ``"allow"`` (reported for information only). Regulation B forbids taking a prohibited
        basis into account in any aspect of a credit transaction (12 CFR 1002.4(a), 1002.6(b));
        the EU AI Act (Art. 10(5)) and GDPR (Art. 9) let special-category data be processed
        for bias detection, not as a basis of the decision. An age column is judged by the age
        rule instead (``age_feature``).
    proxy_association : float, default 0.8
        Cramér's V (0 to 1) between a model input and a sensitive attribute on the test data at
        or above which the input is a proxy of the attribute. Numeric inputs with more than ten
        distinct values are cut at their deciles; missing values form a category of their own.
        A feature equal to a binary attribute except on 2 % of the rows scores about 0.96; an
        unrelated feature about 0.
    age_feature : str, default ""
        The model input holding the applicant's age in years, for the age rule of Regulation B
        (12 CFR 1002.6(b)(2)): in an empirically derived scoring system age may be used, but an
        applicant aged 62 or more must not be scored adversely for age. Empty: a numeric input
        whose name has the word ``age`` (``age``, ``applicant_age``, ``age_years``) is taken.
    severity : mapping of str to {"high", "medium", "low"} or None, default None
        Overrides of the severity of findings (the impact if a finding is not remediated). A key
        is a finding id (``"fairness.impact_ratio.sex"``), a section id (``"fairness"``) or a
        glob pattern of finding ids (``"fairness.*"``); the most specific key that matches a
        finding wins: its exact id, then the glob inside its section with the most literal
        characters (``"fairness.error_rates.*"``), then its section id, then any other glob
        (``"*.sex"``). A key that is not a section id and matches no finding of the audit is
        refused when the audit rates its findings (an ``InputError`` naming the closest finding
        ids): finding ids depend on the data, so it cannot be checked earlier. Findings no key
        matches keep the documented defaults
        (:mod:`explain.report._governance`: fairness, performance and protected inputs high;
        robustness, drift and explanation quality medium; data quality and documentation low).
        In TOML, a table: ``severity = { "drift" = "high" }``.
    owners : mapping of str to str or None, default None
        Who must remediate findings (a person, team or role, 1 to 200 characters), with keys
        matched as for ``severity``. Findings no key matches are owned by the model card's
        ``owner``, or ``"unassigned"`` when the card names none.
    """

    decision_threshold: float = 0.5
    regression_threshold: float | None = None
    favourable_class: str | int | None = None
    min_test_score: float = 0.70
    score_margin: float = 0.02
    max_train_test_gap: float = 0.05
    max_calibration_error: float = 0.05
    min_impact_ratio: float = 0.8
    max_error_rate_gap: float = 0.10
    min_group_size: int = 30
    min_group_share: float = 0.02
    alpha: float = 0.05
    max_psi: float = 0.25
    warn_psi: float = 0.1
    champion_margin: float = 0.0
    max_missing_share: float = 0.2
    max_flip_rate: float = 0.05
    noise_scale: float = 0.05
    min_explanation_stability: float = 0.9
    max_additivity_error: float = 1e-6
    max_reasons: int = 4
    n_bootstrap: int = 500
    explain_rows: int = 500
    explain_rows_sampled: int = 100
    stability_runs: int = 3
    revalidation_months: int = 12
    retention_years: int = 10
    protected_inputs: str = "warn"
    proxy_association: float = 0.8
    age_feature: str = ""
    severity: dict[str, str] | None = None
    owners: dict[str, str] | None = None

    _TEXTS = ("protected_inputs", "age_feature", "favourable_class", "severity", "owners")
    _SIGNED = ("regression_threshold",)  # in the target's units: may be negative, or None (no decisions)

    def __post_init__(self) -> None:
        self._check_texts()
        for f in dataclasses.fields(self):
            if f.name in self._TEXTS:
                continue
            value = getattr(self, f.name)
            if value is None and f.name in self._SIGNED:
                continue
            if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer, np.floating)):
                raise InputError(f"policy.{f.name} must be a number, got {value!r}.")
            if not math.isfinite(value):
                raise InputError(
                    f"policy.{f.name} is {value!r}; every threshold must be a finite number (to switch a "
                    "check off, choose a bound it cannot reach, e.g. 1 for a share)."
                )
            if value < 0 and f.name not in self._SIGNED:
                raise InputError(f"policy.{f.name}={value!r} is negative; thresholds, rates and counts are >= 0.")
            if isinstance(value, (np.integer, np.floating)):  # plain Python numbers, as JSON writes them
                object.__setattr__(self, f.name, value.item())
        shares = ("decision_threshold", "min_impact_ratio", "min_group_share", "max_missing_share")
        for name in (*shares, "max_flip_rate", "min_explanation_stability", "min_test_score", "proxy_association"):
            if not 0 <= getattr(self, name) <= 1:
                raise InputError(f"policy.{name} must lie in [0, 1], got {getattr(self, name)!r}.")
        if not 0 < self.alpha < 1:
            raise InputError(
                f"policy.alpha={self.alpha!r}; a significance level lies strictly between 0 and 1 (e.g. 0.05)."
            )
        for name in (
            "min_group_size",
            "max_reasons",
            "n_bootstrap",
            "explain_rows",
            "explain_rows_sampled",
            "stability_runs",
            "revalidation_months",
            "retention_years",
        ):
            if int(getattr(self, name)) != getattr(self, name) or getattr(self, name) < 1:
                raise InputError(f"policy.{name} must be a whole number >= 1, got {getattr(self, name)!r}.")
            object.__setattr__(self, name, int(getattr(self, name)))  # 100.0 from a file is 100
        if self.stability_runs < 2:
            raise InputError("policy.stability_runs must be >= 2: stability compares runs with each other.")
        if self.warn_psi > self.max_psi:
            raise InputError(
                f"policy.warn_psi={self.warn_psi!r} is above policy.max_psi={self.max_psi!r}; the warning "
                "level must be at most the failing level (defaults 0.1 and 0.25)."
            )

    def _check_texts(self) -> None:
        if self.protected_inputs not in ("warn", "fail", "allow"):
            raise InputError(
                f"policy.protected_inputs={self.protected_inputs!r}; choose 'warn' (default), 'fail' or 'allow'."
            )
        if not isinstance(self.age_feature, str):
            raise InputError(
                f"policy.age_feature={self.age_feature!r}; pass the name of the age column as text, or '' to "
                "find a column named like age."
            )
        label = self.favourable_class
        if isinstance(label, np.integer):
            object.__setattr__(self, "favourable_class", label.item())  # plain int, as JSON writes it
        elif isinstance(label, np.str_):
            object.__setattr__(self, "favourable_class", str(label))
        elif label is not None and (isinstance(label, bool) or not isinstance(label, (str, int))):
            raise InputError(
                f"policy.favourable_class={label!r} ({type(label).__name__}); name the favourable class as "
                "the model's classes_ spell it: a text such as 'approved' or a whole number such as 1 "
                "(or leave it out: None)."
            )
        from ._governance import check_overrides  # imports this module: it rates findings against a Policy

        for name in ("severity", "owners"):
            object.__setattr__(self, name, check_overrides(name, getattr(self, name)))
        if isinstance(self.favourable_class, str) and not self.favourable_class.strip():
            raise InputError(
                "policy.favourable_class is empty text; name the favourable class as the model's classes_ "
                "spell it (e.g. 'approved'), or leave it out (None)."
            )

    @classmethod
    def from_dict(cls, values: Mapping[str, Any]) -> Policy:
        """Build from a mapping; unknown keys raise :class:`~explain.errors.InputError`.

        >>> Policy.from_dict({"min_impact_ratio": 0.9}).min_impact_ratio
        0.9
        """
        return _from_mapping(cls, values, "policy")

    @classmethod
    def from_file(cls, path: str | Path) -> Policy:
        """Read a JSON or TOML file of thresholds (keys as the attributes)."""
        return cls.from_dict(_read_file(path, "policy"))

    def to_dict(self) -> dict[str, Any]:
        out = dataclasses.asdict(self)
        if out["regression_threshold"] is None:
            # left out when unset, so the evidence (and its config hash) of every audit that
            # does not use it stays as it was before the field existed
            del out["regression_threshold"]
        for name in ("favourable_class", "severity", "owners"):  # the same: absent when unset
            if out[name] is None:
                del out[name]
        return out


@dataclass(frozen=True)
class SignOff:
    """A person who signs the report: ``role`` (e.g. "Independent validator"), ``name``, ``date``."""

    role: str
    name: str = ""
    date: str = ""


def _texts(name: str, value: Any) -> tuple[str, ...]:
    """A list field of the card as a tuple of texts; a single text or other values are refused."""
    if isinstance(value, str):
        raise InputError(
            f"card.{name} is a string, where a list of texts is expected; pass a list: {name}=[{value!r}]."
        )
    if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
        raise InputError(f"card.{name} must be a list of texts, got {type(value).__name__} {value!r}.")
    return tuple(value)


def _signoff(value: Any) -> tuple[SignOff, ...]:
    """The card's signers as :class:`SignOff` objects, each built from a SignOff or a mapping."""
    fields = [f.name for f in dataclasses.fields(SignOff)]
    fix = (
        f"pass a list of signers, each a mapping with the keys {fields} ('role' required), "
        "e.g. [{'role': 'Validator', 'name': 'J. Doe'}]"
    )
    if isinstance(value, (str, Mapping)) or not isinstance(value, (list, tuple)):
        shape = "a string" if isinstance(value, str) else f"a {type(value).__name__}"
        raise InputError(f"card.signoff is {shape} ({value!r}); {fix}.")
    people = []
    for person in value:
        if isinstance(person, SignOff):
            person = dataclasses.asdict(person)
        if not isinstance(person, Mapping):
            raise InputError(f"card.signoff holds {person!r}, which is not a mapping; {fix}.")
        unknown = sorted(set(map(str, person)) - set(fields))
        if unknown or "role" not in person:
            problem = f"unknown keys {unknown}" if unknown else "no role"
            raise InputError(f"card.signoff entry {dict(person)!r} has {problem}; {fix}.")
        bad = {k: v for k, v in person.items() if not isinstance(v, str)}
        if bad:
            raise InputError(f"card.signoff entry {dict(person)!r}: {bad!r} must be text; {fix}.")
        people.append(SignOff(**dict(person)))
    return tuple(people)


@dataclass(frozen=True)
class ModelCard:
    """A short model card (Mitchell et al. 2019): what the model is, for what, and by whom.

    Every field is text (or a tuple of texts); empty fields are reported as not documented,
    which the audit flags, since a reviewer cannot judge a model without its intended use.

    Examples
    --------
    >>> card = ModelCard(name="credit-gbm", version="2.1", owner="Retail Credit Risk",
    ...                  intended_use="Rank applications for unsecured personal loans.")
    >>> card.missing()[:3]
    ('contact', 'decision', 'users')
    """

    name: str = "model"
    version: str = "unversioned"
    owner: str = ""
    contact: str = ""
    intended_use: str = ""
    decision: str = ""
    users: str = ""
    affected_persons: str = ""
    out_of_scope: tuple[str, ...] = ()
    foreseeable_misuse: tuple[str, ...] = ()
    limitations: tuple[str, ...] = ()
    deployment: str = ""
    automated_decision: str = ""
    human_oversight: str = ""
    previous_version: str = ""
    training_data: str = ""
    related_documents: tuple[str, ...] = ()
    standards: tuple[str, ...] = ()
    signoff: tuple[SignOff, ...] = field(default=())

    _DOCUMENTED = (
        "owner",
        "contact",
        "intended_use",
        "decision",
        "users",
        "affected_persons",
        "out_of_scope",
        "limitations",
        "automated_decision",
        "human_oversight",
    )

    def __post_init__(self) -> None:
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if f.name == "signoff":
                object.__setattr__(self, "signoff", _signoff(value))
            elif f.type in ("tuple[str, ...]", tuple[str, ...]):
                object.__setattr__(self, f.name, _texts(f.name, value))
            elif not isinstance(value, str):
                raise InputError(
                    f"card.{f.name} must be text, got {type(value).__name__} {value!r}; write it as text "
                    f'(in quotes in a JSON or TOML file: {f.name} = "{value}").'
                )

    def missing(self) -> tuple[str, ...]:
        """The documentation fields left empty, in the order they are reviewed."""
        order = ("owner", "contact", "decision", "users", "affected_persons", "intended_use")
        rest = tuple(n for n in self._DOCUMENTED if n not in order)
        return tuple(n for n in (*order, *rest) if not getattr(self, n))

    @classmethod
    def from_dict(cls, values: Mapping[str, Any]) -> ModelCard:
        """Build from a mapping; unknown keys raise :class:`~explain.errors.InputError`."""
        return _from_mapping(cls, values, "model card")

    @classmethod
    def from_file(cls, path: str | Path) -> ModelCard:
        """Read a JSON or TOML model card."""
        return cls.from_dict(_read_file(path, "model card"))

    def to_dict(self) -> dict[str, Any]:
        out = dataclasses.asdict(self)
        out["signoff"] = [dataclasses.asdict(p) for p in self.signoff]
        for k, v in out.items():
            if isinstance(v, tuple):
                out[k] = list(v)
        return out
