"""Behaviour of every step neuron on torch beyond the conformance suite."""

from __future__ import annotations

import copy

import pytest
import torch

import snnx
from snnx import ParameterRangeError, StateShapeError

CASES = {
    "Leaky": ({"beta": 0.9}, (3, 5)),
    "Synaptic": ({"alpha": 0.8, "beta": 0.9}, (3, 5)),
    "Alpha": ({"alpha": 0.9, "beta": 0.8}, (3, 5)),
    "Lapicque": ({"beta": 0.9}, (3, 5)),
    "RLeaky": ({"beta": 0.9, "linear_features": 5}, (3, 5)),
    "RSynaptic": ({"alpha": 0.8, "beta": 0.9, "all_to_all": False}, (3, 5)),
    "SLSTM": ({"input_size": 5, "hidden_size": 4}, (3, 5)),
    "SConv2dLSTM": ({"in_channels": 2, "out_channels": 3, "kernel_size": 3}, (3, 2, 4, 4)),
}
STATES = {
    "Leaky": ("mem",),
    "Synaptic": ("syn", "mem"),
    "Alpha": ("syn_exc", "syn_inh", "mem"),
    "Lapicque": ("mem",),
    "RLeaky": ("spk", "mem"),
    "RSynaptic": ("spk", "syn", "mem"),
    "SLSTM": ("syn", "mem"),
    "SConv2dLSTM": ("syn", "mem"),
}


@pytest.mark.parametrize("name", CASES)
def test_init_method_returns_empty_states_that_start_from_zero(name):
    kwargs, shape = CASES[name]
    neuron = getattr(snnx, name)(**kwargs)
    states = getattr(neuron, f"init_{name.lower()}")()
    states = states if isinstance(states, tuple) else (states,)
    assert len(states) == len(STATES[name]) and all(state.numel() == 0 for state in states)
    x = torch.rand(shape)
    passed = neuron(x, *states)
    neuron.reset_hidden()
    assert torch.equal(passed[0], neuron(x)[0])


@pytest.mark.parametrize("name", CASES)
def test_reset_and_detach_act_on_this_instance_only(name):
    kwargs, shape = CASES[name]
    first, second = getattr(snnx, name)(**kwargs), getattr(snnx, name)(**kwargs)
    x = torch.rand(shape, requires_grad=True)
    first(x)
    second(x)
    first.reset_hidden()
    assert all(getattr(first, state).numel() == 0 for state in STATES[name])
    assert all(getattr(second, state).numel() > 0 for state in STATES[name])
    second.detach_hidden()
    assert not any(getattr(second, state).requires_grad for state in STATES[name])


@pytest.mark.parametrize("name", CASES)
def test_state_dict_holds_parameters_not_hidden_state_and_deepcopy_works_mid_sequence(name):
    kwargs, shape = CASES[name]
    neuron = getattr(snnx, name)(**kwargs)
    x = torch.rand(shape, requires_grad=True)
    neuron(x)
    assert not set(STATES[name]) & set(neuron.state_dict())
    clone = copy.deepcopy(neuron)
    for state in STATES[name]:
        assert torch.equal(getattr(clone, state), getattr(neuron, state).detach())
    assert torch.equal(clone(x.detach())[0], neuron(x.detach())[0])


def test_learn_flags_make_parameters_and_learn_recurrent_false_freezes_the_layer():
    neuron = snnx.Synaptic(alpha=0.8, beta=0.9, learn_alpha=True, learn_beta=True, learn_threshold=True)
    assert {name for name, _ in neuron.named_parameters()} == {"alpha", "beta", "threshold"}
    frozen = snnx.RLeaky(beta=0.9, linear_features=4, learn_recurrent=False)
    assert [p.requires_grad for p in frozen.recurrent.parameters()] == [False, False]
    one_to_one = snnx.RLeaky(beta=0.9, all_to_all=False, V=torch.tensor([0.5, -0.5]))
    assert set(one_to_one.state_dict()) >= {"V", "recurrent.V"}
    assert isinstance(one_to_one.V, torch.nn.Parameter)


def test_gradients_reach_recurrent_and_lstm_weights():
    for neuron, x in (
        (snnx.RLeaky(beta=0.9, linear_features=4), torch.rand(2, 4) * 3),
        (snnx.RSynaptic(alpha=0.5, beta=0.9, conv2d_channels=2, kernel_size=3), torch.rand(2, 2, 3, 3) * 3),
        (snnx.SLSTM(input_size=4, hidden_size=3, threshold=0.05), torch.rand(2, 4)),
        (snnx.SConv2dLSTM(2, 3, 3, threshold=0.05), torch.rand(2, 2, 4, 4)),
    ):
        total = sum(neuron(x)[-1].sum() for _ in range(4))
        total.backward()
        grads = [p.grad for p in neuron.parameters() if p.requires_grad]
        assert grads and all(g is not None and torch.isfinite(g).all() for g in grads), type(neuron).__name__
        assert any(g.abs().sum() > 0 for g in grads)


def test_sconv2dlstm_pooling_shrinks_spikes_not_states():
    neuron = snnx.SConv2dLSTM(2, 3, 3, max_pool=2)
    spk, syn, mem = neuron(torch.rand(1, 2, 6, 4))
    assert spk.shape == (1, 3, 3, 2) and syn.shape == mem.shape == (1, 3, 6, 4)


def test_delta_leaky_takes_and_returns_the_membrane_pair():
    neuron = snnx.DeltaLeaky(0.2, 0.5)
    assert neuron.delta_threshold == 0.2 and float(neuron.beta) == 0.5
    spk, (mem, prev) = neuron(torch.full((2, 3), 0.3), (None, None))
    assert torch.equal(spk, torch.ones(2, 3)) and torch.equal(prev, torch.zeros(2, 3))
    spk, (mem2, prev2) = neuron(torch.full((2, 3), 0.3), (mem, prev))
    assert torch.allclose(mem2, torch.full((2, 3), 0.45)) and torch.equal(prev2, mem)
    assert torch.equal(spk, torch.zeros(2, 3))  # the membrane moved by 0.15 < 0.2
    with pytest.raises(TypeError, match=r"mem=\(mem, mem_prev\)"):
        neuron(torch.ones(2, 3), torch.zeros(2, 3))


@pytest.mark.parametrize(
    ("name", "kwargs", "message"),
    [
        ("Alpha", {"alpha": 0.5, "beta": 0.8}, "alpha must be greater than beta"),
        ("Alpha", {"alpha": 1.0, "beta": 1.0}, "beta must be below 1"),
        ("Lapicque", {"R": -1.0, "C": 2.0}, r"R must lie in \(0, inf\)"),
        ("Lapicque", {"beta": 0.9, "time_step": -0.1}, r"time_step must lie in \(0, inf\)"),
        ("Lapicque", {"R": 1.0}, "give beta, or R and C"),
        ("RLeaky", {"beta": 0.9, "kernel_size": 3}, "conv2d_channels is missing"),
        ("RLeaky", {"beta": 0.9, "conv2d_channels": 2}, "kernel_size is missing"),
        ("RLeaky", {"beta": 0.9, "conv2d_channels": 2, "kernel_size": 4}, "kernel_size must be odd"),
        ("RSynaptic", {"alpha": 0.5, "beta": 0.9}, "needs a recurrent layer"),
        (
            "RSynaptic",
            {"alpha": 0.5, "beta": 0.9, "all_to_all": False, "linear_features": 3},
            "all_to_all=False",
        ),
        ("RLeaky", {"beta": 0.9, "linear_features": -2}, "linear_features must be an integer >= 1"),
        ("SLSTM", {"input_size": 3, "hidden_size": 0}, "hidden_size must be an integer >= 1"),
        (
            "SConv2dLSTM",
            {"in_channels": 1, "out_channels": 1, "kernel_size": 3, "max_pool": 2, "avg_pool": 2},
            "max_pool or avg_pool, not both",
        ),
        ("DeltaLeaky", {"delta_threshold": -1.0, "beta": 0.9}, r"delta_threshold must lie in \[0, inf\)"),
    ],
)
def test_bad_arguments_name_the_argument_and_the_rule(name, kwargs, message):
    with pytest.raises(ParameterRangeError, match=message):
        getattr(snnx, name)(**kwargs)


@pytest.mark.parametrize(
    ("neuron", "x", "message"),
    [
        (snnx.RLeaky(beta=0.9, linear_features=4), torch.rand(2, 5), "linear_features=4"),
        (
            snnx.RLeaky(beta=0.9, conv2d_channels=2, kernel_size=3),
            torch.rand(2, 3, 4, 4),
            "conv2d_channels=2",
        ),
        (snnx.SLSTM(4, 3), torch.rand(2, 5), r"\[batch, input_size=4\]"),
        (snnx.SConv2dLSTM(2, 3, 3), torch.rand(2, 3, 4, 4), "in_channels=2"),
    ],
)
def test_wrong_input_shapes_say_what_shape_is_expected(neuron, x, message):
    with pytest.raises(ValueError, match=message):
        neuron(x)


def test_the_input_dtype_sets_the_compute_dtype_and_gradients_reach_float32_weights():
    neuron = snnx.SLSTM(4, 3, threshold=0.05)
    x = torch.rand(2, 4, dtype=torch.float64)
    spk, syn, mem = neuron(x)
    assert spk.dtype == syn.dtype == mem.dtype == torch.float64
    reference = copy.deepcopy(neuron).double()
    reference.reset_hidden()
    torch.testing.assert_close(mem, reference(x)[2])
    mem.sum().backward()
    assert neuron.lstm_cell.weight_ih.grad.dtype == torch.float32


def test_slstm_state_of_the_wrong_shape_is_an_error():
    neuron = snnx.SLSTM(4, 3)
    with pytest.raises(StateShapeError, match=r"needs shape \(2, 3\)"):
        neuron(torch.rand(2, 4), torch.zeros(2, 4), torch.zeros(2, 4))
