r"""Lapicque's RC-circuit neuron, parameterised by resistance, capacitance and time step."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from snnx.errors import ParameterRangeError
from snnx.ops import Array, ArrayOps
from snnx.specs import lif
from snnx.specs.lif import POSITIVE
from snnx.specs.neuron import NeuronSpec, SpikeFn, Tensor
from snnx.specs.parameters import Interval, Parameter, as_numpy

OPEN_UNIT = Interval(0.0, 1.0, low_open=True, high_open=True)


def _given(value: Any) -> bool:
    """snnTorch's convention: ``False``/``None`` (the defaults) mean "not given"."""
    return value is not None and value is not False


class LapicqueSpec(NeuronSpec):
    r"""Lapicque's neuron: a leaky RC circuit integrated with forward Euler.

    With input current :math:`X[t]`, resistance :math:`R`, capacitance :math:`C` and
    time step :math:`\Delta t`:

    .. math::

        U[t] = \frac{\Delta t}{C} X[t] + \Bigl(1 - \frac{\Delta t}{RC}\Bigr) U[t-1] - R[t]\,\theta

    for ``reset_mechanism="subtract"`` (with the detached reset
    :math:`R[t] = H(U[t-1]-\theta)`); ``"zero"`` multiplies the new potential by
    :math:`1 - R[t]`; ``"none"`` drops the reset term. :math:`S[t] = H(U[t]-\theta)`.

    Give ``beta`` alone (then :math:`R = 1` and :math:`C = \Delta t / \ln(1/\beta)`),
    ``R`` and ``C`` (then :math:`\beta = e^{-\Delta t/RC}`), or ``beta`` with one of
    ``R``/``C`` (the other follows from :math:`\beta = e^{-\Delta t/RC}`). Like
    snnTorch, the update uses :math:`R` and :math:`C` through the Euler factor
    :math:`1 - \Delta t/RC`, so ``beta`` only sets the circuit; it is stored (and
    learnable with ``learn_beta``) but does not enter the update.
    """

    name = "Lapicque"
    states = ("mem",)
    arguments = (
        Parameter("beta", False, OPEN_UNIT, learn_flag="learn_beta", doc="beta must lie strictly in (0, 1)."),
        Parameter("R", False, POSITIVE, doc="R is the membrane resistance and must be positive."),
        Parameter("C", False, POSITIVE, doc="C is the membrane capacitance and must be positive."),
        Parameter("time_step", 1, POSITIVE, doc="time_step is the Euler step and must be positive."),
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
    )

    @classmethod
    def check(cls, config: Mapping[str, Any]) -> None:
        given = [name for name in ("beta", "R", "C") if _given(config[name])]
        if given in (["beta"], ["R", "C"], ["beta", "R"], ["beta", "C"]):
            return
        if len(given) == 3:
            raise ParameterRangeError(
                "Lapicque: give beta, or R and C, or beta with one of R and C — not all three "
                "(beta = exp(-time_step / (R C)) would over-determine the circuit)."
            )
        raise ParameterRangeError(
            f"Lapicque: give beta, or R and C (got only {', '.join(given) or 'none of beta, R, C'})."
        )

    @classmethod
    def tensors(cls, config: Mapping[str, Any]) -> dict[str, Tensor]:
        """``beta``, ``R``, ``C`` and ``time_step`` completed from whichever were given."""
        stored = super().tensors(config)
        dt = as_numpy(config["time_step"])
        beta, r, c = (config[name] if _given(config[name]) else None for name in ("beta", "R", "C"))
        learn_beta = bool(config["learn_beta"])
        is_integer = isinstance(config["time_step"], (int, np.integer))
        stored["time_step"] = Tensor(config["time_step"], dtype="int64" if is_integer else None)
        if beta is None:
            rc = as_numpy(r) * as_numpy(c)
            beta = np.exp(-dt / rc)
            stored["beta"] = Tensor(beta.reshape(1) if rc.ndim == 0 else beta, learn_beta, "float32")
            stored["R"], stored["C"] = Tensor(r), Tensor(c)
        elif r is None and c is None:
            stored["R"] = Tensor(1, dtype="int64")
            stored["C"] = Tensor(dt / np.log(1 / as_numpy(beta)), dtype="float32")
        elif c is None:
            stored["R"] = Tensor(r)
            stored["C"] = Tensor(dt / (as_numpy(r) * np.log(1 / as_numpy(beta))), dtype="float32")
        else:
            stored["C"] = Tensor(c)
            stored["R"] = Tensor(dt / (as_numpy(c) * np.log(1 / as_numpy(beta))), dtype="float32")
        return stored

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
        r, c, dt = params["R"], params["C"], params["time_step"]
        reset = lif.reset_signal(ops, mem, params["threshold"], config, spike)
        mem = x * r * (1 / (r * c)) * dt + (1 - dt / (r * c)) * mem
        if config["reset_mechanism"] == "subtract":
            mem = mem - reset * params["threshold"]
        elif config["reset_mechanism"] == "zero":
            mem = mem - reset * mem
        mem = lif.quantise(mem, config)
        spk, _ = lif.fire(ops, mem, params, config, spike)
        return spk, (mem,)

    @classmethod
    def examples(cls) -> list[dict[str, Any]]:
        return [
            {"beta": 0.9},
            {"R": 5.0, "C": 2.0, "time_step": 0.5},
            {"beta": 0.8, "R": 2.0, "reset_mechanism": "zero"},
            {"beta": 0.7, "C": 1.5, "reset_mechanism": "none", "threshold": 0.8},
            {"beta": 0.9, "inhibition": True},
        ]

    @classmethod
    def invalid_examples(cls) -> list[dict[str, Any]]:
        return [
            {},
            {"R": 2.0},
            {"beta": 0.9, "R": 1.0, "C": 1.0},
            {"beta": 1.0},
            {"R": -1.0, "C": 1.0},
            {"beta": 0.9, "time_step": 0},
        ]

    @classmethod
    def continuous_time(cls, params: Mapping[str, Any], dt: float) -> dict[str, Any]:
        r, c = params["R"], params["C"]
        return {"tau_mem": r * c, "r": r, "v_leak": 0.0 * r, "v_threshold": params["threshold"]}
