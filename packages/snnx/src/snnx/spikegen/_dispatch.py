"""Finding the backend an encoder runs on, and its random generator."""

from __future__ import annotations

from typing import Any

import numpy as np

from snnx.backend import Backend
from snnx.ops import Array
from snnx.selection import current_backend, current_device


def generator_for(backend: Backend, generator: Any, like: Array) -> Any:
    """``generator`` as the backend's own: an integer seeds a new one on ``like``'s device."""
    if isinstance(generator, (int, np.integer)) and not isinstance(generator, bool):
        return backend.generator(int(generator), like=like)
    return generator


def current_template() -> tuple[Backend, Array]:
    """The backend in force, and an empty float32 array on its device (for encoders without data)."""
    backend = current_backend()
    return backend, backend.asarray(np.zeros(0), "float32", device=current_device())
