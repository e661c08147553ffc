"""The ``explain`` command line, for model-review scripts and CI.

Subcommands
-----------
``explain audit --model M --train T --test S --target Y [--sensitive A ...] --out report.pdf``
    Audit a saved model on data files; write the report (PDF, HTML or JSON by the suffix of
    ``--out``). The model file runs no code: ``.skops`` (skops' trusted types, more with
    ``--trust-types``), LightGBM ``.txt``, XGBoost ``.json`` / ``.ubj``, CatBoost ``.cbm``; a
    pickle (``.joblib``, ``.pkl``) only with ``--trust-pickle`` (see ``explain._model_files``).
    ``--champion FILE`` (the production model this one would replace, read like ``--model``;
    ``--trust-pickle`` covers both) adds the comparison with the champion; ``--previous FILE``
    (an earlier report's PDF, verified as ``explain verify`` does, or its evidence JSON, recorded
    as not verified) adds the change log against it.
    Exit code: 0 when the verdict is pass or warn (``--strict``: pass only), 1 when it is fail,
    2 on any other failure (bad arguments, unreadable files, invalid data, a report path that
    cannot be written: checked before the audit starts).
``explain verify REPORT [--trust CERT ...] [--require-signature] [--evidence-sha256 HEX]``
    Check an audit PDF or HTML page: the evidence it carries hashes to the value it shows, the
    pages show exactly that evidence, and every signature holds. Prints each check and one verdict
    line that says what was proven: "consistent, unsigned" (anyone with explain could have made
    it) or "signed by ...". Exit code 0 verified; 1 altered, or not authenticated as asked (not
    signed with --require-signature, signer outside --trust, another SHA-256 than
    --evidence-sha256); 2 cannot verify (unreadable, not an explain report, a check that cannot
    run here, e.g. another Typst version) or a usage error (a --trust file without a readable
    certificate: every one is read first). Never skips a check silently.
``explain sign REPORT.pdf --key KEY --cert CERT --out SIGNED.pdf``
    Add a PAdES signature (needs the ``sign`` extra, pyHanko). Exit code 0 signed, 2 error.
``explain demo [--out DIR]``
    Train a credit model on the data set shipped with explain and audit it: writes
    ``audit.pdf``, ``audit.html`` and ``evidence.json`` into DIR (default ``./explain-demo``),
    the same bytes on every run.

Every failure that is not a verdict prints one line, ``explain: error: ...``, and no traceback;
``EXPLAIN_TRACEBACK=1`` re-raises an unexpected exception, for a bug report.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NoReturn

__all__ = ["build_parser", "main"]

EXIT_OK, EXIT_FAIL, EXIT_USAGE = 0, 1, 2
FORMATS = {".pdf": "pdf", ".html": "html", ".htm": "html", ".json": "json"}
EXIT_INTERRUPTED = 130  # the shell's code for Ctrl-C


class _Parser(argparse.ArgumentParser):
    """argparse with its usage errors on one line, like every other error of the command."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see '{self.prog} --help')\n")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``explain`` command.

    Examples
    --------
    >>> args = build_parser().parse_args(["demo", "--out", "results"])
    >>> args.command, args.out
    ('demo', 'results')
    """
    from . import __version__

    parser = _Parser(
        prog="explain", description="Explain and audit machine-learning models: reports a reviewer can verify."
    )
    parser.add_argument("--version", action="version", version=f"explain {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    demo = commands.add_parser(
        "demo",
        help="audit a credit model trained on the shipped data; write the report",
        description=__doc__.split("``explain demo")[1].split("\n", 1)[1].strip(),
    )
    demo.add_argument("--out", default="explain-demo", metavar="DIR", help="output directory (default: %(default)s)")

    aud = commands.add_parser("audit", help="audit a saved model on data files; exit 1 if it fails the policy")
    aud.add_argument(
        "--model",
        required=True,
        metavar="FILE",
        help="fitted model: .skops, LightGBM .txt, XGBoost .json/.ubj, CatBoost .cbm, "
        "or a joblib pickle .joblib/.pkl (only with --trust-pickle)",
    )
    aud.add_argument(
        "--trust-pickle",
        action="store_true",
        help="load a pickled (joblib) --model or --champion: it runs code from the file, so only for files you trust",
    )
    aud.add_argument(
        "--trust-types",
        nargs="+",
        default=[],
        metavar="TYPE",
        help="types a .skops --model may hold beyond skops' default trusted ones (full names, e.g. "
        "lightgbm.sklearn.LGBMClassifier); the error for an untrusted file lists them",
    )
    aud.add_argument("--train", required=True, metavar="FILE", help="training data (.csv, .csv.gz or .parquet)")
    aud.add_argument("--test", required=True, metavar="FILE", help="test data, same columns")
    aud.add_argument("--target", required=True, metavar="COLUMN", help="the target column of both files")
    aud.add_argument("--sensitive", nargs="*", default=[], metavar="COLUMN", help="sensitive attribute columns")
    aud.add_argument("--reference", metavar="FILE", help="baseline data for drift (default: the training data)")
    aud.add_argument(
        "--champion",
        metavar="FILE",
        help="the production model this one would replace, in a --model format: adds the comparison with it",
    )
    aud.add_argument("--champion-name", metavar="NAME", help="the champion's name in the report (default: the card's)")
    aud.add_argument(
        "--previous",
        metavar="FILE",
        help="an earlier report: its PDF (verified as explain verify does; an altered one is refused) or its "
        "evidence JSON (AuditReport.to_json; recorded as not verified): adds the change log against it",
    )
    aud.add_argument("--policy", metavar="FILE", help="thresholds, JSON or TOML (see explain.Policy)")
    aud.add_argument("--card", metavar="FILE", help="model card, JSON or TOML (see explain.ModelCard)")
    aud.add_argument("--out", required=True, metavar="FILE", help="report path; .pdf, .html or .json")
    aud.add_argument("--format", choices=["pdf", "html", "json"], help="override the format given by --out")
    aud.add_argument("--random-state", type=int, default=0, help="seed of every random step (default: 0)")
    aud.add_argument("--date", metavar="ISO", help="pin the report date, e.g. 2026-01-31T00:00:00Z")
    aud.add_argument("--strict", action="store_true", help="exit 1 on a warn verdict too")
    aud.add_argument("--quiet", action="store_true", help="no progress lines")

    ver = commands.add_parser(
        "verify", help="check an audit PDF or HTML report: evidence, pages, signatures; exit 0/1/2"
    )
    ver.add_argument("pdf", metavar="REPORT", help="the report, .pdf or .html")
    ver.add_argument("--trust", nargs="+", default=[], metavar="CERT", help="certificates the signer must chain to")
    ver.add_argument("--require-signature", action="store_true", help="an unsigned report does not verify")
    ver.add_argument("--evidence-sha256", metavar="HEX", help="the evidence SHA-256 recorded when it was made")

    sig = commands.add_parser("sign", help="add a PAdES signature to an audit PDF (the sign extra)")
    sig.add_argument("pdf", metavar="REPORT.pdf")
    sig.add_argument("--out", required=True, metavar="FILE", help="the signed copy")
    sig.add_argument("--key", metavar="FILE", help="private key, PEM or DER")
    sig.add_argument("--cert", metavar="FILE", help="the signer's certificate, PEM or DER")
    sig.add_argument("--pkcs12", metavar="FILE", help="key and certificate in one PKCS#12 file instead")
    sig.add_argument("--chain", nargs="+", default=[], metavar="CERT", help="intermediate certificates to embed")
    sig.add_argument("--passphrase-env", metavar="VAR", help="environment variable holding the key's passphrase")
    sig.add_argument("--field", default="Signature", help="signature field name, one per signer (default: %(default)s)")
    sig.add_argument("--reason", help="reason recorded in the signature, e.g. 'Approver: approved'")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``explain`` command with ``argv`` (default: ``sys.argv[1:]``); return the exit code."""
    args = build_parser().parse_args(argv)
    from .errors import ExplainError

    try:
        if args.command == "demo":
            return _demo(args.out)
        if args.command == "audit":
            return _audit(args)
        if args.command == "verify":
            return _verify(args)
        if args.command == "sign":
            return _sign(args)
    except ExplainError as exc:
        return _usage_error(str(exc))
    except OSError as exc:  # a file that vanished, or a full disk while writing the report
        return _usage_error(f"{exc.strerror or exc}: {exc.filename!r}." if exc.filename else str(exc))
    except KeyboardInterrupt:
        print("explain: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except Exception as exc:  # a bug: still one line and exit 2, the traceback on request
        if os.environ.get("EXPLAIN_TRACEBACK"):
            raise
        return _usage_error(
            f"unexpected {type(exc).__name__}: {exc} -- this is a bug in explain; rerun with "
            "EXPLAIN_TRACEBACK=1 to see where, and report it."
        )
    raise AssertionError(f"unhandled command {args.command!r}")  # argparse only accepts known commands


def _usage_error(message: str) -> int:
    """Print ``message`` on one line (exception texts may span several) and return exit code 2."""
    print("explain: error: " + " ".join(message.split()), file=sys.stderr)
    return EXIT_USAGE


def _check_writable_dir(directory: Path, what: str) -> None:
    """Raise unless a file can be created in ``directory`` (tried, since permission bits and
    read-only file systems both decide it)."""
    import tempfile

    from .errors import InputError

    try:
        with tempfile.TemporaryFile(dir=directory, prefix=".explain-"):
            pass
    except OSError as exc:
        raise InputError(f"{what}: cannot write in directory {str(directory)!r} ({exc.strerror or exc}).") from exc


def _check_out_file(out: str, fmt: str | None, inputs: Sequence[str]) -> str:
    """Fail before the audit starts if its report cannot be written to ``out``; return the format."""
    from .errors import InputError, require

    p = Path(out)
    if p.is_dir():
        raise InputError(f"--out {out!r} is a directory; give a file name such as {str(p / 'audit.pdf')!r}.")
    fmt = fmt or FORMATS.get(p.suffix.lower())
    if fmt is None:
        raise InputError(f"--out {out!r}: end it in .pdf, .html or .json, or pass --format.")
    parent = p.parent
    if not parent.is_dir():
        state = "is not a directory" if parent.exists() else "does not exist; create it first"
        raise InputError(f"--out {out!r}: {str(parent)!r} {state}.")
    _check_writable_dir(parent, f"--out {out!r}")
    if any(Path(i).resolve() == p.resolve() for i in inputs):
        raise InputError(f"--out {out!r} is one of the input files; write the report to another file.")
    if fmt == "pdf":
        require("typst", extra="pdf", purpose="Writing the audit PDF")
    return fmt


def _check_out_dir(out: str) -> None:
    """Fail before the demo starts if its directory cannot be made or written."""
    from .errors import InputError

    p = Path(out)
    existing = next(a for a in (p, *p.parents) if a.exists())
    if not existing.is_dir():
        raise InputError(f"--out {out!r}: {str(existing)!r} is a file, not a directory; choose another --out.")
    _check_writable_dir(existing, f"--out {out!r}")


def _demo(out: str) -> int:
    from ._demo import describe, run_demo

    _check_out_dir(out)
    result = run_demo(out, log=lambda line: print(line, flush=True), progress=True)
    print(describe(result))
    return EXIT_OK


def _read_data(path: str, what: str) -> Any:
    import pandas as pd

    from .errors import InputError

    p = Path(path)
    name = p.name.lower()
    try:
        if name.endswith(".parquet"):
            return pd.read_parquet(p)
        if name.endswith((".csv", ".csv.gz")):
            return pd.read_csv(p)
    except Exception as exc:  # pandas raises many kinds; all mean the same to the user
        raise InputError(f"cannot read {what} file {path!r}: {exc}") from exc
    raise InputError(f"{what} file {path!r}: use .csv, .csv.gz or .parquet.")


def _read_model(args: argparse.Namespace, path: str | None = None) -> Any:
    """The model file ``path`` (default: ``--model``), read as ``--model`` is: pickles only with ``--trust-pickle``."""
    from ._model_files import load_model_file

    return load_model_file(path or args.model, trust_pickle=args.trust_pickle, trusted_types=tuple(args.trust_types))


def _split(frame: Any, target: str, what: str) -> tuple[Any, Any]:
    from .errors import InputError

    if target not in frame.columns:
        raise InputError(f"{what} data has no target column {target!r}; its columns: {list(frame.columns)}.")
    return frame.drop(columns=[target]), frame[target]


def _check_inputs(args: argparse.Namespace) -> list[str]:
    """Every input file named on the command line exists; return their paths."""
    from .errors import InputError

    flags = ("model", "train", "test", "reference", "policy", "card", "champion", "previous")
    named = {f: getattr(args, f) for f in flags}
    for flag, path in named.items():
        if path is not None and not Path(path).is_file():
            state = "is a directory, not a file" if Path(path).is_dir() else "does not exist"
            raise InputError(f"--{flag} {path!r} {state}.")
    if args.champion_name is not None and args.champion is None:
        raise InputError("--champion-name was given without --champion; pass the champion's model file too.")
    if args.date is not None:
        from datetime import datetime

        try:
            datetime.fromisoformat(args.date.replace("Z", "+00:00"))
        except ValueError:
            raise InputError(f"--date {args.date!r} is not an ISO 8601 date, e.g. 2026-01-31T00:00:00Z.") from None
    return [path for path in named.values() if path is not None]


def _audit(args: argparse.Namespace) -> int:
    from .report import ModelCard, Policy, audit

    fmt = _check_out_file(args.out, args.format, _check_inputs(args))
    # the small files first: a misspelt threshold is reported before a large model is read
    policy = None if args.policy is None else Policy.from_file(args.policy)
    card = None if args.card is None else ModelCard.from_file(args.card)
    log = (lambda _: None) if args.quiet else (lambda line: print(line, file=sys.stderr, flush=True))
    # the previous report before the model and the data: a damaged file is refused at once
    previous = None
    if args.previous is not None:
        from explain.report._audit import _previous

        # read and checked (a PDF verified) once, here before the model is read; audit() takes it as read
        previous = _previous(args.previous)
    log(f"Reading {args.model}, {args.train} and {args.test}")
    model = _read_model(args)
    champion = None if args.champion is None else _read_model(args, args.champion)
    X_train, y_train = _split(_read_data(args.train, "training"), args.target, "training")
    X_test, y_test = _split(_read_data(args.test, "test"), args.target, "test")
    reference = None
    if args.reference:
        reference = _read_data(args.reference, "reference").drop(columns=[args.target], errors="ignore")
    from ._model_files import with_model_categories

    if champion is not None:  # the champion's categorical columns first: the audited model's win a column both declare
        X_train, X_test = with_model_categories(champion, X_train), with_model_categories(champion, X_test)
    X_train, X_test = with_model_categories(model, X_train), with_model_categories(model, X_test)
    reference = None if reference is None else with_model_categories(model, reference)
    report = audit(
        model,
        X_train,
        y_train,
        X_test,
        y_test,
        sensitive_features=args.sensitive or None,
        reference=reference,
        card=card,
        policy=policy,
        random_state=args.random_state,
        generated_at=args.date,
        progress=not args.quiet,
        champion=champion,
        champion_name=args.champion_name,
        previous=previous,
    )
    out = {"pdf": report.to_pdf, "html": report.to_html, "json": report.to_json}[fmt](args.out)
    flagged = report.findings[report.findings["status"].isin(["fail", "warn"])]
    print(f"Verdict: {report.verdict.upper()}  ({report.evidence['report']['verdict_reason']})")
    for r in flagged.itertuples():
        print(f"  {r.status.upper():5} {r.title}")
    found = report.findings.set_index("id")
    for fid, label in (("champion.primary_metric", "Champion"), ("change_log.status_changes", "Change log")):
        if fid in found.index:  # --champion, --previous: one line each, whatever the status
            print(f"{label}: {found.loc[fid, 'status'].upper()}  {found.loc[fid, 'message']}")
    print(f"Evidence SHA-256: {report.evidence_sha256}\nWrote {out}")
    failed = report.verdict == "fail" or (args.strict and report.verdict == "warn")
    return EXIT_FAIL if failed else EXIT_OK


def _quiet_pdf_libraries() -> None:
    # pypdf and pyHanko log warnings about damaged files (and tracebacks of certificate path
    # building) through logging; without a handler Python prints them. The verdict says it all.
    import logging

    for name in ("pypdf", "pyhanko", "pyhanko_certvalidator"):
        logging.getLogger(name).addHandler(logging.NullHandler())


def _check_trust(paths: Sequence[str]) -> None:
    """Every --trust file holds a readable certificate: read before the report, since an unsigned
    report never consults them and a typo would otherwise pass unnoticed."""
    from .errors import InputError
    from .report._signature import _load_certs

    for path in paths:
        p = Path(path)
        if not p.is_file():
            state = "is a directory" if p.is_dir() else "is not a regular file" if p.exists() else "does not exist"
            raise InputError(f"--trust {path!r} {state}; give a certificate file (PEM or DER).")
        certs = _load_certs([p])
        try:
            for cert in certs:  # asn1crypto parses lazily: a damaged certificate fails only here
                _ = cert.subject.human_friendly, cert.public_key.dump()
        except (ValueError, TypeError, KeyError) as exc:
            raise InputError(f"--trust {path!r} holds a damaged certificate ({exc}); give a PEM or DER file.") from exc
        if not certs:
            raise InputError(
                f"--trust {path!r} holds no certificate (a private key?); give the signer's or its CA's "
                "certificate, a PEM file with '-----BEGIN CERTIFICATE-----' or a DER file."
            )


def _verify(args: argparse.Namespace) -> int:
    import re

    from .errors import InputError
    from .report._verify import verify_report

    if not Path(args.pdf).exists():  # a directory or a device is not a usage error: the verdict says what it is
        raise InputError(f"{args.pdf!r} does not exist.")
    expected = args.evidence_sha256
    if expected is not None and not re.fullmatch(r"[0-9a-fA-F]{64}", expected):
        raise InputError(f"--evidence-sha256 {expected!r}: give the 64 hex digits of a SHA-256.")
    _quiet_pdf_libraries()
    _check_trust(args.trust)
    result = verify_report(
        args.pdf, trust=args.trust, require_signature=args.require_signature, evidence_sha256=expected
    )
    for name, passed, detail in result.checks:
        mark = "ok  " if passed is True else "FAIL" if passed is False else " -- "
        print(f"[{mark}] {name}: {detail}")
    label = {"verified": "VERIFIED", "altered": "NOT VERIFIED", "cannot_verify": "CANNOT VERIFY"}[result.verdict]
    print(f"{label} (exit {result.exit_code}): {result.summary}")
    return result.exit_code


def _sign(args: argparse.Namespace) -> int:
    from .errors import InputError
    from .report._signature import sign_pdf

    passphrase = None
    if args.passphrase_env:
        if args.passphrase_env not in os.environ:
            raise InputError(f"--passphrase-env {args.passphrase_env}: that environment variable is not set.")
        passphrase = os.environ[args.passphrase_env].encode()
    _quiet_pdf_libraries()
    out = sign_pdf(
        args.pdf, args.out, key=args.key, cert=args.cert, pkcs12=args.pkcs12, chain=args.chain,
        passphrase=passphrase, field=args.field, reason=args.reason,
    )  # fmt: skip
    print(f"Signed {args.pdf} -> {out}\nCheck it with: explain verify {out}")
    return EXIT_OK
