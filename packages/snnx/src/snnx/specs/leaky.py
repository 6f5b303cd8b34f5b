r"""The leaky integrate-and-fire neuron (first-order, snnTorch's ``Leaky``)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from snnx.ops import Array, ArrayOps
from snnx.specs.neuron import NeuronSpec, SpikeFn
from snnx.specs.parameters import Interval, Option, Parameter

UNIT = Interval(0.0, 1.0)
POSITIVE = Interval(0.0, math.inf, low_open=True)
RESET_MECHANISMS = ("subtract", "zero", "none")


class LeakySpec(NeuronSpec):
    r"""Leaky integrate-and-fire neuron with a membrane potential :math:`U`.

    With input :math:`X[t]`, decay :math:`\beta \in [0, 1]`, threshold
    :math:`\theta > 0` and the reset signal of the previous state
    :math:`R[t] = H(U[t-1] - \theta)` (no gradient flows through it):

    .. math::

        U[t] = \beta U[t-1] + X[t] - R[t]\,\theta            \quad\text{(subtract)}

        U[t] = \beta (1 - R[t])\,U[t-1] + X[t]                \quad\text{(zero)}

        U[t] = \beta U[t-1] + X[t]                            \quad\text{(none)}

        S[t] = g\,H(U[t] - \theta)

    where :math:`g` is ``graded_spikes_factor`` and :math:`H` the Heaviside step
    (surrogate gradient in the backward pass). ``beta`` is clamped to [0, 1] at
    every step so a learned value stays stable.

    With ``reset_delay=False`` the reset happens in the step that fires instead of
    the next one: :math:`U[t] \leftarrow U[t] - (S[t]/g - R[t])\,\theta` (subtract)
    or :math:`U[t] \leftarrow U[t] - (S[t]/g - R[t])\,U[t]` (zero).

    With ``inhibition=True`` only the neuron with the largest membrane potential in
    each sample (along dimension 1) may fire.

    In continuous time this is :math:`\tau \dot U = -U + R I` sampled with forward
    Euler at step :math:`\Delta t`: :math:`\beta = 1 - \Delta t / \tau` and
    :math:`R = \tau / \Delta t`, so one unit of input raises :math:`U` by one.
    """

    name = "Leaky"
    states = ("mem",)
    arguments = (
        Parameter(
            "beta",
            valid=UNIT,
            learn_flag="learn_beta",
            doc="beta is the membrane decay per step; use a value in [0, 1].",
        ),
        Parameter(
            "threshold", 1.0, POSITIVE, learn_flag="learn_threshold", doc="threshold must be positive."
        ),
        Option("spike_grad", None),
        Option("surrogate_disable", False),
        Option("init_hidden", False),
        Option("inhibition", False),
        Option("learn_beta", False),
        Option("learn_threshold", False),
        Option("reset_mechanism", "subtract", choices=RESET_MECHANISMS),
        Option("state_quant", False),
        Option("output", False),
        Parameter(
            "graded_spikes_factor",
            1.0,
            POSITIVE,
            learn_flag="learn_graded_spikes_factor",
            doc="graded_spikes_factor scales spikes and must be positive.",
        ),
        Option("learn_graded_spikes_factor", False),
        Option("reset_delay", True),
    )

    @staticmethod
    def step(
        ops: ArrayOps,
        x: Array,
        states: tuple[Array, ...],
        params: Mapping[str, Array],
        config: Mapping[str, Any],
        spike: SpikeFn,
    ) -> tuple[Array, tuple[Array, ...]]:
        (mem,) = states
        beta, threshold = params["beta"], params["threshold"]
        gain = params["graded_spikes_factor"]
        mechanism = config["reset_mechanism"]
        quantise = config["state_quant"]

        reset = ops.detach(spike(mem - threshold)) if mechanism != "none" else None
        if mechanism == "zero":
            mem = (1 - reset) * mem
        mem = ops.clip(beta, 0.0, 1.0) * mem + x
        if mechanism == "subtract":
            mem = mem - reset * threshold
        if quantise:
            mem = quantise(mem)

        fired = spike(mem - threshold)
        if config["inhibition"]:
            fired = fired * ops.winner_mask(mem - threshold)
        spk = fired * gain

        if not config["reset_delay"] and mechanism != "none":
            correction = fired - reset
            mem = mem - correction * (threshold if mechanism == "subtract" else mem)
        return spk, (mem,)

    @classmethod
    def examples(cls) -> list[dict[str, Any]]:
        cases: list[dict[str, Any]] = [{"beta": 0.9}, {"beta": 0.0}, {"beta": 1.0, "threshold": 0.5}]
        for mechanism in RESET_MECHANISMS:
            for delay in (True, False):
                cases.append(
                    {
                        "beta": 0.8,
                        "threshold": 0.7,
                        "reset_mechanism": mechanism,
                        "reset_delay": delay,
                        "graded_spikes_factor": 2.0,
                    }
                )
        cases.append({"beta": 0.7, "inhibition": True})
        cases.append({"beta": [0.5, 0.6, 0.7, 0.8, 0.9], "threshold": [0.5, 1.0, 1.5, 2.0, 2.5]})
        return cases

    @classmethod
    def invalid_examples(cls) -> list[dict[str, Any]]:
        return [
            {"beta": 1.5},
            {"beta": -0.1},
            {"beta": 0.9, "threshold": 0.0},
            {"beta": 0.9, "threshold": -1.0},
            {"beta": 0.9, "reset_mechanism": "bogus"},
        ]

    @classmethod
    def continuous_time(cls, params: Mapping[str, Any], dt: float) -> dict[str, Any]:
        beta = params["beta"]
        tau_mem = dt / (1.0 - beta)
        return {
            "tau_mem": tau_mem,
            "r": tau_mem / dt,
            "v_leak": 0.0 * beta,
            "v_threshold": params["threshold"],
        }
