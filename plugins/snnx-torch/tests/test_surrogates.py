"""Every surrogate on torch: Heaviside forward, hand-computed backward, errors, neurons."""

from __future__ import annotations

import copy
import math
import pickle

import pytest
import torch
from torch import nn

import snnx
from snnx import surrogate

U = [-2.0, -0.5, 0.0, -0.0, 0.5, 1.0, 1.5]
G = [1.0, 2.0, -1.0, 4.0, 0.5, 3.0, -2.0]
SPIKED = [0.0, 0.0, 0.0, 0.0, 1.0, 1.0, 1.0]


def _backward(spike_grad, u=U, grad=G, dtype=torch.float64):
    x = torch.tensor(u, dtype=dtype, requires_grad=True)
    out = spike_grad(x)
    out.backward(torch.tensor(grad, dtype=dtype))
    return out.detach(), x.grad


def _rows(derivative):
    """The expected gradient: the upstream gradient times ``derivative(u)`` at each point."""
    return [g * derivative(u) for u, g in zip(U, G)]


CASES = {
    "atan": (surrogate.atan(), lambda u: 1.0 / (1 + (math.pi * u) ** 2)),
    "atan(alpha=4)": (surrogate.atan(alpha=4.0), lambda u: 2.0 / (1 + (2 * math.pi * u) ** 2)),
    "fast_sigmoid": (surrogate.fast_sigmoid(), lambda u: 1 / (25 * abs(u) + 1) ** 2),
    "sigmoid(slope=4)": (
        surrogate.sigmoid(slope=4),
        lambda u: 4 * math.exp(-4 * u) / (1 + math.exp(-4 * u)) ** 2,
    ),
    "straight_through_estimator": (surrogate.straight_through_estimator(), lambda u: 1.0),
    "triangular(threshold=0.5)": (surrogate.triangular(threshold=0.5), lambda u: 0.5 if u < 0 else -0.5),
    "heaviside": (surrogate.heaviside(), lambda u: 1.0 if u > 0 else 0.0),
    "spike_rate_escape": (surrogate.spike_rate_escape(), lambda u: 25 * math.exp(-abs(u - 1))),
    "spike_rate_escape(beta=2, slope=3)": (
        surrogate.spike_rate_escape(beta=2, slope=3),
        lambda u: 3 * math.exp(-2 * abs(u - 1)),
    ),
    "spike_rate_escape(beta=0)": (surrogate.spike_rate_escape(beta=0, slope=2), lambda u: 2.0),
    "SFS": (surrogate.SFS(), lambda u: 1 / (25 * abs(u) + 1) ** 2 if u > 1 else 0.0),
    "SFS(slope=2, B=-1)": (
        surrogate.SFS(slope=2, B=-1),
        lambda u: 1 / (2 * abs(u) + 1) ** 2 if u > -1 else 0.0,
    ),
    "SFS(B=0)": (surrogate.SFS(B=0), lambda u: 1 / (25 * abs(u) + 1) ** 2 if u > 0 else 0.0),
    "LSO": (surrogate.LSO(), lambda u: 1.0 if u > 0 else 0.1),
    "LSO(slope=0.5)": (surrogate.LSO(slope=0.5), lambda u: 1.0 if u > 0 else 0.5),
}


@pytest.mark.parametrize("name", CASES)
def test_backward_by_hand(name):
    spike_grad, derivative = CASES[name]
    spikes, grad = _backward(spike_grad)
    assert spikes.tolist() == SPIKED
    torch.testing.assert_close(grad, torch.tensor(_rows(derivative), dtype=torch.float64), rtol=1e-12, atol=0)


def test_hand_values_at_the_edges():
    # SFS: exactly at B there is no gradient; just above it there is
    _, grad = _backward(surrogate.SFS(slope=1, B=1), u=[1.0, 2.0], grad=[1.0, 1.0])
    assert grad.tolist() == [0.0, 1 / 9]
    # spike_rate_escape peaks at u = 1 with the value slope
    _, grad = _backward(surrogate.spike_rate_escape(beta=5, slope=7), u=[1.0], grad=[1.0])
    assert grad.tolist() == [7.0]
    # heaviside and LSO: u = 0 did not spike
    assert _backward(surrogate.heaviside(), u=[0.0], grad=[5.0])[1].tolist() == [0.0]
    assert _backward(surrogate.LSO(slope=0.25), u=[0.0], grad=[4.0])[1].tolist() == [1.0]


def test_forward_is_heaviside_in_the_input_dtype():
    for spike_grad in (surrogate.heaviside(), surrogate.SFS(), surrogate.SSO(), surrogate.LSO()):
        for dtype in (torch.float32, torch.float64):
            out = spike_grad(torch.tensor([-1.0, 0.0, 1e-7], dtype=dtype))
            assert out.dtype == dtype and out.tolist() == [0.0, 0.0, 1.0]


def test_sso_noise_below_threshold_and_one_above():
    spike_grad = surrogate.SSO(mean=0.25, variance=0.4)
    u = torch.cat([torch.full((5000,), -0.3), torch.zeros(10), torch.full((50,), 0.7)])
    g = torch.full_like(u, 2.0)
    _, grad = _backward(spike_grad, u=u.tolist(), grad=g.tolist())
    assert torch.all(grad[-50:] == 2.0)
    noise = grad[:-50] / 2.0
    assert torch.all(noise >= (0.25 - 0.5) * 0.4) and torch.all(noise < (0.25 + 0.5) * 0.4)
    assert noise.mean().item() == pytest.approx(0.25 * 0.4, abs=0.01)
    assert noise.std().item() == pytest.approx(0.4 / math.sqrt(12), rel=0.1)


def test_sso_draws_from_torch_global_generator_once_per_backward():
    spike_grad = surrogate.SSO(mean=0.1, variance=0.3)
    torch.manual_seed(11)
    _, first = _backward(spike_grad)
    _, second = _backward(spike_grad)
    torch.manual_seed(11)
    _, again = _backward(spike_grad)
    assert torch.equal(first, again) and not torch.equal(first, second)
    torch.manual_seed(11)
    draws = torch.rand(len(U), dtype=torch.float64)
    spiked, g = torch.tensor(SPIKED, dtype=torch.float64), torch.tensor(G, dtype=torch.float64)
    expected = g * spiked + g * (1 - spiked) * ((draws - 0.5 + 0.1) * 0.3)
    torch.testing.assert_close(first, expected, rtol=1e-15, atol=0)


def test_sso_with_zero_variance_is_heaviside():
    _, grad = _backward(surrogate.SSO(mean=3.0, variance=0))
    assert grad.tolist() == [g * s for g, s in zip(G, SPIKED)]


def test_custom_surrogate_receives_input_gradient_and_spikes():
    calls = []

    def mine(input_, grad_input, out):
        calls.append((input_.clone(), grad_input.clone(), out.clone()))
        return grad_input * 10 + input_

    spikes, grad = _backward(surrogate.custom_surrogate(mine))
    assert len(calls) == 1
    input_, grad_input, out = calls[0]
    assert input_.tolist() == U and grad_input.tolist() == G and out.tolist() == SPIKED
    assert spikes.tolist() == SPIKED
    assert grad.tolist() == [g * 10 + u for u, g in zip(U, G)]


def test_custom_surrogate_may_edit_its_gradient_in_place():
    def zero_below(input_, grad_input, out):
        grad_input[input_ < 0] = 0
        return grad_input

    x = torch.tensor([-1.0, 2.0], requires_grad=True)
    spike = surrogate.custom_surrogate(zero_below)
    y = spike(x)
    (y.sum() + y.sum()).backward()  # the incoming gradient tensor is shared by two paths
    assert x.grad.tolist() == [0.0, 2.0]


def test_custom_surrogate_in_snntorch_style():
    def custom_fast_sigmoid(input_, grad_input, spikes):
        slope = 25
        return grad_input / (slope * torch.abs(input_) + 1.0) ** 2

    _, grad = _backward(surrogate.custom_surrogate(custom_fast_sigmoid))
    torch.testing.assert_close(grad, torch.tensor(_rows(CASES["fast_sigmoid"][1]), dtype=torch.float64))


@pytest.mark.parametrize(
    ("make", "name"),
    [
        (lambda: surrogate.spike_rate_escape(beta=-0.1), "beta"),
        (lambda: surrogate.spike_rate_escape(slope=0), "slope"),
        (lambda: surrogate.SFS(slope=-1), "slope"),
        (lambda: surrogate.SFS(B=math.inf), "B"),
        (lambda: surrogate.SFS(B=math.nan), "B"),
        (lambda: surrogate.SSO(variance=-0.2), "variance"),
        (lambda: surrogate.SSO(mean=math.nan), "mean"),
        (lambda: surrogate.LSO(slope=0), "slope"),
        (lambda: surrogate.LSO(slope=-0.1), "slope"),
    ],
)
def test_bad_parameters_name_the_parameter(make, name):
    with pytest.raises(snnx.ParameterRangeError, match=rf"surrogate\.\w+: {name} must lie in"):
        make()


def test_custom_surrogate_needs_a_callable():
    with pytest.raises(TypeError, match="custom_surrogate: custom_surrogate_function must be a callable"):
        surrogate.custom_surrogate(25)
    with pytest.raises(TypeError, match="custom_surrogate_function"):
        surrogate.custom_surrogate()


def test_boundary_parameters_are_allowed():
    surrogate.spike_rate_escape(beta=0)
    surrogate.SSO(mean=-3.5, variance=0)
    surrogate.SFS(B=-2.0)


def test_leaky_with_sfs_trains_through_the_spike():
    torch.manual_seed(0)
    lif = snnx.Leaky(beta=0.9, spike_grad=surrogate.SFS())
    x = torch.tensor([2.5, 0.5], requires_grad=True)
    spk, _ = lif(x)
    spk.sum().backward()
    assert spk.tolist() == [1.0, 0.0]
    # u = mem - threshold = 1.5 > B = 1 passes 1 / (25 * 1.5 + 1)^2; u = -0.5 passes nothing
    assert x.grad.tolist() == pytest.approx([1 / 38.5**2, 0.0])

    net = nn.Sequential(
        nn.Linear(3, 4), snnx.Leaky(beta=0.9, spike_grad=surrogate.SFS(B=-1), init_hidden=True)
    )
    optimiser = torch.optim.SGD(net.parameters(), lr=0.5)
    before = net[0].weight.detach().clone()
    spikes = torch.stack([net(torch.ones(2, 3)) for _ in range(5)])
    spikes.sum().backward()
    assert net[0].weight.grad.abs().sum() > 0
    optimiser.step()
    assert not torch.equal(before, net[0].weight)


def test_neurons_holding_the_new_surrogates_copy_and_pickle():
    for spike_grad in (
        surrogate.SFS(slope=3, B=0.5),
        surrogate.SSO(),
        surrogate.LSO(),
        surrogate.heaviside(),
    ):
        lif = snnx.Leaky(beta=0.9, spike_grad=spike_grad)
        twin = copy.deepcopy(lif)
        assert pickle.loads(pickle.dumps(spike_grad)) == spike_grad
        x = torch.tensor([1.5, 0.5], requires_grad=True)
        twin(x)[0].sum().backward()
        assert x.grad is not None
    lambda_grad = surrogate.custom_surrogate(lambda u, g, out: g * 3)
    lif = copy.deepcopy(snnx.Leaky(beta=0.9, spike_grad=lambda_grad))
    x = torch.tensor([0.2], requires_grad=True)
    lif(x)[0].sum().backward()
    assert x.grad.tolist() == [3.0]


def test_repr_names_the_surrogate_and_its_parameters():
    assert repr(surrogate.SFS(slope=3, B=0.5)) == "surrogate.SFS(slope=3, B=0.5)"
    assert repr(surrogate.SSO()) == "surrogate.SSO(mean=0, variance=0.2)"
    assert repr(surrogate.LSO()) == "surrogate.LSO(slope=0.1)"
    assert repr(surrogate.heaviside()) == "surrogate.heaviside()"
    assert repr(surrogate.spike_rate_escape()) == "surrogate.spike_rate_escape(beta=1, slope=25)"


def test_everything_is_exported():
    expected = {"heaviside", "spike_rate_escape", "SFS", "SSO", "LSO", "custom_surrogate"}
    assert expected <= set(surrogate.__all__)
    assert all(callable(getattr(surrogate, name)) for name in surrogate.__all__)
