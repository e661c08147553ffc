"""The user guide's audit section (docs/index.md, section 12) against the code: the Policy fields
and audit() arguments it names exist, and its limits name what audit() refuses, not what it does."""

from __future__ import annotations

import dataclasses
import inspect
import re
from pathlib import Path

import explain as ex
from explain.report import ModelCard, Policy

GUIDE = Path(__file__).resolve().parents[2] / "docs" / "index.md"


def _section_12() -> str:
    text = GUIDE.read_text(encoding="utf-8")
    return text[text.index("## 12. Auditing a model") : text.index("## 13. ")]


def test_the_policy_fields_and_audit_arguments_it_names_exist() -> None:
    text = _section_12()
    fields = {f.name for f in dataclasses.fields(Policy)}
    named = set(re.findall(r"\b[Pp]olicy\.([a-z_]+)", text)) - {"toml"}  # examples/policy.toml is a file
    assert named and named <= fields, named - fields
    arguments = set(inspect.signature(ex.audit).parameters)
    card = {f.name for f in dataclasses.fields(ModelCard)}
    keywords = set(re.findall(r"`(?:[a-z_.]+\()?([a-z_]+)=", text))
    assert {"champion", "previous"} <= keywords
    assert keywords <= arguments | fields | card | {"multi_class", "linear_tree"}, keywords - arguments - fields


def test_the_limits_name_what_audit_refuses_not_what_it_audits() -> None:
    limits = _section_12().split("**Limits today.**", 1)[1]
    limits = " ".join(limits.split())
    assert "multiclass model is refused" not in limits
    assert "multiclass classifiers" in limits and "text classifier" in limits  # both are audited
    assert "regression_threshold" in limits and "favourable_class" in limits
