"""Governance fields of the audit report: the policy's favourable class, and each finding's
severity and remediation owner (issue 15)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from explain.errors import InputError
from explain.report import Policy

# --------------------------------------------------------------------------- Policy.favourable_class


def test_favourable_class_defaults_to_none_and_stays_out_of_the_evidence() -> None:
    assert Policy().favourable_class is None
    assert "favourable_class" not in Policy().to_dict()  # evidence of older audits keeps its hash


@pytest.mark.parametrize("label", ["approved", 2, 0])
def test_favourable_class_round_trips_through_dict_json_and_toml(label: object, tmp_path: Path) -> None:
    policy = Policy(favourable_class=label)  # type: ignore[arg-type]
    assert Policy.from_dict(policy.to_dict()) == policy
    as_json = tmp_path / "policy.json"
    as_json.write_text(json.dumps(policy.to_dict()), encoding="utf-8")
    assert Policy.from_file(as_json).favourable_class == label
    as_toml = tmp_path / "policy.toml"
    as_toml.write_text(f"favourable_class = {json.dumps(label)}\n", encoding="utf-8")
    assert Policy.from_file(as_toml).favourable_class == label
    assert type(Policy.from_file(as_toml).favourable_class) is type(label)


def test_favourable_class_numpy_labels_become_plain_values() -> None:
    policy = Policy(favourable_class=np.int64(3))  # type: ignore[arg-type]
    assert policy.favourable_class == 3 and type(policy.favourable_class) is int
    assert type(Policy(favourable_class=np.str_("yes")).favourable_class) is str  # type: ignore[arg-type]


@pytest.mark.parametrize("bad", [True, 1.5, "", "  ", ["approved"], {"a": 1}])
def test_favourable_class_of_another_type_is_refused(bad: object) -> None:
    with pytest.raises(InputError, match=r"policy\.favourable_class"):
        Policy(favourable_class=bad)  # type: ignore[arg-type]
