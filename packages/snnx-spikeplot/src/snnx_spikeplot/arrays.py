"""Turning plot inputs into NumPy arrays, and checking their shape, with errors that name the argument."""

from __future__ import annotations

from typing import Any

import numpy as np

from snnx.selection import backend_for

_NUMERIC_KINDS = "biuf"  # bool, signed and unsigned integers, floats


def to_numpy(data: Any, name: str) -> np.ndarray:
    """``data`` as a NumPy array of numbers.

    NumPy arrays, NumPy scalars, Python numbers and (nested) lists or tuples go through
    :func:`numpy.asarray`; arrays of an installed snnx backend (torch tensors on any device, also
    ones that require grad) go through that backend's ``to_numpy``, which detaches and copies to host.

    Raises ``TypeError`` naming ``name`` for anything else, for ragged lists and for non-numeric data.
    """
    if isinstance(data, (np.ndarray, np.generic, list, tuple, bool, int, float)):
        try:
            array = np.asarray(data)
        except ValueError as error:  # ragged nested lists
            raise TypeError(
                f"{name} must be a rectangular array of numbers; the nested lists given are ragged ({error})"
            ) from error
    else:
        try:
            array = np.asarray(backend_for(data).to_numpy(data))
        except (TypeError, AttributeError) as error:
            raise TypeError(
                f"{name} must be a NumPy array, a (nested) list of numbers or a backend tensor "
                f"such as a torch.Tensor, got {type(data).__module__}.{type(data).__qualname__}"
            ) from error
    if array.dtype.kind not in _NUMERIC_KINDS:
        raise TypeError(f"{name} must hold numbers (bool, int or float), got an array of dtype {array.dtype}")
    return array


def require_ndim(array: np.ndarray, allowed: tuple[int, ...], name: str, function: str, meaning: str) -> None:
    """Raise ``ValueError`` unless ``array.ndim`` is one of ``allowed``.

    The message reads like ``"raster: data must be 2-D [time, neurons], got shape (3, 4, 5)"``, where
    ``meaning`` describes the axes the caller expects.
    """
    if array.ndim not in allowed:
        dims = " or ".join(f"{n}-D" for n in allowed)
        raise ValueError(f"{function}: {name} must be {dims} {meaning}, got shape {tuple(array.shape)}")
