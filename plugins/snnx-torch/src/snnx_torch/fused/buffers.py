"""Reused CPU memory for the compiled scans' large outputs (spikes, gradients).

On Linux, glibc hands a large freed buffer back to the kernel, so the next buffer
of that size is paged in again, one fault per 4 KiB, and a scan that writes a
fresh ``[T, B, N]`` output can spend more time faulting than computing (measured:
1.65 ms into a fresh 6.25 MiB buffer against 0.47 ms into a reused one). The
:class:`BufferPool` keeps such outputs and hands one out again only once nothing
else holds its memory: no tensor, view, autograd graph or NumPy array refers to it
(the storage's reference count is back to the pool's own). The memory is then the
same as with fresh buffers, without the faults.

``SNNX_BUFFER_POOL=0`` turns the pool off; :func:`release_buffers` empties it.
"""

from __future__ import annotations

import math
import os
import threading
from typing import Any

import torch

MIN_BYTES = 1 << 20
"""Smaller buffers come from torch's allocator as usual (malloc keeps them)."""

MAX_BYTES = 1 << 30
"""The most memory the pool keeps; beyond it, buffers are allocated as usual."""

_DISABLE = {"0", "false", "no", "off"}


def enabled() -> bool:
    """False when ``SNNX_BUFFER_POOL`` is ``0``/``false``/``no``/``off``."""
    return os.environ.get("SNNX_BUFFER_POOL", "1").strip().lower() not in _DISABLE


class BufferPool:
    """Large CPU buffers, handed out again once nothing else refers to their memory.

    A kept buffer is a tensor of the shape and dtype it was made for, with its
    storage. It is handed out as a new tensor on that storage (``detach``: one
    operation, where making a tensor on a bare storage takes two, each tens of
    microseconds right after a large layer), and is free again once the storage's
    reference count is back to the pool's own two (the kept tensor and the storage).
    Turning the pool off (``SNNX_BUFFER_POOL=0``) stops it from keeping new buffers;
    :meth:`release` drops the ones it has.
    """

    def __init__(self) -> None:
        # (shape, dtype) -> [(kept tensor, its storage)]
        self._buffers: dict[tuple[tuple[int, ...], torch.dtype], list[tuple[torch.Tensor, Any]]] = {}
        self._kept = 0
        self._lock = threading.Lock()

    def empty(self, shape: tuple[int, ...] | torch.Size, like: torch.Tensor) -> torch.Tensor:
        """An uninitialised contiguous tensor of ``shape`` with ``like``'s dtype (and the CPU)."""
        if not like.is_cpu:
            return like.new_empty(shape)
        key = (tuple(shape), like.dtype)
        with self._lock:
            for kept, storage in self._buffers.get(key, ()):
                if torch._C._storage_Use_Count(storage._cdata) == 2:  # the kept tensor and storage alone
                    return kept.detach()
        nbytes = math.prod(shape) * like.element_size()
        if nbytes < MIN_BYTES or not enabled():
            return like.new_empty(shape)
        buffer = torch.empty(key[0], dtype=like.dtype)
        with self._lock:
            if self._kept + nbytes <= MAX_BYTES:
                self._buffers.setdefault(key, []).append((buffer, buffer.untyped_storage()))
                self._kept += nbytes
        return buffer.detach()

    def release(self) -> None:
        """Forget every kept buffer (memory in use elsewhere is freed when its last user lets go)."""
        with self._lock:
            self._buffers.clear()
            self._kept = 0


POOL = BufferPool()


def release_buffers() -> None:
    """Return the memory the compiled scans keep for reuse (see the module notes)."""
    POOL.release()
