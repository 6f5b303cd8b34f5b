"""What every neuron spec declares, and the calling conventions all backends share."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from snnx.errors import InputDtypeError, StateShapeError
from snnx.ops import Array, ArrayOps
from snnx.specs.parameters import Argument, Parameter, as_numpy, bind_arguments, signature_of

RESET_CODES = {"subtract": 0, "zero": 1, "none": 2}
"""snnTorch's integer code for each reset mechanism (its ``reset_mechanism_val`` buffer)."""

SpikeFn = Callable[[Array], Array]
"""Heaviside of ``mem - threshold`` with the backend's surrogate gradient."""


@dataclass(frozen=True)
class Tensor:
    """A parameter or buffer a realised neuron stores, by its snnTorch ``state_dict`` name.

    ``learnable`` makes it a trainable parameter (else a buffer); ``dtype`` of
    ``None`` keeps the value's own kind (floats become the default float dtype).
    """

    value: Any
    learnable: bool = False
    dtype: str | None = None


@dataclass(frozen=True)
class Weight:
    """A weight array of a layer inside a neuron (``recurrent.weight``, ``lstm_cell.bias_ih``).

    ``bound`` is the half-width of torch's default uniform initialisation, which the
    reference backend draws from as well.
    """

    name: str
    shape: tuple[int, ...]
    bound: float

    def initial(self, rng: np.random.Generator) -> np.ndarray:
        return rng.uniform(-self.bound, self.bound, size=self.shape).astype(np.float32)


class NeuronSpec:
    """A neuron model written once, for every backend.

    Subclasses declare their constructor ``arguments`` (numeric :class:`Parameter`
    entries carry valid ranges), their ``states`` and their discrete-time update
    :meth:`step`, and say what their parameters mean in continuous time
    (:meth:`continuous_time`), which interchange formats such as NIR need.

    ``kind`` tells backends how the neuron is called: ``"step"`` neurons take one
    time step per call and keep hidden state; ``"sequence"`` neurons take a whole
    ``[time, batch, ...]`` sequence per call; ``"layer"`` entries are helper layers.
    """

    name: ClassVar[str]
    kind: ClassVar[str] = "step"
    arguments: ClassVar[tuple[Argument, ...]]
    states: ClassVar[tuple[str, ...]] = ()
    returned_states: ClassVar[tuple[str, ...] | None] = None
    """States returned after the spikes (default: all of ``states``)."""

    @classmethod
    def parameters(cls) -> tuple[Parameter, ...]:
        return tuple(arg for arg in cls.arguments if isinstance(arg, Parameter))

    @classmethod
    def signature(cls):
        """The constructor signature every backend's class for this spec has."""
        return signature_of(cls.arguments)

    @classmethod
    def bind(cls, args: tuple = (), kwargs: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """Bind constructor arguments by the snnTorch signature and validate them."""
        config = bind_arguments(cls.name, cls.arguments, args, kwargs or {})
        cls.check(config)
        return config

    @classmethod
    def check(cls, config: Mapping[str, Any]) -> None:
        """Validate combinations of arguments (single arguments validate themselves)."""

    @classmethod
    def tensors(cls, config: Mapping[str, Any]) -> dict[str, Tensor]:
        """The parameters and buffers a realised neuron stores, by ``state_dict`` name.

        Step neurons also carry snnTorch's ``reset_mechanism_val`` code and a
        ``graded_spikes_factor`` of 1 where they take none, so ``state_dict`` files
        interchange with snnTorch's.
        """
        stored = {
            p.name: Tensor(config[p.name], bool(p.learn_flag and config[p.learn_flag]))
            for p in cls.parameters()
            if config[p.name] is not None and config[p.name] is not False
        }
        if cls.kind == "step":
            code = RESET_CODES[config.get("reset_mechanism", "subtract")]
            stored["reset_mechanism_val"] = Tensor(code, dtype="int64")
            stored.setdefault("graded_spikes_factor", Tensor(1.0))
        return stored

    @classmethod
    def weights(cls, config: Mapping[str, Any]) -> tuple[Weight, ...]:
        """Weights of the layers inside the neuron (none for most neurons)."""
        return ()

    @classmethod
    def state_shape(cls, config: Mapping[str, Any], x: Array) -> tuple[int, ...]:
        """The shape every hidden state has for input ``x`` (the input's own by default)."""
        return tuple(x.shape)

    @classmethod
    def passed_states(cls, args: tuple) -> tuple[Array | None, ...]:
        """The states given to a call after the input, one per entry of ``states``."""
        if len(args) > len(cls.states):
            raise TypeError(
                f"{cls.name} takes the input and at most {len(cls.states)} state(s) "
                f"({', '.join(cls.states)}), got {len(args)} state argument(s)."
            )
        return tuple(args) + (None,) * (len(cls.states) - len(args))

    @classmethod
    def check_input_shape(cls, config: Mapping[str, Any], x: Array) -> None:
        """Raise ``ValueError`` naming the expected shape if ``x`` cannot be fed in."""

    @staticmethod
    def step(
        ops: ArrayOps,
        x: Array,
        states: tuple[Array, ...],
        params: Mapping[str, Array],
        config: Mapping[str, Any],
        spike: SpikeFn,
    ) -> tuple[Array, tuple[Array, ...]]:
        """One time step: ``(spikes, new_states)`` from input ``x`` and ``states``."""
        raise NotImplementedError

    @classmethod
    def returns_states(cls, config: Mapping[str, Any]) -> bool:
        """Whether a call returns states besides spikes: not for hidden-state neurons, unless ``output``."""
        return not config.get("init_hidden") or bool(config.get("output"))

    @classmethod
    def outputs(cls, spk: Array, states: tuple[Array, ...], config: Mapping[str, Any]) -> Any:
        """snnTorch's return convention: spikes alone for hidden-state neurons, unless ``output``."""
        if not cls.returns_states(config):
            return spk
        if cls.returned_states is None:
            return (spk, *states)
        return (spk, *(state for name, state in zip(cls.states, states) if name in cls.returned_states))

    @classmethod
    def examples(cls) -> list[dict[str, Any]]:
        """Constructor arguments covering the spec's options, for the conformance suite."""
        raise NotImplementedError

    @classmethod
    def invalid_examples(cls) -> list[dict[str, Any]]:
        """Constructor arguments that must be refused, for the conformance suite."""
        return []

    @classmethod
    def pack_states(cls, states: tuple[Array, ...]) -> tuple[Any, ...]:
        """States arranged as the call takes them after the input (inverse of :meth:`passed_states`)."""
        return tuple(states)

    @classmethod
    def example_input_shape(cls, config: Mapping[str, Any]) -> tuple[int, ...]:
        """An input shape (one time step) the example ``config`` accepts."""
        return (6, 5)

    @classmethod
    def continuous_time(cls, params: Mapping[str, Any], dt: float) -> dict[str, Any]:
        """The continuous-time parameters the discrete update samples at step ``dt``."""
        raise NotImplementedError


def check_input(owner: str, x: Array) -> None:
    """Reject inputs that are not floating point (spikes and states are real-valued)."""
    dtype = x.dtype
    is_float = getattr(dtype, "is_floating_point", None)
    if is_float is None:  # numpy dtype
        is_float = getattr(dtype, "kind", "") == "f"
    if not is_float:
        raise InputDtypeError(
            f"{owner} expects a floating-point input, got dtype {dtype}. "
            "Convert it first, e.g. x.float() (torch) or x.astype('float32') (numpy)."
        )


def _is_empty(state: Array) -> bool:
    return math.prod(state.shape) == 0


def resolve_state(
    owner: str,
    name: str,
    stored: Array,
    passed: Array | None,
    x: Array,
    ops: ArrayOps,
    shape: tuple[int, ...] | None = None,
) -> Array:
    """The state to start this step from.

    An empty state (fresh from ``init_*()`` or ``reset_hidden()``) starts at zero in
    the state's ``shape`` (the input's by default). A state of any other shape is an
    error: snnTorch silently replaced it with zeros, hiding the bug.
    """
    state = stored if passed is None else passed
    shape = tuple(x.shape) if shape is None else shape
    if _is_empty(state):
        return ops.zeros(shape, like=x)
    if tuple(state.shape) != shape:
        if passed is not None:
            origin = f"the `{name}` passed in"
            fix = f"pass a `{name}` of shape {shape}, or a fresh one from init_{owner.lower()}()"
        else:
            origin = f"the stored `{name}` (from an earlier call)"
            fix = "call snnx.utils.reset(net) (or the neuron's reset_hidden()) before each new batch"
        if shape == tuple(x.shape):
            needed = f"the input has shape {shape}"
        else:
            needed = f"an input of shape {tuple(x.shape)} needs shape {shape}"
        raise StateShapeError(f"{owner}: {origin} has shape {tuple(state.shape)} but {needed}; {fix}.")
    return state


def parameter_values(config: Mapping[str, Any], names: tuple[str, ...]) -> dict[str, np.ndarray]:
    """Read the named numeric arguments of ``config`` into NumPy (for cross-argument checks)."""
    return {name: as_numpy(config[name]) for name in names}


def in_dtype_of(ops: ArrayOps, params: Mapping[str, Array], x: Array) -> dict[str, Array]:
    """The floating-point parameters converted to the dtype of ``x`` (integer codes left alone)."""
    converted = {}
    for name, value in params.items():
        kind = getattr(getattr(value, "dtype", None), "kind", None)  # numpy
        floating = getattr(getattr(value, "dtype", None), "is_floating_point", kind == "f")  # torch
        converted[name] = ops.as_dtype_of(value, x) if floating else value
    return converted
