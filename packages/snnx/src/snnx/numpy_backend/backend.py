"""The NumPy reference backend: runs every spec forward, as the ground truth."""

from __future__ import annotations

from functools import cache
from typing import Any

import numpy as np

from snnx.backend import Availability, Backend
from snnx.numpy_backend.modules import OPS, NumpyModule
from snnx.numpy_backend.neurons import heaviside
from snnx.numpy_backend.realise import realise
from snnx.specs.neuron import NeuronSpec
from snnx.specs.surrogate import Surrogate


class NumpyBackend(Backend):
    """Forward-only reference backend; always available."""

    name = "numpy"
    priority = 0
    supports_gradients = False

    def availability(self) -> Availability:
        return Availability(True)

    @property
    def ops(self):
        return OPS

    def owns(self, obj: Any) -> bool:
        if isinstance(obj, (list, tuple)):
            return bool(obj) and all(self.owns(item) for item in obj)
        return isinstance(obj, (np.ndarray, np.generic, NumpyModule))

    def asarray(self, data: np.ndarray, dtype: str = "float32", device: str | None = None):
        return np.array(data, dtype=dtype)

    def to_numpy(self, array) -> np.ndarray:
        return np.array(array)

    def neuron_class(self, spec: type[NeuronSpec]) -> type:
        return _neuron_class(spec)

    def spike_function(self, surrogate: Surrogate):
        return heaviside

    def neurons_in(self, model: Any):
        if isinstance(model, NumpyModule) and hasattr(model, "reset_hidden"):
            return [model]
        if isinstance(model, (list, tuple)):
            return [neuron for item in model for neuron in self.neurons_in(item)]
        return []


@cache
def _neuron_class(spec: type[NeuronSpec]) -> type:
    return realise(spec)
