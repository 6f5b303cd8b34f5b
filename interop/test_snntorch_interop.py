"""snnx and snnTorch 1.0 exchange NIR files: each tool's import spikes like the other tool's net.

What snnTorch 1.0 can express decides the nets (see README.md here):

* its importer always builds neurons that reset to zero at the step they fire
  (``reset_mechanism="zero", reset_delay=False``), which is also what a NIR LIF means, so the
  nets written for snnTorch use that reset;
* its exporter needs per-neuron ``beta``/``alpha``/``threshold`` tensors (scalars give
  NIR nodes whose shapes nir 1.0 rejects), so nets built in snnTorch use them;
* nirtorch 2.6, which runs snnTorch's imported graphs, feeds zero (not ``w_rec(0)``) around a
  recurrent loop at the first step, so a recurrent layer sent to snnTorch has a zero bias.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import nir
import pytest
import torch

snntorch = pytest.importorskip(
    "snntorch", reason="the snnTorch interop tests need snntorch==1.0.0; run them with `nox -s interop`"
)
from snntorch import utils as snntorch_utils  # noqa: E402
from snntorch.export_nir import export_to_nir as snntorch_export  # noqa: E402
from snntorch.import_nir import import_from_nir as snntorch_import  # noqa: E402

import snnx  # noqa: E402
from snnx.export_nir import export_to_nir  # noqa: E402
from snnx.import_nir import import_from_nir  # noqa: E402

IN, HIDDEN, OUT = 6, 8, 4
THRESHOLD = 0.5
NIR_RESET = {"reset_mechanism": "zero", "reset_delay": False}
"""Reset to zero in the step of the spike: a NIR LIF's reset, and what snnTorch's importer builds."""

KINDS = ["leaky", "synaptic", "rleaky", "rleaky_one_to_one"]


def snnx_net(kind: str) -> torch.nn.Module:
    """A small snnx net of ``kind``, with the reset a NIR file can carry to snnTorch."""
    torch.manual_seed(1)
    hidden = dict(init_hidden=True, threshold=THRESHOLD, **NIR_RESET)
    if kind == "leaky":
        return torch.nn.Sequential(
            torch.nn.Linear(IN, HIDDEN),
            snnx.Leaky(beta=0.9, **hidden),
            torch.nn.Linear(HIDDEN, OUT),
            snnx.Leaky(beta=0.8, output=True, **hidden),
        )
    if kind == "synaptic":
        return torch.nn.Sequential(
            torch.nn.Linear(IN, HIDDEN), snnx.Synaptic(alpha=0.6, beta=0.85, output=True, **hidden)
        )
    if kind == "rleaky":
        neuron = snnx.RLeaky(beta=0.9, linear_features=HIDDEN, output=True, **hidden)
        with torch.no_grad():
            neuron.recurrent.bias.zero_()  # nirtorch 2.6 starts the loop at zero, not at the bias
        return torch.nn.Sequential(torch.nn.Linear(IN, HIDDEN), neuron)
    if kind == "rleaky_one_to_one":
        v = torch.linspace(-0.4, 0.6, HIDDEN)
        neuron = snnx.RLeaky(beta=0.9, all_to_all=False, V=v, output=True, **hidden)
        return torch.nn.Sequential(torch.nn.Linear(IN, HIDDEN), neuron)
    raise AssertionError(kind)


def snntorch_net(kind: str, reset_mechanism: str = "zero") -> torch.nn.Module:
    """The same kinds of net built in snnTorch, with the per-neuron tensors its exporter needs."""
    torch.manual_seed(2)
    snn = snntorch

    def hidden(n: int) -> dict:
        return dict(
            init_hidden=True,
            threshold=torch.full((n,), THRESHOLD),
            reset_mechanism=reset_mechanism,
            reset_delay=False,
        )

    if kind == "leaky":
        return torch.nn.Sequential(
            torch.nn.Linear(IN, HIDDEN),
            snn.Leaky(beta=torch.full((HIDDEN,), 0.9), **hidden(HIDDEN)),
            torch.nn.Linear(HIDDEN, OUT),
            snn.Leaky(beta=torch.linspace(0.7, 0.95, OUT), output=True, **hidden(OUT)),
        )
    if kind == "synaptic":
        neuron = snn.Synaptic(
            alpha=torch.full((HIDDEN,), 0.6), beta=torch.full((HIDDEN,), 0.85), output=True, **hidden(HIDDEN)
        )
        return torch.nn.Sequential(torch.nn.Linear(IN, HIDDEN), neuron)
    if kind == "rleaky":
        # The recurrent layer keeps its random bias: snnTorch adds it from the first step on.
        neuron = snn.RLeaky(
            beta=torch.full((HIDDEN,), 0.9), linear_features=HIDDEN, output=True, **hidden(HIDDEN)
        )
        return torch.nn.Sequential(torch.nn.Linear(IN, HIDDEN), neuron)
    if kind == "rleaky_one_to_one":
        v = torch.linspace(-0.4, 0.6, HIDDEN)
        neuron = snn.RLeaky(
            beta=torch.full((HIDDEN,), 0.9), all_to_all=False, V=v, output=True, **hidden(HIDDEN)
        )
        return torch.nn.Sequential(torch.nn.Linear(IN, HIDDEN), neuron)
    raise AssertionError(kind)


@pytest.mark.parametrize("kind", KINDS)
def test_snnx_file_runs_the_same_in_snntorch(
    kind: str,
    nir_path: Path,
    input_spikes: Callable,
    assert_same_spikes: Callable,
    run_sequential: Callable,
    run_with_state: Callable,
) -> None:
    net = snnx_net(kind)
    nir.write(nir_path, export_to_nir(net, torch.zeros(1, IN), ignore_dims=[0]))

    theirs = snntorch_import(nir.read(nir_path))

    x = input_spikes(IN, seed=10)
    expected = run_sequential(net, x, snnx.utils.reset)
    assert_same_spikes(run_with_state(theirs, x), expected, f"snnx {kind} -> file -> snnTorch")


@pytest.mark.parametrize("kind", KINDS)
def test_snntorch_file_runs_the_same_in_snnx(
    kind: str,
    nir_path: Path,
    input_spikes: Callable,
    assert_same_spikes: Callable,
    run_sequential: Callable,
    run_with_state: Callable,
) -> None:
    net = snntorch_net(kind)
    nir.write(nir_path, snntorch_export(net, torch.zeros(1, IN), ignore_dims=[0]))

    ours = import_from_nir(str(nir_path))

    x = input_spikes(IN, seed=20)
    expected = run_sequential(net, x, snntorch_utils.reset)
    assert_same_spikes(run_with_state(ours, x), expected, f"snnTorch {kind} -> file -> snnx")


def test_snntorch_file_with_subtract_reset_imports_with_the_callers_reset(
    nir_path: Path,
    input_spikes: Callable,
    assert_same_spikes: Callable,
    run_sequential: Callable,
    run_with_state: Callable,
) -> None:
    """NIR has no reset by subtraction: snnTorch's file cannot say it, the caller of the import can."""
    net = snntorch_net("leaky", reset_mechanism="subtract")
    nir.write(nir_path, snntorch_export(net, torch.zeros(1, IN), ignore_dims=[0]))

    ours = import_from_nir(str(nir_path), reset_mechanism="subtract")

    x = input_spikes(IN, seed=30, rate=0.5)
    expected = run_sequential(net, x, snntorch_utils.reset)
    assert_same_spikes(run_with_state(ours, x), expected, "snnTorch leaky (subtract) -> file -> snnx")
