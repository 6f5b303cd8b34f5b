"""``snnx.nir.save(net, path, sample_data)`` / ``snnx.nir.load(path)``: NIR files in one call (snnx-nir)."""

from __future__ import annotations

try:
    import snnx_nir
except ImportError as error:
    raise ImportError(
        f"snnx.nir needs the snnx-nir package ({error}); install it with: pip install snnx[nir]"
    ) from error

save = snnx_nir.save
load = snnx_nir.load
read_graph = snnx_nir.read_graph

__all__ = ["load", "read_graph", "save"]
