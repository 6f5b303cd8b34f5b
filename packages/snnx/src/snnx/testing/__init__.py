"""Tools for backend authors: the conformance suite every snnx backend must pass.

Run it from pytest::

    import pytest, snnx
    from snnx.testing import checks_for

    backend = snnx.get_backend("mybackend")

    @pytest.mark.parametrize("check", checks_for(backend), ids=lambda c: c.__name__)
    def test_conformance(check):
        check(backend)

or all at once with :func:`run_conformance`.
"""

from snnx.testing.conformance import CHECKS, checks_for, run_conformance

__all__ = ["CHECKS", "checks_for", "run_conformance"]
