"""snnx-torch: the PyTorch backend of snnx (CPU and CUDA).

Installing this distribution registers backend ``torch`` through the ``snnx``
entry-point group; users keep writing ``import snnx as snn``.
"""

from snnx._version import __version__

__all__ = ["__version__"]
