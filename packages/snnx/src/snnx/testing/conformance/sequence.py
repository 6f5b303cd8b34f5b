"""Conformance of whole-sequence neurons: return conventions, agreement, argument and input errors."""

from __future__ import annotations

from typing import Any

import numpy as np

from snnx.backend import Backend
from snnx.errors import InputDtypeError, ParameterRangeError
from snnx.specs import NEURON_SPECS
from snnx.specs.sequence import SequenceSpec
from snnx.testing.conformance.common import REFERENCE, expect, inputs


def sequence_specs() -> dict[str, type[SequenceSpec]]:
    """Every neuron spec that is called on a whole ``[time, batch, features]`` sequence."""
    return {name: spec for name, spec in NEURON_SPECS.items() if spec.kind == "sequence"}  # type: ignore[misc]


def _arrays(backend: Backend, result: Any) -> list[np.ndarray]:
    return [backend.to_numpy(array) for array in (result if isinstance(result, tuple) else (result,))]


def _input(spec: type[SequenceSpec], case: dict[str, Any], dtype: str = "float64") -> np.ndarray:
    """``STEPS`` steps of seeded input for ``case``: ``[time, batch, features]``."""
    return inputs(spec.example_input_shape(spec.bind((), case)), dtype, scale=1.5)


def sequence_pair(backend: Backend, spec: type[SequenceSpec], case: dict[str, Any]) -> tuple[Any, Any]:
    """The backend's neuron for ``case`` and a reference neuron with the very same tensors and weights."""
    ours = backend.neuron_class(spec)(**case)
    reference = REFERENCE.neuron_class(spec)(**case)
    reference.load_state_dict({name: backend.to_numpy(value) for name, value in ours.state_dict().items()})
    return ours, reference


def check_sequence_conventions(backend: Backend) -> None:
    """A call returns the spec's arrays (one bare, several as a tuple) of its shapes, in the input's dtype."""
    for name, spec in sequence_specs().items():
        cls = backend.neuron_class(spec)
        for case in spec.examples():
            config = spec.bind((), case)
            for dtype in ("float32", "float64"):
                x = _input(spec, case, dtype)
                result = cls(**case)(backend.asarray(x, dtype=dtype))
                want = spec.output_shapes(config, x.shape)
                where = f"{backend.name}.{name}({case}) on {dtype}"
                if len(want) == 1:
                    assert not isinstance(result, tuple), f"{where}: returned a tuple, expected one array"
                else:
                    assert isinstance(result, tuple) and len(result) == len(want), (
                        f"{where}: expected a tuple of {len(want)} arrays, got {type(result).__name__}"
                    )
                arrays = _arrays(backend, result)
                assert [a.shape for a in arrays] == list(want), f"{where}: shapes {[a.shape for a in arrays]}"
                assert all(str(a.dtype) == dtype for a in arrays), (
                    f"{where}: dtypes {[a.dtype for a in arrays]}"
                )
        for constructor in spec.constructors:
            assert callable(getattr(cls, constructor, None)), (
                f"{backend.name}.{name}.{constructor} is missing"
            )


def check_sequence_agrees_with_reference(backend: Backend) -> None:
    """Every returned array matches the NumPy reference, with the same weights, for every example."""
    for name, spec in sequence_specs().items():
        for case in spec.examples():
            x = _input(spec, case)
            ours, reference = sequence_pair(backend, spec, case)
            got = _arrays(backend, ours(backend.asarray(x, dtype="float64")))
            want = _arrays(REFERENCE, reference(x))
            for index, (a, b) in enumerate(zip(got, want, strict=True)):
                np.testing.assert_allclose(
                    a, b, atol=1e-6, err_msg=f"{backend.name}.{name}({case}): returned array {index}"
                )


def check_sequence_errors(backend: Backend) -> None:
    """Bad arguments, inputs of the wrong shape (naming the expected one) and integer inputs are refused."""
    for name, spec in sequence_specs().items():
        cls = backend.neuron_class(spec)
        for bad in spec.invalid_examples():
            with expect((ParameterRangeError, TypeError), f"{backend.name}.{name}({bad})"):
                cls(**bad)
        case = spec.examples()[0]
        config = spec.bind((), case)
        neuron = cls(**case)
        x = _input(spec, case)
        wrong = {
            "a 1-D input": x[0, 0],
            "too many features": np.concatenate([x, x[..., :1]], axis=2),
            "a 4-D input": x[..., None],
        }
        if not spec.unbatched:  # else [time, features] is one unbatched sequence
            wrong["one time step"] = x[0]
        for what, array in wrong.items():
            try:
                neuron(backend.asarray(array, dtype="float64"))
            except ValueError as error:
                assert spec.expected_input(config) in str(error), (
                    f"{backend.name}.{name} on {what}: the error does not name the expected shape: {error}"
                )
            else:
                raise AssertionError(f"{backend.name}.{name} on {what} {array.shape}: expected ValueError")
        with expect(InputDtypeError, f"{backend.name}.{name} on integer input"):
            neuron(backend.asarray(np.ones(x.shape), dtype="int64"))


CHECKS = (check_sequence_conventions, check_sequence_agrees_with_reference, check_sequence_errors)
