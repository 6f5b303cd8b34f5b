"""Backend ``torch``: snnx specs on PyTorch tensors, CPU and CUDA."""

from __future__ import annotations

import importlib
import sys
from typing import Any

import numpy as np

from snnx.backend import Availability, Backend
from snnx.errors import BackendUnavailableError
from snnx.specs.neuron import NeuronSpec
from snnx.specs.surrogate import Surrogate

MINIMUM_TORCH = (2, 2)
EXTENSIONS = ("probe", "stdp_learner", "backprop", "datasets")
"""Framework-bound APIs this backend provides (modules under ``snnx_torch.extensions``)."""


def _torch_version(text: str) -> tuple[int, int]:
    major, minor = text.split("+")[0].split(".")[:2]
    return int(major), int(minor)


class TorchBackend(Backend):
    """Realises specs as ``torch.nn.Module`` neurons with autograd surrogate gradients."""

    name = "torch"
    priority = 100
    supports_gradients = True
    _available = False

    def availability(self) -> Availability:
        if self._available:  # once imported, torch stays usable for the rest of the process
            return Availability(True)
        try:
            torch = importlib.import_module("torch")
        except Exception as error:  # not installed, or a broken install
            return Availability(False, f"torch cannot be imported ({error}); pip install 'snnx[torch]'")
        if _torch_version(torch.__version__) < MINIMUM_TORCH:
            return Availability(False, f"torch {torch.__version__} is too old; snnx needs torch >= 2.2")
        self._available = True
        return Availability(True)

    def devices(self) -> list[str]:
        import torch

        found = ["cpu"]
        if torch.cuda.is_available():
            found += [f"cuda:{index}" for index in range(torch.cuda.device_count())]
        return found

    def check_device(self, device: str) -> None:
        import torch

        if device.startswith("cuda") and not torch.cuda.is_available():
            raise BackendUnavailableError(
                f"device {device!r} was requested but CUDA is not available here "
                f"(torch {torch.__version__}, torch.cuda.is_available() is False). "
                "Use device='cpu', or run on a machine with an NVIDIA GPU and a CUDA build of torch."
            )
        super().check_device(device)

    @property
    def ops(self):
        from snnx_torch.ops import OPS

        return OPS

    def owns(self, obj: Any) -> bool:
        torch = sys.modules.get("torch")  # an object can only be torch's if torch is imported
        return torch is not None and isinstance(obj, (torch.Tensor, torch.nn.Module))

    def asarray(self, data: np.ndarray, dtype: str = "float32", device: str | None = None):
        import torch

        return torch.tensor(np.asarray(data), dtype=getattr(torch, dtype), device=device)

    def to_numpy(self, array) -> np.ndarray:
        return array.detach().cpu().numpy()

    def neuron_class(self, spec: type[NeuronSpec]) -> type:
        from snnx_torch.neurons import NEURON_CLASSES

        return NEURON_CLASSES[spec]

    def spike_function(self, surrogate: Surrogate):
        from snnx_torch.surrogate import SpikeFunction

        return SpikeFunction(surrogate)

    def surrogate_gradient(self, surrogate: Surrogate, u):
        u = u.detach().clone().requires_grad_(True)
        self.spike_function(surrogate)(u).sum().backward()
        return u.grad

    def neurons_in(self, model: Any):
        from snnx_torch.neurons import SpikingNeuron

        return [module for module in model.modules() if isinstance(module, SpikingNeuron)]

    def run(self, net: Any, x_seq: Any) -> Any:
        from snnx_torch.running import run_sequence

        return run_sequence(net, x_seq)

    def extension(self, name: str):
        if name not in EXTENSIONS:
            return None
        return importlib.import_module(f"snnx_torch.extensions.{name}")

    def notes(self) -> list[str]:
        from snnx_torch.fused import native
        from snnx_torch.fused.triton_kernels import triton_importable

        triton = "installed, used on CUDA" if triton_importable() else "not installed (CUDA: tensor ops)"
        return [native.status(), f"Triton kernels: {triton}"]

    def generator(self, seed: int, like: Any = None):
        import torch

        device = like.device if like is not None else "cpu"
        return torch.Generator(device=device).manual_seed(seed)
