"""snnTorch's dataset helpers on torch datasets that keep ``.data`` and ``.targets``.

Both change the datasets in place (as torchvision datasets expect, their ``.data``
and ``.targets`` are replaced) and return them. ``.data``/``.targets`` may be
tensors, NumPy arrays or Python lists (lists stay lists).
"""

from __future__ import annotations

import numbers
from typing import Any, TypeVar

import numpy as np

from snnx.errors import ParameterRangeError

D = TypeVar("D")


def data_subset(dataset: D, subset: int, idx: int = 0) -> D:
    """Keep the ``idx``-th of ``subset`` equal contiguous parts of ``dataset``.

    With ``N`` samples and ``m = N // subset``, the kept samples are
    ``idx * m .. (idx + 1) * m - 1`` (the last ``N mod subset`` samples are never
    kept). ``subset = 1`` keeps everything.

    Args:
        dataset: a dataset with ``.data`` and ``.targets`` of equal length.
        subset: the factor to shrink it by, an int ``>= 1``.
        idx: which part, ``0 <= idx < subset``.

    Returns:
        ``dataset``, changed in place.
    """
    data, targets = _columns("data_subset", "dataset", dataset)
    if isinstance(subset, bool) or not isinstance(subset, numbers.Integral):
        raise TypeError(f"data_subset: subset must be an int factor >= 1, got {subset!r}.")
    if isinstance(idx, bool) or not isinstance(idx, numbers.Integral):
        raise TypeError(f"data_subset: idx must be an int part index, got {idx!r}.")
    if subset < 1:
        raise ParameterRangeError(f"data_subset: subset={subset} must be >= 1 (1 keeps the whole dataset).")
    if not 0 <= idx < subset:
        raise ParameterRangeError(f"data_subset: idx={idx} must lie in 0 .. {subset - 1} (subset={subset}).")
    if subset == 1:
        return dataset
    size = len(data) // subset
    if size == 0:
        raise ParameterRangeError(
            f"data_subset: subset={subset} is larger than the dataset's {len(data)} samples, so every "
            f"part would be empty; use subset <= {len(data)}."
        )
    kept = np.arange(size * idx, size * (idx + 1))
    dataset.data, dataset.targets = _take(data, kept), _take(targets, kept)  # type: ignore[attr-defined]
    return dataset


def valid_split(ds_train: D, ds_val: D, split: float, seed: int | None = 0) -> tuple[D, D]:
    """Move a random ``split`` share of ``ds_train``'s samples into ``ds_val``.

    With ``N`` samples, ``N_val = int(N * split)``; the training indices are
    ``numpy.random.default_rng(seed).choice(N, N - N_val, replace=False)`` (in that
    order), the validation indices the rest in ascending order, so one seed always
    gives one split (the same as snnTorch's). ``ds_val``'s own samples are replaced.

    Args:
        ds_train: the training set, with ``.data`` and ``.targets``.
        ds_val: a second dataset object (often a second copy of the training set)
            that receives the validation samples.
        split: the validation share, ``0 < split < 1``.
        seed: seed of the random choice.

    Returns:
        ``(ds_train, ds_val)``, changed in place.
    """
    data, targets = _columns("valid_split", "ds_train", ds_train)
    if ds_val is ds_train:
        raise ValueError(
            "valid_split: ds_train and ds_val are the same object; pass a second dataset object for the "
            "validation samples (e.g. load the training set twice)."
        )
    if isinstance(split, bool) or not isinstance(split, numbers.Real) or not 0 < split < 1:
        raise ParameterRangeError(f"valid_split: split={split!r} must be a share strictly between 0 and 1.")
    n = len(data)
    n_val = int(n * split)
    if n_val == 0 or n_val == n:
        raise ParameterRangeError(
            f"valid_split: split={split} of {n} samples leaves {n_val} for validation and {n - n_val} for "
            "training; choose a split that leaves both non-empty."
        )
    train_idx = np.random.default_rng(seed=seed).choice(n, size=n - n_val, replace=False)
    val_idx = np.setdiff1d(np.arange(n), train_idx)
    ds_val.data, ds_val.targets = _take(data, val_idx), _take(targets, val_idx)  # type: ignore[attr-defined]
    ds_train.data, ds_train.targets = _take(data, train_idx), _take(targets, train_idx)  # type: ignore[attr-defined]
    return ds_train, ds_val


def _columns(function: str, argument: str, dataset: Any) -> tuple[Any, Any]:
    """``dataset.data`` and ``dataset.targets``, checked to be present and of equal length."""
    missing = " or ".join(f".{name}" for name in ("data", "targets") if not hasattr(dataset, name))
    if missing:
        raise TypeError(
            f"{function}: {argument} ({type(dataset).__name__}) has no {missing}; "
            "it needs a dataset that keeps its samples in .data and labels in .targets, such as a "
            "torchvision dataset (for others, use torch.utils.data.Subset / random_split)."
        )
    data, targets = dataset.data, dataset.targets
    if len(data) != len(targets):
        raise ValueError(
            f"{function}: {argument} has {len(data)} samples in .data but {len(targets)} in .targets; "
            "they must have one target per sample."
        )
    return data, targets


def _take(values: Any, index: np.ndarray) -> Any:
    """``values`` at ``index`` (a copy); lists and tuples keep their type."""
    if isinstance(values, (list, tuple)):
        return type(values)(values[i] for i in index)
    return values[index]
