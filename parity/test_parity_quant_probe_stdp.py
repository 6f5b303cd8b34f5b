"""``functional.quant``, ``functional.probe`` and ``functional.stdp_learner`` against snnTorch 1.0.

Quantisers: levels, outputs and straight-through gradients for every combination
of the level settings, and a quantised Leaky over several steps. Monitors: the same
network built from snnTorch neurons and from snnx neurons (same weights) records
the same outputs, inputs, states and gradients. STDP: the single-step rules and
``STDPLearner`` give the same traces and weight changes on the same spikes, where
snnTorch runs (it rejects batched MSTDPET spikes and neurons returning tuples).
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import snntorch
import torch
from snntorch.functional import probe as their_probe
from snntorch.functional import quant as their_quant
from snntorch.functional import stdp_learner as their_stdp
from snntorch.utils import reset as their_reset
from torch import nn

import snnx
from snnx.functional import probe as our_probe
from snnx.functional import quant as our_quant
from snnx.functional import stdp_learner as our_stdp

SETTINGS = [
    {},
    {"threshold": 2.5, "lower_limit": 0.3, "upper_limit": 0.5},
    {"threshold": 0.7, "lower_limit": -0.5, "upper_limit": 1.0, "multiplier": 0.6},
    {"multiplier": 0.8},
    {"threshold": 1.5, "lower_limit": 0.0, "upper_limit": 0.0},
]
QUANT_CASES = list(itertools.product(range(1, 9), (True, False), (True, False), range(len(SETTINGS))))


def _their_levels(quantiser) -> torch.Tensor:
    return quantiser.__closure__[0].cell_contents


@pytest.mark.parametrize(("bits", "uniform", "centred", "index"), QUANT_CASES)
def test_state_quant_levels_outputs_and_gradients(parity, bits, uniform, centred, index):
    settings = dict(num_bits=bits, uniform=uniform, thr_centered=centred, **SETTINGS[index])
    theirs = their_quant.state_quant(**settings)
    ours = our_quant.state_quant(**settings)
    case = f"state_quant{settings}"
    levels = _their_levels(theirs)
    parity.compare(case, "levels", ours.levels, torch.sort(levels).values)

    generator = torch.Generator().manual_seed(bits * 100 + index)
    low, high = float(levels.min()), float(levels.max())
    x = torch.rand(2000, generator=generator) * (high - low + 1.0) + low - 0.5
    # keep away from the midpoints between levels, where float32 rounding of the levels decides
    midpoints = (torch.sort(levels).values[1:] + torch.sort(levels).values[:-1]) / 2
    x = x[(x[:, None] - midpoints[None, :]).abs().min(dim=1).values > 1e-5] if midpoints.numel() else x
    x_theirs, x_ours = x.clone().requires_grad_(), x.clone().requires_grad_()
    upstream = torch.rand(x.shape, generator=generator)
    q_theirs, q_ours = theirs(x_theirs), ours(x_ours)
    parity.compare(case, "quantised", q_ours, q_theirs)
    (q_theirs * upstream).sum().backward()
    (q_ours * upstream).sum().backward()
    parity.compare(case, "gradient", x_ours.grad, x_theirs.grad)


@pytest.mark.parametrize("bits", [2, 4, 8])
def test_leaky_with_state_quant_runs_as_in_snntorch(parity, bits):
    torch.manual_seed(bits)
    theirs = snntorch.Leaky(beta=0.9, threshold=1.0, state_quant=their_quant.state_quant(num_bits=bits))
    ours = snnx.Leaky(beta=0.9, threshold=1.0, state_quant=our_quant.state_quant(num_bits=bits))
    inputs = torch.rand(12, 3, 5) * 0.8
    x_theirs, x_ours = inputs.clone().requires_grad_(), inputs.clone().requires_grad_()
    mem_theirs, mem_ours = theirs.init_leaky(), ours.init_leaky()
    total_theirs = total_ours = 0
    for step in range(inputs.shape[0]):
        spk_theirs, mem_theirs = theirs(x_theirs[step], mem_theirs)
        spk_ours, mem_ours = ours(x_ours[step], mem_ours)
        parity.compare(f"Leaky state_quant {bits} bits", f"step {step} spk", spk_ours, spk_theirs)
        parity.compare(f"Leaky state_quant {bits} bits", f"step {step} mem", mem_ours, mem_theirs)
        total_theirs = total_theirs + (spk_theirs + mem_theirs).sum()
        total_ours = total_ours + (spk_ours + mem_ours).sum()
    total_theirs.backward()
    total_ours.backward()
    parity.compare(f"Leaky state_quant {bits} bits", "input gradient", x_ours.grad, x_theirs.grad)


class ExplicitStateNet(nn.Module):
    """Two layers whose neurons get their state passed in and return ``(spk, mem)``."""

    def __init__(self, library) -> None:
        super().__init__()
        self.fc1, self.lif1 = nn.Linear(5, 4), library.Leaky(beta=0.9)
        self.fc2, self.lif2 = nn.Linear(4, 3), library.Leaky(beta=0.8, threshold=0.5)

    def forward(self, x, mem1, mem2):
        spk1, mem1 = self.lif1(self.fc1(x), mem1)
        spk2, mem2 = self.lif2(self.fc2(spk1), mem2)
        return spk2, mem1, mem2


def _hidden_net(library) -> nn.Sequential:
    return nn.Sequential(
        nn.Linear(5, 4),
        library.Leaky(beta=0.9, init_hidden=True),
        nn.Linear(4, 3),
        library.Leaky(beta=0.8, threshold=0.5, init_hidden=True, output=True),
    )


def _monitors(probe, net, leaky):
    return {
        "output": probe.OutputMonitor(net, instance=leaky),
        "input": probe.InputMonitor(net, instance=leaky),
        "mem": probe.AttributeMonitor("mem", False, net, instance=leaky),
        "linear output": probe.OutputMonitor(net, instance=nn.Linear, function_on_output=torch.relu),
        "grad input": probe.GradInputMonitor(net, instance=leaky),
        "grad output": probe.GradOutputMonitor(net, instance=leaky),
    }


def _flat(record):
    if isinstance(record, tuple):
        return [tensor for item in record for tensor in _flat(item)]
    return [record]


def _run(net, inputs, explicit: bool):
    total = 0
    if explicit:
        mem1, mem2 = net.lif1.init_leaky(), net.lif2.init_leaky()
        for x in inputs:
            spk, mem1, mem2 = net(x, mem1, mem2)
            total = total + (spk * 2 + mem2).sum()
    else:
        for x in inputs:
            spk, mem = net(x)
            total = total + (spk * 2 + mem).sum()
    total.backward()


@pytest.mark.parametrize("explicit", [False, True], ids=["init_hidden", "state_passed"])
def test_monitors_record_what_snntorch_records(parity, explicit):
    torch.manual_seed(3)
    theirs = ExplicitStateNet(snntorch) if explicit else _hidden_net(snntorch)
    ours = ExplicitStateNet(snnx) if explicit else _hidden_net(snnx)
    ours.load_state_dict(theirs.state_dict())
    their_monitors = _monitors(their_probe, theirs, snntorch.Leaky)
    our_monitors = _monitors(our_probe, ours, snnx.Leaky)
    inputs = torch.rand(6, 2, 5) * 2
    _run(theirs, inputs, explicit)
    _run(ours, inputs, explicit)
    case = f"monitors ({'state passed' if explicit else 'init_hidden'})"
    for kind, their_monitor in their_monitors.items():
        our_monitor = our_monitors[kind]
        assert our_monitor.monitored_layers == their_monitor.monitored_layers
        assert len(our_monitor.records) == len(their_monitor.records) > 0
        assert any(tensor is not None for record in their_monitor.records for tensor in _flat(record))
        for layer in their_monitor.monitored_layers:
            for step, (mine, reference) in enumerate(zip(our_monitor[layer], their_monitor[layer])):
                mine, reference = _flat(mine), _flat(reference)
                assert [m is None for m in mine] == [r is None for r in reference]
                for position, (a, b) in enumerate(zip(mine, reference)):
                    if b is not None:
                        parity.compare(case, f"{kind} {layer!r} record {step}.{position}", a, b)


CLAMP = (lambda w: torch.clamp(w, -0.5, 0.5), lambda w: torch.clamp(w, -0.3, 1.0))


def _spikes(generator, shape, rate=0.4):
    return (torch.rand(shape, generator=generator) < rate).float()


def _compare_rule(parity, case, their_rule, our_rule, module, in_shape, out_shape, taus, steps=5):
    generator = torch.Generator().manual_seed(11)
    their_state = our_state = (None, None)
    for step in range(steps):
        in_spike, out_spike = _spikes(generator, in_shape), _spikes(generator, out_shape)
        *their_state, dw_theirs = their_rule(module, in_spike, out_spike, *their_state, *taus, *CLAMP)
        *our_state, dw_ours = our_rule(module, in_spike, out_spike, *our_state, *taus, *CLAMP)
        parity.compare(case, f"step {step} trace_pre", our_state[0], their_state[0])
        parity.compare(case, f"step {step} trace_post", our_state[1], their_state[1])
        parity.compare(case, f"step {step} delta_w", dw_ours, dw_theirs)
        assert step == 0 or float(dw_theirs.abs().sum()) > 0, "spikes too sparse to test anything"


@pytest.mark.parametrize("rule", ["stdp", "mstdp"])
def test_linear_rules_match(parity, rule):
    torch.manual_seed(0)
    fc = nn.Linear(6, 4)
    name = f"{rule}_linear_single_step"
    _compare_rule(
        parity, name, getattr(their_stdp, name), getattr(our_stdp, name), fc, (3, 6), (3, 4), (2.0, 5.0)
    )


def test_mstdpet_matches_on_unbatched_spikes(parity):
    torch.manual_seed(0)
    fc = nn.Linear(6, 4)
    name = "mstdpet_linear_single_step"
    _compare_rule(
        parity, name, getattr(their_stdp, name), getattr(our_stdp, name), fc, (6,), (4,), (2.0, 5.0, 8.0)
    )


CONV2D = [
    ({}, (2, 2, 6, 6), (2, 3, 4, 4)),
    ({"padding": 1}, (2, 2, 6, 6), (2, 3, 6, 6)),
    ({"stride": 2, "padding": 1}, (2, 2, 7, 7), (2, 3, 4, 4)),
    ({"stride": (2, 1), "padding": (1, 2)}, (2, 2, 6, 5), (2, 3, 3, 7)),
    ({"padding": 1, "padding_mode": "circular"}, (2, 2, 5, 5), (2, 3, 5, 5)),
    ({"padding": 1, "padding_mode": "reflect"}, (2, 2, 5, 5), (2, 3, 5, 5)),
]


@pytest.mark.parametrize(("options", "in_shape", "out_shape"), CONV2D)
def test_conv2d_rule_matches(parity, options, in_shape, out_shape):
    torch.manual_seed(0)
    conv = nn.Conv2d(2, 3, 3, bias=False, **options)
    assert conv(torch.zeros(in_shape)).shape == out_shape
    case = f"stdp_conv2d_single_step{options}"
    _compare_rule(
        parity,
        case,
        their_stdp.stdp_conv2d_single_step,
        our_stdp.stdp_conv2d_single_step,
        conv,
        in_shape,
        out_shape,
        (2.0, 4.0),
    )


CONV1D = [
    ({}, (2, 2, 9), (2, 3, 7)),
    ({"padding": 2, "stride": 2}, (2, 2, 9), (2, 3, 6)),
    ({"padding": 1, "padding_mode": "replicate"}, (2, 2, 8), (2, 3, 8)),
]


@pytest.mark.parametrize(("options", "in_shape", "out_shape"), CONV1D)
def test_conv1d_rule_matches(parity, options, in_shape, out_shape):
    torch.manual_seed(0)
    conv = nn.Conv1d(2, 3, 3, **options)
    assert conv(torch.zeros(in_shape)).shape == out_shape
    case = f"stdp_conv1d_single_step{options}"
    _compare_rule(
        parity,
        case,
        their_stdp.stdp_conv1d_single_step,
        our_stdp.stdp_conv1d_single_step,
        conv,
        in_shape,
        out_shape,
        (3.0, 2.0),
    )


def _learner_nets(kind):
    def build(library):
        synapse = nn.Linear(6, 4) if kind == "linear" else nn.Conv2d(2, 3, 3, padding=1)
        return nn.Sequential(synapse, library.Leaky(beta=0.7, threshold=0.3, init_hidden=True))

    theirs, ours = build(snntorch), build(snnx)
    ours.load_state_dict(theirs.state_dict())
    return theirs, ours, (3, 6) if kind == "linear" else (2, 2, 5, 5)


@pytest.mark.parametrize("kind", ["linear", "conv2d"])
def test_stdp_learner_step_matches(parity, kind):
    torch.manual_seed(5)
    theirs, ours, shape = _learner_nets(kind)
    learners = [
        their_stdp.STDPLearner(theirs[0], theirs[1], 2.0, 3.0, *CLAMP),
        our_stdp.STDPLearner(ours[0], ours[1], 2.0, 3.0, *CLAMP),
    ]
    generator = torch.Generator().manual_seed(2)
    for round_ in range(3):
        with torch.no_grad():
            for _ in range(4):
                x = _spikes(generator, shape, 0.5)
                theirs(x)
                ours(x)
        on_grad = round_ > 0
        results = [learner.step(on_grad=on_grad, scale=0.5) for learner in learners]
        case = f"STDPLearner {kind}"
        parity.compare(case, f"round {round_} trace_pre", learners[1].trace_pre, learners[0].trace_pre)
        parity.compare(case, f"round {round_} trace_post", learners[1].trace_post, learners[0].trace_post)
        if on_grad:
            assert results == [None, None]
            parity.compare(case, f"round {round_} weight.grad", ours[0].weight.grad, theirs[0].weight.grad)
        else:
            assert float(results[0].abs().sum()) > 0
            parity.compare(case, f"round {round_} delta_w", results[1], results[0])
    assert np.isfinite(ours[0].weight.grad.numpy()).all()


# --- where snnTorch 1.0 fails, snnx gives what snnTorch gives in the equivalent working setup -------


def test_pre_forward_attribute_monitor_records_the_state_before_the_step(parity):
    theirs, ours = _hidden_net(snntorch), _hidden_net(snnx)
    ours.load_state_dict(theirs.state_dict())
    their_pre = their_probe.AttributeMonitor("mem", True, theirs, instance=snntorch.Leaky)
    with pytest.raises(TypeError, match="missing 1 required positional argument"), torch.no_grad():
        theirs(torch.rand(2, 5))  # snnTorch hands a pre-forward hook three arguments
    their_pre.remove_hooks()
    their_reset(theirs)
    their_post = their_probe.AttributeMonitor("mem", False, theirs, instance=snntorch.Leaky)
    our_pre = our_probe.AttributeMonitor("mem", True, ours, instance=snnx.Leaky)
    with torch.no_grad():
        for x in torch.rand(4, 2, 5):
            theirs(x)
            ours(x)
    for step in range(1, 4):
        parity.compare(
            "AttributeMonitor pre_forward", f"step {step}", our_pre["1"][step], their_post["1"][step - 1]
        )


def test_monitors_default_instance_to_the_net_type():
    lif = snntorch.Leaky(beta=0.5)
    for make in (
        lambda probe, net: probe.AttributeMonitor("mem", False, net),
        lambda probe, net: probe.GradInputMonitor(net),
        lambda probe, net: probe.GradOutputMonitor(net),
    ):
        with pytest.raises(TypeError, match="isinstance"):
            make(their_probe, lif)
        assert make(our_probe, snnx.Leaky(beta=0.5)).monitored_layers == [""]


def test_batched_mstdpet_equals_mstdp(parity):
    fc = nn.Linear(6, 4)
    generator = torch.Generator().manual_seed(8)
    in_spike, out_spike = _spikes(generator, (3, 6)), _spikes(generator, (3, 4))
    with pytest.raises(RuntimeError, match="outer"):
        their_stdp.mstdpet_linear_single_step(fc, in_spike, out_spike, None, None, 2.0, 3.0, 5.0)
    theirs = their_stdp.mstdp_linear_single_step(fc, in_spike, out_spike, None, None, 2.0, 3.0)
    ours = our_stdp.mstdpet_linear_single_step(fc, in_spike, out_spike, None, None, 2.0, 3.0, 5.0)
    for what, a, b in zip(("trace_pre", "trace_post", "eligibility"), ours, theirs):
        parity.compare("batched mstdpet vs mstdp", what, a, b)


@pytest.mark.parametrize("kind", ["conv1d", "conv2d"])
def test_same_padding_equals_the_explicit_padding(parity, kind):
    torch.manual_seed(4)
    conv_type, size = (nn.Conv1d, (7,)) if kind == "conv1d" else (nn.Conv2d, (5, 6))
    same, explicit = conv_type(2, 3, 3, padding="same"), conv_type(2, 3, 3, padding=1)
    explicit.load_state_dict(same.state_dict())
    their_rule, our_rule = (getattr(module, f"stdp_{kind}_single_step") for module in (their_stdp, our_stdp))
    generator = torch.Generator().manual_seed(9)
    in_spike, out_spike = _spikes(generator, (2, 2, *size)), _spikes(generator, (2, 3, *size))
    with pytest.raises(TypeError, match="pad"):
        their_rule(same, in_spike, out_spike, None, None, 2.0, 3.0)
    theirs = their_rule(explicit, in_spike, out_spike, None, None, 2.0, 3.0)
    ours = our_rule(same, in_spike, out_spike, None, None, 2.0, 3.0)
    for what, a, b in zip(("trace_pre", "trace_post", "delta_w"), ours, theirs):
        parity.compare(f"{kind} padding='same'", what, a, b)


def test_stdp_learner_reset_empty_step_and_neurons_returning_state(parity):
    torch.manual_seed(6)
    theirs = nn.Sequential(nn.Linear(6, 4), snntorch.Leaky(beta=0.7, threshold=0.3, init_hidden=True))
    ours = nn.Sequential(nn.Linear(6, 4), snnx.Leaky(beta=0.7, threshold=0.3))  # returns (spk, mem)
    ours.load_state_dict(theirs.state_dict())
    their_learner = their_stdp.STDPLearner(theirs[0], theirs[1], 2.0, 3.0)
    our_learner = our_stdp.STDPLearner(ours[0], ours[1], 2.0, 3.0)
    with pytest.raises(TypeError, match="NoneType"):
        their_learner.step()  # nothing recorded yet
    assert our_learner.step() is None and ours[0].weight.grad is None
    generator = torch.Generator().manual_seed(3)
    with torch.no_grad():
        for _ in range(4):
            x = _spikes(generator, (3, 6), 0.5)
            theirs(x)
            ours(x)
    parity.compare(
        "STDPLearner, neuron returning (spk, mem)",
        "delta_w",
        our_learner.step(False),
        their_learner.step(False),
    )
    with pytest.raises(AttributeError, match="reset"):
        their_learner.reset()
    our_learner.reset()
    assert our_learner.trace_pre is None and our_learner.trace_post is None
