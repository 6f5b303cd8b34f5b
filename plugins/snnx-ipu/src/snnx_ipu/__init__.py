"""snnx on Graphcore IPUs through poptorch (which ships with the Poplar SDK, not on PyPI).

``snnx.use("ipu")`` selects the backend when poptorch imports and an IPU (or the
IPU Model simulator, ``POPTORCH_IPU_MODEL=1``) is there. Its neurons are the torch
backend's with spike functions made of plain operations (:func:`spike_fn`), which
poptorch can trace and PopART differentiate.

snnx imports this package whenever it discovers plugins (``snnx info``, choosing
a backend), which must not import torch or poptorch: the names whose modules
need torch (``spike_fn``, ``training_model``, ``inference_model``) load on first
access; the light ones are imported here (``options`` must be bound here, or the
submodule of the same name would shadow the function once it is imported).
"""

from __future__ import annotations

import importlib
from typing import Any

from snnx_ipu.backend import IPUBackend
from snnx_ipu.data import dataloader
from snnx_ipu.options import options

_LAZY = {
    "spike_fn": "snnx_ipu.spike",
    "training_model": "snnx_ipu.models",
    "inference_model": "snnx_ipu.models",
}

__all__ = ["IPUBackend", "dataloader", "inference_model", "options", "spike_fn", "training_model"]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'snnx_ipu' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
