"""IPU spike functions: exactly H(u) forward, exactly the torch backend's surrogate gradient backward."""

from __future__ import annotations

import pytest
import torch

import snnx
from snnx import surrogate
from snnx.specs.leaky import LeakySpec
from snnx_ipu.backend import IPUBackend
from snnx_ipu.spike import UnsupportedSurrogateError, spike_fn

TORCH = snnx.get_backend("torch")

DETERMINISTIC = {
    "atan": lambda: surrogate.atan(alpha=3.5),
    "fast_sigmoid": lambda: surrogate.fast_sigmoid(slope=7.0),
    "sigmoid": lambda: surrogate.sigmoid(slope=4.0),
    "straight_through_estimator": surrogate.straight_through_estimator,
    "triangular": lambda: surrogate.triangular(threshold=0.3),
    "heaviside": surrogate.heaviside,
    "spike_rate_escape": lambda: surrogate.spike_rate_escape(beta=0.7, slope=3.0),
    "SFS": lambda: surrogate.SFS(slope=9.0, B=0.2),
    "LSO": lambda: surrogate.LSO(slope=0.37),
}
REFUSED = {
    "SSO": lambda: surrogate.SSO(mean=0.1, variance=0.5),
    "custom_surrogate": lambda: surrogate.custom_surrogate(lambda u, grad, out: grad * 2),
}


def random_inputs(dtype: torch.dtype) -> torch.Tensor:
    """Random membrane offsets with exact zeros and the SFS bound among them."""
    generator = torch.Generator().manual_seed(7)
    u = torch.randn(6, 40, generator=generator, dtype=dtype) * 2
    u[0, :8] = 0.0
    u[1, :4] = 0.2  # SFS's bound B
    u[1, 4:8] = 1.0  # spike_rate_escape's peak
    return u


def autograd_nodes(tensor: torch.Tensor) -> list[torch.autograd.graph.Node]:
    seen, stack = [], [tensor.grad_fn]
    while stack:
        node = stack.pop()
        if node is None or node in seen:
            continue
        seen.append(node)
        stack.extend(next_node for next_node, _ in node.next_functions)
    return seen


def test_every_surrogate_of_snnx_surrogate_is_covered():
    names = {name for name in surrogate.__all__ if name != "Surrogate"}
    assert names == set(DETERMINISTIC) | set(REFUSED)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("name", DETERMINISTIC)
def test_forward_is_exactly_heaviside(name, dtype):
    u = random_inputs(dtype).requires_grad_(True)
    spikes = spike_fn(DETERMINISTIC[name]())(u)
    expected = torch.heaviside(u.detach(), torch.zeros((), dtype=dtype))
    assert spikes.dtype == dtype
    assert torch.equal(spikes, expected)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("name", DETERMINISTIC)
def test_gradient_equals_the_torch_backends_surrogate_gradient(name, dtype):
    chosen = DETERMINISTIC[name]()
    upstream = torch.randn(6, 40, generator=torch.Generator().manual_seed(3), dtype=dtype)
    grads = []
    for spike in (spike_fn(chosen), TORCH.spike_function(chosen)):
        u = random_inputs(dtype).requires_grad_(True)
        (spike(u) * upstream).sum().backward()
        grads.append(u.grad)
    assert torch.equal(grads[0], grads[1])
    assert grads[0].abs().sum() > 0


@pytest.mark.parametrize("name", DETERMINISTIC)
def test_backend_surrogate_gradient_matches_torch(name):
    chosen = DETERMINISTIC[name]()
    u = random_inputs(torch.float32)
    assert torch.equal(IPUBackend().surrogate_gradient(chosen, u), TORCH.surrogate_gradient(chosen, u))


@pytest.mark.parametrize("name", DETERMINISTIC)
def test_spike_function_has_no_autograd_function_node(name):
    u = random_inputs(torch.float32).requires_grad_(True)
    nodes = autograd_nodes(spike_fn(DETERMINISTIC[name]())(u))
    assert nodes, "the spikes must carry a gradient"
    assert not any(isinstance(node, torch.autograd.function.BackwardCFunction) for node in nodes)
    assert {type(node).__name__ for node in nodes} <= {
        "AddBackward0",
        "MulBackward0",
        "SubBackward0",
        "AccumulateGrad",
    }


def test_the_node_check_catches_an_autograd_function():
    u = random_inputs(torch.float32).requires_grad_(True)
    nodes = autograd_nodes(TORCH.spike_function(surrogate.atan())(u))
    assert any(isinstance(node, torch.autograd.function.BackwardCFunction) for node in nodes)


def test_default_surrogate_is_atan():
    u = random_inputs(torch.float32)
    grads = []
    for spike in (spike_fn(), spike_fn(surrogate.atan())):
        leaf = u.clone().requires_grad_(True)
        spike(leaf).sum().backward()
        grads.append(leaf.grad)
    assert torch.equal(grads[0], grads[1])


def test_surrogate_disable_gives_heaviside_without_gradient():
    u = random_inputs(torch.float32).requires_grad_(True)
    spikes = spike_fn(surrogate.atan(alpha=3.0), surrogate_disable=True)(u)
    assert torch.equal(spikes, torch.heaviside(u.detach(), torch.zeros(())))
    assert not spikes.requires_grad


@pytest.mark.parametrize("name", REFUSED)
def test_stochastic_and_gradient_only_surrogates_are_refused(name):
    with pytest.raises(UnsupportedSurrogateError, match=name) as caught:
        spike_fn(REFUSED[name]())
    assert isinstance(caught.value, ValueError)
    assert "surrogate.atan()" in str(caught.value)  # names a surrogate that works


def test_refused_surrogate_is_refused_when_the_neuron_is_built():
    leaky = IPUBackend().neuron_class(LeakySpec)
    with pytest.raises(UnsupportedSurrogateError, match="SSO"):
        leaky(beta=0.9, spike_grad=surrogate.SSO())


def test_non_surrogate_is_a_type_error():
    with pytest.raises(TypeError, match="surrogate"):
        spike_fn("atan")  # type: ignore[arg-type]
