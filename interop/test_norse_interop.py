"""snnx and Norse 1.1 exchange NIR files: each tool's import spikes like the other tool's net.

How Norse 1.1 reads and writes NIR decides which nets can agree (see README.md here):

* ``norse.torch.from_nir`` builds a ``LIFBoxCell`` for a NIR ``LIF`` and ignores ``r``
  (it integrates ``dv = dt/tau (v_leak - v + I)``, i.e. assumes ``r == 1``), so an snnx
  ``Leaky`` (written with ``r = tau/dt``) would get its input scaled by ``1 - beta``. A NIR
  ``CubaLIF`` becomes ``w_in``, a box synapse ``di = dt/tau_syn (x - i)``, ``r`` and a box LIF:
  all of ``w_in``, ``r`` and both time constants are honoured, so snnx ``Synaptic`` goes to
  Norse as a CubaLIF, and the one-pool integrate-and-fire neuron (snnx ``Leaky(beta=1)``,
  NIR ``IF``, Norse ``IAFCell``: ``v += I``) needs no scaling at all.
* Norse resets at the step of the spike, like NIR; the snnx nets do too (``reset_delay=False``).
* ``norse.torch.to_nir(..., dt=dt)`` writes ``tau = dt / tau_mem_inv``: the time constant in
  seconds only when ``dt = 1``. The Norse nets therefore run with their own step ``DT`` and are
  exported with ``dt=1.0``; snnx reads them with ``dt=DT``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import nir
import pytest
import torch

norse = pytest.importorskip(
    "norse.torch", reason="the Norse interop tests need norse==1.1.0; run them with `nox -s interop`"
)
from norse.torch.functional.reset import reset_subtract, reset_value  # noqa: E402
from norse.torch.module.iaf import IAFCell, IAFParameters  # noqa: E402
from norse.torch.module.lif_box import LIFBoxCell, LIFBoxParameters  # noqa: E402

import snnx  # noqa: E402
import snnx.nir  # noqa: E402
from snnx.import_nir import import_from_nir  # noqa: E402

IN, HIDDEN = 6, 5
THRESHOLD = 0.5
DT = 1e-3
"""Norse's own default step; the snnx nets are exported with this ``dt``."""

NORSE_RESET = {"zero": reset_value, "subtract": reset_subtract}


def snnx_net(kind: str, reset_mechanism: str) -> torch.nn.Module:
    torch.manual_seed(3)
    neuron_kw = dict(
        threshold=THRESHOLD, reset_mechanism=reset_mechanism, reset_delay=False, init_hidden=True, output=True
    )
    if kind == "synaptic":
        neuron = snnx.Synaptic(alpha=0.6, beta=0.85, **neuron_kw)
    elif kind == "if":
        neuron = snnx.Leaky(beta=1.0, **neuron_kw)
    else:
        raise AssertionError(kind)
    return torch.nn.Sequential(torch.nn.Linear(IN, HIDDEN), neuron)


@pytest.mark.parametrize(
    ("kind", "reset_mechanism"), [("synaptic", "zero"), ("synaptic", "subtract"), ("if", "zero")]
)
def test_snnx_file_runs_the_same_in_norse(
    kind: str,
    reset_mechanism: str,
    nir_path: Path,
    input_spikes: Callable,
    assert_same_spikes: Callable,
    run_sequential: Callable,
    run_with_state: Callable,
) -> None:
    net = snnx_net(kind, reset_mechanism)
    snnx.nir.save(net, nir_path, torch.zeros(1, IN), dt=DT, ignore_dims=[0])

    # A NIR file cannot say "reset by subtraction"; Norse's caller can, for CubaLIF nodes.
    theirs = norse.from_nir(nir.read(nir_path), dt=DT, reset_method=NORSE_RESET[reset_mechanism])

    x = input_spikes(IN, seed=40)
    expected = run_sequential(net, x, snnx.utils.reset)
    assert_same_spikes(
        run_with_state(theirs, x), expected, f"snnx {kind} ({reset_mechanism}) -> file -> Norse"
    )


def norse_net(kind: str) -> torch.nn.Module:
    torch.manual_seed(4)
    if kind == "lif_box":
        # tau_mem_inv of 100/s at DT = 1 ms: the membrane keeps 0.9 of itself per step and gains
        # 0.1 of the input (Norse's box LIF is a NIR LIF with r = 1).
        tau_mem_inv = torch.linspace(80.0, 120.0, HIDDEN)
        parameters = LIFBoxParameters(
            tau_mem_inv=tau_mem_inv, v_th=torch.full((HIDDEN,), 0.1), v_leak=torch.zeros(HIDDEN)
        )
        neuron = LIFBoxCell(parameters, dt=DT)
    elif kind == "iaf":
        neuron = IAFCell(IAFParameters(v_th=torch.full((HIDDEN,), THRESHOLD)), dt=DT)
    else:
        raise AssertionError(kind)
    return norse.SequentialState(torch.nn.Linear(IN, HIDDEN), neuron)


@pytest.mark.parametrize("kind", ["lif_box", "iaf"])
def test_norse_file_runs_the_same_in_snnx(
    kind: str,
    nir_path: Path,
    input_spikes: Callable,
    assert_same_spikes: Callable,
    run_with_state: Callable,
) -> None:
    net = norse_net(kind)
    # One unbatched sample: Norse writes the sample's shape as the graph's input type.
    nir.write(nir_path, norse.to_nir(net, torch.zeros(IN), dt=1.0))

    ours = snnx.nir.load(nir_path, dt=DT)

    x = input_spikes(IN, seed=50)
    expected = run_with_state(net, x)
    assert_same_spikes(run_with_state(ours, x), expected, f"Norse {kind} -> file -> snnx")


def test_norse_file_imports_through_the_snntorch_style_entry_point(
    nir_path: Path, input_spikes: Callable, assert_same_spikes: Callable, run_with_state: Callable
) -> None:
    """``import_from_nir(path, dt=...)`` reads Norse's file as ``snnx.nir.load`` does."""
    net = norse_net("lif_box")
    nir.write(nir_path, norse.to_nir(net, torch.zeros(IN), dt=1.0))

    ours = import_from_nir(str(nir_path), dt=DT)

    x = input_spikes(IN, seed=60, rate=0.5)
    assert_same_spikes(run_with_state(ours, x), run_with_state(net, x), "Norse lif_box -> file -> snnx")
