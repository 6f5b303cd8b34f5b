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

import sys
from typing import Any

import numpy as np

from snnx.backend import Availability, Backend
from snnx.specs.neuron import NeuronSpec
from snnx.specs.surrogate import Surrogate
from snnx_ipu.availability import describe, ipu_availability


class IPUBackend(Backend):
    """Realises specs as torch modules whose forward and gradient are plain, traceable operations."""

    name = "ipu"
    priority = 50
    """Below torch (100): torch stays the default; ``snnx.use("ipu")`` selects this one."""
    supports_gradients = True

    def availability(self) -> Availability:
        return ipu_availability()

    def devices(self) -> list[str]:
        return ["ipu"]

    @property
    def ops(self):
        from snnx_torch.ops import OPS

        return OPS

    def owns(self, obj: Any) -> bool:
        torch = sys.modules.get("torch")  # an object can only be torch's if torch is imported
        return torch is not None and isinstance(obj, (torch.Tensor, torch.nn.Module))

    def asarray(self, data: np.ndarray, dtype: str = "float32", device: str | None = None):
        """A host tensor (``device`` ``None`` or ``"ipu"``): poptorch moves it when a model runs."""
        import torch

        if device not in (None, "ipu"):
            self.check_device(device)
        return torch.tensor(np.asarray(data), dtype=getattr(torch, dtype))

    def to_numpy(self, array) -> np.ndarray:
        return array.detach().cpu().numpy()

    def neuron_class(self, spec: type[NeuronSpec]) -> type:
        from snnx_ipu.neurons import IPU_NEURON_CLASSES

        return IPU_NEURON_CLASSES[spec]

    def spike_function(self, surrogate: Surrogate):
        from snnx_ipu.spike import spike_fn

        return spike_fn(surrogate)

    def surrogate_gradient(self, surrogate: Surrogate, u):
        u = u.detach().clone().requires_grad_(True)
        self.spike_function(surrogate)(u).sum().backward()
        return u.grad

    def neurons_in(self, model: Any):
        from snnx_torch.neurons import SpikingNeuron

        return [module for module in model.modules() if isinstance(module, SpikingNeuron)]

    def generator(self, seed: int, like: Any = None):
        import torch

        return torch.Generator().manual_seed(seed)

    def notes(self) -> list[str]:
        return [describe()]
