"""The ``explain`` command: ``demo``, ``audit`` and ``verify``, in subprocesses and in-process."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import joblib
import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression

import explain as ex
from explain.cli import build_parser, main

pytest.importorskip("typst")
pytest.importorskip("pypdf")
pikepdf = pytest.importorskip("pikepdf")

FILES = ("evidence.json", "audit.html", "audit.pdf")


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


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def demo_dirs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, str]:
    """Two ``python -m explain demo`` runs in separate processes."""
    cwd = tmp_path_factory.mktemp("cwd")
    outs = [cwd / "demo out", cwd / "second"]  # a space in the path, as users have
    stdout = ""
    for out in outs:
        proc = _run("demo", "--out", str(out), cwd=cwd)
        assert proc.returncode == 0, proc.stderr
        stdout = stdout or proc.stdout
    return outs[0], outs[1], stdout


def test_demo_writes_the_report_and_says_where(demo_dirs: tuple[Path, Path, str]) -> None:
    out, _, stdout = demo_dirs
    assert "[3/4]" in stdout and "Verdict: FAIL" in stdout
    for name in FILES:
        assert (out / name).stat().st_size > 0
        assert str(out / name) in stdout


def test_demo_is_byte_identical_across_processes(demo_dirs: tuple[Path, Path, str]) -> None:
    first, second, _ = demo_dirs
    for name in FILES:
        assert _sha(first / name) == _sha(second / name), name


def test_demo_findings_show_the_planted_effects(demo_dirs: tuple[Path, Path, str]) -> None:
    report = ex.AuditReport.from_json(demo_dirs[0] / "evidence.json")
    found = report.findings.set_index("id")
    assert found.loc["fairness.impact_ratio.sex", "status"] == "fail"  # the planted disparity
    assert found.loc["drift.features", "status"] == "fail"  # the planted 2024 drift
    assert found.loc["data.leakage", "status"] == "pass"
    importance = report.table("global_explanations", "importance")
    assert importance["feature"].iloc[-1] == "months_at_address" or (
        importance.set_index("feature").loc["months_at_address", "importance"] < 0.01
    )  # the known dummy has (almost) no effect


def test_verify_accepts_the_demo_and_rejects_a_tampered_copy(demo_dirs: tuple[Path, Path, str], tmp_path) -> None:
    pdf = demo_dirs[0] / "audit.pdf"
    ok = _run("verify", str(pdf), cwd=tmp_path)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "VERIFIED" in ok.stdout
    tampered = tmp_path / "tampered.pdf"
    with pikepdf.open(pdf) as doc:
        evidence = json.loads(doc.attachments["evidence.json"].get_file().read_bytes())
        evidence["report"]["verdict"] = "pass"
        doc.attachments["evidence.json"] = pikepdf.AttachedFileSpec(
            doc, json.dumps(evidence).encode(), mime_type="application/json"
        )
        doc.save(tampered)
    bad = _run("verify", str(tampered), cwd=tmp_path)
    assert bad.returncode == 1, bad.stdout
    assert "NOT VERIFIED" in bad.stdout


# --------------------------------------------------------------------------- explain audit


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("audit")
    rng = np.random.default_rng(0)
    n = 900
    group = rng.choice(["a", "b"], n)
    X = pd.DataFrame({"x1": rng.normal(size=n), "x2": rng.normal(size=n) + (group == "a") * 1.5})
    y = (X["x1"] + X["x2"] + rng.normal(size=n) > 0.7).astype(int)
    frame = X.assign(group=group, y=y)
    frame[:600].to_csv(d / "train.csv", index=False)
    frame[600:].to_csv(d / "test.csv", index=False)
    model = LogisticRegression().fit(X[:600], y[:600])
    joblib.dump(model, d / "model.joblib")
    (d / "strict.json").write_text(json.dumps({"explain_rows": 60, "n_bootstrap": 30, "stability_runs": 2}))
    (d / "lenient.toml").write_text(
        "explain_rows = 60\nn_bootstrap = 30\nstability_runs = 2\nmin_impact_ratio = 0.01\n"
        "max_error_rate_gap = 1.0\nmin_test_score = 0.5\n"
    )
    return {
        "dir": d,
        "train": d / "train.csv",
        "test": d / "test.csv",
        "model": d / "model.joblib",
        "strict": d / "strict.json",
        "lenient": d / "lenient.toml",
    }


def _audit_args(files: dict[str, Path], out: Path, policy: str) -> list[str]:
    return [
        "audit",
        "--model",
        str(files["model"]),
        "--trust-pickle",  # the test's own joblib file
        "--train",
        str(files["train"]),
        "--test",
        str(files["test"]),
        "--target",
        "y",
        "--sensitive",
        "group",
        "--policy",
        str(files[policy]),
        "--out",
        str(out),
        "--date",
        "2026-01-01T00:00:00Z",
        "--quiet",
    ]


def test_audit_exits_1_when_the_model_fails_the_policy(files: dict[str, Path], capsys) -> None:
    out = files["dir"] / "strict.json.out.json"
    assert main(_audit_args(files, out, "strict")) == 1
    report = ex.AuditReport.from_json(out)
    assert report.verdict == "fail"
    assert report.findings.set_index("id").loc["fairness.impact_ratio.group", "status"] == "fail"
    assert "Verdict: FAIL" in capsys.readouterr().out


def test_audit_exits_0_when_the_policy_is_met(files: dict[str, Path]) -> None:
    out = files["dir"] / "lenient.html"
    code = main(_audit_args(files, out, "lenient"))
    text = out.read_text(encoding="utf-8")
    assert code == 0, text[:200]
    assert "<html" in text.lower()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("--target", "nope"), "no target column"),
        (("--train", "missing.csv"), "does not exist"),
        (("--out", "report.docx"), ".pdf, .html or .json"),
    ],
)
def test_audit_usage_errors_exit_2(files: dict[str, Path], change: tuple[str, str], message: str, capsys) -> None:
    args = _audit_args(files, files["dir"] / "x.json", "strict")
    args[args.index(change[0]) + 1] = change[1]
    assert main(args) == 2
    assert message in capsys.readouterr().err


def test_unknown_command_is_a_usage_error() -> None:
    with pytest.raises(SystemExit) as exc:
        build_parser().parse_args(["frobnicate"])
    assert exc.value.code == 2


def test_verify_of_a_missing_file_is_a_usage_error(tmp_path, capsys) -> None:
    assert main(["verify", str(tmp_path / "none.pdf")]) == 2
    assert "does not exist" in capsys.readouterr().err


def test_demo_pdf_shows_every_section_and_the_fairness_numbers_of_the_evidence(
    demo_dirs: tuple[Path, Path, str],
) -> None:
    import pypdf

    from explain.report._view import format_value

    out = demo_dirs[0]
    text = " ".join(page.extract_text() for page in pypdf.PdfReader(out / "audit.pdf").pages)
    flat = " ".join(text.split())
    report = ex.AuditReport.from_json(out / "evidence.json")
    for section in report.evidence["sections"]:
        assert section["title"] in flat, section["title"]
    fairness = report.table("fairness", "fairness_sex").dropna(subset=["impact_ratio"])
    for row in fairness.itertuples():
        shown = f"{row.group} {format_value(row.count, 'int')} {format_value(row.selected, 'int')} " + format_value(
            row.selection_rate, "pct"
        )
        assert shown in flat, shown
        assert format_value(row.impact_ratio, "float2") in flat
    assert report.evidence_sha256 in flat  # printed on the cover


# --------------------------------------------------------------------------- examples/ (README)

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def test_example_policy_lists_every_field_with_its_true_default() -> None:
    """examples/policy.toml documents each Policy field: its comment's "Default X" is the real one."""
    import dataclasses
    import re

    text = (EXAMPLES / "policy.toml").read_text(encoding="utf-8")
    blocks = re.findall(r"((?:#[^\n]*\n)+)(\w+) = [^\n]+\n", text)  # the comment block above each field
    documented = {name: " ".join(comment.split()) for comment, name in blocks}
    # an optional field (default None, which TOML cannot write) is shown as a commented-out key
    optional = re.findall(r"((?:#(?! \w+ = )[^\n]*\n)+)# (\w+) = [^\n]+\n", text)
    documented |= {name: " ".join(comment.split()) for comment, name in optional}
    fields = {f.name: f.default for f in dataclasses.fields(ex.Policy)}
    assert sorted(documented) == sorted(fields)
    for name, comment in documented.items():
        (stated,) = re.findall(r"Default (\S+?)\.?$", comment)
        assert json.loads(stated) == fields[name], name  # 0.5, 1e-6, "warn": JSON and TOML alike
    assert ex.Policy.from_file(EXAMPLES / "policy.toml").decision_threshold == 0.7


def test_example_card_documents_everything_the_audit_asks_for() -> None:
    card = ex.ModelCard.from_file(EXAMPLES / "card.toml")
    assert card.missing() == ()
    assert [s.role for s in card.signoff] == ["Model owner", "Independent validator", "Approver"]


def test_audit_reads_the_example_policy_and_card(files: dict[str, Path]) -> None:
    """``explain audit --policy examples/policy.toml --card examples/card.toml``, as the README shows."""
    out = files["dir"] / "examples.json"
    args = _audit_args(files, out, "strict")
    args[args.index("--policy") + 1] = str(EXAMPLES / "policy.toml")
    args += ["--card", str(EXAMPLES / "card.toml")]
    assert main(args) in (0, 1)  # a verdict, not a usage error
    evidence = json.loads(out.read_text(encoding="utf-8"))
    assert evidence["policy"] == ex.Policy.from_file(EXAMPLES / "policy.toml").to_dict()
    assert evidence["card"] == ex.ModelCard.from_file(EXAMPLES / "card.toml").to_dict()
    readme = (EXAMPLES.parent / "README.md").read_text(encoding="utf-8")
    assert "--policy examples/policy.toml --card examples/card.toml" in readme


# --------------------------------------------------------------------------- --champion, --previous


def test_audit_with_champion_and_previous_end_to_end(files: dict[str, Path], tmp_path, capsys) -> None:
    """A first audit's evidence is the --previous of a second audit that also names a --champion;
    its PDF has both sections and verifies."""
    import pypdf

    train = pd.read_csv(files["train"])
    champion = LogisticRegression().fit(train[["x1"]], train["y"])  # one feature: a weaker champion
    joblib.dump(champion, tmp_path / "champion.joblib")
    first = tmp_path / "first.json"
    assert main(_audit_args(files, first, "lenient")) == 0
    pdf = tmp_path / "second.pdf"
    args = _audit_args(files, pdf, "strict")  # other thresholds: statuses change
    args += ["--champion", str(tmp_path / "champion.joblib"), "--champion-name", "scorecard 1.3"]
    args += ["--previous", str(first)]
    assert main(args) == 1  # the strict policy fails the model
    out = capsys.readouterr().out
    assert "Champion: PASS  ROC AUC" in out and "Change log: INFO  Against report" in out
    text = " ".join(" ".join(page.extract_text() for page in pypdf.PdfReader(pdf).pages).split())
    assert "Comparison with the champion" in text and "scorecard 1.3" in text
    assert "Change log against the previous report" in text
    assert ex.AuditReport.from_json(first).evidence["report"]["id"] in text
    assert main(["verify", str(pdf)]) == 0
    evidence_out = tmp_path / "second.json"
    args[args.index("--out") + 1] = str(evidence_out)
    assert main(args) == 1
    second = ex.AuditReport.from_json(evidence_out)
    found = second.findings.set_index("id")
    assert found.loc["champion.primary_metric", "status"] == "pass"  # better than a one-feature champion
    log = second.table("change_log", "change_log_findings").set_index("id")
    assert log.loc["fairness.impact_ratio.group", ["status_before", "status_after"]].tolist() == ["pass", "fail"]
    assert second.evidence["provenance"]["champion"]["name"] == "scorecard 1.3"


def test_a_pickled_champion_needs_trust_pickle_as_the_model_does(files: dict[str, Path], tmp_path, capsys) -> None:
    joblib.dump(LogisticRegression().fit([[0.0], [1.0]], [0, 1]), tmp_path / "champion.joblib")
    args = _audit_args(files, tmp_path / "out.json", "strict")
    args.remove("--trust-pickle")
    skops = pytest.importorskip("skops.io")
    model_file = tmp_path / "model.skops"
    skops.dump(joblib.load(files["model"]), model_file)
    args[args.index("--model") + 1] = str(model_file)
    args += ["--champion", str(tmp_path / "champion.joblib")]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert "pickle" in err and "champion.joblib" in err
    assert not (tmp_path / "out.json").exists()


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--champion-name", "v1"], "--champion-name was given without --champion"),
        (["--previous", "missing.json"], "--previous 'missing.json' does not exist"),
        (["--champion", "missing.joblib"], "--champion 'missing.joblib' does not exist"),
    ],
)
def test_champion_and_previous_usage_errors_exit_2(
    files: dict[str, Path], extra: list[str], message: str, capsys
) -> None:
    args = _audit_args(files, files["dir"] / "x2.json", "strict") + extra
    assert main(args) == 2
    assert message in capsys.readouterr().err


def test_a_garbage_previous_file_exits_2(files: dict[str, Path], tmp_path, capsys) -> None:
    bad = tmp_path / "previous.json"
    bad.write_bytes(b'{"schema": "explain.audit", "schema_version": "1.0", "report": 7}')
    args = [*_audit_args(files, tmp_path / "out.json", "strict"), "--previous", str(bad)]
    assert main(args) == 2
    assert "evidence" in capsys.readouterr().err


def test_previous_as_a_pdf_is_verified_and_an_altered_one_exits_2(files: dict[str, Path], tmp_path, capsys) -> None:
    """--previous takes the earlier report's PDF: verified, its evidence compared; altered: refused (issue 15)."""
    pytest.importorskip("typst")
    first = tmp_path / "first.pdf"
    assert main(_audit_args(files, first, "lenient")) == 0
    out = tmp_path / "second.json"
    assert main([*_audit_args(files, out, "lenient"), "--previous", str(first)]) == 0
    second = ex.AuditReport.from_json(out)
    assert second.evidence["provenance"]["previous"]["checked"] == "verified PDF (consistent, unsigned)"
    data = bytearray(first.read_bytes())
    at = data.index(b"/MediaBox")
    data[at + 1 : at + 9] = b"Mediabox"
    altered = tmp_path / "altered.pdf"
    altered.write_bytes(bytes(data))
    capsys.readouterr()
    assert main([*_audit_args(files, tmp_path / "third.json", "lenient"), "--previous", str(altered)]) == 2
    assert "does not verify" in capsys.readouterr().err and not (tmp_path / "third.json").exists()
