"""Exceptions raised by ``explain``.

Every error a user can trigger is an :class:`ExplainError`. Each one also subclasses the
built-in exception a Python programmer would expect, so ``except ValueError`` keeps working::

    Exception
    └── ExplainError
        ├── InputError(ExplainError, ValueError)            bad data: shape, columns, NaN, empty
        │   └── FeatureMismatchError                         missing / extra / reordered columns
        ├── ModelError(ExplainError, TypeError)             a model we cannot use as given
        │   └── ModelNotFittedError(ModelError, ValueError)  the model has not been fitted
        ├── MethodError(ExplainError, ValueError)           unknown method, or one that does not
        │                                                    support this model / output / size
        ├── MissingDependencyError(ExplainError, ImportError)  an optional extra is not installed
        ├── AdditivityError(ExplainError, ArithmeticError)  an explanation failed its run-time check
        │                                                    (attributions do not add up): a bug
        └── SchemaError(ExplainError, ValueError)           a saved explanation that cannot be read

Messages name the offending value and say how to fix it.
"""

from __future__ import annotations

__all__ = [
    "AdditivityError",
    "ExplainError",
    "FeatureMismatchError",
    "InputError",
    "MethodError",
    "MissingDependencyError",
    "ModelError",
    "ModelNotFittedError",
    "SchemaError",
]


class ExplainError(Exception):
    """Base class of every error raised on purpose by ``explain``."""


class InputError(ExplainError, ValueError):
    """The data passed in cannot be explained as given (shape, values, emptiness)."""


class FeatureMismatchError(InputError):
    """The columns of the data do not match the columns the model or background expects."""


class ModelError(ExplainError, TypeError):
    """The model cannot be used as given (unknown kind, undeclared task, bad output)."""


class ModelNotFittedError(ModelError, ValueError):
    """The model has not been fitted yet."""


class MethodError(ExplainError, ValueError):
    """The explanation method is unknown, or does not support this model or setting."""


class AdditivityError(ExplainError, ArithmeticError):
    """An explanation failed the check made before it is returned: its attributions do not add up
    to the model's own prediction (or are not finite). It is not returned; the message asks for a
    bug report."""


class MissingDependencyError(ExplainError, ImportError):
    """An optional dependency is needed; the message names the extra to install."""


class SchemaError(ExplainError, ValueError):
    """A saved explanation or report does not follow the expected schema."""


def require(module: str, extra: str, purpose: str) -> object:
    """Import an optional module, or raise :class:`MissingDependencyError` naming the extra.

    Examples
    --------
    >>> require("json", extra="core", purpose="reading JSON").__name__
    'json'
    """
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise MissingDependencyError(
            f"{purpose} needs the optional package {module!r}, which is not installed. "
            f"Install it with: pip install 'explain[{extra}]'"
        ) from exc
