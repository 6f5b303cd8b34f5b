"""Checks of encoder arguments shared by the encoder families."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from snnx.errors import InputDtypeError, InputShapeError, ParameterRangeError
from snnx.ops import Array, ArrayOps


def integer_argument(owner: str, name: str, value: Any, minimum: int = 0) -> int:
    """``value`` as an ``int`` of at least ``minimum`` (``False``, snnTorch's "unset", counts as 0)."""
    if not isinstance(value, (int, np.integer)):
        raise InputDtypeError(f"{owner}: {name} must be an integer, got {value!r} ({type(value).__name__}).")
    if value < minimum:
        raise ParameterRangeError(f"{owner}: {name} ({value}) must be >= {minimum}.")
    return int(value)


def probability_argument(owner: str, name: str, value: float) -> None:
    """Reject a firing rate outside [0, 1]."""
    if not 0 <= value <= 1:
        raise ParameterRangeError(f"{owner}: {name} ({value}) must lie in [0, 1] (a fraction of steps).")


def dtype_kind(x: Array) -> str:
    """NumPy's kind letter of ``x``'s dtype (``f`` float, ``i``/``u`` integer, ``b`` bool, ``c`` complex)."""
    dtype = x.dtype
    if hasattr(dtype, "is_floating_point"):  # torch and look-alikes
        if dtype.is_floating_point:
            return "f"
        if dtype.is_complex:
            return "c"
        return "b" if str(dtype).endswith("bool") else "i"
    return np.dtype(dtype).kind


def check_real_input(owner: str, name: str, x: Array) -> None:
    """Reject arrays that are not real numbers (bool and complex arrays)."""
    if dtype_kind(x) not in "iuf":
        raise InputDtypeError(
            f"{owner}: {name} must hold real numbers (integer or floating point), got dtype {x.dtype}."
        )


def check_not_empty(owner: str, name: str, x: Array) -> None:
    if math.prod(x.shape) == 0:
        raise InputShapeError(f"{owner}: {name} is empty (shape {tuple(x.shape)}); pass at least one value.")


def value_range(ops: ArrayOps, x: Array) -> tuple[float, float]:
    """The smallest and largest entry of ``x``, as Python floats."""
    x = ops.detach(x)
    return float(ops.amin(x)), float(ops.amax(x))
