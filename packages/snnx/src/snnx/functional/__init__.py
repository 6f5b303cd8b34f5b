"""snnTorch's ``functional``: SNN losses, accuracy, regularisers, quantisation, monitors, STDP.

``from snnx import functional as SF`` gives the losses (``SF.ce_rate_loss()``...),
accuracy functions and regularisers at the top level, as snnTorch does, and the
submodules ``loss``, ``acc``, ``reg``, ``quant``, ``probe`` and ``stdp_learner``.
Losses, accuracy, regularisers and quantisation are written once over the array
operations of whichever backend owns the data; monitors and STDP learners hook
into a framework's modules and come from the backend in use.
"""

from __future__ import annotations

import importlib
from typing import Any

from snnx.functional.acc import accuracy_rate, accuracy_temporal
from snnx.functional.loss import (
    LossFunctions,
    SpikeTime,
    ce_count_loss,
    ce_max_membrane_loss,
    ce_rate_loss,
    ce_temporal_loss,
    mse_count_loss,
    mse_membrane_loss,
    mse_temporal_loss,
)
from snnx.functional.reg import l1_rate_sparsity

__all__ = [
    "LossFunctions",
    "SpikeTime",
    "accuracy_rate",
    "accuracy_temporal",
    "ce_count_loss",
    "ce_max_membrane_loss",
    "ce_rate_loss",
    "ce_temporal_loss",
    "l1_rate_sparsity",
    "mse_count_loss",
    "mse_membrane_loss",
    "mse_temporal_loss",
]

LAZY_SUBMODULES = ("probe", "quant", "stdp_learner")
"""Imported on first use: monitors and STDP come from the backend, so nothing framework-bound loads early."""


def _monitor_names() -> tuple[str, ...]:
    """The monitors snnTorch's ``functional`` re-exports from ``probe`` (forwarded there)."""
    return importlib.import_module(f"{__name__}.probe").FORWARDED


def __getattr__(name: str) -> Any:
    if name in LAZY_SUBMODULES:
        return importlib.import_module(f"{__name__}.{name}")
    if not name.startswith("_") and name in _monitor_names():
        return getattr(importlib.import_module(f"{__name__}.probe"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(LAZY_SUBMODULES) | set(_monitor_names()))
