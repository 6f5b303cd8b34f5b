"""Conformance of spike functions: Heaviside forward, each spec's derivative backward."""

from __future__ import annotations

import numpy as np

from snnx.backend import Backend
from snnx.specs import SURROGATE_SPECS, Surrogate
from snnx.testing.conformance.common import REFERENCE


def check_spike_forward(backend: Backend) -> None:
    """Every surrogate's forward pass is the Heaviside step, 0 at exactly 0, in the input dtype."""
    u = np.array([-2.0, -1e-7, 0.0, 0.0, 1e-7, 3.0])
    for spec_name, spec in SURROGATE_SPECS.items():
        surrogate = Surrogate(spec, spec.bind((), {}))
        for dtype in ("float32", "float64"):
            out = backend.spike_function(surrogate)(backend.asarray(u, dtype=dtype))
            got = backend.to_numpy(out)
            assert str(got.dtype) == dtype, f"{backend.name}: {spec_name} forward dtype {got.dtype}"
            np.testing.assert_array_equal(got, (u > 0).astype(dtype), err_msg=f"{backend.name}: {spec_name}")


def check_surrogate_gradients(backend: Backend) -> None:
    """The backward pass equals each spec's derivative (defaults and other parameters)."""
    u = np.concatenate([np.linspace(-3, 3, 61), [0.0, -0.0, 1e-6, -1e-6]])
    for spec_name, spec in SURROGATE_SPECS.items():
        for params in ({}, {p.name: p.default * 2.5 for p in spec.parameters}):
            surrogate = Surrogate(spec, spec.bind((), params))
            got = backend.to_numpy(backend.surrogate_gradient(surrogate, backend.asarray(u, "float64")))
            want = surrogate.derivative(REFERENCE.ops, u)
            np.testing.assert_allclose(
                got, want, rtol=1e-6, atol=1e-12, err_msg=f"{backend.name}: {spec_name}{params} gradient"
            )


CHECKS = (check_spike_forward, check_surrogate_gradients)
GRADIENT_CHECKS = {"surrogate_gradients"}
