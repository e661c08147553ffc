"""Progress bars for long work: shown when it is worth it, silent otherwise.

Methods wrap their chunk loops in :func:`progress`. The setting travels on the
:class:`~explain.methods._base.Job` (``Explainer(progress=...)``); there is no global switch.

A bar is drawn only where a person watches it redraw: a terminal or a Jupyter notebook, and
never in continuous integration (``CI`` set, as GitHub Actions, GitLab CI and most others do,
even when they give the job a pseudo-terminal). Anywhere else stderr is a log that other code
(``explain.report.audit``'s ``[audit  N  t s]`` step lines) writes to as well; a bar's
carriage-return redraws would leave half lines there that the next step line runs into, so
progress asked for with ``progress=True`` is written as a few whole lines instead.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterable, Iterator
from typing import TypeVar

__all__ = ["DELAY_SECONDS", "progress"]

T = TypeVar("T")

DELAY_SECONDS = 3.0  # progress=None: a bar appears only once the work has run this long
_LINES = 10  # progress=True off a terminal: at most about this many lines (one per tenth done)


def progress(items: Iterable[T], *, total: int, setting: bool | None, desc: str) -> Iterator[T]:
    """Iterate over ``items`` (``total`` of them), with a tqdm bar on stderr if ``setting`` asks.

    ``setting``: ``False`` never shows progress. ``None`` shows a bar only on an interactive
    stderr (a terminal, or a Jupyter notebook, and not in CI) and only once the work has lasted
    ``DELAY_SECONDS`` (tqdm's ``delay``), so that quick calls and logs stay silent; a single
    item never gets a bar. ``True`` always shows progress: a bar where it is interactive, else
    whole lines (``desc: done/total (percent) seconds``, one per tenth of the work, each ending
    in a newline), never a redrawn bar.
    """
    if setting is False or (setting is None and (total < 2 or not _interactive())):
        yield from items
        return
    if not _interactive():
        yield from _lines(items, total, desc)
        return
    from tqdm import tqdm

    delay = 0.0 if setting else DELAY_SECONDS
    with tqdm(items, total=total, desc=desc, delay=delay, leave=False, file=sys.stderr) as bar:
        yield from bar


def _lines(items: Iterable[T], total: int, desc: str) -> Iterator[T]:
    """Progress for a log: a whole line each time another tenth of the items is done."""
    start, shown = time.perf_counter(), 0
    for done, item in enumerate(items, start=1):
        yield item  # the line reports the item done, once the caller asks for the next
        tenth = done * _LINES // max(total, 1)
        if tenth > shown:
            shown = tenth
            percent = 100 * done // max(total, 1)
            elapsed = time.perf_counter() - start
            print(f"{desc}: {done}/{total} ({percent}%) {elapsed:.1f} s", file=sys.stderr, flush=True)


def _interactive() -> bool:
    """A person is watching: not in CI, and stderr is a terminal or the code runs in a Jupyter
    kernel (whose streams are not terminals but show a bar's redraws in the cell's output)."""
    if _in_ci():
        return False
    if _in_jupyter():
        return True
    isatty = getattr(sys.stderr, "isatty", None)
    try:
        return bool(isatty and isatty())
    except ValueError:  # a closed stream
        return False


def _in_ci() -> bool:
    """``CI`` is set (``true``, ``1``, ``True`` ...) by GitHub Actions, GitLab CI, CircleCI,
    Travis, Azure Pipelines, Buildkite ...: a log is being written, whatever isatty says."""
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no", "off")


def _in_jupyter() -> bool:
    ipython = sys.modules.get("IPython")  # never imported here: only if the user's session has it
    get_ipython = getattr(ipython, "get_ipython", None)
    shell = get_ipython() if callable(get_ipython) else None
    return shell is not None and getattr(shell, "kernel", None) is not None
