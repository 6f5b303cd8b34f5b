"""Forward-only NumPy realisations of layer specs (kind ``"layer"``).

A single layer (``GradedSpikes``) is called directly. A per-step layer
(``BatchNormTT1d``) behaves like torch's ``nn.ModuleList``: ``bntt[step]`` is the
step's own layer, with its own ``train()``/``eval()`` mode, and the container's
``state_dict()`` names carry the step prefix (``"0.weight"``), so files move
between this backend and torch by name.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import numpy as np

from snnx.numpy_backend.modules import NumpyModule
from snnx.specs.layers import LayerSpec


def _store(params: dict[str, np.ndarray], updates: Mapping[str, Any], prefix: str = "") -> None:
    for name, value in updates.items():
        old = params[prefix + name]
        params[prefix + name] = np.asarray(value).astype(old.dtype).reshape(old.shape)


class NumpyLayer(NumpyModule):
    """A layer on the reference backend: ``train()``/``eval()``, and steps for per-step layers."""

    spec: type[LayerSpec]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.training = True
        steps = self.spec.steps(self.config)
        self._steps = None if steps is None else [NumpyLayerStep(self, step) for step in range(steps)]

    def train(self, mode: bool = True) -> NumpyLayer:
        """Training mode (batch statistics, running estimates updated); returns the layer."""
        self.training = bool(mode)
        for step in self._steps or ():
            step.train(mode)
        return self

    def eval(self) -> NumpyLayer:
        """Evaluation mode (running estimates used, none updated); returns the layer."""
        return self.train(False)

    def _per_step(self) -> list[NumpyLayerStep]:
        if self._steps is None:
            raise TypeError(f"{self.spec.name} is a single layer; call it on the input directly.")
        return self._steps

    def __len__(self) -> int:
        return len(self._per_step())

    def __iter__(self) -> Iterator[NumpyLayerStep]:
        return iter(self._per_step())

    def __getitem__(self, step: Any) -> Any:
        steps = self._per_step()
        if isinstance(step, slice):
            return steps[step]
        return steps[self.spec.check_step(self.config, step)]

    def __call__(self, x: Any) -> Any:
        if self._steps is not None:
            raise TypeError(
                f"{self.spec.name} holds one layer per time step; call the step's layer: layer[step](x)."
            )
        y, updates = self.spec.forward(np.asanyarray(x), self.params, self.config, self.training)
        _store(self.params, updates)
        return y


class NumpyLayerStep:
    """The layer of one time step inside a per-step layer; its arrays live in the container."""

    def __init__(self, container: NumpyLayer, step: int) -> None:
        self.container = container
        self.step = step
        self.prefix = f"{step}."
        self.training = True

    @property
    def params(self) -> dict[str, np.ndarray]:
        size = len(self.prefix)
        return {
            name[size:]: value
            for name, value in self.container.params.items()
            if name.startswith(self.prefix)
        }

    def __getattr__(self, name: str) -> Any:
        if name in ("container", "prefix"):
            raise AttributeError(name)
        params = self.params
        if name in params:
            return params[name]
        if name in self.container.config:
            return self.container.config[name]
        if name in ("weight", "bias"):
            return None  # like torch: no bias at all, and no weight without affine
        raise AttributeError(f"{self.container.spec.name}[{self.step}] has no attribute {name!r}")

    def train(self, mode: bool = True) -> NumpyLayerStep:
        self.training = bool(mode)
        return self

    def eval(self) -> NumpyLayerStep:
        return self.train(False)

    def state_dict(self) -> dict[str, np.ndarray]:
        return {name: value.copy() for name, value in self.params.items()}

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        full = self.container.state_dict()
        own = set(self.params)
        if set(state) != own:
            raise KeyError(
                f"{self.container.spec.name}[{self.step}].load_state_dict: missing keys "
                f"{sorted(own - set(state))}, unexpected keys {sorted(set(state) - own)}."
            )
        full.update({self.prefix + name: value for name, value in state.items()})
        self.container.load_state_dict(full)

    def __call__(self, x: Any) -> Any:
        spec = self.container.spec
        y, updates = spec.forward(np.asanyarray(x), self.params, self.container.config, self.training)
        _store(self.container.params, updates, self.prefix)
        return y

    def __repr__(self) -> str:
        return f"{self.container.spec.name}[{self.step}]"
