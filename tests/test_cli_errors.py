"""Every failure of the ``explain`` command that is not a verdict exits 2 with one line on stderr
and no traceback; output paths are checked before any work."""

from __future__ import annotations

import json
import os
import pickle
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import joblib
import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression

import explain as ex
from explain import cli
from explain.cli import main


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("cli_errors")
    rng = np.random.default_rng(0)
    n = 300
    X = pd.DataFrame({"x1": rng.normal(size=n), "x2": rng.normal(size=n)})
    y = (X["x1"] + rng.normal(size=n) > 0).astype(int)
    frame = X.assign(group=rng.choice(["a", "b"], n), y=y)
    frame[:200].to_csv(d / "train.csv", index=False)
    frame[200:].to_csv(d / "test.csv", index=False)
    frame[200:].drop(columns=["x2"]).to_csv(d / "test_without_x2.csv", index=False)
    frame[:0].to_csv(d / "header_only.csv", index=False)
    joblib.dump(LogisticRegression().fit(X[:200], y[:200]), d / "model.joblib")
    (d / "p0.txt").write_bytes(pickle.dumps(LogisticRegression().fit(X[:200], y[:200]), protocol=0))
    (d / "p1.json").write_bytes(pickle.dumps(LogisticRegression().fit(X[:200], y[:200]), protocol=1))
    (d / "policy.json").write_text(json.dumps({"explain_rows": 30, "n_bootstrap": 10, "stability_runs": 2}))
    (d / "garbage.csv").write_bytes(bytes(range(256)) * 8)
    (d / "empty.csv").write_bytes(b"")
    (d / "data.xlsx").write_bytes(b"PK\x03\x04")
    (d / "broken.json").write_text("{not json")
    (d / "unknown_key.json").write_text(json.dumps({"explain_rows": 30, "no_such_threshold": 1}))
    (d / "wrong_type.json").write_text(json.dumps({"n_bootstrap": "many"}))
    (d / "broken.toml").write_text("name = [unclosed\n")
    (d / "list.json").write_text("[1, 2]")
    (d / "model.txt").write_text("tree\nthis is not a LightGBM model\n")
    (d / "a_file").write_text("x")
    (d / "subdir").mkdir()
    (d / "out").mkdir()
    return {"dir": d}


def _args(files: dict[str, Path], **change: str | None) -> list[str]:
    """A valid ``explain audit`` invocation with some options changed (None drops one)."""
    d = files["dir"]
    options: dict[str, str | None] = {
        "--model": str(d / "model.joblib"),
        "--trust-pickle": "",
        "--train": str(d / "train.csv"),
        "--test": str(d / "test.csv"),
        "--target": "y",
        "--sensitive": "group",
        "--policy": str(d / "policy.json"),
        "--out": str(d / "out" / "report.json"),
        "--date": "2026-01-01T00:00:00Z",
        "--quiet": "",
    }
    options.update({"--" + k.replace("_", "-"): v for k, v in change.items()})
    args = ["audit"]
    for flag, value in options.items():
        if value is not None:
            args += [flag, value] if value else [flag]
    return args


def _in(files: dict[str, Path], name: str) -> str:
    return str(files["dir"] / name)


BAD: dict[str, tuple[Callable[[dict[str, Path]], list[str]], str]] = {
    # case: (arguments, a word of the message that shows it failed for that reason)
    "model missing": (lambda f: _args(f, model=_in(f, "nope.joblib")), "does not exist"),
    "model is a directory": (lambda f: _args(f, model=_in(f, "subdir")), "is a directory"),
    "model of unknown format": (lambda f: _args(f, model=_in(f, "train.csv")), "unknown model format"),
    "pickle without --trust-pickle": (lambda f: _args(f, trust_pickle=None), "--trust-pickle"),
    "corrupt LightGBM model": (lambda f: _args(f, model=_in(f, "model.txt")), "LightGBM"),
    "protocol 0 pickle named .txt": (lambda f: _args(f, model=_in(f, "p0.txt"), trust_pickle=None), "--trust-pickle"),
    "protocol 1 pickle named .json": (lambda f: _args(f, model=_in(f, "p1.json"), trust_pickle=None), "pickle"),
    "--trust-types with a pickle": (lambda f: _args(f, trust_types="foo"), "--trust-types applies to .skops"),
    "--trust-types with a .txt": (lambda f: _args(f, model=_in(f, "model.txt"), trust_types="a.B"), ".skops"),
    "train missing": (lambda f: _args(f, train=_in(f, "nope.csv")), "--train"),
    "train is a directory": (lambda f: _args(f, train=_in(f, "subdir")), "--train"),
    "train is binary garbage": (lambda f: _args(f, train=_in(f, "garbage.csv")), "training"),
    "train is an empty file": (lambda f: _args(f, train=_in(f, "empty.csv")), "training"),
    "train has no rows": (lambda f: _args(f, train=_in(f, "header_only.csv")), "0 rows"),
    "train of unknown format": (lambda f: _args(f, train=_in(f, "data.xlsx")), ".parquet"),
    "test lacks a model column": (lambda f: _args(f, test=_in(f, "test_without_x2.csv")), "x2"),
    "reference missing": (lambda f: _args(f, reference=_in(f, "nope.csv")), "--reference"),
    "unknown target column": (lambda f: _args(f, target="nope"), "target"),
    "unknown sensitive column": (lambda f: _args(f, sensitive="nope"), "nope"),
    "policy is not JSON": (lambda f: _args(f, policy=_in(f, "broken.json")), "JSON"),
    "policy has an unknown key": (lambda f: _args(f, policy=_in(f, "unknown_key.json")), "no_such_threshold"),
    "policy value of the wrong type": (lambda f: _args(f, policy=_in(f, "wrong_type.json")), "n_bootstrap"),
    "card is not TOML": (lambda f: _args(f, card=_in(f, "broken.toml")), "TOML"),
    "card is a binary file": (lambda f: _args(f, card=_in(f, "garbage.csv")), "is not a UTF-8 text file"),
    "policy is a binary file": (lambda f: _args(f, policy=_in(f, "garbage.csv")), "pass a .toml or .json"),
    "policy is CSV": (lambda f: _args(f, policy=_in(f, "train.csv")), "not valid JSON (its name does not end in"),
    "policy is a JSON list": (lambda f: _args(f, policy=_in(f, "list.json")), "holds a JSON list"),
    "out is a directory": (lambda f: _args(f, out=_in(f, "subdir")), "is a directory"),
    "out directory missing": (lambda f: _args(f, out=_in(f, "missing/report.json")), "does not exist"),
    "out under a file": (lambda f: _args(f, out=_in(f, "a_file/report.json")), "not a directory"),
    "out of unknown format": (lambda f: _args(f, out=_in(f, "report.docx")), ".pdf, .html or .json"),
    "out overwrites an input": (lambda f: _args(f, out=_in(f, "policy.json")), "input files"),
    "date not ISO": (lambda f: _args(f, date="yesterday"), "--date"),
    "negative random state": (lambda f: _args(f, random_state="-1"), "random_state"),
    "random state not a number": (lambda f: _args(f, random_state="x"), "--random-state"),
    "unknown format": (lambda f: _args(f, format="docx"), "--format"),
    "required option missing": (lambda f: _args(f, target=None), "--target"),
    "unknown option": (lambda f: [*_args(f), "--frobnicate"], "--frobnicate"),
    "unknown command": (lambda f: ["frobnicate"], "frobnicate"),
    "no command": (lambda f: [], "COMMAND"),
    "demo into a file": (lambda f: ["demo", "--out", _in(f, "a_file")], "not a directory"),
    "demo under a file": (lambda f: ["demo", "--out", _in(f, "a_file/demo")], "not a directory"),
}


def _main(args: list[str]) -> int:
    try:
        return main(args)
    except SystemExit as exc:  # argparse exits on its own
        return int(exc.code or 0)


@pytest.mark.parametrize("case", list(BAD))
def test_bad_invocations_exit_2_with_one_line(case: str, files: dict[str, Path], capsys) -> None:
    arguments, reason = BAD[case]
    code = _main(arguments(files))
    err = capsys.readouterr().err
    assert code == 2, err
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("explain") and "error:" in lines[0], err
    assert reason in lines[0], err
    assert not (files["dir"] / "out" / "report.json").exists()


def test_the_valid_invocation_the_bad_ones_start_from_gives_a_verdict(files: dict[str, Path], tmp_path) -> None:
    assert _main(_args(files, out=str(tmp_path / "report.json"))) in (0, 1)
    assert ex.AuditReport.from_json(tmp_path / "report.json").verdict in ("pass", "warn", "fail")


def test_output_paths_are_checked_before_any_input_is_read(files: dict[str, Path], capsys) -> None:
    args = _args(files, train=_in(files, "garbage.csv"), out=_in(files, "missing/report.json"))
    assert _main(args) == 2
    assert "--out" in capsys.readouterr().err  # not the unreadable training data


@pytest.mark.parametrize("model", ["p0.txt", "p1.json", "model.txt"])
def test_a_model_file_error_is_one_line_on_the_stderr_file_descriptor_too(
    model: str, files: dict[str, Path], capfd: pytest.CaptureFixture[str]
) -> None:
    """LightGBM's reader writes '[LightGBM] [Fatal] ...' straight to the process's stderr before it
    raises: a file that is not a LightGBM model never reaches it."""
    assert _main(_args(files, model=_in(files, model), trust_pickle=None)) == 2
    err = capfd.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "[LightGBM]" not in err, err


def test_a_protocol_0_pickle_is_a_pickle_whatever_its_name(files: dict[str, Path]) -> None:
    from explain._model_files import load_model_file

    assert isinstance(load_model_file(files["dir"] / "p0.txt", trust_pickle=True), LogisticRegression)
    assert isinstance(load_model_file(files["dir"] / "p1.json", trust_pickle=True), LogisticRegression)


def test_policy_and_card_files_are_read_before_the_model(files: dict[str, Path], capsys) -> None:
    for flag in ("policy", "card"):
        assert _main(_args(files, trust_pickle=None, **{flag: _in(files, "garbage.csv")})) == 2
        err = capsys.readouterr().err
        assert "garbage.csv" in err and "UTF-8" in err and "--trust-pickle" not in err, err


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root writes anywhere")
def test_an_unwritable_out_directory_is_refused(files: dict[str, Path], tmp_path, capsys) -> None:
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        assert _main(_args(files, out=str(locked / "report.json"))) == 2
        assert "cannot write" in capsys.readouterr().err
    finally:
        locked.chmod(0o700)


def test_an_internal_error_is_one_line_unless_the_traceback_is_asked_for(
    files: dict[str, Path], monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    def broken(_args: object) -> int:
        raise KeyError("surprise\nover two lines")

    monkeypatch.setattr(cli, "_audit", broken)
    monkeypatch.delenv("EXPLAIN_TRACEBACK", raising=False)
    assert _main(_args(files)) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "bug" in err and "EXPLAIN_TRACEBACK=1" in err
    monkeypatch.setenv("EXPLAIN_TRACEBACK", "1")
    with pytest.raises(KeyError):
        main(_args(files))


def test_the_installed_command_prints_no_traceback(files: dict[str, Path], tmp_path) -> None:
    """The same through ``python -m explain``, as a review pipeline runs it."""
    package_root = str(Path(ex.__file__).resolve().parent.parent)
    env = {**os.environ, "PYTHONPATH": package_root}
    env.pop("EXPLAIN_TRACEBACK", None)
    for case in ("pickle without --trust-pickle", "train is binary garbage", "required option missing"):
        proc = subprocess.run(
            [sys.executable, "-m", "explain", *BAD[case][0](files)],
            cwd=tmp_path,
            env=env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        assert proc.returncode == 2, (case, proc.stderr)
        assert "Traceback" not in proc.stderr and len(proc.stderr.strip().splitlines()) == 1, (case, proc.stderr)


# --------------------------------------------------------------------------- sign and verify


def _key_and_cert(directory: Path, name: str) -> tuple[Path, Path]:
    """A new EC key and a self-signed certificate for it, as PEM files."""
    import datetime as dt

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    start = dt.datetime(2025, 1, 1, tzinfo=dt.timezone.utc)
    cert = (
        x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(key.public_key())
        .serial_number(x509.random_serial_number()).not_valid_before(start)
        .not_valid_after(start + dt.timedelta(days=3650)).sign(key, hashes.SHA256())
    )  # fmt: skip
    key_path, cert_path = directory / f"{name}.key", directory / f"{name}.pem"
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))  # fmt: skip
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return key_path, cert_path


@pytest.fixture(scope="module")
def pdfs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A one-page PDF (not a report: sign does not care, and verify's usage errors come first)
    and two signers' keys and certificates."""
    pytest.importorskip("pyhanko")
    pypdf = pytest.importorskip("pypdf")
    d = tmp_path_factory.mktemp("sign")
    writer = pypdf.PdfWriter()
    writer.add_blank_page(100, 100)
    writer.write(d / "report.pdf")
    _key_and_cert(d, "ann")
    _key_and_cert(d, "mallory")
    (d / "subdir").mkdir()
    return {"dir": d}


def _one_error_line(capsys: pytest.CaptureFixture[str]) -> str:
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("explain: error:") and "Traceback" not in err, err
    return lines[0]


def test_sign_refuses_a_key_that_is_not_the_certificates(pdfs: dict[str, Path], capsys) -> None:
    d = pdfs["dir"]
    out = d / "signed_by_the_wrong_key.pdf"
    args = ["sign", str(d / "report.pdf"), "--key", str(d / "mallory.key"), "--cert", str(d / "ann.pem")]
    assert _main([*args, "--out", str(out)]) == 2
    line = _one_error_line(capsys)
    assert "mallory.key" in line and "ann.pem" in line and "does not match" in line, line
    assert not out.exists()
    good = ["sign", str(d / "report.pdf"), "--key", str(d / "ann.key"), "--cert", str(d / "ann.pem")]
    assert _main([*good, "--out", str(d / "signed.pdf")]) == 0  # the matching pair signs


@pytest.mark.parametrize(
    ("out", "words"),
    [
        ("missing/signed.pdf", "does not exist; create it first"),
        ("subdir", "is a directory"),
        ("report.pdf", "is the report itself"),
        ("ann.pem/signed.pdf", "is not a directory"),
    ],
)
def test_sign_checks_its_out_path_before_reading_any_key(pdfs: dict[str, Path], out: str, words: str, capsys) -> None:
    d = pdfs["dir"]
    missing = str(d / "no_such.key")  # read only after --out is known to be writable
    assert _main(["sign", str(d / "report.pdf"), "--key", missing, "--cert", missing, "--out", str(d / out)]) == 2
    line = _one_error_line(capsys)
    assert "--out" in line and words in line, line


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root writes anywhere")
def test_sign_refuses_an_unwritable_out_directory_before_signing(pdfs: dict[str, Path], tmp_path, capsys) -> None:
    d = pdfs["dir"]
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        missing = str(d / "no_such.key")
        args = ["sign", str(d / "report.pdf"), "--key", missing, "--cert", missing, "--out", str(locked / "s.pdf")]
        assert _main(args) == 2
        assert "cannot write in directory" in _one_error_line(capsys)
    finally:
        locked.chmod(0o700)


@pytest.mark.parametrize(
    ("trust", "words"),
    [
        ("no_such.pem", "does not exist"),
        ("subdir", "is a directory"),
        ("ann.key", "holds no certificate"),  # a private key where the certificate belongs
        ("report.pdf", "cannot read the certificate file"),
    ],
)
def test_verify_reads_every_trust_certificate_before_the_report(
    pdfs: dict[str, Path], trust: str, words: str, capsys
) -> None:
    """The report is unsigned, so its verdict never needs the trust anchors: they are read first."""
    d = pdfs["dir"]
    assert _main(["verify", str(d / "report.pdf"), "--trust", str(d / "ann.pem"), str(d / trust)]) == 2
    line = _one_error_line(capsys)
    assert trust in line and words in line, line


def test_verify_says_what_a_path_that_is_not_a_report_file_is(pdfs: dict[str, Path], tmp_path, capsys) -> None:
    (tmp_path / "empty.pdf").write_bytes(b"")
    cases = {"subdir": (pdfs["dir"] / "subdir", "is a directory"), "empty": (tmp_path / "empty.pdf", "empty file")}
    if hasattr(os, "mkfifo"):
        os.mkfifo(tmp_path / "pipe.pdf")  # never opened: reading it would wait for a writer
        cases["pipe"] = (tmp_path / "pipe.pdf", "is a named pipe (not a regular file)")
    if Path("/dev/null").exists():
        cases["device"] = (Path("/dev/null"), "is a character device (not a regular file)")
    for case, (path, words) in cases.items():
        assert _main(["verify", str(path)]) == 2, case
        captured = capsys.readouterr()
        verdict = captured.out.strip().splitlines()[-1]
        assert verdict.startswith("CANNOT VERIFY (exit 2)") and words in verdict, (case, captured)
        assert "does not exist" not in captured.out + captured.err, (case, captured)
