"""Conformance of spike functions: Heaviside forward, each spec's gradient backward."""

from __future__ import annotations

from typing import Any

import numpy as np

from snnx.backend import Backend
from snnx.specs import SURROGATE_SPECS, Surrogate, SurrogateSpec
from snnx.specs.parameters import Parameter
from snnx.testing.conformance.common import REFERENCE


def _example_custom_function(input_: Any, grad_input: Any, out: Any) -> Any:
    """A custom surrogate written with arithmetic only, so it runs on any backend's arrays."""
    return grad_input * (0.5 + 2.0 * out) / (1.0 + 3.0 * input_ * input_)


REQUIRED_EXAMPLES: dict[str, dict[str, Any]] = {
    "custom_surrogate": {"custom_surrogate_function": _example_custom_function},
}
"""Values for arguments a spec requires (it has no default to check with)."""

EXTRA_PARAMS: dict[str, list[dict[str, Any]]] = {
    "SFS": [{"slope": 3.0, "B": -0.5}, {"B": 0.0}],
    "spike_rate_escape": [{"beta": 0.0, "slope": 2.0}],
    "SSO": [{"mean": 0.3, "variance": 0.5}, {"mean": -2.0, "variance": 0.0}],
}
"""Further parameter sets for specs whose interesting cases scaling the defaults misses."""


def _surrogates(spec: SurrogateSpec) -> list[Surrogate]:
    """The spec at its defaults, with its numeric defaults scaled by 2.5, and any extra cases."""
    required = REQUIRED_EXAMPLES.get(spec.name, {})
    scaled = {p.name: p.default * 2.5 for p in spec.parameters if isinstance(p, Parameter)}
    sets = [{}, scaled, *EXTRA_PARAMS.get(spec.name, [])]
    return [Surrogate(spec, spec.bind((), {**required, **params})) for params in sets]


def check_spike_forward(backend: Backend) -> None:
    """Every surrogate's forward pass is the Heaviside step, 0 at exactly 0, in the input dtype."""
    u = np.array([-2.0, -1e-7, 0.0, 0.0, 1e-7, 3.0])
    for spec_name, spec in SURROGATE_SPECS.items():
        surrogate = _surrogates(spec)[0]
        for dtype in ("float32", "float64"):
            out = backend.spike_function(surrogate)(backend.asarray(u, dtype=dtype))
            got = backend.to_numpy(out)
            assert str(got.dtype) == dtype, f"{backend.name}: {spec_name} forward dtype {got.dtype}"
            np.testing.assert_array_equal(got, (u > 0).astype(dtype), err_msg=f"{backend.name}: {spec_name}")


def check_surrogate_gradients(backend: Backend) -> None:
    """The backward pass equals each deterministic spec's derivative (defaults and other parameters)."""
    u = np.concatenate([np.linspace(-3, 3, 61), [0.0, -0.0, 1e-6, -1e-6, 1.0, 2.5, -0.5]])
    for spec in SURROGATE_SPECS.values():
        if spec.stochastic:
            continue
        for surrogate in _surrogates(spec):
            got = backend.to_numpy(backend.surrogate_gradient(surrogate, backend.asarray(u, "float64")))
            want = surrogate.derivative(REFERENCE.ops, u)
            np.testing.assert_allclose(
                got, want, rtol=1e-6, atol=1e-12, err_msg=f"{backend.name}: {surrogate!r} gradient"
            )


def check_stochastic_surrogate_gradients(backend: Backend) -> None:
    """Stochastic specs (SSO): 1 where ``u > 0``; elsewhere noise within its bounds, mean and spread.

    Only the distribution is checked: seeded draws need not agree across backends.
    """
    u = np.concatenate([np.linspace(-3, 3, 61), [0.0, -0.0, 1e-6, -1e-6], np.full(4000, -0.25)])
    below = u <= 0
    for spec_name, spec in SURROGATE_SPECS.items():
        if not spec.stochastic:
            continue
        assert spec_name == "SSO", f"no conformance check knows the stochastic surrogate {spec_name!r}"
        for surrogate in _surrogates(spec):
            mean, variance = surrogate.params["mean"], surrogate.params["variance"]
            where = f"{backend.name}: {surrogate!r} gradient"
            got = backend.to_numpy(backend.surrogate_gradient(surrogate, backend.asarray(u, "float64")))
            assert got.shape == u.shape and np.all(np.isfinite(got)), where
            np.testing.assert_array_equal(got[~below], 1.0, err_msg=f"{where} where u > 0")
            noise = got[below]
            low, high = (mean - 0.5) * variance, (mean + 0.5) * variance
            assert np.all((noise >= low - 1e-12) & (noise <= high + 1e-12)), (
                f"{where}: outside [{low}, {high}]"
            )
            # uniform on [low, high): mean mean * variance, standard deviation variance / sqrt(12)
            spread = variance / np.sqrt(12)
            assert abs(noise.mean() - mean * variance) <= 10 * spread / np.sqrt(noise.size) + 1e-12, where
            if variance > 0:
                assert abs(noise.std() - spread) <= 0.1 * spread, f"{where}: spread {noise.std()}"
                again = backend.to_numpy(backend.surrogate_gradient(surrogate, backend.asarray(u, "float64")))
                assert not np.array_equal(again[below], noise), f"{where}: the same noise on two passes"


def check_custom_surrogate_gradients(backend: Backend) -> None:
    """``custom_surrogate``: the user's function gets ``(u, dL/dS, spikes)``; its result is returned."""
    u = np.array([-2.0, -0.5, 0.0, -0.0, 1e-6, 0.5, 3.0])
    calls: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
    result = np.array([7.0, -1.0, 0.25, 3.0, 0.0, 2.0, -4.5])

    def recording(input_: Any, grad_input: Any, out: Any) -> Any:
        calls.append((backend.to_numpy(input_), backend.to_numpy(grad_input), backend.to_numpy(out)))
        return backend.asarray(result, "float64")

    surrogate = Surrogate(
        SURROGATE_SPECS["custom_surrogate"],
        SURROGATE_SPECS["custom_surrogate"].bind((recording,), {}),
    )
    got = backend.to_numpy(backend.surrogate_gradient(surrogate, backend.asarray(u, "float64")))
    assert len(calls) == 1, f"{backend.name}: custom_surrogate function called {len(calls)} times, not once"
    input_, grad_input, out = calls[0]
    np.testing.assert_array_equal(input_, u, err_msg=f"{backend.name}: custom_surrogate input_")
    np.testing.assert_array_equal(grad_input, np.ones_like(u), err_msg=f"{backend.name}: custom grad_input")
    np.testing.assert_array_equal(out, (u > 0).astype(out.dtype), err_msg=f"{backend.name}: custom out")
    np.testing.assert_array_equal(
        got, result, err_msg=f"{backend.name}: custom_surrogate result not returned"
    )


CHECKS = (
    check_spike_forward,
    check_surrogate_gradients,
    check_stochastic_surrogate_gradients,
    check_custom_surrogate_gradients,
)
GRADIENT_CHECKS = {"surrogate_gradients", "stochastic_surrogate_gradients", "custom_surrogate_gradients"}
