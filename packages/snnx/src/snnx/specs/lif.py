r"""Building blocks every integrate-and-fire spec shares: arguments, firing and resets.

With membrane potential :math:`U`, threshold :math:`\theta`, graded-spike factor
:math:`g` and Heaviside step :math:`H` (surrogate gradient backward):

* the reset signal of a step is :math:`R[t] = H(U[t-1] - \theta)`, cut from the
  gradient graph;
* spikes are :math:`S[t] = g\,H(U[t] - \theta)`, and with ``inhibition=True`` only
  the neuron with the largest :math:`U` along dimension 1 of each sample may fire;
* with ``reset_delay=False`` the reset lands in the step that fires:
  :math:`U \leftarrow U - (S/g - R)\,\theta` (subtract) or :math:`U - (S/g - R)\,U` (zero).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from snnx.ops import Array, ArrayOps
from snnx.specs.neuron import SpikeFn
from snnx.specs.parameters import Interval, Option, Parameter

UNIT = Interval(0.0, 1.0)
POSITIVE = Interval(0.0, math.inf, low_open=True)
REAL = Interval()
RESET_MECHANISMS = ("subtract", "zero", "none")


def beta(doc: str = "beta is the membrane decay per step; use a value in [0, 1].") -> Parameter:
    return Parameter("beta", valid=UNIT, learn_flag="learn_beta", doc=doc)


def alpha(doc: str = "alpha is the synaptic current decay per step; use a value in [0, 1].") -> Parameter:
    return Parameter("alpha", valid=UNIT, learn_flag="learn_alpha", doc=doc)


THRESHOLD = Parameter(
    "threshold", 1.0, POSITIVE, learn_flag="learn_threshold", doc="threshold must be positive."
)
GRADED_SPIKES_FACTOR = Parameter(
    "graded_spikes_factor",
    1.0,
    POSITIVE,
    learn_flag="learn_graded_spikes_factor",
    doc="graded_spikes_factor scales spikes and must be positive.",
)
SPIKE_GRAD = Option("spike_grad", None)
SURROGATE_DISABLE = Option("surrogate_disable", False)
INIT_HIDDEN = Option("init_hidden", False)
INHIBITION = Option("inhibition", False)
LEARN_ALPHA = Option("learn_alpha", False)
LEARN_BETA = Option("learn_beta", False)
LEARN_THRESHOLD = Option("learn_threshold", False)
LEARN_GRADED_SPIKES_FACTOR = Option("learn_graded_spikes_factor", False)
STATE_QUANT = Option("state_quant", False)
OUTPUT = Option("output", False)
RESET_DELAY = Option("reset_delay", True)


def reset_mechanism(default: str = "subtract") -> Option:
    return Option("reset_mechanism", default, choices=RESET_MECHANISMS)


def reset_signal(ops: ArrayOps, mem: Array, threshold: Array, config: Mapping[str, Any], spike: SpikeFn):
    """:math:`R = H(U - \\theta)` without gradient, or ``None`` when nothing resets."""
    if config["reset_mechanism"] == "none":
        return None
    if getattr(spike, "exact_heaviside", False):  # same values, without a surrogate's autograd node
        return ops.heaviside(ops.detach(mem - threshold))
    return ops.detach(spike(mem - threshold))


def quantise(mem: Array, config: Mapping[str, Any]) -> Array:
    """Apply ``state_quant`` (a callable) when the neuron has one."""
    quantiser = config.get("state_quant")
    return quantiser(mem) if quantiser else mem


def fire(
    ops: ArrayOps, mem: Array, params: Mapping[str, Array], config: Mapping[str, Any], spike: SpikeFn
) -> tuple[Array, Array]:
    """``(spikes, unscaled spikes)``: :math:`g\\,H(U-\\theta)`, winner-take-all under inhibition."""
    fired = spike(mem - params["threshold"])
    if config.get("inhibition"):
        fired = fired * ops.winner_mask(mem - params["threshold"])
    return fired * params["graded_spikes_factor"], fired


def reset_now(mem: Array, fired: Array, reset: Array | None, threshold: Array, config: Mapping[str, Any]):
    """The same-step reset of ``reset_delay=False`` (the identity otherwise)."""
    if config.get("reset_delay", True) or reset is None:
        return mem
    correction = fired - reset
    return mem - correction * (threshold if config["reset_mechanism"] == "subtract" else mem)
