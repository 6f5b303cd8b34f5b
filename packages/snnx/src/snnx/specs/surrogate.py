r"""Surrogate-gradient specs.

Every surrogate fires the Heaviside step :math:`S(u) = H(u) = 1` if :math:`u > 0`
else 0 in the forward pass (``u = mem - threshold``), and replaces the zero
almost-everywhere derivative with a smooth stand-in :math:`\partial S/\partial u`
in the backward pass. A spec holds only that derivative and its parameters.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from snnx.ops import Array, ArrayOps
from snnx.specs.parameters import Interval, Parameter, bind_arguments

POSITIVE = Interval(0.0, math.inf, low_open=True)


@dataclass(frozen=True)
class SurrogateSpec:
    """A surrogate gradient: its name, parameters and derivative ``dS/du``."""

    name: str
    parameters: tuple[Parameter, ...]
    derivative: Callable[..., Array]
    doc: str = ""

    def bind(self, args: tuple, kwargs: dict[str, Any]) -> dict[str, Any]:
        return bind_arguments(f"surrogate.{self.name}", self.parameters, args, kwargs)


def _atan(ops: ArrayOps, u: Array, alpha: float) -> Array:
    return alpha / 2 / (1 + (math.pi / 2 * alpha * u) ** 2)


def _fast_sigmoid(ops: ArrayOps, u: Array, slope: float) -> Array:
    return 1.0 / (slope * ops.abs(u) + 1.0) ** 2


def _sigmoid(ops: ArrayOps, u: Array, slope: float) -> Array:
    s = ops.sigmoid(slope * u)
    return slope * s * (1 - s)


def _straight_through(ops: ArrayOps, u: Array) -> Array:
    return ops.zeros_like(u) + 1.0


def _triangular(ops: ArrayOps, u: Array, threshold: float) -> Array:
    zeros = ops.zeros_like(u)
    return ops.where(u < 0, zeros + threshold, zeros - threshold)


ATAN = SurrogateSpec(
    "atan",
    (Parameter("alpha", 2.0, POSITIVE, doc="alpha scales the width of the arctan curve."),),
    _atan,
    r"dS/du = (alpha / 2) / (1 + (pi/2 * alpha * u)^2), the derivative of "
    r"arctan(pi/2 * alpha * u) / pi.",
)
FAST_SIGMOID = SurrogateSpec(
    "fast_sigmoid",
    (Parameter("slope", 25.0, POSITIVE, doc="slope sets how sharp the curve is."),),
    _fast_sigmoid,
    r"dS/du = 1 / (slope * |u| + 1)^2, the derivative of the fast sigmoid u / (1 + slope |u|).",
)
SIGMOID = SurrogateSpec(
    "sigmoid",
    (Parameter("slope", 25.0, POSITIVE, doc="slope sets how sharp the curve is."),),
    _sigmoid,
    r"dS/du = slope * s * (1 - s) with s = sigmoid(slope * u), the logistic derivative.",
)
STRAIGHT_THROUGH_ESTIMATOR = SurrogateSpec(
    "straight_through_estimator",
    (),
    _straight_through,
    "dS/du = 1: the incoming gradient passes through unchanged.",
)
TRIANGULAR = SurrogateSpec(
    "triangular",
    (Parameter("threshold", 1.0, POSITIVE, doc="threshold is the gradient's magnitude."),),
    _triangular,
    "dS/du = threshold for u < 0 and -threshold for u >= 0 (snnTorch 1.0's definition).",
)

SURROGATE_SPECS: dict[str, SurrogateSpec] = {
    spec.name: spec for spec in (ATAN, FAST_SIGMOID, SIGMOID, STRAIGHT_THROUGH_ESTIMATOR, TRIANGULAR)
}


@dataclass(frozen=True, eq=True)
class Surrogate:
    """A surrogate spec with bound parameters; what ``snnx.surrogate.atan()`` returns.

    Pass it as ``spike_grad`` to a neuron; each backend turns it into its own spike
    function. Calling it on an array runs the spike function of the backend that
    owns that array.
    """

    spec: SurrogateSpec
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.spec.name

    def derivative(self, ops: ArrayOps, u: Array) -> Array:
        return self.spec.derivative(ops, u, **self.params)

    def __call__(self, u: Array) -> Array:
        from snnx.selection import backend_for

        return backend_for(u).spike_function(self)(u)

    def __repr__(self) -> str:
        args = ", ".join(f"{key}={value!r}" for key, value in self.params.items())
        return f"surrogate.{self.name}({args})"
