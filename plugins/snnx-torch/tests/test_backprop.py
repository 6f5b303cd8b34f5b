"""snnx.backprop on torch: training through windows, return values, hidden state, progress bar, errors."""

from __future__ import annotations

import itertools

import pytest
import torch
from torch import nn

import snnx
from snnx import backprop
from snnx.errors import ParameterRangeError, StateShapeError

STEPS, BATCH = 6, 4


def _net(seed: int = 0, recurrent: bool = False) -> nn.Sequential:
    torch.manual_seed(seed)
    hidden = snnx.RLeaky(beta=0.85, linear_features=8, init_hidden=True) if recurrent else None
    return nn.Sequential(
        nn.Linear(5, 8),
        hidden or snnx.Leaky(beta=0.9, init_hidden=True),
        nn.Linear(8, 3),
        snnx.Leaky(beta=0.8, init_hidden=True, output=True),
    )


class Recorder:
    """A spike-count MSE (``criterion(spk_rec, targets)``) that logs its calls."""

    def __init__(self, name: str = "mse_count_loss", time_var_targets: bool = False) -> None:
        self.__name__ = name
        self.time_var_targets = time_var_targets
        self.calls: list[tuple[tuple[int, ...], torch.Tensor, float]] = []

    def __call__(self, record: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        loss = (
            ((record.sum(0) - targets) ** 2).mean()
            if targets.dim() == 2
            else ((record - targets) ** 2).mean()
        )
        self.calls.append((tuple(record.shape), targets, loss.item()))
        return loss


def _batches(count: int = 2, time_varying: bool = True, seed: int = 1) -> list:
    generator = torch.Generator().manual_seed(seed)
    shape = (STEPS, BATCH, 5) if time_varying else (BATCH, 5)
    return [
        (torch.rand(shape, generator=generator) * 1.5, torch.rand(BATCH, 3, generator=generator) * 3)
        for _ in range(count)
    ]


def _sgd(net: nn.Module, lr: float = 0.1) -> torch.optim.Optimizer:
    return torch.optim.SGD(net.parameters(), lr=lr)


@pytest.mark.parametrize(
    "function, kwargs, windows", [("BPTT", {}, 1), ("RTRL", {}, STEPS), ("TBPTT", {"K": 4}, 2)]
)
def test_return_value_is_the_length_weighted_mean_of_the_window_losses(function, kwargs, windows):
    criterion = Recorder()
    loss = getattr(backprop, function)(_net(), _batches(), _sgd(_net()), criterion, progress=False, **kwargs)
    assert isinstance(loss, torch.Tensor) and loss.dim() == 0 and not loss.requires_grad
    assert len(criterion.calls) == 2 * windows  # one criterion call (and optimiser step) per window
    lengths = [shape[0] for shape, _, _ in criterion.calls]
    assert sum(lengths) == 2 * STEPS
    expected = sum(value * length / STEPS for (_, _, value), length in zip(criterion.calls, lengths)) / 2
    assert loss.item() == pytest.approx(expected, rel=1e-6)


def test_tbptt_trains_a_recurrent_net_over_many_windows_and_the_loss_falls():
    """Two classes of Bernoulli inputs; 3 windows of 4 steps per batch, 5 epochs, no graph errors."""
    torch.manual_seed(0)
    net = nn.Sequential(
        nn.Linear(4, 8),
        snnx.RLeaky(beta=0.9, linear_features=8, init_hidden=True),
        nn.Linear(8, 2),
        snnx.Leaky(beta=0.9, init_hidden=True, output=True),
    )
    labels = torch.arange(16) % 2
    rates = torch.where(
        labels[:, None] == 0, torch.tensor([0.8, 0.8, 0.1, 0.1]), torch.tensor([0.1, 0.1, 0.8, 0.8])
    )
    data = torch.bernoulli(rates.expand(12, 16, 4), generator=torch.Generator().manual_seed(2))

    def spike_count_cross_entropy(spk: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        return nn.functional.cross_entropy(spk.sum(0), targets)

    optimizer = torch.optim.Adam(net.parameters(), lr=5e-2)
    losses = [
        backprop.TBPTT(
            net, [(data, labels)], optimizer, spike_count_cross_entropy, K=4, progress=False
        ).item()
        for _ in range(5)
    ]
    assert all(later < earlier for earlier, later in itertools.pairwise(losses[1:]))
    assert losses[-1] < 0.5 * losses[0]


def test_bptt_is_tbptt_with_one_window_and_rtrl_is_k_equals_one():
    results = {}
    for name, function, kwargs in [
        ("BPTT", backprop.BPTT, {}),
        ("TBPTT K=T", backprop.TBPTT, {"K": STEPS}),
        ("RTRL", backprop.RTRL, {}),
        ("TBPTT K=1", backprop.TBPTT, {"K": 1}),
    ]:
        net = _net()
        loss = function(net, _batches(), _sgd(net), Recorder(), progress=False, **kwargs)
        results[name] = (loss, net[0].weight.detach().clone())
    for a, b in [("BPTT", "TBPTT K=T"), ("RTRL", "TBPTT K=1")]:
        assert torch.equal(results[a][0], results[b][0]) and torch.equal(results[a][1], results[b][1])
    assert not torch.allclose(results["BPTT"][1], results["RTRL"][1])


class GradientLog(torch.optim.SGD):
    """SGD that keeps a copy of the first layer's gradient at every step."""

    def __init__(self, net: nn.Module) -> None:
        super().__init__(net.parameters(), lr=0.0)
        self.weight = net[0].weight
        self.grads: list[torch.Tensor] = []

    def step(self, closure=None):
        self.grads.append(self.weight.grad.clone())
        return super().step(closure)


def test_rtrl_holds_the_previous_hidden_state_constant():
    """The step-2 loss depends on the weight only through step 1's state: RTRL sees no gradient."""
    torch.manual_seed(0)
    net = nn.Sequential(nn.Linear(2, 2, bias=False), snnx.Leaky(beta=0.9, init_hidden=True, output=True))
    data = torch.stack([torch.full((1, 2), 0.3), torch.zeros(1, 2)])  # no input at step 2
    criterion = Recorder("mse_membrane_loss")
    targets = torch.ones(1, 1, 2)  # compared with the membrane record of each window
    rtrl = GradientLog(net)
    backprop.RTRL(net, [(data, targets)], rtrl, criterion, progress=False)
    assert rtrl.grads[0].abs().sum() > 0
    assert torch.count_nonzero(rtrl.grads[1]) == 0
    bptt = GradientLog(net)
    backprop.BPTT(net, [(data, targets)], bptt, criterion, progress=False)
    assert torch.count_nonzero(bptt.grads[0] - rtrl.grads[0]) > 0  # BPTT also counts step 2 through step 1


def test_membrane_criteria_get_the_membrane_and_time_varying_targets_restart_each_batch():
    criterion = Recorder("mse_membrane_loss", time_var_targets=True)
    targets = torch.arange(STEPS, dtype=torch.float32)[:, None, None].expand(STEPS, BATCH, 3)
    batches = [(data, targets) for data, _ in _batches(count=2)]
    net = _net()
    backprop.TBPTT(net, batches, _sgd(net), criterion, K=3, progress=False)
    seen = [window_targets[:, 0, 0].tolist() for _, window_targets, _ in criterion.calls]
    assert seen == [[0, 1, 2], [3, 4, 5], [0, 1, 2], [3, 4, 5]]


def test_regularization_is_added_on_the_spike_record():
    records = []

    def l1_rate_sparsity(spk: torch.Tensor) -> torch.Tensor:
        records.append(spk)
        return spk.mean() * 0 + 100.0

    criterion = Recorder()
    loss = backprop.TBPTT(
        _net(), _batches(1), _sgd(_net()), criterion, K=2, regularization=l1_rate_sparsity, progress=False
    )
    assert [tuple(r.shape) for r in records] == [(2, BATCH, 3)] * 3
    assert set(torch.unique(torch.cat(records)).tolist()) <= {0.0, 1.0}
    assert loss.item() == pytest.approx(100.0 + sum(value for *_, value in criterion.calls) / 3, rel=1e-6)


def test_batch_first_and_time_static_data():
    sequence = _batches(1)
    batch_first = [(data.transpose(0, 1), targets) for data, targets in sequence]
    first, second = _net(), _net()
    a = backprop.TBPTT(first, sequence, _sgd(first), Recorder(), K=2, progress=False)
    b = backprop.TBPTT(second, batch_first, _sgd(second), Recorder(), time_first=False, K=2, progress=False)
    assert torch.equal(a, b) and torch.equal(first[0].weight, second[0].weight)
    static = Recorder()
    backprop.BPTT(
        _net(),
        _batches(1, time_varying=False),
        _sgd(_net()),
        static,
        num_steps=5,
        time_var=False,
        progress=False,
    )
    assert static.calls[0][0] == (5, BATCH, 3)


def test_only_the_trained_nets_neurons_are_reset_and_state_is_detached_after_training():
    other = _net(seed=3)
    other(torch.rand(BATCH, 5))
    kept = other[1].mem.clone()
    net = _net()
    backprop.TBPTT(net, _batches(), _sgd(net), Recorder(), K=2, progress=False)
    assert torch.equal(other[1].mem, kept)
    assert all(not neuron.mem.requires_grad for neuron in (net[1], net[3]))


def test_progress_bar_shows_and_can_be_turned_off(capsys):
    net = _net()
    backprop.TBPTT(net, _batches(), _sgd(net), Recorder(), K=3, progress=False)
    assert capsys.readouterr().err == ""
    backprop.TBPTT(net, _batches(), _sgd(net), Recorder(), K=3)
    err = capsys.readouterr().err
    assert "TBPTT" in err and "/2 " in err and "batch" in err and "loss=" in err


def test_reached_through_snnx_backprop():
    from snnx_torch.extensions import backprop as extension

    assert backprop.TBPTT is extension.TBPTT and backprop.FORWARDED == ("BPTT", "RTRL", "TBPTT")


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        ({"K": 0}, ParameterRangeError, "K=0 must be at least 1"),
        ({"K": 2.5}, TypeError, "K must be an int"),
        ({"K": 7}, ParameterRangeError, "K=7 is longer than the batch's 6 time steps"),
        ({"num_steps": 6}, ValueError, "leave num_steps unset"),
        ({"time_var": False}, ParameterRangeError, "needs num_steps"),
        (
            {"time_var": False, "num_steps": 6, "time_first": False},
            ValueError,
            "time_first=False with time_var=False",
        ),
        (
            {"time_first": False},
            StateShapeError,
            r"batch holds 6 samples, but there are 4 targets.*time_first=True",
        ),
    ],
)
def test_bad_options(kwargs, error, match):
    batches = [(data, targets[:, 0]) for data, targets in _batches()]  # class labels [B]
    with pytest.raises(error, match=match):
        backprop.TBPTT(_net(), batches, _sgd(_net()), Recorder(), progress=False, **kwargs)


def test_bad_nets_and_batches():
    criterion, batches = Recorder(), _batches()
    plain = nn.Sequential(nn.Linear(5, 3))
    with pytest.raises(TypeError, match="contains no snnx step neurons"):
        backprop.BPTT(plain, batches, _sgd(plain), criterion, progress=False)
    with pytest.raises(TypeError, match=r"net must be a torch\.nn\.Module"):
        backprop.BPTT(lambda x: x, batches, _sgd(_net()), criterion, progress=False)
    with pytest.raises(ValueError, match="yielded no batches"):
        backprop.BPTT(_net(), [], _sgd(_net()), criterion, progress=False)
    with pytest.raises(TypeError, match=r"must yield \(data, targets\) pairs"):
        backprop.BPTT(_net(), [torch.rand(STEPS, BATCH, 5)], _sgd(_net()), criterion, progress=False)
    with pytest.raises(StateShapeError, match="needs a time and a batch dimension"):
        backprop.BPTT(_net(), [(torch.rand(5), torch.rand(3))], _sgd(_net()), criterion, progress=False)
    spikes_only = nn.Sequential(nn.Linear(5, 3), snnx.Leaky(beta=0.9, init_hidden=True))
    with pytest.raises(TypeError, match="output=True"):
        backprop.BPTT(spikes_only, batches, _sgd(spikes_only), Recorder("mse_membrane_loss"), progress=False)
    short = [(data, torch.rand(STEPS - 2, BATCH, 3)) for data, _ in batches]
    with pytest.raises(StateShapeError, match=r"shape \(4, 4, 3\) must cover the 6 steps"):
        backprop.BPTT(_net(), short, _sgd(_net()), Recorder("mse_membrane_loss", True), progress=False)


def test_with_snnx_functional_losses_and_regularizer():
    from snnx import functional as SF  # noqa: N812 - snnTorch's alias

    labels = [(data, targets.argmax(-1)) for data, targets in _batches()]
    for criterion in (SF.ce_rate_loss(), SF.mse_membrane_loss()):
        net = _net()
        before = net[0].weight.detach().clone()
        regularization = SF.l1_rate_sparsity()
        loss = backprop.TBPTT(
            net, labels, _sgd(net), criterion, K=3, regularization=regularization, progress=False
        )
        assert torch.isfinite(loss) and loss.item() > 0
        assert not torch.equal(net[0].weight, before)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_trains_on_cuda_and_matches_cpu():
    losses, weights = [], []
    for device in ("cpu", "cuda"):
        net = _net()
        losses.append(
            backprop.TBPTT(net, _batches(), _sgd(net), Recorder(), K=4, device=device, progress=False)
        )
        weights.append(net[0].weight.detach().cpu())
    assert losses[1].device.type == "cuda"
    assert torch.allclose(losses[0], losses[1].cpu(), atol=1e-5) and torch.allclose(*weights, atol=1e-5)
