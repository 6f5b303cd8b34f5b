"""Surrogate gradients, named and parameterised as in snnTorch.

Each function returns a :class:`~snnx.specs.surrogate.Surrogate`: pass it as a
neuron's ``spike_grad``, or call it on an array. The forward pass is always the
Heaviside step ``H(u) = 1 if u > 0 else 0``; the functions differ in the
derivative ``dS/du`` used in the backward pass (written out on each).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from snnx.specs import surrogate as _specs
from snnx.specs.surrogate import (
    ATAN,
    CUSTOM_SURROGATE,
    FAST_SIGMOID,
    HEAVISIDE,
    SIGMOID,
    SPIKE_RATE_ESCAPE,
    STRAIGHT_THROUGH_ESTIMATOR,
    TRIANGULAR,
    Surrogate,
    SurrogateSpec,
)

__all__ = [
    "LSO",
    "SFS",
    "SSO",
    "Surrogate",
    "atan",
    "custom_surrogate",
    "fast_sigmoid",
    "heaviside",
    "sigmoid",
    "spike_rate_escape",
    "straight_through_estimator",
    "triangular",
]


def _bound(spec: SurrogateSpec, **params: Any) -> Surrogate:
    return Surrogate(spec, spec.bind((), params))


def atan(alpha: float = 2.0) -> Surrogate:
    """Arctangent surrogate: ``dS/du = (alpha/2) / (1 + (pi/2 * alpha * u)^2)``."""
    return _bound(ATAN, alpha=alpha)


def fast_sigmoid(slope: float = 25) -> Surrogate:
    """Fast-sigmoid surrogate: ``dS/du = 1 / (slope * |u| + 1)^2``."""
    return _bound(FAST_SIGMOID, slope=slope)


def sigmoid(slope: float = 25) -> Surrogate:
    """Logistic surrogate: ``dS/du = slope * s * (1 - s)`` with ``s = sigmoid(slope * u)``.

    Evaluated without overflow (snnTorch 1.0 returns NaN for ``u < -88/slope``).
    """
    return _bound(SIGMOID, slope=slope)


def straight_through_estimator() -> Surrogate:
    """Straight-through estimator: ``dS/du = 1``."""
    return _bound(STRAIGHT_THROUGH_ESTIMATOR)


def triangular(threshold: float = 1) -> Surrogate:
    """snnTorch's triangular surrogate: ``dS/du = threshold`` for ``u < 0``, ``-threshold`` else."""
    return _bound(TRIANGULAR, threshold=threshold)


def heaviside() -> Surrogate:
    """Heaviside "surrogate": ``dS/du = H(u)``, 1 where the neuron spiked and 0 elsewhere.

    Not the true derivative of the step, but the gradient passes through every
    neuron that fired (which is then reset).
    """
    return _bound(HEAVISIDE)


def spike_rate_escape(beta: float = 1, slope: float = 25) -> Surrogate:
    """Escape-rate surrogate: ``dS/du = slope * exp(-beta * |u - 1|)``.

    The gradient peaks at ``slope`` for ``u = 1`` and decays exponentially at rate
    ``beta >= 0`` on either side. ``slope`` must be positive.
    """
    return _bound(SPIKE_RATE_ESCAPE, beta=beta, slope=slope)


def SFS(slope: float = 25, B: float = 1) -> Surrogate:  # noqa: N802, N803
    """Sparse fast sigmoid: ``dS/du = 1 / (slope * |u| + 1)^2`` where ``u > B``, else 0.

    The fast sigmoid's derivative, cut to zero at and below the bound ``B`` so only
    neurons well above threshold pass a gradient. ``slope`` must be positive,
    ``B`` any finite number.
    """
    return _bound(_specs.SFS, slope=slope, B=B)


def SSO(mean: float = 0, variance: float = 0.2) -> Surrogate:  # noqa: N802
    """Stochastic spike operator: random gradient below threshold.

    ``dS/du = 1`` where ``u > 0``; where ``u <= 0``,
    ``dS/du = (V - 0.5 + mean) * variance`` with ``V ~ Uniform[0, 1)`` drawn afresh
    for every element on every backward pass, so it lies in
    ``[(mean - 0.5) * variance, (mean + 0.5) * variance)``. ``variance`` must be
    ``>= 0``, ``mean`` any finite number. Seed the backend's global generator
    (``torch.manual_seed``) for repeatable gradients.
    """
    return _bound(_specs.SSO, mean=mean, variance=variance)


def LSO(slope: float = 0.1) -> Surrogate:  # noqa: N802
    """Leaky spike operator: ``dS/du = H(u) + slope * (1 - H(u))``.

    1 where the neuron spiked, ``slope > 0`` elsewhere: the gradient of a leaky
    ReLU shifted to the threshold. (snnTorch 1.0's ``LSO`` raises ``TypeError`` when
    called; this one works.)
    """
    return _bound(_specs.LSO, slope=slope)


def custom_surrogate(custom_surrogate_function: Callable[..., Any]) -> Surrogate:
    """A surrogate whose backward pass is the user's function.

    ``dL/du = custom_surrogate_function(input_, grad_input, out)``: it receives the
    input ``u``, the incoming gradient ``dL/dS`` (a copy it may modify) and the
    forward spikes ``H(u)``, and returns the gradient itself, not a derivative, so
    it must multiply by ``grad_input``. Fix hyperparameters inside the function,
    for example ``lambda u, grad, out: grad / (25 * u.abs() + 1) ** 2``. Raises
    ``TypeError`` if the argument is not callable.
    """
    return _bound(CUSTOM_SURROGATE, custom_surrogate_function=custom_surrogate_function)
