r"""Helpers every fused neuron kernel shares.

A kernel's backward pass needs the surrogate derivative :math:`F'(u) = \partial S/\partial u`
of the neuron's spike function at :math:`u = U[t] - \theta` for every step; it can
take it in one vectorised call, :math:`F'` of the whole ``[T, ...]`` sequence
(:func:`derivative_fn`). Parameters broadcast against the state as in the step
loop, so a parameter's gradient is the per-element gradient summed over time and
over every dimension the parameter was broadcast along (:func:`reduce_to`).

Typical use inside a kernel::

    def supports(self, neuron, config):
        return plain_lif(neuron, config)

    def run(self, neuron, x_seq, states, params, config):
        derivative = derivative_fn(neuron._spike)  # not None: supports() checked it
        ...
        grad_theta = reduce_to(per_element_grad, theta.shape)

The recurrences the LIF kernels share (a decaying current, a membrane with threshold
and reset, each with its hand-written backward) are in :mod:`snnx_torch.fused.scan`.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Mapping
from typing import Any

import torch

from snnx.specs.surrogate import Surrogate
from snnx_torch.ops import OPS
from snnx_torch.surrogate import SpikeFunction, heaviside_without_gradient

DerivativeFn = Callable[[torch.Tensor], torch.Tensor]
"""``u [T, ...] -> dS/du [T, ...]``: the spike function's surrogate derivative, elementwise."""


def zero_derivative(u: torch.Tensor) -> torch.Tensor:
    """The derivative of ``surrogate_disable=True``: no gradient through spikes (compare by identity)."""
    return torch.zeros_like(u)


def derivative_fn(spike: Callable[[torch.Tensor], torch.Tensor]) -> DerivativeFn | None:
    r"""The derivative :math:`\partial S/\partial u` the step loop's ``spike`` sends back, or ``None``.

    * a :class:`~snnx_torch.surrogate.SpikeFunction` of a deterministic surrogate:
      its ``derivative`` (the step loop multiplies the incoming gradient by it);
    * ``heaviside_without_gradient`` (``surrogate_disable=True``): :func:`zero_derivative`
      (a kernel may then treat spikes as constants, as autograd does in the step loop);
    * ``None`` (a kernel must not run) for stochastic surrogates (``SSO`` draws
      noise per backward call), gradient-only surrogates (``custom_surrogate``)
      and a user's own callable, whose gradients a kernel cannot reproduce.
    """
    if spike is heaviside_without_gradient:
        return zero_derivative
    if not isinstance(spike, SpikeFunction):
        return None
    if spike not in _DERIVATIVES:  # one per spike function: kernels look it up on every call
        surrogate = spike.surrogate
        spec = surrogate.spec
        reproducible = not spec.stochastic and spec.gradient is None and spec.derivative is not None
        _DERIVATIVES[spike] = SurrogateDerivative(surrogate) if reproducible else None
    return _DERIVATIVES[spike]


_DERIVATIVES: weakref.WeakKeyDictionary[SpikeFunction, SurrogateDerivative | None]
_DERIVATIVES = weakref.WeakKeyDictionary()


class SurrogateDerivative:
    r""":math:`\partial S/\partial u` of one deterministic surrogate, elementwise (a :data:`DerivativeFn`).

    ``surrogate`` stays visible, so a compiled kernel can evaluate the same formula itself.
    """

    def __init__(self, surrogate: Surrogate) -> None:
        self.surrogate = surrogate

    def __call__(self, u: torch.Tensor) -> torch.Tensor:
        return self.surrogate.derivative(OPS, u)


def plain_lif(neuron: Any, config: Mapping[str, Any]) -> bool:
    """Whether ``neuron`` uses only what the LIF kernels implement.

    That excludes ``inhibition`` (winner-take-all across neurons), ``state_quant``
    (an arbitrary quantiser inside the recurrence) and spike functions without a
    reproducible derivative (see :func:`derivative_fn`).
    """
    if config.get("inhibition") or config.get("state_quant"):
        return False
    return derivative_fn(neuron._spike) is not None


def state_shape(x_seq: torch.Tensor, *tensors: torch.Tensor) -> torch.Size:
    """The shape of one step's state: one input step ``x_seq[t]`` broadcast with states and parameters."""
    return torch.broadcast_shapes(x_seq.shape[1:], *(tensor.shape for tensor in tensors))


def reduce_to(grad: torch.Tensor | None, shape: torch.Size | tuple[int, ...]) -> torch.Tensor | None:
    r"""Sum a per-element gradient over the dimensions ``shape`` was broadcast along.

    ``grad`` may carry extra leading dimensions (time, batch); a parameter of
    shape ``()``, ``(1,)`` or ``(N,)`` gets :math:`\sum` over everything it was
    broadcast to. ``None`` passes through (no gradient needed).
    """
    if grad is None:
        return None
    if tuple(grad.shape) == tuple(shape):
        return grad
    return grad.sum_to_size(shape)


def clamped(value: torch.Tensor) -> torch.Tensor:
    r""":math:`\mathrm{clip}(\beta, 0, 1)` as the step loop takes it (gradient 1 inside, 0 outside).

    Applied with autograd outside a kernel's ``autograd.Function``, so the kernel
    sees the clamped decay and returns the gradient with respect to it.
    """
    return torch.clamp(value, 0.0, 1.0)


def previous(first: torch.Tensor, seq: torch.Tensor) -> torch.Tensor:
    """``[first, seq[0], ..., seq[T-2]]``: each step's value before the step (``first`` broadcast)."""
    return torch.cat((first.expand(seq.shape[1:]).unsqueeze(0), seq[:-1]))
