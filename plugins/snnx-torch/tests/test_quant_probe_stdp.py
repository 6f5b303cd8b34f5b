"""State quantisation, monitors and STDP on torch, with snnx neurons."""

from __future__ import annotations

import copy
import gc

import pytest
import torch
from torch import nn

import snnx
from snnx import utils
from snnx.errors import ParameterRangeError, StateShapeError
from snnx.functional import probe, quant, stdp_learner
from snnx_torch.extensions import probe as torch_probe

# --- quantisation -------------------------------------------------------------------------


def test_state_quant_rounds_forward_and_passes_gradients_straight_through():
    quantiser = quant.state_quant(num_bits=3, threshold=2.0)
    x = torch.linspace(-3, 3, 41, dtype=torch.float64, requires_grad=True)
    q = quantiser(x)
    levels = torch.as_tensor(quantiser.levels)
    expected = levels[(x.detach()[:, None] - levels).abs().argmin(dim=1)]
    assert q.dtype == torch.float64 and torch.equal(q.detach(), expected)
    upstream = torch.arange(41.0, dtype=torch.float64)
    (q * upstream).sum().backward()
    assert torch.equal(x.grad, upstream)


def test_leaky_with_state_quant_keeps_its_membrane_on_the_levels():
    quantiser = quant.state_quant(num_bits=4)
    lif = snnx.Leaky(beta=0.9, state_quant=quantiser)
    x = (torch.rand(8, 2, 3) * 0.6).requires_grad_()
    levels = torch.as_tensor(quantiser.levels, dtype=torch.float32)
    total = 0
    for step in x:
        _, mem = lif(step)
        assert torch.isin(mem.detach(), levels).all()
        total = total + mem.sum()
    total.backward()
    assert x.grad.abs().sum() > 0
    clone = copy.deepcopy(lif)
    assert clone.state_quant is not quantiser and torch.equal(
        torch.as_tensor(clone.state_quant.levels), torch.as_tensor(quantiser.levels)
    )


# --- monitors -----------------------------------------------------------------------------


def _net():
    torch.manual_seed(0)
    return nn.Sequential(
        nn.Linear(3, 4),
        snnx.Leaky(beta=0.9, init_hidden=True),
        nn.Linear(4, 2),
        snnx.Leaky(beta=0.8, threshold=0.5, init_hidden=True, output=True),
    )


def _inputs(steps=4):
    return torch.rand(steps, 2, 3, generator=torch.Generator().manual_seed(1)) * 2


def test_output_input_and_attribute_monitors_record_every_step():
    net = _net()
    outputs = probe.OutputMonitor(net, instance=snnx.Leaky)
    inputs = probe.InputMonitor(net, instance=snnx.Leaky, function_on_input=lambda x: x * 10)
    after = probe.AttributeMonitor("mem", False, net, instance=snnx.Leaky)
    before = probe.AttributeMonitor("mem", True, net, instance=snnx.Leaky)
    seen = []
    with torch.no_grad():
        for x in _inputs():
            current = net[0](x)
            spk1 = net[1](current)
            spk2, mem2 = net[3](net[2](spk1))
            seen.append((current, spk1, net[1].mem, spk2, mem2))
    assert outputs.monitored_layers == ["1", "3"] and len(outputs.records) == 8
    for step, (current, spk1, mem1, _, mem2) in enumerate(seen):
        assert torch.equal(outputs["1"][step], spk1) and torch.equal(outputs["3"][step][1], mem2)
        assert torch.equal(inputs["1"][step], current * 10)
        assert torch.equal(after["1"][step], mem1) and torch.equal(after["3"][step], mem2)
        if step:
            assert torch.equal(before["1"][step], after["1"][step - 1])
    assert before["1"][0].numel() == 0  # a fresh neuron has no state yet
    assert (
        outputs[0] is outputs["1"][0] and outputs[1] is outputs["3"][0] and outputs[:2] == outputs.records[:2]
    )


def test_gradient_monitors_record_what_autograd_computes():
    net = _net()
    grad_in = probe.GradInputMonitor(net, instance=snnx.Leaky)
    grad_out = probe.GradOutputMonitor(net, instance=snnx.Leaky)
    currents, spikes_out = [], []
    total = 0
    for x in _inputs(3):
        current = net[2](net[1](net[0](x)))
        current.retain_grad()
        spk, mem = net[3](current)
        currents.append(current)
        spikes_out.append(spk)
        total = total + (3 * spk + mem).sum()
    total.backward()
    assert len(grad_in["3"]) == len(grad_out["3"]) == 3 and len(grad_in.records) == 6
    for step, current in enumerate(reversed(currents)):  # backward visits the last step first
        assert torch.allclose(grad_in["3"][step], current.grad)
        spk_grad, _ = grad_out["3"][step]
        assert torch.equal(spk_grad, torch.full_like(spikes_out[0], 3.0))


def test_enable_disable_clear_and_remove_hooks():
    net = _net()
    monitor = probe.OutputMonitor(net, instance=nn.Linear)
    with torch.no_grad():
        net(_inputs(1)[0])
        monitor.disable()
        assert not monitor.is_enable()
        net(_inputs(1)[0])
        assert len(monitor.records) == 2
        monitor.enable()
        net(_inputs(1)[0])
        assert len(monitor.records) == 4 and monitor.name_records_index == {"0": [0, 2], "2": [1, 3]}
        monitor.clear_recorded_data()
        assert monitor.records == [] and monitor["0"] == []
        monitor.remove_hooks()
        net(_inputs(1)[0])
    assert monitor.records == [] and not net[0]._forward_hooks


def test_a_dropped_monitor_unhooks_itself():
    net = _net()
    monitor = probe.OutputMonitor(net, instance=snnx.Leaky)
    assert net[1]._forward_hooks
    del monitor
    gc.collect()
    assert not net[1]._forward_hooks and not net[3]._forward_hooks


def test_instance_defaults_to_the_net_itself_and_accepts_a_module_object():
    lif = snnx.Leaky(beta=0.5)
    monitor = probe.AttributeMonitor("mem", False, lif)
    outputs = probe.OutputMonitor(_net(), instance=snnx.Leaky(beta=0.5))
    lif(torch.ones(1, 2))
    assert monitor.monitored_layers == [""] and torch.equal(monitor[""][0], torch.ones(1, 2))
    assert outputs.monitored_layers == ["1", "3"]


def test_monitor_errors_name_the_problem():
    net = _net()
    monitor = probe.OutputMonitor(net, instance=snnx.Leaky)
    with pytest.raises(KeyError, match="'lif9' is not monitored; monitored layers: '1', '3'"):
        monitor["lif9"]
    with pytest.raises(TypeError, match="record positions"):
        monitor[1.0]
    with pytest.raises(ValueError, match=r"no layer of net is a Synaptic.*Leaky, Linear, Sequential"):
        probe.OutputMonitor(net, instance=snnx.Synaptic)
    with pytest.raises(TypeError, match="instance must be a module type"):
        probe.InputMonitor(net, instance="Leaky")
    with pytest.raises(TypeError, match=r"net must be a torch\.nn\.Module"):
        probe.GradInputMonitor([net], instance=snnx.Leaky)
    with pytest.raises(AttributeError, match="'1', '3' have no attribute 'mam'"):
        probe.AttributeMonitor("mam", False, net, instance=snnx.Leaky)
    assert len(net[1]._forward_hooks) == 1  # only `monitor`'s: the failed AttributeMonitor unhooked


def test_probe_forwards_every_monitor():
    for name in ("BaseMonitor", "OutputMonitor", "InputMonitor", "AttributeMonitor", "GradInputMonitor"):
        assert getattr(probe, name) is getattr(torch_probe, name)


# --- STDP -------------------------------------------------------------------------------------


def _fc(weight):
    fc = nn.Linear(len(weight[0]), len(weight), bias=False)
    with torch.no_grad():
        fc.weight.copy_(torch.tensor(weight))
    return fc


def test_stdp_linear_by_hand_potentiates_pre_before_post_and_depresses_post_before_pre():
    fc = _fc([[0.5]])
    state = (None, None)
    changes = []
    for pre, post in [(1, 0), (0, 1), (0, 0), (0, 1), (1, 0)]:
        *state, dw = stdp_learner.stdp_linear_single_step(
            fc, torch.tensor([[float(pre)]]), torch.tensor([[float(post)]]), *state, 2.0, 2.0
        )
        changes.append(dw.item())
    # pre trace 1, .5, .25, .125, 1.0625; post trace 0, 1, .5, 1.25, .625 (decay 1 - 1/2 per step)
    # t1: post after pre, +w * 0.5; t3: +w * 0.125; t4: pre after posts, -w * 0.625
    assert changes == pytest.approx([0.0, 0.25, 0.0, 0.0625, -0.3125])
    assert state[0].item() == pytest.approx(1.0625) and state[1].item() == pytest.approx(0.625)


def test_mstdp_rules_give_per_sample_eligibility_and_mstdpet_takes_batches():
    fc = _fc([[0.5, -0.2], [0.1, 0.3], [1.0, 0.0]])
    generator = torch.Generator().manual_seed(4)
    in_spikes = (torch.rand(2, 5, 2, generator=generator) < 0.5).float()
    out_spikes = torch.rand(2, 5, 3, generator=generator) < 0.5  # bool spikes are accepted
    state_a = state_b = (None, None)
    for in_spike, out_spike in zip(in_spikes, out_spikes):
        *state_a, a = stdp_learner.mstdp_linear_single_step(fc, in_spike, out_spike, *state_a, 2.0, 3.0)
        *state_b, b = stdp_learner.mstdpet_linear_single_step(
            fc, in_spike, out_spike, *state_b, 2.0, 3.0, 9.0
        )
    assert a.shape == (5, 3, 2) and torch.equal(a, b) and torch.equal(state_a[0], state_b[0])
    # by hand at the second step: x = s_in(0) e^{-1/2} + s_in(1), y = s_out(0) e^{-1/3} + s_out(1)
    w, s_in, s_out = fc.weight.detach(), in_spikes, out_spikes.float()
    x = s_in[0] * torch.exp(torch.tensor(-1 / 2)) + s_in[1]
    y = s_out[0] * torch.exp(torch.tensor(-1 / 3)) + s_out[1]
    expected = w * s_out[1][:, :, None] * x[:, None, :] - w * y[:, :, None] * s_in[1][:, None, :]
    assert float(expected.abs().sum()) > 0 and torch.allclose(a, expected)
    *_, single = stdp_learner.mstdpet_linear_single_step(
        fc, s_in[0, 1], s_out[0, 1], None, None, 2.0, 3.0, 9.0
    )
    assert single.shape == (3, 2)


def _conv_reference(conv, in_spikes, out_spikes, tau_pre, tau_post, f_pre, f_post):
    """STDP by its definition through autograd: the change of w is f_post(w) d<s_out, conv(x)>/dw
    - f_pre(w) d<y, conv(s_in)>/dw, with the trace x of the unpadded input (the conv pads it)."""
    weight = conv.weight.detach().clone().requires_grad_()
    trace_pre = trace_post = 0
    changes = []
    for in_spike, out_spike in zip(in_spikes, out_spikes):
        trace_pre = trace_pre - trace_pre / tau_pre + in_spike
        trace_post = trace_post - trace_post / tau_post + out_spike
        (potentiation,) = torch.autograd.grad(
            (out_spike * conv._conv_forward(trace_pre, weight, None)).sum(), weight
        )
        (depression,) = torch.autograd.grad(
            (trace_post * conv._conv_forward(in_spike, weight, None)).sum(), weight
        )
        changes.append(f_post(weight.detach()) * potentiation - f_pre(weight.detach()) * depression)
    return changes


CONVS = [
    (nn.Conv2d, {"padding": 1}, (6, 6)),
    (nn.Conv2d, {"stride": 2, "padding": (2, 1)}, (7, 6)),
    (nn.Conv2d, {"padding": "same", "kernel_size": (2, 3)}, (5, 6)),
    (nn.Conv2d, {"padding": "valid"}, (5, 5)),
    (nn.Conv2d, {"padding": 1, "padding_mode": "circular"}, (5, 5)),
    (nn.Conv2d, {"padding": 2, "padding_mode": "reflect", "stride": 3}, (8, 7)),
    (nn.Conv1d, {"padding": "same", "kernel_size": 4}, (9,)),
    (nn.Conv1d, {"padding": 1, "stride": 2, "padding_mode": "replicate"}, (10,)),
]


@pytest.mark.filterwarnings("ignore:Using padding='same' with even kernel")
@pytest.mark.parametrize(("kind", "options", "size"), CONVS)
def test_conv_stdp_matches_the_definition_with_any_padding_and_stride(kind, options, size):
    torch.manual_seed(2)
    options = {"kernel_size": 3, **options}
    conv = kind(2, 3, bias=False, **options)
    rule = stdp_learner.stdp_conv2d_single_step if kind is nn.Conv2d else stdp_learner.stdp_conv1d_single_step
    generator = torch.Generator().manual_seed(3)
    in_spikes = (torch.rand(4, 2, 2, *size, generator=generator) < 0.4).float()
    out_shape = conv(in_spikes[0]).shape
    out_spikes = (torch.rand(4, *out_shape, generator=generator) < 0.4).float()
    f_pre, f_post = (lambda w: w.clamp(-0.2, 0.2)), (lambda w: w.abs())
    reference = _conv_reference(conv, in_spikes, out_spikes, 2.0, 3.0, f_pre, f_post)
    state = (None, None)
    for step, expected in enumerate(reference):
        *state, dw = rule(conv, in_spikes[step], out_spikes[step], *state, 2.0, 3.0, f_pre, f_post)
        assert torch.allclose(dw, expected, atol=1e-5), step
    assert sum(float(change.abs().sum()) for change in reference) > 0


def _learner_net(**leaky):
    torch.manual_seed(1)
    return nn.Sequential(nn.Linear(4, 3), snnx.Leaky(beta=0.6, threshold=0.2, **leaky))


def _drive(net, steps=5, seed=0):
    generator = torch.Generator().manual_seed(seed)
    spikes = [(torch.rand(2, 4, generator=generator) < 0.5).float() for _ in range(steps)]
    with torch.no_grad():
        outputs = [net(x) for x in spikes]
    return spikes, [out[0] if isinstance(out, tuple) else out for out in outputs]


@pytest.mark.parametrize("init_hidden", [True, False])
def test_stdp_learner_replays_the_recorded_steps_through_the_rule(init_hidden):
    net = _learner_net(init_hidden=init_hidden)
    learner = stdp_learner.STDPLearner(net[0], net[1], 2.0, 4.0, f_post=lambda w: w.clamp(0, 1))
    in_spikes, out_spikes = _drive(net)
    state, expected = (None, None), 0
    for in_spike, out_spike in zip(in_spikes, out_spikes):
        *state, dw = stdp_learner.stdp_linear_single_step(
            net[0], in_spike, out_spike, *state, 2.0, 4.0, f_post=lambda w: w.clamp(0, 1)
        )
        expected = expected + 0.1 * dw
    delta = learner.step(on_grad=False, scale=0.1)
    assert float(expected.abs().sum()) > 0 and torch.allclose(delta, expected)
    assert torch.equal(learner.trace_pre, state[0]) and learner.in_spike_monitor.records == []
    # the traces carry over: a second round continues from them
    more_in, more_out = _drive(net, 2, seed=1)
    for in_spike, out_spike in zip(more_in, more_out):
        *state, _ = stdp_learner.stdp_linear_single_step(net[0], in_spike, out_spike, *state, 2.0, 4.0)
    learner.step(on_grad=True)
    assert torch.equal(learner.trace_post, state[1]) and net[0].weight.grad is not None


def test_stdp_learner_on_grad_lets_an_optimiser_add_the_change():
    net = _learner_net(init_hidden=True)
    learner = stdp_learner.STDPLearner(net[0], net[1], 2.0, 2.0)
    optimiser = torch.optim.SGD(net[0].parameters(), lr=1.0)
    _drive(net)
    before = net[0].weight.detach().clone()
    learner.step(on_grad=False)  # consumes the records ...
    utils.reset(net)
    learner.reset()  # ... and reset forgets the traces
    assert learner.trace_pre is None and learner.trace_post is None
    _drive(net)
    delta = learner.step(on_grad=False)
    learner.reset()
    utils.reset(net)
    _drive(net)
    learner.step()
    optimiser.step()
    assert torch.allclose(net[0].weight.detach() - before, delta)


def test_stdp_learner_with_nothing_recorded_changes_nothing():
    net = _learner_net(init_hidden=True)
    learner = stdp_learner.STDPLearner(net[0], net[1], 2.0, 2.0)
    learner.disable()
    _drive(net)
    assert torch.equal(learner.step(on_grad=False), torch.zeros(3, 4))
    assert learner.step() is None and net[0].weight.grad is None
    learner.enable()
    _drive(net, 1)
    assert len(learner.in_spike_monitor.records) == 1


def test_stdp_errors_name_the_fix():
    net = _learner_net(init_hidden=True)
    with pytest.raises(TypeError, match="synapse must be one of Linear, Conv1d, Conv2d, got Conv3d"):
        stdp_learner.STDPLearner(nn.Conv3d(1, 1, 3), net[1], 2.0, 2.0)
    with pytest.raises(NotImplementedError, match="dilation"):
        stdp_learner.STDPLearner(nn.Conv2d(1, 1, 3, dilation=2), net[1], 2.0, 2.0)
    with pytest.raises(ParameterRangeError, match="tau_post must be a positive number"):
        stdp_learner.STDPLearner(net[0], net[1], 2.0, 0.0)
    with pytest.raises(StateShapeError, match=r"in_spike \[batch, 4\] and out_spike \[batch, 3\]"):
        stdp_learner.stdp_linear_single_step(net[0], torch.ones(2, 4), torch.ones(2, 2), None, None, 2.0, 2.0)
    with pytest.raises(StateShapeError, match="trace_pre has shape"):
        stdp_learner.stdp_linear_single_step(
            net[0], torch.ones(2, 4), torch.ones(2, 3), torch.ones(4), None, 2, 2
        )
    conv = nn.Conv2d(2, 3, 3, padding=1)
    with pytest.raises(StateShapeError, match=r"output shape \(1, 3, 5, 5\)"):
        stdp_learner.stdp_conv2d_single_step(
            conv, torch.ones(1, 2, 5, 5), torch.ones(1, 3, 3, 3), None, None, 2, 2
        )
    with pytest.raises(TypeError, match=r"conv must be an nn\.Conv1d"):
        stdp_learner.stdp_conv1d_single_step(conv, torch.ones(1, 2, 5), torch.ones(1, 3, 5), None, None, 2, 2)
    learner = stdp_learner.STDPLearner(net[0], net[1], 2.0, 2.0)
    with torch.no_grad():
        net[0](torch.ones(1, 4))  # the synapse ran without the neuron
    with pytest.raises(RuntimeError, match=r"recorded 1 synapse input.* but 0 neuron output"):
        learner.step()


def test_stdp_learner_forwards_every_rule():
    names = [name for name in stdp_learner.FORWARDED if name != "STDPLearner"]
    assert all(callable(getattr(stdp_learner, name)) for name in names) and len(names) == 5
    assert isinstance(stdp_learner.STDPLearner(*_learner_net(), 2.0, 2.0), nn.Module)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_quantiser_monitors_and_stdp_run_on_cuda():
    quantiser = quant.state_quant(4)
    net = nn.Sequential(
        nn.Linear(4, 3), snnx.Leaky(beta=0.6, threshold=0.2, init_hidden=True, state_quant=quantiser)
    )
    net = net.cuda()
    monitor = probe.AttributeMonitor("mem", False, net, instance=snnx.Leaky)
    learner = stdp_learner.STDPLearner(net[0], net[1], 2.0, 2.0)
    for x in torch.rand(5, 2, 4, device="cuda").round():
        net(x)
    levels = torch.as_tensor(quantiser.levels, dtype=torch.float32, device="cuda")
    assert all(record.is_cuda and torch.isin(record.detach(), levels).all() for record in monitor.records)
    delta = learner.step(on_grad=False)
    assert delta.is_cuda and delta.shape == (3, 4)
