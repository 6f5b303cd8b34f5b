"""Reused CPU memory for the compiled scans' large outputs (spikes, gradients).

On Linux, glibc hands a large freed buffer back to the kernel, so the next buffer
of that size is paged in again, one fault per 4 KiB, and a scan that writes a
fresh ``[T, B, N]`` output can spend more time faulting than computing (measured:
1.65 ms into a fresh 6.25 MiB buffer against 0.47 ms into a reused one). The
:class:`BufferPool` keeps the storages of such outputs and hands one out again
only once nothing else holds it: no tensor, view, autograd graph or NumPy array
refers to it (the storage's reference count is back to the pool's own). The
memory is then the same as with fresh buffers, without the faults.

``SNNX_BUFFER_POOL=0`` turns the pool off; :func:`release_buffers` empties it.
"""

from __future__ import annotations

import math
import os
import threading

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
    """Storages of large CPU buffers, handed out again once nothing else refers to them."""

    def __init__(self) -> None:
        self._storages: dict[int, list[torch.UntypedStorage]] = {}
        self._kept = 0
        self._lock = threading.Lock()

    def empty(self, shape: tuple[int, ...] | torch.Size, like: torch.Tensor) -> torch.Tensor:
        """An uninitialised contiguous tensor of ``shape`` with ``like``'s dtype (and the CPU)."""
        nbytes = math.prod(shape) * like.element_size()
        if nbytes < MIN_BYTES or like.device.type != "cpu" or not enabled():
            return like.new_empty(shape)
        with self._lock:
            storage = self._free_storage(nbytes)
            if storage is None:
                storage = torch.UntypedStorage(nbytes)
                if self._kept + nbytes <= MAX_BYTES:
                    self._storages.setdefault(nbytes, []).append(storage)
                    self._kept += nbytes
            return torch.empty(0, dtype=like.dtype).set_(storage, 0, tuple(shape))

    def _free_storage(self, nbytes: int) -> torch.UntypedStorage | None:
        storages = self._storages.get(nbytes, [])
        for index, storage in enumerate(storages):
            # only the pool holds it, and nobody resized it meanwhile
            if torch._C._storage_Use_Count(storage._cdata) == 1 and storage.nbytes() == nbytes:
                storages.append(storages.pop(index))  # to the back: the front keeps the longest-held ones
                return storage
        return None

    def release(self) -> None:
        """Forget every kept storage (memory in use elsewhere is freed when its last user lets go)."""
        with self._lock:
            self._storages.clear()
            self._kept = 0


POOL = BufferPool()


def release_buffers() -> None:
    """Return the memory the compiled scans keep for reuse (see the module notes)."""
    POOL.release()
