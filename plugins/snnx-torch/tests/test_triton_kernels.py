"""Triton Leaky/Synaptic kernels against the step loop: spikes, states and gradients.

They run on CUDA, or on CPU under ``TRITON_INTERPRET=1`` (``nox -s triton``); sizes
are small so the interpreter stays fast.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys

import pytest
import torch

import snnx
from snnx import surrogate
from snnx_torch.fused import triton_kernels
from snnx_torch.fused.common import derivative_fn
from snnx_torch.fused.triton_kernels import interpreting, leaky_triton, synaptic_triton, use_triton

HAS_TRITON = importlib.util.find_spec("triton") is not None
DEVICE = "cpu" if interpreting() or not torch.cuda.is_available() else "cuda"
needs_kernels = pytest.mark.skipif(
    not HAS_TRITON or not (interpreting() or torch.cuda.is_available()),
    reason="the Triton kernels need triton and a CUDA device, or TRITON_INTERPRET=1 (run `nox -s triton`)",
)
T, B, N = 7, 3, 5
MECHANISMS = ("subtract", "zero", "none")


@pytest.fixture
def fresh_import_check():
    triton_kernels.triton_importable.cache_clear()
    yield
    triton_kernels.triton_importable.cache_clear()


def test_use_triton_needs_triton(monkeypatch, fresh_import_check):
    monkeypatch.setitem(sys.modules, "triton", None)  # as if triton were not installed
    monkeypatch.setenv("TRITON_INTERPRET", "1")
    assert not use_triton(torch.zeros(2))


@pytest.mark.skipif(not HAS_TRITON, reason="triton is not installed")
def test_use_triton_on_cpu_only_when_interpreting(monkeypatch, fresh_import_check):
    monkeypatch.delenv("TRITON_INTERPRET", raising=False)
    monkeypatch.delenv("SNNX_TRITON_INTERPRET", raising=False)
    assert not use_triton(torch.zeros(2))
    monkeypatch.setenv("SNNX_TRITON_INTERPRET", "1")
    assert use_triton(torch.zeros(2))


def _params(per_neuron: bool, **scalars: float) -> dict[str, object]:
    """Scalar parameters, or per-neuron ones spread around them."""
    if not per_neuron:
        return dict(scalars)
    return {name: torch.linspace(0.6, 1.2, N) * value for name, value in scalars.items()}


def _inputs(dtype: torch.dtype, states: int) -> tuple[torch.Tensor, ...]:
    x = (1.5 * torch.randn(T, B, N, dtype=dtype, device=DEVICE)).requires_grad_()
    initial = [torch.randn(B, N, dtype=dtype, device=DEVICE).requires_grad_() for _ in range(states)]
    return (x, *initial)


def _step_loop(neuron, x: torch.Tensor, initial: tuple[torch.Tensor, ...]) -> list[torch.Tensor]:
    """``[spk_seq, *state_seqs]`` from calling the neuron once per step with explicit states."""
    states, outputs = initial, []
    for x_t in x:
        spk, *states = neuron(x_t, *states)
        outputs.append((spk, *states))
    return [torch.stack(sequence) for sequence in zip(*outputs)]


def _assert_same(neuron, fused: list[torch.Tensor], loop: list[torch.Tensor], inputs, tol: float) -> None:
    for got, want in zip(fused, loop):
        assert torch.equal(got, want)  # same arithmetic, same spikes and states
    assert loop[0].sum() > 0 and (loop[0] == 0).sum() > 0  # some neurons fire, some do not
    weights = [torch.randn_like(out) for out in loop]
    wrt = [*inputs, *(p for p in neuron.parameters())]
    expected = torch.autograd.grad(sum((out * w).sum() for out, w in zip(loop, weights)), wrt)
    actual = torch.autograd.grad(sum((out * w).sum() for out, w in zip(fused, weights)), wrt)
    for got, want in zip(actual, expected):
        torch.testing.assert_close(got, want, rtol=tol, atol=tol)


def _leaky(per_neuron: bool, mechanism: str, reset_delay: bool, dtype: torch.dtype, **options) -> snnx.Leaky:
    neuron = snnx.Leaky(
        **_params(per_neuron, beta=0.8, threshold=0.7),
        reset_mechanism=mechanism,
        reset_delay=reset_delay,
        graded_spikes_factor=1.5,
        learn_beta=True,
        learn_threshold=True,
        learn_graded_spikes_factor=True,
        **options,
    )
    return neuron.to(device=DEVICE, dtype=dtype)


def _run_leaky(neuron, x, mem) -> list[torch.Tensor]:
    spk, (mem_seq,) = leaky_triton(
        x,
        mem,
        neuron.beta,
        neuron.threshold,
        neuron.graded_spikes_factor,
        derivative_fn(neuron._spike),
        neuron.reset_mechanism,
        neuron.reset_delay,
    )
    return [spk, mem_seq]


def _synaptic(per_neuron: bool, mechanism: str, reset_delay: bool, dtype: torch.dtype, **options):
    neuron = snnx.Synaptic(
        **_params(per_neuron, alpha=0.6, beta=0.8, threshold=0.7),
        reset_mechanism=mechanism,
        reset_delay=reset_delay,
        learn_alpha=True,
        learn_beta=True,
        learn_threshold=True,
        **options,
    )
    return neuron.to(device=DEVICE, dtype=dtype)


def _run_synaptic(neuron, x, syn, mem) -> list[torch.Tensor]:
    spk, (syn_seq, mem_seq) = synaptic_triton(
        x,
        syn,
        mem,
        neuron.alpha,
        neuron.beta,
        neuron.threshold,
        neuron.graded_spikes_factor,
        derivative_fn(neuron._spike),
        neuron.reset_mechanism,
        neuron.reset_delay,
    )
    return [spk, syn_seq, mem_seq]


GRID = pytest.mark.parametrize(
    "mechanism, reset_delay, per_neuron",
    [(m, d, p) for m in MECHANISMS for d in (True, False) for p in (False, True)],
)


@needs_kernels
@GRID
def test_leaky_matches_step_loop(mechanism, reset_delay, per_neuron):
    torch.manual_seed(0)
    neuron = _leaky(per_neuron, mechanism, reset_delay, torch.float32)
    x, mem = _inputs(torch.float32, 1)
    _assert_same(neuron, _run_leaky(neuron, x, mem), _step_loop(neuron, x, (mem,)), (x, mem), 1e-5)


@needs_kernels
@GRID
def test_synaptic_matches_step_loop(mechanism, reset_delay, per_neuron):
    torch.manual_seed(1)
    neuron = _synaptic(per_neuron, mechanism, reset_delay, torch.float32)
    x, syn, mem = _inputs(torch.float32, 2)
    loop = _step_loop(neuron, x, (syn, mem))
    _assert_same(neuron, _run_synaptic(neuron, x, syn, mem), loop, (x, syn, mem), 1e-5)


@needs_kernels
@pytest.mark.parametrize("mechanism", MECHANISMS)
def test_float64_and_other_surrogates(mechanism):
    torch.manual_seed(2)
    leaky = _leaky(True, mechanism, False, torch.float64, spike_grad=surrogate.fast_sigmoid(slope=5))
    x, mem = _inputs(torch.float64, 1)
    _assert_same(leaky, _run_leaky(leaky, x, mem), _step_loop(leaky, x, (mem,)), (x, mem), 1e-12)
    synaptic = _synaptic(False, mechanism, True, torch.float64, spike_grad=surrogate.triangular())
    x, syn, mem = _inputs(torch.float64, 2)
    loop = _step_loop(synaptic, x, (syn, mem))
    _assert_same(synaptic, _run_synaptic(synaptic, x, syn, mem), loop, (x, syn, mem), 1e-12)


@needs_kernels
def test_clamped_decays_and_disabled_surrogate():
    torch.manual_seed(3)
    neuron = _synaptic(True, "subtract", False, torch.float32, surrogate_disable=True)
    with torch.no_grad():  # a learned decay may leave [0, 1]; the step clamps it, without gradient
        neuron.alpha.copy_(torch.tensor([-0.2, 0.0, 0.5, 1.0, 1.3]))
        neuron.beta.copy_(torch.tensor([1.1, 0.9, -0.1, 1.0, 0.4]))
    x, syn, mem = _inputs(torch.float32, 2)
    loop = _step_loop(neuron, x, (syn, mem))
    _assert_same(neuron, _run_synaptic(neuron, x, syn, mem), loop, (x, syn, mem), 1e-5)


@needs_kernels
def test_gradient_from_spikes_alone():
    torch.manual_seed(4)
    neuron = _leaky(False, "zero", False, torch.float32)
    x, mem = _inputs(torch.float32, 1)
    loop_spk = _step_loop(neuron, x, (mem,))[0]
    fused_spk = _run_leaky(neuron, x, mem)[0]
    want = torch.autograd.grad(loop_spk.square().sum(), (x, mem, neuron.threshold))
    got = torch.autograd.grad(fused_spk.square().sum(), (x, mem, neuron.threshold))
    assert want[0].abs().sum() > 0
    for g, w in zip(got, want):
        torch.testing.assert_close(g, w, rtol=1e-5, atol=1e-5)


@needs_kernels
@pytest.mark.parametrize("name", ["Leaky", "Synaptic"])
def test_forward_sequence_dispatches_to_triton_and_matches_the_step_loop(name, monkeypatch):
    monkeypatch.setattr(triton_kernels, "use_triton", lambda x: True)
    calls = []
    kernel = triton_kernels.leaky_triton if name == "Leaky" else triton_kernels.synaptic_triton
    module = importlib.import_module(f"snnx_torch.fused.{name.lower()}")
    monkeypatch.setattr(module, "use_triton", lambda x: True)
    monkeypatch.setattr(module, f"{name.lower()}_triton", lambda *a: calls.append(1) or kernel(*a))
    kwargs = {"beta": 0.8, "threshold": 0.6, "learn_beta": True}
    if name == "Synaptic":
        kwargs["alpha"] = 0.5
    neuron = getattr(snnx, name)(**kwargs)
    x = torch.rand(6, 3, 4, dtype=torch.float64, requires_grad=True) * 2
    fused = neuron.forward_sequence(x)
    neuron.reset_hidden()
    loop = neuron._step_loop(x, ())
    assert calls, "forward_sequence did not use the Triton kernel"
    for a, b in zip(fused, loop):
        torch.testing.assert_close(a, b)
    grads = torch.autograd.grad(fused[-1].sum(), (x, neuron.beta))
    for a, b in zip(grads, torch.autograd.grad(loop[-1].sum(), (x, neuron.beta))):  # same graph as above
        torch.testing.assert_close(a, b)
