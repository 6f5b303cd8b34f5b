"""Training loops over time (snnTorch's ``backprop``): ``BPTT``, ``TBPTT`` and ``RTRL``.

They drive the backend's own modules, losses and optimisers; see
``snnx_torch.extensions.backprop``.
"""

from __future__ import annotations

from typing import Any

from snnx.extensions import resolve

FORWARDED = ("BPTT", "RTRL", "TBPTT")
__all__ = list(FORWARDED)


def __getattr__(name: str) -> Any:
    if name in FORWARDED:
        return resolve("backprop", name, __name__)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
