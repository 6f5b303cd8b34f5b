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
