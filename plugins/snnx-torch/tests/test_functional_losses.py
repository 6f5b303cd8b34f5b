"""``snnx.functional`` on torch: losses train a tiny snnx network, shapes, reductions, weights, errors."""

from __future__ import annotations

import subprocess
import sys

import pytest
import torch
from torch import nn

import snnx
from snnx import functional as SF  # noqa: N812 - snnTorch's customary alias
from snnx.errors import InputDtypeError, InputShapeError, ParameterRangeError

T, B, N = 12, 8, 6


def _spikes(seed: int = 0, p: float = 0.3) -> torch.Tensor:
    return (torch.rand(T, B, N, generator=torch.Generator().manual_seed(seed)) < p).float()


def _labels(seed: int = 1, classes: int = N) -> torch.Tensor:
    return torch.randint(0, classes, (B,), generator=torch.Generator().manual_seed(seed))


# ---------------------------------------------------------------- training


TRAINED = [
    ("ce_rate_loss", lambda: SF.ce_rate_loss(), "spk"),
    ("ce_rate_loss population", lambda: SF.ce_rate_loss(population_code=True, num_classes=3), "spk"),
    ("ce_count_loss", lambda: SF.ce_count_loss(), "spk"),
    ("ce_count_loss population", lambda: SF.ce_count_loss(population_code=True, num_classes=3), "spk"),
    ("ce_count_loss weighted", lambda: SF.ce_count_loss(weight=torch.linspace(0.5, 2, N)), "spk"),
    ("mse_count_loss", lambda: SF.mse_count_loss(correct_rate=0.8, incorrect_rate=0.1), "spk"),
    (
        "mse_count_loss population",
        lambda: SF.mse_count_loss(0.8, 0.1, population_code=True, num_classes=2),
        "spk",
    ),
    ("ce_max_membrane_loss", lambda: SF.ce_max_membrane_loss(), "mem"),
    ("mse_membrane_loss", lambda: SF.mse_membrane_loss(on_target=1.0, off_target=-0.5), "mem"),
    ("mse_temporal_loss", lambda: SF.mse_temporal_loss(), "spk"),
    (
        "mse_temporal_loss tolerance",
        lambda: SF.mse_temporal_loss(on_target=1, off_target=8, tolerance=1),
        "spk",
    ),
    (
        "mse_temporal_loss multi",
        lambda: SF.mse_temporal_loss(on_target=(0, 3), off_target=(9, 11), multi_spike=True),
        "spk",
    ),
    ("ce_temporal_loss", lambda: SF.ce_temporal_loss(), "spk"),
    ("ce_temporal_loss reciprocal", lambda: SF.ce_temporal_loss(inverse="reciprocal"), "spk"),
]


def _net() -> nn.Module:
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(10, N), snnx.Leaky(beta=0.8, init_hidden=True, output=True))


def _record(net: nn.Module, data: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    snnx.utils.reset(net)
    spikes, membranes = zip(*(net(x) for x in data))
    return torch.stack(spikes), torch.stack(membranes)


@pytest.mark.parametrize(("name", "make", "recorded"), TRAINED, ids=[row[0] for row in TRAINED])
def test_a_few_training_steps_reduce_the_loss(name, make, recorded):
    data = torch.rand(T, B, 10, generator=torch.Generator().manual_seed(2)) * 2
    labels = _labels(3, 2 if "population" in name and "mse" in name else 3 if "population" in name else N)
    net, loss_fn = _net(), make()
    optimiser = torch.optim.Adam(net.parameters(), lr=0.02)

    def loss() -> torch.Tensor:
        spikes, membranes = _record(net, data)
        return loss_fn(spikes if recorded == "spk" else membranes, labels)

    before = loss().item()
    for _ in range(40):
        optimiser.zero_grad()
        value = loss()
        value.backward()
        assert net[0].weight.grad.abs().sum() > 0, f"{name}: no gradient reached the network"
        optimiser.step()
    assert loss().item() < 0.95 * before, f"{name}: {before} -> {loss().item()}"


# ---------------------------------------------------------------- shapes, reductions, weights


LABEL_LOSSES = [
    SF.ce_rate_loss,
    SF.ce_count_loss,
    SF.ce_max_membrane_loss,
    SF.mse_count_loss,
    SF.mse_membrane_loss,
    SF.mse_temporal_loss,
    SF.ce_temporal_loss,
]
NONE_SHAPES = {"mse_count_loss": (B, N), "mse_membrane_loss": (B, N), "mse_temporal_loss": (B, N)}


@pytest.mark.parametrize("loss", LABEL_LOSSES, ids=lambda cls: cls.__name__)
def test_reductions_give_mean_sum_and_per_sample_losses(loss):
    spikes, labels = _spikes(), _labels()
    weight = torch.linspace(0.5, 2.0, N)
    none = loss(reduction="none")(spikes, labels)
    assert none.shape == NONE_SHAPES.get(loss.__name__, (B,))
    for weighted in (None, weight):
        per_sample = loss(reduction="none", weight=weighted)(spikes, labels)
        total = loss(reduction="sum", weight=weighted)(spikes, labels)
        mean = loss(reduction="mean", weight=weighted)(spikes, labels)
        assert total.shape == () and mean.shape == ()
        torch.testing.assert_close(total, per_sample.sum())
        if weighted is not None and loss is SF.ce_temporal_loss:  # torch's convention: / sum of weights
            torch.testing.assert_close(mean, total / weight[labels].sum())
        else:
            torch.testing.assert_close(mean, per_sample.mean())
    rows = weight[labels].reshape(B, *([1] * (none.dim() - 1)))
    torch.testing.assert_close(loss(reduction="none", weight=weight)(spikes, labels), none * rows)


def test_population_code_sums_each_class_population():
    spikes, labels = _spikes(4), _labels(5, classes=3)
    pooled = spikes.reshape(T, B, 3, 2).sum(-1)
    torch.testing.assert_close(
        SF.ce_count_loss(population_code=True, num_classes=3)(spikes, labels),
        SF.ce_count_loss()(pooled, labels),
    )
    torch.testing.assert_close(
        SF.ce_rate_loss(population_code=True, num_classes=3)(spikes, labels),
        SF.ce_rate_loss()(pooled, labels),
    )
    assert SF.accuracy_rate(spikes, labels, population_code=True, num_classes=3) == SF.accuracy_rate(
        pooled, labels
    )


def test_mse_count_targets_are_truncated_step_counts():
    spikes = torch.zeros(10, 1, 2)
    loss = SF.mse_count_loss(correct_rate=0.75, incorrect_rate=0.29, reduction="none")(
        spikes, torch.tensor([1])
    )
    torch.testing.assert_close(loss, torch.tensor([[2.0**2, 7.0**2]]) / 10)  # int(2.9) = 2, int(7.5) = 7


def test_mse_membrane_time_varying_targets_take_one_label_per_step():
    mem = torch.zeros(3, 2, 2)
    labels = torch.tensor([[0, 1], [1, 1], [0, 0]])
    loss = SF.mse_membrane_loss(time_var_targets=True, on_target=2.0, off_target=-1.0, reduction="none")
    # every step costs 4 (on) + 1 (off) over the two outputs, whichever is on
    torch.testing.assert_close(loss(mem, labels).sum(-1), torch.tensor([5.0, 5.0]))
    assert loss(mem, labels)[0, 0] == (4 + 1 + 4) / 3


def test_spike_time_gives_first_spikes_with_sign_estimator_gradient():
    spikes = torch.tensor([[0, 0], [1, 0], [1, 0], [0, 0]], dtype=torch.float32)[:, None, :].requires_grad_(
        True
    )
    times, wanted = SF.SpikeTime()(spikes, torch.tensor([1]))
    assert times.tolist() == [[1.0, 3.0]] and wanted.tolist() == [[3.0, 0.0]]
    times.sum().backward()
    assert spikes.grad[:, 0].T.tolist() == [[0, -1, 0, 0], [0, 0, 0, -1]]


def test_multi_spike_times_and_accumulated_gradient():
    spikes = torch.tensor([[1, 0], [0, 0], [1, 0], [0, 1]], dtype=torch.float32)[:, None, :].requires_grad_(
        True
    )
    times, wanted = SF.SpikeTime(on_target=(0, 1, 2), off_target=(-3, -2, -1), multi_spike=True)(
        spikes, torch.tensor([0])
    )
    assert times[:, 0].tolist() == [[0.0, 3.0], [2.0, 3.0], [3.0, 3.0]]
    assert wanted[:, 0].tolist() == [[0.0, 1.0], [1.0, 2.0], [2.0, 3.0]]
    times.sum().backward()
    assert spikes.grad[:, 0].T.tolist() == [[-1, 0, -1, -1], [0, 0, 0, -3]]


def test_tolerance_snaps_close_spike_times_to_their_target():
    spikes = torch.zeros(10, 1, 3)
    spikes[4, 0, 0] = spikes[2, 0, 1] = spikes[8, 0, 2] = 1
    times, _ = SF.SpikeTime(target_is_time=True, tolerance=2)(spikes, torch.tensor([3.0, 6.0, -1.0]))
    assert times.tolist() == [[3.0, 2.0, 9.0]]


def test_accuracy_functions_count_correct_predictions():
    spikes = torch.zeros(4, 3, 2)
    spikes[0, 0, 1] = spikes[1, 0, 1] = spikes[3, 0, 0] = (
        1  # sample 0: class 1 fires more, class 0 never first
    )
    spikes[2, 1, 0] = spikes[1, 1, 1] = 1  # sample 1: tie on counts (-> class 0), class 1 first
    acc_rate = SF.accuracy_rate(spikes, torch.tensor([1, 0, 0]))
    acc_time = SF.accuracy_temporal(spikes, torch.tensor([1, 1, 0]))
    assert acc_rate == 1.0 and acc_time == 1.0 and isinstance(acc_rate, float)


def test_l1_rate_sparsity_is_lambda_times_spike_count():
    spikes = _spikes().requires_grad_(True)
    value = SF.l1_rate_sparsity(Lambda=0.25)(spikes)
    value.backward()
    assert value.item() == pytest.approx(0.25 * spikes.sum().item())
    assert torch.all(spikes.grad == 0.25)


def test_float64_outputs_give_float64_losses():
    assert SF.ce_rate_loss()(_spikes().double(), _labels()).dtype == torch.float64


# ---------------------------------------------------------------- errors


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (
            lambda: SF.ce_rate_loss()(_spikes()[0], _labels()),
            InputShapeError,
            r"\[time, batch, outputs\].*\(8, 6\)",
        ),
        (lambda: SF.ce_rate_loss()(_spikes().long(), _labels()), InputDtypeError, "floating-point"),
        (
            lambda: SF.ce_count_loss()(_spikes(), torch.tensor([0, 6] * 4)),
            ParameterRangeError,
            r"\[0, 5\].*0 to 6",
        ),
        (lambda: SF.mse_count_loss()(_spikes(), torch.tensor([-1] * B)), ParameterRangeError, "-1"),
        (lambda: SF.ce_max_membrane_loss()(_spikes(), _labels()[:5]), InputShapeError, r"\(8,\).*\(5,\)"),
        (lambda: SF.accuracy_rate(_spikes(), torch.full((B,), 0.5)), ParameterRangeError, "whole class ids"),
        (
            lambda: SF.ce_count_loss(population_code=True, num_classes=4)(_spikes(), _labels(1, 4)),
            InputShapeError,
            "6 outputs.*num_classes=4",
        ),
        (lambda: SF.mse_count_loss(population_code=True), ParameterRangeError, "num_classes"),
        (
            lambda: SF.accuracy_rate(_spikes(), _labels(), population_code=True),
            ParameterRangeError,
            "num_classes",
        ),
        (lambda: SF.ce_rate_loss(reduction="avg"), ParameterRangeError, "'mean', 'sum', 'none'.*'avg'"),
        (lambda: SF.mse_temporal_loss(reduction=None), ParameterRangeError, "reduction"),
        (
            lambda: SF.ce_count_loss(weight=torch.ones(5))(_spikes(), _labels()),
            InputShapeError,
            r"\(6,\).*\(5,\)",
        ),
        (
            lambda: SF.ce_rate_loss(population_code=True, num_classes=3, weight=torch.ones(6))(
                _spikes(), _labels(1, 3)
            ),
            InputShapeError,
            r"\(3,\).*\(6,\)",
        ),
        (lambda: SF.ce_temporal_loss(inverse="log"), ParameterRangeError, "'negate' or 'reciprocal'"),
        (
            lambda: SF.mse_temporal_loss(on_target=(1, 2), off_target=(5,), multi_spike=True),
            ParameterRangeError,
            "same",
        ),
        (lambda: SF.SpikeTime(on_target=(1, 2)), ParameterRangeError, "multi_spike=True"),
        (
            lambda: SF.mse_temporal_loss(target_is_time=True, weight=torch.ones(N)),
            ParameterRangeError,
            "class ids",
        ),
        (
            lambda: SF.mse_temporal_loss(target_is_time=True)(_spikes(), torch.zeros(B, N + 1)),
            InputShapeError,
            r"\(6,\) or \(8, 6\).*\(8, 7\)",
        ),
        (
            lambda: SF.mse_membrane_loss(time_var_targets=True)(_spikes(), _labels()),
            InputShapeError,
            r"\(12, 8\).*\(8,\)",
        ),
        (lambda: SF.l1_rate_sparsity()([1.0, 0.0]), TypeError, "no available snnx backend"),
    ],
)
def test_bad_input_raises_a_clear_error(call, error, message):
    with pytest.raises(error, match=message):
        call()


# ---------------------------------------------------------------- the functional namespace


def test_functional_namespace_matches_snntorch_and_forwards_lazily():
    for name in ("ce_rate_loss", "mse_temporal_loss", "SpikeTime", "accuracy_rate", "l1_rate_sparsity"):
        assert name in SF.__all__ and callable(getattr(SF, name))
    assert {"probe", "quant", "stdp_learner", "OutputMonitor"} <= set(dir(SF))
    assert (
        SF.probe.__name__ == "snnx.functional.probe"
        and SF.stdp_learner.__name__ == "snnx.functional.stdp_learner"
    )
    assert SF.quant.__name__ == "snnx.functional.quant"
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        _ = SF.nope
    code = (
        "import sys, snnx.functional as F; F.probe, F.quant, F.stdp_learner; "
        "assert 'torch' not in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
