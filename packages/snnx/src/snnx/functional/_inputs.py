"""Checks and host-side encoding of what the losses and accuracy functions are given.

Network outputs stay on their backend; labels, class weights and target spike
times are small, so they are checked (and encoded) as NumPy arrays and handed to
the maths as constants of the output's backend.
"""

from __future__ import annotations

from numbers import Integral
from typing import Any

import numpy as np

from snnx.backend import Backend
from snnx.errors import InputShapeError, ParameterRangeError
from snnx.selection import backend_for
from snnx.specs.losses import REDUCTIONS
from snnx.specs.neuron import check_input


def check_reduction(owner: str, reduction: str) -> str:
    if reduction not in REDUCTIONS:
        raise ParameterRangeError(
            f"{owner}: reduction must be one of {', '.join(map(repr, REDUCTIONS))}, got {reduction!r}."
        )
    return reduction


def check_population(owner: str, population_code: bool, num_classes: int | bool) -> None:
    """``population_code=True`` needs the number of classes the outputs are grouped into."""
    if population_code and (
        isinstance(num_classes, bool) or not isinstance(num_classes, Integral) or num_classes < 1
    ):
        raise ParameterRangeError(
            f"{owner}: population_code=True needs num_classes, a positive int (the number of classes "
            f"the output neurons are grouped into), got num_classes={num_classes!r}."
        )


def check_output(owner: str, out: Any) -> tuple[Backend, int, int, int]:
    """The backend of a ``[time, batch, outputs]`` record, and its three sizes."""
    backend = backend_for(out)
    check_input(owner, out)
    if len(out.shape) != 3:
        raise InputShapeError(
            f"{owner}: expected the output record as [time, batch, outputs], got shape {tuple(out.shape)}. "
            "Stack the per-step outputs along a leading time dimension (e.g. torch.stack(spk_rec))."
        )
    steps, batch, outputs = out.shape
    return backend, steps, batch, outputs


def num_classes_of(owner: str, population_code: bool, num_classes: int | bool, outputs: int) -> int:
    """The number of classes: the outputs, or ``num_classes`` groups of them (which must divide)."""
    if not population_code:
        return outputs
    if outputs % num_classes:
        raise InputShapeError(
            f"{owner}: population_code=True groups the {outputs} outputs into num_classes={num_classes} "
            f"equal populations, but {num_classes} does not divide {outputs}. Use a number of output "
            "neurons that is a multiple of num_classes."
        )
    return num_classes


def host(backend: Backend, value: Any) -> np.ndarray:
    """``value`` (an array of ``backend``, a NumPy array or a sequence) as a NumPy array."""
    return backend.to_numpy(value) if backend.owns(value) else np.asarray(value)


def as_numpy(value: Any) -> np.ndarray:
    """``value`` (an array of any backend, or a number or sequence) as a NumPy array."""
    try:
        backend = backend_for(value)
    except TypeError:
        return np.asarray(value)
    return backend.to_numpy(value)


def labels(
    owner: str, backend: Backend, targets: Any, shape: tuple[int, ...], num_classes: int
) -> np.ndarray:
    """Class ids of ``shape`` (``[batch]``, or ``[time, batch]``), checked to lie in ``[0, num_classes)``."""
    ids = host(backend, targets)
    if ids.shape != shape:
        raise InputShapeError(
            f"{owner}: expected targets of shape {shape} (one class id per sample), got shape {ids.shape}."
        )
    whole = ids.dtype.kind in "iub" or (ids.dtype.kind == "f" and np.all(ids == np.round(ids)))
    if not whole:
        raise ParameterRangeError(f"{owner}: targets must be whole class ids, got {ids.dtype} values.")
    ids = ids.astype(np.int64)
    if ids.size and (ids.min() < 0 or ids.max() >= num_classes):
        raise ParameterRangeError(
            f"{owner}: class ids must lie in [0, {num_classes - 1}] for {num_classes} classes, "
            f"got ids from {ids.min()} to {ids.max()}."
        )
    return ids


def one_hot(ids: np.ndarray, num_classes: int) -> np.ndarray:
    """``[..., num_classes]`` with 1 at each id."""
    return (ids[..., None] == np.arange(num_classes)).astype(np.float64)


def class_weights(owner: str, backend: Backend, weight: Any, num_classes: int) -> np.ndarray | None:
    """The per-class ``weight`` as a NumPy vector of length ``num_classes`` (None stays None)."""
    if weight is None:
        return None
    vector = host(backend, weight).astype(np.float64)
    if vector.shape != (num_classes,):
        raise InputShapeError(
            f"{owner}: weight needs one entry per class, shape ({num_classes},), got shape {vector.shape}."
        )
    return vector
