r"""The spike function as a ``torch.library`` custom op, ``snnx::spike``.

Forward: :math:`S = H(u)`, 1 where :math:`u > 0` and 0 elsewhere. Backward:
:math:`\partial L/\partial u = \mathrm{surrogate.gradient}(u, \partial L/\partial S)`
(:math:`\partial L/\partial S \cdot \partial S/\partial u` for most surrogates).

The op takes the surrogate by name with its parameters as floats, so it has a
plain schema (``spike(Tensor u, str surrogate, float[] params) -> Tensor``); its
fake implementation gives ``torch.compile`` and ``torch.export`` the output's
shape and dtype without running it, and AOTAutograd traces the registered
backward (the surrogate's formula) into the backward graph. Only the built-in
surrogate specs with numeric parameters fit that schema (:func:`op_arguments`);
the others (``custom_surrogate``'s user function, a user's own spec) keep the
:class:`torch.autograd.Function` in :mod:`snnx_torch.surrogate`.
"""

from __future__ import annotations

import functools
import numbers
from collections.abc import Sequence
from typing import Any

import torch

from snnx.specs.surrogate import SURROGATE_SPECS, Surrogate
from snnx_torch.compat import HAS_CUSTOM_OP
from snnx_torch.ops import OPS


def _spike(u: torch.Tensor, surrogate: str, params: Sequence[float]) -> torch.Tensor:
    """:math:`H(u)` in ``u``'s dtype; the gradient is that of the surrogate ``surrogate(*params)``."""
    return (u > 0).to(u.dtype)


def _spike_fake(u: torch.Tensor, surrogate: str, params: Sequence[float]) -> torch.Tensor:
    return torch.empty_like(u)


def _setup_context(ctx: Any, inputs: tuple[Any, ...], output: torch.Tensor) -> None:
    u, name, params = inputs
    ctx.save_for_backward(u)
    ctx.surrogate = bound_surrogate(name, tuple(params))


def _backward(ctx: Any, grad_spikes: torch.Tensor) -> tuple[torch.Tensor, None, None]:
    (u,) = ctx.saved_tensors
    return ctx.surrogate.gradient(OPS, u, grad_spikes), None, None


spike = None
"""The registered op, or ``None`` on torch without ``torch.library.custom_op`` (before 2.4)."""
if HAS_CUSTOM_OP:
    spike = torch.library.custom_op("snnx::spike", mutates_args=())(_spike)
    spike.register_fake(_spike_fake)
    spike.register_autograd(_backward, setup_context=_setup_context)


@functools.lru_cache(maxsize=256)
def bound_surrogate(name: str, params: tuple[float, ...]) -> Surrogate:
    """The built-in surrogate ``name`` with its parameters, in the order the spec lists them."""
    spec = SURROGATE_SPECS[name]
    return Surrogate(spec, dict(zip((argument.name for argument in spec.parameters), params)))


def op_arguments(surrogate: Surrogate) -> tuple[str, list[float]] | None:
    """``(name, params)`` to call :func:`spike` with, or ``None`` when the op cannot express it.

    It can when the surrogate's spec is the built-in one of that name and every
    parameter is a real number.
    """
    spec = surrogate.spec
    if SURROGATE_SPECS.get(spec.name) is not spec:
        return None
    values = [surrogate.params[argument.name] for argument in spec.parameters]
    if not all(isinstance(value, numbers.Real) and not isinstance(value, bool) for value in values):
        return None
    return spec.name, [float(value) for value in values]
