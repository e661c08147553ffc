"""Progress bars for long work: shown when it is worth it, silent otherwise.

Methods wrap their chunk loops in :func:`progress`. The setting travels on the
:class:`~explain.methods._base.Job` (``Explainer(progress=...)``); there is no global switch.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator
from typing import TypeVar

__all__ = ["DELAY_SECONDS", "progress"]

T = TypeVar("T")

DELAY_SECONDS = 3.0  # progress=None: a bar appears only once the work has run this long


def progress(items: Iterable[T], *, total: int, setting: bool | None, desc: str) -> Iterator[T]:
    """Iterate over ``items`` (``total`` of them), with a tqdm bar on stderr if ``setting`` asks.

    ``setting``: ``False`` never shows a bar, ``True`` always does, ``None`` shows one only on
    an interactive stderr (a terminal, or a Jupyter notebook) and only once the work has lasted
    ``DELAY_SECONDS`` (tqdm's ``delay``),
    so that quick calls and logs stay silent. A single item never gets a bar under ``None``.
    """
    if setting is False or (setting is None and (total < 2 or not _interactive())):
        yield from items
        return
    from tqdm import tqdm

    delay = 0.0 if setting else DELAY_SECONDS
    with tqdm(items, total=total, desc=desc, delay=delay, leave=False, file=sys.stderr) as bar:
        yield from bar


def _interactive() -> bool:
    """A person is watching: stderr is a terminal, or the code runs in a Jupyter kernel (whose
    streams are not terminals but show a bar's redraws in the cell's output)."""
    if _in_jupyter():
        return True
    isatty = getattr(sys.stderr, "isatty", None)
    try:
        return bool(isatty and isatty())
    except ValueError:  # a closed stream
        return False


def _in_jupyter() -> bool:
    ipython = sys.modules.get("IPython")  # never imported here: only if the user's session has it
    get_ipython = getattr(ipython, "get_ipython", None)
    shell = get_ipython() if callable(get_ipython) else None
    return shell is not None and getattr(shell, "kernel", None) is not None
