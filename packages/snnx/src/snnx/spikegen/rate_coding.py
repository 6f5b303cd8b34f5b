"""Rate coding: ``spikegen.rate`` and ``spikegen.rate_conv``."""

from __future__ import annotations

from typing import Any

from snnx.ops import Array
from snnx.selection import backend_for
from snnx.specs import encoders
from snnx.specs.neuron import check_input
from snnx.spikegen._dispatch import generator_for


def rate(
    data: Array,
    num_steps: int | bool = False,
    gain: float = 1,
    offset: float = 0,
    first_spike_time: int = 0,
    time_var_input: bool = False,
    generator: Any = None,
) -> Array:
    r"""Rate-code ``data`` into Bernoulli spike trains.

    Each element fires at each step with probability :math:`\mathrm{clip}(g x + o, 0, 1)`
    (``gain`` :math:`g`, ``offset`` :math:`o`); values outside [0, 1] are clipped,
    as in snnTorch. Static data of shape ``S`` gives ``[num_steps, *S]``; with
    ``time_var_input=True`` the first dimension of ``data`` is already time. The
    first ``first_spike_time`` steps are silent.

    ``generator`` (beyond snnTorch) makes encoding reproducible: an integer seed,
    or the backend's own generator (``torch.Generator``, ``numpy.random.Generator``).
    Without it the global generator is used, so under ``torch.manual_seed`` torch
    tensors get the very spikes snnTorch draws.
    """
    check_input("spikegen.rate", data)
    backend = backend_for(data)
    return encoders.rate(
        backend.ops,
        data,
        num_steps,
        gain,
        offset,
        first_spike_time,
        time_var_input,
        generator_for(backend, generator, data),
    )


def rate_conv(data: Array, generator: Any = None) -> Array:
    r"""One Bernoulli draw per element: :math:`s \sim \mathrm{Bernoulli}(\mathrm{clip}(x, 0, 1))`.

    Same shape and dtype as ``data``; values outside [0, 1] are clipped, as in
    snnTorch. ``generator``: as for :func:`rate`.
    """
    check_input("spikegen.rate_conv", data)
    backend = backend_for(data)
    return encoders.rate_spikes(backend.ops, data, generator_for(backend, generator, data))
