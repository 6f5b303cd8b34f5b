r"""Spiking LSTM neurons: snnTorch's ``SLSTM`` (dense) and ``SConv2dLSTM`` (convolutional).

Both keep an LSTM's cell state as the synaptic current :math:`I` (``syn``) and its
hidden state as the membrane :math:`U` (``mem``), and fire when the membrane
crosses the threshold. With gates computed from the input and the previous
membrane, :math:`i, f, o = \sigma(\cdot)` and :math:`g = \tanh(\cdot)`:

.. math::

    I[t] = f \odot I[t-1] + i \odot g

    U[t] = o \odot \tanh(I[t]) - R[t]\,\theta        \quad\text{(subtract)}

    S[t] = H(U[t] - \theta)

with the detached reset :math:`R[t] = H(U[t-1] - \theta)`; ``"zero"`` multiplies
:math:`U[t]` by :math:`1 - R[t]` and leaves :math:`I` alone; the default ``"none"``
never resets.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from snnx.errors import ParameterRangeError
from snnx.ops import Array, ArrayOps
from snnx.specs import lif
from snnx.specs.neuron import NeuronSpec, SpikeFn, Weight
from snnx.specs.parameters import Option, is_count, size_option
from snnx.specs.recurrent import kernel_pair


def lstm_update(
    ops: ArrayOps,
    gates: Array,
    order: str,
    syn: Array,
    reset: Array | None,
    params: Mapping[str, Array],
    config: Mapping[str, Any],
) -> tuple[Array, Array]:
    """New ``(syn, mem)`` from the stacked gate pre-activations (dimension 1, in ``order``)."""
    n = gates.shape[1] // 4
    chunk = {name: gates[:, k * n : (k + 1) * n] for k, name in enumerate(order)}
    i, f, o, g = (
        ops.sigmoid(chunk["i"]),
        ops.sigmoid(chunk["f"]),
        ops.sigmoid(chunk["o"]),
        ops.tanh(chunk["g"]),
    )
    syn = f * syn + i * g
    mem = o * ops.tanh(syn)
    if config["reset_mechanism"] == "subtract":
        mem = mem - reset * params["threshold"]
    elif config["reset_mechanism"] == "zero":
        mem = mem - reset * mem
    return lif.quantise(syn, config), lif.quantise(mem, config)


LSTM_TAIL = (
    lif.THRESHOLD,
    lif.SPIKE_GRAD,
    lif.SURROGATE_DISABLE,
    lif.INIT_HIDDEN,
    lif.INHIBITION,
    lif.LEARN_THRESHOLD,
    lif.reset_mechanism("none"),
    lif.STATE_QUANT,
    lif.OUTPUT,
)


class SLSTMSpec(NeuronSpec):
    r"""Spiking LSTM cell on ``[batch, input_size]`` inputs with ``hidden_size`` neurons.

    Gates (PyTorch's ``LSTMCell`` layout ``i, f, g, o``):
    :math:`W_{ih} X[t] + b_{ih} + W_{hh} U[t-1] + b_{hh}`. See the module for the
    state update. States have shape ``[batch, hidden_size]``. ``inhibition`` is
    accepted for snnTorch compatibility and has no effect here (as in snnTorch).
    """

    name = "SLSTM"
    states = ("syn", "mem")
    arguments = (
        size_option("input_size"),
        size_option("hidden_size"),
        Option("bias", True),
        *LSTM_TAIL,
    )

    @classmethod
    def weights(cls, config: Mapping[str, Any]) -> tuple[Weight, ...]:
        n_in, n_hidden = config["input_size"], config["hidden_size"]
        bound = 1 / math.sqrt(n_hidden)
        weights = [
            Weight("lstm_cell.weight_ih", (4 * n_hidden, n_in), bound),
            Weight("lstm_cell.weight_hh", (4 * n_hidden, n_hidden), bound),
        ]
        if config["bias"]:
            weights += [
                Weight("lstm_cell.bias_ih", (4 * n_hidden,), bound),
                Weight("lstm_cell.bias_hh", (4 * n_hidden,), bound),
            ]
        return tuple(weights)

    @classmethod
    def state_shape(cls, config: Mapping[str, Any], x: Array) -> tuple[int, ...]:
        return (x.shape[0], config["hidden_size"])

    @classmethod
    def check_input_shape(cls, config: Mapping[str, Any], x: Array) -> None:
        if len(x.shape) != 2 or x.shape[1] != config["input_size"]:
            raise ValueError(
                f"SLSTM expects input of shape [batch, input_size={config['input_size']}], "
                f"got {tuple(x.shape)}."
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
        gates = ops.linear(x, params["lstm_cell.weight_ih"], params.get("lstm_cell.bias_ih")) + ops.linear(
            mem, params["lstm_cell.weight_hh"], params.get("lstm_cell.bias_hh")
        )
        syn, mem = lstm_update(ops, gates, "ifgo", syn, reset, params, config)
        spk = spike(mem - params["threshold"]) * params["graded_spikes_factor"]
        return spk, (syn, mem)

    @classmethod
    def examples(cls) -> list[dict[str, Any]]:
        return [
            {"input_size": 5, "hidden_size": 4, "threshold": 0.1},
            {"input_size": 5, "hidden_size": 5, "bias": False, "threshold": 0.05},
            {"input_size": 5, "hidden_size": 3, "reset_mechanism": "subtract", "threshold": 0.1},
            {"input_size": 5, "hidden_size": 3, "reset_mechanism": "zero", "threshold": 0.1},
        ]

    @classmethod
    def example_input_shape(cls, config: Mapping[str, Any]) -> tuple[int, ...]:
        return (6, config["input_size"])

    @classmethod
    def invalid_examples(cls) -> list[dict[str, Any]]:
        return [
            {"input_size": 0, "hidden_size": 4},
            {"input_size": 3, "hidden_size": 2.0},
            {"input_size": 3, "hidden_size": 4, "threshold": -1.0},
            {"input_size": 3, "hidden_size": 4, "reset_mechanism": "soft"},
        ]


def _pool_size(value: Any) -> bool:
    return is_count(value, 0)


class SConv2dLSTMSpec(NeuronSpec):
    r"""Spiking convolutional LSTM on ``[batch, in_channels, height, width]`` inputs.

    Gates come from one convolution (``conv``: ``in_channels + out_channels`` to
    ``4 * out_channels`` channels, odd ``kernel_size``, zero padding ``kernel_size // 2``)
    over the input stacked with the previous membrane, split as ``i, f, o, g``. See
    the module for the state update; states have shape
    ``[batch, out_channels, height, width]``. With ``max_pool=k`` (or ``avg_pool=k``)
    spikes fire from the membrane pooled over ``k x k`` windows, so they are ``k``
    times smaller in height and width than the states.
    """

    name = "SConv2dLSTM"
    states = ("syn", "mem")
    arguments = (
        size_option("in_channels"),
        size_option("out_channels"),
        Option(
            "kernel_size", rule=lambda v: v is not None and _kernel_ok(v), expects="an odd integer or pair"
        ),
        Option("bias", True),
        Option("max_pool", 0, rule=_pool_size, expects="an integer >= 0 (0: no pooling)"),
        Option("avg_pool", 0, rule=_pool_size, expects="an integer >= 0 (0: no pooling)"),
        *LSTM_TAIL,
    )

    @classmethod
    def check(cls, config: Mapping[str, Any]) -> None:
        if config["max_pool"] and config["avg_pool"]:
            raise ParameterRangeError("SConv2dLSTM: set max_pool or avg_pool, not both.")
        if any(size % 2 == 0 for size in kernel_pair(config["kernel_size"])):
            raise ParameterRangeError(
                "SConv2dLSTM: kernel_size must be odd so the states keep the input's height and width "
                f"(padding kernel_size // 2); got {config['kernel_size']!r}."
            )

    @classmethod
    def weights(cls, config: Mapping[str, Any]) -> tuple[Weight, ...]:
        c_in, c_out = config["in_channels"], config["out_channels"]
        kernel = kernel_pair(config["kernel_size"])
        bound = 1 / math.sqrt((c_in + c_out) * kernel[0] * kernel[1])
        weights = [Weight("conv.weight", (4 * c_out, c_in + c_out, *kernel), bound)]
        if config["bias"]:
            weights.append(Weight("conv.bias", (4 * c_out,), bound))
        return tuple(weights)

    @classmethod
    def state_shape(cls, config: Mapping[str, Any], x: Array) -> tuple[int, ...]:
        return (x.shape[0], config["out_channels"], x.shape[2], x.shape[3])

    @classmethod
    def check_input_shape(cls, config: Mapping[str, Any], x: Array) -> None:
        if len(x.shape) != 4 or x.shape[1] != config["in_channels"]:
            raise ValueError(
                f"SConv2dLSTM expects input of shape [batch, in_channels={config['in_channels']}, "
                f"height, width], got {tuple(x.shape)}."
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
        kernel = kernel_pair(config["kernel_size"])
        gates = ops.conv2d(
            ops.cat([x, mem], 1),
            params["conv.weight"],
            params.get("conv.bias"),
            (kernel[0] // 2, kernel[1] // 2),
        )
        syn, mem = lstm_update(ops, gates, "ifog", syn, reset, params, config)
        fired_from = mem
        if config["max_pool"]:
            fired_from = ops.max_pool2d(mem, config["max_pool"])
        elif config["avg_pool"]:
            fired_from = ops.avg_pool2d(mem, config["avg_pool"])
        spk = spike(lif.quantise(fired_from, config) - params["threshold"]) * params["graded_spikes_factor"]
        return spk, (syn, mem)

    @classmethod
    def examples(cls) -> list[dict[str, Any]]:
        base = {"in_channels": 2, "out_channels": 3, "kernel_size": 3, "threshold": 0.05}
        return [
            base,
            base | {"bias": False, "kernel_size": (3, 1)},
            base | {"max_pool": 2},
            base | {"avg_pool": 2, "reset_mechanism": "subtract"},
            base | {"reset_mechanism": "zero"},
        ]

    @classmethod
    def example_input_shape(cls, config: Mapping[str, Any]) -> tuple[int, ...]:
        return (2, config["in_channels"], 4, 6)

    @classmethod
    def invalid_examples(cls) -> list[dict[str, Any]]:
        base = {"in_channels": 2, "out_channels": 3, "kernel_size": 3}
        return [
            base | {"max_pool": 2, "avg_pool": 2},
            base | {"kernel_size": 4},
            base | {"kernel_size": 0},
            base | {"out_channels": 0},
            base | {"max_pool": -1},
        ]


def _kernel_ok(value: Any) -> bool:
    if is_count(value):
        return True
    return isinstance(value, (tuple, list)) and len(value) == 2 and all(is_count(v) for v in value)
