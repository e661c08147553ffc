"""The ``explain`` command: ``explain demo`` end to end, in a subprocess and in-process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import explain as ex
from explain.cli import build_parser, main

FILES = ("local_explanation.json", "global_explanation.json", "summary.md")


def _run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """``python -m explain ARGS`` with the same ``explain`` package this test imported."""
    package_root = str(Path(ex.__file__).resolve().parent.parent)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [package_root, os.environ.get("PYTHONPATH")]))}
    return subprocess.run(
        [sys.executable, "-m", "explain", *args],
        cwd=cwd,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The output of one ``python -m explain demo --out DIR`` run."""
    cwd = tmp_path_factory.mktemp("cwd")
    out = cwd / "demo out"  # a space in the path, as users have
    proc = _run("demo", "--out", str(out), cwd=cwd)
    assert proc.returncode == 0, proc.stderr
    assert "[3/5]" in proc.stdout  # progress lines
    for name in FILES:
        assert str(out / name) in proc.stdout  # the summary prints the paths
    return out


def test_demo_writes_the_three_files(demo_dir: Path) -> None:
    for name in FILES:
        assert (demo_dir / name).stat().st_size > 0


def test_demo_local_explanation_loads_and_is_additive(demo_dir: Path) -> None:
    local = ex.load(demo_dir / "local_explanation.json")
    assert isinstance(local, ex.LocalExplanation)
    assert local.values.shape == (200, 30)
    assert local.output_space == "probability"
    assert local.output_names == ("1",)
    assert local.params["auto"]["chosen"] == local.method
    assert local.additivity_error() < 1e-6
    assert local.provenance.random_state == 0


def test_demo_global_explanation_matches_local(demo_dir: Path) -> None:
    local = ex.load(demo_dir / "local_explanation.json")
    glob = ex.load(demo_dir / "global_explanation.json")
    assert isinstance(glob, ex.GlobalExplanation)
    assert glob.kind == "mean_abs_attribution"
    assert glob.importances.tolist() == local.to_global().importances.tolist()


def test_demo_summary_names_the_method_and_its_numbers(demo_dir: Path) -> None:
    local = ex.load(demo_dir / "local_explanation.json")
    summary = (demo_dir / "summary.md").read_text(encoding="utf-8")
    assert f"- Method: `{local.method}`" in summary
    assert 'Why: `method="auto"`' in summary
    assert "Output space: `probability`" in summary
    assert "Test accuracy: " in summary
    assert local.provenance.model_fingerprint in summary
    assert local.content_hash() in summary
    top_feature = local.to_global().top(1)["feature"].iloc[0]
    assert f"| 1 | {top_feature} |" in summary
    assert summary.count("### Test row") == 3
    assert "elapsed" not in summary.lower()


def test_main_in_process_is_deterministic(demo_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A second run, in-process, writes the same files byte for byte (the JSON leaves out the
    run time, provenance.elapsed_seconds)."""
    assert main(["demo", "--out", str(tmp_path)]) == 0
    assert "summary.md" in capsys.readouterr().out
    for name in FILES:
        assert (tmp_path / name).read_bytes() == (demo_dir / name).read_bytes(), name
    for name in FILES[:2]:
        assert "elapsed_seconds" not in json.loads((tmp_path / name).read_text(encoding="utf-8"))["provenance"]


@pytest.mark.parametrize("argv", [[], ["no-such-command"], ["demo", "--no-such-option"], ["demo", "--out"]])
def test_usage_error_exits_with_2(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 2
    assert "usage: explain" in capsys.readouterr().err


def test_usage_error_exit_code_in_a_subprocess(tmp_path: Path) -> None:
    proc = _run("demo", "--bogus", cwd=tmp_path)
    assert proc.returncode == 2
    assert "usage: explain" in proc.stderr
    assert not any(tmp_path.iterdir())  # nothing written


def test_help_and_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["--help"])
    assert info.value.code == 0
    assert "demo" in capsys.readouterr().out
    with pytest.raises(SystemExit) as info:
        main(["--version"])
    assert info.value.code == 0
    assert capsys.readouterr().out.strip() == f"explain {ex.__version__}"


def test_default_output_directory() -> None:
    assert build_parser().parse_args(["demo"]).out == "explain-demo"
