"""The snnTorch README quickstart, ported by changing the import lines only."""

import torch
import torch.nn as nn

import snnx as snn
from snnx import surrogate, utils


def test_readme_quickstart_runs_unchanged_but_for_imports():
    torch.manual_seed(0)
    num_steps, batch_size = 25, 4
    data = torch.rand(num_steps, batch_size, 1, 28, 28)

    # --- the quickstart, as snnTorch users write it ---
    beta = 0.5
    spike_grad = surrogate.fast_sigmoid()
    net = nn.Sequential(
        nn.Conv2d(1, 8, 5),
        nn.MaxPool2d(2),
        snn.Leaky(beta=beta, init_hidden=True, spike_grad=spike_grad),
        nn.Conv2d(8, 16, 5),
        nn.MaxPool2d(2),
        snn.Leaky(beta=beta, init_hidden=True, spike_grad=spike_grad),
        nn.Flatten(),
        nn.Linear(16 * 4 * 4, 10),
        snn.Leaky(beta=beta, init_hidden=True, spike_grad=spike_grad, output=True),
    )
    spk_rec = []
    utils.reset(net)
    for step in range(num_steps):
        spike, state = net(data[step])
        spk_rec.append(spike)
    # --- end of quickstart ---

    spk_rec = torch.stack(spk_rec)
    assert spk_rec.shape == (num_steps, batch_size, 10) and state.shape == (batch_size, 10)
    assert set(spk_rec.unique().tolist()) <= {0.0, 1.0}
    spk_rec.sum().backward()
    assert net[0].weight.grad is not None and net[0].weight.grad.abs().sum() > 0
