"""The NumPy runner simulates the same plan as the torch import."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

import snnx as snn
from snnx_nir.numpy_run import run_graph
from snnx_nir.torch_export import export_to_nir
from snnx_nir.torch_import import import_from_nir


def _agree(net: nn.Module, sample: torch.Tensor, scale: float) -> None:
    graph = export_to_nir(net, sample)
    x = (np.random.default_rng(0).random((20, *sample.shape)) * scale).astype(np.float32)
    records = run_graph(graph, x)
    with torch.no_grad():
        out = snn.run(import_from_nir(graph).outputs_only(), torch.from_numpy(x)).numpy()
    assert set(records) >= {"input", "output", *graph.nodes}
    np.testing.assert_allclose(records["output"], out, rtol=1e-5, atol=1e-5)
    assert np.abs(out).sum() > 0


def test_conv_net_agrees() -> None:
    torch.manual_seed(0)
    net = nn.Sequential(
        nn.Conv2d(2, 4, 3, padding=1, dilation=1),
        nn.AvgPool2d(2),
        snn.Leaky(beta=0.8, threshold=0.2, init_hidden=True),
        nn.Flatten(),
        nn.Linear(64, 3),
        snn.Synaptic(alpha=0.5, beta=0.7, threshold=0.1, init_hidden=True, reset_mechanism="zero"),
    )
    _agree(net, torch.rand(2, 2, 8, 8), 3.0)


@pytest.mark.parametrize(
    "neuron",
    [
        lambda: snn.Lapicque(R=2.0, C=2e-4, time_step=1e-4, threshold=0.3, init_hidden=True),
        lambda: snn.RLeaky(beta=0.9, linear_features=3, threshold=0.5, init_hidden=True),
        lambda: snn.Leaky(beta=0.9, reset_mechanism="none", output=True, init_hidden=True),
    ],
)
def test_neurons_agree(neuron) -> None:
    torch.manual_seed(0)
    _agree(nn.Sequential(nn.Linear(4, 3), neuron()), torch.rand(2, 4), 2.0)
