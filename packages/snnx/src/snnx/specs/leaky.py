r"""The leaky integrate-and-fire neuron (first-order, snnTorch's ``Leaky``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from snnx.ops import Array, ArrayOps
from snnx.specs import lif
from snnx.specs.lif import RESET_MECHANISMS
from snnx.specs.neuron import NeuronSpec, SpikeFn


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
        lif.beta(),
        lif.THRESHOLD,
        lif.SPIKE_GRAD,
        lif.SURROGATE_DISABLE,
        lif.INIT_HIDDEN,
        lif.INHIBITION,
        lif.LEARN_BETA,
        lif.LEARN_THRESHOLD,
        lif.reset_mechanism(),
        lif.STATE_QUANT,
        lif.OUTPUT,
        lif.GRADED_SPIKES_FACTOR,
        lif.LEARN_GRADED_SPIKES_FACTOR,
        lif.RESET_DELAY,
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
        threshold = params["threshold"]
        reset = lif.reset_signal(ops, mem, threshold, config, spike)
        if config["reset_mechanism"] == "zero":
            mem = (1 - reset) * mem
        mem = ops.clip(params["beta"], 0.0, 1.0) * mem + x
        if config["reset_mechanism"] == "subtract":
            mem = mem - reset * threshold
        mem = lif.quantise(mem, config)
        spk, fired = lif.fire(ops, mem, params, config, spike)
        return spk, (lif.reset_now(mem, fired, reset, threshold, config),)

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
