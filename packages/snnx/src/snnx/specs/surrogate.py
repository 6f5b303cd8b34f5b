r"""Surrogate-gradient specs.

Every surrogate fires the Heaviside step :math:`S(u) = H(u) = 1` if :math:`u > 0`
else 0 in the forward pass (``u = mem - threshold``), and replaces the zero
almost-everywhere derivative with a smooth stand-in :math:`\partial S/\partial u`
in the backward pass. A spec holds only that derivative and its parameters.

A few surrogates are not a function of ``u`` alone: ``SSO`` draws fresh uniform
noise on every backward pass (``stochastic``), and ``custom_surrogate`` hands the
incoming gradient to the user's function, so its spec defines the whole gradient
``dL/du`` from ``dL/dS`` instead of a derivative.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from snnx.ops import Array, ArrayOps
from snnx.specs.parameters import REQUIRED, Argument, Interval, Option, Parameter, bind_arguments

POSITIVE = Interval(0.0, math.inf, low_open=True)
NON_NEGATIVE = Interval(0.0, math.inf)
FINITE = Interval()


@dataclass(frozen=True)
class FunctionOption(Option):
    """An argument that must be a callable (``TypeError`` naming it otherwise)."""

    def validate(self, value: Any, owner: str) -> None:
        if not callable(value):
            raise TypeError(
                f"{owner}: {self.name} must be a callable, got {type(value).__name__} {value!r}. {self.doc}"
            )


@dataclass(frozen=True)
class SurrogateSpec:
    """A surrogate gradient: its name, parameters and derivative ``dS/du``.

    ``derivative(ops, u, **params)`` gives ``dS/du``; the backward pass multiplies
    it by the incoming gradient. A spec may instead (or also) define
    ``gradient(ops, u, grad_output, **params)``, the whole backward pass ``dL/du``.
    ``stochastic`` marks a derivative that draws random numbers on each call.
    """

    name: str
    parameters: tuple[Argument, ...]
    derivative: Callable[..., Array] | None
    doc: str = ""
    gradient: Callable[..., Array] | None = None
    stochastic: bool = False

    def __post_init__(self) -> None:
        if self.derivative is None and self.gradient is None:
            raise TypeError(f"surrogate spec {self.name!r} needs a derivative or a gradient")

    def bind(self, args: tuple, kwargs: dict[str, Any]) -> dict[str, Any]:
        return bind_arguments(f"surrogate.{self.name}", self.parameters, args, kwargs)


def _atan(ops: ArrayOps, u: Array, alpha: float) -> Array:
    scaled = u * (math.pi / 2 * alpha)
    scaled *= scaled
    scaled += 1
    return (alpha / 2) / scaled


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


def _heaviside(ops: ArrayOps, u: Array) -> Array:
    return ops.heaviside(u)


def _spike_rate_escape(ops: ArrayOps, u: Array, beta: float, slope: float) -> Array:
    return slope * ops.exp(-beta * ops.abs(u - 1))


def _sparse_fast_sigmoid(ops: ArrayOps, u: Array, slope: float, B: float) -> Array:  # noqa: N803
    return ops.where(u > B, 1.0 / (slope * ops.abs(u) + 1.0) ** 2, ops.zeros_like(u))


def _stochastic_spike_operator(ops: ArrayOps, u: Array, mean: float, variance: float) -> Array:
    spiked = ops.heaviside(u)
    noise = (ops.rand_like(u) - 0.5 + mean) * variance
    return spiked + (1 - spiked) * noise


def _leaky_spike_operator(ops: ArrayOps, u: Array, slope: float) -> Array:
    spiked = ops.heaviside(u)
    return spiked + slope * (1 - spiked)


def _custom_gradient(
    ops: ArrayOps, u: Array, grad_output: Array, custom_surrogate_function: Callable[..., Array]
) -> Array:
    # a fresh copy of the incoming gradient, so a function editing it in place harms nothing
    return custom_surrogate_function(u, grad_output + ops.zeros_like(grad_output), ops.heaviside(u))


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

HEAVISIDE = SurrogateSpec(
    "heaviside",
    (),
    _heaviside,
    "dS/du = H(u): the incoming gradient passes where the neuron spiked and is 0 elsewhere.",
)
SPIKE_RATE_ESCAPE = SurrogateSpec(
    "spike_rate_escape",
    (
        Parameter("beta", 1.0, NON_NEGATIVE, doc="beta sets how fast the gradient decays away from u = 1."),
        Parameter("slope", 25.0, POSITIVE, doc="slope is the gradient's peak value (at u = 1)."),
    ),
    _spike_rate_escape,
    "dS/du = slope * exp(-beta * |u - 1|), a Boltzmann-like escape rate peaking at u = 1.",
)
SFS = SurrogateSpec(
    "SFS",
    (
        Parameter("slope", 25.0, POSITIVE, doc="slope sets how sharp the curve is."),
        Parameter("B", 1.0, FINITE, doc="B is the sparsity bound: no gradient for u <= B."),
    ),
    _sparse_fast_sigmoid,
    "dS/du = 1 / (slope * |u| + 1)^2 for u > B and 0 for u <= B: the fast sigmoid's "
    "derivative, kept only above the bound B (sparse fast sigmoid).",
)
SSO = SurrogateSpec(
    "SSO",
    (
        Parameter("mean", 0.0, FINITE, doc="mean shifts the noise drawn below threshold."),
        Parameter("variance", 0.2, NON_NEGATIVE, doc="variance scales the noise drawn below threshold."),
    ),
    _stochastic_spike_operator,
    "dS/du = 1 where u > 0, and (V - 0.5 + mean) * variance where u <= 0, with V drawn "
    "uniformly from [0, 1) afresh for every element on every backward pass (stochastic "
    "spike operator).",
    stochastic=True,
)
LSO = SurrogateSpec(
    "LSO",
    (Parameter("slope", 0.1, POSITIVE, doc="slope is the gradient below threshold."),),
    _leaky_spike_operator,
    "dS/du = H(u) + slope * (1 - H(u)): 1 where u > 0, slope where u <= 0 (leaky spike "
    "operator, the gradient of a threshold-shifted leaky ReLU).",
)
CUSTOM_SURROGATE = SurrogateSpec(
    "custom_surrogate",
    (
        FunctionOption(
            "custom_surrogate_function",
            REQUIRED,
            doc="Pass a function f(input_, grad_input, out) returning the gradient dL/du.",
        ),
    ),
    None,
    "dL/du = f(u, dL/dS, H(u)): the user's function receives the input, the incoming "
    "gradient and the spikes, and returns the gradient itself (not a derivative).",
    gradient=_custom_gradient,
)

SURROGATE_SPECS: dict[str, SurrogateSpec] = {
    spec.name: spec
    for spec in (
        ATAN,
        FAST_SIGMOID,
        SIGMOID,
        STRAIGHT_THROUGH_ESTIMATOR,
        TRIANGULAR,
        HEAVISIDE,
        SPIKE_RATE_ESCAPE,
        SFS,
        SSO,
        LSO,
        CUSTOM_SURROGATE,
    )
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

    @property
    def stochastic(self) -> bool:
        return self.spec.stochastic

    def derivative(self, ops: ArrayOps, u: Array) -> Array:
        """``dS/du`` at ``u``; for a gradient-only spec, the gradient sent back for ``dL/dS = 1``."""
        if self.spec.derivative is None:
            return self.gradient(ops, u, ops.zeros_like(u) + 1.0)
        return self.spec.derivative(ops, u, **self.params)

    def gradient(self, ops: ArrayOps, u: Array, grad_output: Array) -> Array:
        """The backward pass: ``dL/du`` from the incoming ``dL/dS`` (``dL/dS * dS/du`` by default)."""
        if self.spec.gradient is not None:
            return self.spec.gradient(ops, u, grad_output, **self.params)
        derivative = self.spec.derivative(ops, u, **self.params)
        if getattr(derivative, "shape", None) == getattr(grad_output, "shape", ()):
            derivative *= grad_output  # the derivative is a fresh array: scale it in place
            return derivative
        return grad_output * derivative

    def __call__(self, u: Array) -> Array:
        from snnx.selection import backend_for

        return backend_for(u).spike_function(self)(u)

    def __repr__(self) -> str:
        args = ", ".join(f"{key}={value!r}" for key, value in self.params.items())
        return f"surrogate.{self.name}({args})"
