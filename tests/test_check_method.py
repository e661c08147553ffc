"""explain.testing.check_method over every registered method, and that it catches broken ones."""

from __future__ import annotations

import dataclasses
from types import MappingProxyType

import numpy as np
import pytest

import explain.explainer
import explain.testing
from explain.errors import MethodError
from explain.methods import REGISTRY, Attribution
from explain.testing import check_method


@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_registered_method_conforms(name):
    check_method(name)


def test_unknown_method_is_an_error():
    with pytest.raises(MethodError, match="unknown method 'nope'"):
        check_method("nope")


def _register(monkeypatch, spec):
    registry = MappingProxyType({**REGISTRY, spec.name: spec})
    monkeypatch.setattr(explain.explainer, "REGISTRY", registry)
    monkeypatch.setattr(explain.testing, "REGISTRY", registry)


def _variant(monkeypatch, name, run, **changes):
    spec = dataclasses.replace(REGISTRY["linear_shap"], name=name, run=run, **changes)
    _register(monkeypatch, spec)


def test_catches_a_method_that_is_not_additive(monkeypatch):
    base_run = REGISTRY["linear_shap"].run

    def off_by_one(job, space):
        result = base_run(job, space)
        return Attribution(result.values + 1.0, result.base_values, result.params)

    _variant(monkeypatch, "off_by_one", off_by_one)
    # the Explainer refuses to return such values (AdditivityError), and check_method reports it
    with pytest.raises(AssertionError, match=r"AdditivityError: off_by_one attributions .* do not add up"):
        check_method("off_by_one")


def test_catches_a_method_that_is_not_deterministic(monkeypatch):
    base_run = REGISTRY["linear_shap"].run
    rng = np.random.default_rng()

    def noisy(job, space):
        result = base_run(job, space)
        return Attribution(result.values + rng.normal(size=result.values.shape) * 1e-3, result.base_values, {})

    _variant(monkeypatch, "noisy", noisy, additive=False)
    with pytest.raises(AssertionError, match="same random_state gave different values"):
        check_method("noisy")


def test_catches_a_method_that_uses_the_global_rng(monkeypatch):
    base_run = REGISTRY["linear_shap"].run

    def global_noise(job, space):
        result = base_run(job, space)
        noise = np.random.normal(size=result.values.shape) * 1e-3  # noqa: NPY002 - the bug under test
        return Attribution(result.values + noise, result.base_values, result.params)

    _variant(monkeypatch, "global_noise", global_noise, additive=False)
    with pytest.raises(AssertionError, match="global random number generator"):
        check_method("global_noise")


def test_a_method_cannot_alter_the_rows_it_explains(monkeypatch):
    """The rows a method receives are read-only, so the explanation's data is the user's."""
    base_run = REGISTRY["linear_shap"].run

    def meddling(job, space):
        job.X.values[0, 0] = 123.0
        return base_run(job, space)

    _variant(monkeypatch, "meddling", meddling)
    with pytest.raises(AssertionError, match="read-only"):
        check_method("meddling")


def test_catches_wrong_shapes(monkeypatch):
    base_run = REGISTRY["linear_shap"].run

    def first_output_only(job, space):
        result = base_run(job, space)
        return Attribution(result.values[:, :, :1], result.base_values[:, :1], result.params)

    _variant(monkeypatch, "first_output_only", first_output_only)
    with pytest.raises(AssertionError, match=r"multiclass.*shape"):
        check_method("first_output_only")


def test_catches_a_method_that_supports_nothing(monkeypatch):
    from explain.methods import Unsupported

    def never(job):
        raise Unsupported("never")

    _variant(monkeypatch, "never", REGISTRY["linear_shap"].run, support=never)
    with pytest.raises(AssertionError, match="supports none"):
        check_method("never")
