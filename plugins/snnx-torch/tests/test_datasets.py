"""snnx.utils.data_subset and valid_split on torch: the parts kept, reproducible splits, errors."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from snnx import utils
from snnx.errors import ParameterRangeError


class Samples:
    """A dataset as torchvision keeps one: ``.data`` and ``.targets``."""

    def __init__(self, n: int, numpy_data: bool = False, list_targets: bool = False) -> None:
        data = torch.arange(n * 2).reshape(n, 2)
        self.data = data.numpy() if numpy_data else data
        self.targets = list(range(n)) if list_targets else torch.arange(n)

    def __len__(self) -> int:
        return len(self.data)


def test_data_subset_keeps_the_idx_th_contiguous_part_in_place():
    dataset = Samples(23)
    assert utils.data_subset(dataset, 5, idx=3) is dataset
    assert dataset.targets.tolist() == [12, 13, 14, 15]  # 23 // 5 = 4 per part
    assert torch.equal(dataset.data[:, 0], dataset.targets * 2)
    whole = Samples(7)
    assert utils.data_subset(whole, 1).targets.tolist() == list(range(7))


def test_data_subset_on_numpy_data_and_list_targets():
    dataset = utils.data_subset(Samples(10, numpy_data=True, list_targets=True), 2, idx=1)
    assert isinstance(dataset.data, np.ndarray) and dataset.data[:, 0].tolist() == [10, 12, 14, 16, 18]
    assert dataset.targets == [5, 6, 7, 8, 9]


def test_valid_split_is_a_reproducible_partition():
    train, val = utils.valid_split(Samples(50), Samples(50), 0.2, seed=4)
    assert (len(train.targets), len(val.targets)) == (40, 10)
    assert sorted(train.targets.tolist() + val.targets.tolist()) == list(range(50))
    assert val.targets.tolist() == sorted(val.targets.tolist())
    assert torch.equal(train.data[:, 0], train.targets * 2) and torch.equal(val.data[:, 0], val.targets * 2)
    again, _ = utils.valid_split(Samples(50), Samples(50), 0.2, seed=4)
    other, _ = utils.valid_split(Samples(50), Samples(50), 0.2, seed=5)
    assert torch.equal(again.targets, train.targets) and not torch.equal(other.targets, train.targets)


def test_valid_split_keeps_list_targets_as_lists():
    train, val = utils.valid_split(Samples(10, True, True), Samples(3, True, True), 0.3)
    assert isinstance(train.targets, list) and isinstance(val.targets, list)
    assert sorted(train.targets + val.targets) == list(range(10)) and len(val.targets) == 3
    assert val.data[:, 0].tolist() == [2 * t for t in val.targets]


def test_reached_through_snnx_utils():
    from snnx_torch.extensions import datasets

    assert utils.data_subset is datasets.data_subset and utils.valid_split is datasets.valid_split


def test_data_subset_errors():
    with pytest.raises(ParameterRangeError, match="subset=0 must be >= 1"):
        utils.data_subset(Samples(10), 0)
    with pytest.raises(TypeError, match="subset must be an int"):
        utils.data_subset(Samples(10), 2.5)
    with pytest.raises(ParameterRangeError, match=r"idx=3 must lie in 0 \.\. 2"):
        utils.data_subset(Samples(10), 3, idx=3)
    with pytest.raises(ParameterRangeError, match="larger than the dataset's 10 samples"):
        utils.data_subset(Samples(10), 11, idx=0)
    with pytest.raises(TypeError, match=r"has no \.data or \.targets"):
        utils.data_subset(torch.utils.data.TensorDataset(torch.zeros(4, 2)), 2)
    uneven = Samples(10)
    uneven.targets = uneven.targets[:9]
    with pytest.raises(ValueError, match=r"10 samples in \.data but 9 in \.targets"):
        utils.data_subset(uneven, 2)


@pytest.mark.parametrize("split", [0, 1, 1.5, -0.1, True, "0.1"])
def test_valid_split_rejects_splits_outside_zero_one(split):
    with pytest.raises(ParameterRangeError, match="strictly between 0 and 1"):
        utils.valid_split(Samples(10), Samples(10), split)


def test_valid_split_errors():
    with pytest.raises(ParameterRangeError, match="leaves 0 for validation"):
        utils.valid_split(Samples(5), Samples(5), 0.1)
    same = Samples(10)
    with pytest.raises(ValueError, match="same object"):
        utils.valid_split(same, same, 0.5)
    with pytest.raises(TypeError, match=r"ds_train \(TensorDataset\) has no \.data or \.targets"):
        utils.valid_split(torch.utils.data.TensorDataset(torch.zeros(4, 2)), Samples(4), 0.5)
