"""training_model / inference_model against a recording stand-in for poptorch.

What is checked here: the documented poptorch calls and their arguments, the time
loop inside the wrapped forward (equal to snnx.run on the torch backend), the state
reset per call, the loss handed to identity_loss, and the up-front refusals.
"""

from __future__ import annotations

import copy

import pytest
import torch
from torch import nn

import snnx
from snnx import surrogate
from snnx.errors import BackendUnavailableError
from snnx.functional import quant
from snnx_ipu.models import (
    IPUModelError,
    SequenceModel,
    TrainingSequenceModel,
    inference_model,
    training_model,
)
from snnx_ipu.options import options
from snnx_ipu.spike import UnsupportedSurrogateError, is_plain_spike
from snnx_torch.neurons import Leaky, SpikingNeuron, StateLeaky

STEPS, BATCH, FEATURES = 6, 3, 4


def make_net(**last) -> nn.Sequential:
    torch.manual_seed(0)
    net = nn.Sequential(
        nn.Linear(FEATURES, 8),
        Leaky(beta=0.9, threshold=0.3, init_hidden=True),
        nn.Linear(8, 2),
        Leaky(beta=0.8, threshold=0.3, init_hidden=True, output=True, **last),
    )
    with torch.no_grad():  # strong enough weights that both layers spike
        net[0].weight.abs_()
        net[2].weight.abs_().mul_(2)
    return net


def inputs(seed: int = 1) -> torch.Tensor:
    return torch.rand(STEPS, BATCH, FEATURES, generator=torch.Generator().manual_seed(seed)) * 2


def mem_loss(recorded, target):
    _, mem = recorded
    return ((mem.mean(0) - target) ** 2).mean()


def reference(net: nn.Module, x: torch.Tensor):
    """snnx.run of an untouched copy on the torch backend (time first)."""
    with snnx.use("torch"):
        return snnx.run(copy.deepcopy(net), x)


def test_inference_model_wraps_the_net_with_the_options(fake_poptorch):
    net, opts = make_net(), options()
    model = inference_model(net, opts)
    ((_, (wrapped,), kwargs),) = fake_poptorch.calls.named("inferenceModel")
    assert isinstance(wrapped, SequenceModel) and wrapped.net is net
    assert kwargs == {"options": opts}
    assert model.model is wrapped


def test_forward_is_the_step_loop_from_rest_every_call(fake_poptorch):
    net, x = make_net(), inputs()
    expected = reference(net, x)
    model = inference_model(net)
    for _ in range(2):  # the second call must not continue from the first call's state
        spk, mem = model(x)
        torch.testing.assert_close(spk, expected[0], rtol=0, atol=0)
        torch.testing.assert_close(mem, expected[1], rtol=1e-6, atol=1e-6)
    assert expected[0].sum() > 0  # the comparison covers spikes, not only silence


def test_batch_first_takes_and_returns_batch_first(fake_poptorch):
    net, x = make_net(), inputs()
    expected = reference(net, x)
    spk, mem = inference_model(net, batch_first=True)(x.transpose(0, 1).contiguous())
    torch.testing.assert_close(spk, expected[0].transpose(0, 1), rtol=0, atol=0)
    torch.testing.assert_close(mem, expected[1].transpose(0, 1), rtol=1e-6, atol=1e-6)


def test_num_steps_presents_a_static_input_at_every_step(fake_poptorch):
    net, x = make_net(), inputs()[0]
    expected = reference(net, x.expand(STEPS, *x.shape))
    spk, _ = inference_model(net, num_steps=STEPS)(x)
    torch.testing.assert_close(spk, expected[0], rtol=0, atol=0)


def test_torch_neurons_switch_to_plain_operation_spikes(fake_poptorch):
    net = make_net(spike_grad=surrogate.fast_sigmoid(slope=10.0))
    inference_model(net)
    neurons = [m for m in net.modules() if isinstance(m, SpikingNeuron)]
    assert len(neurons) == 2 and all(is_plain_spike(n._spike) for n in neurons)
    assert neurons[1]._spike.surrogate == surrogate.fast_sigmoid(slope=10.0)


def test_training_model_passes_options_and_optimizer(fake_poptorch):
    net, opts = make_net(), options()
    optimizer = torch.optim.SGD(net.parameters(), lr=0.1)
    training_model(net, optimizer, mem_loss, opts)
    ((_, (wrapped,), kwargs),) = fake_poptorch.calls.named("trainingModel")
    assert isinstance(wrapped, TrainingSequenceModel) and wrapped.sequence.net is net
    assert kwargs == {"options": opts, "optimizer": optimizer}


def test_identity_loss_receives_the_loss_of_the_recordings(fake_poptorch):
    net, x, target = make_net(), inputs(), torch.full((BATCH, 2), 0.5)
    expected_loss = mem_loss(reference(net, x), target)
    model = training_model(net, torch.optim.SGD(net.parameters(), lr=0.0), mem_loss)
    (spk, mem), loss = model(x, target)
    ((_, (marked,), kwargs),) = fake_poptorch.calls.named("identity_loss")
    assert kwargs == {"reduction": "none"}
    torch.testing.assert_close(marked.detach(), expected_loss, rtol=1e-6, atol=1e-7)
    torch.testing.assert_close(loss, expected_loss, rtol=1e-6, atol=1e-7)
    assert spk.shape == mem.shape == (STEPS, BATCH, 2)


def test_loss_fn_gets_time_first_recordings_with_batch_first_inputs(fake_poptorch):
    seen = []

    def loss_fn(recorded, target):
        seen.append(tuple(recorded[0].shape))
        return mem_loss(recorded, target)

    net = make_net()
    model = training_model(net, torch.optim.SGD(net.parameters(), lr=0.0), loss_fn, batch_first=True)
    (spk, _), _ = model(inputs().transpose(0, 1), torch.zeros(BATCH, 2))
    assert seen == [(STEPS, BATCH, 2)]
    assert spk.shape == (BATCH, STEPS, 2)


def test_training_steps_through_the_wrapper_lower_the_loss(fake_poptorch):
    net, x, target = make_net(), inputs(), torch.full((BATCH, 2), 0.2)
    model = training_model(net, torch.optim.Adam(net.parameters(), lr=0.05), mem_loss)
    losses = [model(x, target)[1].item() for _ in range(15)]
    assert losses[-1] < 0.5 * losses[0]


@pytest.mark.parametrize(
    ("spike_grad", "error", "message"),
    [
        (surrogate.custom_surrogate(lambda u, grad, out: grad), UnsupportedSurrogateError, "own function"),
        (surrogate.SSO(), UnsupportedSurrogateError, "random"),
        (lambda u: (u > 0).float(), IPUModelError, "function of your own"),
    ],
)
def test_spike_functions_the_ipu_cannot_differentiate_are_refused_first(
    fake_poptorch, spike_grad, error, message
):
    net = make_net(spike_grad=spike_grad)
    first_spike = net[1]._spike
    with pytest.raises(error, match=message) as info:
        training_model(net, torch.optim.SGD(net.parameters(), lr=0.1), mem_loss)
    assert str(info.value).startswith("3 (Leaky)")
    assert net[1]._spike is first_spike  # nothing switched before the refusal
    assert not fake_poptorch.calls.named("trainingModel")


def test_init_hidden_false_inside_a_network_is_refused(fake_poptorch):
    net = nn.Sequential(nn.Linear(FEATURES, 2), Leaky(beta=0.9))
    with pytest.raises(IPUModelError, match=r"init_hidden=False.*init_hidden=True"):
        inference_model(net)


def test_a_lone_init_hidden_false_neuron_runs_from_its_own_state(fake_poptorch):
    neuron, x = Leaky(beta=0.9, threshold=0.5), inputs()
    spk, mem = inference_model(neuron)(x)
    expected = reference(neuron, x)
    torch.testing.assert_close(spk, expected[0], rtol=0, atol=0)
    torch.testing.assert_close(mem, expected[1], rtol=1e-6, atol=1e-6)


def test_sequence_neurons_are_refused(fake_poptorch):
    with pytest.raises(IPUModelError, match=r"1 \(StateLeaky\).*whole sequence"):
        inference_model(nn.Sequential(nn.Linear(FEATURES, 4), StateLeaky(beta=0.9, channels=4)))


def test_state_quant_autograd_function_is_refused_and_plain_quantiser_allowed(fake_poptorch):
    class Round(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x.round()

        @staticmethod
        def backward(ctx, grad):
            return grad

    with pytest.raises(IPUModelError, match=r"state_quant.*autograd"):
        inference_model(make_net(state_quant=Round.apply))
    inference_model(make_net(state_quant=quant.state_quant(num_bits=4, threshold=0.3)))
    assert len(fake_poptorch.calls.named("inferenceModel")) == 1


def test_several_micro_batches_per_call_need_batch_first(fake_poptorch):
    net = make_net()
    with pytest.raises(IPUModelError, match="batch_first=True"):
        inference_model(net, options(device_iterations=2))
    inference_model(net, options(device_iterations=2), batch_first=True)
    inference_model(net, options(gradient_accumulation=2), num_steps=STEPS)  # static [B, ...] input


@pytest.mark.parametrize("num_steps", [0, -3, 2.5, True])
def test_bad_num_steps_is_refused(fake_poptorch, num_steps):
    with pytest.raises(IPUModelError, match="num_steps"):
        inference_model(make_net(), num_steps=num_steps)


def test_bad_arguments_are_refused(fake_poptorch):
    net = make_net()
    with pytest.raises(TypeError, match=r"torch\.nn\.Module"):
        inference_model(lambda x: x)
    with pytest.raises(TypeError, match="loss_fn"):
        training_model(net, torch.optim.SGD(net.parameters(), lr=0.1), "mse")
    with pytest.raises(TypeError, match="optimizer"):
        training_model(net, "sgd", mem_loss)
    other = nn.Linear(2, 2)
    with pytest.raises(IPUModelError, match="none of the network's parameters"):
        training_model(net, torch.optim.SGD(other.parameters(), lr=0.1), mem_loss)


def test_without_poptorch_the_error_says_how_to_install_it(no_poptorch):
    net = make_net()
    with pytest.raises(BackendUnavailableError, match=r"Poplar SDK.*pip install"):
        training_model(net, torch.optim.SGD(net.parameters(), lr=0.1), mem_loss)
    with pytest.raises(BackendUnavailableError, match=r"Poplar SDK.*pip install"):
        inference_model(net)
