"""Target codes: ``spikegen.targets_*``, ``target_rate_code`` and the one-hot helpers.

Class labels become output-layer targets: one-hot rows, rate-coded spike trains
(correct class at ``correct_rate``, the others at ``incorrect_rate``) or latency
codes. Every result is float32 (class ids: int64), as in snnTorch, and carries
no gradient.
"""

from __future__ import annotations

from typing import Any

from snnx.errors import ParameterRangeError
from snnx.ops import Array
from snnx.selection import backend_for
from snnx.specs import encoders
from snnx.spikegen._dispatch import current_template, generator_for
from snnx.spikegen.latency_coding import latency

CODES = ("rate", "latency")


def to_one_hot(targets: Array, num_classes: int) -> Array:
    r"""One-hot rows ``[B, num_classes]``: :math:`y_{bc} = 1` if :math:`c` is sample :math:`b`'s class.

    ``targets`` is a 1-D array of whole-number class ids in ``[0, num_classes - 1]``
    (integer or float dtype); anything else raises with the offending values.
    """
    return encoders.to_one_hot(backend_for(targets).ops, targets, num_classes)


def to_one_hot_inverse(one_hot_targets: Array) -> Array:
    """1 where ``one_hot_targets`` is 0 and 0 elsewhere (same shape and dtype): the incorrect classes."""
    return encoders.to_one_hot_inverse(backend_for(one_hot_targets).ops, one_hot_targets)


def from_one_hot(one_hot_label: Array) -> Array:
    """Class ids (int64) of one-hot rows ``[B, C]``, or the positions of the 1s in a vector ``[C]``.

    Each row must hold exactly one 1. (snnTorch returns the *row* numbers of the
    1s for a ``[B, C]`` array; snnx returns each row's class.)
    """
    return encoders.from_one_hot(backend_for(one_hot_label).ops, one_hot_label)


def target_rate_code(
    num_steps: int,
    first_spike_time: int = 0,
    rate: float = 1,
    firing_pattern: str = "regular",
    generator: Any = None,
) -> tuple[Array, Array]:
    r"""One neuron's target: spikes ``[num_steps]`` at rate :math:`r` from ``first_spike_time``
    :math:`t_0` on, and the spike steps.

    ``"regular"``: steps :math:`\lfloor t_0 + i / r \rfloor`; ``"uniform"``: as many steps
    drawn uniformly from :math:`[t_0, T)` (repeats merge); ``"poisson"``: each step fires
    with probability :math:`r`. Arrays of the backend in force. ``generator``: an integer
    seed or the backend's generator (None: the global one, drawing as snnTorch does).
    """
    backend, template = current_template()
    return encoders.target_rate_code(
        backend.ops,
        template,
        num_steps,
        first_spike_time,
        rate,
        firing_pattern,
        generator_for(backend, generator, template),
    )


def rate_interpolate(
    spike_time: Array, num_steps: int, on_target: float = 1, off_target: float = 0, epsilon: float = 1e-7
) -> Array:
    r"""A target ``[num_steps]`` ramping linearly from ``off_target`` :math:`o` to ``on_target``
    :math:`a` up to each spike step of ``spike_time``.

    Between spikes :math:`p < q` the value at :math:`p < t \le q` is
    :math:`o + (a - o)\frac{t - p - 1}{q - p - 1}` (:math:`a` when :math:`q = p + 1`,
    the first ramp starting at :math:`p = -1`); after the last spike it is :math:`o`.
    Spike times must be whole steps in ``[0, num_steps - 1]``. ``epsilon`` is accepted
    for snnTorch compatibility; the ramps are computed exactly without it.
    """
    ops = backend_for(spike_time).ops
    return encoders.rate_interpolate(ops, spike_time, num_steps, on_target, off_target)


def targets_rate(
    targets: Array,
    num_classes: int,
    num_steps: int | bool = False,
    first_spike_time: int = 0,
    correct_rate: float = 1,
    incorrect_rate: float = 0,
    on_target: float = 1,
    off_target: float = 0,
    firing_pattern: str = "regular",
    interpolate: bool = False,
    epsilon: float = 1e-7,
    generator: Any = None,
) -> Array:
    r"""Rate-coded targets of class ids ``targets`` ``[B]``.

    The default (``correct_rate=1``, ``incorrect_rate=0``, no ``first_spike_time``) is the
    one-hot target ``[B, C]`` with ``on_target`` for the correct class and ``off_target``
    for the others. Otherwise the target is ``[num_steps, B, C]``: the correct class fires
    at ``correct_rate`` and the others at ``incorrect_rate`` (:func:`target_rate_code` with
    ``firing_pattern``, correct class drawn first), ``on_target`` at spikes and
    ``off_target`` between them, or ramps between them with ``interpolate``
    (:func:`rate_interpolate`). With only ``first_spike_time`` set, every class is
    ``off_target`` before it and one-hot after. ``epsilon`` has no effect (compatibility);
    ``generator``: as for :func:`target_rate_code`.
    """
    backend = backend_for(targets)
    return encoders.targets_rate(
        backend.ops,
        targets,
        num_classes,
        num_steps,
        first_spike_time,
        correct_rate,
        incorrect_rate,
        on_target,
        off_target,
        firing_pattern,
        interpolate,
        generator_for(backend, generator, targets),
    )


def targets_latency(
    targets: Array,
    num_classes: int,
    num_steps: int | bool = False,
    first_spike_time: int = 0,
    on_target: float = 1,
    off_target: float = 0,
    interpolate: bool = False,
    threshold: float = 0.01,
    tau: float = 1,
    clip: bool = False,
    normalize: bool = False,
    linear: bool = False,
    epsilon: float = 1e-7,
    bypass: bool = False,
) -> Array:
    """Latency-coded targets ``[num_steps, B, C]``: :func:`~snnx.spikegen.latency` of the one-hot rows.

    The correct class (input 1) fires first; the others (input 0, below ``threshold``)
    fire last, or never with ``clip=True``.
    """
    return latency(
        to_one_hot(targets, num_classes),
        num_steps=num_steps,
        threshold=threshold,
        tau=tau,
        first_spike_time=first_spike_time,
        on_target=on_target,
        off_target=off_target,
        clip=clip,
        normalize=normalize,
        linear=linear,
        interpolate=interpolate,
        bypass=bypass,
        epsilon=epsilon,
    )


def targets_convert(
    targets: Array,
    num_classes: int,
    code: str = "rate",
    num_steps: int | bool = False,
    first_spike_time: int = 0,
    correct_rate: float = 1,
    incorrect_rate: float = 0,
    on_target: float = 1,
    off_target: float = 0,
    firing_pattern: str = "regular",
    interpolate: bool = False,
    epsilon: float = 1e-7,
    threshold: float = 0.01,
    tau: float = 1,
    clip: bool = False,
    normalize: bool = False,
    linear: bool = False,
    bypass: bool = False,
    generator: Any = None,
) -> Array:
    """Spike-coded targets: :func:`targets_rate` (``code="rate"``) or :func:`targets_latency`
    (``code="latency"``), each given the arguments it takes.

    Unlike snnTorch, the latency code also receives ``on_target``, ``off_target``,
    ``interpolate`` and ``epsilon``.
    """
    if code == "rate":
        return targets_rate(
            targets,
            num_classes,
            num_steps=num_steps,
            first_spike_time=first_spike_time,
            correct_rate=correct_rate,
            incorrect_rate=incorrect_rate,
            on_target=on_target,
            off_target=off_target,
            firing_pattern=firing_pattern,
            interpolate=interpolate,
            generator=generator,
        )
    if code == "latency":
        return targets_latency(
            targets,
            num_classes,
            num_steps=num_steps,
            first_spike_time=first_spike_time,
            on_target=on_target,
            off_target=off_target,
            interpolate=interpolate,
            threshold=threshold,
            tau=tau,
            clip=clip,
            normalize=normalize,
            linear=linear,
            epsilon=epsilon,
            bypass=bypass,
        )
    raise ParameterRangeError(f"spikegen.targets_convert: code {code!r} is not one of {', '.join(CODES)}.")
