"""Principal reasons for an adverse decision (reason codes), from a local explanation.

US Regulation B (12 CFR 1002.9(b)(2)) asks a creditor to state the *specific principal reasons*
for an adverse action; its commentary says more than four is not likely to be helpful and that
the reasons must relate to factors actually scored. With Shapley values the natural reasons are
the features whose attributions push the prediction furthest toward the adverse side, relative
to the explanation's reference (its background data: record which population that is, e.g.
all applicants or applicants at the cut-off).

Rules applied here, so that the list is reproducible and defensible:

- only features pushing *toward* the adverse side, by more than ``min_contribution``;
- features of one group (e.g. the one-hot columns of one variable) are summed and counted once;
- ranked by contribution, ties broken by the order of the features (never by chance);
- at most ``k`` reasons per row (default 4).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd

from .errors import InputError

if TYPE_CHECKING:
    from ._counterfactual_result import Counterfactuals
    from .explanation import LocalExplanation

__all__ = ["PROTECTED_FLAG", "ReasonCode", "Reasons", "principal_reasons"]

PROTECTED_FLAG = (
    " [PROTECTED ATTRIBUTE: not a permissible reason; Regulation B (12 CFR 1002.6(b)) forbids considering it]"
)

Adverse = Literal["increase", "decrease"]


@dataclass(frozen=True)
class ReasonCode:
    """A code and the statement shown to the person, e.g. ``ReasonCode("R03", "Too many recent inquiries")``."""

    code: str
    statement: str


@dataclass(frozen=True, eq=False)
class Reasons:
    """Principal reasons per row: a table (``frame``) and readable text (:meth:`text`)."""

    frame: pd.DataFrame
    adverse: Adverse
    output_name: str
    output_space: str
    predictions: np.ndarray
    decisions: np.ndarray | None  # per row: whether the decision is adverse (None: not judged)
    counterfactuals: Counterfactuals | None = None  # of the same rows: what would change each decision

    def to_frame(self) -> pd.DataFrame:
        """A copy of the table: row, rank, feature, value, contribution, code, statement (and
        ``protected`` when protected features were named)."""
        return self.frame.copy()

    def text(self, row: int | None = None, *, outcome: str | None = None) -> str:
        """The reasons of one row (or of every row), as sentences a person can read.

        ``outcome`` is the phrase for the favourable outcome in the counterfactual sentences
        (e.g. ``"the application would be approved"``); by default the new decision and score."""
        rows = range(len(self.predictions)) if row is None else [row]
        direction = "higher" if self.adverse == "increase" else "lower"
        blocks = []
        for r in rows:
            head = (
                f"Row {r}: prediction {self.predictions[r]:.4g} ({self.output_space} of "
                f"{self.output_name!r}; {direction} is adverse)"
            )
            if self.decisions is not None and not self.decisions[r]:
                blocks.append(head + " - not an adverse decision; no reasons given.")
                continue
            part = self.frame[self.frame["row"] == r]
            if part.empty:
                blocks.append(head + " - no feature pushes toward the adverse side." + self._what_if(r))
                continue
            lines = [
                f"  {int(rec.rank)}. [{rec.code}] {rec.statement} ("
                + ("" if rec.statement == f"{rec.feature} = {rec.value}" else f"{rec.feature} = {rec.value}; ")
                + f"contribution {rec.contribution:+.4g})"
                + (PROTECTED_FLAG if getattr(rec, "protected", False) else "")
                for rec in part.itertuples()
            ]
            blocks.append("\n".join([head + ":", *lines]) + self._what_if(r, outcome))
        return "\n".join(blocks)

    def _what_if(self, r: int, outcome: str | None = None) -> str:
        """The counterfactuals of row ``r`` (when given), as indented sentences."""
        if self.counterfactuals is None:
            return ""
        sentences = self.counterfactuals.text(r, outcome=outcome).splitlines()
        return "\n  What would change the decision:\n" + "\n".join(f"    {s}" for s in sentences)

    def __str__(self) -> str:
        return self.text()


def _code_for(name: str, value: Any, codes: Mapping[str, Any] | None) -> tuple[str, str]:
    entry = None if codes is None else codes.get(name)
    if entry is None:
        return name, f"{name} = {value}"
    if isinstance(entry, ReasonCode):
        return entry.code, entry.statement
    if isinstance(entry, str):
        return name, entry
    if isinstance(entry, (tuple, list)) and len(entry) == 2:
        return str(entry[0]), str(entry[1])
    raise InputError(
        f"reason code for {name!r} is {entry!r}; give a ReasonCode, a (code, statement) pair or a statement string."
    )


def _grouped(exp: LocalExplanation, groups: Mapping[str, str] | None) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Feature (or group) names, contributions (n, g) and display values (n, g)."""
    names = list(exp.feature_names)
    if not groups:
        return names, np.asarray(exp.values), np.asarray(exp.data, dtype=object)
    unknown = sorted(set(groups) - set(names))
    if unknown:
        raise InputError(f"groups names features {unknown} that the explanation does not have.")
    labels: list[str] = []
    for name in names:  # first appearance fixes a group's position (deterministic order)
        label = groups.get(name, name)
        if label not in labels:
            labels.append(label)
    members = {label: [j for j, n in enumerate(names) if groups.get(n, n) == label] for label in labels}
    values = np.stack([exp.values[:, members[lab]].sum(axis=1) for lab in labels], axis=1)
    shown = np.empty((exp.n_rows, len(labels)), dtype=object)
    for g, label in enumerate(labels):
        cols = members[label]
        for r in range(exp.n_rows):
            shown[r, g] = (
                exp.data[r, cols[0]] if len(cols) == 1 else ", ".join(f"{names[j]}={exp.data[r, j]}" for j in cols)
            )
    return labels, values, shown


def principal_reasons(
    exp: LocalExplanation,
    *,
    k: int = 4,
    adverse: Adverse = "increase",
    codes: Mapping[str, Any] | None = None,
    groups: Mapping[str, str] | None = None,
    threshold: float | None = None,
    min_contribution: float = 1e-9,
    output: str | int | None = None,
    counterfactuals: Counterfactuals | None = None,
    protected: Any = (),
) -> Reasons:
    """See :meth:`LocalExplanation.reasons`."""
    if adverse not in ("increase", "decrease"):
        raise InputError(f"adverse={adverse!r}; use 'increase' (a higher prediction is adverse) or 'decrease'.")
    if not isinstance(k, (int, np.integer)) or k < 1:
        raise InputError(f"k={k!r}; pass a whole number of reasons >= 1 (Regulation B suggests at most 4).")
    if exp.is_multi_output:
        if output is None:
            raise InputError(
                f"this explanation has several outputs {list(exp.output_names)}; pass output= to say "
                "which one the decision is made on."
            )
        exp = exp.for_output(output)
    sign = 1.0 if adverse == "increase" else -1.0
    labels, values, shown = _grouped(exp, groups)
    toward = values * sign
    decisions = None
    if threshold is not None:
        decisions = exp.predictions > threshold if adverse == "increase" else exp.predictions < threshold
    records = []
    for r in range(exp.n_rows):
        if decisions is not None and not decisions[r]:
            continue
        order = np.argsort(-toward[r], kind="stable")
        kept = [g for g in order if toward[r, g] > min_contribution][:k]
        for rank, g in enumerate(kept, start=1):
            code, statement = _code_for(labels[g], shown[r, g], codes)
            records.append((r, rank, labels[g], shown[r, g], float(values[r, g]), code, statement))
    frame = pd.DataFrame(records, columns=["row", "rank", "feature", "value", "contribution", "code", "statement"])
    flagged = _protected_names(protected, exp, groups)
    if flagged:
        frame["protected"] = frame["feature"].isin(flagged)
    if counterfactuals is not None:
        _check_same_rows(exp, counterfactuals)
        _check_same_decision(exp, counterfactuals, adverse, threshold)
    return Reasons(
        frame, adverse, exp.output_names[0], exp.output_space, np.array(exp.predictions), decisions, counterfactuals
    )


def _check_same_rows(exp: LocalExplanation, cf: Any) -> None:
    """Refuse counterfactuals of other rows or features than the explanation's: the text would
    put one person's alternatives under another person's reasons."""
    from ._counterfactual_result import Counterfactuals

    if not isinstance(cf, Counterfactuals):
        raise InputError(
            f"counterfactuals= takes the Counterfactuals that explain.counterfactuals(model, X, ...) returned for "
            f"the same rows; got {type(cf).__name__}."
        )
    if cf.n_rows != exp.n_rows:
        raise InputError(
            f"the counterfactuals are of {cf.n_rows} rows, the explanation of {exp.n_rows}; compute both for the "
            "same rows X (explain_local(X) and explain.counterfactuals(model, X, ...))."
        )
    names = list(exp.feature_names)
    if sorted(cf.feature_names) != sorted(names):
        raise InputError(
            f"the counterfactuals have the features {list(cf.feature_names)}, the explanation {names}; compute "
            "both from the same model and columns."
        )
    ours = pd.DataFrame(np.asarray(exp.data, dtype=object), columns=names)
    theirs = pd.DataFrame(np.asarray(cf.data, dtype=object), columns=list(cf.feature_names))[names]
    for j, name in enumerate(names):
        a, b = ours[name], theirs[name]
        missing = a.isna().to_numpy() & b.isna().to_numpy()
        try:
            same = np.isclose(a.astype(float), b.astype(float), rtol=1e-12, atol=0.0) | missing
        except (TypeError, ValueError):
            same = (a.astype(str) == b.astype(str)).to_numpy() | missing
        if not same.all():
            r = int(np.flatnonzero(~same)[0])
            raise InputError(
                f"row {r} of the counterfactuals has {name} = {b.iloc[r]!r}, the explanation {a.iloc[r]!r}: they "
                f"are of different rows. Compute both for the same rows X, in the same order (feature {j + 1})."
            )


def _protected_names(protected: Any, exp: LocalExplanation, groups: Mapping[str, str] | None) -> set[str]:
    """The reason labels that are protected: the named features, and groups holding one."""
    names = [protected] if isinstance(protected, str) else list(protected or ())
    if not all(isinstance(n, str) for n in names):
        raise InputError(f"protected={protected!r}; pass the names of the protected features, e.g. ['sex', 'age'].")
    known = set(exp.feature_names) | set((groups or {}).values())
    unknown = sorted(set(names) - known)
    if unknown:
        raise InputError(
            f"protected names {unknown}, which the explanation does not have (features: {list(exp.feature_names)}); "
            "a protected attribute that is not a model input cannot be a reason."
        )
    return set(names) | {(groups or {}).get(n, n) for n in names}


def _check_same_decision(exp: LocalExplanation, cf: Any, adverse: Adverse, threshold: float | None) -> None:
    """Refuse counterfactuals searched for another decision rule than the reasons': a change that
    reaches P >= 0.5 is no way out of a decline at 0.7."""
    if threshold is None or cf.task == "multiclass":
        return
    space, name = exp.output_space, exp.output_names[0]
    if cf.task == "binary":
        if cf.score_name != f"P({name})" or space not in ("probability", "log_odds"):
            raise InputError(
                f"the counterfactuals are judged on {cf.score_name}, the reasons on the {space} of {name!r}; explain "
                "the same output (the positive class, in probability or log-odds) to put them together."
            )
        cut = float(threshold) if space == "probability" else float(1.0 / (1.0 + np.exp(-float(threshold))))
    else:
        cut = float(threshold)
    adverse_rows = exp.predictions > threshold if adverse == "increase" else exp.predictions < threshold
    new = np.asarray(cf.new_scores, dtype=float)[adverse_rows[np.asarray(cf.rows, dtype=int)]]
    fine = new >= cut if adverse == "decrease" else new <= cut
    if not fine.all():
        searched = cf.params.get("threshold")
        raise InputError(
            f"{int((~fine).sum())} of the {len(new)} counterfactuals would still be adverse at the reasons' threshold "
            f"{threshold!r} (they were searched for {cf.desired[0]!r}"
            + (f" at threshold {searched!r}" if searched is not None else "")
            + "). Compute them with the same cut-off: explain.counterfactuals(..., threshold=...)."
        )
