"""Monitors that record what flows through a network's layers (snnTorch's ``functional.probe``).

``OutputMonitor``, ``InputMonitor``, ``AttributeMonitor``, ``GradInputMonitor`` and
``GradOutputMonitor`` hook into the modules of the backend in use (torch's
``nn.Module`` forward and backward hooks); see ``snnx_torch.extensions.probe``.
"""

from __future__ import annotations

from typing import Any

from snnx.extensions import resolve

FORWARDED = (
    "AttributeMonitor",
    "BaseMonitor",
    "GradInputMonitor",
    "GradOutputMonitor",
    "InputMonitor",
    "OutputMonitor",
)
__all__ = list(FORWARDED)


def __getattr__(name: str) -> Any:
    if name in FORWARDED:
        return resolve("probe", name, __name__)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
