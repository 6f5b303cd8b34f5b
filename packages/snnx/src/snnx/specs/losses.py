r"""Maths of the SNN losses, accuracy measures and regularisers, for every backend.

Everything here acts on the output record of a network, ``[time, batch, outputs]``,
through :class:`~snnx.ops.ArrayOps` only, so it runs (and, on backends with
autograd, differentiates) wherever the data lives. Targets arrive already
encoded as constant arrays of the same backend; checking and encoding them is
the job of :mod:`snnx.functional`.

Notation: :math:`s_{t,b,o}` spikes (or membrane potentials), :math:`T` steps,
:math:`K` classes, :math:`y_b` the label of sample :math:`b`, :math:`Y_{b,k} = [k = y_b]`
its one-hot code and :math:`w_b` the class weight of sample :math:`b`.
"""

from __future__ import annotations

import math

from snnx.ops import Array, ArrayOps

REDUCTIONS = ("mean", "sum", "none")


def population(ops: ArrayOps, x: Array, num_classes: int) -> Array:
    r"""Sum over each class's population: :math:`p_{\dots,k} = \sum_{j=0}^{G-1} x_{\dots,kG+j}`.

    The last dimension (``num_classes * G`` outputs) is split into ``num_classes``
    contiguous groups of :math:`G` neurons, in order.
    """
    size = x.shape[-1] // num_classes
    return ops.sum(x.reshape(*x.shape[:-1], num_classes, size), dim=-1)


def nll(ops: ArrayOps, scores: Array, one_hot: Array) -> Array:
    r"""Cross entropy of softmax scores against labels: :math:`-\log\mathrm{softmax}(z)_{y}`.

    ``scores`` :math:`z` are ``[..., K]``; ``one_hot`` :math:`Y` broadcasts against them.
    Returns :math:`\ell = -\sum_k Y_k \log\mathrm{softmax}(z)_k` of shape ``[...]``.
    """
    return -ops.sum(one_hot * ops.log_softmax(scores, dim=-1), dim=-1)


def reduce(ops: ArrayOps, loss: Array, reduction: str, weights: Array | None = None) -> Array:
    r"""Apply ``reduction`` to an (already weighted) loss array.

    ``'none'`` returns it, ``'sum'`` gives :math:`\sum \ell`, ``'mean'`` gives
    :math:`\frac{1}{n}\sum \ell` over all :math:`n` entries, or, when ``weights``
    :math:`w` (broadcast like ``loss``) are given, :math:`\sum \ell / \sum w` (the
    class-weighted mean of a cross entropy).
    """
    if reduction == "none":
        return loss
    total = ops.sum(loss)
    if reduction == "sum":
        return total
    if weights is not None:
        return total / ops.sum(weights)
    return total / math.prod(loss.shape)


def spike_times(ops: ArrayOps, spikes: Array, count: int) -> Array:
    r"""Time steps of the first ``count`` spikes of every neuron, ``[T, ...] -> [count, ...]``.

    Forward: :math:`\tau_f = \min\bigl(T - 1, \sum_t [c_t \le f]\bigr)` with
    :math:`c_t = \sum_{t' \le t} [s_{t'} \ne 0]` the running spike count, i.e. the
    step of the :math:`(f+1)`-th spike, or :math:`T - 1` (a "shadow" spike at the
    last step) for a neuron that fired fewer times.

    Gradient (a sign estimator, since spike times are piecewise constant): moving a
    spike earlier is credited to the spike itself,
    :math:`\partial\tau_f / \partial s_t = -[t = \tau_f]`, summed over :math:`f`.
    It is realised without a custom autograd rule as a straight-through term,
    :math:`\tau_f = \bar\tau_f - (g_f - \bar g_f)` with :math:`g_f = \sum_t s_t [t = \tau_f]`
    and a bar meaning :meth:`~snnx.ops.ArrayOps.detach`: the bracket is exactly zero
    in the forward pass and gives :math:`-[t = \tau_f]` in the backward pass.
    Forward-only backends simply compute :math:`\tau_f`.
    """
    steps = spikes.shape[0]
    seen = ops.detach(ops.cumsum(ops.heaviside(ops.abs(spikes)), 0))
    time = ops.arange(steps, like=spikes).reshape(steps, *([1] * (len(spikes.shape) - 1)))
    times = []
    for f in range(count):
        tau = ops.clip(ops.sum(ops.heaviside((f + 0.5) - seen), dim=0), 0.0, steps - 1.0)
        at_tau = ops.heaviside(0.5 - ops.abs(time - tau))
        picked = ops.sum(spikes * at_tau, dim=0)
        times.append(tau - (picked - ops.detach(picked)))
    return ops.stack(times)


def snap_to_targets(ops: ArrayOps, times: Array, targets: Array, tolerance: float) -> Array:
    r"""Spike times within ``tolerance`` of their target count as on target.

    :math:`\tau' = \tau^*` where :math:`|\tau - \tau^*| < \text{tolerance}`, else :math:`\tau`;
    the gradient passes through unchanged (:math:`\partial\tau'/\partial\tau = 1`).
    """
    close = ops.abs(times - targets) < tolerance
    return ops.where(close, targets + (times - ops.detach(times)), times)
