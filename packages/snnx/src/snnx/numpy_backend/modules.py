"""What every NumPy reference-backend object shares: bound arguments and named arrays."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from snnx.numpy_backend.ops import NumpyOps
from snnx.specs.neuron import NeuronSpec

OPS = NumpyOps()


def _stored(value: Any, dtype: str | None) -> np.ndarray:
    array = np.asarray(value)
    if dtype is not None:
        return array.astype(dtype)
    return array.astype(np.float32) if array.dtype.kind in "fb" or array.dtype == object else array


def _weak(value: np.ndarray) -> Any:
    """Integer scalars as Python ints, so they do not promote float32 maths (as in torch)."""
    return value.item() if value.ndim == 0 and value.dtype.kind in "iu" else value


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

    def step_params(self) -> dict[str, Any]:
        """Parameters as the spec's maths reads them."""
        return {name: _weak(value) for name, value in self.params.items()}

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
