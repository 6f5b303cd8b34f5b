r"""SNN losses with snnTorch 1.0's names, arguments and numbers (``snntorch.functional.loss``).

Each loss is a class: configure it once, then call it on the network's output
record ``[time, batch, outputs]`` (spikes, or membrane potentials for the
``*_membrane_*`` losses) and the targets (class ids ``[batch]`` unless said
otherwise). The maths (:mod:`snnx.specs.losses`) runs on the backend that owns
the output, differentiably where that backend has autograd.

Notation: :math:`T` steps, :math:`s_{t,b,o}` the output, :math:`y_b` the label,
:math:`Y_{b,k} = [k = y_b]`, :math:`w_b = \text{weight}[y_b]` (1 without ``weight``),
:math:`\ell` the loss before ``reduction``, which is ``'mean'`` (over every entry
of :math:`\ell`), ``'sum'`` or ``'none'``. Class weights multiply each sample's
loss; ``'mean'`` then averages over entries as snnTorch does (only
:class:`ce_temporal_loss` divides by the summed weights, as torch's cross entropy).
With ``population_code=True`` the outputs form ``num_classes`` equal, contiguous
populations whose spikes are summed per class (:func:`~snnx.specs.losses.population`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from snnx.backend import Backend
from snnx.errors import InputShapeError, ParameterRangeError
from snnx.functional._inputs import (
    as_numpy,
    check_output,
    check_population,
    check_reduction,
    class_weights,
    host,
    labels,
    num_classes_of,
    one_hot,
)
from snnx.ops import Array
from snnx.specs.losses import nll, population, reduce, snap_to_targets, spike_times

__all__ = [
    "LossFunctions",
    "SpikeTime",
    "ce_count_loss",
    "ce_max_membrane_loss",
    "ce_rate_loss",
    "ce_temporal_loss",
    "mse_count_loss",
    "mse_membrane_loss",
    "mse_temporal_loss",
]


class LossFunctions:
    """What the losses share: ``reduction``, per-class ``weight``, and their checks."""

    def __init__(self, reduction: str = "mean", weight: Any = None) -> None:
        self.__name__ = type(self).__name__
        self.reduction = check_reduction(self.__name__, reduction)
        self.weight = weight

    def _weighted(
        self, backend: Backend, loss: Array, ids: np.ndarray, num_classes: int, like: Array
    ) -> Array:
        """``loss`` times :math:`w_b` (broadcast over the dimensions after the labels')."""
        weight = class_weights(self.__name__, backend, self.weight, num_classes)
        if weight is None:
            return loss
        trailing = len(loss.shape) - ids.ndim
        return loss * backend.ops.from_numpy(weight[ids].reshape(ids.shape + (1,) * trailing), like=like)


class ce_rate_loss(LossFunctions):  # noqa: N801 - snnTorch's name
    r"""Cross entropy of the spikes at every step, averaged over steps.

    :math:`\ell_b = \frac{w_b}{T} \sum_t -\log\mathrm{softmax}(s_{t,b})_{y_b}`: the correct
    class is pushed to fire at every step and the others to stay silent. With
    ``population_code=True`` the softmax is over each step's per-class population
    spike counts.
    """

    def __init__(
        self,
        population_code: bool = False,
        num_classes: int | bool = False,
        reduction: str = "mean",
        weight: Any = None,
    ) -> None:
        super().__init__(reduction, weight)
        check_population(self.__name__, population_code, num_classes)
        self.population_code = population_code
        self.num_classes = num_classes

    def __call__(self, spk_out: Array, targets: Any) -> Array:
        backend, steps, batch, outputs = check_output(self.__name__, spk_out)
        classes = num_classes_of(self.__name__, self.population_code, self.num_classes, outputs)
        ids = labels(self.__name__, backend, targets, (batch,), classes)
        ops = backend.ops
        scores = population(ops, spk_out, classes) if self.population_code else spk_out
        loss = ops.sum(nll(ops, scores, ops.from_numpy(one_hot(ids, classes), like=spk_out)), dim=0) / steps
        return reduce(ops, self._weighted(backend, loss, ids, classes, spk_out), self.reduction)


class ce_count_loss(LossFunctions):  # noqa: N801 - snnTorch's name
    r"""Cross entropy of the spike counts: :math:`\ell_b = -w_b \log\mathrm{softmax}(n_b)_{y_b}`,
    :math:`n_{b,k} = \sum_t s_{t,b,k}` (summed over class ``k``'s population with ``population_code``).
    """

    def __init__(
        self,
        population_code: bool = False,
        num_classes: int | bool = False,
        reduction: str = "mean",
        weight: Any = None,
    ) -> None:
        super().__init__(reduction, weight)
        check_population(self.__name__, population_code, num_classes)
        self.population_code = population_code
        self.num_classes = num_classes

    def __call__(self, spk_out: Array, targets: Any) -> Array:
        backend, _, batch, outputs = check_output(self.__name__, spk_out)
        classes = num_classes_of(self.__name__, self.population_code, self.num_classes, outputs)
        ids = labels(self.__name__, backend, targets, (batch,), classes)
        ops = backend.ops
        counts = ops.sum(spk_out, dim=0)
        if self.population_code:
            counts = population(ops, counts, classes)
        loss = nll(ops, counts, ops.from_numpy(one_hot(ids, classes), like=spk_out))
        loss = self._weighted(backend, loss, ids, classes, spk_out)
        return reduce(ops, loss, self.reduction)


class ce_max_membrane_loss(LossFunctions):  # noqa: N801 - snnTorch's name
    r"""Cross entropy of each output's peak membrane potential:
    :math:`\ell_b = -w_b \log\mathrm{softmax}(\max_t u_{t,b})_{y_b}` (gradient to the peak step).
    """

    def __call__(self, mem_out: Array, targets: Any) -> Array:
        backend, _, batch, outputs = check_output(self.__name__, mem_out)
        ids = labels(self.__name__, backend, targets, (batch,), outputs)
        ops = backend.ops
        loss = nll(ops, ops.max(mem_out, dim=0), ops.from_numpy(one_hot(ids, outputs), like=mem_out))
        loss = self._weighted(backend, loss, ids, outputs, mem_out)
        return reduce(ops, loss, self.reduction)


class mse_count_loss(LossFunctions):  # noqa: N801 - snnTorch's name
    r"""Squared error of spike counts against target counts, per step.

    :math:`\ell_{b,k} = \frac{w_b}{T} (n_{b,k} - n^*_{b,k})^2` with :math:`n^* =` ``int(T *
    correct_rate)`` for the correct class and ``int(T * incorrect_rate)`` for the others
    (times the population size :math:`O/K` with ``population_code``), as in snnTorch.
    """

    def __init__(
        self,
        correct_rate: float = 1,
        incorrect_rate: float = 0,
        population_code: bool = False,
        num_classes: int | bool = False,
        reduction: str = "mean",
        weight: Any = None,
    ) -> None:
        super().__init__(reduction, weight)
        check_population(self.__name__, population_code, num_classes)
        self.correct_rate = correct_rate
        self.incorrect_rate = incorrect_rate
        self.population_code = population_code
        self.num_classes = num_classes

    def __call__(self, spk_out: Array, targets: Any) -> Array:
        backend, steps, batch, outputs = check_output(self.__name__, spk_out)
        classes = num_classes_of(self.__name__, self.population_code, self.num_classes, outputs)
        ids = labels(self.__name__, backend, targets, (batch,), classes)
        ops = backend.ops
        counts = ops.sum(spk_out, dim=0)
        if self.population_code:
            counts = population(ops, counts, classes)
            on = int(steps * self.correct_rate * (outputs / classes))
            off = int(steps * self.incorrect_rate * (outputs / classes))
        else:
            on, off = int(steps * self.correct_rate), int(steps * self.incorrect_rate)
        hot = one_hot(ids, classes)
        wanted = ops.from_numpy(hot * on + (1 - hot) * off, like=spk_out)
        loss = self._weighted(backend, (counts - wanted) ** 2, ids, classes, spk_out)
        return reduce(ops, loss / steps, self.reduction)


class mse_membrane_loss(LossFunctions):  # noqa: N801 - snnTorch's name
    r"""Squared error of the membrane potential against ``on_target`` / ``off_target``, averaged over steps.

    :math:`\ell_{b,k} = \frac{1}{T}\sum_t w_{t,b} (u_{t,b,k} - u^*_{t,b,k})^2`, with
    :math:`u^* =` ``on_target`` for the correct class and ``off_target`` otherwise. The
    labels are ``[batch]``, or ``[time, batch]`` (one label per step) with
    ``time_var_targets=True``.
    """

    def __init__(
        self,
        time_var_targets: bool = False,
        on_target: float = 1,
        off_target: float = 0,
        reduction: str = "mean",
        weight: Any = None,
    ) -> None:
        super().__init__(reduction, weight)
        self.time_var_targets = time_var_targets
        self.on_target = on_target
        self.off_target = off_target

    def __call__(self, mem_out: Array, targets: Any) -> Array:
        backend, steps, batch, outputs = check_output(self.__name__, mem_out)
        shape = (steps, batch) if self.time_var_targets else (batch,)
        ids = labels(self.__name__, backend, targets, shape, outputs)
        ops = backend.ops
        hot = one_hot(ids, outputs)
        wanted = ops.from_numpy(hot * self.on_target + (1 - hot) * self.off_target, like=mem_out)
        per_step = ids if self.time_var_targets else ids[None]
        loss = self._weighted(backend, (mem_out - wanted) ** 2, per_step, outputs, mem_out)
        return reduce(ops, ops.sum(loss, dim=0) / steps, self.reduction)


class SpikeTime:
    r"""Spike times of the output neurons and their targets: ``(times, target_times)``.

    Called on spikes ``[T, batch, N]``, it returns the step of each neuron's first
    spike (``[batch, N]``), or of its first :math:`F` spikes (``[F, batch, N]``) with
    ``multi_spike=True``; a neuron that fired fewer times gets :math:`T-1`. Spike
    times are differentiated with the sign estimator
    :math:`\partial\tau/\partial s_t = -[t = \tau]` (see
    :func:`~snnx.specs.losses.spike_times`).

    Targets are class ids ``[batch]`` encoded as ``on_target`` for the correct
    neuron and ``off_target`` for the others (sequences of :math:`F` times each
    with ``multi_spike``), or, with ``target_is_time=True``, the times themselves
    (``[N]`` or ``[batch, N]``; ``[F, N]`` or ``[F, batch, N]`` with ``multi_spike``).
    A negative target time :math:`\tau^*` means :math:`T + \tau^*` (``-1``: the last
    step). With ``tolerance`` :math:`\delta > 0`, times with
    :math:`|\tau - \tau^*| < \delta` are replaced by their target.
    """

    def __init__(
        self,
        target_is_time: bool = False,
        on_target: float | Sequence[float] = 0,
        off_target: float | Sequence[float] = -1,
        tolerance: float = 0,
        multi_spike: bool = False,
    ) -> None:
        if tolerance < 0:
            raise ParameterRangeError(f"SpikeTime: tolerance must be >= 0 steps, got {tolerance!r}.")
        self.target_is_time = target_is_time
        self.tolerance = tolerance
        self.multi_spike = multi_spike
        if not target_is_time:
            self.on_target = on_target
            self.off_target = off_target
            self._on, self._off = _target_times(on_target, off_target, multi_spike)

    def __call__(self, spk_out: Array, targets: Any) -> tuple[Array, Array]:
        backend, steps, batch, outputs = check_output("SpikeTime", spk_out)
        if self.target_is_time:
            wanted = self._given_times(backend, targets, batch, outputs)
        else:
            hot = one_hot(labels("SpikeTime", backend, targets, (batch,), outputs), outputs)
            wanted = hot * self._on[:, None, None] + (1 - hot) * self._off[:, None, None]
        wanted = np.where(wanted < 0, steps + wanted, wanted)
        ops = backend.ops
        times = spike_times(ops, spk_out, wanted.shape[0])
        wanted = ops.from_numpy(wanted, like=spk_out)
        if not self.multi_spike:
            times, wanted = times[0], wanted[0]
        if self.tolerance:
            times = snap_to_targets(ops, times, wanted, self.tolerance)
        return times, wanted

    forward = __call__

    def _given_times(self, backend: Backend, targets: Any, batch: int, outputs: int) -> np.ndarray:
        """Target times as ``[F, batch or 1, N]``."""
        times = host(backend, targets).astype(np.float64)
        lead = (times.shape[0],) if self.multi_spike and times.ndim else ()
        expected = [(*lead, outputs), (*lead, batch, outputs)]
        if times.shape not in expected:
            raise InputShapeError(
                f"SpikeTime: with target_is_time=True the targets are spike times of shape "
                f"{' or '.join(map(str, expected))}{' (F spikes first)' if self.multi_spike else ''}, "
                f"got shape {times.shape}."
            )
        times = times.reshape(*lead, -1, outputs)
        return times if self.multi_spike else times[None]


def _target_times(on_target: Any, off_target: Any, multi_spike: bool) -> tuple[np.ndarray, np.ndarray]:
    """The label targets as two vectors of :math:`F` times (:math:`F = 1` without ``multi_spike``)."""
    on, off = as_numpy(on_target).astype(np.float64), as_numpy(off_target).astype(np.float64)
    if not multi_spike:
        if on.ndim or off.ndim:
            raise ParameterRangeError(
                f"SpikeTime: on_target and off_target are single spike times unless multi_spike=True, "
                f"got shapes {on.shape} and {off.shape}."
            )
        return on[None], off[None]
    if on.ndim != 1 or on.shape != off.shape:
        raise ParameterRangeError(
            "SpikeTime: with multi_spike=True, on_target and off_target are sequences of the same "
            f"number of spike times, got shapes {on.shape} and {off.shape}."
        )
    return on, off


class mse_temporal_loss:  # noqa: N801 - snnTorch's name
    r"""Squared error of (first) spike times against target times, in units of the run length.

    :math:`\ell = w_b \bigl(\tau/T - \tau^*/T\bigr)^2` per neuron (and per spike with
    ``multi_spike``), with :math:`\tau, \tau^*` from :class:`SpikeTime` (its
    arguments are this loss's first five). By default the correct neuron should
    fire at step 0 and the others at the last step.
    """

    def __init__(
        self,
        target_is_time: bool = False,
        on_target: float | Sequence[float] = 0,
        off_target: float | Sequence[float] = -1,
        tolerance: float = 0,
        multi_spike: bool = False,
        reduction: str = "mean",
        weight: Any = None,
    ) -> None:
        self.__name__ = "mse_temporal_loss"
        self.reduction = check_reduction(self.__name__, reduction)
        if weight is not None and target_is_time:
            raise ParameterRangeError(
                "mse_temporal_loss: weight is per class, so it needs class ids as targets; "
                "use target_is_time=False or drop weight."
            )
        self.weight = weight
        self.spk_time_fn = SpikeTime(target_is_time, on_target, off_target, tolerance, multi_spike)

    def __call__(self, spk_out: Array, targets: Any) -> Array:
        backend, steps, batch, outputs = check_output(self.__name__, spk_out)
        times, wanted = self.spk_time_fn(spk_out, targets)
        loss = (times / steps - wanted / steps) ** 2
        weight = class_weights(self.__name__, backend, self.weight, outputs)
        if weight is not None:
            ids = labels(self.__name__, backend, targets, (batch,), outputs)
            loss = loss * backend.ops.from_numpy(weight[ids][:, None], like=spk_out)
        return reduce(backend.ops, loss, self.reduction)


class ce_temporal_loss:  # noqa: N801 - snnTorch's name
    r"""Cross entropy of inverted first-spike times: the earliest neuron should be the correct one.

    :math:`\ell_b = -w_b \log\mathrm{softmax}(z_b)_{y_b}` with :math:`z = -\tau`
    (``inverse='negate'``) or :math:`z = 1/(\tau + 1)` (``inverse='reciprocal'``), :math:`\tau`
    the first-spike times of :class:`SpikeTime`. ``'mean'`` with ``weight`` is
    :math:`\sum_b \ell_b / \sum_b w_b`, as torch's ``CrossEntropyLoss``.
    """

    def __init__(self, inverse: str = "negate", reduction: str = "mean", weight: Any = None) -> None:
        self.__name__ = "ce_temporal_loss"
        if inverse not in ("negate", "reciprocal"):
            raise ParameterRangeError(
                f"ce_temporal_loss: inverse must be 'negate' or 'reciprocal', got {inverse!r}."
            )
        self.inverse = inverse
        self.reduction = check_reduction(self.__name__, reduction)
        self.weight = weight

    def __call__(self, spk_out: Array, targets: Any) -> Array:
        backend, _, batch, outputs = check_output(self.__name__, spk_out)
        ids = labels(self.__name__, backend, targets, (batch,), outputs)
        ops = backend.ops
        times = spike_times(ops, spk_out, 1)[0]
        scores = -times if self.inverse == "negate" else 1 / (times + 1)
        loss = nll(ops, scores, ops.from_numpy(one_hot(ids, outputs), like=spk_out))
        weight = class_weights(self.__name__, backend, self.weight, outputs)
        if weight is None:
            return reduce(ops, loss, self.reduction)
        per_sample = ops.from_numpy(weight[ids], like=spk_out)
        return reduce(ops, loss * per_sample, self.reduction, weights=per_sample)
