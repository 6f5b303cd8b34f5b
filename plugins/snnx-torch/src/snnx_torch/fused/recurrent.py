r"""Fused kernels of ``RLeaky`` and ``RSynaptic`` (:mod:`snnx.specs.recurrent`).

With decays :math:`a = \mathrm{clip}(\alpha, 0, 1)`, :math:`b = \mathrm{clip}(\beta, 0, 1)`,
the recurrent connection :math:`V` (:mod:`~snnx_torch.fused.feedback`) and the
detached reset :math:`R[t] = H(U[t-1] - \theta)`, each step computes the pre-reset sum

.. math::

    P[t] = b\,U[t-1] + X[t] + V(S[t-1]) \quad\text{(RLeaky)}, \qquad
    P[t] = b\,U[t-1] + I[t],\ I[t] = a\,I[t-1] + X[t] + V(S[t-1]) \quad\text{(RSynaptic)},

the potential :math:`M[t] = P[t] - R[t]\,\theta` (subtract), :math:`(1 - R[t])\,P[t]`
(zero) or :math:`P[t]` (none), the spikes :math:`S[t] = g\,F[t]`,
:math:`F[t] = H(M[t] - \theta)` with surrogate derivative :math:`F'[t]`, and the
state :math:`U[t] = M[t]`, or with ``reset_delay=False``
:math:`U[t] = M[t] - (F[t] - R[t])\,\theta` (subtract) or :math:`M[t] - (F[t] - R[t])\,M[t]` (zero).

Unlike the reset, the spikes carry gradient into the next step through :math:`V`.
Backward walks time in reverse with the gradients :math:`\lambda[t]` at :math:`U[t]`,
:math:`\sigma[t]` at :math:`S[t]`, :math:`\delta[t]` at :math:`M[t]` and
:math:`\varepsilon[t]` at :math:`V(S[t-1])` (that is at :math:`P[t]`, or at :math:`I[t]`):

.. math::

    \lambda[t] = \bar U[t] + b\,k[t+1]\,\delta[t+1], \qquad
    \sigma[t] = \bar S[t] + V^\top \varepsilon[t+1],

    \delta[t] = \lambda[t]\,\partial_M U[t] + \phi[t]\,F'[t], \qquad
    \phi[t] = g\,\sigma[t] + \lambda[t]\,\partial_F U[t],

    \varepsilon[t] = k[t]\,\delta[t] \quad\text{(RLeaky)}, \qquad
    \varepsilon[t] = \bar I[t] + a\,\varepsilon[t+1] + k[t]\,\delta[t] \quad\text{(RSynaptic)},

with :math:`k = 1 - R` under zero reset (1 otherwise), :math:`\partial_M U = 1` except
:math:`1 - F + R` (zero, ``reset_delay=False``) and :math:`\partial_F U = 0`, :math:`-\theta`
or :math:`-M` (``reset_delay=False``, subtract or zero). Then :math:`\partial L/\partial X[t]
= \varepsilon[t]`, :math:`\partial L/\partial b = \sum_t k\delta\,U[t-1]`, :math:`\partial L/\partial a
= \sum_t \varepsilon\,I[t-1]`, :math:`\partial L/\partial g = \sum_t \sigma F`,
:math:`\partial L/\partial\theta = \sum_t -\phi F' - R\,\delta\,[\text{subtract}]
- \lambda (F - R)\,[\text{subtract, no delay}]`, and the weight gradients of
:class:`~snnx_torch.fused.feedback.Feedback` from :math:`\varepsilon` and :math:`S[t-1]`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch
from torch.autograd.function import once_differentiable

from snnx.specs.recurrent import RLeakySpec, RSynapticSpec
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
from snnx_torch.fused.feedback import Feedback


@dataclass(frozen=True)
class RecurrentRule:
    """The options one recurrent kernel call runs with."""

    mechanism: str
    delay: bool
    feedback: Feedback
    synaptic: bool

    @property
    def corrects(self) -> bool:
        """Whether ``reset_delay=False``'s same-step correction applies."""
        return not self.delay and self.mechanism != "none"


class RecurrentScan(torch.autograd.Function):
    """See :func:`recurrent_scan`."""

    @staticmethod
    def forward(ctx, rule: RecurrentRule, derivative: DerivativeFn, x_seq, spk0, syn0, mem0, *params):
        alpha, beta, threshold, factor, weight, bias = params
        extra = (weight,) if rule.feedback.layout == "one_to_one" else ()
        shape = state_shape(x_seq, spk0, mem0, beta, threshold, *extra)
        empty = (x_seq.shape[0], *shape)
        spk_seq, mem_seq = x_seq.new_empty(empty), x_seq.new_empty(empty)
        syn_seq = x_seq.new_empty(empty) if rule.synaptic else None
        pre_seq = x_seq.new_empty(empty) if rule.corrects else mem_seq
        spk, syn, mem = spk0.expand(shape), syn0.expand(shape) if rule.synaptic else None, mem0.expand(shape)
        for t, x in enumerate(x_seq.unbind(0)):
            reset = torch.gt(mem, threshold).to(x.dtype) if rule.mechanism != "none" else None
            feedback = rule.feedback.apply(spk, weight, bias)
            pre = pre_seq[t]
            if rule.synaptic:  # same order of operations as the step loop
                torch.mul(alpha, syn, out=syn_seq[t]).add_(x).add_(feedback)
                torch.mul(beta, mem, out=pre).add_(syn_seq[t])
            else:
                torch.mul(beta, mem, out=pre).add_(x).add_(feedback)
            if rule.mechanism == "subtract":
                pre.sub_(reset * threshold)
            elif rule.mechanism == "zero":
                pre.sub_(reset * pre)
            fired = torch.gt(pre, threshold).to(x.dtype)
            torch.mul(fired, factor, out=spk_seq[t])
            if rule.corrects:
                torch.sub(
                    pre,
                    (fired - reset) * (threshold if rule.mechanism == "subtract" else pre),
                    out=mem_seq[t],
                )
            spk, mem = spk_seq[t], mem_seq[t]
            syn = syn_seq[t] if rule.synaptic else None
        ctx.save_for_backward(
            spk0, syn0, mem0, spk_seq, syn_seq, mem_seq, pre_seq if rule.corrects else None, *params
        )
        ctx.rule, ctx.derivative, ctx.x_shape = rule, derivative, x_seq.shape
        return (spk_seq, syn_seq, mem_seq) if rule.synaptic else (spk_seq, mem_seq)

    @staticmethod
    @once_differentiable
    def backward(ctx, *grads):
        rule: RecurrentRule = ctx.rule
        spk0, syn0, mem0, spk_seq, syn_seq, mem_seq, pre_seq, *params = ctx.saved_tensors
        alpha, beta, threshold, factor, weight, bias = params
        grad_spk, grad_syn, grad_mem = grads if rule.synaptic else (grads[0], None, grads[1])
        pre_seq = mem_seq if pre_seq is None else pre_seq
        shape = mem_seq.shape[1:]
        prev_mem = previous(mem0, mem_seq)
        slope = ctx.derivative(pre_seq - threshold)
        fired = torch.gt(pre_seq, threshold).to(pre_seq.dtype)
        reset = torch.gt(prev_mem, threshold).to(pre_seq.dtype) if rule.mechanism != "none" else None
        keep = 1 - reset if rule.mechanism == "zero" else None
        direct = 1 - fired + reset if rule.corrects and rule.mechanism == "zero" else None
        by_fired = None  # dU/dF under reset_delay=False
        if rule.corrects:
            by_fired = -threshold if rule.mechanism == "subtract" else -pre_seq

        delta_seq, eps_seq, sigma_seq = (torch.empty_like(mem_seq) for _ in range(3))
        lam_seq = torch.empty_like(mem_seq) if rule.corrects else None
        carry_mem, carry_spk = torch.zeros(shape, dtype=mem_seq.dtype, device=mem_seq.device), 0.0
        carry_syn = 0.0
        for t in range(mem_seq.shape[0] - 1, -1, -1):
            lam = grad_mem[t] + carry_mem
            sigma = torch.add(grad_spk[t], carry_spk, out=sigma_seq[t])
            phi = sigma * factor
            if by_fired is not None:
                lam_seq[t] = lam
                phi = phi + lam * (by_fired[t] if rule.mechanism == "zero" else by_fired)
            delta = torch.mul(phi, slope[t], out=delta_seq[t])
            delta.add_(lam if direct is None else lam * direct[t])
            gate = delta if keep is None else delta * keep[t]
            eps = eps_seq[t]
            if rule.synaptic:
                torch.add(grad_syn[t], carry_syn, out=eps).add_(gate)
                carry_syn = alpha * eps
            else:
                eps.copy_(gate)
            carry_mem = beta * gate
            carry_spk = rule.feedback.transpose(eps, weight)

        needs = ctx.needs_input_grad[2:]
        gate_seq = delta_seq if keep is None else delta_seq * keep
        grad_alpha = grad_beta = grad_theta = grad_factor = None
        if needs[4]:
            grad_alpha = reduce_to(eps_seq * previous(syn0, syn_seq), alpha.shape)
        if needs[5]:
            grad_beta = reduce_to(gate_seq * prev_mem, beta.shape)
        if needs[6]:
            phi_seq = sigma_seq * factor
            if by_fired is not None:
                phi_seq = phi_seq + lam_seq * by_fired
            theta_seq = -phi_seq * slope
            if rule.mechanism == "subtract":
                theta_seq = theta_seq - reset * delta_seq
                if rule.corrects:
                    theta_seq = theta_seq - lam_seq * (fired - reset)
            grad_theta = reduce_to(theta_seq, threshold.shape)
        if needs[7]:
            grad_factor = reduce_to(sigma_seq * fired, factor.shape)
        grad_weight, grad_bias = rule.feedback.weight_grads(
            eps_seq, previous(spk0, spk_seq), weight, (needs[8], needs[9] and bias is not None)
        )
        return (
            None,
            None,
            reduce_to(eps_seq, ctx.x_shape) if needs[0] else None,
            reduce_to(carry_spk, spk0.shape) if needs[1] else None,
            reduce_to(carry_syn, syn0.shape) if rule.synaptic and needs[2] else None,
            reduce_to(carry_mem, mem0.shape) if needs[3] else None,
            grad_alpha,
            grad_beta,
            grad_theta,
            grad_factor,
            grad_weight,
            grad_bias,
        )


def recurrent_scan(
    rule: RecurrentRule,
    derivative: DerivativeFn,
    x_seq: torch.Tensor,
    states: tuple[torch.Tensor | None, torch.Tensor | None, torch.Tensor],
    params: tuple[torch.Tensor | None, ...],
) -> tuple[torch.Tensor, ...]:
    r"""``(spk_seq, [syn_seq,] mem_seq)`` of the recurrence in the module docstring.

    ``states`` are :math:`(S[-1], I[-1], U[-1])` (``I`` is ``None`` for RLeaky),
    ``params`` :math:`(a, b, \theta, g, \text{weight}, \text{bias})` with the decays
    already clamped (``a`` is ``None`` for RLeaky; the weight is ``V`` for one-to-one
    recurrence, whose bias is ``None``).
    """
    return RecurrentScan.apply(rule, derivative, x_seq, *states, *params)


class RecurrentKernel:
    """Runs an ``RLeaky`` or ``RSynaptic`` neuron over all time steps (not inhibition or state_quant)."""

    def __init__(self, synaptic: bool) -> None:
        self.synaptic = synaptic

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
        feedback = Feedback.of(config)
        rule = RecurrentRule(
            config["reset_mechanism"], config.get("reset_delay", True), feedback, self.synaptic
        )
        spk, syn, mem = states if self.synaptic else (states[0], None, states[1])
        spk, mem = spk.to(x_seq.dtype), mem.to(x_seq.dtype)
        if feedback.layout == "one_to_one":
            weight, bias = params["V"], None
        else:
            weight, bias = params["recurrent.weight"], params["recurrent.bias"]
        outputs = recurrent_scan(
            rule,
            derivative_fn(neuron._spike),
            x_seq,
            (spk, syn.to(x_seq.dtype) if self.synaptic else None, mem),
            (
                clamped(params["alpha"]) if self.synaptic else None,
                clamped(params["beta"]),
                params["threshold"],
                params["graded_spikes_factor"],
                weight,
                bias,
            ),
        )
        return outputs[0], outputs


register(RLeakySpec, RecurrentKernel(synaptic=False))
register(RSynapticSpec, RecurrentKernel(synaptic=True))
