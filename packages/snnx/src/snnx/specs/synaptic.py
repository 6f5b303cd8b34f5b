r"""The second-order (current-based) integrate-and-fire neuron, snnTorch's ``Synaptic``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from snnx.ops import Array, ArrayOps
from snnx.specs import lif
from snnx.specs.lif import RESET_MECHANISMS
from snnx.specs.neuron import NeuronSpec, SpikeFn


def synaptic_update(
    ops: ArrayOps,
    x: Array,
    feedback: Array | None,
    syn: Array,
    mem: Array,
    reset: Array | None,
    params: Mapping[str, Array],
    config: Mapping[str, Any],
) -> tuple[Array, Array]:
    """One update of ``(syn, mem)`` from input ``x`` (plus recurrent ``feedback``), with the reset."""
    syn = ops.clip(params["alpha"], 0.0, 1.0) * syn + x
    if feedback is not None:
        syn = syn + feedback
    mem = ops.clip(params["beta"], 0.0, 1.0) * mem + syn
    if config["reset_mechanism"] == "subtract":
        mem = mem - reset * params["threshold"]
    elif config["reset_mechanism"] == "zero":
        mem = mem - reset * mem
    return lif.quantise(syn, config), lif.quantise(mem, config)


class SynapticSpec(NeuronSpec):
    r"""Integrate-and-fire neuron with an exponentially decaying synaptic current.

    With input :math:`X[t]`, current decay :math:`\alpha \in [0, 1]`, membrane decay
    :math:`\beta \in [0, 1]`, threshold :math:`\theta > 0` and the detached reset
    :math:`R[t] = H(U[t-1] - \theta)`:

    .. math::

        I[t] = \alpha I[t-1] + X[t]

        U[t] = \beta U[t-1] + I[t] - R[t]\,\theta           \quad\text{(subtract)}

        U[t] = (1 - R[t])\,(\beta U[t-1] + I[t])            \quad\text{(zero)}

        U[t] = \beta U[t-1] + I[t]                          \quad\text{(none)}

        S[t] = H(U[t] - \theta)

    The current :math:`I` (``syn``) is never reset. ``alpha`` and ``beta`` are
    clamped to [0, 1] at every step. ``reset_delay=False`` and ``inhibition`` act
    as for :class:`~snnx.specs.leaky.LeakySpec`.

    In continuous time this is the current-based LIF
    :math:`\tau_{syn}\dot I = -I + X`, :math:`\tau_{mem}\dot U = -U + R I` with
    :math:`\alpha = 1 - \Delta t/\tau_{syn}` and :math:`\beta = 1 - \Delta t/\tau_{mem}`.
    """

    name = "Synaptic"
    states = ("syn", "mem")
    arguments = (
        lif.alpha(),
        lif.beta(),
        lif.THRESHOLD,
        lif.SPIKE_GRAD,
        lif.SURROGATE_DISABLE,
        lif.INIT_HIDDEN,
        lif.INHIBITION,
        lif.LEARN_ALPHA,
        lif.LEARN_BETA,
        lif.LEARN_THRESHOLD,
        lif.reset_mechanism(),
        lif.STATE_QUANT,
        lif.OUTPUT,
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
        syn, mem = states
        reset = lif.reset_signal(ops, mem, params["threshold"], config, spike)
        syn, mem = synaptic_update(ops, x, None, syn, mem, reset, params, config)
        spk, fired = lif.fire(ops, mem, params, config, spike)
        return spk, (syn, lif.reset_now(mem, fired, reset, params["threshold"], config))

    @classmethod
    def examples(cls) -> list[dict[str, Any]]:
        cases: list[dict[str, Any]] = [{"alpha": 0.8, "beta": 0.9}, {"alpha": 0.0, "beta": 1.0}]
        for mechanism in RESET_MECHANISMS:
            for delay in (True, False):
                cases.append(
                    {
                        "alpha": 0.7,
                        "beta": 0.8,
                        "threshold": 0.7,
                        "reset_mechanism": mechanism,
                        "reset_delay": delay,
                    }
                )
        cases.append({"alpha": 0.6, "beta": 0.7, "inhibition": True})
        cases.append({"alpha": [0.1, 0.3, 0.5, 0.7, 0.9], "beta": [0.9, 0.8, 0.7, 0.6, 0.5]})
        return cases

    @classmethod
    def invalid_examples(cls) -> list[dict[str, Any]]:
        return [
            {"alpha": 1.2, "beta": 0.9},
            {"alpha": 0.5, "beta": -0.1},
            {"alpha": 0.5, "beta": 0.9, "threshold": 0.0},
            {"alpha": 0.5, "beta": 0.9, "reset_mechanism": "reset"},
        ]

    @classmethod
    def continuous_time(cls, params: Mapping[str, Any], dt: float) -> dict[str, Any]:
        tau_syn = dt / (1.0 - params["alpha"])
        tau_mem = dt / (1.0 - params["beta"])
        return {
            "tau_syn": tau_syn,
            "tau_mem": tau_mem,
            "r": tau_mem / dt,
            "v_leak": 0.0 * params["beta"],
            "v_threshold": params["threshold"],
        }
