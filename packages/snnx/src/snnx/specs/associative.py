r"""A spiking associative memory with a matrix-valued leaky state (snnTorch's ``AssociativeLeaky``)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, ClassVar

from snnx.errors import ParameterRangeError
from snnx.ops import Array, ArrayOps
from snnx.specs.neuron import SpikeFn, Tensor, Weight, in_dtype_of
from snnx.specs.parameters import Option, is_count, size_option
from snnx.specs.sequence import SequenceSpec


class AssociativeLeakySpec(SequenceSpec):
    r"""Leaky associative memory: a ``d_value x d_key`` matrix state written by outer products.

    With input :math:`X[t]` (``[time, batch, in_dim]``) and four dense layers
    (``to_v``, ``to_k``, ``to_alpha``, ``to_q``; weights uniform in
    :math:`\pm 1/\sqrt{\text{in\_dim}}` as torch's ``nn.Linear``):

    .. math::

        v_t = W_v X[t] + b_v \in \mathbb{R}^{d}, \quad
        k_t = W_k X[t] + b_k \in \mathbb{R}^{n}, \quad
        a_t = \sigma(W_\alpha X[t] + b_\alpha) \in (0, 1)^{n}

        S_t = S_{t-1}\,\mathrm{diag}(a_t) + v_t k_t^{\top}, \qquad S_{-1} = 0

        Z_t = g\,H(S_t - \theta)

    so column :math:`j` of the state decays by :math:`a_t[j]` at every step
    (:math:`d` is ``d_value``, :math:`n` is ``d_key``, :math:`\theta = 1` and
    :math:`g = 1` are the stored ``threshold`` and ``graded_spikes_factor``, and
    :math:`H` is the Heaviside step with the arctangent surrogate gradient). The
    state is computed by this recurrence, which stays exact however long the
    sequence. With ``use_q_projection=True`` the call returns
    :math:`Y_t = Z_t Q_t` with :math:`Q_t` the ``n x d`` reshaped
    :math:`W_q X[t] + b_q`, flattened to ``d * d`` values per step; otherwise it
    returns the spikes :math:`Z_t` flattened to ``d * n`` values.
    ``num_spiking_neurons`` must be ``d * n`` (``None`` fills it in).
    """

    name = "AssociativeLeaky"
    features = "in_dim"
    arguments = (
        size_option("in_dim"),
        size_option("d_value"),
        size_option("d_key"),
        size_option("num_spiking_neurons", optional=True),
        Option("use_q_projection", True),
    )
    constructors: ClassVar[dict[str, str]] = {
        "from_num_spiking_neurons": "arguments_from_num_spiking_neurons"
    }

    @classmethod
    def bind(cls, args: tuple = (), kwargs: Mapping[str, Any] | None = None) -> dict[str, Any]:
        config = super().bind(args, kwargs)
        if config["num_spiking_neurons"] is None:
            config["num_spiking_neurons"] = config["d_value"] * config["d_key"]
        return config

    @classmethod
    def check(cls, config: Mapping[str, Any]) -> None:
        product = config["d_value"] * config["d_key"]
        if config["num_spiking_neurons"] not in (None, product):
            raise ParameterRangeError(
                f"{cls.name}: num_spiking_neurons must equal d_value * d_key = {product} (or be None), "
                f"got {config['num_spiking_neurons']}."
            )

    @classmethod
    def arguments_from_num_spiking_neurons(
        cls, in_dim: int, num_spiking_neurons: int, use_q_projection: bool = True
    ) -> dict[str, Any]:
        """Arguments of a square memory: ``d_value = d_key = sqrt(num_spiking_neurons)``.

        ``num_spiking_neurons`` must be a perfect square.
        """
        side = math.isqrt(num_spiking_neurons) if is_count(num_spiking_neurons) else 0
        if side * side != num_spiking_neurons or side == 0:
            raise ParameterRangeError(
                f"{cls.name}.from_num_spiking_neurons: num_spiking_neurons must be a positive perfect "
                f"square (d_value = d_key = its square root), got {num_spiking_neurons!r}."
            )
        return {
            "in_dim": in_dim,
            "d_value": side,
            "d_key": side,
            "num_spiking_neurons": num_spiking_neurons,
            "use_q_projection": use_q_projection,
        }

    @classmethod
    def tensors(cls, config: Mapping[str, Any]) -> dict[str, Tensor]:
        return {
            "threshold": Tensor(1.0),
            "graded_spikes_factor": Tensor(1.0),
            "reset_mechanism_val": Tensor(0, dtype="int64"),
        }

    @classmethod
    def weights(cls, config: Mapping[str, Any]) -> tuple[Weight, ...]:
        n_in = config["in_dim"]
        bound = 1.0 / math.sqrt(n_in)
        sizes = {"to_v": config["d_value"], "to_k": config["d_key"], "to_alpha": config["d_key"]}
        if config["use_q_projection"]:
            sizes["to_q"] = config["d_value"] * config["d_key"]
        return tuple(
            weight
            for layer, n_out in sizes.items()
            for weight in (
                Weight(f"{layer}.weight", (n_out, n_in), bound),
                Weight(f"{layer}.bias", (n_out,), bound),
            )
        )

    @classmethod
    def output_shapes(cls, config: Mapping[str, Any], shape: tuple[int, ...]) -> tuple[tuple[int, ...], ...]:
        d, n = config["d_value"], config["d_key"]
        return ((*shape[:2], d * d if config["use_q_projection"] else d * n),)

    @classmethod
    def membrane(
        cls, ops: ArrayOps, x: Array, params: Mapping[str, Array], config: Mapping[str, Any]
    ) -> Array:
        """The state :math:`S_t` of every step, flattened to ``[time, batch, d_value * d_key]``."""
        names = [f"{layer}.{kind}" for layer in ("to_v", "to_k", "to_alpha") for kind in ("weight", "bias")]
        p = in_dtype_of(ops, {name: params[name] for name in names}, x)
        steps, batch = x.shape[0], x.shape[1]
        d, n = config["d_value"], config["d_key"]
        value = ops.linear(x, p["to_v.weight"], p["to_v.bias"])
        key = ops.linear(x, p["to_k.weight"], p["to_k.bias"])
        decay = ops.sigmoid(ops.linear(x, p["to_alpha.weight"], p["to_alpha.bias"]))
        writes = ops.einsum("tbd,tbn->tbdn", value, key)
        state = ops.zeros((batch, d, n), like=x)
        trace = []
        for step in range(steps):
            state = decay[step][:, None, :] * state + writes[step]
            trace.append(state)
        states = ops.stack(trace, 0) if trace else writes
        return states.reshape(steps, batch, d * n)

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
        names = ["threshold", "graded_spikes_factor"]
        if config["use_q_projection"]:
            names += ["to_q.weight", "to_q.bias"]
        p = in_dtype_of(ops, {name: params[name] for name in names}, x)
        spikes = spike(mem - p["threshold"]) * p["graded_spikes_factor"]
        if not config["use_q_projection"]:
            return spikes
        steps, batch = x.shape[0], x.shape[1]
        d, n = config["d_value"], config["d_key"]
        query = ops.linear(x, p["to_q.weight"], p["to_q.bias"]).reshape(steps, batch, n, d)
        out = ops.einsum("tbdn,tbne->tbde", spikes.reshape(steps, batch, d, n), query)
        return out.reshape(steps, batch, d * d)

    @classmethod
    def examples(cls) -> list[dict[str, Any]]:
        return [
            {"in_dim": 4, "d_value": 2, "d_key": 3, "num_spiking_neurons": 6},
            {"in_dim": 4, "d_value": 3, "d_key": 2, "num_spiking_neurons": None, "use_q_projection": False},
            {"in_dim": 5, "d_value": 3, "d_key": 3, "num_spiking_neurons": 9},
        ]

    @classmethod
    def invalid_examples(cls) -> list[dict[str, Any]]:
        return [
            {"in_dim": 0, "d_value": 2, "d_key": 3, "num_spiking_neurons": 6},
            {"in_dim": 4, "d_value": 0, "d_key": 3, "num_spiking_neurons": 0},
            {"in_dim": 4, "d_value": 2, "d_key": -3, "num_spiking_neurons": 6},
            {"in_dim": 4, "d_value": 2, "d_key": 3, "num_spiking_neurons": 7},
            {"in_dim": 4, "d_value": 2, "d_key": 3},
        ]
