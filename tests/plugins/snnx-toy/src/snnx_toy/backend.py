"""The toy backends: ``toy`` (forward only, on ToyArray) and ``toy-accelerator`` (never available)."""

from __future__ import annotations

from functools import cache
from typing import Any

import numpy as np

from snnx.backend import Availability, Backend
from snnx.numpy_backend.modules import NumpyModule
from snnx.numpy_backend.ops import NumpyOps
from snnx.numpy_backend.realise import realise
from snnx.specs.neuron import NeuronSpec


class ToyArray(np.ndarray):
    """The toy backend's own array type (NumPy underneath)."""


def toy(data: Any, dtype: Any = None) -> ToyArray:
    return np.asarray(data, dtype=dtype).view(ToyArray)


class ToyOps(NumpyOps):
    """NumPy's maths, with every result viewed as a ToyArray."""

    def __getattribute__(self, name: str) -> Any:
        attribute = super().__getattribute__(name)
        if name.startswith("_") or not callable(attribute):
            return attribute

        def on_toy_arrays(*args: Any, **kwargs: Any) -> Any:
            result = attribute(*args, **kwargs)
            return toy(result) if isinstance(result, np.ndarray) else result

        return on_toy_arrays


OPS = ToyOps()


class ToyBackend(Backend):
    name = "toy"
    priority = 10

    def availability(self) -> Availability:
        return Availability(True)

    @property
    def ops(self):
        return OPS

    def owns(self, obj: Any) -> bool:
        return isinstance(obj, ToyArray) or (isinstance(obj, NumpyModule) and obj.ops is OPS)

    def asarray(self, data, dtype="float32", device=None):
        return toy(np.array(data, dtype=dtype))

    def to_numpy(self, array):
        return np.array(array).view(np.ndarray)

    def neuron_class(self, spec: type[NeuronSpec]) -> type:
        return _toy_class(spec)

    def spike_function(self, surrogate):
        return OPS.heaviside

    def neurons_in(self, model: Any):
        return [model] if self.owns(model) and hasattr(model, "reset_hidden") else []


class ToyAcceleratorBackend(ToyBackend):
    """Installed but never usable: exercises snnx's 'unavailable backend' paths."""

    name = "toy-accelerator"

    def availability(self) -> Availability:
        return Availability(False, "no toy accelerator is attached to this machine")


@cache
def _toy_class(spec: type[NeuronSpec]) -> type:
    """snnx's generic forward-only realisation of ``spec``, on toy arrays."""
    cls = realise(spec, OPS)
    cls.__module__ = __name__
    return cls
