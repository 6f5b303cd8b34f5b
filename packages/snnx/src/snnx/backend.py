"""The interface a backend implements to run snnx specs on its arrays."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import numpy as np

from snnx.errors import BackendUnavailableError
from snnx.ops import Array, ArrayOps
from snnx.specs.neuron import NeuronSpec
from snnx.specs.surrogate import Surrogate


@dataclass(frozen=True)
class Availability:
    """Whether a backend can run here, and if not, why."""

    available: bool
    reason: str | None = None


class Backend(ABC):
    """A way of running snnx models: an array library plus realisations of the specs.

    A plugin returns instances from its ``snnx_backends`` hook. Construction must
    be cheap and must not import the array library: do that in the methods, so
    ``import snnx`` and ``snnx info`` stay fast and a missing library shows up as
    an unavailable backend rather than an import error.
    """

    name: str
    """The name users select the backend by (``snnx.use(name)``)."""
    priority: int = 0
    """The available backend with the highest priority is the default."""
    supports_gradients: bool = False
    """Whether spike functions carry surrogate gradients (conformance checks them)."""

    @abstractmethod
    def availability(self) -> Availability:
        """Whether the array library and its runtime are usable here."""

    def devices(self) -> list[str]:
        """Devices this backend can place arrays on (``cpu``, ``cuda:0``, ...)."""
        return ["cpu"]

    def check_device(self, device: str) -> None:
        """Raise :class:`BackendUnavailableError` if ``device`` cannot be used."""
        known = self.devices()
        base = device.split(":")[0]
        if device not in known and not (device == base and any(d.startswith(base) for d in known)):
            raise BackendUnavailableError(
                f"backend {self.name!r} cannot use device {device!r} here; available devices: "
                f"{', '.join(known)}. Pick one of those."
            )

    @property
    @abstractmethod
    def ops(self) -> ArrayOps:
        """The array operations spec maths runs on."""

    @abstractmethod
    def owns(self, obj: Any) -> bool:
        """Whether ``obj`` (an array or a model) belongs to this backend."""

    @abstractmethod
    def asarray(self, data: np.ndarray, dtype: str = "float32", device: str | None = None) -> Array:
        """A backend array holding a copy of NumPy ``data``."""

    @abstractmethod
    def to_numpy(self, array: Array) -> np.ndarray:
        """A NumPy copy of a backend array."""

    @abstractmethod
    def neuron_class(self, spec: type[NeuronSpec]) -> type:
        """The class realising a neuron spec, with the spec's constructor signature."""

    @abstractmethod
    def spike_function(self, surrogate: Surrogate) -> Callable[[Array], Array]:
        """Heaviside forward with ``surrogate``'s derivative in the backward pass."""

    def surrogate_gradient(self, surrogate: Surrogate, u: Array) -> Array:
        """The gradient the spike function sends back for an upstream gradient of 1."""
        raise NotImplementedError(f"backend {self.name!r} is forward-only")

    def neurons_in(self, model: Any) -> Iterable[Any]:
        """Every neuron inside ``model`` (itself included), for ``snnx.utils.reset``."""
        return [model] if hasattr(model, "reset_hidden") else []

    def run(self, net: Any, x_seq: Array) -> Any:
        """``net`` over every step of ``x_seq``, outputs stacked over time (see :func:`snnx.run`).

        This default is the plain step loop; backends override it with faster
        equivalents.
        """
        outputs = [net(x) for x in x_seq]
        if isinstance(outputs[0], tuple):
            return tuple(self.ops.stack(list(seq), 0) for seq in zip(*outputs))
        return self.ops.stack(outputs, 0)

    def extension(self, name: str) -> ModuleType | None:
        """The backend's module for a framework-bound API, or ``None`` if it has none.

        Some snnTorch APIs only make sense on a framework with modules, hooks and
        optimisers: ``"probe"`` (monitors), ``"stdp_learner"``, ``"backprop"``
        (training loops) and ``"datasets"`` (``utils.data_subset``/``valid_split``).
        snnx's public modules of those names forward to the current backend's.
        """
        return None

    def generator(self, seed: int, like: Any = None) -> Any:
        """A random generator seeded with ``seed``, on the device of array ``like``."""
        return np.random.default_rng(seed)

    def notes(self) -> list[str]:
        """Lines ``snnx info`` prints under this backend: optional parts and whether they are in use.

        Must stay cheap (no compiling, no device initialisation).
        """
        return []

    def __repr__(self) -> str:
        return f"<snnx backend {self.name!r}>"
