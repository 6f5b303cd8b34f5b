r"""One ``Leaky`` step as a single compiled call (the step loop's fast path on the CPU).

A step of the spec's tensor operations makes about ten tensors and autograd nodes
(clamp, products, sums, the reset and spike functions); on a typical
``[batch, features]`` step each costs more than its arithmetic. :class:`LeakyStep`
runs the same step as one pass of ``scan.cpp``'s membrane loop over one time step
(:mod:`snnx_torch.fused.native`), with that loop's hand-written backward:

.. math::

    R = H(U_{t-1} - \theta)\ \text{(no gradient)}, \qquad c = \mathrm{clip}(\beta, 0, 1)

    U_t = c\,U_{t-1} + X_t - R\,\theta \ \text{(subtract)}, \quad
    c\,(1 - R)\,U_{t-1} + X_t \ \text{(zero)}, \quad c\,U_{t-1} + X_t \ \text{(none)}

    S_t = g\,H(U_t - \theta)

Spikes and states are bit-identical to the spec's step (the loop keeps its order of
operations); the gradients are the ones autograd gives the step, with
:math:`\delta = \partial L/\partial U_t + \partial L/\partial S_t\, g\, F'(U_t - \theta)`:
:math:`\partial L/\partial X_t = \delta`, :math:`\partial L/\partial U_{t-1} = c\,\delta`
(times :math:`1 - R` for the zero reset), :math:`\partial L/\partial c = \delta\,U_{t-1}`
(likewise), :math:`\partial L/\partial \theta = -\partial L/\partial S_t\, g\, F' - \delta R`
(the last term for subtract only), :math:`\partial L/\partial g = \partial L/\partial S_t\, H`,
each summed over what a parameter was broadcast along.

:func:`leaky_step` runs it when it applies (see its notes) and returns ``None``
otherwise, leaving the step to the spec's tensor operations.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import torch
from torch.autograd.function import once_differentiable

from snnx_torch.compat import is_compiling
from snnx_torch.fused.common import clamped, derivative_fn, reduce_to, zero_derivative
from snnx_torch.fused.native.scans import (
    _membrane_forward,
    membrane_backward,
    membrane_usable,
    surrogate_code,
)
from snnx_torch.fused.scan import LEAKY_RULES, MembraneRule

_NO_GRADIENTS = (None,) * 7


class LeakyStep(torch.autograd.Function):
    """``(spk, mem)`` of one step from ``x``, the previous ``mem`` and the parameters (see the module notes).

    ``x`` and ``mem`` are contiguous arrays of the state's shape; ``decay`` (already
    clamped), ``threshold`` and ``factor`` are single values or broadcast to it.
    """

    @staticmethod
    def forward(ctx, x, mem, decay, threshold, factor, rule: MembraneRule, surrogate: tuple):
        spk, new = torch.empty_like(x), torch.empty_like(x)
        _membrane_forward(x.unsqueeze(0), (mem, decay, threshold, factor, None), spk, new, None, rule, True)
        ctx.save_for_backward(mem, new, decay, threshold, factor)
        ctx.rule, ctx.surrogate = rule, surrogate
        ctx.set_materialize_grads(False)
        return spk, new

    @staticmethod
    @once_differentiable
    def backward(ctx, grad_spk, grad_mem):
        mem, new, decay, threshold, factor = ctx.saved_tensors
        needs = ctx.needs_input_grad
        if grad_spk is None and grad_mem is None:
            return _NO_GRADIENTS
        theta_grad = needs[3] and (ctx.rule.mechanism == "subtract" or grad_spk is not None)
        wanted = (needs[0], needs[1], needs[2], theta_grad, needs[4] and grad_spk is not None)
        outputs = tuple(torch.empty_like(new) if want else None for want in wanted)
        params = (mem, decay, threshold, factor)
        membrane_backward(
            (grad_spk, grad_mem),
            (None, new, new),
            (*params, None),
            ctx.rule,
            ctx.surrogate,
            (*outputs, None),
            1,
            new.shape,
            True,
        )
        grad_x, *per_element = outputs
        return (
            grad_x,
            *(reduce_to(tensor, param.shape) for tensor, param in zip(per_element, params)),
            None,
            None,
        )


def leaky_step(
    spike: Any,
    x: torch.Tensor,
    mem: torch.Tensor,
    params: Mapping[str, torch.Tensor],
    config: Mapping[str, Any],
) -> tuple[torch.Tensor, torch.Tensor] | None:
    """``(spk, mem)`` of one ``Leaky`` step through :class:`LeakyStep`, or ``None`` (use the spec's step).

    It applies where the compiled membrane scan does (:func:`~snnx_torch.fused.native.scans.membrane_usable`:
    the CPU, float32/float64, outside ``torch.compile``, the library built, a surrogate it
    implements, a state and parameters that broadcast to the input) and the neuron has no
    inhibition, ``state_quant`` or same-step reset (``reset_delay=False``).
    """
    if is_compiling():  # torch.compile traces the spec's operations (before any cache lookup below)
        return None
    if config.get("inhibition") or config.get("state_quant") or not config.get("reset_delay", True):
        return None
    derivative = derivative_fn(spike)
    if derivative is None or derivative is zero_derivative:
        return None  # spikes without a surrogate stay with the spec (no graph through them)
    mem = mem.to(x.dtype)
    beta, threshold, factor = params["beta"], params["threshold"], params["graded_spikes_factor"]
    if not membrane_usable(x.unsqueeze(0), (mem, beta, threshold, factor), derivative):
        return None
    return LeakyStep.apply(
        x.contiguous(),
        mem.contiguous(),
        clamped(beta),
        threshold,
        factor,
        LEAKY_RULES[config["reset_mechanism"], True],
        surrogate_code(derivative),
    )
