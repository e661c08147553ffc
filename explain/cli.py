"""The ``explain`` command line.

Subcommands
-----------
``explain demo [--out DIR]``
    Train a classifier on scikit-learn's bundled breast-cancer data, explain 200 test rows and
    write ``local_explanation.json``, ``global_explanation.json`` and ``summary.md`` into DIR
    (default ``./explain-demo``).

Exit codes: 0 success, 1 an :class:`~explain.errors.ExplainError` (the message says what to
fix), 2 a usage error (argparse's own).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

__all__ = ["build_parser", "main"]


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``explain`` command.

    Examples
    --------
    >>> args = build_parser().parse_args(["demo", "--out", "results"])
    >>> args.command, args.out
    ('demo', 'results')
    """
    from . import __version__

    parser = argparse.ArgumentParser(
        prog="explain",
        description="Explain machine-learning models: Shapley-value explanations, saved as JSON.",
    )
    parser.add_argument("--version", action="version", version=f"explain {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    demo = commands.add_parser(
        "demo",
        help="train a model on bundled data, explain it, and write the explanations",
        description=(
            "Train a HistGradientBoostingClassifier on scikit-learn's breast-cancer data, explain "
            "200 test rows with explain.Explainer, and write local_explanation.json, "
            "global_explanation.json and summary.md. Deterministic: random_state=0 throughout."
        ),
    )
    demo.add_argument("--out", default="explain-demo", metavar="DIR", help="output directory (default: %(default)s)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``explain`` command with ``argv`` (default: ``sys.argv[1:]``); return the exit code.

    Usage errors exit with code 2 through argparse (``SystemExit``).
    """
    args = build_parser().parse_args(argv)
    from .errors import ExplainError

    try:
        if args.command == "demo":
            return _demo(args.out)
    except ExplainError as exc:
        print(f"explain: error: {exc}", file=sys.stderr)
        return 1
    raise AssertionError(f"unhandled command {args.command!r}")  # argparse only accepts known commands


def _demo(out: str) -> int:
    from ._demo import describe, run_demo

    result = run_demo(out, log=lambda line: print(line, flush=True))
    print(describe(result))
    return 0
