r"""Spike functions made of plain differentiable torch operations.

PopART (poptorch's compiler) differentiates the traced forward operations; it
cannot run a Python ``torch.autograd.Function`` backward or a custom op. So the
spike here is written so that ordinary autograd of ordinary operations gives the
surrogate gradient:

.. math::

    S(u) = H(u) + \bigl(u - \operatorname{sg}(u)\bigr)\,\operatorname{sg}\bigl(d(u)\bigr)

with :math:`H(u) = 1` for :math:`u > 0` else 0, :math:`d` the surrogate's
:math:`\partial S/\partial u` and :math:`\operatorname{sg}` stop-gradient
(``detach``). Forward: :math:`u - \operatorname{sg}(u)` is exactly 0 for finite
:math:`u`, and so is :math:`0 \cdot d(u)` for the finite :math:`d` every
deterministic surrogate gives, so :math:`S(u) = H(u)` bit for bit. Backward:
:math:`H` is a comparison (no gradient), :math:`\operatorname{sg}(d)` is a
constant, and :math:`\partial (u - \operatorname{sg}(u))/\partial u = 1`, so
:math:`\partial L/\partial u = \partial L/\partial S \cdot d(u)`: the product the
torch backend's surrogate backward computes, hence equal to it exactly.

Surrogates that are not a derivative of :math:`u` alone cannot be written so:
``custom_surrogate`` maps the incoming gradient through a user function (not
necessarily linear in it), and ``SSO`` draws fresh noise on every backward pass.
They are refused up front.
"""

from __future__ import annotations

from collections.abc import Callable

import torch

from snnx.errors import SnnxError
from snnx.specs.surrogate import Surrogate
from snnx_torch.ops import OPS

SpikeFn = Callable[[torch.Tensor], torch.Tensor]


class UnsupportedSurrogateError(SnnxError, ValueError):
    """A surrogate whose gradient cannot be expressed with plain operations for the IPU."""


def check_surrogate(surrogate: Surrogate) -> None:
    """Raise :class:`UnsupportedSurrogateError` unless ``surrogate`` has a deterministic ``dS/du``."""
    spec = surrogate.spec
    if spec.stochastic:
        raise UnsupportedSurrogateError(
            f"surrogate.{spec.name} draws new random numbers on every backward pass, which a traced "
            "IPU program cannot reproduce; use a deterministic surrogate such as surrogate.LSO(slope) "
            "or surrogate.atan() on the ipu backend."
        )
    if spec.derivative is None or spec.gradient is not None:
        raise UnsupportedSurrogateError(
            f"surrogate.{spec.name} computes the whole backward pass with its own function, which the "
            "IPU compiler cannot differentiate; write the surrogate as a derivative dS/du instead (a "
            "snnx.specs.surrogate.SurrogateSpec with a `derivative`) or pick a built-in one such as "
            "surrogate.atan()."
        )


class PlainSpike:
    """``H(u)`` forward with ``surrogate``'s derivative backward, from plain torch operations.

    See the module notes for why :math:`H(u) + (u - sg(u))\\,sg(d(u))` has exactly
    that value and that gradient. Picklable, so neurons holding it deep-copy.
    """

    exact_heaviside = True
    """Its forward value is exactly ``H(u)``, so a reset signal may use the comparison alone."""

    def __init__(self, surrogate: Surrogate) -> None:
        check_surrogate(surrogate)
        self.surrogate = surrogate

    def __call__(self, u: torch.Tensor) -> torch.Tensor:
        constant = u.detach()
        slope = self.surrogate.derivative(OPS, constant).detach()
        return (u > 0).to(u.dtype) + (u - constant) * slope

    def __repr__(self) -> str:
        return f"PlainSpike({self.surrogate!r})"


def plain_heaviside(u: torch.Tensor) -> torch.Tensor:
    """The spike of ``surrogate_disable=True``: ``H(u)``, a comparison, so no gradient flows."""
    return (u > 0).to(u.dtype)


plain_heaviside.exact_heaviside = True  # type: ignore[attr-defined]


def spike_fn(surrogate: Surrogate | None = None, surrogate_disable: bool = False) -> SpikeFn:
    """The IPU-ready spike function of ``surrogate`` (``atan()`` when ``None``).

    ``surrogate_disable=True`` gives plain ``H(u)`` without gradient. Raises
    :class:`UnsupportedSurrogateError` for ``custom_surrogate`` and ``SSO`` and
    ``TypeError`` for anything that is not a surrogate.
    """
    if surrogate_disable:
        return plain_heaviside
    if surrogate is None:
        from snnx.surrogate import atan

        surrogate = atan()
    if not isinstance(surrogate, Surrogate):
        raise TypeError(
            f"spike_fn expects a surrogate such as snnx.surrogate.atan(), got {type(surrogate).__name__}."
        )
    return PlainSpike(surrogate)


def is_plain_spike(spike: object) -> bool:
    """Whether ``spike`` is one of this module's spike functions (safe to trace for the IPU)."""
    return isinstance(spike, PlainSpike) or spike is plain_heaviside
