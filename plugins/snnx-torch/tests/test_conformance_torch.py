"""The torch backend passes the whole conformance suite."""

import pytest

import snnx
from snnx.testing import checks_for

TORCH = snnx.get_backend("torch")


@pytest.mark.parametrize("check", checks_for(TORCH), ids=lambda check: check.__name__)
def test_torch_backend_conforms(check):
    check(TORCH)


def test_torch_backend_runs_the_gradient_checks_too():
    assert "check_surrogate_gradients" in [check.__name__ for check in checks_for(TORCH)]
