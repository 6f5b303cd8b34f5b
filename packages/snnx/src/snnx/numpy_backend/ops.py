"""The :class:`~snnx.ops.ArrayOps` protocol for NumPy arrays."""

from __future__ import annotations

from typing import Any

import numpy as np


class NumpyOps:
    """Spec maths on ``numpy.ndarray`` (forward only: ``detach`` is the identity)."""

    def heaviside(self, x: np.ndarray) -> np.ndarray:
        return (x > 0).astype(np.result_type(x, np.float32))

    def clip(self, x, low: float, high: float):
        return np.clip(x, low, high)

    def detach(self, x):
        return x

    def exp(self, x):
        return np.exp(x)

    def abs(self, x):
        return np.abs(x)

    def sigmoid(self, x):
        x = np.asarray(x)
        e = np.exp(-np.abs(x))
        return np.where(x >= 0, 1 / (1 + e), e / (1 + e)).astype(x.dtype)

    def where(self, condition, a, b):
        return np.where(condition, a, b)

    def zeros_like(self, x):
        return np.zeros_like(x)

    def zeros(self, shape, like):
        return np.zeros(shape, dtype=np.asarray(like).dtype)

    def winner_mask(self, x: np.ndarray) -> np.ndarray:
        mask = np.zeros_like(x)
        np.put_along_axis(mask, np.argmax(x, axis=1)[:, None], 1, axis=1)
        return mask

    def bernoulli(self, probabilities, generator: Any = None):
        rng = generator if generator is not None else np.random.default_rng()
        return (rng.random(probabilities.shape) < probabilities).astype(probabilities.dtype)

    def repeat_time(self, x, num_steps: int):
        return np.repeat(x[None], num_steps, axis=0)

    def concat_time(self, first, second):
        return np.concatenate([first, second], axis=0)

    def tanh(self, x):
        return np.tanh(x)

    def log(self, x):
        with np.errstate(divide="ignore"):  # log(0) = -inf, as in torch
            return np.log(x)

    def relu(self, x):
        return np.maximum(x, 0)

    def cat(self, arrays, dim: int):
        return np.concatenate(arrays, axis=dim)

    def stack(self, arrays, dim: int = 0):
        return np.stack(arrays, axis=dim)

    def cumsum(self, x, dim: int):
        return np.cumsum(x, axis=dim)

    def einsum(self, equation: str, *operands):
        return np.einsum(equation, *operands)

    def linear(self, x, weight, bias):
        out = x @ np.swapaxes(weight, -1, -2)
        return out if bias is None else out + bias

    def conv2d(self, x, weight, bias, padding: tuple[int, int]):
        rows, cols = padding
        padded = np.pad(x, ((0, 0), (0, 0), (rows, rows), (cols, cols)))
        kernel_h, kernel_w = weight.shape[-2:]
        windows = np.lib.stride_tricks.sliding_window_view(padded, (kernel_h, kernel_w), axis=(2, 3))
        out = np.einsum("nchwij,ocij->nohw", windows, weight)
        return out if bias is None else out + bias[None, :, None, None]

    def max_pool2d(self, x, kernel: int):
        return self._pooled(x, kernel).max(axis=(-1, -3))

    def avg_pool2d(self, x, kernel: int):
        return self._pooled(x, kernel).mean(axis=(-1, -3))

    @staticmethod
    def _pooled(x, kernel: int):
        height, width = (x.shape[-2] // kernel) * kernel, (x.shape[-1] // kernel) * kernel
        x = x[..., :height, :width]
        return x.reshape(*x.shape[:-2], height // kernel, kernel, width // kernel, kernel)

    def arange(self, n: int, like):
        return np.arange(n, dtype=np.asarray(like).dtype)

    def rand_like(self, x, generator: Any = None):
        rng = generator if generator is not None else np.random.default_rng()
        return rng.random(np.shape(x)).astype(np.asarray(x).dtype)

    def as_dtype_of(self, x, like):
        return np.asarray(x).astype(np.asarray(like).dtype, copy=False)

    def causal_filter(self, x, taps):
        steps = x.shape[0]
        out = np.zeros(np.broadcast_shapes(x.shape, taps.shape[:-1]), dtype=np.result_type(x, taps))
        for lag in range(min(taps.shape[-1], steps)):
            out[lag:] += taps[..., lag] * x[: steps - lag]
        return out

    def log_softmax(self, x, dim: int):
        shifted = x - np.max(x, axis=dim, keepdims=True)
        return shifted - np.log(np.sum(np.exp(shifted), axis=dim, keepdims=True))

    def sum(self, x, dim: int | None = None):
        return np.asarray(np.sum(x, axis=dim))

    def max(self, x, dim: int):
        return np.max(x, axis=dim)

    def from_numpy(self, data, like):
        return np.asarray(data, dtype=np.asarray(like).dtype)

    def nearest_level(self, x, levels):
        levels = np.asarray(levels, dtype=np.asarray(x).dtype)
        index = np.searchsorted((levels[1:] + levels[:-1]) / 2, x, side="left")
        return levels[index]

    def round(self, x):
        return np.round(x)

    def amax(self, x):
        return np.max(x)

    def amin(self, x):
        return np.min(x)

    def astype(self, x, dtype: str):
        return np.asarray(x).astype(dtype)

    def to_numpy(self, x):
        return np.array(x)
