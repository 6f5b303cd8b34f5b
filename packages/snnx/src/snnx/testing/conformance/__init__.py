"""Conformance checks: what every backend must do the same way as the NumPy reference.

Each check takes a :class:`~snnx.backend.Backend` and raises ``AssertionError``
(naming the spec, case and what differed) when the backend falls short. The
checks live in one module per subject; this module gathers them.
"""

from __future__ import annotations

from snnx.backend import Backend
from snnx.testing.conformance import encoders, layers, neurons, sequence, surrogates
from snnx.testing.conformance.common import Check


def check_available(backend: Backend) -> None:
    """The backend reports itself available and lists at least one device."""
    status = backend.availability()
    assert status.available, f"{backend.name}: not available ({status.reason})"
    devices = backend.devices()
    assert devices and all(isinstance(d, str) for d in devices), f"{backend.name}: devices {devices!r}"


CHECKS: dict[str, Check] = {
    check.__name__.removeprefix("check_"): check
    for check in (
        check_available,
        *neurons.CHECKS,
        *surrogates.CHECKS,
        *encoders.CHECKS,
        *layers.CHECKS,
        *sequence.CHECKS,
    )
}
"""Every conformance check by name."""

GRADIENT_CHECKS = surrogates.GRADIENT_CHECKS
"""Checks that only apply to backends with ``supports_gradients``."""


def checks_for(backend: Backend) -> list[Check]:
    """The checks that apply to ``backend`` (gradient checks only where it has gradients)."""
    return [
        check for name, check in CHECKS.items() if backend.supports_gradients or name not in GRADIENT_CHECKS
    ]


def run_conformance(backend: Backend | str) -> list[str]:
    """Run every applicable check; returns their names, raises on the first failure."""
    if isinstance(backend, str):
        from snnx.selection import get_backend

        backend = get_backend(backend)
    passed = []
    for check in checks_for(backend):
        check(backend)
        passed.append(check.__name__)
    return passed
