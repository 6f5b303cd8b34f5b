"""``from snnx.import_nir import import_from_nir``, as in snnTorch 1.0 (provided by snnx-nir)."""

from __future__ import annotations

from snnx.addons import require_addon

snnx_nir = require_addon("snnx_nir", "snnx.import_nir", "nir")

import_from_nir = snnx_nir.import_from_nir

__all__ = ["import_from_nir"]
