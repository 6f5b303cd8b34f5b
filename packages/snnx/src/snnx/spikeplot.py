"""``import snnx.spikeplot as splt``: snnTorch's spikeplot functions, provided by snnx-spikeplot."""

from __future__ import annotations

from snnx.addons import require_addon

snnx_spikeplot = require_addon("snnx_spikeplot", "snnx.spikeplot", "plot")

__all__ = list(snnx_spikeplot.__all__)
globals().update({name: getattr(snnx_spikeplot, name) for name in __all__})
