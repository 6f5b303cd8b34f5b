"""``from snnx.export_nir import export_to_nir``, as in snnTorch 1.0 (provided by snnx-nir)."""

from __future__ import annotations

from snnx.addons import require_addon

snnx_nir = require_addon("snnx_nir", "snnx.export_nir", "nir")

export_to_nir = snnx_nir.export_to_nir

__all__ = ["export_to_nir"]
