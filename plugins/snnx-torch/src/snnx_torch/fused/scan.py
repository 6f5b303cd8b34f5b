r"""The two recurrences the LIF kernels are built from, each an ``autograd.Function``.

:func:`decay_scan` is the linear filter :math:`I[t] = a I[t-1] + X[t]` (a synaptic
current). :func:`membrane_scan` is a membrane with threshold, spikes and reset:

.. math::

    V[t] = c\,U[t-1] + X[t] - R[t]\,\theta \quad\text{(subtract)}, \qquad
    V[t] = c\,U[t-1] + X[t] \quad\text{(none)},

    V[t] = c\,(1 - R[t])\,U[t-1] + X[t] \quad\text{(zero, Leaky)}, \qquad
    V[t] = (1 - R[t])\,(c\,U[t-1] + X[t]) \quad\text{(zero, } \texttt{zero\_input}\text{)},

    S[t] = g\,F[t], \quad F[t] = H(V[t] - \theta), \quad R[t] = H(U[t-1] - \theta) \text{ (no gradient)},

and :math:`U[t] = V[t]`, or with ``reset_delay=False`` the same-step correction
:math:`U[t] = V[t] - (F[t] - R[t])\,\theta` (subtract) or
:math:`U[t] = V[t] - (F[t] - R[t])\,V[t]` (zero), where :math:`F` carries the
surrogate gradient :math:`F' = \partial F/\partial V` and :math:`R` none.

Both forwards run the ``T`` steps with a few in-place operations into preallocated
outputs and keep no graph. Backward walks time in reverse with one ``addcmul`` per
step. Writing :math:`\delta[t] = \partial L/\partial V[t]` and
:math:`\lambda[t] = \partial L/\partial U[t]` (everything reaching :math:`U[t]`),

.. math::

    \lambda[t] = \bar U[t] + c_{t+1}\,\delta[t+1], \qquad
    \delta[t] = \lambda[t]\,J[t] + \bar S[t]\,g\,F'[t],

with :math:`c_t = c(1 - R[t])` under zero reset (:math:`c` otherwise), :math:`J = 1`,
:math:`1 - \theta F'` or :math:`1 - (F - R) - V F'` the derivative of :math:`U` by
:math:`V`, and :math:`\bar U, \bar S` the gradients arriving at the outputs. The
parameter gradients are sums over time of :math:`\delta`, :math:`\lambda` and the
saved sequences. The surrogate derivative and these sums are evaluated vectorised over
blocks of steps (:func:`time_blocks`: the whole sequence on accelerators, cache-sized
blocks on the CPU), walked from the last block back.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch.autograd.function import once_differentiable

from snnx_torch.fused.common import DerivativeFn, reduce_to, state_shape, zero_derivative


@dataclass(frozen=True)
class MembraneRule:
    """How a membrane resets.

    ``mechanism`` is ``'subtract'``, ``'zero'`` or ``'none'``; ``delay`` is the
    neuron's ``reset_delay``; ``zero_input`` says whether a zero reset also clears
    this step's input (Synaptic, Lapicque: the reset multiplies the whole new
    potential) or only the previous potential (Leaky).
    """

    mechanism: str
    delay: bool = True
    zero_input: bool = False

    @property
    def corrects(self) -> bool:
        """Whether the same-step correction of ``reset_delay=False`` applies."""
        return not self.delay and self.mechanism != "none"


LEAKY_RULES = {
    (mechanism, delay): MembraneRule(mechanism, delay)
    for mechanism in ("subtract", "zero", "none")
    for delay in (True, False)
}
"""``Leaky``'s rule per ``(reset_mechanism, reset_delay)``, made once (its zero reset keeps the input)."""


CPU_BLOCK_ELEMENTS = 1 << 15
"""Elements per block of steps the backward passes work on at once on the CPU.

Temporaries of this size stay in cache and are reused by the allocator; whole-sequence
temporaries cost a page fault per 4 KiB on every call. Other devices take all steps at once.
"""


def time_blocks(seq: torch.Tensor) -> list[tuple[int, int]]:
    """``(t0, t1)`` ranges covering the time axis of ``seq [T, ...]`` from the last step back to the first."""
    steps = seq.shape[0]
    size = steps if seq.device.type != "cpu" else max(1, CPU_BLOCK_ELEMENTS // max(1, seq[0].numel()))
    return [(max(0, t1 - size), t1) for t1 in range(steps, 0, -size)]


def _scale_shape(tensor: torch.Tensor, shape: tuple[int, ...]) -> torch.Tensor:
    """``tensor`` broadcast (a view, no copy) to ``shape``."""
    return tensor.expand(shape) if tuple(tensor.shape) != tuple(shape) else tensor


def _shifted(first: torch.Tensor, rest: torch.Tensor) -> torch.Tensor:
    """``[first, *rest]`` along a new time axis: the states before each step of a block starting at 0."""
    return torch.cat((_scale_shape(first, rest.shape[1:]).unsqueeze(0), rest))


def unless_zero(state: torch.Tensor) -> torch.Tensor | None:
    """``state``, or ``None`` when it is all zeros (a fresh neuron): backward rebuilds it, saving memory."""
    return state if bool(state.any()) else None


def _accumulate(total: torch.Tensor | None, grad: torch.Tensor, shape: torch.Size) -> torch.Tensor:
    """``total`` plus ``grad`` reduced to a parameter's ``shape`` (``grad`` alone for the first block)."""
    grad = reduce_to(grad, shape)
    return grad if total is None else total.add_(grad)


def factor_only_gradient(
    grad_spk: torch.Tensor | None,
    pre_seq: torch.Tensor,
    threshold: torch.Tensor,
    factor: torch.Tensor,
    wanted: bool,
) -> tuple[torch.Tensor | None, None, None]:
    """The backward result when only ``g * H(V - theta)`` is used: it passes nothing back but to ``g``.

    Returned as the last three entries of a membrane scan's gradients (``factor``,
    ``rule``, ``derivative``), as in the step loop.
    """
    if not wanted or grad_spk is None:
        return None, None, None
    spikes = torch.gt(pre_seq, threshold).to(pre_seq.dtype)
    return reduce_to(grad_spk * spikes, factor.shape), None, None


class MembraneScan(torch.autograd.Function):
    """See :func:`membrane_scan`."""

    @staticmethod
    def forward(ctx, x_seq, mem0, decay, threshold, factor, rule: MembraneRule, derivative: DerivativeFn):
        shape = state_shape(x_seq, mem0, decay, threshold)
        mem_seq = x_seq.new_empty((x_seq.shape[0], *shape))
        pre_seq = x_seq.new_empty(mem_seq.shape) if rule.corrects else mem_seq
        spk_seq = x_seq.new_empty(mem_seq.shape)  # F[t], scaled by g at the end
        gate = x_seq.new_empty(shape)  # R[t] (subtract) or 1 - R[t] (zero) of the current step
        correction = x_seq.new_empty(shape) if rule.corrects else None
        # under reset_delay, R[t] = H(U[t-1] - theta) is F[t-1]: subtract writes it straight into spk_seq
        fires_early = rule.mechanism == "subtract" and rule.delay
        fires = spk_seq.unbind(0)
        prev = _scale_shape(mem0, shape)
        for t, (x, v, u) in enumerate(zip(x_seq.unbind(0), pre_seq.unbind(0), mem_seq.unbind(0))):
            if rule.mechanism == "zero" and not rule.zero_input:
                torch.le(prev, threshold, out=gate)
                torch.mul(prev, gate, out=v)
                v.mul_(decay).add_(x)
            else:
                torch.mul(prev, decay, out=v)
                v.add_(x)
                if rule.mechanism == "subtract":
                    reset = fires[t - 1] if fires_early and t > 0 else gate
                    torch.gt(prev, threshold, out=reset)
                    v.addcmul_(reset, threshold, value=-1)
                elif rule.mechanism == "zero":
                    torch.le(prev, threshold, out=gate)
                    v.mul_(gate)
            if rule.corrects:  # U = V - (F - R) * (theta or V)
                torch.gt(v, threshold, out=fires[t])
                if rule.mechanism == "subtract":
                    torch.sub(fires[t], gate, out=correction)
                    torch.addcmul(v, correction, threshold, value=-1, out=u)
                else:
                    torch.add(fires[t], gate, out=correction).sub_(1)
                    torch.mul(correction, v, out=u)
                    torch.sub(v, u, out=u)
            prev = u
        if fires_early:
            torch.gt(mem_seq[-1], threshold, out=fires[-1])
        elif not rule.corrects:
            torch.gt(pre_seq, threshold, out=spk_seq)
        spk_seq.mul_(factor)
        ctx.save_for_backward(
            unless_zero(mem0), mem_seq, pre_seq if rule.corrects else None, decay, threshold, factor
        )
        ctx.rule, ctx.derivative, ctx.x_shape, ctx.mem0_shape = rule, derivative, x_seq.shape, mem0.shape
        ctx.set_materialize_grads(False)
        if derivative is zero_derivative and not ctx.needs_input_grad[4]:
            ctx.mark_non_differentiable(spk_seq)  # as in the step loop: H(u) * g has no graph
        return spk_seq, mem_seq

    @staticmethod
    @once_differentiable
    def backward(ctx, grad_spk, grad_mem):
        mem0, mem_seq, pre_seq, decay, threshold, factor = ctx.saved_tensors
        mem0 = mem_seq.new_zeros(()) if mem0 is None else mem0
        rule: MembraneRule = ctx.rule
        needs = ctx.needs_input_grad
        pre_seq = mem_seq if pre_seq is None else pre_seq
        zero, subtract = rule.mechanism == "zero", rule.mechanism == "subtract"
        surrogate = ctx.derivative is not zero_derivative
        if grad_mem is None and not (surrogate and grad_spk is not None):
            factor_grad = factor_only_gradient(grad_spk, pre_seq, threshold, factor, needs[4])
            return (None, None, None, None, *factor_grad)
        # theta reaches the graph through the subtracted reset and through surrogate-carrying spikes
        theta_grad = needs[3] and (subtract or (surrogate and (grad_spk is not None or rule.corrects)))
        need_reset = rule.mechanism != "none" and (zero or rule.corrects or (theta_grad and subtract))
        need_fired = rule.corrects or (needs[4] and grad_spk is not None)
        delta = torch.empty_like(mem_seq)  # dL/dV, turned into dL/dX block by block
        carry = None  # c[t1] delta[t1]: what the steps from t1 on send back to U[t1 - 1]
        grad_decay = grad_theta = grad_factor = None
        for t0, t1 in time_blocks(mem_seq):
            d, pre = delta[t0:t1], pre_seq[t0:t1]
            prev = mem_seq[t0 - 1 : t1 - 1] if t0 else _shifted(mem0, mem_seq[: t1 - 1])
            slope = ctx.derivative(pre - threshold)
            reset = (prev > threshold).to(d.dtype) if need_reset else None
            keep = 1 - reset if zero else None
            fired = (pre > threshold).to(d.dtype) if need_fired else None
            coef = decay * keep if zero else _scale_shape(decay, d.shape)
            spike_grad = (grad_spk[t0:t1] * slope).mul_(factor) if grad_spk is not None else None
            jac = None
            if rule.corrects:
                jac = 1 - threshold * slope if subtract else 1 - (fired - reset) - pre * slope

            # delta[t] = A[t] + K[t] delta[t+1], A = grad_mem * J + spike_grad, K[t] = c[t+1] J[t]
            d.copy_(spike_grad) if spike_grad is not None else d.zero_()
            if grad_mem is not None:
                d.add_(grad_mem[t0:t1]) if jac is None else d.addcmul_(grad_mem[t0:t1], jac)
            if carry is not None:
                d[-1].add_(carry) if jac is None else d[-1].addcmul_(jac[-1], carry)
            step = coef[1:] if jac is None else coef[1:] * jac[:-1]
            parts, steps = d.unbind(0), step.unbind(0)
            for t in range(t1 - t0 - 2, -1, -1):
                parts[t].addcmul_(steps[t], parts[t + 1])

            if needs[2]:
                grad_decay = _accumulate(grad_decay, d * (prev * keep if zero else prev), decay.shape)
            if theta_grad:
                theta = torch.zeros_like(d) if spike_grad is None else spike_grad.neg_()
                if subtract:
                    theta.addcmul_(d, reset, value=-1)
                if rule.corrects:  # lambda = dL/dU: the output's gradient plus what later steps send
                    lam = torch.zeros_like(d) if grad_mem is None else grad_mem[t0:t1].clone()
                    lam[:-1].addcmul_(coef[1:], d[1:])
                    if carry is not None:
                        lam[-1].add_(carry)
                    theta.addcmul_(lam, threshold * slope - (fired - reset) if subtract else pre * slope)
                grad_theta = _accumulate(grad_theta, theta, threshold.shape)
            if needs[4] and grad_spk is not None:
                grad_factor = _accumulate(grad_factor, grad_spk[t0:t1] * fired, factor.shape)
            carry = coef[0] * d[0]
            if zero and rule.zero_input:
                d.mul_(keep)
        grad_x = reduce_to(delta, ctx.x_shape) if needs[0] else None
        grad_mem0 = reduce_to(carry, ctx.mem0_shape) if needs[1] else None
        return grad_x, grad_mem0, grad_decay, grad_theta, grad_factor, None, None


def membrane_scan(
    x_seq: torch.Tensor,
    mem0: torch.Tensor,
    decay: torch.Tensor,
    threshold: torch.Tensor,
    factor: torch.Tensor,
    rule: MembraneRule,
    derivative: DerivativeFn,
    record: bool = True,
) -> tuple[torch.Tensor, torch.Tensor]:
    r"""``(spk_seq, mem_seq)`` of the membrane recurrence in the module docstring.

    ``x_seq [T, ...]`` is the drive :math:`X`, ``mem0`` the potential before step 0,
    ``decay`` the factor :math:`c` (already clamped where the neuron clamps it),
    ``factor`` the graded-spike factor :math:`g` and ``derivative`` the spike
    function's :math:`F'`. Parameters broadcast against the state; gradients reach
    all of them, reduced to their shapes. ``mem_seq`` is :math:`U` after each step;
    with ``record=False`` only the last step's :math:`U[T-1]` is returned (no time
    axis), which lets the compiled CPU scan skip writing and saving the sequence.
    """
    from snnx_torch.fused.native.scans import NativeMembraneScan, membrane_usable

    if membrane_usable(x_seq, (mem0, decay, threshold, factor), derivative):
        return NativeMembraneScan.apply(x_seq, mem0, decay, threshold, factor, None, rule, derivative, record)
    spk_seq, mem_seq = MembraneScan.apply(x_seq, mem0, decay, threshold, factor, rule, derivative)
    return (spk_seq, mem_seq) if record else (spk_seq, mem_seq[-1])


class DecayScan(torch.autograd.Function):
    """See :func:`decay_scan`."""

    @staticmethod
    def forward(ctx, x_seq, state0, decay):
        shape = state_shape(x_seq, state0, decay)
        out = x_seq.new_empty((x_seq.shape[0], *shape))
        prev = _scale_shape(state0, shape)
        for x, o in zip(x_seq.unbind(0), out.unbind(0)):
            torch.mul(prev, decay, out=o)
            o.add_(x)
            prev = o
        ctx.save_for_backward(unless_zero(state0), out, decay)
        ctx.x_shape, ctx.state0_shape = x_seq.shape, state0.shape
        return out

    @staticmethod
    @once_differentiable
    def backward(ctx, grad_out):
        state0, out, decay = ctx.saved_tensors
        state0 = out.new_zeros(()) if state0 is None else state0
        eps = grad_out.clone(memory_format=torch.contiguous_format)
        parts = eps.unbind(0)
        for t in range(out.shape[0] - 2, -1, -1):
            parts[t].addcmul_(decay, parts[t + 1])
        needs = ctx.needs_input_grad
        grad_x = reduce_to(eps, ctx.x_shape) if needs[0] else None
        grad_state0 = reduce_to(decay * eps[0], ctx.state0_shape) if needs[1] else None
        grad_decay = None
        if needs[2]:
            for t0, t1 in time_blocks(out):
                prev = out[t0 - 1 : t1 - 1] if t0 else _shifted(state0, out[: t1 - 1])
                grad_decay = _accumulate(grad_decay, eps[t0:t1] * prev, decay.shape)
        return grad_x, grad_state0, grad_decay


def decay_scan(x_seq: torch.Tensor, state0: torch.Tensor, decay: torch.Tensor) -> torch.Tensor:
    r""":math:`I[t] = a\,I[t-1] + X[t]` for all ``T`` steps of ``x_seq``, from :math:`I[-1]` = ``state0``.

    Backward: :math:`\epsilon[t] = \bar I[t] + a\,\epsilon[t+1]` gives
    :math:`\partial L/\partial X[t] = \epsilon[t]`,
    :math:`\partial L/\partial I[-1] = a\,\epsilon[0]` and
    :math:`\partial L/\partial a = \sum_t \epsilon[t]\,I[t-1]`.
    """
    from snnx_torch.fused.native.scans import NativeDecayScan, decay_usable

    if decay_usable(x_seq, (state0, decay)):
        return NativeDecayScan.apply(x_seq, state0, decay)
    return DecayScan.apply(x_seq, state0, decay)
