"""snnx's whole-sequence neurons on torch: StateLeaky, LinearLeaky, LeakyParallel, AssociativeLeaky.

Shapes and return conventions, values by hand, learnable flags (parameters that receive gradients),
device and dtype arguments, state_dict interchange with the NumPy reference, and errors.
"""

from __future__ import annotations

import copy
import math
import pickle
import warnings

import numpy as np
import pytest
import torch
from torch import nn

import snnx
from snnx import surrogate
from snnx_torch.neurons import AssociativeLeaky, LeakyParallel, LinearLeaky, SequenceNeuron, StateLeaky

T, B = 12, 2


def seq(features: int, steps: int = T, seed: int = 0) -> torch.Tensor:
    return torch.randn(steps, B, features, generator=torch.Generator().manual_seed(seed)) + 0.3


def test_public_names_resolve_to_the_torch_classes():
    assert snnx.StateLeaky is StateLeaky and snnx.LinearLeaky is LinearLeaky
    assert snnx.LeakyParallel is LeakyParallel and snnx.AssociativeLeaky is AssociativeLeaky
    assert all(
        issubclass(cls, SequenceNeuron) and issubclass(cls, nn.Module) for cls in (StateLeaky, LeakyParallel)
    )


# ------------------------------------------------------------------------------------------- conventions


def test_stateleaky_returns_spikes_and_membrane_or_membrane_only():
    spk, mem = StateLeaky(beta=0.9, channels=4)(seq(4))
    assert spk.shape == mem.shape == (T, B, 4)
    assert set(spk.unique().tolist()) <= {0.0, 1.0}
    mem_only = StateLeaky(beta=0.9, channels=4, output=False)(seq(4))
    assert isinstance(mem_only, torch.Tensor)
    torch.testing.assert_close(mem_only, mem)


def test_linearleaky_projects_then_filters():
    neuron = LinearLeaky(beta=0.8, in_features=3, out_features=5)
    spk, mem = neuron(seq(3))
    assert spk.shape == mem.shape == (T, B, 5)
    plain = StateLeaky(beta=0.8, channels=5)
    _, expected = plain(neuron.linear(seq(3)))
    torch.testing.assert_close(mem, expected)


def test_leakyparallel_returns_spikes_only():
    out = LeakyParallel(input_size=3, hidden_size=5, beta=0.5)(seq(3))
    assert isinstance(out, torch.Tensor) and out.shape == (T, B, 5)


@pytest.mark.parametrize(
    ("d_value", "d_key", "use_q", "width"), [(2, 3, True, 4), (2, 3, False, 6), (3, 3, True, 9)]
)
def test_associativeleaky_output_width(d_value, d_key, use_q, width):
    neuron = AssociativeLeaky(4, d_value, d_key, d_value * d_key, use_q_projection=use_q)
    assert neuron(seq(4)).shape == (T, B, width)
    assert (neuron.to_q is None) != use_q


def test_associativeleaky_from_num_spiking_neurons_and_inferred_size():
    square = AssociativeLeaky.from_num_spiking_neurons(4, 16, use_q_projection=False)
    assert (square.d_value, square.d_key, square.num_spiking_neurons) == (4, 4, 16)
    assert square(seq(4)).shape == (T, B, 16)
    inferred = AssociativeLeaky(4, 2, 5, None)
    assert inferred.num_spiking_neurons == 10 and inferred.to_q.out_features == 10


# ------------------------------------------------------------------------------------------- by hand


def test_stateleaky_membrane_by_hand():
    # beta = 0.5 -> tau = 2: U[t] = sum_j exp(-j / 2) X[t - j]
    neuron = StateLeaky(beta=0.5, channels=1, output=False)
    x = torch.tensor([1.0, 0.0, 2.0, 0.0]).reshape(4, 1, 1)
    d = math.exp(-0.5)
    expected = [1.0, d, d * d + 2.0, d**3 + 2.0 * d]
    assert neuron(x).flatten().tolist() == pytest.approx(expected, rel=1e-6)
    truncated = StateLeaky(beta=0.5, channels=1, output=False, kernel_truncation_steps=2)
    assert truncated(x).flatten().tolist() == pytest.approx([1.0, d, 2.0, 2.0 * d], rel=1e-6)
    one_tap = StateLeaky(beta=0.5, channels=1, output=False, kernel_truncation_steps=1)
    torch.testing.assert_close(one_tap(x), x)


def test_stateleaky_per_channel_beta_and_beta_read_back():
    beta = torch.tensor([0.2, 0.9])
    neuron = StateLeaky(beta=beta, channels=2, output=False)
    torch.testing.assert_close(neuron.tau, 1 / (1 - beta))
    torch.testing.assert_close(neuron.beta, beta)
    x = torch.zeros(3, 1, 2)
    x[0] = 1.0
    mem = neuron(x)[:, 0]
    torch.testing.assert_close(mem[2], torch.exp(-2 / neuron.tau))


@pytest.mark.parametrize("truncation", [None, 1, 3, 15, 100])
def test_shared_and_per_channel_filters_agree(truncation):
    # one shared tau runs as a Toeplitz product (long filters) or a causal convolution (short ones);
    # one tau per channel always runs as the convolution
    x = seq(3, steps=40).requires_grad_(True)
    shared = StateLeaky(beta=0.8, channels=3, kernel_truncation_steps=truncation, learn_beta=True)
    per_channel = StateLeaky(beta=[0.8] * 3, channels=3, kernel_truncation_steps=truncation, learn_beta=True)
    (_, a), (_, b) = shared(x), per_channel(x)
    torch.testing.assert_close(a, b)
    a.sum().backward()
    b.sum().backward()
    torch.testing.assert_close(shared.tau.grad, per_channel.tau.grad.sum())


def test_leakyparallel_recurrence_by_hand():
    neuron = LeakyParallel(input_size=1, hidden_size=1, beta=0.5, bias=False, threshold=1.0)
    with torch.no_grad():
        neuron.rnn.weight_ih_l0.fill_(1.0)
    x = torch.tensor([0.8, 0.8, 0.8, -5.0]).reshape(4, 1, 1)
    # U = relu(x + 0.5 U): 0.8, 1.2, 1.4, 0 -> spikes where U > 1
    assert neuron(x).flatten().tolist() == [0.0, 1.0, 1.0, 0.0]


def test_associativeleaky_state_is_the_decayed_sum_of_outer_products():
    neuron = AssociativeLeaky(2, 1, 1, 1, use_q_projection=False)
    with torch.no_grad():
        for layer in (neuron.to_v, neuron.to_k, neuron.to_alpha):
            layer.weight.copy_(torch.tensor([[1.0, 0.0]]))
            layer.bias.zero_()
        neuron.to_k.weight.copy_(torch.tensor([[0.0, 1.0]]))
    x = torch.tensor([[2.0, 1.0], [0.0, 1.0], [1.0, 3.0]]).reshape(3, 1, 2)
    mem = neuron.membrane(x, neuron.sequence_params(), neuron.sequence_config()).flatten()
    # S_t = sigmoid(x0_t) S_{t-1} + x0_t * x1_t
    s1 = 2.0
    s2 = 0.5 * s1 + 0.0
    s3 = torch.sigmoid(torch.tensor(1.0)).item() * s2 + 3.0
    assert mem.tolist() == pytest.approx([s1, s2, s3], rel=1e-6)
    assert neuron(x).flatten().tolist() == [1.0, 0.0, 1.0]


# ------------------------------------------------------------------------------------------- learning


def _learnable(module: nn.Module) -> set[str]:
    return {name for name, p in module.named_parameters() if p.requires_grad}


def test_stateleaky_learnable_flags_make_parameters_that_get_gradients():
    neuron = StateLeaky(
        beta=0.9, channels=3, learn_beta=True, learn_threshold=True, learn_graded_spikes_factor=True
    )
    assert _learnable(neuron) == {"tau", "threshold", "graded_spikes_factor"}
    assert isinstance(neuron.tau, nn.Parameter) and "beta" in dict(neuron.named_buffers())
    spk, mem = neuron(seq(3))
    (spk.sum() + mem.sum()).backward()
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in neuron.parameters())
    assert _learnable(StateLeaky(beta=0.9, channels=3)) == set()


def test_stateleaky_beta_follows_the_learned_tau():
    neuron = StateLeaky(beta=0.5, channels=2, learn_beta=True)
    with torch.no_grad():
        neuron.tau.fill_(4.0)
    assert neuron.beta.tolist() == pytest.approx(0.75)
    assert neuron.state_dict()["beta"].item() == pytest.approx(0.5)  # the constructor value, as snnTorch


def test_linearleaky_layer_weights_are_always_learnable():
    neuron = LinearLeaky(beta=0.9, in_features=3, out_features=4, learn_beta=True)
    assert _learnable(neuron) == {"tau", "linear.weight", "linear.bias"}
    assert _learnable(LinearLeaky(beta=0.9, in_features=3, out_features=4, bias=False)) == {"linear.weight"}
    spk, mem = neuron(seq(3))
    (spk.sum() + mem.sum()).backward()
    assert all(p.grad is not None for p in neuron.parameters())


def test_leakyparallel_learn_beta_trains_the_recurrent_diagonal_only():
    frozen = LeakyParallel(3, 4, beta=0.5)
    assert not frozen.rnn.weight_hh_l0.requires_grad
    neuron = LeakyParallel(
        3, 4, beta=0.5, learn_beta=True, learn_threshold=True, learn_graded_spikes_factor=True
    )
    assert _learnable(neuron) == {
        "threshold",
        "graded_spikes_factor",
        "rnn.weight_ih_l0",
        "rnn.weight_hh_l0",
        "rnn.bias_ih_l0",
        "rnn.bias_hh_l0",
    }
    optimiser = torch.optim.SGD(neuron.parameters(), lr=0.1)
    for seed in range(3):
        optimiser.zero_grad()
        neuron(seq(3, seed=seed) * 3).sum().backward()
        grad = neuron.rnn.weight_hh_l0.grad
        assert grad.abs().sum() > 0
        assert torch.count_nonzero(grad - torch.diag(torch.diagonal(grad))) == 0
        optimiser.step()
    weight = neuron.rnn.weight_hh_l0.detach()
    assert torch.count_nonzero(weight - torch.diag(torch.diagonal(weight))) == 0


def test_leakyparallel_full_recurrence_with_weight_hh_enable():
    neuron = LeakyParallel(3, 4, beta=0.25, weight_hh_enable=True, learn_beta=True)
    torch.testing.assert_close(neuron.rnn.weight_hh_l0.detach(), torch.full((4, 4), 0.25))
    neuron(seq(3) * 3).sum().backward()
    grad = neuron.rnn.weight_hh_l0.grad
    assert torch.count_nonzero(grad - torch.diag(torch.diagonal(grad))) > 0


def test_leakyparallel_beta_none_keeps_a_random_diagonal():
    neuron = LeakyParallel(3, 4)
    weight = neuron.rnn.weight_hh_l0.detach()
    assert "beta" not in neuron.state_dict()
    assert torch.count_nonzero(weight - torch.diag(torch.diagonal(weight))) == 0
    assert torch.diagonal(weight).abs().max() <= 0.5


def test_associativeleaky_every_layer_gets_gradients():
    neuron = AssociativeLeaky(4, 2, 3, 6)
    neuron(seq(4) * 2).sum().backward()
    assert _learnable(neuron) == {
        f"{layer}.{kind}" for layer in ("to_v", "to_k", "to_alpha", "to_q") for kind in ("weight", "bias")
    }
    assert all(p.grad is not None for p in neuron.parameters())


@pytest.mark.parametrize(
    "make",
    [
        lambda: StateLeaky(beta=0.9, channels=3),
        lambda: LinearLeaky(beta=0.9, in_features=3, out_features=3),
        lambda: LeakyParallel(3, 3, beta=0.5),
        lambda: AssociativeLeaky(3, 1, 3, 3),
    ],
)
def test_surrogate_gradient_reaches_the_input(make):
    neuron = make()
    x = (seq(3) * 2).requires_grad_(True)
    out = neuron(x)
    spikes = out[0] if isinstance(out, tuple) else out
    spikes.sum().backward()
    assert x.grad is not None and x.grad.abs().sum() > 0


def test_surrogate_choice_and_disable():
    x = (seq(3) * 2).requires_grad_(True)
    spk, _ = StateLeaky(beta=0.9, channels=3, spike_grad=surrogate.fast_sigmoid(slope=5))(x)
    spk.sum().backward()
    assert x.grad.abs().sum() > 0
    disabled = LeakyParallel(3, 3, beta=0.5, surrogate_disable=True)(seq(3))
    assert not disabled.requires_grad


# ------------------------------------------------------------------------------------------- device, dtype


def test_dtype_argument_sets_the_layer_weights_and_inputs_set_the_result_dtype():
    neuron = LinearLeaky(beta=0.9, in_features=3, out_features=4, dtype=torch.float64)
    assert neuron.linear.weight.dtype == torch.float64 and neuron.tau.dtype == torch.float32
    spk, mem = neuron(seq(3).double())
    assert spk.dtype == mem.dtype == torch.float64
    assert neuron(seq(3))[1].dtype == torch.float32
    parallel = LeakyParallel(3, 4, beta=0.5, dtype="float64")
    assert parallel.rnn.weight_ih_l0.dtype == torch.float64
    assert parallel(seq(3)).dtype == torch.float32 and parallel(seq(3).double()).dtype == torch.float64


def test_device_argument_places_layers_and_buffers():
    neuron = LinearLeaky(beta=0.9, in_features=3, out_features=4, device="cpu")
    assert {t.device.type for t in neuron.state_dict().values()} == {"cpu"}
    meta = LeakyParallel(3, 4, beta=0.5, device="meta")
    assert meta.rnn.weight_hh_l0.is_meta and meta.threshold.is_meta


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
@pytest.mark.parametrize(
    "make",
    [
        lambda: StateLeaky(beta=[0.5, 0.9, 0.99], channels=3, learn_beta=True),
        lambda: LinearLeaky(beta=0.9, in_features=3, out_features=3, device="cuda"),
        lambda: LeakyParallel(3, 3, beta=0.5, learn_beta=True, device="cuda"),
        lambda: AssociativeLeaky(3, 1, 3, 3),
    ],
)
def test_runs_on_cuda_like_on_cpu(make):
    torch.manual_seed(0)
    neuron = make()
    on_gpu = copy.deepcopy(neuron).cuda()
    on_cpu = neuron.cpu()
    x = seq(3) * 2
    got, want = on_gpu(x.cuda()), on_cpu(x)
    for a, b in zip(got if isinstance(got, tuple) else (got,), want if isinstance(want, tuple) else (want,)):
        assert a.is_cuda
        torch.testing.assert_close(a.cpu(), b, atol=1e-5, rtol=1e-5)


# ------------------------------------------------------------------------------------------- interchange


@pytest.mark.parametrize(
    ("name", "kwargs", "features"),
    [
        ("StateLeaky", {"beta": [0.3, 0.6, 0.9], "channels": 3}, 3),
        ("LinearLeaky", {"beta": 0.8, "in_features": 3, "out_features": 2, "output": False}, 3),
        ("LeakyParallel", {"input_size": 3, "hidden_size": 4}, 3),
        ("AssociativeLeaky", {"in_dim": 3, "d_value": 2, "d_key": 2, "num_spiking_neurons": 4}, 3),
    ],
)
def test_state_dict_moves_between_torch_and_numpy(name, kwargs, features):
    ours = getattr(snnx, name)(**kwargs)
    with snnx.use("numpy"):
        reference = getattr(snnx, name)(**kwargs)
    reference.load_state_dict(ours.state_dict())
    back = getattr(snnx, name)(**kwargs)
    back.load_state_dict({k: torch.as_tensor(v) for k, v in reference.state_dict().items()}, strict=True)
    x = seq(features).double()
    got, want = back(x), reference(x.numpy())
    for a, b in zip(got if isinstance(got, tuple) else (got,), want if isinstance(want, tuple) else (want,)):
        np.testing.assert_allclose(a.detach().numpy(), b, atol=1e-6)


def test_deepcopy_and_pickle_keep_behaviour():
    neuron = LeakyParallel(3, 4, beta=0.5, learn_beta=True)
    for clone in (copy.deepcopy(neuron), pickle.loads(pickle.dumps(neuron))):
        torch.testing.assert_close(clone(seq(3)), neuron(seq(3)))
        clone(seq(3) * 3).sum().backward()
        grad = clone.rnn.weight_hh_l0.grad
        assert torch.count_nonzero(grad - torch.diag(torch.diagonal(grad))) == 0


# ------------------------------------------------------------------------------------------- errors


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: StateLeaky(beta=1.5, channels=3), r"beta must lie in \[0, 1\]"),
        (
            lambda: StateLeaky(beta=[0.5, 0.5], channels=3),
            r"beta must be a single value or have shape \(3,\)",
        ),
        (lambda: StateLeaky(beta=0.5, channels=0), "channels must be an integer >= 1"),
        (lambda: StateLeaky(beta=0.5, channels=3, threshold=0), r"threshold must lie in \(0, inf\)"),
        (
            lambda: StateLeaky(beta=0.5, channels=3, kernel_truncation_steps=0),
            "kernel_truncation_steps must be",
        ),
        (
            lambda: LinearLeaky(beta=0.5, in_features=3, out_features=2, kernel_truncation_steps=-2),
            ">= 1 or None",
        ),
        (lambda: LeakyParallel(3, 4, beta=[0.5, 0.5]), r"one per neuron"),
        (lambda: LeakyParallel(3, 4, dropout=2.0), r"dropout must be a number in \[0, 1\]"),
        (lambda: AssociativeLeaky(4, 2, 3, 7), "num_spiking_neurons must equal d_value \\* d_key = 6"),
        (lambda: AssociativeLeaky(0, 2, 3, 6), "in_dim must be an integer >= 1"),
        (lambda: AssociativeLeaky.from_num_spiking_neurons(4, 12), "perfect square"),
    ],
)
def test_bad_arguments_name_the_argument_and_range(make, message):
    with pytest.raises(snnx.ParameterRangeError, match=message):
        make()


@pytest.mark.parametrize(
    ("neuron", "expected"),
    [
        (StateLeaky(beta=0.9, channels=3), r"\[time, batch, channels=3\]"),
        (LinearLeaky(beta=0.9, in_features=3, out_features=2), r"\[time, batch, in_features=3\]"),
        (LeakyParallel(3, 2), r"\[time, batch, input_size=3\]"),
        (AssociativeLeaky(3, 2, 2, 4), r"\[time, batch, in_dim=3\]"),
    ],
)
def test_wrong_input_shapes_name_the_expected_shape(neuron, expected):
    unbatched_ok = isinstance(neuron, LeakyParallel)  # [time, input_size], as torch's RNNs take it
    for bad in ((torch.zeros(B, 4),) if unbatched_ok else (torch.zeros(B, 3),)) + (
        torch.zeros(T, B, 4),
        torch.zeros(T, B, 3, 1),
    ):
        with pytest.raises(ValueError, match=expected):
            neuron(bad)
    with pytest.raises(snnx.InputDtypeError):
        neuron(torch.zeros(T, B, 3, dtype=torch.int64))


def test_leakyparallel_runs_an_unbatched_sequence_as_a_batch_of_one():
    neuron = LeakyParallel(3, 2, beta=0.5)
    x = torch.rand(T, 3) * 3
    torch.testing.assert_close(neuron(x), neuron(x[:, None])[:, 0])


def test_spike_settings_without_output_warn():
    with pytest.warns(UserWarning, match="graded_spikes_factor"):
        StateLeaky(beta=0.9, channels=3, output=False, graded_spikes_factor=2.0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        StateLeaky(beta=0.9, channels=3, output=False)
