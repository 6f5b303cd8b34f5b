"""What every neuron spec declares, and the calling conventions all backends share."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any, ClassVar

from snnx.errors import InputDtypeError, StateShapeError
from snnx.ops import Array, ArrayOps
from snnx.specs.parameters import Argument, Parameter, bind_arguments, signature_of

SpikeFn = Callable[[Array], Array]
"""Heaviside of ``mem - threshold`` with the backend's surrogate gradient."""


class NeuronSpec:
    """A neuron model written once, for every backend.

    Subclasses declare their constructor ``arguments`` (numeric :class:`Parameter`
    entries carry valid ranges), their ``states`` and their discrete-time update
    :meth:`step`, and say what their parameters mean in continuous time
    (:meth:`continuous_time`), which interchange formats such as NIR need.
    """

    name: ClassVar[str]
    arguments: ClassVar[tuple[Argument, ...]]
    states: ClassVar[tuple[str, ...]]

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
        return bind_arguments(cls.name, cls.arguments, args, kwargs or {})

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
    def examples(cls) -> list[dict[str, Any]]:
        """Constructor arguments covering the spec's options, for the conformance suite."""
        raise NotImplementedError

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
    owner: str, name: str, stored: Array, passed: Array | None, x: Array, ops: ArrayOps
) -> Array:
    """The state to start this step from.

    An empty state (fresh from ``init_*()`` or ``reset_hidden()``) starts at zero in
    the input's shape. A state of any other shape than the input's is an error:
    snnTorch silently replaced it with zeros, hiding the bug.
    """
    state = stored if passed is None else passed
    if _is_empty(state):
        return ops.zeros_like(x)
    if tuple(state.shape) != tuple(x.shape):
        if passed is not None:
            origin = f"the `{name}` passed in"
            fix = f"pass a `{name}` shaped like the input, or a fresh one from init_{owner.lower()}()"
        else:
            origin = f"the stored `{name}` (from an earlier call)"
            fix = "call snnx.utils.reset(net) (or the neuron's reset_hidden()) before each new batch"
        raise StateShapeError(
            f"{owner}: {origin} has shape {tuple(state.shape)} but the input has shape "
            f"{tuple(x.shape)}; {fix}."
        )
    return state


def neuron_outputs(spk: Array, states: tuple[Array, ...], config: Mapping[str, Any]):
    """snnTorch's return convention: spikes alone for hidden-state neurons, unless ``output``."""
    if config["init_hidden"] and not config["output"]:
        return spk
    return (spk, *states)
