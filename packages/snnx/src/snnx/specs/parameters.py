"""Declarations of the arguments a spec takes, with their valid ranges.

A spec lists its constructor arguments once; every backend binds and validates
user arguments through the same declarations, so an out-of-range value fails the
same way (and with the same message) on every backend.
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from snnx.errors import ParameterRangeError

REQUIRED = inspect.Parameter.empty
"""Marks an argument without a default."""


@dataclass(frozen=True)
class Interval:
    """A range of real numbers, each end open or closed."""

    low: float = -math.inf
    high: float = math.inf
    low_open: bool = False
    high_open: bool = False

    def contains(self, values: np.ndarray) -> bool:
        above = values > self.low if self.low_open else values >= self.low
        below = values < self.high if self.high_open else values <= self.high
        return bool(np.all(above & below) and np.all(np.isfinite(values)))

    def __str__(self) -> str:
        left = "(" if self.low_open or math.isinf(self.low) else "["
        right = ")" if self.high_open or math.isinf(self.high) else "]"
        return f"{left}{_fmt(self.low)}, {_fmt(self.high)}{right}"


def _fmt(bound: float) -> str:
    if math.isinf(bound):
        return "inf" if bound > 0 else "-inf"
    return f"{bound:g}"


def as_numpy(value: Any) -> np.ndarray:
    """Read a scalar, sequence or backend array (on any device) into NumPy."""
    if hasattr(value, "detach"):  # a torch tensor; read without importing torch
        value = value.detach().cpu().numpy()
    return np.asarray(value, dtype=np.float64)


@dataclass(frozen=True)
class Parameter:
    """A numeric parameter: a scalar or an array of per-neuron values.

    ``learn_flag`` names the boolean argument that makes it trainable.
    """

    name: str
    default: Any = REQUIRED
    valid: Interval = Interval()
    learn_flag: str | None = None
    doc: str = ""

    def validate(self, value: Any, owner: str) -> None:
        optional = self.default is None or self.default is False
        if optional and (value is None or value is False):
            return  # an optional parameter left out
        try:
            values = as_numpy(value)
        except (TypeError, ValueError) as error:
            raise ParameterRangeError(
                f"{owner}: {self.name} must be a number or an array of numbers, got {value!r} ({error})."
            ) from None
        if not self.valid.contains(values):
            bad = values[~np.isfinite(values)] if not np.all(np.isfinite(values)) else values
            raise ParameterRangeError(
                f"{owner}: {self.name} must lie in {self.valid}, got {_summarise(bad)}. {self.doc}".rstrip()
            )


@dataclass(frozen=True)
class Option:
    """A non-numeric argument (a flag, a choice, a size or a callable).

    ``rule`` accepts or refuses a value; ``expects`` says in words what it accepts.
    """

    name: str
    default: Any = REQUIRED
    choices: tuple[Any, ...] | None = None
    doc: str = ""
    rule: Callable[[Any], bool] | None = None
    expects: str = ""

    def validate(self, value: Any, owner: str) -> None:
        if self.choices is not None and value not in self.choices:
            allowed = ", ".join(repr(choice) for choice in self.choices)
            raise ParameterRangeError(f"{owner}: {self.name} must be one of {allowed}, got {value!r}.")
        if self.rule is not None and not self.rule(value):
            raise ParameterRangeError(
                f"{owner}: {self.name} must be {self.expects}, got {value!r}. {self.doc}".rstrip()
            )


def is_count(value: Any, minimum: int = 1) -> bool:
    """Whether ``value`` is an integer (not a bool) of at least ``minimum``."""
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool) and value >= minimum


def size_option(name: str, default: Any = REQUIRED, *, optional: bool = False, minimum: int = 1) -> Option:
    """An integer size argument (features, channels), optionally ``None``."""
    expects = f"an integer >= {minimum}" + (" or None" if optional else "")
    return Option(
        name, default, rule=lambda v: (optional and v is None) or is_count(v, minimum), expects=expects
    )


Argument = Parameter | Option


def _summarise(values: np.ndarray) -> str:
    if values.size == 1:
        return f"{values.reshape(-1)[0]:g}"
    return f"an array with values from {values.min():g} to {values.max():g}"


def signature_of(arguments: Iterable[Argument]) -> inspect.Signature:
    """The Python signature a realised class's constructor must have."""
    return inspect.Signature(
        [
            inspect.Parameter(arg.name, inspect.Parameter.POSITIONAL_OR_KEYWORD, default=arg.default)
            for arg in arguments
        ]
    )


def bind_arguments(
    owner: str, arguments: tuple[Argument, ...], args: tuple, kwargs: Mapping[str, Any]
) -> dict[str, Any]:
    """Bind positional and keyword arguments by the declared signature and validate them."""
    try:
        bound = signature_of(arguments).bind(*args, **kwargs)
    except TypeError as error:
        raise TypeError(f"{owner}: {error}") from None
    bound.apply_defaults()
    values = dict(bound.arguments)
    for argument in arguments:
        argument.validate(values[argument.name], owner)
    return values
