r"""Recurrent integrate-and-fire neurons, snnTorch's ``RLeaky`` and ``RSynaptic``.

Each feeds its own spikes of the previous step back into its input through a
recurrent connection :math:`V(S[t-1])`, one of:

* ``all_to_all=True, linear_features=n``: a dense layer ``recurrent`` (n -> n, with bias);
* ``all_to_all=True, conv2d_channels=c, kernel_size=k``: a same-size 2-D convolution
  ``recurrent`` (c -> c channels, odd ``k``, zero padding ``k // 2``, with bias);
* ``all_to_all=False``: one weight per neuron, :math:`V \cdot S[t-1]` (``V`` scalar
  or per-neuron).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from snnx.errors import ParameterRangeError
from snnx.ops import Array, ArrayOps
from snnx.specs import lif
from snnx.specs.lif import REAL, RESET_MECHANISMS
from snnx.specs.neuron import NeuronSpec, SpikeFn, Tensor, Weight
from snnx.specs.parameters import Option, Parameter, is_count, size_option
from snnx.specs.synaptic import synaptic_update


def _is_kernel(value: Any) -> bool:
    if value is None or is_count(value):
        return True
    return isinstance(value, (tuple, list)) and len(value) == 2 and all(is_count(v) for v in value)


RECURRENT_ARGUMENTS = (
    Parameter("V", 1.0, REAL, learn_flag="learn_recurrent", doc="V is the one-to-one recurrent weight."),
    Option("all_to_all", True),
    size_option("linear_features", None, optional=True),
    size_option("conv2d_channels", None, optional=True),
    Option("kernel_size", None, rule=_is_kernel, expects="an integer >= 1, a pair of them, or None"),
)


def kernel_pair(kernel_size: Any) -> tuple[int, int]:
    return (kernel_size, kernel_size) if isinstance(kernel_size, int) else tuple(kernel_size)


def recurrent_layout(config: Mapping[str, Any]) -> str:
    """``"linear"``, ``"conv2d"`` or ``"one_to_one"``: the recurrent connection configured."""
    if not config["all_to_all"]:
        return "one_to_one"
    return "linear" if config["linear_features"] else "conv2d"


def check_layout(owner: str, config: Mapping[str, Any]) -> None:
    """Refuse recurrent arguments that contradict each other, naming the fix."""
    linear, channels, kernel = config["linear_features"], config["conv2d_channels"], config["kernel_size"]
    if not config["all_to_all"]:
        if linear or channels or kernel:
            raise ParameterRangeError(
                f"{owner}: with all_to_all=False the recurrent weight is V (one per neuron); "
                "leave linear_features, conv2d_channels and kernel_size unset."
            )
        return
    if linear:
        if channels or kernel:
            raise ParameterRangeError(
                f"{owner}: give either linear_features (a dense recurrent layer) or conv2d_channels "
                "with kernel_size (a convolutional one), not both."
            )
        return
    if not (channels and kernel):
        missing = "kernel_size" if channels else "conv2d_channels" if kernel else "linear_features"
        raise ParameterRangeError(
            f"{owner}: all_to_all=True needs a recurrent layer: set linear_features (the layer's size), "
            f"or conv2d_channels together with kernel_size; {missing} is missing."
        )
    if any(size % 2 == 0 for size in kernel_pair(kernel)):
        raise ParameterRangeError(
            f"{owner}: kernel_size must be odd so the recurrent convolution keeps the spikes' height "
            f"and width (padding kernel_size // 2); got {kernel!r}."
        )


def recurrent_weights(config: Mapping[str, Any]) -> tuple[Weight, ...]:
    layout = recurrent_layout(config)
    if layout == "linear":
        n = config["linear_features"]
        bound = 1 / math.sqrt(n)
        return (Weight("recurrent.weight", (n, n), bound), Weight("recurrent.bias", (n,), bound))
    if layout == "conv2d":
        c = config["conv2d_channels"]
        kernel = kernel_pair(config["kernel_size"])
        bound = 1 / math.sqrt(c * kernel[0] * kernel[1])
        return (Weight("recurrent.weight", (c, c, *kernel), bound), Weight("recurrent.bias", (c,), bound))
    return ()


def recurrent_tensors(stored: dict[str, Tensor], config: Mapping[str, Any]) -> dict[str, Tensor]:
    """``V`` exists only for one-to-one recurrence (snnTorch also lists it as ``recurrent.V``)."""
    if recurrent_layout(config) != "one_to_one":
        stored.pop("V", None)
    elif stored["V"].learnable:
        stored["recurrent.V"] = stored["V"]
    return stored


def recurrent_input(
    ops: ArrayOps, spk: Array, params: Mapping[str, Array], config: Mapping[str, Any]
) -> Array:
    """:math:`V(S[t-1])` for the configured recurrent connection."""
    layout = recurrent_layout(config)
    if layout == "linear":
        return ops.linear(spk, params["recurrent.weight"], params["recurrent.bias"])
    if layout == "conv2d":
        kernel = kernel_pair(config["kernel_size"])
        padding = (kernel[0] // 2, kernel[1] // 2)
        return ops.conv2d(spk, params["recurrent.weight"], params["recurrent.bias"], padding)
    return spk * params["V"]


def check_recurrent_input(owner: str, config: Mapping[str, Any], x: Array) -> None:
    layout = recurrent_layout(config)
    if layout == "linear" and (len(x.shape) < 1 or x.shape[-1] != config["linear_features"]):
        raise ValueError(
            f"{owner}: input of shape {tuple(x.shape)} does not fit the recurrent layer; its last "
            f"dimension must be linear_features={config['linear_features']}."
        )
    if layout == "conv2d" and (len(x.shape) != 4 or x.shape[1] != config["conv2d_channels"]):
        raise ValueError(
            f"{owner}: input of shape {tuple(x.shape)} does not fit the recurrent convolution; expected "
            f"[batch, conv2d_channels={config['conv2d_channels']}, height, width]."
        )


class _RecurrentSpec(NeuronSpec):
    """What RLeaky and RSynaptic share: argument checks, weights and example shapes."""

    @classmethod
    def check(cls, config: Mapping[str, Any]) -> None:
        check_layout(cls.name, config)

    @classmethod
    def tensors(cls, config: Mapping[str, Any]) -> dict[str, Tensor]:
        return recurrent_tensors(super().tensors(config), config)

    @classmethod
    def weights(cls, config: Mapping[str, Any]) -> tuple[Weight, ...]:
        return recurrent_weights(config)

    @classmethod
    def check_input_shape(cls, config: Mapping[str, Any], x: Array) -> None:
        check_recurrent_input(cls.name, config, x)

    @classmethod
    def example_input_shape(cls, config: Mapping[str, Any]) -> tuple[int, ...]:
        if config["conv2d_channels"]:
            return (2, config["conv2d_channels"], 4, 3)
        return (6, config["linear_features"] or 5)

    @classmethod
    def outputs(cls, spk: Array, states: tuple[Array, ...], config: Mapping[str, Any]) -> Any:
        """``spk`` is both the output and the first state; it is returned once."""
        if not cls.returns_states(config):
            return spk
        return (spk, *states[1:])

    @classmethod
    def layouts(cls) -> list[dict[str, Any]]:
        return [
            {"linear_features": 5},
            {"conv2d_channels": 3, "kernel_size": 3},
            {"all_to_all": False, "V": 0.5},
            {"all_to_all": False, "V": [0.1, -0.2, 0.3, 0.4, -0.5], "learn_recurrent": False},
        ]

    @classmethod
    def invalid_layouts(cls) -> list[dict[str, Any]]:
        return [
            {},
            {"conv2d_channels": 3},
            {"kernel_size": 3},
            {"linear_features": 4, "kernel_size": 3},
            {"all_to_all": False, "linear_features": 4},
            {"conv2d_channels": 3, "kernel_size": 2},
            {"linear_features": 0},
            {"linear_features": 2.5},
        ]


class RLeakySpec(_RecurrentSpec):
    r"""Leaky integrate-and-fire neuron with recurrent feedback of its own spikes.

    With input :math:`X[t]`, decay :math:`\beta \in [0, 1]`, threshold :math:`\theta`,
    recurrent connection :math:`V` (see the module) and the detached reset
    :math:`R[t] = H(U[t-1] - \theta)`:

    .. math::

        U[t] = \beta U[t-1] + X[t] + V(S[t-1]) - R[t]\,\theta      \quad\text{(subtract)}

        U[t] = (1 - R[t])\,(\beta U[t-1] + X[t] + V(S[t-1]))      \quad\text{(zero)}

        S[t] = H(U[t] - \theta)

    The previous spikes are a state (``spk``) and the call returns ``(spk, mem)``.
    ``reset_delay=False`` and ``inhibition`` act as for ``Leaky``. The recurrent
    weights are learnable unless ``learn_recurrent=False``.
    """

    name = "RLeaky"
    states = ("spk", "mem")
    arguments = (
        lif.beta(),
        *RECURRENT_ARGUMENTS,
        lif.THRESHOLD,
        lif.SPIKE_GRAD,
        lif.SURROGATE_DISABLE,
        lif.INIT_HIDDEN,
        lif.INHIBITION,
        lif.LEARN_BETA,
        lif.LEARN_THRESHOLD,
        Option("learn_recurrent", True),
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
        spk, mem = states
        threshold = params["threshold"]
        reset = lif.reset_signal(ops, mem, threshold, config, spike)
        mem = ops.clip(params["beta"], 0.0, 1.0) * mem + x + recurrent_input(ops, spk, params, config)
        if config["reset_mechanism"] == "subtract":
            mem = mem - reset * threshold
        elif config["reset_mechanism"] == "zero":
            mem = mem - reset * mem
        mem = lif.quantise(mem, config)
        spk, fired = lif.fire(ops, mem, params, config, spike)
        return spk, (spk, lif.reset_now(mem, fired, reset, threshold, config))

    @classmethod
    def examples(cls) -> list[dict[str, Any]]:
        cases = [{"beta": 0.9, **layout} for layout in cls.layouts()]
        for mechanism in RESET_MECHANISMS:
            for delay in (True, False):
                cases.append(
                    {"beta": 0.8, "threshold": 0.7, "linear_features": 5}
                    | {"reset_mechanism": mechanism, "reset_delay": delay}
                )
        cases.append({"beta": 0.7, "all_to_all": False, "inhibition": True})
        return cases

    @classmethod
    def invalid_examples(cls) -> list[dict[str, Any]]:
        return [{"beta": 0.9, **layout} for layout in cls.invalid_layouts()] + [
            {"beta": 1.1, "linear_features": 3},
            {"beta": 0.9, "all_to_all": False, "V": float("nan")},
        ]


class RSynapticSpec(_RecurrentSpec):
    r"""Current-based integrate-and-fire neuron with recurrent feedback of its own spikes.

    As :class:`~snnx.specs.synaptic.SynapticSpec`, with the recurrent term added to
    the synaptic current:

    .. math::

        I[t] = \alpha I[t-1] + X[t] + V(S[t-1])

        U[t] = \beta U[t-1] + I[t] - R[t]\,\theta        \quad\text{(subtract)}

        U[t] = (1 - R[t])\,(\beta U[t-1] + I[t])         \quad\text{(zero)}

        S[t] = H(U[t] - \theta)

    The call returns ``(spk, syn, mem)``. ``reset_delay=False`` resets in the firing
    step, as for the other neurons (snnTorch 1.0 ignores it here, or fails without
    explicit state).
    """

    name = "RSynaptic"
    states = ("spk", "syn", "mem")
    arguments = (
        lif.alpha(),
        lif.beta(),
        *RECURRENT_ARGUMENTS,
        lif.THRESHOLD,
        lif.SPIKE_GRAD,
        lif.SURROGATE_DISABLE,
        lif.INIT_HIDDEN,
        lif.INHIBITION,
        lif.LEARN_ALPHA,
        lif.LEARN_BETA,
        lif.LEARN_THRESHOLD,
        Option("learn_recurrent", True),
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
        spk, syn, mem = states
        threshold = params["threshold"]
        reset = lif.reset_signal(ops, mem, threshold, config, spike)
        feedback = recurrent_input(ops, spk, params, config)
        syn, mem = synaptic_update(ops, x, feedback, syn, mem, reset, params, config)
        spk, fired = lif.fire(ops, mem, params, config, spike)
        return spk, (spk, syn, lif.reset_now(mem, fired, reset, threshold, config))

    @classmethod
    def examples(cls) -> list[dict[str, Any]]:
        cases = [{"alpha": 0.8, "beta": 0.9, **layout} for layout in cls.layouts()]
        for mechanism in RESET_MECHANISMS:
            for delay in (True, False):
                cases.append(
                    {"alpha": 0.7, "beta": 0.8, "threshold": 0.7, "linear_features": 5}
                    | {"reset_mechanism": mechanism, "reset_delay": delay}
                )
        cases.append({"alpha": 0.6, "beta": 0.7, "all_to_all": False, "inhibition": True})
        return cases

    @classmethod
    def invalid_examples(cls) -> list[dict[str, Any]]:
        return [{"alpha": 0.8, "beta": 0.9, **layout} for layout in cls.invalid_layouts()] + [
            {"alpha": -0.1, "beta": 0.9, "linear_features": 3},
        ]
