"""Conformance of helper layers (spec kind ``"layer"``): agreement, per-step structure, errors."""

from __future__ import annotations

from typing import Any

import numpy as np

from snnx.backend import Backend
from snnx.specs import NEURON_SPECS
from snnx.specs.layers import LayerSpec
from snnx.testing.conformance.common import REFERENCE, SEED, expect, inputs

TOLERANCE = {"atol": 1e-6, "rtol": 1e-6}


def layer_specs() -> dict[str, type[LayerSpec]]:
    """Every spec of kind ``"layer"``."""
    return {name: spec for name, spec in NEURON_SPECS.items() if spec.kind == "layer"}  # type: ignore[misc]


def _state(backend: Backend, layer: Any) -> dict[str, np.ndarray]:
    return {name: np.array(backend.to_numpy(value)) for name, value in layer.state_dict().items()}


def pair(backend: Backend, spec: type[LayerSpec], case: dict[str, Any]) -> tuple[Any, Any]:
    """The backend's layer for ``case`` and a reference layer with the very same arrays.

    Learnable scales (``weight``, ``weights``) are first spread around their initial
    values, so that outputs depend on them.
    """
    ours = backend.neuron_class(spec)(**case)
    state = _state(backend, ours)
    rng = np.random.default_rng(SEED)
    for name, value in state.items():
        if name.rpartition(".")[2] in ("weight", "weights"):
            state[name] = (value * rng.uniform(0.5, 1.5, size=value.shape)).astype(value.dtype)
    ours.load_state_dict(
        {name: backend.asarray(value, dtype=str(value.dtype)) for name, value in state.items()}
    )
    reference = REFERENCE.neuron_class(spec)(**case)
    reference.load_state_dict(_state(backend, ours))
    return ours, reference


def run_layer(backend: Backend, layer: Any, steps: np.ndarray, per_step: bool) -> np.ndarray:
    """Outputs for ``steps [T, ...]``: input ``t`` goes to ``layer[t % len(layer)]`` for per-step layers."""
    outputs = []
    for t, x in enumerate(steps):
        target = layer[t % len(layer)] if per_step else layer
        outputs.append(backend.to_numpy(target(backend.asarray(x, dtype=str(steps.dtype)))))
    return np.stack(outputs)


def _compare_states(backend: Backend, ours: Any, reference: Any, where: str) -> None:
    got, want = _state(backend, ours), _state(REFERENCE, reference)
    assert sorted(got) == sorted(want), f"{where}: state_dict keys {sorted(got)} != reference {sorted(want)}"
    for name in want:
        np.testing.assert_allclose(got[name], want[name], **TOLERANCE, err_msg=f"{where}: {name}")


def check_layers_agree_with_reference(backend: Backend) -> None:
    """Outputs in training and evaluation mode, and the arrays after training, match the reference."""
    for name, spec in layer_specs().items():
        for case in spec.examples():
            config = spec.bind((), case)
            per_step = spec.steps(config) is not None
            steps = inputs(spec.example_input_shape(config), "float32", scale=1.5)
            ours, reference = pair(backend, spec, case)
            where = f"{backend.name}.{name}({case})"
            for mode in ("train", "eval"):
                getattr(ours, mode)()
                getattr(reference, mode)()
                got = run_layer(backend, ours, steps, per_step)
                want = run_layer(REFERENCE, reference, steps, per_step)
                assert got.dtype == np.float32, f"{where}: {mode} output dtype {got.dtype} != float32"
                np.testing.assert_allclose(got, want, **TOLERANCE, err_msg=f"{where}: {mode} outputs")
                _compare_states(backend, ours, reference, f"{where} after {mode}")


def check_per_step_layers(backend: Backend) -> None:
    """Per-step layers hold one layer per step with separate statistics; steps past the end are refused."""
    for name, spec in layer_specs().items():
        case = spec.examples()[0]
        config = spec.bind((), case)
        steps = spec.steps(config)
        if steps is None:
            continue
        layer = backend.neuron_class(spec)(**case)
        where = f"{backend.name}.{name}({case})"
        assert len(layer) == steps, f"{where}: {len(layer)} layers, expected time_steps={steps}"
        before = _state(backend, layer)
        x = inputs(spec.example_input_shape(config), "float32", scale=2.0)[0]
        layer[0](backend.asarray(x))
        after = _state(backend, layer)
        changed = {key.split(".")[0] for key in before if not np.array_equal(before[key], after[key])}
        assert changed == {"0"}, f"{where}: calling step 0 changed the arrays of steps {sorted(changed)}"
        for bad in (steps, -steps - 1):
            try:
                layer[bad]
            except IndexError as error:
                assert "time_steps" in str(error), (
                    f"{where}[{bad}]: IndexError {error} does not name time_steps"
                )
            else:
                raise AssertionError(f"{where}[{bad}]: expected IndexError")


def check_layer_input_errors(backend: Backend) -> None:
    """Inputs a layer cannot take (wrong feature count or rank) raise instead of broadcasting."""
    for name, spec in layer_specs().items():
        case = spec.examples()[0]
        config = spec.bind((), case)
        layer = backend.neuron_class(spec)(**case)
        target = layer[0] if spec.steps(config) is not None else layer
        for bad in spec.invalid_input_shapes(config):
            with expect((ValueError, RuntimeError), f"{backend.name}.{name}({case}) on input shape {bad}"):
                target(backend.asarray(np.ones(bad)))


CHECKS = (check_layers_agree_with_reference, check_per_step_layers, check_layer_input_errors)
