"""snnx_ipu.dataloader: poptorch.DataLoader with the given options and arguments (stand-in poptorch)."""

from __future__ import annotations

import pytest
import torch

from snnx.errors import BackendUnavailableError, ParameterRangeError
from snnx_ipu.data import dataloader
from snnx_ipu.options import options

STEPS, FEATURES, SAMPLES = 5, 3, 12


def spike_trains() -> torch.utils.data.TensorDataset:
    generator = torch.Generator().manual_seed(0)
    trains = (torch.rand(SAMPLES, STEPS, FEATURES, generator=generator) > 0.5).float()
    return torch.utils.data.TensorDataset(trains, torch.arange(SAMPLES))


def test_arguments_reach_poptorch_dataloader(fake_poptorch):
    opts = options(device_iterations=3)
    dataset = spike_trains()
    loader = dataloader(dataset, opts, batch_size=2, shuffle=False, drop_last=True)
    ((_, args, kwargs),) = fake_poptorch.calls.named("DataLoader")
    assert args[0] is opts and args[1] is dataset
    assert kwargs == {"batch_size": 2, "shuffle": False, "drop_last": True}
    batches = list(loader)
    # one batch per host call: micro-batch 2 x 3 device iterations, samples stacked batch first
    assert [tuple(x.shape) for x, _ in batches] == [(6, STEPS, FEATURES), (6, STEPS, FEATURES)]
    assert torch.equal(torch.cat([x for x, _ in batches]), dataset.tensors[0])


def test_default_options_are_built_when_none_are_given(fake_poptorch):
    dataloader(spike_trains(), batch_size=4, shuffle=True)
    ((_, args, kwargs),) = fake_poptorch.calls.named("DataLoader")
    assert isinstance(args[0], fake_poptorch.Options)
    assert args[0].device_iterations == 1
    assert kwargs == {"batch_size": 4, "shuffle": True}


@pytest.mark.parametrize("batch_size", [0, -1, 2.0, None])
def test_bad_batch_size_is_refused(no_poptorch, batch_size):
    with pytest.raises(ParameterRangeError, match="batch_size"):
        dataloader(spike_trains(), batch_size=batch_size)


def test_without_poptorch_the_error_says_how_to_install_it(no_poptorch):
    with pytest.raises(BackendUnavailableError, match=r"Poplar SDK.*pip install"):
        dataloader(spike_trains())
