"""Forward-only NumPy realisations of neuron specs, built generically from each spec."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from snnx.numpy_backend.ops import NumpyOps
from snnx.specs.neuron import NeuronSpec, check_input, resolve_state
from snnx.surrogate import atan

OPS = NumpyOps()
EMPTY = np.zeros(0, dtype=np.float32)


def heaviside(u: np.ndarray) -> np.ndarray:
    return OPS.heaviside(u)


def _stored(value: Any, dtype: str | None) -> np.ndarray:
    array = np.asarray(value)
    if dtype is not None:
        return array.astype(dtype)
    return array.astype(np.float32) if array.dtype.kind in "fb" or array.dtype == object else array


class NumpyModule:
    """What every reference-backend object shares: bound arguments and named arrays.

    ``state_dict()`` / ``load_state_dict()`` use snnTorch's names, so weights move
    between this backend and torch by name.
    """

    spec: type[NeuronSpec]
    ops: Any = OPS
    """The array operations the spec runs on (a forward-only backend may swap its own in)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        config = self.spec.bind(args, kwargs)
        self.config = config
        self.params: dict[str, np.ndarray] = {
            name: _stored(tensor.value, tensor.dtype) for name, tensor in self.spec.tensors(config).items()
        }
        rng = np.random.default_rng()
        for weight in self.spec.weights(config):
            self.params[weight.name] = weight.initial(rng)

    def __getattr__(self, name: str) -> Any:
        params = self.__dict__.get("params", {})
        if name in params:
            return params[name]
        config = self.__dict__.get("config", {})
        if name in config:
            return config[name]
        raise AttributeError(f"{type(self).__name__} has no attribute {name!r}")

    def state_dict(self) -> dict[str, np.ndarray]:
        """Copies of the parameters and buffers, by name."""
        return {name: value.copy() for name, value in self.params.items()}

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """Replace parameters and buffers by name; names and shapes must match exactly."""
        missing = sorted(set(self.params) - set(state))
        unexpected = sorted(set(state) - set(self.params))
        if missing or unexpected:
            raise KeyError(
                f"{self.spec.name}.load_state_dict: missing keys {missing}, unexpected keys {unexpected}."
            )
        for name, value in state.items():
            value = np.asarray(value.detach().cpu() if hasattr(value, "detach") else value)
            if value.shape != self.params[name].shape:
                raise ValueError(
                    f"{self.spec.name}.load_state_dict: {name!r} has shape {value.shape}, "
                    f"expected {self.params[name].shape}."
                )
            self.params[name] = value.astype(self.params[name].dtype)


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
        spk, new_states = self.spec.step(self.ops, x, current, self.params, self.config, self.ops.heaviside)
        self.state = dict(zip(self.spec.states, new_states))
        return self.spec.outputs(spk.astype(x.dtype), new_states, self.config)


REALISERS: dict[str, type[NumpyModule]] = {"step": NumpyNeuron}
"""The reference-backend base class for each kind of spec."""


def realise(spec: type[NeuronSpec], ops: Any = OPS) -> type[NumpyModule]:
    """A forward-only class for ``spec`` running on ``ops``, named like the public class (``Leaky``)."""
    base = REALISERS[spec.kind]
    cls = type(spec.name, (base,), {"spec": spec, "ops": ops, "__doc__": spec.__doc__})
    cls.__signature__ = spec.signature()  # type: ignore[attr-defined]
    return cls
