"""Backend ``ipu``: snnx neurons as torch modules that poptorch can compile for Graphcore IPUs.

Arrays are ordinary (host) torch tensors: poptorch copies inputs to the IPU and
results back when a compiled model (:func:`snnx_ipu.training_model`,
:func:`snnx_ipu.inference_model`) runs. Neurons are the torch backend's with
IPU spike functions and without fused kernels (:mod:`snnx_ipu.neurons`), so the
same network runs eagerly on the CPU and compiled on an IPU with the same
results. ``run`` is the base class's plain step loop (no time folding), which is
what poptorch traces.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from snnx.backend import Availability, Backend
from snnx.specs.neuron import NeuronSpec
from snnx.specs.surrogate import Surrogate
from snnx_ipu.availability import describe, ipu_availability
from snnx_torch.backend import TorchBackend


class IPUBackend(TorchBackend):
    """The torch backend with spikes from plain, traceable operations and the plain step loop.

    Arrays, ops, ``owns``, ``to_numpy``, ``surrogate_gradient``, ``neurons_in`` and
    ``generator`` are the torch backend's (importing it does not import torch).
    """

    name = "ipu"
    priority = 50
    """Below torch (100): torch stays the default; ``snnx.use("ipu")`` selects this one."""

    def availability(self) -> Availability:
        return ipu_availability()

    def devices(self) -> list[str]:
        return ["ipu"]

    def asarray(self, data: np.ndarray, dtype: str = "float32", device: str | None = None):
        """A host tensor (``device`` ``None`` or ``"ipu"``): poptorch moves it when a model runs."""
        if device not in (None, "ipu"):
            self.check_device(device)
        return super().asarray(data, dtype)

    def neuron_class(self, spec: type[NeuronSpec]) -> type:
        from snnx_ipu.neurons import IPU_NEURON_CLASSES

        return IPU_NEURON_CLASSES[spec]

    def spike_function(self, surrogate: Surrogate):
        from snnx_ipu.spike import spike_fn

        return spike_fn(surrogate)

    def run(self, net: Any, x_seq: Any) -> Any:
        return Backend.run(self, net, x_seq)  # the step loop poptorch traces, no time folding

    def extension(self, name: str):
        return None

    def notes(self) -> list[str]:
        return [describe()]
