r"""Latency coding: ``spikegen.latency`` and the spike-time codes behind it.

An input :math:`x \in [0, 1]` fires once, at time :math:`t_s`: the log code takes
the time an RC circuit with time constant :math:`\tau`, driven by :math:`x`,
needs to charge up to the threshold :math:`\vartheta`; the linear code falls in a
straight line from :math:`\tau` at :math:`x = 0` to 0 at :math:`x = 1`.
Spike times are differentiable with respect to the data; spike trains are not.
"""

from __future__ import annotations

from snnx.ops import Array
from snnx.selection import backend_for
from snnx.specs import encoders
from snnx.specs.encoders.arguments import check_real_input
from snnx.specs.neuron import check_input


def latency(
    data: Array,
    num_steps: int | bool = False,
    threshold: float = 0.01,
    tau: float = 1,
    first_spike_time: int = 0,
    on_target: float = 1,
    off_target: float = 0,
    clip: bool = False,
    normalize: bool = False,
    linear: bool = False,
    interpolate: bool = False,
    bypass: bool = False,
    epsilon: float = 1e-7,
) -> Array:
    r"""Latency-code ``data`` (values in [0, 1]) into one spike per element: ``[num_steps, *S]``, float32.

    The spike falls on step :math:`\mathrm{round}(t_s)` of :func:`latency_code`
    (log code :math:`t_s = \tau \ln\frac{x}{x - \vartheta}`, or ``linear``
    :math:`t_s = \tau (1 - x)`; plus ``first_spike_time``; ``normalize`` stretches
    the latest spike onto step ``num_steps - 1``). The output is ``on_target`` at the
    spike and ``off_target`` elsewhere. Inputs below ``threshold`` fire last, or never
    with ``clip=True``. ``interpolate=True`` gives :func:`latency_interpolate` ramps instead.

    Without ``num_steps``, ``bypass=True`` sizes the output by the latest spike; with
    it, ``bypass=True`` drops spikes past the end instead of raising.

    Raises ``ParameterRangeError`` for data outside [0, 1], ``threshold`` outside (0, 1),
    ``tau <= 0``, or spikes past ``num_steps`` without ``bypass``.
    """
    check_input("spikegen.latency", data)
    return encoders.latency(
        backend_for(data).ops,
        data,
        num_steps,
        threshold,
        tau,
        first_spike_time,
        on_target,
        off_target,
        clip,
        normalize,
        linear,
        interpolate,
        bypass,
        epsilon,
    )


def latency_code(
    data: Array,
    num_steps: int | bool = False,
    threshold: float = 0.01,
    tau: float = 1,
    first_spike_time: int = 0,
    normalize: bool = False,
    linear: bool = False,
    epsilon: float = 1e-7,
) -> tuple[Array, Array]:
    """Spike times of :func:`latency_code_log` (or :func:`latency_code_linear` with ``linear``),
    and a boolean mask of the inputs below ``threshold``.
    """
    check_input("spikegen.latency_code", data)
    return encoders.latency_code(
        backend_for(data).ops, data, num_steps, threshold, tau, first_spike_time, normalize, linear, epsilon
    )


def latency_code_log(
    data: Array,
    num_steps: int | bool = False,
    threshold: float = 0.01,
    tau: float = 1,
    first_spike_time: int = 0,
    normalize: bool = False,
    epsilon: float = 1e-7,
) -> Array:
    r"""RC-charging spike times :math:`t_s = \tau \ln\frac{x'}{x' - \vartheta} + t_0`.

    :math:`x' = \max(x, \vartheta + \epsilon)`, so inputs below the threshold
    :math:`\vartheta` get the latest time; :math:`t_0` = ``first_spike_time``.
    ``normalize`` scales :math:`t_s - t_0` so the latest time is ``num_steps - 1``.
    Differentiable with respect to ``data``.
    """
    check_input("spikegen.latency_code_log", data)
    return encoders.latency_code_log(
        backend_for(data).ops, data, num_steps, threshold, tau, first_spike_time, normalize, epsilon
    )


def latency_code_linear(
    data: Array,
    num_steps: int | bool = False,
    threshold: float = 0.01,
    tau: float = 1,
    first_spike_time: int = 0,
    normalize: bool = False,
) -> Array:
    r"""Linear spike times :math:`t_s = \min(\tau (1 - x), \tau (1 - \vartheta)) + t_0`.

    ``normalize`` sets :math:`\tau` = ``num_steps - 1 - first_spike_time`` (and maps
    negative times, from inputs above 1, linearly onto ``[0, num_steps - 1]``).
    Differentiable with respect to ``data``.
    """
    check_input("spikegen.latency_code_linear", data)
    return encoders.latency_code_linear(
        backend_for(data).ops, data, num_steps, threshold, tau, first_spike_time, normalize
    )


def latency_interpolate(
    spike_time: Array, num_steps: int, on_target: float = 1, off_target: float = 0
) -> Array:
    r"""Ramps ``[num_steps, *S]`` (float32) that rise linearly to each element's spike.

    With :math:`s = \mathrm{round}(t_s)` the value at step :math:`t \le s` is
    :math:`o + (a - o)\,t / s` (``on_target`` :math:`a`, ``off_target`` :math:`o`), and
    :math:`o` after the spike; a spike at 0 gives :math:`a` on step 0, one later than
    ``num_steps`` gives :math:`o` throughout. Needs ``on_target >= off_target``.
    """
    check_real_input("spikegen.latency_interpolate", "spike_time", spike_time)
    return encoders.latency_interpolate(
        backend_for(spike_time).ops, spike_time, num_steps, on_target, off_target
    )
