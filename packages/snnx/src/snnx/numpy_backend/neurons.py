"""Forward-only NumPy realisations of neuron specs, built generically from each spec."""

from __future__ import annotations

from typing import Any

import numpy as np

from snnx.numpy_backend.ops import NumpyOps
from snnx.specs.neuron import NeuronSpec, check_input, neuron_outputs, resolve_state
from snnx.surrogate import atan

OPS = NumpyOps()
EMPTY = np.zeros(0, dtype=np.float32)


def heaviside(u: np.ndarray) -> np.ndarray:
    return OPS.heaviside(u)


class NumpyNeuron:
    """A neuron run by the reference backend: same constructor and call as the torch one.

    Learnable flags are accepted (so one script runs on every backend) but do
    nothing here: the reference backend computes forward passes only.
    """

    spec: type[NeuronSpec]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        config = self.spec.bind(args, kwargs)
        self.config = config
        self.params = {p.name: np.asarray(config[p.name], dtype=np.float32) for p in self.spec.parameters()}
        self.spike_grad = config["spike_grad"] or atan()
        self.init_hidden = config["init_hidden"]
        self.output = config["output"]
        self.reset_hidden()

    def __getattr__(self, name: str) -> Any:
        params = self.__dict__.get("params", {})
        if name in params:
            return params[name]
        raise AttributeError(f"{type(self).__name__} has no attribute {name!r}")

    def reset_hidden(self) -> None:
        """Forget the hidden state; the next call starts from zero."""
        self.state = {name: EMPTY for name in self.spec.states}

    def __call__(self, x: np.ndarray, *states: np.ndarray | None) -> Any:
        x = np.asarray(x)
        check_input(self.spec.name, x)
        if self.init_hidden and any(s is not None for s in states):
            raise TypeError(
                f"{self.spec.name}: do not pass state while init_hidden=True; the neuron keeps its own state."
            )
        passed = list(states) + [None] * (len(self.spec.states) - len(states))
        current = tuple(
            resolve_state(self.spec.name, name, self.state[name], given, x, OPS)
            for name, given in zip(self.spec.states, passed)
        )
        spk, new_states = self.spec.step(OPS, x, current, self.params, self.config, heaviside)
        self.state = dict(zip(self.spec.states, new_states))
        return neuron_outputs(spk.astype(x.dtype), new_states, self.config)


def realise(spec: type[NeuronSpec]) -> type[NumpyNeuron]:
    """A NumPy class for ``spec``, named like the public class (``Leaky``)."""
    cls = type(spec.name, (NumpyNeuron,), {"spec": spec, "__doc__": spec.__doc__})
    cls.__signature__ = spec.signature()  # type: ignore[attr-defined]
    return cls
