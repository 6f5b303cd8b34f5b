"""The real thing: a small SNN trained a few steps on the IPU Model through the real poptorch.

Runs only where the Graphcore Poplar SDK's poptorch imports (the ``ipu`` nox
session on such a machine); everywhere else it skips, saying so. No stand-in here.
"""

from __future__ import annotations

import importlib

import pytest
import torch
from torch import nn

try:
    importlib.import_module("poptorch")
except Exception:  # not installed, or an SDK whose libraries do not load here
    pytest.skip("poptorch (Graphcore Poplar SDK) is not installed", allow_module_level=True)

from snnx.specs.leaky import LeakySpec
from snnx_ipu.backend import IPUBackend
from snnx_ipu.models import inference_model, training_model
from snnx_ipu.options import options

STEPS, BATCH, FEATURES, CLASSES = 8, 16, 10, 2


def task() -> tuple[torch.Tensor, torch.Tensor]:
    """Two classes of Poisson spike trains, told apart by which half of the inputs fires more."""
    generator = torch.Generator().manual_seed(0)
    labels = torch.arange(BATCH) % CLASSES
    rates = torch.full((BATCH, FEATURES), 0.1)
    half = FEATURES // 2
    rates[labels == 0, :half] = 0.8
    rates[labels == 1, half:] = 0.8
    x = (torch.rand(STEPS, BATCH, FEATURES, generator=generator) < rates).float()
    return x, labels


def count_loss(recorded, labels):
    """Cross-entropy of the output spike counts."""
    spk, _ = recorded
    return nn.functional.cross_entropy(spk.sum(0), labels)


def test_loss_falls_on_the_ipu_model(monkeypatch):
    monkeypatch.setenv("POPTORCH_IPU_MODEL", "1")
    leaky = IPUBackend().neuron_class(LeakySpec)
    torch.manual_seed(0)
    net = nn.Sequential(
        nn.Linear(FEATURES, 16),
        leaky(beta=0.9, threshold=0.5, init_hidden=True),
        nn.Linear(16, CLASSES),
        leaky(beta=0.9, threshold=0.5, init_hidden=True, output=True),
    )
    x, labels = task()
    optimizer = torch.optim.Adam(net.parameters(), lr=0.02)
    model = training_model(net, optimizer, count_loss, options(ipu_model=True, seed=0))
    losses = [float(model(x, labels)[1].mean()) for _ in range(12)]
    model.detachFromDevice()
    assert losses[-1] < losses[0], losses

    evaluate = inference_model(net, options(ipu_model=True))
    spk, mem = evaluate(x)
    assert spk.shape == mem.shape == (STEPS, BATCH, CLASSES)
    assert set(spk.unique().tolist()) <= {0.0, 1.0}
