"""``snnx.run`` leaves a ``Linear``'s bias to the ``Leaky`` after it, which adds it inside its scan."""

from __future__ import annotations

import pytest
import torch
from torch import nn

import snnx
from snnx_torch import running
from snnx_torch.fused import native
from snnx_torch.fused.common import derivative_fn
from snnx_torch.fused.native.scans import NativeMembraneScan
from snnx_torch.fused.scan import LEAKY_RULES, MembraneScan
from snnx_torch.neurons import leaky

T, B, IN, OUT = 9, 4, 6, 5

pytestmark = pytest.mark.skipif(
    native.library() is None, reason=f"the compiled CPU scans are unavailable here: {native.status()}"
)


@pytest.fixture
def biases_taken(monkeypatch):
    """Per lean ``Leaky`` run: the ``input_bias`` it received (``None``: none), and whether it ran."""
    taken = []
    lean = leaky.leaky_sequence

    def spy(neuron, x_seq, record, input_bias=None):
        result = lean(neuron, x_seq, record, input_bias)
        taken.append((input_bias, result is not None))
        return result

    monkeypatch.setattr(leaky, "leaky_sequence", spy)
    return taken


def _net(dtype=torch.float64, **options):
    torch.manual_seed(3)
    net = nn.Sequential(nn.Linear(IN, OUT), snnx.Leaky(beta=0.85, threshold=0.6, init_hidden=True, **options))
    return net.to(dtype)


def _run_and_loop(net, x):
    """Outputs and gradients (input, weight, bias, neuron parameters): snnx.run's, then the step loop's."""
    results = []
    for use_run in (True, False):
        x_in = x.clone().requires_grad_(True)
        net.zero_grad()
        snnx.utils.reset(net)
        out = snnx.run(net, x_in) if use_run else _stacked([net(step) for step in x_in])
        outs = out if isinstance(out, tuple) else (out,)
        generator = torch.Generator().manual_seed(5)
        loss = sum((o * torch.randn(o.shape, generator=generator, dtype=o.dtype)).sum() for o in outs)
        loss.backward()
        grads = {"x": x_in.grad.clone(), **{n: p.grad.clone() for n, p in net.named_parameters()}}
        results.append(([o.detach() for o in outs], grads))
    return results


def _stacked(steps):
    if isinstance(steps[0], tuple):
        return tuple(torch.stack(seq) for seq in zip(*steps))
    return torch.stack(steps)


@pytest.mark.parametrize("output", [False, True])
@pytest.mark.parametrize(
    "reset", [("subtract", True), ("subtract", False), ("zero", True), ("zero", False), ("none", True)]
)
def test_the_bias_added_in_the_scan_equals_the_step_loop(biases_taken, reset, output):
    mechanism, delay = reset
    net = _net(
        reset_mechanism=mechanism, reset_delay=delay, output=output, learn_beta=True, learn_threshold=True
    )
    x = torch.rand(T, B, IN, dtype=torch.float64) * 1.5
    (ours, our_grads), (loop, loop_grads) = _run_and_loop(net, x)
    assert biases_taken and biases_taken[0][0] is net[0].bias and biases_taken[0][1], (
        "the bias was not handed on"
    )
    for a, b in zip(ours, loop, strict=True):
        torch.testing.assert_close(a, b, rtol=1e-12, atol=1e-12)
    assert set(our_grads) == set(loop_grads) == {"x", "0.weight", "0.bias", "1.beta", "1.threshold"}
    for name, grad in loop_grads.items():
        torch.testing.assert_close(our_grads[name], grad, rtol=1e-10, atol=1e-10, msg=name)


@pytest.mark.parametrize("width", [OUT, 600])  # 600: blocks of 512 neurons read the bias in place or wrap
def test_float32_per_neuron_beta_and_a_batch_of_feature_vectors(biases_taken, width):
    torch.manual_seed(4)
    net = nn.Sequential(
        nn.Linear(IN, width),
        snnx.Leaky(beta=torch.linspace(0.5, 0.95, width), learn_beta=True, init_hidden=True),
    )
    x = torch.rand(T, B, IN) * 2
    (ours, our_grads), (loop, loop_grads) = _run_and_loop(net, x)
    assert biases_taken[0][0] is net[0].bias and biases_taken[0][1]
    torch.testing.assert_close(ours[0], loop[0])
    for name, grad in loop_grads.items():
        torch.testing.assert_close(our_grads[name], grad, rtol=1e-5, atol=1e-6, msg=name)


def test_the_scan_with_a_bias_equals_the_scan_of_the_biased_input():
    """``NativeMembraneScan`` with ``bias`` against the tensor-operation scan of ``x + bias``."""
    torch.manual_seed(6)
    x = (torch.rand(T, B, OUT, dtype=torch.float64) * 1.2).requires_grad_(True)
    bias = (torch.randn(OUT, dtype=torch.float64) * 0.3).requires_grad_(True)
    decay = torch.tensor(0.8, dtype=torch.float64, requires_grad=True)
    theta = torch.tensor(0.7, dtype=torch.float64, requires_grad=True)
    factor = torch.tensor(1.0, dtype=torch.float64)
    derivative = derivative_fn(snnx.Leaky(beta=0.8)._spike)
    weights = torch.randn(T, B, OUT, dtype=torch.float64)
    results = []
    for compiled in (True, False):
        for record in (True, False) if compiled else (True,):
            rule = LEAKY_RULES["subtract", True]
            zero = torch.zeros((), dtype=torch.float64)
            if compiled:
                spk, mem = NativeMembraneScan.apply(
                    x, zero, decay, theta, factor, bias, rule, derivative, record
                )
            else:
                spk, mem = MembraneScan.apply(x + bias, zero, decay, theta, factor, rule, derivative)
            last = mem[-1] if mem.dim() == 3 else mem
            loss = (spk * weights).sum() + (last * weights[0]).sum()
            grads = torch.autograd.grad(loss, [x, bias, decay, theta])
            results.append((spk.detach(), last.detach(), grads))
    expected_spk, expected_last, expected_grads = results[-1]
    for spk, last, grads in results[:-1]:
        assert torch.equal(spk, expected_spk) and torch.equal(last, expected_last)
        for got, want in zip(grads, expected_grads, strict=True):
            torch.testing.assert_close(got, want, rtol=1e-12, atol=1e-12)


def test_a_hooked_linear_keeps_its_bias(biases_taken):
    net = _net()
    seen = []
    net[0].register_forward_hook(lambda module, inputs, output: seen.append(output.detach().clone()))
    x = torch.rand(T, B, IN, dtype=torch.float64)
    snnx.run(net, x)
    assert biases_taken and biases_taken[0][0] is None  # the Linear added its own bias
    expected = torch.nn.functional.linear(x.reshape(T * B, IN), net[0].weight, net[0].bias)
    torch.testing.assert_close(seen[0], expected)


def test_only_a_plain_linear_before_a_neuron_with_a_lean_route_leaves_its_bias():
    linear, no_bias = nn.Linear(IN, OUT), nn.Linear(IN, OUT, bias=False)
    lif, synaptic = (
        snnx.Leaky(beta=0.9, init_hidden=True),
        snnx.Synaptic(alpha=0.8, beta=0.9, init_hidden=True),
    )
    x = torch.rand(T, B, IN)

    class Subclassed(nn.Linear):
        pass

    assert running.leaves_bias(linear, lif, x)
    assert not running.leaves_bias(no_bias, lif, x)
    assert not running.leaves_bias(Subclassed(IN, OUT), lif, x)
    assert not running.leaves_bias(linear, synaptic, x)  # no lean route: the Linear adds its bias
    assert not running.leaves_bias(linear, nn.ReLU(), x)
    assert not running.leaves_bias(linear, None, x)
    assert not running.leaves_bias(linear, lif, x.to("meta"))  # not the CPU


def test_a_global_hook_keeps_the_bias_in_the_linear(biases_taken):
    net = _net()
    handle = nn.modules.module.register_module_forward_hook(lambda module, inputs, output: None)
    try:
        snnx.run(net, torch.rand(T, B, IN, dtype=torch.float64))
    finally:
        handle.remove()
    assert biases_taken and biases_taken[0][0] is None


@pytest.mark.parametrize("make", [lambda: snnx.Synaptic(alpha=0.8, beta=0.9), lambda: snnx.Leaky(beta=0.9)])
def test_forward_sequence_with_an_input_bias_equals_adding_it_first(make):
    """A neuron whose lean route does not apply (float64 bias on a float32 input) adds the bias itself."""
    torch.manual_seed(9)
    x = torch.rand(T, B, OUT)
    bias = torch.randn(OUT)
    for given in (bias, bias.double()):
        neuron, reference = make(), make()
        ours = neuron.forward_sequence(x, input_bias=given)
        expected = reference.forward_sequence(x + given)
        for a, b in zip(ours, expected, strict=True):
            torch.testing.assert_close(a, b)


@pytest.mark.parametrize("bias_shape", [(OUT,), (1, OUT), (B, 1), (B, OUT), (), (1,)])
def test_the_lean_route_takes_a_bias_of_any_broadcasting_shape(biases_taken, bias_shape):
    """Repeating every ``numel`` neurons (a layer's bias), or broadcast to the step first."""
    torch.manual_seed(10)
    x = (torch.rand(T, B, OUT, dtype=torch.float64) * 1.2).requires_grad_(True)
    bias = (torch.randn(bias_shape, dtype=torch.float64) * 0.3).requires_grad_(True)
    neuron, reference = snnx.Leaky(beta=0.8).double(), snnx.Leaky(beta=0.8).double()
    ours = neuron.forward_sequence(x, input_bias=bias)
    assert biases_taken[-1][0] is bias and biases_taken[-1][1], "the lean route did not take the bias"
    reference.fast_sequence = lambda x_seq, record_states, input_bias=None: None  # the general route
    expected = reference.forward_sequence(x + bias)
    for a, b in zip(ours, expected, strict=True):
        assert torch.equal(a, b)
    weights = torch.randn(T, B, OUT, dtype=torch.float64)
    grads = torch.autograd.grad((ours[0] * weights).sum() + ours[1].sum(), [x, bias])
    expected_grads = torch.autograd.grad((expected[0] * weights).sum() + expected[1].sum(), [x, bias])
    for got, want in zip(grads, expected_grads, strict=True):
        torch.testing.assert_close(got, want, rtol=1e-12, atol=1e-12)
