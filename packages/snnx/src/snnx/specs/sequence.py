r"""What whole-sequence neurons share: the calling convention and the helpers their maths uses.

A sequence neuron (``kind = "sequence"``) takes a whole input ``[time, batch,
features]`` per call and keeps no hidden state between calls. Its maths has two
stages, so a backend may swap in its own fast kernel for the first one:

* :meth:`SequenceSpec.membrane` turns the input into the membrane (state) of every
  step, and
* :meth:`SequenceSpec.readout` turns the membrane into what the call returns
  (spikes, the membrane, or a projection of the spikes), in snnTorch's convention.

Parameters and layer weights are converted to the input's dtype first, so a
float64 input gives float64 results on every backend.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from typing import Any, ClassVar

import numpy as np

from snnx.errors import ParameterRangeError
from snnx.ops import Array, ArrayOps
from snnx.specs.neuron import NeuronSpec, SpikeFn
from snnx.specs.parameters import as_numpy


class SequenceSpec(NeuronSpec):
    """A neuron called once per sequence ``[time, batch, features]``, without hidden state."""

    kind = "sequence"
    features: ClassVar[str]
    """The constructor argument that gives the input's feature size (``channels``, ``in_dim``...)."""
    unbatched: ClassVar[bool] = False
    """Whether a 2-D input ``[time, features]`` is taken as one unbatched sequence (as torch's RNNs do)."""
    constructors: ClassVar[dict[str, str]] = {}
    """Extra class constructors of the realised classes: public name -> spec classmethod that
    turns the constructor's arguments into the ordinary constructor's keyword arguments."""

    @classmethod
    def expected_input(cls, config: Mapping[str, Any]) -> str:
        """The input shape the neuron takes, in words (used in error messages)."""
        return f"[time, batch, {cls.features}={config[cls.features]}]"

    @classmethod
    def check_input_shape(cls, config: Mapping[str, Any], x: Array) -> None:
        shape = tuple(x.shape)
        ranks = (2, 3) if cls.unbatched else (3,)
        if len(shape) not in ranks or shape[-1] != config[cls.features]:
            also = f" or [time, {cls.features}={config[cls.features]}]" if cls.unbatched else ""
            raise ValueError(
                f"{cls.name} expects an input of shape {cls.expected_input(config)}{also} (time first), "
                f"got shape {shape}."
            )

    @classmethod
    def is_unbatched(cls, x: Array) -> bool:
        """Whether ``x`` is an unbatched ``[time, features]`` sequence (run as a batch of one)."""
        return cls.unbatched and len(x.shape) == 2

    @classmethod
    def example_input_shape(cls, config: Mapping[str, Any]) -> tuple[int, ...]:
        """One time step of an input the example ``config`` accepts: ``(batch, features)``."""
        return (3, config[cls.features])

    @classmethod
    def output_shapes(cls, config: Mapping[str, Any], shape: tuple[int, ...]) -> tuple[tuple[int, ...], ...]:
        """The shape of each array a call on an input of ``shape`` returns (one: returned bare)."""
        raise NotImplementedError

    @classmethod
    def initial_weights(
        cls, config: Mapping[str, Any], drawn: dict[str, np.ndarray]
    ) -> dict[str, np.ndarray]:
        """Layer weights at construction, from the uniform draws of :meth:`weights` (NumPy arrays)."""
        return drawn

    @classmethod
    def derived(cls, params: Mapping[str, Any]) -> dict[str, Any]:
        """Read-only attributes computed from the stored tensors (``StateLeaky.beta`` from ``tau``)."""
        return {}

    @classmethod
    def membrane(
        cls, ops: ArrayOps, x: Array, params: Mapping[str, Array], config: Mapping[str, Any]
    ) -> Array:
        """The membrane (state) of every time step for input ``x``."""
        raise NotImplementedError

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
        """What a call returns, from the input and the membrane."""
        raise NotImplementedError

    @classmethod
    def run(
        cls, ops: ArrayOps, x: Array, params: Mapping[str, Array], config: Mapping[str, Any], spike: SpikeFn
    ) -> Any:
        """A whole call: :meth:`membrane` then :meth:`readout`."""
        return cls.readout(ops, x, cls.membrane(ops, x, params, config), params, config, spike)


def float_array(value: Any) -> np.ndarray:
    """A numeric argument as a NumPy array: float64 if it came as float64, else float32 (as torch)."""
    dtype = np.float64 if str(getattr(value, "dtype", "")).endswith("float64") else np.float32
    return as_numpy(value).astype(dtype)


def time_constant(beta: np.ndarray) -> np.ndarray:
    r""":math:`\tau = 1 / (1 - \beta + 10^{-12})`, in ``beta``'s precision as snnTorch computes it."""
    one = beta.dtype.type(1)
    return (one / (one - beta + beta.dtype.type(1e-12))).astype(beta.dtype)


def check_per_feature(owner: str, name: str, value: Any, size_name: str, size: int) -> None:
    """Refuse a parameter that is neither a scalar nor one value per feature (``(size,)``)."""
    shape = as_numpy(value).shape
    if shape not in ((), (1,), (size,)):
        raise ParameterRangeError(
            f"{owner}: {name} must be a single value or have shape ({size},) (one per {size_name}), "
            f"got shape {shape}."
        )


def decay_convolution(ops: ArrayOps, x: Array, tau: Array, truncation: int | None) -> Array:
    r"""Causal exponential filter along time: :math:`U[t] = \sum_{j=0}^{K-1} e^{-j/\tau} X[t-j]`.

    ``x`` is ``[time, batch, channels]``; ``tau`` a scalar, shape ``(1,)`` or one per
    channel; ``K`` is ``truncation`` (at most the sequence length), the whole
    sequence when ``None``. One shared filter over most of the sequence is a single
    product with the lower-triangular Toeplitz matrix of its taps; otherwise the
    backend's depthwise causal filter runs it.
    """
    steps = x.shape[0]
    taps = steps if truncation is None else min(truncation, steps)
    shared = len(tau.shape) == 0 or tuple(tau.shape) == (1,)
    if shared and 4 * taps >= steps:
        time = ops.arange(steps, like=x)
        lag = time[:, None] - time[None, :]  # lag[t, s] = t - s
        inside = (lag >= 0) & (lag < taps)
        lag = ops.clip(lag, 0.0, float(taps - 1))  # keeps exp() finite where the filter is zero
        kernel = ops.where(inside, ops.exp(-lag / tau), ops.zeros_like(lag))
        return ops.einsum("ts,sbc->tbc", kernel, x)
    lag = ops.arange(taps, like=x)
    filters = ops.exp(-lag / tau) if shared else ops.exp(-lag[None, :] / tau[:, None])
    return ops.causal_filter(x, filters)


def diagonal_mask(ops: ArrayOps, size: int, like: Array) -> Array:
    """The ``size x size`` identity in the dtype and on the device of ``like``."""
    index = ops.arange(size, like=like)
    return ops.as_dtype_of(index[:, None] == index[None, :], like)


def constructor(spec: type[SequenceSpec], name: str) -> classmethod:
    """The realised classes' ``name`` classmethod: builds the neuron from the spec's arguments."""
    arguments: Callable[..., dict[str, Any]] = getattr(spec, spec.constructors[name])

    def build(cls: type, *args: Any, **kwargs: Any) -> Any:
        return cls(**arguments(*args, **kwargs))

    build.__name__ = build.__qualname__ = name
    build.__doc__ = arguments.__doc__
    build.__signature__ = inspect.signature(arguments)  # type: ignore[attr-defined]
    return classmethod(build)


def without_batch(result: Any) -> Any:
    """Drop the batch dimension of one (or a tuple of) ``[time, 1, ...]`` outputs."""
    if isinstance(result, tuple):
        return tuple(without_batch(item) for item in result)
    return result[:, 0]
