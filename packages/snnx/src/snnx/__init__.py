"""snnx: spiking neural networks for gradient-based learning, on pluggable backends.

``import snnx as snn`` gives snnTorch's API: neuron classes (``snn.Leaky``), and
the modules ``surrogate``, ``spikegen`` and ``utils``. Neuron classes come from
the backend in force when they are looked up (see :func:`use`); importing snnx
loads no backend library.
"""

from __future__ import annotations

import importlib
from typing import Any

from snnx._version import __version__
from snnx.errors import (
    BackendNotFoundError,
    BackendUnavailableError,
    InputDtypeError,
    InputShapeError,
    ParameterRangeError,
    SnnxError,
    StateShapeError,
)
from snnx.plugin_manager import plugin_manager
from snnx.running import run
from snnx.selection import backend_for, backends, current_backend, get_backend, use
from snnx.specs import NEURON_SPECS

__all__ = [
    "BackendNotFoundError",
    "BackendUnavailableError",
    "InputDtypeError",
    "InputShapeError",
    "ParameterRangeError",
    "SnnxError",
    "StateShapeError",
    "__version__",
    "backend_for",
    "backends",
    "current_backend",
    "get_backend",
    "plugin_manager",
    "run",
    "use",
    *sorted(NEURON_SPECS),
]


SUBMODULES = ("backprop", "functional", "spikegen", "surrogate", "testing", "utils")
"""Public submodules, imported on first use (``snnx.functional`` works without an import)."""


def __getattr__(name: str) -> Any:
    spec = NEURON_SPECS.get(name)
    if spec is not None:
        return current_backend().neuron_class(spec)
    if name in SUBMODULES:
        return importlib.import_module(f"snnx.{name}")
    raise AttributeError(f"module 'snnx' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(NEURON_SPECS) | set(SUBMODULES))
