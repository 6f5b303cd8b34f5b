"""Spike functions: Heaviside forward, a core surrogate spec's gradient backward."""

from __future__ import annotations

from collections.abc import Callable

import torch

from snnx.specs.surrogate import Surrogate
from snnx_torch.compat import is_compiling
from snnx_torch.ops import OPS
from snnx_torch.spike_op import op_arguments, spike


class SurrogateSpike(torch.autograd.Function):
    """``S = H(u)`` forward; ``dL/du = surrogate.gradient(u, dL/dS)`` backward.

    For most surrogates that is ``dL/dS * dS/du``; ``custom_surrogate`` hands
    ``dL/dS`` to the user's function, and ``SSO`` draws its noise here, once per
    backward pass, from torch's global generator.
    """

    @staticmethod
    def forward(ctx, u: torch.Tensor, surrogate: Surrogate) -> torch.Tensor:
        ctx.save_for_backward(u)
        ctx.surrogate = surrogate
        return (u > 0).to(u.dtype)

    @staticmethod
    def backward(ctx, grad_spikes: torch.Tensor):
        (u,) = ctx.saved_tensors
        return ctx.surrogate.gradient(OPS, u, grad_spikes), None


class SpikeFunction:
    """A picklable callable spiking with one surrogate.

    Under ``torch.compile`` the ``snnx::spike`` custom op (:mod:`snnx_torch.spike_op`)
    runs the surrogates it can express; eager calls, and the surrogates the op
    cannot express (a ``custom_surrogate``, a user's own spec), run
    :class:`SurrogateSpike`, which computes the same and is several times cheaper
    to call from Python than a custom op.
    """

    exact_heaviside = True
    """Its forward pass is exactly ``H(u)``, so a reset signal may skip the autograd machinery."""

    def __init__(self, surrogate: Surrogate) -> None:
        self.surrogate = surrogate
        # the custom op exists from torch 2.4; before that, compile traces SurrogateSpike as well
        self._op_arguments = op_arguments(surrogate) if spike is not None else None

    def __call__(self, u: torch.Tensor) -> torch.Tensor:
        if self._op_arguments is not None and is_compiling():
            return spike(u, *self._op_arguments)
        return SurrogateSpike.apply(u, self.surrogate)

    def __repr__(self) -> str:
        return f"SpikeFunction({self.surrogate!r})"


def heaviside_without_gradient(u: torch.Tensor) -> torch.Tensor:
    """The spike function of ``surrogate_disable=True``: no gradient flows through spikes."""
    return (u > 0).to(u.dtype)


heaviside_without_gradient.exact_heaviside = True  # type: ignore[attr-defined]


def spike_function_for(spike_grad: object, surrogate_disable: bool) -> Callable:
    """Turn a neuron's ``spike_grad`` argument into the spike function it runs."""
    if surrogate_disable:
        return heaviside_without_gradient
    if spike_grad is None:
        from snnx.surrogate import atan

        spike_grad = atan()
    if isinstance(spike_grad, Surrogate):
        return SpikeFunction(spike_grad)
    if callable(spike_grad):
        return spike_grad  # a user's own autograd function, used as given
    raise TypeError(
        f"spike_grad must be a surrogate such as snnx.surrogate.atan() or a callable, "
        f"got {type(spike_grad).__name__}."
    )
