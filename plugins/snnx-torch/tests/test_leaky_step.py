"""``Leaky``'s one-step fast path (one compiled call per step) equals the spec's tensor operations."""

from __future__ import annotations

import itertools

import pytest
import torch

from snnx import surrogate
from snnx_torch.fused import native
from snnx_torch.fused.leaky_step import LeakyStep
from snnx_torch.neurons import Leaky

pytestmark = pytest.mark.skipif(
    native.library() is None, reason=f"the compiled CPU scans are unavailable here: {native.status()}"
)

T, B, N = 7, 3, 5
DTYPES = [torch.float32, torch.float64]
SURROGATES = [
    surrogate.atan(alpha=3.0),
    surrogate.fast_sigmoid(slope=10),
    surrogate.sigmoid(slope=5),
    surrogate.straight_through_estimator(),
    surrogate.triangular(threshold=0.5),
    surrogate.spike_rate_escape(beta=2.0, slope=3.0),
    surrogate.SFS(slope=5.0, B=0.1),
    surrogate.LSO(slope=0.2),
]


def _inputs(dtype: torch.dtype, seed: int = 0) -> torch.Tensor:
    generator = torch.Generator().manual_seed(seed)
    return (torch.randn((T, B, N), generator=generator, dtype=torch.float64) * 0.8 + 0.4).to(dtype)


def _run(neuron: Leaky, x: torch.Tensor, mem0: torch.Tensor, fast: bool):
    """Spikes and states of every step, and the gradients of a random weighting of both."""
    x = x.clone().requires_grad_(True)
    mem0 = mem0.clone().requires_grad_(True)
    spikes, mems, mem = [], [], mem0
    nodes = set()
    for step in range(T):
        spk, mem = neuron._advance(x[step], (mem,), fast=fast)
        nodes.add(type(spk.grad_fn).__name__)
        spikes.append(spk)
        mems.append(mem)
    outputs = (torch.stack(spikes), torch.stack(mems))
    generator = torch.Generator().manual_seed(1)
    loss = sum((out * torch.randn(out.shape, generator=generator, dtype=out.dtype)).sum() for out in outputs)
    names, params = zip(*sorted(neuron.named_parameters())) if list(neuron.parameters()) else ((), ())
    grads = torch.autograd.grad(loss, [x, mem0, *params], allow_unused=True)
    return [out.detach() for out in outputs], dict(zip(["x", "mem0", *names], grads)), nodes


def assert_fast_equals_ops(make, dtype: torch.dtype = torch.float32) -> None:
    x = _inputs(dtype)
    mem0 = _inputs(dtype, seed=2)[0] * 0.5
    fast_out, fast_grads, fast_nodes = _run(make().to(dtype), x, mem0, fast=True)
    ops_out, ops_grads, _ = _run(make().to(dtype), x, mem0, fast=False)
    assert fast_nodes == {"LeakyStepBackward"}, "the fast path did not run"
    for ours, expected in zip(fast_out, ops_out):
        assert torch.equal(ours, expected), "spikes/states differ from the spec's step"
    tolerance = {"rtol": 1e-5, "atol": 1e-6} if dtype == torch.float32 else {"rtol": 1e-12, "atol": 1e-12}
    assert fast_grads.keys() == ops_grads.keys()
    for name, expected in ops_grads.items():
        ours = fast_grads[name]
        if expected is None:
            assert ours is None or torch.count_nonzero(ours) == 0, name
        else:
            torch.testing.assert_close(ours, expected, msg=name, **tolerance)


@pytest.mark.parametrize("mechanism", ["subtract", "zero", "none"])
@pytest.mark.parametrize("spike_grad", SURROGATES, ids=lambda s: type(s).__name__ + str(id(s) % 97))
def test_fast_step_equals_the_spec_step_for_every_surrogate_and_reset(mechanism, spike_grad):
    assert_fast_equals_ops(
        lambda: Leaky(beta=0.8, threshold=0.7, spike_grad=spike_grad, reset_mechanism=mechanism)
    )


@pytest.mark.parametrize(
    ("mechanism", "learn", "per_neuron", "dtype"),
    list(itertools.product(["subtract", "zero", "none"], [False, True], [False, True], DTYPES)),
)
def test_fast_step_gradients_reach_learnable_parameters(mechanism, learn, per_neuron, dtype):
    beta = torch.linspace(0.2, 1.0, N) if per_neuron else 0.9
    threshold = torch.linspace(0.5, 1.5, N) if per_neuron else 0.8

    def make():
        neuron = Leaky(
            beta=beta.clone() if per_neuron else beta,
            threshold=threshold,
            reset_mechanism=mechanism,
            graded_spikes_factor=1.5,
            learn_beta=learn,
            learn_threshold=learn,
            learn_graded_spikes_factor=learn,
        )
        if per_neuron:
            with torch.no_grad():
                neuron.beta[-1] = 1.2  # learned decays can leave [0, 1]: clip(beta, 0, 1) sends no gradient
        return neuron

    assert_fast_equals_ops(make, dtype)


def test_fast_step_through_the_public_call_and_backward_of_spikes_only():
    torch.manual_seed(0)
    x = torch.rand(T, B, N, requires_grad=True)
    neuron = Leaky(beta=0.9, init_hidden=True)
    spikes = torch.stack([neuron(step) for step in x])
    assert type(spikes.grad_fn.next_functions[0][0]).__name__ == "LeakyStepBackward"
    (fast_grad,) = torch.autograd.grad(spikes.sum(), x)
    neuron.reset_hidden()
    reference = neuron._step_loop(x, ())[0]
    assert torch.equal(spikes, reference)
    (ops_grad,) = torch.autograd.grad(reference.sum(), x)
    torch.testing.assert_close(fast_grad, ops_grad)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"reset_delay": False},
        {"inhibition": True},
        {"surrogate_disable": True},
        {"spike_grad": surrogate.custom_surrogate(lambda input_, grad_input, spikes: grad_input)},
        {"state_quant": lambda mem: mem},
    ],
    ids=["reset_delay", "inhibition", "surrogate_disable", "custom_surrogate", "state_quant"],
)
def test_options_the_fast_step_does_not_cover_run_the_spec_step(kwargs):
    neuron = Leaky(beta=0.9, **kwargs)
    x = torch.rand(B, N, requires_grad=True)
    spk, mem = neuron(x)
    assert not isinstance(spk.grad_fn, LeakyStep._backward_cls)
    assert not isinstance(mem.grad_fn, LeakyStep._backward_cls)


def test_without_the_compiled_scans_the_spec_step_runs(monkeypatch):
    monkeypatch.setenv("SNNX_NATIVE_KERNELS", "0")
    _, mem = Leaky(beta=0.9)(torch.rand(B, N, requires_grad=True))
    assert not isinstance(mem.grad_fn, LeakyStep._backward_cls)


def test_broadcast_input_smaller_than_the_state_runs_the_spec_step():
    neuron = Leaky(beta=torch.full((B, N), 0.9))
    _, mem = neuron(torch.rand(N, requires_grad=True))
    assert mem.shape == (B, N)
    assert not isinstance(mem.grad_fn, LeakyStep._backward_cls)
