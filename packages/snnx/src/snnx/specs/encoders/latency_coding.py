r"""Latency coding: each element fires once, the larger its value the earlier.

Spike times :math:`t_s` come from the charging time of an RC circuit (log code)
or a straight line (linear code); :func:`latency` turns them into spike trains.
"""

from __future__ import annotations

from snnx.errors import ParameterRangeError
from snnx.ops import Array, ArrayOps
from snnx.specs.encoders.arguments import check_not_empty, integer_argument, value_range

INF = float("inf")


def check_latency_code_arguments(
    owner: str,
    ops: ArrayOps,
    data: Array,
    num_steps: int,
    threshold: float,
    tau: float,
    first_spike_time: int,
    normalize: bool,
) -> tuple[int, int]:
    """Reject what no latency code can honour; returns ``(num_steps, first_spike_time)`` as ints."""
    check_not_empty(owner, "data", data)
    num_steps = integer_argument(owner, "num_steps", num_steps)
    first_spike_time = integer_argument(owner, "first_spike_time", first_spike_time)
    if not 0 < threshold < 1:
        raise ParameterRangeError(f"{owner}: threshold ({threshold}) must lie strictly between 0 and 1.")
    if not tau > 0:
        raise ParameterRangeError(f"{owner}: tau ({tau}) must be > 0.")
    if num_steps and first_spike_time > num_steps - 1:
        raise ParameterRangeError(
            f"{owner}: first_spike_time ({first_spike_time}) must be at most num_steps - 1 ({num_steps - 1})."
        )
    if normalize and not num_steps:
        raise ParameterRangeError(
            f"{owner}: normalize=True stretches the code over num_steps; give num_steps > 0."
        )
    if first_spike_time:
        low, high = value_range(ops, data)
        if low < 0 and high > 1:
            raise ParameterRangeError(
                f"{owner}: first_spike_time needs data within [0, 1], got values in [{low}, {high}]."
            )
    return num_steps, first_spike_time


def latency_code_log(
    ops: ArrayOps,
    data: Array,
    num_steps: int,
    threshold: float,
    tau: float,
    first_spike_time: int,
    normalize: bool,
    epsilon: float,
) -> Array:
    r"""RC-charging spike times :math:`t_s = \tau \ln\frac{x'}{x' - \vartheta} + t_0`, with
    :math:`x' = \max(x, \vartheta + \epsilon)` (inputs below the threshold :math:`\vartheta`
    get the latest time) and :math:`t_0` = ``first_spike_time``.

    ``normalize`` rescales :math:`t_s - t_0` so that the latest spike lands on step
    ``num_steps - 1``.
    """
    num_steps, first_spike_time = check_latency_code_arguments(
        "spikegen.latency_code_log", ops, data, num_steps, threshold, tau, first_spike_time, normalize
    )
    clipped = ops.clip(data, threshold + epsilon, INF)
    spike_time = tau * ops.log(clipped / (clipped - threshold))
    if first_spike_time > 0:
        spike_time = spike_time + first_spike_time
    if normalize:
        shifted = spike_time - first_spike_time
        spike_time = shifted * (num_steps - first_spike_time - 1) / ops.amax(shifted) + first_spike_time
    return spike_time


def latency_code_linear(
    ops: ArrayOps,
    data: Array,
    num_steps: int,
    threshold: float,
    tau: float,
    first_spike_time: int,
    normalize: bool,
) -> Array:
    r"""Linear spike times :math:`t_s = \min(\tau (1 - x), \tau (1 - \vartheta)) + t_0`.

    ``normalize`` sets :math:`\tau = ` ``num_steps - 1 - first_spike_time``, so input 0
    fires on the last step; if some times are then negative (inputs above 1) they are
    rescaled linearly onto ``[0, num_steps - 1]``.
    """
    num_steps, first_spike_time = check_latency_code_arguments(
        "spikegen.latency_code_linear", ops, data, num_steps, threshold, tau, first_spike_time, normalize
    )
    if normalize:
        tau = num_steps - 1 - first_spike_time
    spike_time = ops.clip(-tau * (data - 1), -INF, -tau * (threshold - 1)) + first_spike_time
    if normalize and value_range(ops, spike_time)[0] < 0:
        low = ops.amin(spike_time)
        spike_time = (spike_time - low) * (1 / (ops.amax(spike_time) - low)) * (num_steps - 1)
    return spike_time


def latency_code(
    ops: ArrayOps,
    data: Array,
    num_steps: int,
    threshold: float,
    tau: float,
    first_spike_time: int,
    normalize: bool,
    linear: bool,
    epsilon: float,
) -> tuple[Array, Array]:
    """Spike times of the log (default) or ``linear`` code, and the mask of inputs below ``threshold``."""
    if linear:
        spike_time = latency_code_linear(ops, data, num_steps, threshold, tau, first_spike_time, normalize)
    else:
        spike_time = latency_code_log(
            ops, data, num_steps, threshold, tau, first_spike_time, normalize, epsilon
        )
    return spike_time, data < threshold


def latency_spikes(
    ops: ArrayOps,
    spike_time: Array,
    num_steps: int,
    silent: Array | None,
    on_target: float,
    off_target: float,
) -> Array:
    r"""Spike trains ``[num_steps, *S]`` (float32): ``on_target`` at step :math:`\mathrm{round}(t_s)`,
    ``off_target`` elsewhere. Times rounding past the last step, and elements where
    ``silent`` is set, never fire.
    """
    steps = ops.arange(num_steps, like=spike_time).reshape(num_steps, *([1] * len(spike_time.shape)))
    in_range = ops.round(spike_time) <= num_steps - 1
    fired = (steps == ops.round(ops.clip(spike_time, -INF, num_steps - 1))[None]) & in_range[None]
    if silent is not None:
        fired = fired & ~silent[None]
    spikes = ops.astype(fired, "float32")
    return spikes * on_target + (1 - spikes) * off_target


def latency_interpolate(
    ops: ArrayOps, spike_time: Array, num_steps: int, on_target: float, off_target: float
) -> Array:
    r"""Ramps ``[num_steps, *S]`` (float32) rising linearly to each spike and silent after it.

    With :math:`s = \mathrm{round}(t_s)`, the value at step :math:`t` is
    :math:`v = o + (a - o)\,t / s` (:math:`a` = ``on_target``, :math:`o` = ``off_target``)
    up to :math:`t = s`, and :math:`o` wherever :math:`v > a` (after the spike). A spike
    at 0 is :math:`a` on step 0; spikes after ``num_steps`` give :math:`o` throughout.
    The rounding makes the gradient with respect to the times zero.
    """
    owner = "spikegen.latency_interpolate"
    num_steps = integer_argument(owner, "num_steps", num_steps, minimum=1)
    if on_target < off_target:
        raise ParameterRangeError(
            f"{owner}: on_target ({on_target}) must be >= off_target ({off_target}); the ramps rise."
        )
    rounded = ops.astype(ops.round(spike_time), "float32")
    at_zero = rounded == 0
    # a spike at 0 and one beyond the window divide by 1/2: every later step exceeds the peak
    divisor = ops.where(at_zero | (rounded > num_steps), 0.5, rounded)
    steps = ops.arange(num_steps, like=divisor).reshape(num_steps, *([1] * len(rounded.shape)))
    ratio = ops.where((steps == 0) & at_zero[None], 1.0, steps / divisor[None])
    ramps = ratio * (on_target - off_target) + off_target
    return ops.where(ramps > on_target, off_target, ramps)


def latency(
    ops: ArrayOps,
    data: Array,
    num_steps: int,
    threshold: float,
    tau: float,
    first_spike_time: int,
    on_target: float,
    off_target: float,
    clip: bool,
    normalize: bool,
    linear: bool,
    interpolate: bool,
    bypass: bool,
    epsilon: float,
) -> Array:
    """Latency-coded spike trains ``[num_steps, *S]`` of data in [0, 1] (see ``spikegen.latency``)."""
    owner = "spikegen.latency"
    check_not_empty(owner, "data", data)
    low, high = value_range(ops, data)
    if low < 0 or high > 1:
        raise ParameterRangeError(
            f"{owner}: data must lie in [0, 1], got values in [{low}, {high}]; rescale it first."
        )
    num_steps = integer_argument(owner, "num_steps", num_steps)
    if not num_steps and not bypass:
        raise ParameterRangeError(
            f"{owner}: give num_steps > 0, or set bypass=True to size the output by the latest spike."
        )
    spike_time, below = latency_code(
        ops, data, num_steps, threshold, tau, first_spike_time, normalize, linear, epsilon
    )
    last = round(value_range(ops, spike_time)[1])  # half to even, as torch.round
    if not num_steps:
        num_steps = last + 1
    elif last > num_steps - 1 and not bypass:
        raise ParameterRangeError(
            f"{owner}: the latest spike falls on step {last}, beyond num_steps - 1 ({num_steps - 1}). "
            "Use normalize=True or a smaller tau, or bypass=True to drop late spikes."
        )
    if interpolate:
        return latency_interpolate(ops, spike_time, num_steps, on_target, off_target)
    return latency_spikes(ops, spike_time, num_steps, below if clip else None, on_target, off_target)
