"""``snnx.nir.save(net, path, sample_data)`` / ``snnx.nir.load(path)``: NIR files in one call (snnx-nir)."""

from __future__ import annotations

from snnx.addons import require_addon

snnx_nir = require_addon("snnx_nir", "snnx.nir", "nir")

save = snnx_nir.save
load = snnx_nir.load
read_graph = snnx_nir.read_graph

__all__ = ["load", "read_graph", "save"]
