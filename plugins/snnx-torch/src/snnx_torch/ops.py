"""The :class:`~snnx.ops.ArrayOps` protocol for ``torch.Tensor``."""

from __future__ import annotations

from typing import Any

import torch
from torch.nn import functional


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

    def zeros(self, shape, like: torch.Tensor) -> torch.Tensor:
        return torch.zeros(shape, dtype=like.dtype, device=like.device)

    def winner_mask(self, x: torch.Tensor) -> torch.Tensor:
        return torch.zeros_like(x).scatter_(1, x.argmax(dim=1, keepdim=True), 1.0)

    def bernoulli(self, probabilities: torch.Tensor, generator: Any = None) -> torch.Tensor:
        return torch.bernoulli(probabilities, generator=generator)

    def repeat_time(self, x: torch.Tensor, num_steps: int) -> torch.Tensor:
        return x.repeat(num_steps, *([1] * x.dim()))

    def concat_time(self, first: torch.Tensor, second: torch.Tensor) -> torch.Tensor:
        return torch.cat((first, second))

    def tanh(self, x):
        return torch.tanh(x)

    def log(self, x):
        return torch.log(x)

    def relu(self, x):
        return torch.relu(x)

    def cat(self, arrays, dim: int):
        return torch.cat(arrays, dim=dim)

    def stack(self, arrays, dim: int = 0):
        return torch.stack(arrays, dim=dim)

    def cumsum(self, x, dim: int):
        return torch.cumsum(x, dim=dim)

    def einsum(self, equation: str, *operands):
        return torch.einsum(equation, *operands)

    def linear(self, x, weight, bias):
        return functional.linear(x, weight, bias)

    def conv2d(self, x, weight, bias, padding: tuple[int, int]):
        return functional.conv2d(x, weight, bias, padding=padding)

    def max_pool2d(self, x, kernel: int):
        return functional.max_pool2d(x, kernel)

    def avg_pool2d(self, x, kernel: int):
        return functional.avg_pool2d(x, kernel)

    def arange(self, n: int, like: torch.Tensor) -> torch.Tensor:
        return torch.arange(n, dtype=like.dtype, device=like.device)

    def rand_like(self, x: torch.Tensor, generator: Any = None) -> torch.Tensor:
        if generator is None:
            # torch.rand_like keeps x's memory layout, so it draws exactly what snnTorch's SSO draws
            return torch.rand_like(x)
        return torch.rand(x.shape, dtype=x.dtype, device=x.device, generator=generator)

    def as_dtype_of(self, x: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
        return x if x.dtype == like.dtype else x.to(like.dtype)

    def causal_filter(self, x: torch.Tensor, taps: torch.Tensor) -> torch.Tensor:
        channels, length = x.shape[2], taps.shape[-1]
        # depthwise convolution over time, padded on the left; flipped taps turn conv1d's
        # cross-correlation into a convolution
        kernel = taps.expand(channels, length).flip(-1).unsqueeze(1)
        series = functional.pad(x.permute(1, 2, 0), (length - 1, 0))
        return functional.conv1d(series, kernel, groups=channels).permute(2, 0, 1)

    def log_softmax(self, x: torch.Tensor, dim: int) -> torch.Tensor:
        return torch.log_softmax(x, dim=dim)

    def sum(self, x: torch.Tensor, dim: int | None = None) -> torch.Tensor:
        return torch.sum(x) if dim is None else torch.sum(x, dim=dim)

    def max(self, x: torch.Tensor, dim: int) -> torch.Tensor:
        return torch.max(x, dim=dim).values

    def from_numpy(self, data: Any, like: torch.Tensor) -> torch.Tensor:
        return torch.as_tensor(data, dtype=like.dtype, device=like.device)

    def nearest_level(self, x: torch.Tensor, levels: Any) -> torch.Tensor:
        levels = torch.as_tensor(levels, dtype=x.dtype, device=x.device)
        index = torch.bucketize(x.detach(), (levels[1:] + levels[:-1]) / 2, right=False)
        return levels[index]

    def round(self, x: torch.Tensor) -> torch.Tensor:
        return torch.round(x)

    def amax(self, x: torch.Tensor) -> torch.Tensor:
        return torch.max(x)  # the full reduction shares the gradient evenly among ties

    def amin(self, x: torch.Tensor) -> torch.Tensor:
        return torch.min(x)

    def astype(self, x: torch.Tensor, dtype: str) -> torch.Tensor:
        return x.to(getattr(torch, dtype))

    def to_numpy(self, x: torch.Tensor) -> Any:
        return x.detach().cpu().numpy()


OPS = TorchOps()
