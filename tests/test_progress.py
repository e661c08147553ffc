"""The progress bar: silent unless asked or the work is long on a terminal; never global."""

from __future__ import annotations

import io

import numpy as np
import pytest
from sklearn.datasets import load_diabetes
from sklearn.linear_model import Ridge

import explain as ex
from explain import _progress
from explain.errors import InputError


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize("setting", [False, None])
def test_silent_unless_asked_off_a_terminal(monkeypatch, setting):
    stream = io.StringIO()
    monkeypatch.setattr("sys.stderr", stream)
    assert list(_progress.progress(range(5), total=5, setting=setting, desc="x")) == list(range(5))
    assert stream.getvalue() == ""


def test_true_always_shows_progress(monkeypatch):
    stream = io.StringIO()
    monkeypatch.setattr("sys.stderr", stream)
    assert list(_progress.progress(range(5), total=5, setting=True, desc="work")) == list(range(5))
    assert "work" in stream.getvalue() and "/5" in stream.getvalue()


def test_true_off_a_terminal_writes_whole_lines_not_a_bar(monkeypatch):
    """A log (CI, a file): no carriage-return redraws, every line ends, at most one per tenth."""
    monkeypatch.delenv("CI", raising=False)
    stream = io.StringIO()
    monkeypatch.setattr("sys.stderr", stream)
    assert list(_progress.progress(range(40), total=40, setting=True, desc="kernel_shap")) == list(range(40))
    text = stream.getvalue()
    assert "\r" not in text and "\x1b" not in text and text.endswith("\n")
    lines = text.splitlines()
    assert len(lines) == 10 and all(line.startswith("kernel_shap: ") for line in lines)
    assert lines[0].startswith("kernel_shap: 4/40 (10%)") and lines[-1].startswith("kernel_shap: 40/40 (100%)")


def test_audit_step_lines_and_progress_do_not_run_into_each_other(monkeypatch):
    """The audit prints whole step lines to stderr between calls that show progress: in a log
    each line is either a step or progress, never a step glued to the end of a bar."""
    monkeypatch.delenv("CI", raising=False)
    stream = io.StringIO()
    monkeypatch.setattr("sys.stderr", stream)
    print("[audit  1   0.0 s] explaining", file=stream, flush=True)
    list(_progress.progress(range(5), total=5, setting=True, desc="kernel_shap"))
    print("[audit  2   0.4 s] fairness", file=stream, flush=True)
    lines = stream.getvalue().split("\n")
    assert lines[-1] == ""  # everything ended with a newline
    assert lines[0] == "[audit  1   0.0 s] explaining" and lines[-2] == "[audit  2   0.4 s] fairness"
    assert all(line.startswith("kernel_shap: ") and "\r" not in line for line in lines[1:-2])


@pytest.mark.parametrize("value", ["true", "1", "True", "yes"])
def test_ci_is_not_interactive_even_on_a_terminal(monkeypatch, value):
    """Some CI runners give the job a pseudo-terminal; CI=true still means a log, not a person."""
    terminal = _Terminal()
    monkeypatch.setattr("sys.stderr", terminal)
    monkeypatch.setattr(_progress, "DELAY_SECONDS", 0.0)
    monkeypatch.setenv("CI", value)
    list(_progress.progress(range(5), total=5, setting=None, desc="auto"))
    assert terminal.getvalue() == ""  # progress=None: silent in CI
    list(_progress.progress(range(5), total=5, setting=True, desc="asked"))
    assert "\r" not in terminal.getvalue() and terminal.getvalue().count("\n") == 5  # lines, no bar
    monkeypatch.setenv("CI", "false")
    assert _progress._interactive()


def test_none_on_a_terminal_waits_until_the_work_is_long(monkeypatch):
    monkeypatch.delenv("CI", raising=False)
    terminal = _Terminal()
    monkeypatch.setattr("sys.stderr", terminal)
    assert list(_progress.progress(range(5), total=5, setting=None, desc="quick")) == list(range(5))
    assert terminal.getvalue() == ""  # done before the delay
    monkeypatch.setattr(_progress, "DELAY_SECONDS", 0.0)
    list(_progress.progress(range(5), total=5, setting=None, desc="long"))
    assert "long" in terminal.getvalue()


def test_explainer_passes_progress_to_the_method(capsys):
    X, y = load_diabetes(return_X_y=True)
    X = X[:, :4]
    model = Ridge().fit(X, y)
    explainer = ex.Explainer(model, background=X[:10], method="kernel_shap", progress=True)
    assert explainer.progress is True  # stored as given
    quiet = ex.Explainer(model, background=X[:10], method="kernel_shap", progress=False).explain_local(X[:40])
    assert capsys.readouterr().err == ""
    shown = explainer.explain_local(X[:40])
    assert "kernel_shap" in capsys.readouterr().err
    assert np.array_equal(shown.values, quiet.values)


@pytest.mark.parametrize(("key", "value"), [("progress", "yes"), ("n_jobs", 0), ("n_jobs", 1.5), ("n_jobs", True)])
def test_bad_settings_are_refused_with_the_fix(key, value):
    X, y = load_diabetes(return_X_y=True)
    model = Ridge().fit(X, y)
    with pytest.raises(InputError, match=key):  # refused when the Explainer is built (issue 12)
        ex.Explainer(model, background=X[:10], **{key: value})


@pytest.mark.parametrize("method", ["exact_shap", "kernel_shap", "permutation_shap", "lime"])
def test_every_model_agnostic_method_shows_its_bar(capsys, monkeypatch, method):
    from explain.methods import _batch

    monkeypatch.setattr(_batch, "MAX_TASK_ROWS", 2)  # several chunks of rows
    X, y = load_diabetes(return_X_y=True)
    X = X[:, :4]
    model = Ridge().fit(X, y)
    params = {"num_samples": 200} if method == "lime" else {}
    shown = ex.Explainer(model, background=X[:10], method=method, method_params=params, progress=True, n_jobs=2)
    quiet = ex.Explainer(model, background=X[:10], method=method, method_params=params, progress=False)
    values = shown.explain_local(X[:40]).values
    assert method in capsys.readouterr().err
    assert np.array_equal(quiet.explain_local(X[:40]).values, values)
    assert capsys.readouterr().err == ""


def test_none_in_a_jupyter_kernel_shows_a_bar_once_the_work_is_long(monkeypatch):
    """A notebook's stderr is not a terminal, but a person is watching it."""
    import sys
    import types

    class Shell:
        kernel = object()  # what an IPython kernel's shell has and a terminal IPython lacks

    fake = types.ModuleType("IPython")
    fake.get_ipython = lambda: Shell()  # type: ignore[attr-defined]
    monkeypatch.delenv("CI", raising=False)
    stream = io.StringIO()
    monkeypatch.setattr("sys.stderr", stream)
    monkeypatch.setattr(_progress, "DELAY_SECONDS", 0.0)
    list(_progress.progress(range(5), total=5, setting=None, desc="plain"))
    assert stream.getvalue() == ""  # no kernel: a log file, silent
    monkeypatch.setitem(sys.modules, "IPython", fake)
    list(_progress.progress(range(5), total=5, setting=None, desc="notebook"))
    assert "notebook" in stream.getvalue()
