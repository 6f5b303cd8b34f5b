"""Bytes that autograd saves for backward, counted once per storage.

While a :class:`SavedBytes` context is active, every tensor autograd saves for the
backward pass passes through its pack hook
(``torch.autograd.graph.saved_tensors_hooks``); the count is

    saved = Σ over distinct storages s of nbytes(s),

so views of one tensor, and one tensor saved by several operations, count once.
It includes whatever the graph saves, parameters too (the same for every
implementation of a workload); values kept on an autograd ``ctx`` as plain attributes
rather than through ``save_for_backward`` are not seen.
"""

from __future__ import annotations

from collections.abc import Callable
from types import TracebackType

import torch


class SavedBytes:
    """Context manager that sums the bytes of the distinct storages saved for backward."""

    def __init__(self) -> None:
        self._storages: dict[tuple[str, int], torch.UntypedStorage] = {}
        self._hooks = torch.autograd.graph.saved_tensors_hooks(self._pack, _unpack)

    def _pack(self, tensor: torch.Tensor) -> torch.Tensor:
        storage = tensor.untyped_storage()
        # Holding the storage keeps its address from being reused by a later tensor.
        self._storages.setdefault((str(storage.device), storage.data_ptr()), storage)
        return tensor

    @property
    def nbytes(self) -> int:
        """Bytes of the distinct storages saved so far."""
        return sum(storage.nbytes() for storage in self._storages.values())

    def __enter__(self) -> SavedBytes:
        self._hooks.__enter__()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self._hooks.__exit__(kind, error, trace)


def _unpack(tensor: torch.Tensor) -> torch.Tensor:
    return tensor


def saved_bytes(loss: Callable[[], torch.Tensor]) -> tuple[int, torch.Tensor]:
    """``(bytes saved for backward while computing loss(), the loss)``; runs backward to free the graph."""
    with SavedBytes() as counter:
        value = loss()
    value.backward()
    return counter.nbytes, value.detach()
