"""The :class:`~snnx.ops.ArrayOps` protocol for ``torch.Tensor``."""

from __future__ import annotations

from typing import Any

import torch


class TorchOps:
    """Spec maths on tensors, differentiable where torch is."""

    def heaviside(self, x: torch.Tensor) -> torch.Tensor:
        return (x > 0).to(x.dtype)

    def clip(self, x, low: float, high: float):
        return torch.clamp(x, low, high)

    def detach(self, x: torch.Tensor) -> torch.Tensor:
        return x.detach()

    def exp(self, x):
        return torch.exp(x)

    def abs(self, x):
        return torch.abs(x)

    def sigmoid(self, x):
        return torch.sigmoid(x)

    def where(self, condition, a, b):
        return torch.where(condition, a, b)

    def zeros_like(self, x):
        return torch.zeros_like(x)

    def winner_mask(self, x: torch.Tensor) -> torch.Tensor:
        return torch.zeros_like(x).scatter_(1, x.argmax(dim=1, keepdim=True), 1.0)

    def bernoulli(self, probabilities: torch.Tensor, generator: Any = None) -> torch.Tensor:
        return torch.bernoulli(probabilities, generator=generator)

    def repeat_time(self, x: torch.Tensor, num_steps: int) -> torch.Tensor:
        return x.repeat(num_steps, *([1] * x.dim()))

    def concat_time(self, first: torch.Tensor, second: torch.Tensor) -> torch.Tensor:
        return torch.cat((first, second))


OPS = TorchOps()
