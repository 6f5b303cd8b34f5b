"""spikegen on torch tensors: seeds, dtypes, gradients and errors."""

from __future__ import annotations

import pytest
import torch

import snnx
from snnx import spikegen


def test_a_seeded_rate_call_gives_the_same_spikes_twice():
    data = torch.rand(8, 10)
    first = spikegen.rate(data, num_steps=20, generator=1234)
    assert torch.equal(first, spikegen.rate(data, num_steps=20, generator=1234))
    assert 0 < first.mean() < 1 and not torch.equal(first, spikegen.rate(data, num_steps=20, generator=1235))
    from_generator = spikegen.rate(data, num_steps=20, generator=torch.Generator().manual_seed(1234))
    assert torch.equal(first, from_generator)


def test_without_a_generator_torch_manual_seed_decides():
    data = torch.rand(50, 4)
    draws = []
    for _ in range(2):
        torch.manual_seed(11)
        spikes = spikegen.rate_conv(data)
        uniform = spikegen.target_rate_code(40, rate=0.4, firing_pattern="uniform")
        poisson = spikegen.target_rate_code(40, rate=0.4, firing_pattern="poisson")
        draws.append(torch.cat([spikes.ravel(), uniform[0], poisson[0]]))
    assert torch.equal(*draws)


@pytest.mark.parametrize("pattern", ["uniform", "poisson"])
def test_target_codes_take_seeds_or_torch_generators(pattern):
    labels = torch.tensor([2, 0, 1])
    kwargs = {"num_steps": 30, "correct_rate": 0.6, "incorrect_rate": 0.3, "firing_pattern": pattern}
    seeded = spikegen.targets_rate(labels, 3, generator=4, **kwargs)
    assert torch.equal(
        seeded, spikegen.targets_convert(labels, 3, generator=torch.Generator().manual_seed(4), **kwargs)
    )
    assert seeded.shape == (30, 3, 3) and seeded[:, 0, 2].sum() > 0
    assert not torch.equal(seeded, spikegen.targets_rate(labels, 3, generator=5, **kwargs))


def test_dtypes_follow_snntorch():
    data = torch.tensor([0.2, 0.7], dtype=torch.float64)
    assert spikegen.latency(data, 5).dtype == torch.float32  # spike trains are float32, as in snnTorch
    assert spikegen.latency_code(data, 5)[0].dtype == torch.float64  # times keep the data's dtype
    assert spikegen.latency_code(data, 5)[1].dtype == torch.bool
    assert spikegen.delta(torch.tensor([1, 3, 3])).dtype == torch.int64
    assert spikegen.to_one_hot(torch.tensor([1, 0]), 3).dtype == torch.float32
    assert spikegen.from_one_hot(torch.eye(3)).dtype == torch.int64
    spikes, times = spikegen.target_rate_code(6, rate=0.5)
    assert isinstance(spikes, torch.Tensor) and spikes.dtype == torch.float32 and times.dtype == torch.int64


def test_log_latency_code_gradient_is_its_derivative():
    x = torch.tensor([0.005, 0.02, 0.3, 0.9], dtype=torch.float64, requires_grad=True)
    spikegen.latency_code_log(x, tau=2.0, threshold=0.01).sum().backward()
    # d/dx tau ln(x / (x - theta)) = -tau theta / (x (x - theta)); 0 where x is clamped to theta + eps
    expected = torch.where(x > 0.01, -2.0 * 0.01 / (x * (x - 0.01)), torch.zeros_like(x))
    torch.testing.assert_close(x.grad, expected.detach())


def test_linear_latency_code_gradient_is_minus_tau_above_threshold():
    x = torch.tensor([0.005, 0.4, 0.8], requires_grad=True)
    spikegen.latency_code_linear(x, tau=3.0, threshold=0.01).sum().backward()
    assert x.grad.tolist() == [0.0, -3.0, -3.0]


@pytest.mark.parametrize(
    "code",
    [
        lambda x: spikegen.latency_code_log(x, 12, normalize=True, first_spike_time=2),
        lambda x: spikegen.latency_code_linear(x, 12, normalize=True),  # inputs above 1: rescaled
        lambda x: spikegen.latency_code(x, 12, tau=4.0, linear=True)[0],
    ],
)
def test_normalized_latency_codes_pass_gradcheck(code):
    x = torch.tensor([0.05, 0.3, 0.55, 1.4, 0.8], dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(code, (x,))


def test_spike_trains_carry_no_gradient_and_ramps_a_zero_one():
    x = torch.tensor([0.1, 0.6, 0.9], requires_grad=True)
    assert not spikegen.latency(x, 6, normalize=True).requires_grad
    ramps = spikegen.latency(x, 6, normalize=True, interpolate=True)
    assert ramps.requires_grad  # like snnTorch, the ramps hang off rounded times: zero gradient
    ramps.sum().backward()
    assert x.grad.abs().sum() == 0
    assert not spikegen.targets_rate(torch.tensor([1]), 2, num_steps=4, correct_rate=0.5).requires_grad


def test_from_one_hot_returns_each_rows_class():
    assert spikegen.from_one_hot(torch.tensor([[0.0, 1.0], [1.0, 0.0]])).tolist() == [1, 0]


def test_rate_targets_need_not_have_as_many_steps_as_classes():
    target = spikegen.targets_rate(torch.tensor([0, 2]), 3, num_steps=8, correct_rate=0.5, on_target=2.0)
    assert target.shape == (8, 2, 3)
    assert target[:, 0, 0].tolist() == [2, 0, 2, 0, 2, 0, 2, 0] and target[:, 0, 1].sum() == 0


def test_negative_off_target_is_used_between_spikes():
    target = spikegen.targets_rate(torch.tensor([1]), 2, on_target=1.0, off_target=-0.5)
    assert target.tolist() == [[-0.5, 1.0]]  # snnTorch clamps the -0.5 to 0


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda: spikegen.to_one_hot(torch.tensor([0, 5]), 5), snnx.ParameterRangeError, r"\[0, 4\].*got 5"),
        (lambda: spikegen.latency(torch.tensor([1, 0]), 5), snnx.InputDtypeError, "got dtype torch.int64"),
        (lambda: spikegen.latency(torch.tensor([0.5]), 5, tau=-1.0), snnx.ParameterRangeError, "tau"),
        (lambda: spikegen.delta(torch.tensor([True])), snnx.InputDtypeError, "got dtype torch.bool"),
        (lambda: spikegen.rate(torch.ones(3), num_steps=-2), snnx.ParameterRangeError, ">= 0"),
        (lambda: spikegen.rate_interpolate(torch.tensor([7]), 5), snnx.ParameterRangeError, "got 7"),
    ],
)
def test_bad_tensors_raise_clear_errors(call, error, message):
    with pytest.raises(error, match=message):
        call()


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_encoders_keep_cuda_tensors_on_the_gpu():
    data = torch.rand(4, 6)
    on_gpu = spikegen.latency(data.cuda(), 8, normalize=True)
    assert on_gpu.device.type == "cuda" and torch.equal(
        on_gpu.cpu(), spikegen.latency(data, 8, normalize=True)
    )
    spikes = spikegen.rate(data.cuda(), 5, generator=3)
    assert spikes.device.type == "cuda" and torch.equal(spikes, spikegen.rate(data.cuda(), 5, generator=3))
    labels = torch.tensor([1, 0], device="cuda")
    kwargs = {"num_steps": 6, "correct_rate": 0.5, "firing_pattern": "poisson", "interpolate": True}
    assert spikegen.targets_rate(labels, 2, generator=1, **kwargs).device.type == "cuda"
    assert spikegen.from_one_hot(spikegen.to_one_hot(labels, 2)).device.type == "cuda"
    with snnx.use("torch", device="cuda"):
        spikes, times = spikegen.target_rate_code(10, rate=0.5, firing_pattern="uniform", generator=2)
    assert spikes.device.type == "cuda" and times.device.type == "cuda"
