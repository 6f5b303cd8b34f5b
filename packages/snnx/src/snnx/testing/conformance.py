"""Conformance checks: what every backend must do the same way as the NumPy reference.

Each check takes a :class:`~snnx.backend.Backend` and raises ``AssertionError``
(naming the spec, case and what differed) when the backend falls short.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import numpy as np

from snnx.backend import Backend
from snnx.errors import InputDtypeError, ParameterRangeError, StateShapeError
from snnx.numpy_backend.backend import NumpyBackend
from snnx.specs import NEURON_SPECS, SURROGATE_SPECS, Surrogate
from snnx.specs.encoders import rate as rate_spec

Check = Callable[[Backend], None]
REFERENCE = NumpyBackend()
STEPS = 20
SEED = 1234


def _spikes_of(result):
    return result[0] if isinstance(result, tuple) else result


def _run(backend: Backend, neuron, inputs: np.ndarray):
    """Step ``neuron`` over ``inputs [T, ...]``; NumPy spikes and first state per step."""
    spikes, states = [], []
    for x in inputs:
        result = neuron(backend.asarray(x, dtype=str(inputs.dtype)))
        spikes.append(backend.to_numpy(_spikes_of(result)))
        states.append(backend.to_numpy(result[1]) if isinstance(result, tuple) else None)
    return np.stack(spikes), states


def _inputs(shape: tuple[int, ...], dtype: str = "float64", scale: float = 1.0) -> np.ndarray:
    return (np.random.default_rng(SEED).normal(size=(STEPS, *shape)) * scale + 0.3).astype(dtype)


def check_available(backend: Backend) -> None:
    """The backend reports itself available and lists at least one device."""
    status = backend.availability()
    assert status.available, f"{backend.name}: not available ({status.reason})"
    devices = backend.devices()
    assert devices and all(isinstance(d, str) for d in devices), f"{backend.name}: devices {devices!r}"


def check_signatures(backend: Backend) -> None:
    """Every neuron class has its spec's constructor signature (snnTorch's)."""
    for name, spec in NEURON_SPECS.items():
        cls = backend.neuron_class(spec)
        got = [(p.name, p.default) for p in inspect.signature(cls).parameters.values()]
        want = [(p.name, p.default) for p in spec.signature().parameters.values()]
        assert got == want, f"{backend.name}.{name}: signature {got} != spec {want}"


def check_shapes_and_dtypes(backend: Backend) -> None:
    """Spikes and states keep the input's shape and floating dtype; return conventions hold."""
    for name, spec in NEURON_SPECS.items():
        cls = backend.neuron_class(spec)
        for dtype in ("float32", "float64"):
            for shape in ((4, 5), (2, 5, 3)):
                x = backend.asarray(_inputs(shape, dtype)[0], dtype=dtype)
                result = cls(**spec.examples()[0])(x)
                assert isinstance(result, tuple) and len(result) == 1 + len(spec.states), (
                    f"{backend.name}.{name}: expected (spk, *states), got {type(result).__name__}"
                )
                for array in result:
                    out = backend.to_numpy(array)
                    assert out.shape == shape, f"{backend.name}.{name}: shape {out.shape} != input {shape}"
                    assert str(out.dtype) == dtype, (
                        f"{backend.name}.{name}: dtype {out.dtype} != input {dtype}"
                    )
        x = backend.asarray(_inputs((3, 5))[0])
        hidden = cls(**spec.examples()[0], init_hidden=True)
        assert not isinstance(hidden(x), tuple), f"{backend.name}.{name}: init_hidden must return spikes only"
        both = cls(**spec.examples()[0], init_hidden=True, output=True)(x)
        assert isinstance(both, tuple), f"{backend.name}.{name}: output=True must return (spk, *states)"


def check_state_init_and_reset(backend: Backend) -> None:
    """Fresh state is zero; reset_hidden forgets; mismatched state shapes are errors."""
    for name, spec in NEURON_SPECS.items():
        cls = backend.neuron_class(spec)
        inputs = _inputs((3, 5))
        fresh = _run(backend, cls(**spec.examples()[0]), inputs)[0]
        neuron = cls(**spec.examples()[0])
        _run(backend, neuron, inputs)
        neuron.reset_hidden()
        again = _run(backend, neuron, inputs)[0]
        np.testing.assert_array_equal(again, fresh, err_msg=f"{backend.name}.{name}: reset_hidden")
        zeros = [backend.asarray(np.zeros((3, 5))) for _ in spec.states]
        explicit = cls(**spec.examples()[0])(backend.asarray(inputs[0]), *zeros)
        np.testing.assert_array_equal(
            backend.to_numpy(_spikes_of(explicit)), fresh[0], err_msg=f"{backend.name}.{name}: zero state"
        )
        wrong = [backend.asarray(np.zeros((2, 5))) for _ in spec.states]
        with _expect(StateShapeError, f"{backend.name}.{name}: passed state of wrong shape"):
            cls(**spec.examples()[0])(backend.asarray(inputs[0]), *wrong)
        stale = cls(**spec.examples()[0], init_hidden=True)
        stale(backend.asarray(inputs[0]))
        with _expect(StateShapeError, f"{backend.name}.{name}: stored state of another batch size"):
            stale(backend.asarray(np.zeros((4, 5))))


def check_agrees_with_reference(backend: Backend) -> None:
    """Spikes and states over 20 steps match the NumPy reference for every example."""
    for name, spec in NEURON_SPECS.items():
        for case in spec.examples():
            inputs = _inputs((6, 5), scale=1.5)
            ours = _run(backend, backend.neuron_class(spec)(**case), inputs)
            reference = _run(REFERENCE, REFERENCE.neuron_class(spec)(**case), inputs)
            where = f"{backend.name}.{name}({case})"
            np.testing.assert_allclose(ours[0], reference[0], atol=1e-6, err_msg=f"{where}: spikes")
            for step, (a, b) in enumerate(zip(ours[1], reference[1])):
                np.testing.assert_allclose(a, b, atol=1e-6, err_msg=f"{where}: state at step {step}")


def check_bad_arguments(backend: Backend) -> None:
    """Out-of-range parameters, unknown options and integer inputs raise clear errors."""
    cls = backend.neuron_class(NEURON_SPECS["Leaky"])
    for bad in (
        {"beta": 1.5},
        {"beta": -0.1},
        {"beta": 0.9, "threshold": 0.0},
        {"beta": 0.9, "threshold": -1.0},
        {"beta": 0.9, "reset_mechanism": "bogus"},
    ):
        with _expect(ParameterRangeError, f"{backend.name}.Leaky({bad})"):
            cls(**bad)
    with _expect(InputDtypeError, f"{backend.name}.Leaky on integer input"):
        cls(beta=0.9)(backend.asarray(np.ones((2, 3)), dtype="int64"))


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


def check_rate_encoder(backend: Backend) -> None:
    """Rate coding: shape, 0/1 values, clipping, probabilities, silence, seeded reproducibility."""
    ops = backend.ops
    data = backend.asarray(np.array([[0.0, 0.25, 0.5, 1.0, 1.7, -0.3]]))
    steps = 4000
    spikes = backend.to_numpy(rate_spec(ops, data, steps, 1, 0, 0, False, backend.generator(SEED, like=data)))
    assert spikes.shape == (steps, 1, 6), f"{backend.name}: rate shape {spikes.shape}"
    assert set(np.unique(spikes)) <= {0.0, 1.0}, f"{backend.name}: rate values not 0/1"
    rates = spikes.mean(axis=0)[0]
    expected = np.array([0.0, 0.25, 0.5, 1.0, 1.0, 0.0])
    sigma = np.sqrt(expected * (1 - expected) / steps)
    assert np.all(np.abs(rates - expected) <= 4 * sigma + 1e-12), (
        f"{backend.name}: rates {rates} != {expected}"
    )
    again = backend.to_numpy(rate_spec(ops, data, steps, 1, 0, 0, False, backend.generator(SEED, like=data)))
    np.testing.assert_array_equal(spikes, again, err_msg=f"{backend.name}: seeded rate coding differs")
    late = backend.to_numpy(rate_spec(ops, data, 10, 1, 0, 3, False, backend.generator(SEED, like=data)))
    assert not late[:3].any(), f"{backend.name}: spikes before first_spike_time"


@contextmanager
def _expect(error: type[Exception], what: str) -> Iterator[None]:
    try:
        yield
    except error:
        return
    raise AssertionError(f"{what}: expected {error.__name__}")


CHECKS: dict[str, Check] = {
    check.__name__.removeprefix("check_"): check
    for check in (
        check_available,
        check_signatures,
        check_shapes_and_dtypes,
        check_state_init_and_reset,
        check_agrees_with_reference,
        check_bad_arguments,
        check_spike_forward,
        check_surrogate_gradients,
        check_rate_encoder,
    )
}
"""Every conformance check by name."""

GRADIENT_CHECKS = {"surrogate_gradients"}


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
