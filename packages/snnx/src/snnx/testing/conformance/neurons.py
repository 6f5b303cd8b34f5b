"""Conformance of step neurons: signatures, conventions, state handling, agreement, errors."""

from __future__ import annotations

import inspect
from typing import Any

import numpy as np

from snnx.backend import Backend
from snnx.errors import InputDtypeError, ParameterRangeError, StateShapeError
from snnx.specs import NEURON_SPECS
from snnx.specs.neuron import NeuronSpec
from snnx.testing.conformance.common import REFERENCE, expect, inputs


def step_specs() -> dict[str, type[NeuronSpec]]:
    """Every neuron spec that is called one time step at a time."""
    return {name: spec for name, spec in NEURON_SPECS.items() if spec.kind == "step"}


def flatten(result: Any) -> list[Any]:
    """The arrays of a neuron's return value, nested tuples flattened, in order."""
    if isinstance(result, tuple):
        return [array for item in result for array in flatten(item)]
    return [result]


def structure(result: Any) -> Any:
    """The nesting of a return value: tuple lengths, with ``'array'`` for leaves."""
    return tuple(structure(item) for item in result) if isinstance(result, tuple) else "array"


def _spikes_of(result: Any) -> Any:
    return result[0] if isinstance(result, tuple) else result


def run_steps(backend: Backend, neuron: Any, steps: np.ndarray) -> tuple[np.ndarray, list[list[np.ndarray]]]:
    """Step ``neuron`` over ``steps [T, ...]``: NumPy spikes and every returned state per step."""
    spikes, states = [], []
    for x in steps:
        result = neuron(backend.asarray(x, dtype=str(steps.dtype)))
        arrays = [backend.to_numpy(array) for array in flatten(result)]
        spikes.append(arrays[0])
        states.append(arrays[1:])
    return np.stack(spikes), states


def pair(backend: Backend, spec: type[NeuronSpec], case: dict[str, Any]) -> tuple[Any, Any]:
    """The backend's neuron for ``case`` and a reference neuron with the very same weights."""
    ours = backend.neuron_class(spec)(**case)
    reference = REFERENCE.neuron_class(spec)(**case)
    reference.load_state_dict({name: backend.to_numpy(value) for name, value in ours.state_dict().items()})
    return ours, reference


def _shape(spec: type[NeuronSpec], case: dict[str, Any]) -> tuple[int, ...]:
    return spec.example_input_shape(spec.bind((), case))


def _dtype(spec: type[NeuronSpec], case: dict[str, Any]) -> str:
    """float32 inputs for neurons with layer weights (as they are usually run), else float64."""
    return "float32" if spec.weights(spec.bind((), case)) else "float64"


def check_signatures(backend: Backend) -> None:
    """Every neuron class has its spec's constructor signature (snnTorch's)."""
    for name, spec in NEURON_SPECS.items():
        cls = backend.neuron_class(spec)
        got = [(p.name, p.kind, p.default) for p in inspect.signature(cls).parameters.values()]
        want = [(p.name, p.kind, p.default) for p in spec.signature().parameters.values()]
        assert got == want, f"{backend.name}.{name}: signature {got} != spec {want}"


def check_shapes_and_dtypes(backend: Backend) -> None:
    """Outputs keep the input's floating dtype; return conventions follow the spec."""
    for name, spec in step_specs().items():
        cls = backend.neuron_class(spec)
        case = spec.examples()[0]
        config = spec.bind((), case)
        placeholder = spec.outputs("spk", tuple(spec.states), {**config, "init_hidden": False})
        for dtype in ("float32", "float64"):
            x = backend.asarray(inputs(_shape(spec, case), dtype)[0], dtype=dtype)
            result = cls(**case)(x)
            assert structure(result) == structure(placeholder), (
                f"{backend.name}.{name}: returned {structure(result)}, expected {structure(placeholder)}"
            )
            for array in flatten(result):
                out = backend.to_numpy(array)
                assert str(out.dtype) == dtype, f"{backend.name}.{name}: dtype {out.dtype} != input {dtype}"
        if "init_hidden" not in config:
            continue
        x = backend.asarray(inputs(_shape(spec, case))[0], "float32")
        hidden = cls(**case, init_hidden=True)(x)
        want = spec.outputs("spk", tuple(spec.states), {**config, "init_hidden": True, "output": False})
        assert structure(hidden) == structure(want), f"{backend.name}.{name}: init_hidden returns {hidden!r}"
        both = cls(**case, init_hidden=True, output=True)(x)
        assert isinstance(both, tuple), f"{backend.name}.{name}: output=True must return (spk, *states)"


def check_state_init_and_reset(backend: Backend) -> None:
    """Fresh state is zero; reset_hidden forgets; mismatched state shapes are errors."""
    for name, spec in step_specs().items():
        case = spec.examples()[0]
        shape, dtype = _shape(spec, case), _dtype(spec, case)
        steps = inputs(shape, dtype)
        neuron, _ = pair(backend, spec, case)
        fresh = run_steps(backend, neuron, steps)[0]
        neuron.reset_hidden()
        again = run_steps(backend, neuron, steps)[0]
        np.testing.assert_array_equal(again, fresh, err_msg=f"{backend.name}.{name}: reset_hidden")

        config = spec.bind((), case)
        x = backend.asarray(steps[0], dtype)
        state_shape = spec.state_shape(config, backend.to_numpy(x))
        zeros = tuple(backend.asarray(np.zeros(state_shape), dtype) for _ in spec.states)
        neuron.reset_hidden()
        explicit = neuron(x, *spec.pack_states(zeros))
        np.testing.assert_array_equal(
            backend.to_numpy(_spikes_of(explicit)), fresh[0], err_msg=f"{backend.name}.{name}: zero state"
        )
        wrong = tuple(
            backend.asarray(np.zeros((state_shape[0] + 1, *state_shape[1:])), dtype) for _ in spec.states
        )
        with expect(StateShapeError, f"{backend.name}.{name}: passed state of wrong shape"):
            neuron(x, *spec.pack_states(wrong))
        if "init_hidden" not in config:
            continue
        stale = backend.neuron_class(spec)(**case, init_hidden=True)
        stale(x)
        other_batch = backend.asarray(inputs((shape[0] + 1, *shape[1:]))[0], dtype)
        with expect(StateShapeError, f"{backend.name}.{name}: stored state of another batch size"):
            stale(other_batch)


def check_agrees_with_reference(backend: Backend) -> None:
    """Spikes and states over 20 steps match the NumPy reference for every example.

    Tolerance 1e-6, relative to the states' magnitude where it exceeds 1 (float32
    layer weights round at about 1e-7 of the largest value).
    """
    for name, spec in step_specs().items():
        for case in spec.examples():
            steps = inputs(_shape(spec, case), _dtype(spec, case), scale=1.5)
            ours, reference = pair(backend, spec, case)
            got, want = run_steps(backend, ours, steps), run_steps(REFERENCE, reference, steps)
            where = f"{backend.name}.{name}({case})"
            np.testing.assert_allclose(got[0], want[0], atol=1e-6, err_msg=f"{where}: spikes")
            for step, (a, b) in enumerate(zip(got[1], want[1])):
                for index, (state_a, state_b) in enumerate(zip(a, b)):
                    scale = max(1.0, float(np.max(np.abs(state_b), initial=0.0)))
                    np.testing.assert_allclose(
                        state_a, state_b, atol=1e-6 * scale, err_msg=f"{where}: state {index} at step {step}"
                    )


def check_bad_arguments(backend: Backend) -> None:
    """Each spec's invalid constructor arguments raise errors; integer inputs are refused."""
    for name, spec in NEURON_SPECS.items():
        cls = backend.neuron_class(spec)
        for bad in spec.invalid_examples():
            with expect((ParameterRangeError, TypeError), f"{backend.name}.{name}({bad})"):
                cls(**bad)
    for name, spec in step_specs().items():
        case = spec.examples()[0]
        with expect(InputDtypeError, f"{backend.name}.{name} on integer input"):
            backend.neuron_class(spec)(**case)(backend.asarray(np.ones(_shape(spec, case)), dtype="int64"))


CHECKS = (
    check_signatures,
    check_shapes_and_dtypes,
    check_state_init_and_reset,
    check_agrees_with_reference,
    check_bad_arguments,
)
