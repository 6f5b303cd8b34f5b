r"""Leaky neurons computed over a whole sequence at once (snnTorch's ``StateLeaky``, ``LinearLeaky``)."""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping
from typing import Any

import numpy as np

from snnx.ops import Array, ArrayOps
from snnx.specs import lif
from snnx.specs.neuron import SpikeFn, Tensor, Weight, in_dtype_of
from snnx.specs.parameters import Option, size_option
from snnx.specs.sequence import (
    SequenceSpec,
    check_per_feature,
    decay_convolution,
    float_array,
    time_constant,
)

BETA = lif.beta(
    "beta is the membrane decay per step; use a value in [0, 1], one for all channels or one per channel."
)
KERNEL_TRUNCATION_STEPS = size_option("kernel_truncation_steps", None, optional=True)
SPIKE_SETTINGS = ("spike_grad", "surrogate_disable", "learn_threshold", "learn_graded_spikes_factor")


class StateLeakySpec(SequenceSpec):
    r"""Leaky integrator without reset, run over a whole sequence by a causal decay filter.

    With input :math:`X[t]` (``[time, batch, channels]``), the membrane is the input
    filtered by an exponential kernel of time constant
    :math:`\tau = 1 / (1 - \beta)`, one for all channels or one per channel:

    .. math::

        U[t] = \sum_{j=0}^{K-1} e^{-j/\tau}\, X[t-j] \qquad (X[t] = 0 \text{ for } t < 0)

    where :math:`K` is ``kernel_truncation_steps`` (the whole sequence when ``None``).
    Nothing resets the membrane. With ``output=True`` the call returns
    ``(spk, mem)`` with :math:`S[t] = g\,H(U[t] - \theta)`, :math:`g` the
    ``graded_spikes_factor`` and :math:`H` the Heaviside step (surrogate gradient in
    the backward pass); with ``output=False`` it returns the membrane alone.

    The stored ``tau`` is what is learned (``learn_beta=True``); ``beta`` reads back
    :math:`(\tau - 1)/\tau`. Note that the per-step decay of the filter is
    :math:`e^{-1/\tau} = e^{\beta - 1}`, as in snnTorch, not :math:`\beta` itself.
    """

    name = "StateLeaky"
    features = "channels"
    arguments = (
        BETA,
        size_option("channels"),
        lif.THRESHOLD,
        lif.SPIKE_GRAD,
        lif.SURROGATE_DISABLE,
        lif.LEARN_BETA,
        lif.LEARN_THRESHOLD,
        lif.STATE_QUANT,
        Option("output", True),
        lif.GRADED_SPIKES_FACTOR,
        lif.LEARN_GRADED_SPIKES_FACTOR,
        KERNEL_TRUNCATION_STEPS,
    )

    @classmethod
    def channels(cls, config: Mapping[str, Any]) -> int:
        """How many channels the leaky dynamics run on."""
        return config["channels"]

    @classmethod
    def check(cls, config: Mapping[str, Any]) -> None:
        check_per_feature(cls.name, "beta", config["beta"], "channel", cls.channels(config))
        if not config["output"]:
            settings = [name for name in SPIKE_SETTINGS if config[name]]
            if not np.all(np.asarray(float_array(config["graded_spikes_factor"])) == 1.0):
                settings.append("graded_spikes_factor")
            if settings:
                warnings.warn(
                    f"{cls.name}: {', '.join(settings)} only affect(s) spikes, and output=False "
                    "returns the membrane without spikes.",
                    UserWarning,
                    stacklevel=4,
                )

    @classmethod
    def tensors(cls, config: Mapping[str, Any]) -> dict[str, Tensor]:
        beta = float_array(config["beta"])
        return {
            # ``beta`` is stored before ``tau``: torch classes read ``beta`` back from ``tau``.
            "beta": Tensor(beta),
            "tau": Tensor(time_constant(beta), bool(config["learn_beta"])),
            "threshold": Tensor(config["threshold"], bool(config["learn_threshold"])),
            "graded_spikes_factor": Tensor(
                config["graded_spikes_factor"], bool(config["learn_graded_spikes_factor"])
            ),
            "reset_mechanism_val": Tensor(0, dtype="int64"),
        }

    @classmethod
    def derived(cls, params: Mapping[str, Any]) -> dict[str, Any]:
        tau = params["tau"]
        return {"beta": (tau - 1) / tau}

    @classmethod
    def output_shapes(cls, config: Mapping[str, Any], shape: tuple[int, ...]) -> tuple[tuple[int, ...], ...]:
        out = (*shape[:2], cls.channels(config))
        return (out, out) if config["output"] else (out,)

    @classmethod
    def membrane(
        cls, ops: ArrayOps, x: Array, params: Mapping[str, Array], config: Mapping[str, Any]
    ) -> Array:
        tau = in_dtype_of(ops, {"tau": params["tau"]}, x)["tau"]
        return decay_convolution(ops, x, tau, config["kernel_truncation_steps"])

    @classmethod
    def readout(
        cls,
        ops: ArrayOps,
        x: Array,
        mem: Array,
        params: Mapping[str, Array],
        config: Mapping[str, Any],
        spike: SpikeFn,
    ) -> Any:
        mem = lif.quantise(mem, config)
        if not config["output"]:
            return mem
        p = in_dtype_of(ops, {k: params[k] for k in ("threshold", "graded_spikes_factor")}, x)
        return spike(mem - p["threshold"]) * p["graded_spikes_factor"], mem

    @classmethod
    def examples(cls) -> list[dict[str, Any]]:
        return [
            {"beta": 0.9, "channels": 5},
            {"beta": [0.5, 0.6, 0.7, 0.8, 0.95], "channels": 5, "threshold": 0.5},
            {"beta": 0.8, "channels": 5, "kernel_truncation_steps": 4, "graded_spikes_factor": 2.0},
            {"beta": 1.0, "channels": 5, "threshold": 3.0, "kernel_truncation_steps": 50},
            {"beta": 0.0, "channels": 5, "learn_beta": True, "learn_threshold": True},
            {"beta": 0.7, "channels": 5, "output": False},
        ]

    @classmethod
    def invalid_examples(cls) -> list[dict[str, Any]]:
        return [
            {"beta": 1.5, "channels": 4},
            {"beta": -0.1, "channels": 4},
            {"beta": [0.5, 0.6, 0.7], "channels": 4},
            {"beta": 0.9, "channels": 0},
            {"beta": 0.9, "channels": 2.5},
            {"beta": 0.9, "channels": 4, "threshold": 0.0},
            {"beta": 0.9, "channels": 4, "graded_spikes_factor": -1.0},
            {"beta": 0.9, "channels": 4, "kernel_truncation_steps": 0},
            {"beta": 0.9, "channels": 4, "kernel_truncation_steps": 2.5},
            {"beta": 0.9},
        ]


class LinearLeakySpec(StateLeakySpec):
    r"""A dense layer followed by :class:`StateLeakySpec` dynamics, over a whole sequence.

    With input :math:`X[t]` (``[time, batch, in_features]``), weights :math:`W` and
    bias :math:`b` (``linear.weight``, ``linear.bias``), the membrane is

    .. math::

        U[t] = \sum_{j=0}^{K-1} e^{-j/\tau}\, (W X[t-j] + b)

    with :math:`\tau = 1/(1 - \beta)` one for all ``out_features`` channels or one per
    channel, :math:`K` as in :class:`StateLeakySpec`, and spikes
    :math:`S[t] = g\,H(U[t] - \theta)` returned with the membrane when ``output=True``.
    ``bias``, ``device`` and ``dtype`` configure the dense layer (whose weights start
    uniform in :math:`\pm 1/\sqrt{\text{in\_features}}`, as torch's ``nn.Linear``).
    """

    name = "LinearLeaky"
    features = "in_features"
    arguments = (
        BETA,
        size_option("in_features"),
        size_option("out_features"),
        Option("bias", True),
        Option("device", None),
        Option("dtype", None),
        *StateLeakySpec.arguments[2:],
    )

    @classmethod
    def channels(cls, config: Mapping[str, Any]) -> int:
        return config["out_features"]

    @classmethod
    def weights(cls, config: Mapping[str, Any]) -> tuple[Weight, ...]:
        n_in, n_out = config["in_features"], config["out_features"]
        bound = 1.0 / math.sqrt(n_in)
        layer = (Weight("linear.weight", (n_out, n_in), bound),)
        return layer + ((Weight("linear.bias", (n_out,), bound),) if config["bias"] else ())

    @classmethod
    def membrane(
        cls, ops: ArrayOps, x: Array, params: Mapping[str, Array], config: Mapping[str, Any]
    ) -> Array:
        names = ("tau", "linear.weight", "linear.bias") if config["bias"] else ("tau", "linear.weight")
        p = in_dtype_of(ops, {name: params[name] for name in names}, x)
        current = ops.linear(x, p["linear.weight"], p.get("linear.bias"))
        return decay_convolution(ops, current, p["tau"], config["kernel_truncation_steps"])

    @classmethod
    def examples(cls) -> list[dict[str, Any]]:
        return [
            {"beta": 0.9, "in_features": 4, "out_features": 5},
            {"beta": [0.5, 0.6, 0.7, 0.8, 0.95], "in_features": 4, "out_features": 5, "bias": False},
            {
                "beta": 0.8,
                "in_features": 4,
                "out_features": 5,
                "kernel_truncation_steps": 3,
                "threshold": 0.5,
            },
            {"beta": 0.7, "in_features": 4, "out_features": 5, "output": False},
            {
                "beta": 0.95,
                "in_features": 4,
                "out_features": 5,
                "graded_spikes_factor": 0.5,
                "learn_beta": True,
            },
        ]

    @classmethod
    def invalid_examples(cls) -> list[dict[str, Any]]:
        return [
            {"beta": 1.5, "in_features": 4, "out_features": 5},
            {"beta": 0.9, "in_features": 0, "out_features": 5},
            {"beta": 0.9, "in_features": 4, "out_features": -1},
            {"beta": [0.5, 0.6], "in_features": 4, "out_features": 5},
            {"beta": 0.9, "in_features": 4, "out_features": 5, "kernel_truncation_steps": 0},
            {"beta": 0.9, "in_features": 4, "out_features": 5, "threshold": -1.0},
            {"beta": 0.9, "in_features": 4},
        ]
