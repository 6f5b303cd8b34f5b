r"""Fused kernel of :class:`~snnx.specs.alpha.AlphaSpec`.

With :math:`a = \mathrm{clip}(\alpha, 0, 1)`, :math:`b = \mathrm{clip}(\beta, 0, 1)`,
:math:`\tau = \ln a / (\ln b - \ln a) + 1` (computed with autograd outside the
kernel, which takes :math:`a, b, \tau` as inputs) and the detached reset
:math:`R[t] = H(U[t-1] - \theta)`, each step computes

.. math::

    E'[t] = a\,E[t-1] + X[t], \quad N'[t] = b\,N[t-1] - X[t], \quad M[t] = \tau\,(E'[t] + N'[t]),

and the states :math:`(E, N, U) = (1 - R)\,(E', N', M)` (zero),
:math:`(E' - R\theta,\ (1 - R) N',\ M + R\,N[t-1])` (subtract) or :math:`(E', N', M)`
(none); :math:`S[t] = g\,H(U[t] - \theta)` with surrogate derivative :math:`F'[t]`.

:math:`U[t]` reaches the next step only through the detached reset, so its gradient
is local: :math:`\mu[t] = \bar U[t] + g\,\bar S[t]\,F'[t]`, and :math:`m[t] = k_E[t]\,\mu[t]`
at :math:`M[t]` (:math:`k_E = 1 - R` under zero reset, 1 otherwise; :math:`k_N = 1 - R`
under zero or subtract). Walking time in reverse, the gradients at :math:`E'` and :math:`N'` are

.. math::

    e[t] = k_E[t]\,(\bar E[t] + a\,e[t+1]) + \tau\,m[t], \qquad
    n[t] = k_N[t]\,(\bar N[t] + b\,n[t+1] + R[t+1]\,\mu[t+1]\,[\text{subtract}]) + \tau\,m[t],

so :math:`\partial L/\partial X[t] = e[t] - n[t]`, :math:`\partial L/\partial a = \sum_t e\,E[t-1]`,
:math:`\partial L/\partial b = \sum_t n\,N[t-1]`, :math:`\partial L/\partial\tau =
\sum_t m\,(a E[t-1] + b N[t-1])`, :math:`\partial L/\partial g = \sum_t \bar S\,H(U - \theta)` and
:math:`\partial L/\partial\theta = \sum_t -g\,\bar S\,F' - R\,(e - \tau m)\,[\text{subtract}]`.
"""

from __future__ import annotations

from typing import Any

import torch
from torch.autograd.function import once_differentiable

from snnx.specs.alpha import AlphaSpec
from snnx_torch.fused import register
from snnx_torch.fused.common import (
    DerivativeFn,
    clamped,
    derivative_fn,
    plain_lif,
    previous,
    reduce_to,
    state_shape,
)


class AlphaScan(torch.autograd.Function):
    """See :func:`alpha_scan`."""

    @staticmethod
    def forward(ctx, mechanism: str, derivative: DerivativeFn, x_seq, exc0, inh0, mem0, *params):
        alpha, beta, tau, threshold, factor = params
        shape = state_shape(x_seq, exc0, inh0, mem0, alpha, beta, threshold)
        exc_seq, inh_seq, mem_seq = (x_seq.new_empty((x_seq.shape[0], *shape)) for _ in range(3))
        exc, inh, mem = exc0.expand(shape), inh0.expand(shape), mem0.expand(shape)
        for t, x in enumerate(x_seq.unbind(0)):
            reset = torch.gt(mem, threshold).to(x.dtype) if mechanism != "none" else None
            new_exc = torch.mul(alpha, exc, out=exc_seq[t]).add_(x)
            new_inh = torch.mul(beta, inh, out=inh_seq[t]).sub_(x)
            new_mem = torch.add(new_exc, new_inh, out=mem_seq[t]).mul_(tau)
            if mechanism == "zero":
                keep = 1 - reset
                new_exc.mul_(keep), new_inh.mul_(keep), new_mem.mul_(keep)
            elif mechanism == "subtract":
                new_exc.sub_(reset * threshold)
                new_inh.sub_(reset * new_inh)
                new_mem.add_(reset * inh)
            exc, inh, mem = new_exc, new_inh, new_mem
        spk_seq = torch.gt(mem_seq, threshold).to(x_seq.dtype).mul_(factor)
        ctx.save_for_backward(exc0, inh0, mem0, exc_seq, inh_seq, mem_seq, *params)
        ctx.mechanism, ctx.derivative, ctx.x_shape = mechanism, derivative, x_seq.shape
        return spk_seq, exc_seq, inh_seq, mem_seq

    @staticmethod
    @once_differentiable
    def backward(ctx, grad_spk, grad_exc, grad_inh, grad_mem):
        exc0, inh0, mem0, exc_seq, inh_seq, mem_seq, *params = ctx.saved_tensors
        alpha, beta, tau, threshold, factor = params
        mechanism = ctx.mechanism
        prev_exc, prev_inh = previous(exc0, exc_seq), previous(inh0, inh_seq)
        slope = ctx.derivative(mem_seq - threshold)
        spike_grad = grad_spk * factor * slope
        mu = grad_mem + spike_grad
        reset = (
            torch.gt(previous(mem0, mem_seq), threshold).to(mem_seq.dtype) if mechanism != "none" else None
        )
        exc_keep = 1 - reset if mechanism == "zero" else None
        inh_keep = 1 - reset if mechanism != "none" else None
        at_mem = mu * exc_keep if exc_keep is not None else mu
        driven = tau * at_mem

        e_seq, n_seq = torch.empty_like(exc_seq), torch.empty_like(inh_seq)
        carry_exc = carry_inh = 0.0
        for t in range(mem_seq.shape[0] - 1, -1, -1):
            e = torch.add(grad_exc[t], carry_exc, out=e_seq[t])
            n = torch.add(grad_inh[t], carry_inh, out=n_seq[t])
            if exc_keep is not None:
                e.mul_(exc_keep[t])
            if inh_keep is not None:
                n.mul_(inh_keep[t])
            e.add_(driven[t]), n.add_(driven[t])
            carry_exc, carry_inh = alpha * e, beta * n
            if mechanism == "subtract":
                carry_inh = carry_inh + reset[t] * mu[t]

        needs = ctx.needs_input_grad[2:]
        grads = [None] * 9
        if needs[0]:
            grads[0] = reduce_to(e_seq - n_seq, ctx.x_shape)
        if needs[1]:
            grads[1] = reduce_to(carry_exc, exc0.shape)
        if needs[2]:
            grads[2] = reduce_to(carry_inh, inh0.shape)
        if needs[4]:
            grads[4] = reduce_to(e_seq * prev_exc, alpha.shape)
        if needs[5]:
            grads[5] = reduce_to(n_seq * prev_inh, beta.shape)
        if needs[6]:
            grads[6] = reduce_to(at_mem * (alpha * prev_exc + beta * prev_inh), tau.shape)
        if needs[7]:
            theta_seq = -spike_grad
            if mechanism == "subtract":
                theta_seq = theta_seq - reset * (e_seq - driven)
            grads[7] = reduce_to(theta_seq, threshold.shape)
        if needs[8]:
            grads[8] = reduce_to(grad_spk * torch.gt(mem_seq, threshold).to(mem_seq.dtype), factor.shape)
        return None, None, *grads


def alpha_scan(
    mechanism: str,
    derivative: DerivativeFn,
    x_seq: torch.Tensor,
    states: tuple[torch.Tensor, torch.Tensor, torch.Tensor],
    params: tuple[torch.Tensor, ...],
) -> tuple[torch.Tensor, ...]:
    r"""``(spk_seq, exc_seq, inh_seq, mem_seq)`` of the recurrence in the module docstring.

    ``states`` are :math:`(E[-1], N[-1], U[-1])`, ``params``
    :math:`(a, b, \tau, \theta, g)` with the decays already clamped.
    """
    return AlphaScan.apply(mechanism, derivative, x_seq, *states, *params)


class AlphaKernel:
    """Runs an ``Alpha`` neuron over all time steps (every option but inhibition and state_quant)."""

    def supports(self, neuron: Any, config: dict[str, Any]) -> bool:
        return plain_lif(neuron, config)

    def run(
        self,
        neuron: Any,
        x_seq: torch.Tensor,
        states: tuple[torch.Tensor, ...],
        params: dict[str, torch.Tensor],
        config: dict[str, Any],
        record_states: bool = True,
    ) -> tuple[torch.Tensor, tuple[torch.Tensor, ...]]:
        alpha, beta = clamped(params["alpha"]), clamped(params["beta"])
        log_alpha = torch.log(alpha)
        tau = log_alpha / (torch.log(beta) - log_alpha) + 1  # the step's order of operations
        spk, *state_seqs = alpha_scan(
            config["reset_mechanism"],
            derivative_fn(neuron._spike),
            x_seq,
            tuple(state.to(x_seq.dtype) for state in states),
            (alpha, beta, tau, params["threshold"], params["graded_spikes_factor"]),
        )
        return spk, tuple(state_seqs)


register(AlphaSpec, AlphaKernel())
