"""Policy and card TOML files are read on Python 3.10 too, where ``tomllib`` does not exist."""

from __future__ import annotations

import sys
import types
from pathlib import Path

import pytest

from explain.report import ModelCard, Policy


def test_policy_toml_is_read(tmp_path: Path) -> None:
    path = tmp_path / "policy.toml"
    path.write_text("min_test_score = 0.8\nmax_reasons = 3\n", encoding="utf-8")
    policy = Policy.from_file(path)
    assert policy.min_test_score == 0.8
    assert policy.max_reasons == 3


def test_without_tomllib_tomli_reads_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Python 3.10: ``import tomllib`` fails and the ``tomli`` dependency parses the file."""
    calls: list[str] = []

    def loads(text: str) -> dict[str, object]:
        calls.append(text)
        return {"intended_use": "Screening loan applications"}

    fake = types.ModuleType("tomli")
    fake.loads = loads  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "tomllib", None)  # None in sys.modules: the import raises ImportError
    monkeypatch.setitem(sys.modules, "tomli", fake)
    path = tmp_path / "card.toml"
    path.write_text('intended_use = "ignored: the fake parser answers"\n', encoding="utf-8")
    card = ModelCard.from_file(path)
    assert calls == ['intended_use = "ignored: the fake parser answers"\n']
    assert card.intended_use == "Screening loan applications"
