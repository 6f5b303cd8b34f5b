"""Forward-only NumPy realisation of step neurons, built generically from each spec."""

from __future__ import annotations

from typing import Any

import numpy as np

from snnx.numpy_backend.modules import OPS, NumpyModule
from snnx.specs.neuron import check_input, resolve_state
from snnx.surrogate import atan

EMPTY = np.zeros(0, dtype=np.float32)


def heaviside(u: np.ndarray) -> np.ndarray:
    return OPS.heaviside(u)


class NumpyNeuron(NumpyModule):
    """A step neuron run by the reference backend: same constructor and call as the torch one.

    Learnable flags are accepted (so one script runs on every backend) but do
    nothing here: the reference backend computes forward passes only.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.spike_grad = self.config.get("spike_grad") or atan()
        self.init_hidden = self.config.get("init_hidden", False)
        self.output = self.config.get("output", False)
        self.reset_hidden()

    def reset_hidden(self) -> None:
        """Forget the hidden state; the next call starts from zero."""
        self.state = {name: EMPTY for name in self.spec.states}

    def __call__(self, x: np.ndarray, *states: Any) -> Any:
        x = np.asanyarray(x)
        name = self.spec.name
        check_input(name, x)
        self.spec.check_input_shape(self.config, x)
        passed = self.spec.passed_states(states)
        if self.init_hidden and any(s is not None for s in passed):
            raise TypeError(
                f"{name}: do not pass state while init_hidden=True; the neuron keeps its own state."
            )
        shape = self.spec.state_shape(self.config, x)
        current = tuple(
            resolve_state(name, state_name, self.state[state_name], given, x, self.ops, shape)
            for state_name, given in zip(self.spec.states, passed)
        )
        spk, new_states = self.spec.step(
            self.ops, x, current, self.step_params(), self.config, self.ops.heaviside
        )
        self.state = dict(zip(self.spec.states, new_states))
        return self.spec.outputs(spk.astype(x.dtype), new_states, self.config)
