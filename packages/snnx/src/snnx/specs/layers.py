r"""Helper layers (spec kind ``"layer"``): batch normalisation through time and graded spikes.

Layers are not neurons: they keep no hidden state between calls. A backend
realises them with its own layer types where it has them (torch: ``nn.BatchNorm1d``)
and the reference backend runs :meth:`LayerSpec.forward`, the equations written
on NumPy-compatible arrays.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Mapping
from typing import Any

import numpy as np

from snnx.errors import ParameterRangeError
from snnx.ops import Array
from snnx.specs.neuron import NeuronSpec, Tensor, check_input
from snnx.specs.parameters import Interval, Option, Parameter, as_numpy

UNIT = Interval(0.0, 1.0)
POSITIVE = Interval(0.0, math.inf, low_open=True)


def _as_count(value: Any) -> int | None:
    """``value`` as a Python int if it is an integer (not a bool), else ``None``."""
    if isinstance(value, bool):
        return None
    try:
        return operator.index(value)
    except TypeError:
        return None


class Count(Option):
    """A whole number of at least one (features, time steps, neurons)."""

    def validate(self, value: Any, owner: str) -> None:
        count = _as_count(value)
        if count is None or count < 1:
            raise ParameterRangeError(
                f"{owner}: {self.name} must be an integer >= 1, got {value!r}. {self.doc}".rstrip()
            )


class Scalar(Parameter):
    """A single number in a range; ``None`` too where the default is ``None``-able."""

    none_allowed: bool = False

    def validate(self, value: Any, owner: str) -> None:
        if value is None and self.none_allowed:
            return
        if value is not None and not isinstance(value, (str, bytes)) and np.ndim(value) != 0:
            raise ParameterRangeError(f"{owner}: {self.name} must be a single number, got {value!r}.")
        super().validate(value, owner)


class OptionalScalar(Scalar):
    none_allowed = True


class Factor(Option):
    """A finite number, or a falsy value (``None``, ``0``, ``False``) meaning 'draw at random'."""

    def validate(self, value: Any, owner: str) -> None:
        if value is None or value is False:
            return
        problem = ""
        try:
            number = as_numpy(value)
        except (TypeError, ValueError):
            problem = "is not a number"
        else:
            if number.size != 1:
                problem = f"has {number.size} values"
            elif not np.isfinite(number).all():
                problem = "is not finite"
        if problem:
            raise ParameterRangeError(
                f"{owner}: {self.name} must be a finite number (or 0/None for random weights); "
                f"{value!r} {problem}."
            )


def factor_is_set(value: Any) -> bool:
    """snnTorch's truthiness test of ``constant_factor`` (falsy values mean random weights)."""
    return value is not None and value is not False and float(as_numpy(value).reshape(())) != 0.0


class LayerSpec(NeuronSpec):
    """A helper layer: no hidden state, called on one array at a time.

    A layer with :meth:`steps` holds one independent layer per time step, indexed
    by the step (``bntt[step](x)``); its ``state_dict`` names carry the step as a
    prefix (``"3.running_mean"``), as in a ``torch.nn.ModuleList``.
    """

    kind = "layer"

    @classmethod
    def steps(cls, config: Mapping[str, Any]) -> int | None:
        """How many per-step layers a realised object holds, or ``None`` for a single layer."""
        return None

    @classmethod
    def step_tensors(cls, config: Mapping[str, Any]) -> dict[str, Tensor]:
        """The tensors of one per-step layer, by their names inside it."""
        return {}

    @classmethod
    def tensors(cls, config: Mapping[str, Any]) -> dict[str, Tensor]:
        steps = cls.steps(config)
        if steps is None:
            return {}
        inner = cls.step_tensors(config)
        return {f"{step}.{name}": tensor for step in range(steps) for name, tensor in inner.items()}

    @classmethod
    def forward(
        cls, x: Array, params: Mapping[str, Array], config: Mapping[str, Any], training: bool
    ) -> tuple[Array, dict[str, Array]]:
        """The layer's output for ``x`` and the buffers it updates (by name), on NumPy-like arrays.

        For per-step layers ``params`` are the step's own, without the step prefix.
        """
        raise NotImplementedError

    @classmethod
    def invalid_input_shapes(cls, config: Mapping[str, Any]) -> list[tuple[int, ...]]:
        """Input shapes the example ``config`` must refuse, for the conformance suite."""
        return []

    @classmethod
    def check_step(cls, config: Mapping[str, Any], step: Any) -> int:
        """``step`` as an index into the per-step layers; ``IndexError`` naming ``time_steps`` if outside."""
        steps = cls.steps(config)
        index = _as_count(step)
        if index is None:
            raise TypeError(f"{cls.name}: index the per-step layers with an integer step, got {step!r}.")
        if not -steps <= index < steps:
            raise IndexError(
                f"{cls.name}: step {index} is out of range; this layer was built with "
                f"time_steps={steps} (steps 0 to {steps - 1}). Build it with time_steps covering "
                "every step the network runs."
            )
        return index % steps


class BatchNormTTSpec(LayerSpec):
    r"""Batch normalisation through time (BNTT, Kim & Panda 2020): one batch norm per time step.

    Step :math:`t` has its own statistics and, with ``affine=True``, its own scale
    :math:`\gamma^t` (initially one); there is no shift. For input :math:`x` with
    feature dimension 1, over the batch (and any positions after the features):

    .. math::

        y = \gamma^t \, \frac{x - \mu}{\sqrt{\sigma^2 + \epsilon}}

    In training mode :math:`\mu, \sigma^2` are the batch's mean and (biased)
    variance, and the step's running estimates move towards them:
    :math:`r \leftarrow (1 - m)\,r + m\,s` with the unbiased variance and
    :math:`m` = ``momentum`` (or :math:`1/n` after :math:`n` batches when
    ``momentum=None``: a plain average). In evaluation mode the running estimates
    are used. Called as ``bntt[step](x)``.
    """

    feature_dims: tuple[int, ...] = (2, 3)
    arguments = (
        Count("input_features", doc="It is the size of the input's dimension 1 (features or channels)."),
        Count("time_steps", doc="It is the number of time steps the network runs."),
        Scalar("eps", 1e-5, POSITIVE, doc="eps keeps the division finite and must be positive."),
        OptionalScalar(
            "momentum",
            0.1,
            UNIT,
            doc="It weighs each new batch in the running statistics; give None to average all batches.",
        ),
        Option("affine", True, choices=(True, False)),
    )

    @classmethod
    def steps(cls, config: Mapping[str, Any]) -> int:
        return operator.index(config["time_steps"])

    @classmethod
    def step_tensors(cls, config: Mapping[str, Any]) -> dict[str, Tensor]:
        features = operator.index(config["input_features"])
        stored = {}
        if config["affine"]:
            stored["weight"] = Tensor(np.ones(features), learnable=True)
        stored["running_mean"] = Tensor(np.zeros(features))
        stored["running_var"] = Tensor(np.ones(features))
        stored["num_batches_tracked"] = Tensor(0, dtype="int64")
        return stored

    @classmethod
    def check_input_shape(cls, config: Mapping[str, Any], x: Array) -> None:
        dims = " or ".join(f"{d}-D" for d in cls.feature_dims)
        features = config["input_features"]
        if len(x.shape) not in cls.feature_dims:
            raise ValueError(
                f"{cls.name} expects a {dims} input [batch, {features} features, ...], "
                f"got shape {tuple(x.shape)}."
            )
        if x.shape[1] != features:
            raise ValueError(
                f"{cls.name}(input_features={features}) got an input with {x.shape[1]} features "
                f"(shape {tuple(x.shape)}); dimension 1 must have size {features}."
            )

    @classmethod
    def invalid_input_shapes(cls, config: Mapping[str, Any]) -> list[tuple[int, ...]]:
        batch, features, *rest = cls.example_input_shape(config)
        return [(batch, features + 1, *rest), (batch, features, *rest, 2, 2)]

    @classmethod
    def forward(
        cls, x: Array, params: Mapping[str, Array], config: Mapping[str, Any], training: bool
    ) -> tuple[Array, dict[str, Array]]:
        check_input(cls.name, x)
        cls.check_input_shape(config, x)
        axes = (0, *range(2, x.ndim))
        shape = (1, -1) + (1,) * (x.ndim - 2)
        wide = x.astype(np.float64)
        updates: dict[str, Array] = {}
        if training:
            count = x.size // x.shape[1]
            if count < 2:
                raise ValueError(
                    f"{cls.name}: training needs more than one value per feature to estimate a variance, "
                    f"got input shape {tuple(x.shape)}; use a batch of 2 or more, or call eval()."
                )
            mean = wide.mean(axis=axes)
            var = ((wide - mean.reshape(shape)) ** 2).mean(axis=axes)
            tracked = params["num_batches_tracked"] + 1
            momentum = config["momentum"]
            weight = 1.0 / float(tracked) if momentum is None else float(momentum)
            running_mean = params["running_mean"].astype(np.float64)
            running_var = params["running_var"].astype(np.float64)
            updates = {
                "running_mean": (1 - weight) * running_mean + weight * mean,
                "running_var": (1 - weight) * running_var + weight * var * (count / (count - 1)),
                "num_batches_tracked": tracked,
            }
        else:
            mean = params["running_mean"].astype(np.float64)
            var = params["running_var"].astype(np.float64)
        y = (wide - mean.reshape(shape)) / np.sqrt(var.reshape(shape) + float(config["eps"]))
        if "weight" in params:
            y = y * params["weight"].astype(np.float64).reshape(shape)
        return y.astype(x.dtype), updates

    @classmethod
    def examples(cls) -> list[dict[str, Any]]:
        return [
            {"input_features": 5, "time_steps": 4},
            {"input_features": 5, "time_steps": 3, "eps": 1e-3, "momentum": 0.3},
            {"input_features": 5, "time_steps": 2, "affine": False},
            {"input_features": 5, "time_steps": 3, "momentum": None},
            {"input_features": 5, "time_steps": 2, "momentum": 0.0},
        ]

    @classmethod
    def invalid_examples(cls) -> list[dict[str, Any]]:
        return [
            {"input_features": 0, "time_steps": 3},
            {"input_features": 2.5, "time_steps": 3},
            {"input_features": True, "time_steps": 3},
            {"input_features": 4, "time_steps": 0},
            {"input_features": 4, "time_steps": "3"},
            {"input_features": 4, "time_steps": 3, "eps": 0.0},
            {"input_features": 4, "time_steps": 3, "eps": -1e-5},
            {"input_features": 4, "time_steps": 3, "momentum": 1.5},
            {"input_features": 4, "time_steps": 3, "momentum": -0.1},
            {"input_features": 4, "time_steps": 3, "momentum": [0.1, 0.2]},
            {"input_features": 4, "time_steps": 3, "affine": "yes"},
        ]


class BatchNormTT1dSpec(BatchNormTTSpec):
    __doc__ = (
        BatchNormTTSpec.__doc__ + "\n    Inputs are ``[batch, features]`` or ``[batch, features, length]``.\n"
    )

    name = "BatchNormTT1d"
    feature_dims = (2, 3)

    @classmethod
    def example_input_shape(cls, config: Mapping[str, Any]) -> tuple[int, ...]:
        return (6, config["input_features"])


class BatchNormTT2dSpec(BatchNormTTSpec):
    __doc__ = BatchNormTTSpec.__doc__ + "\n    Inputs are ``[batch, channels, height, width]``.\n"

    name = "BatchNormTT2d"
    feature_dims = (4,)

    @classmethod
    def example_input_shape(cls, config: Mapping[str, Any]) -> tuple[int, ...]:
        return (3, config["input_features"], 4, 3)


class GradedSpikesSpec(LayerSpec):
    r"""Learnable spike amplitudes: :math:`y = x \cdot w` with weights ``w`` of shape ``[size, 1]``.

    The weights start at ``constant_factor`` everywhere, or, when it is ``0`` or
    ``None``, uniformly at random in :math:`[0.5, 1.5)`. They broadcast against
    the input like snnTorch's: the input's second-to-last dimension has ``size``
    entries (or one).
    """

    name = "GradedSpikes"
    arguments = (
        Count("size", doc="It is the number of neurons whose spikes are scaled."),
        Factor("constant_factor"),
    )

    @classmethod
    def tensors(cls, config: Mapping[str, Any]) -> dict[str, Tensor]:
        size = operator.index(config["size"])
        factor = config["constant_factor"]
        if factor_is_set(factor):
            initial = np.full((size, 1), float(as_numpy(factor).reshape(())))
        else:
            initial = np.random.default_rng().random((size, 1)) + 0.5
        return {"weights": Tensor(initial, learnable=True)}

    @classmethod
    def check_input_shape(cls, config: Mapping[str, Any], x: Array) -> None:
        size = config["size"]
        try:
            np.broadcast_shapes(tuple(x.shape), (size, 1))
        except ValueError:
            raise ValueError(
                f"GradedSpikes(size={size}) multiplies its input by weights of shape ({size}, 1), "
                f"which does not broadcast with input shape {tuple(x.shape)}: the input's "
                f"second-to-last dimension must have size {size} (or 1)."
            ) from None

    @classmethod
    def invalid_input_shapes(cls, config: Mapping[str, Any]) -> list[tuple[int, ...]]:
        size = config["size"]
        return [(size + 1, 5), (3, size, 2, 2)]

    @classmethod
    def forward(
        cls, x: Array, params: Mapping[str, Array], config: Mapping[str, Any], training: bool
    ) -> tuple[Array, dict[str, Array]]:
        cls.check_input_shape(config, x)
        return x * params["weights"], {}

    @classmethod
    def examples(cls) -> list[dict[str, Any]]:
        return [
            {"size": 6, "constant_factor": 2.0},
            {"size": 6, "constant_factor": 0},
            {"size": 6, "constant_factor": None},
            {"size": 6, "constant_factor": -0.5},
        ]

    @classmethod
    def invalid_examples(cls) -> list[dict[str, Any]]:
        return [
            {"size": 0, "constant_factor": 1.0},
            {"size": 1.5, "constant_factor": 1.0},
            {"size": 4, "constant_factor": math.inf},
            {"size": 4, "constant_factor": math.nan},
            {"size": 4, "constant_factor": "big"},
            {"size": 4, "constant_factor": [1.0, 2.0]},
            {"size": 4},
        ]

    @classmethod
    def example_input_shape(cls, config: Mapping[str, Any]) -> tuple[int, ...]:
        return (config["size"], 5)
