"""``snnx_ipu.dataloader``: a ``poptorch.DataLoader`` for spike-train datasets.

poptorch's loader batches ``batch_size`` (the micro-batch) times the options'
device iterations, replicas and accumulated micro-batches per host call, so one
iteration feeds one call of a compiled model. Samples are stacked along a new first
dimension: a dataset of ``[T, ...]`` spike trains yields ``[B, T, ...]`` batches,
which is the layout :func:`snnx_ipu.training_model` takes with ``batch_first=True``.
"""

from __future__ import annotations

from numbers import Integral
from typing import Any

from snnx.errors import ParameterRangeError
from snnx_ipu.availability import require_poptorch
from snnx_ipu.options import options as default_options


def dataloader(
    dataset: Any, options: Any = None, *, batch_size: int = 1, shuffle: bool = False, **kwargs: Any
):
    """``poptorch.DataLoader(options, dataset, batch_size=..., shuffle=..., **kwargs)``.

    ``options`` defaults to :func:`snnx_ipu.options` with its defaults; ``kwargs``
    (``num_workers``, ``drop_last``, ``mode``...) go to poptorch unchanged. Raises
    :class:`~snnx.errors.ParameterRangeError` for a ``batch_size`` below 1 and
    :class:`~snnx.errors.BackendUnavailableError` when poptorch is not installed.
    """
    if isinstance(batch_size, bool) or not isinstance(batch_size, Integral) or batch_size < 1:
        raise ParameterRangeError(
            f"snnx_ipu.dataloader: batch_size must be a whole number >= 1, got {batch_size!r}."
        )
    poptorch = require_poptorch()
    opts = default_options() if options is None else options
    return poptorch.DataLoader(opts, dataset, batch_size=int(batch_size), shuffle=bool(shuffle), **kwargs)
