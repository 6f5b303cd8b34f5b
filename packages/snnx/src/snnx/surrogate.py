"""Surrogate gradients, named and parameterised as in snnTorch.

Each function returns a :class:`~snnx.specs.surrogate.Surrogate`: pass it as a
neuron's ``spike_grad``, or call it on an array. The forward pass is always the
Heaviside step ``H(u) = 1 if u > 0 else 0``; the functions differ in the
derivative ``dS/du`` used in the backward pass (written out on each).
"""

from __future__ import annotations

from snnx.specs.surrogate import (
    ATAN,
    FAST_SIGMOID,
    SIGMOID,
    STRAIGHT_THROUGH_ESTIMATOR,
    TRIANGULAR,
    Surrogate,
    SurrogateSpec,
)

__all__ = ["Surrogate", "atan", "fast_sigmoid", "sigmoid", "straight_through_estimator", "triangular"]


def _bound(spec: SurrogateSpec, **params: float) -> Surrogate:
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
