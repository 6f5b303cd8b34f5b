"""The compiled CPU scans: same numbers as the tensor-operation scans, fallbacks that say why."""

from __future__ import annotations

import shutil

import pytest
import torch

import snnx
from snnx import surrogate
from snnx.cli.info import info_lines
from snnx_torch.fused import native
from snnx_torch.fused.common import derivative_fn
from snnx_torch.fused.native.scans import NativeMembraneScan, decay_usable, membrane_usable
from snnx_torch.fused.scan import MembraneRule, membrane_scan
from snnx_torch.neurons import Lapicque, Leaky, Synaptic


def _needs_library() -> None:
    if native.library() is None:
        pytest.skip(f"the compiled CPU scans are unavailable here: {native.status()}")


@pytest.fixture
def fresh_loader(monkeypatch, tmp_path):
    """An empty build cache and a forgotten library, restored (forgotten again) afterwards."""
    monkeypatch.setenv("SNNX_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("SNNX_NATIVE_KERNELS", raising=False)
    native._load.cache_clear()
    yield tmp_path
    native._load.cache_clear()


def _grads(make, x, record: bool, loss_on_state: bool):
    neuron = make()
    x = x.clone().requires_grad_(True)
    spk, *states = neuron.forward_sequence(x, record_states=record)
    last = [state if not record else state[-1] for state in states]
    weights = torch.linspace(-1, 1, spk[0].numel(), dtype=x.dtype).reshape(spk.shape[1:])
    loss = (spk * weights).sum() + (sum((state * weights).sum() for state in last) if loss_on_state else 0)
    params = [p for _, p in sorted(neuron.named_parameters())]
    grads = torch.autograd.grad(loss, [x, *params])
    return spk.detach(), [state.detach() for state in last], grads


NEURONS = {
    "leaky-subtract": lambda: Leaky(beta=0.8, learn_beta=True, learn_threshold=True),
    "leaky-zero-same-step": lambda: Leaky(
        beta=0.8, reset_mechanism="zero", reset_delay=False, learn_beta=True, learn_threshold=True
    ),
    "leaky-subtract-same-step": lambda: Leaky(
        beta=torch.linspace(0.5, 0.95, 7), reset_delay=False, learn_beta=True, learn_graded_spikes_factor=True
    ),
    "synaptic-zero": lambda: Synaptic(alpha=0.7, beta=0.8, reset_mechanism="zero", learn_beta=True),
    "lapicque": lambda: Lapicque(beta=0.9, learn_threshold=True, spike_grad=surrogate.fast_sigmoid()),
}


@pytest.mark.usefixtures("scan_implementation")
@pytest.mark.parametrize("loss_on_state", [False, True])
@pytest.mark.parametrize("name", NEURONS)
def test_last_state_only_equals_recorded_run(name, loss_on_state):
    """``record_states=False`` (no saved membrane sequence, recomputed in backward) changes no number."""
    x = torch.randn(30, 3, 7, generator=torch.Generator().manual_seed(0), dtype=torch.float64) + 0.4
    spk_r, last_r, grads_r = _grads(NEURONS[name], x, True, loss_on_state)
    spk_l, last_l, grads_l = _grads(NEURONS[name], x, False, loss_on_state)
    assert torch.equal(spk_r, spk_l)
    for a, b in zip(last_r, last_l, strict=True):
        assert torch.equal(a, b)
    for a, b in zip(grads_r, grads_l, strict=True):
        torch.testing.assert_close(a, b, rtol=1e-12, atol=1e-12)


def _scan(x, mem0, beta, threshold, factor, rule, derivative, record, compiled: bool, monkeypatch):
    monkeypatch.setenv("SNNX_NATIVE_KERNELS", "1" if compiled else "0")
    leaves = [t.clone().requires_grad_(True) for t in (x, mem0, beta, threshold, factor)]
    spk, mem = membrane_scan(*leaves, rule, derivative, record=record)
    (spk.sum() + (mem * 0.5).sum()).backward()  # a broadcast gradient into spk, a dense one into mem
    return spk.detach(), mem.detach(), [leaf.grad for leaf in leaves]


@pytest.mark.parametrize("record", [True, False])
@pytest.mark.parametrize(
    ("steps", "neurons"),
    [(9, 3 * 512 + 37), (2500, 20)],  # several threads and a ragged last block; long sequences (small blocks)
)
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_compiled_scan_equals_tensor_ops(monkeypatch, dtype, steps, neurons, record):
    _needs_library()
    torch.manual_seed(3)
    x = torch.randn(steps, 2, neurons, dtype=dtype) * 0.6 + 0.3
    mem0 = torch.randn(2, neurons, dtype=dtype) * 0.5
    beta = torch.rand(neurons, dtype=dtype) * 0.4 + 0.55
    threshold, factor = torch.tensor(0.9, dtype=dtype), torch.tensor(1.5, dtype=dtype)
    derivative = derivative_fn(Leaky(beta=0.5, spike_grad=surrogate.atan())._spike)
    rule = MembraneRule("subtract")
    before = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        compiled = _scan(x, mem0, beta, threshold, factor, rule, derivative, record, True, monkeypatch)
        reference = _scan(x, mem0, beta, threshold, factor, rule, derivative, record, False, monkeypatch)
    finally:
        torch.set_num_threads(before)
    assert torch.equal(compiled[0], reference[0])
    assert torch.equal(compiled[1], reference[1])
    tolerance = {"rtol": 1e-10, "atol": 1e-10} if dtype == torch.float64 else {"rtol": 1e-4, "atol": 1e-3}
    for a, b in zip(compiled[2], reference[2], strict=True):
        torch.testing.assert_close(a, b, **tolerance)


def test_when_the_compiled_scans_apply():
    _needs_library()
    x = torch.randn(4, 2, 3)
    derivative = derivative_fn(Leaky(beta=0.5)._spike)
    params = (torch.zeros(2, 3), torch.tensor(0.9), torch.tensor(1.0), torch.tensor(1.0))
    assert membrane_usable(x, params, derivative)
    assert decay_usable(x, params[:2])
    assert not membrane_usable(x.half(), tuple(p.half() for p in params), derivative)  # float16: no C++ loop
    assert not membrane_usable(x, (params[0].double(), *params[1:]), derivative)  # mixed dtypes
    assert not membrane_usable(x[:, :1], params, derivative)  # input smaller than the state
    custom = derivative_fn(Leaky(beta=0.5, spike_grad=surrogate.custom_surrogate(lambda u, g, s: g))._spike)
    assert custom is None  # a custom gradient never reaches a fused kernel
    calls = []
    original = NativeMembraneScan.apply
    try:
        NativeMembraneScan.apply = lambda *args: calls.append(args) or original(*args)
        Leaky(beta=0.9).forward_sequence(x)
    finally:
        NativeMembraneScan.apply = original
    assert len(calls) == 1


def test_no_compiler_falls_back_and_says_why(fresh_loader, monkeypatch):
    monkeypatch.setenv("CXX", str(fresh_loader / "no-such-compiler"))
    assert native.library() is None
    assert "no C++ compiler" in native.status()
    x = torch.randn(12, 2, 4)
    fused = Leaky(beta=0.8).forward_sequence(x)
    loop = Leaky(beta=0.8)._step_loop(x, ())
    assert all(torch.equal(a, b) for a, b in zip(fused, loop, strict=True))


def test_failed_build_warns_and_falls_back(fresh_loader, monkeypatch):
    failing = shutil.which("false")
    if failing is None:
        pytest.skip("no `false` command to stand in for a broken compiler")
    monkeypatch.setenv("CXX", failing)
    with pytest.warns(RuntimeWarning, match="compiled CPU scans are unavailable"):
        assert native.library() is None
    assert "failed" in native.status()
    assert not list((fresh_loader / "cache").glob("*.so"))  # no half-built library left behind


def test_disabled_by_environment(monkeypatch):
    monkeypatch.setenv("SNNX_NATIVE_KERNELS", "0")
    assert native.library() is None
    assert "SNNX_NATIVE_KERNELS=0" in native.status()


def test_builds_into_the_cache_and_reuses_it(fresh_loader):
    if shutil.which("c++") is None:
        pytest.skip("no C++ compiler (c++) on this machine")
    assert "compiled on first use" in native.status()
    assert native.library() is not None
    built = list((fresh_loader / "cache").glob("snnx_scan_*.so"))
    assert len(built) == 1
    native._load.cache_clear()
    assert native.status() == f"CPU scans: compiled ({built[0]})"  # found, not rebuilt


def test_info_reports_the_cpu_scans():
    with snnx.use("torch"):
        lines = info_lines()
    assert any("CPU scans:" in line for line in lines)
    assert any("Triton kernels:" in line for line in lines)
