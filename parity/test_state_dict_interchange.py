"""A network saved by snnTorch 1.0 loads into the same network written with snnx, and back."""

from __future__ import annotations

import io

import snntorch
import torch
from torch import nn

import snnx


def _network(lib):
    """The same layered network written against either library's neuron classes."""
    return nn.Sequential(
        nn.Linear(8, 6),
        lib.Leaky(beta=0.8, learn_beta=True, init_hidden=True),
        nn.Linear(6, 6),
        lib.Synaptic(alpha=0.7, beta=0.9, learn_threshold=True, init_hidden=True),
        lib.RLeaky(beta=0.85, linear_features=6, init_hidden=True),
        lib.RSynaptic(alpha=0.6, beta=0.9, all_to_all=False, V=0.3, init_hidden=True),
        lib.Alpha(alpha=0.9, beta=0.8, init_hidden=True),
        lib.Lapicque(R=2.0, C=1.5, init_hidden=True),
        lib.SLSTM(6, 6, init_hidden=True, threshold=0.05),
        nn.Linear(6, 3),
        lib.Leaky(beta=0.9, init_hidden=True, output=True),
    )


def _run(net, inputs):
    for module in net.modules():
        if hasattr(module, "reset_hidden") and hasattr(module, "init_hidden"):
            getattr(module, "reset_mem", lambda: None)()
    return torch.stack([torch.cat(net(x), dim=-1) for x in inputs])


def test_snntorch_file_loads_into_snnx_and_gives_the_same_outputs(parity):
    torch.manual_seed(3)
    theirs = _network(snntorch)
    with torch.no_grad():
        for parameter in theirs.parameters():
            parameter.add_(torch.randn_like(parameter) * 0.1)  # not just the initial values
    buffer = io.BytesIO()
    torch.save(theirs.state_dict(), buffer)
    buffer.seek(0)
    ours = _network(snnx)
    ours.load_state_dict(torch.load(buffer), strict=True)
    assert set(ours.state_dict()) == set(theirs.state_dict())
    inputs = torch.rand(25, 5, 8) * 2
    parity.compare(
        "snnTorch state_dict -> snnx network",
        "outputs over 25 steps",
        _run(ours, inputs),
        _run(theirs, inputs),
    )


def test_snnx_file_loads_into_snntorch():
    ours = _network(snnx)
    theirs = _network(snntorch)
    theirs.load_state_dict(ours.state_dict(), strict=True)
    for name, value in theirs.state_dict().items():
        torch.testing.assert_close(value, ours.state_dict()[name], msg=name)
