"""``from snnx.export_nir import export_to_nir``, as in snnTorch 1.0 (provided by snnx-nir)."""

from __future__ import annotations

try:
    import snnx_nir
except ImportError as error:
    raise ImportError(
        f"snnx.export_nir needs the snnx-nir package ({error}); install it with: pip install snnx[nir]"
    ) from error

export_to_nir = snnx_nir.export_to_nir

__all__ = ["export_to_nir"]
