"""snnx -> NIR file -> snnx gives back the same network: equal parameters, spikes and membranes."""

from __future__ import annotations

from pathlib import Path

import nir
import pytest
import torch
from torch import nn

import snnx as snn
from snnx_nir.errors import NIRMappingError
from snnx_nir.torch_export import export_to_nir
from snnx_nir.torch_import import ImportedGraph, NeuronStep, import_from_nir

STEPS = 30


def _round_trip(net: nn.Module, sample: torch.Tensor, tmp_path: Path, **kwargs) -> ImportedGraph:
    path = tmp_path / "net.nir"
    nir.write(str(path), export_to_nir(net, sample, **kwargs))
    return import_from_nir(path)


def _original_neurons(net: nn.Module) -> list[nn.Module]:
    from snnx_torch.neurons import SpikingNeuron

    return [m for m in net.modules() if isinstance(m, SpikingNeuron)]


def _assert_same(net: nn.Module, imported: ImportedGraph, x: torch.Tensor) -> int:
    """Step both networks; spikes, membranes and parameters must be exactly equal. Returns spike count."""
    originals = _original_neurons(net)
    copies = [m.neuron for m in imported.modules() if isinstance(m, NeuronStep)]
    assert [type(m).__name__ for m in originals] == [type(m).__name__ for m in copies]
    for original, copy in zip(originals, copies):
        assert original.reset_mechanism == copy.reset_mechanism
        assert original.step_config().get("reset_delay") == copy.step_config().get("reset_delay")
        ours, theirs = original.state_dict(), copy.state_dict()
        assert set(ours) == set(theirs)
        for key in ours:
            assert torch.equal(ours[key], theirs[key]), key
    snn.utils.reset(net)
    snn.utils.reset(imported)
    spikes = 0
    with torch.no_grad():
        for x_t in x:
            expected = net(x_t)
            got, state = imported(x_t)
            if isinstance(expected, tuple):  # output=True: the imported graph outputs the membrane
                assert torch.equal(expected[1], got)
            else:
                assert torch.equal(expected, got)
                spikes += int(expected.sum())
            for original, copy in zip(originals, copies):
                assert torch.equal(original.mem, copy.mem)
            assert set(state) == {name for name, m in imported.nodes.items() if isinstance(m, NeuronStep)}
    return spikes


def _input(*shape: int) -> torch.Tensor:
    return torch.rand(STEPS, *shape, generator=torch.Generator().manual_seed(1)) * 2


@pytest.mark.parametrize("reset", ["subtract", "zero"])
@pytest.mark.parametrize("delay", [True, False])
def test_leaky_round_trip(tmp_path: Path, reset: str, delay: bool) -> None:
    torch.manual_seed(0)
    lif = snn.Leaky(
        beta=torch.tensor([0.5, 0.7, 0.8, 0.9, 0.95]),
        threshold=0.8,
        init_hidden=True,
        reset_mechanism=reset,
        reset_delay=delay,
    )
    net = nn.Sequential(nn.Linear(4, 5), lif)
    imported = _round_trip(net, torch.rand(2, 4), tmp_path)
    assert _assert_same(net, imported, _input(2, 4)) > 0


def test_leaky_none_output_becomes_li(tmp_path: Path) -> None:
    torch.manual_seed(0)
    net = nn.Sequential(
        nn.Linear(4, 3), snn.Leaky(beta=0.9, init_hidden=True, reset_mechanism="none", output=True)
    )
    graph = export_to_nir(net, torch.rand(2, 4))
    assert isinstance(graph.nodes["1"], nir.LI)
    _assert_same(net, _round_trip(net, torch.rand(2, 4), tmp_path), _input(2, 4))


def test_leaky_beta_one_becomes_if(tmp_path: Path) -> None:
    torch.manual_seed(0)
    net = nn.Sequential(
        nn.Linear(4, 3), snn.Leaky(beta=1.0, threshold=2.0, init_hidden=True, reset_mechanism="zero")
    )
    assert isinstance(export_to_nir(net, torch.rand(2, 4)).nodes["1"], nir.IF)
    assert _assert_same(net, _round_trip(net, torch.rand(2, 4), tmp_path), _input(2, 4)) > 0


def test_lapicque_round_trip(tmp_path: Path) -> None:
    torch.manual_seed(0)
    net = nn.Sequential(nn.Linear(4, 3), snn.Lapicque(R=2.0, C=2**-10, time_step=1e-4, init_hidden=True))
    imported = _round_trip(net, torch.rand(2, 4), tmp_path)
    assert _assert_same(net, imported, _input(2, 4) * 10) > 0


@pytest.mark.parametrize("reset", ["subtract", "zero"])
def test_synaptic_round_trip(tmp_path: Path, reset: str) -> None:
    torch.manual_seed(0)
    net = nn.Sequential(
        nn.Linear(4, 5), snn.Synaptic(alpha=0.6, beta=0.85, init_hidden=True, reset_mechanism=reset)
    )
    assert _assert_same(net, _round_trip(net, torch.rand(2, 4), tmp_path), _input(2, 4)) > 0


@pytest.mark.parametrize("bias", [True, False])
def test_rleaky_all_to_all_round_trip(tmp_path: Path, bias: bool) -> None:
    torch.manual_seed(0)
    rlif = snn.RLeaky(beta=0.9, linear_features=5, init_hidden=True, reset_mechanism="zero")
    if not bias:
        with torch.no_grad():
            rlif.recurrent.bias.zero_()
    net = nn.Sequential(nn.Linear(4, 5), rlif)
    graph = export_to_nir(net, torch.rand(2, 4))
    assert isinstance(graph.nodes["1"], nir.NIRGraph)
    assert set(graph.nodes["1"].nodes) == {"input", "lif", "w_rec", "output"}
    assert _assert_same(net, _round_trip(net, torch.rand(2, 4), tmp_path), _input(2, 4)) > 0


def test_rleaky_one_to_one_round_trip(tmp_path: Path) -> None:
    torch.manual_seed(0)
    rlif = snn.RLeaky(
        beta=0.8, all_to_all=False, V=torch.tensor([0.5, -0.2, 0.1, 0.3, 0.0]), init_hidden=True
    )
    net = nn.Sequential(nn.Linear(4, 5), rlif)
    imported = _round_trip(net, torch.rand(2, 4), tmp_path)
    assert imported.nodes["1"].neuron.all_to_all is False
    assert _assert_same(net, imported, _input(2, 4)) > 0


def test_rsynaptic_round_trip(tmp_path: Path) -> None:
    torch.manual_seed(0)
    net = nn.Sequential(
        nn.Linear(4, 6), snn.RSynaptic(alpha=0.5, beta=0.9, linear_features=6, init_hidden=True)
    )
    assert _assert_same(net, _round_trip(net, torch.rand(2, 4), tmp_path), _input(2, 4)) > 0


def test_conv_net_round_trip_keeps_reset_and_dt(tmp_path: Path) -> None:
    torch.manual_seed(0)
    net = nn.Sequential(
        nn.Conv2d(1, 4, 3, padding=1),
        nn.AvgPool2d(2),
        snn.Leaky(beta=0.8, threshold=0.3, init_hidden=True, reset_mechanism="zero"),
        nn.Flatten(),
        nn.Linear(64, 3),
        snn.Leaky(beta=0.7, threshold=0.2, init_hidden=True),
    )
    path = tmp_path / "conv.nir"
    nir.write(str(path), export_to_nir(net, torch.rand(2, 1, 8, 8), dt=1e-3))
    graph = nir.read(str(path))
    assert graph.metadata["snnx_dt"] == 1e-3
    assert graph.nodes["3"].start_dim == 0
    imported = import_from_nir(path)
    assert _assert_same(net, imported, _input(2, 1, 8, 8) * 3) > 0


def test_imported_graph_runs_with_snnx_run_and_resets(tmp_path: Path) -> None:
    torch.manual_seed(0)
    net = nn.Sequential(nn.Linear(4, 5), snn.Leaky(beta=0.9, init_hidden=True))
    imported = _round_trip(net, torch.rand(2, 4), tmp_path)
    x = _input(2, 4)
    with torch.no_grad():
        expected = snn.run(net, x)
        first = snn.run(imported.outputs_only(), x)
        assert torch.equal(first, expected)
        imported(x[0])
        snn.utils.reset(imported)
        assert imported.nodes["1"].neuron.mem.numel() == 0


@pytest.mark.parametrize(
    "neuron",
    [
        lambda: snn.SLSTM(4, 4, init_hidden=True),
        lambda: snn.Leaky(beta=0.9, inhibition=True, init_hidden=True),
        lambda: snn.Leaky(beta=0.9, graded_spikes_factor=2.0, init_hidden=True),
    ],
)
def test_unexportable_modules_raise_naming_the_module(neuron) -> None:
    net = nn.Sequential(nn.Linear(4, 4), neuron())
    with pytest.raises(NIRMappingError, match="'1'"):
        export_to_nir(net, torch.rand(2, 4))
