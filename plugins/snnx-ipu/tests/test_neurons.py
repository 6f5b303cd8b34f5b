"""IPU neurons against the torch backend's: outputs, states and gradients over 15 steps, equal."""

from __future__ import annotations

import copy
import pickle

import pytest
import torch

from snnx import surrogate
from snnx.testing import checks_for
from snnx_ipu.backend import IPUBackend
from snnx_ipu.spike import is_plain_spike
from snnx_torch import fused
from snnx_torch.neurons import NEURON_CLASSES, SpikingNeuron

STEPS = 15
IPU = IPUBackend()
STEP_NEURONS = {cls.__name__: spec for spec, cls in NEURON_CLASSES.items() if issubclass(cls, SpikingNeuron)}

CONFIGS = {
    "Leaky": (
        (5,),
        [
            {"beta": 0.85, "threshold": 0.6, "learn_beta": True, "learn_threshold": True},
            {
                "beta": torch.linspace(0.5, 0.95, 5),
                "reset_mechanism": "zero",
                "reset_delay": False,
                "spike_grad": surrogate.fast_sigmoid(slope=5.0),
            },
            {
                "beta": 0.9,
                "init_hidden": True,
                "output": True,
                "graded_spikes_factor": 1.5,
                "learn_graded_spikes_factor": True,
                "spike_grad": surrogate.SFS(slope=4.0, B=0.1),
            },
            {"beta": 0.8, "surrogate_disable": True, "reset_mechanism": "none"},
        ],
    ),
    "Synaptic": (
        (5,),
        [
            {"alpha": 0.8, "beta": 0.9, "learn_alpha": True, "learn_beta": True},
            {
                "alpha": 0.7,
                "beta": 0.95,
                "reset_mechanism": "zero",
                "init_hidden": True,
                "output": True,
                "spike_grad": surrogate.sigmoid(slope=4.0),
            },
            {"alpha": 0.6, "beta": 0.8, "reset_delay": False, "spike_grad": surrogate.LSO(slope=0.2)},
        ],
    ),
    "Alpha": (
        (5,),
        [
            {"alpha": 0.9, "beta": 0.8, "learn_alpha": True, "learn_beta": True, "learn_threshold": True},
            {"alpha": 0.95, "beta": 0.85, "reset_mechanism": "subtract", "spike_grad": surrogate.atan(3.0)},
        ],
    ),
    "Lapicque": (
        (5,),
        [
            {"beta": 0.9, "learn_beta": True},
            {"R": 2.0, "C": 0.5, "time_step": 0.1, "reset_mechanism": "zero"},
            {"beta": 0.85, "init_hidden": True, "output": True, "spike_grad": surrogate.triangular(0.4)},
        ],
    ),
    "RLeaky": (
        (5,),
        [
            {"beta": 0.9, "linear_features": 5, "learn_beta": True},
            {"beta": 0.8, "all_to_all": False, "V": 0.5, "reset_mechanism": "zero"},
            {
                "beta": 0.85,
                "linear_features": 5,
                "init_hidden": True,
                "output": True,
                "reset_delay": False,
                "spike_grad": surrogate.spike_rate_escape(beta=0.5, slope=2.0),
            },
        ],
    ),
    "RSynaptic": (
        (5,),
        [
            {"alpha": 0.8, "beta": 0.9, "linear_features": 5, "learn_alpha": True},
            {"alpha": 0.7, "beta": 0.9, "all_to_all": False, "V": 0.3, "learn_threshold": True},
        ],
    ),
    "SLSTM": (
        (5,),
        [
            {"input_size": 5, "hidden_size": 4},
            {"input_size": 5, "hidden_size": 4, "reset_mechanism": "subtract", "threshold": 0.2},
        ],
    ),
    "SConv2dLSTM": (
        (2, 4, 4),
        [
            {
                "in_channels": 2,
                "out_channels": 3,
                "kernel_size": 3,
                "reset_mechanism": "zero",
                "threshold": 0.1,
            }
        ],
    ),
    "DeltaLeaky": (
        (5,),
        [
            {"delta_threshold": 0.3, "beta": 0.9},
            {"delta_threshold": 0.1, "beta": 0.8, "reset_mechanism": "zero", "learn_beta": True},
        ],
    ),
}
CASES = [(name, index) for name, (_, configs) in CONFIGS.items() for index in range(len(configs))]


def test_every_step_neuron_of_the_torch_backend_is_covered():
    assert set(CONFIGS) == set(STEP_NEURONS)


def make_pair(name: str, config: dict) -> tuple[torch.nn.Module, torch.nn.Module]:
    """The torch neuron and the IPU neuron with the same weights (copied through ``state_dict``)."""
    spec = STEP_NEURONS[name]
    torch.manual_seed(11)
    reference = NEURON_CLASSES[spec](**copy.deepcopy(config))
    neuron = IPU.neuron_class(spec)(**copy.deepcopy(config))
    neuron.load_state_dict(reference.state_dict())
    return reference, neuron


def flat(result) -> list[torch.Tensor]:
    return [item for item in (result if isinstance(result, tuple) else (result,)) if torch.is_tensor(item)]


def run_and_differentiate(neuron: torch.nn.Module, shape: tuple[int, ...]):
    """15 steps from one seed: every step's outputs and states, and the gradients of a loss of them all."""
    generator = torch.Generator().manual_seed(5)
    x = (torch.rand(STEPS, 3, *shape, generator=generator) * 1.6 - 0.3).requires_grad_(True)
    outputs, states, loss = [], [], torch.zeros(())
    for step in range(STEPS):
        returned = flat(neuron(x[step]))
        current = [getattr(neuron, state) for state in neuron.spec.states]
        for tensor in returned + current:
            loss = loss + (tensor * torch.rand(tensor.shape, generator=generator)).sum()
        outputs.append([tensor.detach().clone() for tensor in returned])
        states.append([tensor.detach().clone() for tensor in current])
    loss.backward()
    grads = {name: parameter.grad for name, parameter in neuron.named_parameters()}
    return outputs, states, x.grad, grads


@pytest.mark.parametrize(("name", "index"), CASES)
def test_ipu_neuron_equals_torch_neuron(name, index):
    shape, configs = CONFIGS[name]
    reference, neuron = make_pair(name, configs[index])
    assert is_plain_spike(neuron._spike)
    expected = run_and_differentiate(reference, shape)
    got = run_and_differentiate(neuron, shape)
    for expected_step, got_step in zip(expected[0] + expected[1], got[0] + got[1]):
        assert len(expected_step) == len(got_step)
        assert all(torch.equal(e, g) for e, g in zip(expected_step, got_step))
    assert torch.equal(expected[2], got[2])
    assert expected[2].abs().sum() > 0
    assert expected[3].keys() == got[3].keys()
    for parameter, grad in expected[3].items():
        assert (grad is None) == (got[3][parameter] is None), parameter
        assert grad is None or torch.equal(grad, got[3][parameter]), parameter


@pytest.mark.parametrize(("name", "index"), CASES)
def test_forward_sequence_never_uses_a_fused_kernel(name, index, monkeypatch):
    shape, configs = CONFIGS[name]
    reference, neuron = make_pair(name, configs[index])
    asked = []

    def spy(spec, module, config):
        asked.append(module)
        return None  # the step loop, for the torch neuron too

    def lean_spy(module):
        def ask(x_seq, record_states, input_bias=None):
            asked.append(module)
            return None

        return ask

    monkeypatch.setattr(fused, "kernel_for", spy)
    for module in (reference, neuron):
        module.fast_sequence = lean_spy(module)  # a lean route (Leaky's) counts as a kernel
    x_seq = torch.rand(STEPS, 3, *shape, generator=torch.Generator().manual_seed(2))
    expected = reference.forward_sequence(x_seq)
    got = neuron.forward_sequence(x_seq)
    assert asked and all(module is reference for module in asked)  # the IPU neuron never asks
    assert all(torch.equal(e, g) for e, g in zip(expected, got))
    neuron.reset_hidden()
    last = neuron.forward_sequence(x_seq, record_states=False)
    assert torch.equal(last[0], expected[0])
    assert all(torch.equal(state, sequence[-1]) for state, sequence in zip(last[1:], expected[1:]))


def test_backend_run_is_the_step_loop_of_a_network():
    spec = STEP_NEURONS["Leaky"]
    torch.manual_seed(1)
    reference = torch.nn.Sequential(torch.nn.Linear(4, 5), NEURON_CLASSES[spec](beta=0.9, init_hidden=True))
    net = torch.nn.Sequential(torch.nn.Linear(4, 5), IPU.neuron_class(spec)(beta=0.9, init_hidden=True))
    net.load_state_dict(reference.state_dict())
    x_seq = torch.rand(STEPS, 2, 4, generator=torch.Generator().manual_seed(4)) * 2
    expected = torch.stack([reference(x) for x in x_seq])
    assert torch.equal(IPU.run(net, x_seq), expected)
    assert IPU.neurons_in(net) == [net[1]]


def test_ipu_neurons_pickle_and_deep_copy():
    neuron = IPU.neuron_class(STEP_NEURONS["Synaptic"])(alpha=0.8, beta=0.9, spike_grad=surrogate.LSO(0.2))
    neuron(torch.rand(2, 3))
    for clone in (pickle.loads(pickle.dumps(neuron)), copy.deepcopy(neuron)):
        assert type(clone) is type(neuron)
        assert is_plain_spike(clone._spike)
        assert torch.equal(clone.mem, neuron.mem)


def test_sequence_neurons_spike_through_plain_functions():
    from snnx_torch.neurons import SequenceNeuron

    sequence_specs = [spec for spec, cls in NEURON_CLASSES.items() if issubclass(cls, SequenceNeuron)]
    assert sequence_specs
    for spec in sequence_specs:
        cls = IPU.neuron_class(spec)
        assert issubclass(cls, NEURON_CLASSES[spec]) and cls is not NEURON_CLASSES[spec]


def test_layers_without_spikes_are_the_torch_classes():
    layers = [spec for spec, cls in NEURON_CLASSES.items() if cls.__name__.startswith("BatchNormTT")]
    assert layers and all(IPU.neuron_class(spec) is NEURON_CLASSES[spec] for spec in layers)


REFUSED_CHECKS = {
    "check_available": "no poptorch or IPU here; availability is tested in test_availability.py",
    "check_spike_forward": "it includes SSO, which the ipu backend refuses (test_spike_fn.py)",
    "check_surrogate_gradients": "it includes custom_surrogate, which the ipu backend refuses",
    "check_stochastic_surrogate_gradients": "SSO is refused on the ipu backend",
    "check_custom_surrogate_gradients": "custom_surrogate is refused on the ipu backend",
}


@pytest.mark.parametrize(
    "check",
    [check for check in checks_for(IPU) if check.__name__ not in REFUSED_CHECKS],
    ids=lambda check: check.__name__,
)
def test_ipu_backend_passes_the_conformance_checks_it_can(check):
    check(IPU)


def test_the_excluded_conformance_checks_exist():
    assert set(REFUSED_CHECKS) <= {check.__name__ for check in checks_for(IPU)}
