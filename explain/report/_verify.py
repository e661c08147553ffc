"""Check an audit report later: what ``explain verify`` proves, and how.

What it proves
--------------
*Consistent*: the report (PDF or HTML) carries its evidence, and its pages show exactly that
evidence: rendering the attached evidence again gives the same document. A changed number, word,
chart, attachment or metadata entry is found. Consistency does not say who made the report:
anyone with ``explain`` can write evidence and render it, and the result is consistent.

*Authentic*: who made it needs a signature. A PDF signed with PAdES (``explain sign``, or any
standard tool such as pyHanko or Acrobat) is checked signature by signature (:mod:`._signature`):
the signed bytes are intact, the signature is valid, nothing but more signatures or validation
data was added after it, and, with trust anchors given (``trust``), the signer's certificate
chains to one. Without a signature, a SHA-256 of the evidence recorded elsewhere when the report
was made (``evidence_sha256``, e.g. from the CI log) ties the file to that record.

The result says which was proven (:attr:`VerifyResult.summary`): "consistent, unsigned",
"signed by ...", or why nothing was.

The checks, in order
--------------------
``opens`` the file is a PDF ``pypdf`` can read (or an HTML page); ``report`` it is an explain
report; ``attachment`` ``evidence.json`` is attached once, as a PDF/A-3 associated file with
relationship Data (HTML: embedded once); ``canonical`` its bytes are canonical JSON; ``cover_hash``
its SHA-256 is the one printed on the cover; ``metadata_hash`` and the one in the metadata;
``renderer`` the versions the pages depend on (:mod:`._renderer`) are recorded in the evidence
(hashed), the file's generator agrees with them, and they are installed here;
``rerender`` rendering the evidence again, with the date the evidence records, gives the same
document: identical bytes, or the same objects re-saved or followed by incremental updates that
only sign (:mod:`._pdfdiff`); anything else is "modified after generation" with what changed;
``signature`` every signature holds; ``expected_sha256`` the evidence hashes to the value given.

Verdicts and exit codes
-----------------------
``verified`` (0): every check passed. ``altered`` (1): a check failed: the file was changed, or
is not authenticated the way it was asked to be (unsigned with ``require_signature``, a signer
outside ``trust``, another SHA-256 than ``evidence_sha256``). ``cannot_verify`` (2): the file
cannot be read, is not an explain report, or a check could not run here (another renderer
version, pyHanko or Typst missing): no check is ever skipped and counted as passing.
:func:`verify_report` returns a verdict for every input; it raises only ``explain.errors``
(for arguments, e.g. an unreadable trust certificate).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, NamedTuple

from explain.report._evidence import canonical_json
from explain.report._renderer import format_generator, parse_generator, recorded, running, valid_version
from explain.report._signature import Signature

__all__ = ["EXIT_CODES", "Check", "VerifyResult", "verify_html", "verify_pdf", "verify_report"]

Verdict = Literal["verified", "altered", "cannot_verify"]
EXIT_CODES: dict[str, int] = {"verified": 0, "altered": 1, "cannot_verify": 2}
"""The exit code of ``explain verify`` for each verdict."""
_GATES = ("opens", "report")  # a failure here means "not something we can check": cannot_verify


class Check(NamedTuple):
    """One check: its name, ``True`` (passed), ``False`` (failed) or ``None`` (could not run), and why."""

    name: str
    passed: bool | None
    detail: str


@dataclass(frozen=True)
class VerifyResult:
    """The outcome of :func:`verify_report`.

    Attributes
    ----------
    verdict : {"verified", "altered", "cannot_verify"}
        See the module docstring; :data:`EXIT_CODES` maps it to the command's exit code.
    summary : str
        One line: what was proven (``"consistent, unsigned: ..."``, ``"signed by ..."``) or why not.
    checks : tuple of Check
        Every check in the order run, as ``(name, passed, detail)``.
    evidence_sha256, evidence
        The attached evidence's SHA-256 and content, when they were found.
    signatures : tuple of Signature
        The PDF's signatures, as checked.
    """

    verdict: Verdict
    summary: str
    checks: tuple[Check, ...]
    evidence_sha256: str | None = None
    evidence: dict[str, Any] | None = None
    signatures: tuple[Signature, ...] = field(default=())

    @property
    def ok(self) -> bool:
        """The report verified."""
        return self.verdict == "verified"

    @property
    def exit_code(self) -> int:
        """0 verified, 1 altered, 2 cannot verify."""
        return EXIT_CODES[self.verdict]

    def failed(self) -> list[Check]:
        """The checks that failed."""
        return [c for c in self.checks if c.passed is False]


class Found(NamedTuple):
    """What a format's checks found, for :func:`conclude`."""

    checks: list[Check]
    evidence: dict[str, Any] | None = None
    digest: str | None = None
    signatures: tuple[Signature, ...] = ()
    kind: Literal["pdf", "html"] = "pdf"


def conclude(found: Found, names: Sequence[str]) -> VerifyResult:
    """The verdict of the checks run; checks not reached are listed as not run."""
    checks = list(found.checks)
    ran = {c.name for c in checks}
    checks += [Check(n, None, "not run: an earlier check failed or could not run") for n in names if n not in ran]
    gate = next((c for c in checks if c.name in _GATES and c.passed is False), None)
    failed = next((c for c in checks if c.passed is False), None)
    unknown = next((c for c in checks if c.passed is None), None)
    if gate is not None:
        verdict, summary = "cannot_verify", f"cannot verify: {gate.detail}"
    elif failed is not None:
        verdict, summary = "altered", f"altered ({failed.name}): {failed.detail}"
    elif unknown is not None:
        verdict, summary = "cannot_verify", f"cannot verify ({unknown.name}): {unknown.detail}"
    else:
        verdict, summary = "verified", _proven(found)
    evidence = found.evidence if found.digest is not None else None
    return VerifyResult(verdict, summary, tuple(checks), found.digest, evidence, found.signatures)  # type: ignore[arg-type]


def _proven(found: Found) -> str:
    shows = f"the pages show exactly the attached evidence (SHA-256 {found.digest})"
    if any(c.name == "rerender" and "visible signature appearance" in c.detail for c in found.checks):
        shows += ", and a visible signature appearance its signer drew over them"
    expected = any(c.name == "expected_sha256" for c in found.checks)
    if found.signatures:
        who = "; ".join(s.detail for s in found.signatures)
        anchored = all(s.trusted for s in found.signatures)
        kind = "authentic: signed" if anchored else "signed"
        return f"{kind} by {who}; {shows}" + ("" if anchored else ". Pass --trust CERT to check who the signer is")
    if expected:
        return f"consistent, and the evidence is the one recorded elsewhere: {shows}, and it hashes to the value given"
    if found.kind == "html":
        return (
            f"consistent: {shows}. Nothing in an HTML page proves who made it (it cannot carry a signature): "
            "compare the SHA-256 with one recorded when it was made (--evidence-sha256), or check the signed PDF"
        )
    return (
        f"consistent, unsigned: {shows}. Nothing in the file proves who made it: sign it (explain sign) or "
        "compare the SHA-256 with one recorded when it was made (--evidence-sha256)"
    )


def evidence_checks(data: bytes, found: Found, escape: bool = False) -> dict[str, Any] | None:
    """``canonical``: the attached bytes are canonical JSON; returns the evidence when they are.

    ``escape``: the bytes are embedded in HTML, with every ``<`` written ``\\u003c``.
    """
    try:
        evidence = json.loads(data)
        spelled = canonical_json(evidence) if isinstance(evidence, dict) else b""
        canonical = isinstance(evidence, dict) and (spelled.replace(b"<", b"\\u003c") if escape else spelled) == data
    except (ValueError, TypeError, RecursionError, OverflowError) as exc:
        found.checks.append(Check("canonical", False, f"not valid JSON: {exc}"))
        return None
    detail = "canonical JSON" if canonical else "valid JSON, but not canonical: it was edited or re-encoded"
    found.checks.append(Check("canonical", canonical, detail))
    return evidence if canonical else None


def hash_check(name: str, where: str, shown: str | None, digest: str) -> Check:
    """The SHA-256 shown at ``where`` equals the evidence's."""
    if shown is None:
        return Check(name, False, f"no evidence SHA-256 found in the {where}")
    same = shown == digest
    return Check(name, same, f"{where} shows {shown}" + ("" if same else f", the evidence hashes to {digest}"))


def renderer_check(claimed_text: str | None, evidence: dict[str, Any], libraries: Sequence[str]) -> Check:
    """``renderer``: the versions the evidence records (hashed) for the renderer, the metadata's
    generator agrees with them, and they are the ones installed here.

    The generator is unsigned metadata: it is only checked, never used in place of the evidence.
    A version the evidence does not record cannot be checked ("cannot verify"); a generator that
    disagrees with the evidence, or evidence recording something that is not a version, is a
    changed file.
    """
    pinned = recorded(evidence, libraries)
    bad = [name for name, v in pinned.items() if not valid_version(v)]
    if bad:
        shown = ", ".join(f"{n} {pinned[n][:40]!r}" for n in bad)
        return Check("renderer", False, f"the evidence records {shown}, which explain never writes: not a version")
    claimed = parse_generator(claimed_text) if claimed_text else None
    if claimed is None:
        given = claimed_text[:60] if claimed_text else None
        return Check("renderer", False, f"the metadata names no generator ({given!r}); explain writes one")
    conflict = [f"{n} {str(claimed.get(n))[:40]!r} (the evidence records {v})" for n, v in pinned.items()
                if claimed.get(n) != v]  # fmt: skip
    if conflict:
        return Check("renderer", False, f"the metadata names {', '.join(conflict)}: the generator was changed")
    unknown = [n for n in libraries if n not in pinned]
    if unknown:
        return Check(
            "renderer",
            None,
            f"the evidence does not record which version of {', '.join(unknown)} rendered the file, so the pages "
            "cannot be rendered again to check them (explain.audit records it when the renderer is installed)",
        )
    here = running(libraries)
    if pinned != here:
        pins = " ".join(f"{n}=={v}" for n, v in pinned.items() if here[n] != v)
        return Check(
            "renderer",
            None,
            f"rendered by {format_generator(pinned)} (as the evidence records); this is {format_generator(here)}: "
            f"the pages can only be checked with the same versions (pip install {pins})",
        )
    return Check("renderer", True, f"{format_generator(pinned)}, as the evidence records, installed here")


def expected_check(expected: str | None, digest: str) -> list[Check]:
    """``expected_sha256``: the evidence is the one recorded elsewhere (only when a value is given)."""
    if expected is None:
        return []
    same = expected.lower() == digest
    detail = "the evidence hashes to the SHA-256 given" if same else f"the evidence hashes to {digest}, not {expected}"
    return [Check("expected_sha256", same, detail)]


def _sniff(data: bytes) -> str | None:
    head = data[:1024].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if b"%PDF-" in data[:1024]:
        return "pdf"
    if head.startswith((b"<!doctype html", b"<html")):
        return "html"
    return None


def _not_a_file(path: Path) -> str:
    """What ``path`` is when it is not a regular file ("a directory", ...); "" for a regular file."""
    import stat

    mode = path.stat().st_mode  # follows a symbolic link, as reading does
    if stat.S_ISREG(mode):
        return ""
    kinds = ((stat.S_ISDIR, "a directory"), (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
             (stat.S_ISFIFO, "a named pipe"), (stat.S_ISSOCK, "a socket"))  # fmt: skip
    name = next((name for test, name in kinds if test(mode)), "a special file")
    return name if name == "a directory" else f"{name} (not a regular file)"


def verify_report(
    path: str | Path,
    *,
    trust: Sequence[str | Path] = (),
    require_signature: bool = False,
    evidence_sha256: str | None = None,
) -> VerifyResult:
    """Check an audit report, PDF or HTML (told apart by content, not by name).

    Parameters
    ----------
    path : str or Path
        The report.
    trust : sequence of paths
        Certificates (PEM or DER) the signer must chain to; implies ``require_signature``.
    require_signature : bool
        An unsigned report does not verify (verdict ``altered``: not authenticated as asked).
    evidence_sha256 : str, optional
        The evidence SHA-256 recorded when the report was made; the evidence must hash to it.

    Returns
    -------
    VerifyResult
        The verdict, what was proven, and every check (see the module docstring).

    Raises
    ------
    MissingDependencyError
        If ``pypdf`` (the ``pdf`` extra) is not installed, for a PDF.
    InputError
        If a trust certificate cannot be read.
    """
    try:
        what = _not_a_file(Path(path))  # before reading: a named pipe would block the read
        data = b"" if what else Path(path).read_bytes()
    except OSError as exc:
        return conclude(Found([Check("opens", False, f"{str(path)!r} cannot be read: {exc.strerror or exc}")]), ())
    if what or not data:
        what = f"{what}, not a report" if what else "an empty file (0 bytes), neither a PDF nor an HTML page"
        return conclude(Found([Check("opens", False, f"{str(path)!r} is {what}")]), ())
    kind = _sniff(data)
    if kind == "pdf":
        return verify_pdf(path, trust=trust, require_signature=require_signature, evidence_sha256=evidence_sha256)
    if kind == "html":
        return verify_html(path, require_signature=require_signature or bool(trust), evidence_sha256=evidence_sha256)
    return conclude(Found([Check("opens", False, f"{str(path)!r} is neither a PDF nor an HTML page")]), ())


def verify_pdf(
    path: str | Path,
    *,
    trust: Sequence[str | Path] = (),
    require_signature: bool = False,
    evidence_sha256: str | None = None,
) -> VerifyResult:
    """Check an audit PDF (see :func:`verify_report` and the module docstring)."""
    from explain.report._verify_pdf import NAMES, pdf_checks

    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        return conclude(Found([Check("opens", False, f"{str(path)!r} cannot be read: {exc.strerror or exc}")]), NAMES)
    found = pdf_checks(data, trust=trust, require_signature=require_signature or bool(trust))
    if found.digest is not None and not any(c.passed is False for c in found.checks):
        found.checks.extend(expected_check(evidence_sha256, found.digest))
    return conclude(found, NAMES)


def verify_html(
    path: str | Path, *, require_signature: bool = False, evidence_sha256: str | None = None
) -> VerifyResult:
    """Check an audit HTML page: its embedded evidence, its hashes, and the page rendered again."""
    from explain.report._verify_html import NAMES, html_checks

    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        return conclude(Found([Check("opens", False, f"{str(path)!r} cannot be read: {exc.strerror or exc}")]), NAMES)
    found = html_checks(data, require_signature=require_signature)
    if found.digest is not None and not any(c.passed is False for c in found.checks):
        found.checks.extend(expected_check(evidence_sha256, found.digest))
    return conclude(found, NAMES)
