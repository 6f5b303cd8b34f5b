r"""The alpha-kernel neuron (excitatory and inhibitory currents), snnTorch's ``Alpha``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from snnx.errors import ParameterRangeError
from snnx.ops import Array, ArrayOps
from snnx.specs import lif
from snnx.specs.neuron import NeuronSpec, SpikeFn, parameter_values


class AlphaSpec(NeuronSpec):
    r"""Neuron whose membrane follows an alpha-shaped kernel: the difference of two exponentials.

    With input :math:`X[t]`, decays :math:`1 \ge \alpha > \beta \ge 0` and
    :math:`\tau_\alpha = \frac{\ln\alpha}{\ln\beta - \ln\alpha} + 1`:

    .. math::

        I_{exc}[t] = \alpha I_{exc}[t-1] + X[t]

        I_{inh}[t] = \beta I_{inh}[t-1] - X[t]

        U[t] = \tau_\alpha\,(I_{exc}[t] + I_{inh}[t])

        S[t] = H(U[t] - \theta)

    The membrane is a function of the two currents only. With the detached reset
    :math:`R[t] = H(U[t-1] - \theta)`, ``reset_mechanism="zero"`` (the default)
    multiplies all three states by :math:`1 - R[t]`; ``"subtract"`` lowers
    :math:`I_{exc}` by :math:`R\,\theta`, clears :math:`I_{inh}` and adds the previous
    :math:`R\,I_{inh}[t-1]` to :math:`U`. ``alpha`` and ``beta`` are clamped to [0, 1]
    at every step.
    """

    name = "Alpha"
    states = ("syn_exc", "syn_inh", "mem")
    arguments = (
        lif.alpha("alpha is the excitatory current's decay per step; use a value in [0, 1] above beta."),
        lif.beta("beta is the inhibitory current's decay per step; use a value in [0, 1) below alpha."),
        lif.THRESHOLD,
        lif.SPIKE_GRAD,
        lif.SURROGATE_DISABLE,
        lif.INIT_HIDDEN,
        lif.INHIBITION,
        lif.LEARN_ALPHA,
        lif.LEARN_BETA,
        lif.LEARN_THRESHOLD,
        lif.reset_mechanism("zero"),
        lif.STATE_QUANT,
        lif.OUTPUT,
    )

    @classmethod
    def check(cls, config: Mapping[str, Any]) -> None:
        values = parameter_values(config, ("alpha", "beta"))
        if np.any(values["beta"] >= 1):
            raise ParameterRangeError(
                "Alpha: beta must be below 1 (the kernel's time constant divides by log(beta)); "
                f"got {config['beta']!r}."
            )
        if np.any(values["alpha"] <= values["beta"]):
            raise ParameterRangeError(
                f"Alpha: alpha must be greater than beta for every neuron (the excitatory current "
                f"outlasts the inhibitory one); got alpha={config['alpha']!r}, beta={config['beta']!r}."
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
        syn_exc, syn_inh, mem = states
        alpha = ops.clip(params["alpha"], 0.0, 1.0)
        beta = ops.clip(params["beta"], 0.0, 1.0)
        reset = lif.reset_signal(ops, mem, params["threshold"], config, spike)
        log_alpha = ops.log(alpha)
        tau_alpha = log_alpha / (ops.log(beta) - log_alpha) + 1
        new_exc = alpha * syn_exc + x
        new_inh = beta * syn_inh - x
        new_mem = tau_alpha * (new_exc + new_inh)
        if config["reset_mechanism"] == "zero":
            new_exc, new_inh, new_mem = (1 - reset) * new_exc, (1 - reset) * new_inh, (1 - reset) * new_mem
        elif config["reset_mechanism"] == "subtract":
            new_exc = new_exc - reset * params["threshold"]
            new_inh = new_inh - reset * new_inh
            new_mem = new_mem + reset * syn_inh
        new_exc, new_inh, new_mem = (lif.quantise(state, config) for state in (new_exc, new_inh, new_mem))
        spk, _ = lif.fire(ops, new_mem, params, config, spike)
        return spk, (new_exc, new_inh, new_mem)

    @classmethod
    def examples(cls) -> list[dict[str, Any]]:
        return [
            {"alpha": 0.9, "beta": 0.8},
            {"alpha": 0.95, "beta": 0.5, "threshold": 0.5, "reset_mechanism": "subtract"},
            {"alpha": 0.8, "beta": 0.6, "threshold": 0.3, "reset_mechanism": "none"},
            {"alpha": 1.0, "beta": 0.0, "threshold": 0.4},
            {"alpha": 0.9, "beta": 0.7, "inhibition": True, "threshold": 0.2},
            {"alpha": [0.9, 0.8, 0.7, 0.6, 0.5], "beta": [0.5, 0.4, 0.3, 0.2, 0.1], "threshold": 0.3},
        ]

    @classmethod
    def invalid_examples(cls) -> list[dict[str, Any]]:
        return [
            {"alpha": 0.5, "beta": 0.8},
            {"alpha": 0.8, "beta": 0.8},
            {"alpha": 1.0, "beta": 1.0},
            {"alpha": [0.9, 0.5], "beta": [0.5, 0.6]},
            {"alpha": 1.5, "beta": 0.5},
        ]
