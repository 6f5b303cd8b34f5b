r"""Target codes: class labels as one-hot vectors and as spike trains for the output layer."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from snnx.errors import InputShapeError, ParameterRangeError
from snnx.ops import Array, ArrayOps
from snnx.specs.encoders.arguments import check_real_input, integer_argument, probability_argument

FIRING_PATTERNS = ("regular", "uniform", "poisson")


def empty_like(ops: ArrayOps, like: Array, dtype: str) -> Array:
    """An empty array of ``dtype`` on the device of ``like`` (a template for ``ops.from_numpy``)."""
    return ops.astype(like.reshape(-1)[:0], dtype)


def _listed(values: np.ndarray, limit: int = 5) -> str:
    shown = ", ".join(f"{value:g}" for value in values[:limit])
    return shown + (", ..." if values.size > limit else "")


def to_one_hot(ops: ArrayOps, targets: Array, num_classes: int) -> Array:
    r"""One-hot rows ``[B, num_classes]`` (float32): :math:`y_{bc} = [c = k_b]` for class ids :math:`k_b`."""
    owner = "spikegen.to_one_hot"
    num_classes = integer_argument(owner, "num_classes", num_classes, minimum=1)
    check_real_input(owner, "targets", targets)
    if len(targets.shape) != 1:
        raise InputShapeError(
            f"{owner}: targets must be a 1-D array of class ids [batch], got shape {tuple(targets.shape)}."
        )
    ids = ops.to_numpy(targets)
    bad = ids[(ids != np.round(ids)) | (ids < 0) | (ids > num_classes - 1)]
    if bad.size:
        raise ParameterRangeError(
            f"{owner}: class ids must be whole numbers in [0, {num_classes - 1}] for num_classes="
            f"{num_classes}, got {_listed(bad)}."
        )
    classes = ops.astype(targets, "int64")
    return ops.astype(classes[:, None] == ops.arange(num_classes, like=classes), "float32")


def to_one_hot_inverse(ops: ArrayOps, one_hot: Array) -> Array:
    """1 where ``one_hot`` is 0, 0 elsewhere, in its dtype: the incorrect classes."""
    return ops.as_dtype_of(one_hot == 0, one_hot)


def from_one_hot(ops: ArrayOps, one_hot: Array) -> Array:
    """Class ids (int64): per row of a ``[B, C]`` one-hot array, or the positions of the 1s in a vector."""
    owner = "spikegen.from_one_hot"
    hits = ops.to_numpy(one_hot) == 1
    if hits.ndim == 1:
        ids = np.flatnonzero(hits)
    elif hits.ndim == 2:
        counts = hits.sum(axis=1)
        rows = np.flatnonzero(counts != 1)
        if rows.size:
            raise ParameterRangeError(
                f"{owner}: each row of a [batch, classes] one-hot array needs exactly one 1; rows "
                f"{_listed(rows)} have {_listed(counts[rows])}."
            )
        ids = hits.argmax(axis=1)
    else:
        raise InputShapeError(
            f"{owner}: expected a one-hot vector [C] or rows [batch, C], got shape {tuple(one_hot.shape)}."
        )
    return ops.from_numpy(ids.astype(np.int64), empty_like(ops, one_hot, "int64"))


def check_firing_pattern(owner: str, firing_pattern: str) -> str:
    """``firing_pattern`` in lower case, if it is one snnTorch knows."""
    pattern = str(firing_pattern).lower()
    if pattern not in FIRING_PATTERNS:
        raise ParameterRangeError(
            f"{owner}: firing_pattern {firing_pattern!r} is not one of {', '.join(FIRING_PATTERNS)}."
        )
    return pattern


def target_rate_code(
    ops: ArrayOps,
    like: Array,
    num_steps: int,
    first_spike_time: int,
    rate: float,
    firing_pattern: str,
    generator: Any = None,
) -> tuple[Array, Array]:
    r"""One neuron's target spikes ``[num_steps]`` (float32) at rate :math:`r`, and its spike steps (int64).

    From step :math:`t_0` = ``first_spike_time`` on: ``regular`` fires at
    :math:`\lfloor t_0 + i / r \rfloor`; ``uniform`` draws as many steps uniformly from
    :math:`[t_0, T)` (repeats merge); ``poisson`` fires at each step with probability
    :math:`r`. ``like`` fixes the device.
    """
    owner = "spikegen.target_rate_code"
    num_steps = integer_argument(owner, "num_steps", num_steps, minimum=1)
    first_spike_time = integer_argument(owner, "first_spike_time", first_spike_time)
    probability_argument(owner, "rate", rate)
    if first_spike_time > num_steps:
        raise ParameterRangeError(
            f"{owner}: first_spike_time ({first_spike_time}) must be at most num_steps ({num_steps})."
        )
    pattern = check_firing_pattern(owner, firing_pattern)
    float_like = empty_like(ops, like, "float32")
    if pattern == "poisson" and rate > 0:
        probabilities = np.zeros(num_steps, np.float32)
        probabilities[first_spike_time:] = rate
        spikes = ops.bernoulli(ops.from_numpy(probabilities, float_like), generator)
        times = np.flatnonzero(ops.to_numpy(spikes) == 1)
    else:
        times = _spike_steps(ops, float_like, num_steps, first_spike_time, rate, pattern, generator)
        train = np.zeros(num_steps, np.float32)
        train[times] = 1
        spikes = ops.from_numpy(train, float_like)
    return spikes, ops.from_numpy(times, empty_like(ops, like, "int64"))


def _spike_steps(
    ops: ArrayOps,
    float_like: Array,
    num_steps: int,
    first_spike_time: int,
    rate: float,
    pattern: str,
    generator: Any,
) -> np.ndarray:
    """Spike steps of the ``regular`` and ``uniform`` patterns (none at rate 0)."""
    if rate == 0:
        return np.zeros(0, np.int64)
    step = 1 / rate
    count = math.ceil((num_steps - first_spike_time) / step)
    if pattern == "regular":
        # float32 positions, truncated: the steps torch.arange(t0, T, 1 / r).long() gives
        return (first_spike_time + np.arange(count) * step).astype(np.float32).astype(np.int64)
    uniform = ops.to_numpy(ops.rand_like(ops.from_numpy(np.zeros(count), float_like), generator))
    scaled = uniform * np.float32(num_steps - first_spike_time) + np.float32(first_spike_time)
    return np.minimum(scaled.astype(np.int64), num_steps - 1)  # float32 rounding can reach num_steps


def rate_interpolate(
    ops: ArrayOps, spike_time: Array, num_steps: int, on_target: float, off_target: float
) -> Array:
    r"""A target ``[num_steps]`` (float32) ramping linearly from ``off_target`` :math:`o` to
    ``on_target`` :math:`a` up to each spike step.

    Between consecutive spikes :math:`p < q` the value at :math:`p < t \le q` is
    :math:`o + (a - o)\,\frac{t - p - 1}{q - p - 1}` (:math:`a` when :math:`q = p + 1`);
    the first ramp starts at :math:`p = -1`, and after the last spike the value is :math:`o`.
    """
    owner = "spikegen.rate_interpolate"
    num_steps = integer_argument(owner, "num_steps", num_steps, minimum=1)
    check_real_input(owner, "spike_time", spike_time)
    times = ops.to_numpy(spike_time).reshape(-1)
    bad = times[(times != np.round(times)) | (times < 0) | (times > num_steps - 1)]
    if bad.size:
        raise ParameterRangeError(
            f"{owner}: spike times must be whole steps in [0, {num_steps - 1}], got {_listed(bad)}."
        )
    values = np.full(num_steps, off_target, np.float64)
    previous = -1
    for spike in np.unique(times.astype(np.int64)):
        gap = spike - previous - 1
        if gap:
            rise = (on_target - off_target) / gap
            values[previous + 1 : spike + 1] = off_target + np.arange(gap + 1) * rise
        else:
            values[spike] = on_target
        previous = spike
    return ops.from_numpy(values.astype(np.float32), empty_like(ops, spike_time, "float32"))


def targets_rate(
    ops: ArrayOps,
    targets: Array,
    num_classes: int,
    num_steps: int,
    first_spike_time: int,
    correct_rate: float,
    incorrect_rate: float,
    on_target: float,
    off_target: float,
    firing_pattern: str,
    interpolate: bool,
    generator: Any = None,
) -> Array:
    r"""Rate-coded class targets (float32): ``on_target`` where a class fires, ``off_target`` elsewhere.

    With ``correct_rate == 1``, ``incorrect_rate == 0`` and no ``first_spike_time`` this is
    the one-hot target ``[B, C]``; otherwise ``[num_steps, B, C]``, the correct class firing
    at ``correct_rate`` and the others at ``incorrect_rate`` (:func:`target_rate_code`,
    correct class drawn first), or ramping to their spikes with ``interpolate``.
    """
    owner = "spikegen.targets_rate"
    probability_argument(owner, "correct_rate", correct_rate)
    probability_argument(owner, "incorrect_rate", incorrect_rate)
    num_steps = integer_argument(owner, "num_steps", num_steps)
    first_spike_time = integer_argument(owner, "first_spike_time", first_spike_time)
    constant = correct_rate == 1 and incorrect_rate == 0
    if not num_steps and (not constant or first_spike_time):
        raise ParameterRangeError(
            f"{owner}: a time-varying target (correct_rate {correct_rate}, incorrect_rate "
            f"{incorrect_rate}, first_spike_time {first_spike_time}) needs num_steps > 0."
        )
    if incorrect_rate > correct_rate:
        raise ParameterRangeError(
            f"{owner}: incorrect_rate ({incorrect_rate}) must not exceed correct_rate ({correct_rate})."
        )
    check_firing_pattern(owner, firing_pattern)
    one_hot = to_one_hot(ops, targets, num_classes)
    others = 1 - one_hot
    if constant:
        target = one_hot * on_target + others * off_target
        if not first_spike_time:
            return target
        series = ops.repeat_time(target, num_steps)
        series[:first_spike_time] = off_target
        return series
    codes = [
        target_rate_code(ops, one_hot, num_steps, first_spike_time, rate, firing_pattern, generator)
        for rate in (correct_rate, incorrect_rate)
    ]
    if interpolate:
        correct, incorrect = (
            rate_interpolate(ops, times, num_steps, on_target, off_target) for _, times in codes
        )
        return one_hot[None] * correct[:, None, None] + others[None] * incorrect[:, None, None]
    (correct, _), (incorrect, _) = codes
    fired = one_hot[None] * correct[:, None, None] + others[None] * incorrect[:, None, None]
    return fired * on_target + (1 - fired) * off_target
