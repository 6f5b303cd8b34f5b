"""The toy backends: ``toy`` (forward only, on ToyArray) and ``toy-accelerator`` (never available)."""

from __future__ import annotations

from typing import Any

import numpy as np

from snnx.backend import Availability, Backend
from snnx.specs.neuron import NeuronSpec, check_input, neuron_outputs, resolve_state


class ToyArray(np.ndarray):
    """The toy backend's own array type (NumPy underneath)."""


def toy(data: Any, dtype: Any = None) -> ToyArray:
    return np.asarray(data, dtype=dtype).view(ToyArray)


class ToyOps:
    def heaviside(self, x):
        return toy(x > 0, x.dtype)

    def clip(self, x, low, high):
        return toy(np.minimum(np.maximum(x, low), high))

    def detach(self, x):
        return x

    def exp(self, x):
        return toy(np.exp(x))

    def abs(self, x):
        return toy(np.abs(x))

    def sigmoid(self, x):
        return toy(0.5 * (1 + np.tanh(0.5 * np.asarray(x))), x.dtype)

    def where(self, condition, a, b):
        return toy(np.where(condition, a, b))

    def zeros_like(self, x):
        return toy(np.zeros(np.shape(x), np.asarray(x).dtype))

    def winner_mask(self, x):
        index = np.expand_dims(np.argmax(x, axis=1), 1)
        channel = np.arange(x.shape[1]).reshape((1, -1) + (1,) * (x.ndim - 2))
        return toy(index == channel, x.dtype)

    def bernoulli(self, probabilities, generator=None):
        rng = generator if generator is not None else np.random.default_rng()
        return toy(rng.random(probabilities.shape) < probabilities, probabilities.dtype)

    def repeat_time(self, x, num_steps):
        return toy(np.broadcast_to(x, (num_steps, *x.shape)).copy())

    def concat_time(self, first, second):
        return toy(np.concatenate([first, second]))


OPS = ToyOps()


class ToyNeuron:
    """Runs any core neuron spec forward with the toy ops."""

    spec: type[NeuronSpec]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.config = self.spec.bind(args, kwargs)
        self.params = {p.name: toy(self.config[p.name], np.float32) for p in self.spec.parameters()}
        self.reset_hidden()

    def reset_hidden(self) -> None:
        self.states = tuple(toy(np.zeros(0)) for _ in self.spec.states)

    def __call__(self, x, *passed):
        check_input(self.spec.name, x)
        passed = passed + (None,) * (len(self.spec.states) - len(passed))
        states = tuple(
            resolve_state(self.spec.name, name, stored, given, x, OPS)
            for name, stored, given in zip(self.spec.states, self.states, passed)
        )
        spk, self.states = self.spec.step(OPS, x, states, self.params, self.config, OPS.heaviside)
        return neuron_outputs(toy(spk, x.dtype), self.states, self.config)


class ToyBackend(Backend):
    name = "toy"
    priority = 10

    def availability(self) -> Availability:
        return Availability(True)

    @property
    def ops(self):
        return OPS

    def owns(self, obj: Any) -> bool:
        return isinstance(obj, (ToyArray, ToyNeuron))

    def asarray(self, data, dtype="float32", device=None):
        return toy(np.array(data, dtype=dtype))

    def to_numpy(self, array):
        return np.array(array).view(np.ndarray)

    def neuron_class(self, spec: type[NeuronSpec]) -> type:
        cls = type(spec.name, (ToyNeuron,), {"spec": spec})
        cls.__signature__ = spec.signature()
        return cls

    def spike_function(self, surrogate):
        return OPS.heaviside


class ToyAcceleratorBackend(ToyBackend):
    """Installed but never usable: exercises snnx's 'unavailable backend' paths."""

    name = "toy-accelerator"

    def availability(self) -> Availability:
        return Availability(False, "no toy accelerator is attached to this machine")
