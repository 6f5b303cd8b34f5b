r"""A layer of leaky neurons run as a ReLU recurrent network (snnTorch's ``LeakyParallel``)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from snnx.ops import Array, ArrayOps
from snnx.specs import lif
from snnx.specs.neuron import SpikeFn, Tensor, Weight, in_dtype_of
from snnx.specs.parameters import Option, Parameter, size_option
from snnx.specs.sequence import SequenceSpec, check_per_feature, diagonal_mask, float_array


def _is_probability(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and 0.0 <= value <= 1.0


class LeakyParallelSpec(SequenceSpec):
    r"""Leaky neurons without reset, as one ReLU recurrent layer over the whole sequence.

    With input :math:`X[t]` (``[time, batch, input_size]``, or ``[time, input_size]``
    for one unbatched sequence as torch's RNNs take it), the membrane of the
    ``hidden_size`` neurons is

    .. math::

        U[t] = \mathrm{ReLU}\big(W_{ih} X[t] + b_{ih} + W_{hh} U[t-1] + b_{hh}\big),
        \qquad U[-1] = 0

        S[t] = g\,H(U[t] - \theta)

    and the call returns the spikes :math:`S` only (:math:`g` is
    ``graded_spikes_factor``, :math:`H` the Heaviside step with a surrogate gradient).
    The weights are those of torch's ``nn.RNN`` (``rnn.weight_ih_l0``,
    ``rnn.weight_hh_l0``, ``rnn.bias_ih_l0``, ``rnn.bias_hh_l0``; biases only with
    ``bias=True``), drawn uniform in :math:`\pm 1/\sqrt{\text{hidden\_size}}`.

    The recurrent weight plays the role of the decay: with ``weight_hh_enable=False``
    only its diagonal is used, :math:`W_{hh} = \mathrm{diag}(\beta)`, so each neuron
    decays by its own :math:`\beta`; with ``weight_hh_enable=True`` the whole matrix
    is used (row :math:`i` starts filled with :math:`\beta_i`). ``beta`` (one value,
    or one per neuron) sets its initial value; with ``beta=None`` it starts random.
    ``learn_beta=True`` trains :math:`W_{hh}` (its diagonal only, unless
    ``weight_hh_enable``); the stored ``beta`` keeps the initial value. ``dropout``
    is passed to ``nn.RNN``, where a single layer ignores it.
    """

    name = "LeakyParallel"
    features = "input_size"
    unbatched = True
    arguments = (
        size_option("input_size"),
        size_option("hidden_size"),
        Parameter(
            "beta",
            None,
            lif.UNIT,
            doc="beta is the membrane decay per step; use a value in [0, 1], one for all neurons or one "
            "per neuron.",
        ),
        Option("bias", True),
        lif.THRESHOLD,
        Option("dropout", 0.0, rule=_is_probability, expects="a number in [0, 1]"),
        lif.SPIKE_GRAD,
        lif.SURROGATE_DISABLE,
        lif.LEARN_BETA,
        lif.LEARN_THRESHOLD,
        lif.GRADED_SPIKES_FACTOR,
        lif.LEARN_GRADED_SPIKES_FACTOR,
        Option("weight_hh_enable", False),
        Option("device", None),
        Option("dtype", None),
    )

    @classmethod
    def check(cls, config: Mapping[str, Any]) -> None:
        if config["beta"] is not None:
            check_per_feature(cls.name, "beta", config["beta"], "neuron", config["hidden_size"])

    @classmethod
    def tensors(cls, config: Mapping[str, Any]) -> dict[str, Tensor]:
        stored = {}
        if config["beta"] is not None:
            stored["beta"] = Tensor(float_array(config["beta"]).reshape(-1))
        stored["threshold"] = Tensor(config["threshold"], bool(config["learn_threshold"]))
        stored["graded_spikes_factor"] = Tensor(
            config["graded_spikes_factor"], bool(config["learn_graded_spikes_factor"])
        )
        return stored

    @classmethod
    def weights(cls, config: Mapping[str, Any]) -> tuple[Weight, ...]:
        n_in, n = config["input_size"], config["hidden_size"]
        bound = 1.0 / math.sqrt(n)
        layer = (Weight("rnn.weight_ih_l0", (n, n_in), bound), Weight("rnn.weight_hh_l0", (n, n), bound))
        if config["bias"]:
            layer += (Weight("rnn.bias_ih_l0", (n,), bound), Weight("rnn.bias_hh_l0", (n,), bound))
        return layer

    @classmethod
    def initial_weights(
        cls, config: Mapping[str, Any], drawn: dict[str, np.ndarray]
    ) -> dict[str, np.ndarray]:
        n = config["hidden_size"]
        recurrent = drawn["rnn.weight_hh_l0"]
        if config["beta"] is not None:
            beta = float_array(config["beta"]).reshape(-1)
            recurrent = np.broadcast_to(beta[:, None], (n, n)).astype(recurrent.dtype)
        if not config["weight_hh_enable"]:
            recurrent = recurrent * np.eye(n, dtype=recurrent.dtype)
        return {**drawn, "rnn.weight_hh_l0": recurrent}

    @classmethod
    def output_shapes(cls, config: Mapping[str, Any], shape: tuple[int, ...]) -> tuple[tuple[int, ...], ...]:
        return ((*shape[:2], config["hidden_size"]),)

    @classmethod
    def recurrent_weight(cls, ops: ArrayOps, weight: Array, config: Mapping[str, Any]) -> Array:
        """:math:`W_{hh}` as the update uses it: only its diagonal unless ``weight_hh_enable``."""
        if config["weight_hh_enable"]:
            return weight
        return weight * diagonal_mask(ops, config["hidden_size"], weight)

    @classmethod
    def membrane(
        cls, ops: ArrayOps, x: Array, params: Mapping[str, Array], config: Mapping[str, Any]
    ) -> Array:
        p = in_dtype_of(ops, {w.name: params[w.name] for w in cls.weights(config)}, x)
        recurrent = cls.recurrent_weight(ops, p["rnn.weight_hh_l0"], config)
        drive = ops.linear(x, p["rnn.weight_ih_l0"], p.get("rnn.bias_ih_l0"))
        mem = ops.zeros((x.shape[1], config["hidden_size"]), like=x)
        trace = []
        for step in range(x.shape[0]):
            mem = ops.relu(drive[step] + ops.linear(mem, recurrent, p.get("rnn.bias_hh_l0")))
            trace.append(mem)
        return ops.stack(trace, 0) if trace else drive

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
        p = in_dtype_of(ops, {k: params[k] for k in ("threshold", "graded_spikes_factor")}, x)
        return spike(mem - p["threshold"]) * p["graded_spikes_factor"]

    @classmethod
    def examples(cls) -> list[dict[str, Any]]:
        return [
            {"input_size": 4, "hidden_size": 5},
            {"input_size": 4, "hidden_size": 5, "beta": 0.5, "threshold": 0.5},
            {"input_size": 4, "hidden_size": 5, "beta": [0.1, 0.3, 0.5, 0.7, 0.9], "bias": False},
            {"input_size": 4, "hidden_size": 5, "beta": 0.2, "weight_hh_enable": True, "learn_beta": True},
            {"input_size": 4, "hidden_size": 5, "beta": 0.9, "graded_spikes_factor": 2.0, "threshold": 0.3},
        ]

    @classmethod
    def invalid_examples(cls) -> list[dict[str, Any]]:
        return [
            {"input_size": 0, "hidden_size": 5},
            {"input_size": 4, "hidden_size": 2.5},
            {"input_size": 4, "hidden_size": 5, "beta": 1.5},
            {"input_size": 4, "hidden_size": 5, "beta": [0.5, 0.5, 0.5]},
            {"input_size": 4, "hidden_size": 5, "threshold": -1.0},
            {"input_size": 4, "hidden_size": 5, "dropout": 1.5},
            {"input_size": 4},
        ]
