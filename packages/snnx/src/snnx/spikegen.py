"""Spike encoders with snnTorch's signatures, run by the backend that owns the data."""

from __future__ import annotations

from typing import Any

from snnx.selection import backend_for
from snnx.specs import encoders
from snnx.specs.neuron import check_input

__all__ = ["rate"]


def rate(
    data: Any,
    num_steps: int | bool = False,
    gain: float = 1,
    offset: float = 0,
    first_spike_time: int = 0,
    time_var_input: bool = False,
    generator: Any = None,
) -> Any:
    r"""Rate-code ``data`` into Bernoulli spike trains.

    Each element fires at each step with probability :math:`\mathrm{clip}(g x + o, 0, 1)`
    (``gain`` :math:`g`, ``offset`` :math:`o`); values outside [0, 1] are clipped,
    as in snnTorch. Static data of shape ``S`` gives ``[num_steps, *S]``; with
    ``time_var_input=True`` the first dimension of ``data`` is already time.

    ``generator`` (beyond snnTorch) makes encoding reproducible: an integer seed,
    or the backend's own generator (``torch.Generator``, ``numpy.random.Generator``).
    """
    check_input("spikegen.rate", data)
    backend = backend_for(data)
    if isinstance(generator, int):
        generator = backend.generator(generator, like=data)
    return encoders.rate(
        backend.ops, data, num_steps, gain, offset, first_spike_time, time_var_input, generator
    )
