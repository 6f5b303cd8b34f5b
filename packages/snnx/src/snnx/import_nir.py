"""``from snnx.import_nir import import_from_nir``, as in snnTorch 1.0 (provided by snnx-nir)."""

from __future__ import annotations

try:
    import snnx_nir
except ImportError as error:
    raise ImportError(
        f"snnx.import_nir needs the snnx-nir package ({error}); install it with: pip install snnx[nir]"
    ) from error

import_from_nir = snnx_nir.import_from_nir

__all__ = ["import_from_nir"]
