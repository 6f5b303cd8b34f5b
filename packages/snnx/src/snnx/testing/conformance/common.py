"""Shared helpers of the conformance checks."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

import numpy as np

from snnx.backend import Backend
from snnx.numpy_backend.backend import NumpyBackend

Check = Callable[[Backend], None]
REFERENCE = NumpyBackend()
STEPS = 20
SEED = 1234


def inputs(shape: tuple[int, ...], dtype: str = "float64", scale: float = 1.0) -> np.ndarray:
    """``STEPS`` seeded normal inputs of ``shape`` around 0.3."""
    return (np.random.default_rng(SEED).normal(size=(STEPS, *shape)) * scale + 0.3).astype(dtype)


@contextmanager
def expect(error: type[Exception] | tuple[type[Exception], ...], what: str) -> Iterator[None]:
    """Fail with ``what`` unless the block raises ``error``."""
    try:
        yield
    except error:
        return
    names = " or ".join(e.__name__ for e in (error if isinstance(error, tuple) else (error,)))
    raise AssertionError(f"{what}: expected {names}")
