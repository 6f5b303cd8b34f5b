"""Torch helper layers: BatchNormTT1d/2d (batch norm through time) and GradedSpikes."""

from __future__ import annotations

import copy
import inspect

import pytest
import torch
from torch import nn

import snnx
from snnx.errors import ParameterRangeError


@pytest.fixture(autouse=True)
def _torch_backend():
    with snnx.use("torch"):
        yield


@pytest.mark.parametrize(
    ("name", "norm", "shape"),
    [("BatchNormTT1d", nn.BatchNorm1d, (8, 3)), ("BatchNormTT2d", nn.BatchNorm2d, (4, 3, 5, 5))],
)
def test_bntt_is_a_module_list_of_bias_free_batch_norms(name, norm, shape):
    bntt = getattr(snnx, name)(3, 6)
    assert isinstance(bntt, nn.ModuleList) and len(bntt) == 6 and bntt.time_steps == 6
    for layer in bntt:
        assert type(layer) is norm
        assert layer.bias is None and "bias" not in dict(layer.named_parameters())
        assert torch.equal(layer.weight, torch.ones(3)) and layer.weight.requires_grad
        assert layer.eps == 1e-5 and layer.momentum == 0.1 and layer.affine
    assert list(bntt.state_dict()) == [
        f"{step}.{key}"
        for step in range(6)
        for key in ("weight", "running_mean", "running_var", "num_batches_tracked")
    ]
    out = bntt[2](torch.randn(shape))
    assert out.shape == shape


def test_bntt_without_affine_has_no_weight():
    bntt = snnx.BatchNormTT1d(4, 2, affine=False)
    assert bntt[0].weight is None and bntt[0].bias is None
    assert not list(bntt.parameters())
    assert sorted(bntt.state_dict()) == sorted(
        f"{step}.{key}" for step in range(2) for key in ("running_mean", "running_var", "num_batches_tracked")
    )
    x = torch.randn(10, 4) * 3 + 1
    want = (x - x.mean(0)) / torch.sqrt(x.var(0, unbiased=False) + 1e-5)
    torch.testing.assert_close(bntt[1](x), want, atol=1e-5, rtol=1e-5)


def test_each_step_keeps_its_own_statistics():
    torch.manual_seed(0)
    bntt = snnx.BatchNormTT1d(3, 4)
    x = torch.randn(16, 3, 7) * 2 + 0.5
    bntt[1](x)
    for step in (0, 2, 3):
        assert torch.equal(bntt[step].running_mean, torch.zeros(3))
        assert bntt[step].num_batches_tracked.item() == 0
    mean = x.mean(dim=(0, 2))
    var = x.var(dim=(0, 2), unbiased=True)  # the running estimate uses the unbiased variance
    torch.testing.assert_close(bntt[1].running_mean, 0.1 * mean)
    torch.testing.assert_close(bntt[1].running_var, 0.9 + 0.1 * var)
    assert bntt[1].num_batches_tracked.item() == 1


def test_eval_mode_uses_running_statistics_of_the_step():
    bntt = snnx.BatchNormTT2d(2, 3, momentum=0.5)
    x = torch.randn(6, 2, 4, 4) + 3
    bntt[0](x)
    bntt.eval()
    assert not any(layer.training for layer in bntt)
    y = bntt[0](x)
    mean, var = bntt[0].running_mean.view(1, -1, 1, 1), bntt[0].running_var.view(1, -1, 1, 1)
    torch.testing.assert_close(y, (x - mean) / torch.sqrt(var + 1e-5))
    torch.testing.assert_close(bntt[1](x), x / torch.sqrt(torch.tensor(1 + 1e-5)))  # untouched step


def test_momentum_none_is_a_cumulative_average():
    bntt = snnx.BatchNormTT1d(2, 1, momentum=None)
    batches = [torch.randn(8, 2) + shift for shift in (0.0, 1.0, 5.0)]
    for batch in batches:
        bntt[0](batch)
    want = torch.stack([batch.mean(0) for batch in batches]).mean(0)
    torch.testing.assert_close(bntt[0].running_mean, want)


def test_gradients_reach_input_and_per_step_weights():
    bntt = snnx.BatchNormTT1d(3, 2)
    x = torch.randn(5, 3, requires_grad=True)
    (bntt[1](x) * torch.arange(15.0).view(5, 3)).sum().backward()
    assert x.grad is not None and x.grad.abs().sum() > 0
    assert bntt[1].weight.grad is not None and bntt[1].weight.grad.abs().sum() > 0
    assert bntt[0].weight.grad is None


def test_indexing_past_time_steps_names_time_steps():
    bntt = snnx.BatchNormTT1d(3, 4)
    with pytest.raises(IndexError, match=r"time_steps=4 \(steps 0 to 3\)"):
        bntt[4]
    with pytest.raises(IndexError, match="time_steps=4"):
        bntt[-5]
    assert bntt[-1] is bntt[3]
    part = bntt[1:3]
    assert type(part) is nn.ModuleList and list(part) == [bntt[1], bntt[2]]
    with pytest.raises(TypeError, match="integer step"):
        bntt[1.0]


def test_bntt_state_dict_round_trip_copy_and_dtype():
    source = snnx.BatchNormTT2d(2, 3)
    source[0](torch.randn(4, 2, 3, 3))
    target = snnx.BatchNormTT2d(2, 3)
    target.load_state_dict(source.state_dict())
    assert torch.equal(target[0].running_var, source[0].running_var)
    clone = copy.deepcopy(source).double()
    assert clone[0](torch.randn(4, 2, 3, 3, dtype=torch.float64)).dtype == torch.float64
    assert type(clone) is type(source)


@pytest.mark.parametrize(
    ("args", "kwargs", "message"),
    [
        ((0, 3), {}, r"BatchNormTT1d: input_features must be an integer >= 1, got 0"),
        ((2.5, 3), {}, r"input_features must be an integer >= 1, got 2.5"),
        ((4, 0), {}, r"time_steps must be an integer >= 1, got 0"),
        ((4, 3), {"eps": 0.0}, r"eps must lie in \(0, inf\), got 0"),
        ((4, 3), {"momentum": 1.5}, r"momentum must lie in \[0, 1\], got 1.5"),
        ((4, 3), {"momentum": [0.1, 0.2]}, r"momentum must be a single number"),
        ((4, 3), {"affine": "yes"}, r"affine must be one of True, False"),
    ],
)
def test_bntt_rejects_bad_arguments(args, kwargs, message):
    with pytest.raises(ParameterRangeError, match=message):
        snnx.BatchNormTT1d(*args, **kwargs)


def test_bntt_signature_is_snntorchs():
    assert str(inspect.signature(snnx.BatchNormTT2d)) == (
        "(input_features, time_steps, eps=1e-05, momentum=0.1, affine=True)"
    )


def test_graded_spikes_constant_and_random_initialisation():
    layer = snnx.GradedSpikes(4, 2.5)
    assert isinstance(layer.weights, nn.Parameter) and layer.size == 4
    assert torch.equal(layer.weights, torch.full((4, 1), 2.5))
    assert list(layer.state_dict()) == ["weights"]
    for falsy in (0, 0.0, None, False):
        weights = snnx.GradedSpikes(500, falsy).weights
        assert weights.shape == (500, 1)
        assert weights.min() >= 0.5 and weights.max() < 1.5 and weights.std() > 0.2


def test_graded_spikes_scales_rows_and_passes_gradients():
    layer = snnx.GradedSpikes(3, 1.0)
    with torch.no_grad():
        layer.weights.copy_(torch.tensor([[1.0], [2.0], [3.0]]))
    x = torch.tensor([[1.0, 0.0], [1.0, 1.0], [0.0, 1.0]], requires_grad=True)
    y = layer(x)
    torch.testing.assert_close(y, torch.tensor([[1.0, 0.0], [2.0, 2.0], [0.0, 3.0]]))
    y.sum().backward()
    torch.testing.assert_close(layer.weights.grad, torch.tensor([[1.0], [2.0], [1.0]]))
    torch.testing.assert_close(x.grad, torch.tensor([[1.0, 1.0], [2.0, 2.0], [3.0, 3.0]]))


def test_graded_spikes_refuses_inputs_that_do_not_broadcast():
    with pytest.raises(ValueError, match=r"weights of shape \(3, 1\).*input shape \(4, 3\)"):
        snnx.GradedSpikes(3, 1.0)(torch.ones(4, 3))


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((0, 1.0), r"size must be an integer >= 1, got 0"),
        ((3, float("inf")), r"constant_factor must be a finite number.*inf is not finite"),
        ((3, "big"), r"constant_factor must be a finite number.*is not a number"),
        ((3, [1.0, 2.0]), r"constant_factor must be a finite number.*has 2 values"),
    ],
)
def test_graded_spikes_rejects_bad_arguments(args, message):
    with pytest.raises(ParameterRangeError, match=message):
        snnx.GradedSpikes(*args)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_layers_on_cuda():
    bntt = snnx.BatchNormTT1d(3, 2).cuda()
    y = bntt[1](torch.randn(4, 3, device="cuda"))
    assert y.is_cuda and bntt[1].running_mean.is_cuda
    layer = snnx.GradedSpikes(3, 0.5).cuda()
    assert layer(torch.ones(3, 2, device="cuda")).is_cuda
