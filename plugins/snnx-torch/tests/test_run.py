"""``snnx.run`` equals the step loop, forward and backward, for every neuron type."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from torch import nn

import snnx
from snnx import surrogate
from snnx_torch import running

T, B = 9, 3


def step_loop(net, x_seq):
    snnx.utils.reset(net)
    outputs = [net(x) for x in x_seq]
    if isinstance(outputs[0], tuple):
        return tuple(torch.stack(seq) for seq in zip(*outputs))
    return torch.stack(outputs)


def assert_same_run(net, x_seq, **run_kwargs):
    """``snnx.run`` and the step loop agree in outputs and in every gradient."""
    x_run = x_seq.clone().requires_grad_(True)
    x_loop = x_seq.clone().requires_grad_(True)
    ours = snnx.run(net, x_run, **run_kwargs)
    ours = ours if isinstance(ours, tuple) else (ours,)
    weights = [torch.randn_like(o) for o in ours]
    sum(((o * w).sum() for o, w in zip(ours, weights)), torch.zeros(())).backward()
    grads = {name: p.grad.clone() for name, p in net.named_parameters() if p.grad is not None}
    net.zero_grad()
    loop = step_loop(net, x_loop)
    loop = loop if isinstance(loop, tuple) else (loop,)
    sum(((o * w).sum() for o, w in zip(loop, weights)), torch.zeros(())).backward()
    for a, b in zip(ours, loop):
        torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(x_run.grad, x_loop.grad, rtol=1e-5, atol=1e-6)
    for name, p in net.named_parameters():
        if p.grad is not None:
            torch.testing.assert_close(grads[name], p.grad, rtol=1e-5, atol=1e-6, msg=name)
    assert grads, "no parameter received a gradient"


def _hidden(cls, *args, **kwargs):
    return cls(*args, init_hidden=True, **kwargs)


NETWORKS = {
    "Leaky": lambda: nn.Sequential(
        nn.Linear(6, 5),
        _hidden(snnx.Leaky, beta=0.8, learn_beta=True, threshold=0.5),
        nn.Linear(5, 4),
        _hidden(snnx.Leaky, beta=0.9, output=True, spike_grad=surrogate.fast_sigmoid()),
    ),
    "Synaptic": lambda: nn.Sequential(
        nn.Linear(6, 5), _hidden(snnx.Synaptic, alpha=0.6, beta=0.8, learn_threshold=True, output=True)
    ),
    "RLeaky": lambda: nn.Sequential(
        nn.Linear(6, 5),
        _hidden(snnx.RLeaky, beta=0.8, linear_features=5),
        nn.Linear(5, 4),
        _hidden(snnx.RLeaky, beta=0.8, all_to_all=False, V=0.4, output=True),
    ),
    "RSynaptic": lambda: nn.Sequential(
        nn.Linear(6, 5), _hidden(snnx.RSynaptic, alpha=0.5, beta=0.8, linear_features=5, output=True)
    ),
    "Alpha": lambda: nn.Sequential(
        nn.Linear(6, 5), _hidden(snnx.Alpha, alpha=0.9, beta=0.7, threshold=0.3, output=True)
    ),
    "Lapicque": lambda: nn.Sequential(
        nn.Linear(6, 5), _hidden(snnx.Lapicque, R=2.0, C=1.0, threshold=0.4, output=True)
    ),
    "SLSTM": lambda: nn.Sequential(nn.Linear(6, 5), _hidden(snnx.SLSTM, 5, 4, threshold=0.05, output=True)),
    "Leaky zero reset, no delay, graded": lambda: nn.Sequential(
        nn.Linear(6, 5),
        _hidden(
            snnx.Leaky,
            beta=0.7,
            reset_mechanism="zero",
            reset_delay=False,
            graded_spikes_factor=2.0,
            learn_graded_spikes_factor=True,
            output=True,
        ),
    ),
}


@pytest.mark.parametrize("name", NETWORKS)
def test_run_equals_the_step_loop(name):
    torch.manual_seed(1)
    assert_same_run(NETWORKS[name](), torch.rand(T, B, 6) * 2)


def test_run_folds_convolutions_pooling_and_flatten():
    torch.manual_seed(2)
    net = nn.Sequential(
        nn.Conv2d(1, 4, 3),
        nn.MaxPool2d(2),
        _hidden(snnx.Leaky, beta=0.5, spike_grad=surrogate.fast_sigmoid()),
        nn.Flatten(),
        nn.Linear(4 * 3 * 3, 3),
        _hidden(snnx.Leaky, beta=0.5, output=True),
    )
    assert_same_run(net, torch.rand(T, B, 1, 8, 8) * 3)


def test_run_of_a_convolutional_lstm_and_a_sequence_neuron():
    torch.manual_seed(3)
    assert_same_run(
        nn.Sequential(_hidden(snnx.SConv2dLSTM, 1, 2, 3, threshold=0.05, output=True)),
        torch.rand(T, B, 1, 5, 5),
    )
    net = nn.Sequential(nn.Linear(6, 4), snnx.StateLeaky(beta=0.8, channels=4))
    x = torch.rand(T, B, 6)
    spk, mem = snnx.run(net, x)
    expected_spk, expected_mem = net[1](net[0](x))
    torch.testing.assert_close(spk, expected_spk)
    torch.testing.assert_close(mem, expected_mem)


def test_run_of_a_single_neuron_returns_spikes_and_states():
    lif = snnx.Leaky(beta=0.9)
    x = torch.rand(T, B, 5) * 2
    spk, mem = snnx.run(lif, x)
    lif.reset_hidden()
    steps = [lif(step) for step in x]
    torch.testing.assert_close(spk, torch.stack([s for s, _ in steps]))
    torch.testing.assert_close(mem, torch.stack([m for _, m in steps]))


class Block(nn.Module):
    """A module with its own forward: run falls back to the step loop for it."""

    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(6, 5)
        self.lif = snnx.Leaky(beta=0.8, init_hidden=True, output=True)

    def forward(self, x):
        spk, mem = self.lif(self.fc(x) * 2)
        return spk + 0.5 * mem


class Shift(nn.Module):
    """A stateless layer snnx does not know: applied step by step inside a Sequential."""

    def forward(self, x):
        return x - 0.1


def test_run_falls_back_to_the_step_loop_for_unknown_modules():
    torch.manual_seed(4)
    assert_same_run(Block(), torch.rand(T, B, 6))
    net = nn.Sequential(nn.Linear(6, 5), Shift(), _hidden(snnx.Leaky, beta=0.8, output=True))
    assert_same_run(net, torch.rand(T, B, 6))


def test_run_resets_first_unless_asked_to_continue():
    torch.manual_seed(5)
    net = NETWORKS["Leaky"]()
    x = torch.rand(T, B, 6) * 2
    first = snnx.run(net, x)[1]
    again = snnx.run(net, x)[1]
    torch.testing.assert_close(first, again)
    whole = snnx.run(net, torch.cat([x, x]))[1]
    snnx.run(net, x)
    continued = snnx.run(net, x, reset=False)[1]
    torch.testing.assert_close(continued, whole[T:])


def test_run_in_eval_mode_with_dropout_and_batchnorm_equals_the_step_loop():
    torch.manual_seed(6)
    net = nn.Sequential(
        nn.Linear(6, 5), nn.BatchNorm1d(5), nn.Dropout(0.3), _hidden(snnx.Leaky, beta=0.8, output=True)
    ).eval()
    assert_same_run(net, torch.rand(T, B, 6))


def test_run_refuses_an_input_without_a_time_dimension():
    with pytest.raises(ValueError, match=r"\[time, batch, \.\.\.\]"):
        snnx.run(snnx.Leaky(beta=0.9), torch.rand(5))


def test_run_on_the_numpy_reference_backend_is_the_step_loop():
    with snnx.use("numpy"):
        lif = snnx.Leaky(beta=0.9)
    x = np.random.default_rng(0).random((T, B, 4))
    spk, mem = snnx.run(lif, x)
    lif.reset_hidden()
    steps = [lif(step) for step in x]
    np.testing.assert_array_equal(spk, np.stack([s for s, _ in steps]))
    np.testing.assert_allclose(mem, np.stack([m for _, m in steps]))


def _plan(net, x_seq):
    return running._PLANS[net][(tuple(x_seq.shape), x_seq.dtype, x_seq.device)]


def _counting(monkeypatch):
    """Record the type of every stage ``snnx.run`` runs from now on."""
    calls = []
    stage = running._stage

    def counted(layer, h, following, bias):
        calls.append(type(layer).__name__)
        return stage(layer, h, following, bias)

    monkeypatch.setattr(running, "_stage", counted)
    return calls


@pytest.mark.parametrize("name", ["Leaky", "Synaptic", "RLeaky", "Alpha", "SLSTM"])
def test_run_in_time_chunks_equals_the_step_loop(name, monkeypatch):
    """A network whose folded activations exceed the budget runs in chunks of steps from its second call."""
    torch.manual_seed(7)
    net = NETWORKS[name]()
    x = torch.rand(T, B, 6)
    monkeypatch.setattr(running, "CHUNK_BYTES", 2 * B * 5 * 4)  # two steps of the 5-neuron activations
    monkeypatch.setattr(running, "FOLD_BYTES", 2 * B * 5 * 4)
    snnx.run(net, x)  # the first call folds every step and measures the activations
    split, chunk = _plan(net, x)
    assert (split, chunk) == (len(running.stages(net)), 2)
    calls = _counting(monkeypatch)
    assert_same_run(net, x)
    assert calls.count("Linear") == math.ceil(T / 2) * ((name in ("Leaky", "RLeaky") and 2) or 1)


def test_run_chunks_only_up_to_the_first_small_activation(monkeypatch):
    """A conv net: the large feature maps run in chunks, the small tail once over the whole sequence."""
    torch.manual_seed(8)
    net = nn.Sequential(
        nn.Sequential(nn.Conv2d(1, 4, 3), nn.MaxPool2d(2)),
        _hidden(snnx.Leaky, beta=0.9, threshold=0.5),
        nn.Flatten(),
        nn.Linear(4 * 3 * 3, 3),
        _hidden(snnx.Leaky, beta=0.9, output=True),
    )
    x = torch.rand(T, B, 1, 8, 8) * 2
    conv_step = B * 4 * 6 * 6 * 4  # bytes of one step of the convolution's output
    monkeypatch.setattr(running, "CHUNK_BYTES", 2 * conv_step)
    monkeypatch.setattr(running, "FOLD_BYTES", 8 * conv_step)  # the conv output (9 steps) exceeds it
    snnx.run(net, x)
    # folded over 9 steps, the conv output exceeds the budget, the pool's (a quarter of it)
    # does not: the conv and the pool in chunks of 2 steps, then the rest once over all steps
    assert _plan(net, x) == (2, 2)
    calls = _counting(monkeypatch)
    assert_same_run(net, x)
    assert calls.count("Conv2d") == 5 and calls.count("MaxPool2d") == 5
    assert calls.count("Linear") == 1 and calls.count("Leaky") == 2


def test_small_networks_fold_every_step_at_once():
    net = NETWORKS["Leaky"]()
    x = torch.rand(T, B, 6)
    snnx.run(net, x)
    assert _plan(net, x) is None


def test_chunk_plan_from_stage_sizes(monkeypatch):
    monkeypatch.setattr(running, "CHUNK_BYTES", 100)
    monkeypatch.setattr(running, "FOLD_BYTES", 300)
    assert running.chunk_plan([10, 30], steps=10) is None  # 300 bytes folded: fold all steps
    assert running.chunk_plan([50, 20, 5, 5], steps=10) == (2, 2)  # stage 0 too large: it and stage 1 chunked
    assert running.chunk_plan([50, 40, 20, 5], steps=10) == (3, 2)  # 0 and 1 too large: up to stage 2
    assert running.chunk_plan([5, 40], steps=10) == (2, 2)  # the last stage large: everything chunked
    assert running.chunk_plan([500, 5], steps=10) == (2, 1)  # one step alone exceeds the budget
    assert running.chunk_plan([], steps=10) is None


def test_batchnorm_in_training_and_sequence_neurons_are_never_chunked(monkeypatch):
    monkeypatch.setattr(running, "CHUNK_BYTES", 1)
    training = nn.Sequential(nn.Linear(6, 5), nn.BatchNorm1d(5), _hidden(snnx.Leaky, beta=0.8))
    assert not running.chunkable(running.stages(training))
    assert running.chunkable(running.stages(training.eval()))
    assert not running.chunkable([nn.Linear(6, 4), snnx.StateLeaky(beta=0.8, channels=4)])
    net = nn.Sequential(nn.Linear(6, 4), snnx.StateLeaky(beta=0.8, channels=4))
    x = torch.rand(T, B, 6)
    snnx.run(net, x)
    calls = _counting(monkeypatch)
    spk, _ = snnx.run(net, x)
    assert calls == ["Linear", "StateLeaky"]
    torch.testing.assert_close(spk, net[1](net[0](x))[0])
