"""snnx-nir: NIR (Neuromorphic Intermediate Representation) graphs in and out of snnx.

* :func:`read_graph` reads and validates a ``.nir`` file (or checks a ``nir.NIRGraph``);
* :func:`export_to_nir` / :func:`import_from_nir` convert torch snnx networks (snnTorch 1.0's API;
  they need the ``torch`` extra and are imported on first use);
* :func:`save` / :func:`load` do export + write and read + import in one call.

The formulas of the mapping are in ``docs/nir.md``.
"""

from __future__ import annotations

import importlib
import os
from typing import TYPE_CHECKING, Any

import nir

from snnx_nir.errors import NIRError, NIRFileError, NIRGraphError, NIRMappingError
from snnx_nir.reading import read_graph, validate_graph

if TYPE_CHECKING:
    import torch

__all__ = [
    "NIRError",
    "NIRFileError",
    "NIRGraphError",
    "NIRMappingError",
    "export_to_nir",
    "import_from_nir",
    "load",
    "read_graph",
    "save",
    "validate_graph",
]

_TORCH_FUNCTIONS = {"export_to_nir": "snnx_nir.torch_export", "import_from_nir": "snnx_nir.torch_import"}
"""Public functions that need torch, and the module each lives in (imported on first use)."""


def __getattr__(name: str) -> Any:
    if name in _TORCH_FUNCTIONS:
        return _torch_function(name)
    raise AttributeError(f"module 'snnx_nir' has no attribute {name!r}")


def _torch_function(name: str) -> Any:
    try:
        module = importlib.import_module(_TORCH_FUNCTIONS[name])
    except ImportError as error:
        if (error.name or "").startswith("snnx_nir"):
            raise
        raise ImportError(
            f"snnx_nir.{name} converts torch modules and needs torch, snnx-torch and nirtorch "
            f"({error}); install them with: pip install 'snnx-nir[torch]'"
        ) from error
    return getattr(module, name)


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


def save(
    net: torch.nn.Module,
    path: str | os.PathLike[str],
    sample_data: Any,
    dt: float = 1e-4,
    **kwargs: Any,
) -> nir.NIRGraph:
    """Export ``net`` with :func:`export_to_nir` (``kwargs`` go there) and write the graph to ``path``.

    Returns the graph that was written.
    """
    graph = _torch_function("export_to_nir")(net, sample_data, dt=dt, **kwargs)
    nir.write(os.fspath(path), graph)
    return graph


def load(
    path: str | os.PathLike[str] | nir.NIRGraph,
    dt: float | None = None,
    reset_mechanism: str | None = None,
) -> torch.nn.Module:
    """Read and validate the NIR file at ``path`` and import it with :func:`import_from_nir`."""
    graph = read_graph(path)
    return _torch_function("import_from_nir")(graph, dt=dt, reset_mechanism=reset_mechanism)
