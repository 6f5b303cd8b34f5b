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
from snnx_torch.fused import native
from snnx_torch.fused.common import clamped, derivative_fn, reduce_to
from snnx_torch.fused.native.scans import (
    _SUFFIX,
    MECHANISMS,
    _broadcasts_to,
    _function,
    _per_neuron,
    _pointer,
    _threads,
    surrogate_code,
    surrogate_parameters,
)

_NO_GRADIENTS = (None,) * 7


def _gradient_values(grad: torch.Tensor | None) -> tuple[torch.Tensor | None, int, int]:
    """An incoming gradient as ``scan.cpp`` reads one step: ``(values, time stride, element stride)``."""
    if grad is None:
        return None, 0, 0
    if all(stride == 0 for stride in grad.stride()):
        return grad, 0, 0  # one value broadcast everywhere: the gradient of sum()
    grad = grad.contiguous()
    return grad, grad.numel(), 1


class LeakyStep(torch.autograd.Function):
    """``(spk, mem)`` of one step from ``x``, the previous ``mem`` and the parameters (see the module notes).

    ``x`` and ``mem`` are contiguous arrays of the state's shape; ``decay`` (already
    clamped), ``threshold`` and ``factor`` are single values or broadcast to it.
    """

    @staticmethod
    def forward(ctx, x, mem, decay, threshold, factor, mechanism: int, surrogate: tuple):
        spk, new = torch.empty_like(x), torch.empty_like(x)
        arrays, broadcast = _per_neuron((mem, decay, threshold, factor), x.shape)
        _function("snnx_membrane_forward", x.dtype)(
            x.data_ptr(),
            *(array.data_ptr() for array in arrays),
            spk.data_ptr(),
            new.data_ptr(),
            None,
            1,
            x.numel(),
            mechanism,
            0,
            0,
            1,
            _threads(),
            broadcast,
        )
        ctx.save_for_backward(mem, new, decay, threshold, factor)
        ctx.mechanism, ctx.surrogate = mechanism, surrogate
        ctx.set_materialize_grads(False)
        return spk, new

    @staticmethod
    @once_differentiable
    def backward(ctx, grad_spk, grad_mem):
        mem, new, decay, threshold, factor = ctx.saved_tensors
        needs = ctx.needs_input_grad
        if grad_spk is None and grad_mem is None:
            return _NO_GRADIENTS
        theta_grad = needs[3] and (ctx.mechanism == MECHANISMS["subtract"] or grad_spk is not None)
        wanted = (needs[1], needs[2], theta_grad, needs[4] and grad_spk is not None)
        grad_x = torch.empty_like(new) if needs[0] else None
        per_element = [torch.empty_like(new) if want else None for want in wanted]
        kind, params = ctx.surrogate
        spk_values, spk_time, spk_element = _gradient_values(grad_spk)
        mem_values, mem_time, mem_element = _gradient_values(grad_mem)
        arrays, broadcast = _per_neuron((mem, decay, threshold, factor), new.shape)
        _function("snnx_membrane_backward", new.dtype)(
            _pointer(spk_values),
            spk_time,
            spk_element,
            _pointer(mem_values),
            mem_time,
            mem_element,
            None,
            new.data_ptr(),
            new.data_ptr(),
            *(array.data_ptr() for array in arrays),
            kind,
            surrogate_parameters(params),
            _pointer(grad_x),
            *(_pointer(tensor) for tensor in per_element),
            1,
            new.numel(),
            ctx.mechanism,
            0,
            0,
            1,
            _threads(),
            broadcast,
        )
        targets = (mem.shape, decay.shape, threshold.shape, factor.shape)
        grad_mem0, grad_decay, grad_theta, grad_factor = (
            reduce_to(tensor, target) for tensor, target in zip(per_element, targets)
        )
        return grad_x, grad_mem0, grad_decay, grad_theta, grad_factor, None, None


def leaky_step(
    spike: Any,
    x: torch.Tensor,
    mem: torch.Tensor,
    params: Mapping[str, torch.Tensor],
    config: Mapping[str, Any],
) -> tuple[torch.Tensor, torch.Tensor] | None:
    """``(spk, mem)`` of one ``Leaky`` step through :class:`LeakyStep`, or ``None`` (use the spec's step).

    It applies on the CPU, in float32/float64, outside ``torch.compile``, with the
    compiled scans built, a surrogate they implement, no inhibition, ``state_quant``
    or same-step reset (``reset_delay=False``), an input of the state's shape and
    parameters that broadcast to it.
    """
    if config.get("inhibition") or config.get("state_quant") or not config.get("reset_delay", True):
        return None
    if x.device.type != "cpu" or x.dtype not in _SUFFIX or is_compiling() or not native.enabled():
        return None
    derivative = derivative_fn(spike)
    surrogate = None if derivative is None else surrogate_code(derivative)
    if surrogate is None or surrogate[0] == 0 or mem.shape != x.shape or native.library() is None:
        return None
    tensors = (params["beta"], params["threshold"], params["graded_spikes_factor"])
    if any(tensor.dtype != x.dtype or not _broadcasts_to(tensor.shape, x.shape) for tensor in tensors):
        return None
    beta, threshold, factor = tensors
    return LeakyStep.apply(
        x.contiguous(),
        mem.to(x.dtype).contiguous(),
        clamped(beta),
        threshold,
        factor,
        MECHANISMS[config["reset_mechanism"]],
        surrogate,
    )
