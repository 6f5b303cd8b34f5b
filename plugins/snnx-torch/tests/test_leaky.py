"""snnx.Leaky on torch: values, gradients, options, state ownership and errors."""

from __future__ import annotations

import copy
import math

import pytest
import torch
from torch import nn

import snnx
from snnx import surrogate, utils
from snnx_torch.neurons import Leaky


def test_snnx_leaky_is_the_torch_module_by_default():
    assert snnx.current_backend().name == "torch"
    assert snnx.Leaky is Leaky and issubclass(Leaky, nn.Module)


def test_subtract_reset_by_hand_and_return_convention():
    lif = snnx.Leaky(beta=0.5)
    x = torch.tensor([[0.8]])
    trace = [lif(x) for _ in range(4)]
    assert all(isinstance(out, tuple) and len(out) == 2 for out in trace)
    assert [m.item() for _, m in trace] == pytest.approx([0.8, 1.2, 0.4, 1.0])
    assert [s.item() for s, _ in trace] == [0.0, 1.0, 0.0, 0.0]


def test_init_hidden_returns_spikes_only_unless_output():
    x = torch.ones(2, 3)
    assert isinstance(snnx.Leaky(beta=0.5, init_hidden=True)(x), torch.Tensor)
    spk, mem = snnx.Leaky(beta=0.5, init_hidden=True, output=True)(x)
    assert spk.shape == mem.shape == (2, 3)
    with pytest.raises(TypeError, match="do not pass state while init_hidden=True"):
        snnx.Leaky(beta=0.5, init_hidden=True)(x, torch.zeros(2, 3))


def test_surrogate_gradient_flows_to_the_input():
    lif = snnx.Leaky(beta=0.9, threshold=1.0, spike_grad=surrogate.fast_sigmoid(slope=25))
    x = torch.tensor([0.96], requires_grad=True)
    spk, _ = lif(x)
    spk.sum().backward()
    assert spk.item() == 0.0
    # dS/dU at U - theta = -0.04 is 1 / (25 * 0.04 + 1)^2 = 0.25
    assert x.grad.item() == pytest.approx(0.25)


def test_surrogate_disable_blocks_spike_gradients():
    lif = snnx.Leaky(beta=0.9, surrogate_disable=True)
    x = torch.tensor([1.5], requires_grad=True)
    spk, mem = lif(x)
    assert spk.item() == 1.0 and not spk.requires_grad
    assert mem.requires_grad


def test_custom_callable_spike_grad_is_used_as_given():
    calls = []

    def spike(u):
        calls.append(u.shape)
        return (u > 0).float()

    snnx.Leaky(beta=0.5, spike_grad=spike)(torch.ones(3))
    assert calls, "the user's spike function was not called"
    with pytest.raises(TypeError, match="spike_grad must be a surrogate"):
        snnx.Leaky(beta=0.5, spike_grad=3)


def test_learnable_parameters_and_state_dict_names():
    lif = snnx.Leaky(beta=0.9, learn_beta=True, learn_threshold=True, learn_graded_spikes_factor=True)
    assert sorted(name for name, _ in lif.named_parameters()) == ["beta", "graded_spikes_factor", "threshold"]
    fixed = snnx.Leaky(beta=0.9)
    assert list(fixed.parameters()) == []
    assert set(fixed.state_dict()) == {"beta", "threshold", "graded_spikes_factor", "reset_mechanism_val"}
    spk, mem = lif(torch.full((4,), 2.0))
    (spk.sum() + mem.sum()).backward()
    assert all(p.grad is not None for p in lif.parameters())


def test_beta_is_clamped_when_learning_pushes_it_out_of_range():
    lif = snnx.Leaky(beta=0.9, learn_beta=True)
    with torch.no_grad():
        lif.beta.fill_(1.7)
    lif(torch.tensor([0.5]))
    _, mem = lif(torch.tensor([0.0]))
    assert mem.item() == pytest.approx(0.5)  # decay clamped to 1


def test_per_neuron_parameters():
    lif = snnx.Leaky(beta=torch.tensor([0.0, 1.0]), threshold=torch.tensor([0.5, 2.0]))
    lif(torch.tensor([[1.0, 1.0]]))
    spk, mem = lif(torch.tensor([[1.0, 1.0]]))
    assert mem.tolist() == [[0.5, 2.0]]  # first reset by 0.5 (fired at step 1) and not decayed past 0
    assert spk.tolist() == [[0.0, 0.0]]


def test_reset_mechanism_setter_changes_the_update():
    lif = snnx.Leaky(beta=1.0)
    lif.reset_mechanism = "zero"
    assert lif.reset_mechanism_val.item() == 1
    lif(torch.tensor([1.5]))
    _, mem = lif(torch.tensor([0.25]))
    assert mem.item() == pytest.approx(0.25)  # zeroed, not 1.5 - 1 + 0.25
    with pytest.raises(snnx.ParameterRangeError, match="reset_mechanism must be one of"):
        lif.reset_mechanism = "soft"


def test_graded_spikes_scale_the_output():
    spk, _ = snnx.Leaky(beta=0.5, graded_spikes_factor=3.0)(torch.tensor([2.0]))
    assert spk.item() == 3.0


def test_state_quant_is_applied_to_the_membrane():
    _, mem = snnx.Leaky(beta=0.5, state_quant=lambda m: torch.round(m * 4) / 4)(torch.tensor([0.3]))
    assert mem.item() == 0.25


def test_dtype_follows_input():
    spk, mem = snnx.Leaky(beta=0.5)(torch.ones(3, dtype=torch.float64))
    assert spk.dtype == mem.dtype == torch.float64


@pytest.mark.parametrize("dtype", [torch.int64, torch.bool, torch.int8])
def test_non_float_input_is_rejected(dtype):
    with pytest.raises(snnx.InputDtypeError, match=f"floating-point input, got dtype {dtype}.*x.float"):
        snnx.Leaky(beta=0.5)(torch.ones(3, dtype=dtype))


def test_state_shape_mismatch_is_an_error_not_silent_zeros():
    lif = snnx.Leaky(beta=0.5)
    with pytest.raises(
        snnx.StateShapeError, match=r"`mem` passed in has shape \(4, 3\) but the input has shape \(2, 3\)"
    ):
        lif(torch.ones(2, 3), torch.zeros(4, 3))
    hidden = snnx.Leaky(beta=0.5, init_hidden=True)
    hidden(torch.ones(8, 3))
    with pytest.raises(snnx.StateShapeError, match=r"stored `mem`.*snnx.utils.reset\(net\)"):
        hidden(torch.ones(5, 3))
    utils.reset(hidden)
    assert hidden(torch.ones(5, 3)).shape == (5, 3)


def test_init_leaky_gives_a_fresh_state_to_pass_in():
    lif = snnx.Leaky(beta=0.5)
    lif(torch.ones(2))
    mem = lif.init_leaky()
    assert mem.numel() == 0
    _, mem = lif(torch.ones(7), mem)
    assert mem.shape == (7,)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"beta": 1.01}, r"beta must lie in \[0, 1\]"),
        ({"beta": -0.5}, r"beta must lie in \[0, 1\]"),
        ({"beta": 0.5, "threshold": 0.0}, r"threshold must lie in \(0, inf\)"),
        ({"beta": 0.5, "threshold": -1.0}, r"threshold must lie in \(0, inf\)"),
        (
            {"beta": 0.5, "reset_mechanism": "reset"},
            "reset_mechanism must be one of 'subtract', 'zero', 'none'",
        ),
        ({"beta": torch.tensor([0.2, 1.2])}, r"an array with values from 0.2 to 1.2"),
    ],
)
def test_bad_constructor_arguments(kwargs, message):
    with pytest.raises(snnx.ParameterRangeError, match=message):
        snnx.Leaky(**kwargs)


def _net():
    return nn.Sequential(
        nn.Linear(3, 4),
        snnx.Leaky(beta=0.9, init_hidden=True),
        nn.Linear(4, 2),
        snnx.Leaky(beta=0.9, init_hidden=True, output=True),
    )


def _neurons(net):
    return [m for m in net.modules() if isinstance(m, Leaky)]


def test_reset_reaches_nested_containers_and_only_that_net():
    inner = _net()
    outer = nn.ModuleDict({"block": nn.Sequential(nn.ModuleList([inner]))})
    other = _net()
    inner(torch.ones(2, 3))
    other(torch.ones(2, 3))
    utils.reset(outer)
    assert all(n.mem.numel() == 0 for n in _neurons(inner))
    assert all(n.mem.numel() > 0 for n in _neurons(other))


def test_hidden_state_belongs_to_each_instance():
    net = _net()
    net(torch.ones(2, 3) * 3)
    twin = copy.deepcopy(net)
    for a, b in zip(_neurons(net), _neurons(twin)):
        assert torch.equal(a.mem, b.mem) and a.mem is not b.mem
    utils.reset(twin)
    assert all(n.mem.numel() > 0 for n in _neurons(net))
    assert "mem" not in "".join(net.state_dict())  # hidden state is not persisted


def test_state_dict_round_trip_between_instances():
    net = snnx.Leaky(beta=0.7, learn_beta=True, threshold=0.3)
    copy_net = snnx.Leaky(beta=0.1, learn_beta=True)
    copy_net.load_state_dict(net.state_dict())
    assert copy_net.beta.item() == pytest.approx(0.7) and copy_net.threshold.item() == pytest.approx(0.3)


def test_data_parallel_wrapped_net_runs_and_resets():
    net = _net()
    wrapped = nn.DataParallel(net)
    spk, mem = wrapped(torch.ones(2, 3))
    assert mem.shape == (2, 2)
    assert spk.shape == (2, 2)
    utils.reset(wrapped)
    assert all(n.mem.numel() == 0 for n in _neurons(net))


def test_surrogate_called_directly_on_a_tensor():
    u = torch.tensor([-0.5, 0.0, 0.5], requires_grad=True)
    out = surrogate.atan()(u)
    out.sum().backward()
    assert out.tolist() == [0.0, 0.0, 1.0]
    expected = [1 / (1 + (math.pi / 2 * 2 * v) ** 2) for v in (-0.5, 0.0, 0.5)]
    assert u.grad.tolist() == pytest.approx(expected)


def test_neuron_pickles_with_its_surrogate(tmp_path):
    net = _net()
    torch.save(net, tmp_path / "net.pt")
    loaded = torch.load(tmp_path / "net.pt", weights_only=False)
    assert isinstance(loaded[1], Leaky)
    assert loaded(torch.ones(1, 3))[0].shape == (1, 2)


def test_cuda_request_without_gpu_is_refused_clearly():
    if torch.cuda.is_available():
        with snnx.use("torch", device="cuda") as backend:
            assert backend.name == "torch"
        return
    with pytest.raises(snnx.BackendUnavailableError, match="'cuda' was requested but CUDA is not available"):
        snnx.use("torch", device="cuda")
    with pytest.raises(snnx.BackendUnavailableError, match="device='cpu'"):
        snnx.use("torch:cuda:0")
