r"""The delta neuron: fires on large changes of its membrane, snnTorch's ``DeltaLeaky``."""

from __future__ import annotations

import inspect
import math
from collections.abc import Mapping
from typing import Any

from snnx.ops import Array, ArrayOps
from snnx.specs.leaky import LeakySpec
from snnx.specs.neuron import NeuronSpec, SpikeFn, Tensor
from snnx.specs.parameters import Interval, Parameter, bind_arguments

DELTA_THRESHOLD = Parameter(
    "delta_threshold",
    1.0,
    Interval(0.0, math.inf),
    doc="delta_threshold is the change of membrane that fires a spike; it must be >= 0.",
)


class DeltaLeakySpec(NeuronSpec):
    r"""A leaky integrator that spikes when its membrane changes by more than a threshold.

    With input :math:`X[t]`, decay :math:`\beta` (used as given, not clamped) and
    ``delta_threshold`` :math:`\delta`:

    .. math::

        U[t] = \beta U[t-1] + X[t]

        S[t] = H(|U[t] - U[t-1]| - \delta)

    Nothing resets. The call takes ``mem`` as a pair ``(mem, mem_prev)`` and returns
    ``(spk, (mem, mem_prev))`` where ``mem_prev`` is the previous membrane. The
    constructor is ``DeltaLeaky(delta_threshold=1.0, *args, **kwargs)``; ``args``
    and ``kwargs`` are ``Leaky``'s (``beta`` first), whose threshold, reset and
    spike-scaling options the delta rule does not use.
    """

    name = "DeltaLeaky"
    states = ("mem", "mem_prev")
    arguments = (DELTA_THRESHOLD, *LeakySpec.arguments)

    @classmethod
    def signature(cls) -> inspect.Signature:
        kinds = inspect.Parameter
        return inspect.Signature(
            [
                kinds("delta_threshold", kinds.POSITIONAL_OR_KEYWORD, default=1.0),
                kinds("args", kinds.VAR_POSITIONAL),
                kinds("kwargs", kinds.VAR_KEYWORD),
            ]
        )

    @classmethod
    def bind(cls, args: tuple = (), kwargs: Mapping[str, Any] | None = None) -> dict[str, Any]:
        kwargs = dict(kwargs or {})
        if args:
            delta, args = args[0], args[1:]
            if "delta_threshold" in kwargs:
                raise TypeError("DeltaLeaky: got multiple values for argument 'delta_threshold'")
        else:
            delta = kwargs.pop("delta_threshold", DELTA_THRESHOLD.default)
        DELTA_THRESHOLD.validate(delta, cls.name)
        config = bind_arguments(cls.name, LeakySpec.arguments, args, kwargs)
        return {"delta_threshold": delta, **config}

    @classmethod
    def tensors(cls, config: Mapping[str, Any]) -> dict[str, Tensor]:
        stored = super().tensors(config)
        del stored["delta_threshold"]  # a plain attribute in snnTorch, not in the state_dict
        return stored

    @classmethod
    def passed_states(cls, args: tuple) -> tuple[Array | None, ...]:
        if not args or args[0] is None:
            return (None, None)
        if len(args) > 1 or not isinstance(args[0], (tuple, list)) or len(args[0]) != 2:
            raise TypeError("DeltaLeaky: pass the state as mem=(mem, mem_prev) (either may be None).")
        return tuple(args[0])

    @classmethod
    def pack_states(cls, states: tuple[Array, ...]) -> tuple[Any, ...]:
        return (tuple(states),)

    @staticmethod
    def step(
        ops: ArrayOps,
        x: Array,
        states: tuple[Array, ...],
        params: Mapping[str, Array],
        config: Mapping[str, Any],
        spike: SpikeFn,
    ) -> tuple[Array, tuple[Array, ...]]:
        mem, _ = states
        new_mem = params["beta"] * mem + x
        spk = spike(ops.abs(new_mem - mem) - config["delta_threshold"])
        return spk, (new_mem, mem)

    @classmethod
    def returns_states(cls, config: Mapping[str, Any]) -> bool:
        return True

    @classmethod
    def outputs(cls, spk: Array, states: tuple[Array, ...], config: Mapping[str, Any]) -> Any:
        return (spk, tuple(states))

    @classmethod
    def examples(cls) -> list[dict[str, Any]]:
        return [
            {"beta": 0.9},
            {"delta_threshold": 0.3, "beta": 0.5},
            {"delta_threshold": 0.0, "beta": 1.0},
            {"delta_threshold": 0.5, "beta": [0.2, 0.4, 0.6, 0.8, 1.0]},
        ]

    @classmethod
    def invalid_examples(cls) -> list[dict[str, Any]]:
        return [{"delta_threshold": -0.5, "beta": 0.9}, {"beta": 1.5}, {"delta_threshold": 0.5}]
