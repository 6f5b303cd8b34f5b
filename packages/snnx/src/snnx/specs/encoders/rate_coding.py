r"""Rate coding: each element fires at every step with a probability set by its value."""

from __future__ import annotations

from typing import Any

from snnx.errors import ParameterRangeError
from snnx.ops import Array, ArrayOps


def rate_spikes(ops: ArrayOps, data: Array, generator: Any = None) -> Array:
    r"""Bernoulli spikes with firing probability :math:`p = \mathrm{clip}(x, 0, 1)`.

    Values outside [0, 1] are clipped (as in snnTorch) rather than rejected, so
    over-bright pixels fire at every step and negative ones never fire.
    """
    return ops.bernoulli(ops.clip(data, 0.0, 1.0), generator)


def rate(
    ops: ArrayOps,
    data: Array,
    num_steps: int,
    gain: float,
    offset: float,
    first_spike_time: int,
    time_var_input: bool,
    generator: Any = None,
) -> Array:
    r"""Rate coding: at step :math:`t` each element fires with probability
    :math:`\mathrm{clip}(g\,x + o, 0, 1)`, where :math:`g` is ``gain`` and
    :math:`o` ``offset``.

    Static data of shape ``S`` gives spikes of shape ``[num_steps, *S]``;
    time-varying data (``time_var_input=True``, leading dimension is time) is
    encoded step by step. The first ``first_spike_time`` steps are silent.
    """
    check_rate_arguments(num_steps, first_spike_time, time_var_input)
    if time_var_input:
        spikes = rate_spikes(ops, data, generator)
        if first_spike_time > 0:
            silent = ops.zeros_like(ops.repeat_time(data[0], first_spike_time))
            spikes = ops.concat_time(silent, spikes)
        return spikes
    spikes = rate_spikes(ops, ops.repeat_time(data, num_steps) * gain + offset, generator)
    if first_spike_time > 0:
        spikes[:first_spike_time] = 0
    return spikes


def check_rate_arguments(num_steps: int | bool, first_spike_time: int, time_var_input: bool) -> None:
    """Reject argument combinations that rate coding cannot honour."""
    num_steps = int(num_steps)
    if num_steps < 0 or first_spike_time < 0:
        raise ParameterRangeError(
            f"spikegen.rate: num_steps ({num_steps}) and first_spike_time ({first_spike_time}) must be >= 0."
        )
    if time_var_input:
        if num_steps:
            raise ParameterRangeError(
                "spikegen.rate: with time_var_input=True the input's first dimension is time; "
                "leave num_steps unset."
            )
        return
    if not num_steps:
        raise ParameterRangeError(
            "spikegen.rate: give num_steps > 0 for static data, or set time_var_input=True "
            "if the first dimension of the data is already time."
        )
    if first_spike_time > num_steps - 1:
        raise ParameterRangeError(
            f"spikegen.rate: first_spike_time ({first_spike_time}) must be at most "
            f"num_steps - 1 ({num_steps - 1})."
        )
