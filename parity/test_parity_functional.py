"""Parity of ``snnx.functional`` (losses, SpikeTime, accuracy, regulariser) with snnTorch 1.0.0.

Every loss runs on the same random spikes / membrane potentials ``[9, 6, 12]``
(float32) under every option, and its value and the gradient reaching the input
(for a random upstream gradient) are compared. Where snnTorch 1.0 is wrong, snnx
is compared with the intended result built from snnTorch's own correct pieces
(named ``reference`` below), and ``test_snntorch_*`` asserts the snnTorch fault.
snnTorch's ``ce_rate_loss`` and ``mse_membrane_loss`` return shape ``[1]``; snnx
returns a 0-d scalar, so those are compared after reshaping.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from snnx import functional as SF  # noqa: N812 - snnTorch's customary alias

snntorch = pytest.importorskip("snntorch")
import snntorch.functional as RF  # noqa: E402, N812

T, B, N = 9, 6, 12
REDUCTIONS = ("mean", "sum", "none")


def _spikes(seed: int, p: float = 0.3) -> torch.Tensor:
    generator = torch.Generator().manual_seed(seed)
    return (torch.rand(T, B, N, generator=generator) < p).float()


def _membranes(seed: int) -> torch.Tensor:
    return torch.randn(T, B, N, generator=torch.Generator().manual_seed(seed)) * 1.3


def _labels(seed: int, classes: int, shape: tuple[int, ...] = (B,)) -> torch.Tensor:
    return torch.randint(0, classes, shape, generator=torch.Generator().manual_seed(seed))


def _weights(seed: int, classes: int) -> torch.Tensor:
    return torch.rand(classes, generator=torch.Generator().manual_seed(seed)) * 2 + 0.25


def _run(fn, x: torch.Tensor, targets, upstream: torch.Tensor | None = None):
    """``fn(x, targets)`` and the gradient reaching ``x`` for the upstream gradient ``upstream``."""
    x = x.clone().requires_grad_(True)
    out = fn(x, targets)
    out.backward(upstream.reshape(out.shape) if upstream is not None else torch.ones_like(out))
    return out.detach(), x.grad


def _compare(parity, case: str, ours, theirs, x: torch.Tensor, targets, theirs_targets=None) -> None:
    """Value and input gradient of ``ours`` against ``theirs`` (a snnTorch loss or a reference)."""
    out = ours(x.clone(), targets)
    upstream = torch.randn(out.shape, generator=torch.Generator().manual_seed(7))
    value, grad = _run(ours, x, targets, upstream)
    theirs_targets = targets if theirs_targets is None else theirs_targets
    if isinstance(theirs_targets, torch.Tensor):  # snnTorch may write into its targets
        theirs_targets = theirs_targets.clone()
    ref_value, ref_grad = _run(theirs, x, theirs_targets, upstream)
    if ref_value.shape == (1,) and value.shape == ():  # snnTorch's [1]-shaped scalars
        ref_value = ref_value.reshape(())
    parity.compare(case, "value", value, ref_value)
    parity.compare(case, "grad", grad, ref_grad)


def _reduce(loss: torch.Tensor, reduction: str) -> torch.Tensor:
    return {"mean": loss.mean, "sum": loss.sum, "none": lambda: loss}[reduction]()


def _row_weights(weight: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    return weight[labels].reshape(*labels.shape, 1)


# ---------------------------------------------------------------- cross-entropy losses


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted", [False, True])
def test_ce_rate_loss(parity, reduction, weighted):
    weight = _weights(1, N) if weighted else None
    theirs = RF.ce_rate_loss(reduction=reduction, weight=weight)
    if weighted and reduction == "sum":  # snnTorch leaves the weighted loss unreduced

        def theirs(x, y, plain=theirs):
            return plain(x, y).sum()

    ours = SF.ce_rate_loss(reduction=reduction, weight=weight)
    _compare(parity, f"ce_rate_loss {reduction} w={weighted}", ours, theirs, _spikes(2), _labels(3, N))


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("num_classes", [3, 4, 12])
@pytest.mark.parametrize("weighted", [False, True])
def test_ce_rate_loss_population_reference(parity, reduction, num_classes, weighted):
    """snnTorch ignores the populations (and fails without weight); the reference pools them per step."""
    weight = _weights(4, num_classes) if weighted else None
    plain = RF.ce_rate_loss(reduction=reduction, weight=weight)

    def reference(x, y):
        loss = plain(x.reshape(T, B, num_classes, -1).sum(-1), y)
        return loss.sum() if weighted and reduction == "sum" else loss

    ours = SF.ce_rate_loss(population_code=True, num_classes=num_classes, reduction=reduction, weight=weight)
    case = f"ce_rate_loss population {num_classes} {reduction} w={weighted}"
    _compare(parity, case, ours, reference, _spikes(5), _labels(6, num_classes))


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("num_classes", [None, 3, 4, 6])
@pytest.mark.parametrize("weighted", [False, True])
def test_ce_count_loss(parity, reduction, num_classes, weighted):
    classes = num_classes or N
    weight = _weights(7, classes) if weighted else None
    options = {"population_code": True, "num_classes": num_classes} if num_classes else {}
    theirs = RF.ce_count_loss(**options, reduction=reduction, weight=weight)
    if weighted and reduction == "sum":

        def theirs(x, y, plain=theirs):
            return plain(x, y).sum()

    ours = SF.ce_count_loss(**options, reduction=reduction, weight=weight)
    case = f"ce_count_loss pop={num_classes} {reduction} w={weighted}"
    _compare(parity, case, ours, theirs, _spikes(8, 0.45), _labels(9, classes))


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted", [False, True])
def test_ce_max_membrane_loss(parity, reduction, weighted):
    weight = _weights(10, N) if weighted else None
    theirs = RF.ce_max_membrane_loss(reduction=reduction, weight=weight)
    if weighted and reduction == "sum":

        def theirs(x, y, plain=theirs):
            return plain(x, y).sum()

    ours = SF.ce_max_membrane_loss(reduction=reduction, weight=weight)
    case = f"ce_max_membrane_loss {reduction} w={weighted}"
    _compare(parity, case, ours, theirs, _membranes(11), _labels(12, N))


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("inverse", ["negate", "reciprocal"])
@pytest.mark.parametrize("weighted", [False, True])
def test_ce_temporal_loss(parity, reduction, inverse, weighted):
    weight = _weights(13, N) if weighted else None
    theirs = RF.ce_temporal_loss(inverse=inverse, reduction=reduction, weight=weight)
    ours = SF.ce_temporal_loss(inverse=inverse, reduction=reduction, weight=weight)
    case = f"ce_temporal_loss {inverse} {reduction} w={weighted}"
    _compare(parity, case, ours, theirs, _spikes(14, 0.15), _labels(15, N))


# ---------------------------------------------------------------- squared-error losses


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("rates", [(1, 0), (0.8, 0.2), (0.55, 0.1), (0.29, 0.07)])
@pytest.mark.parametrize("num_classes", [None, 3, 4])
def test_mse_count_loss(parity, reduction, rates, num_classes):
    classes = num_classes or N
    options = {"population_code": True, "num_classes": num_classes} if num_classes else {}
    theirs = RF.mse_count_loss(*rates, **options, reduction=reduction)
    ours = SF.mse_count_loss(*rates, **options, reduction=reduction)
    case = f"mse_count_loss {rates} pop={num_classes} {reduction}"
    _compare(parity, case, ours, theirs, _spikes(16, 0.5), _labels(17, classes))


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("num_classes", [None, 4])
def test_mse_count_loss_weighted_reference(parity, reduction, num_classes):
    """snnTorch multiplies [batch, classes] by weight[targets] along the wrong dimension."""
    classes = num_classes or N
    options = {"population_code": True, "num_classes": num_classes} if num_classes else {}
    weight = _weights(18, classes)
    plain = RF.mse_count_loss(0.7, 0.1, **options, reduction="none")

    def reference(x, y):
        return _reduce(plain(x, y) * _row_weights(weight, y), reduction)

    ours = SF.mse_count_loss(0.7, 0.1, **options, reduction=reduction, weight=weight)
    case = f"mse_count_loss weighted pop={num_classes} {reduction}"
    _compare(parity, case, ours, reference, _spikes(19, 0.5), _labels(20, classes))


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("targets", [(1, 0), (1.5, 0.2), (0.3, 2.0), (-0.5, 0.5)])
def test_mse_membrane_loss(parity, reduction, targets):
    on, off = targets
    theirs = RF.mse_membrane_loss(on_target=on, off_target=off, reduction=reduction)
    ours = SF.mse_membrane_loss(on_target=on, off_target=off, reduction=reduction)
    case = f"mse_membrane_loss {targets} {reduction}"
    _compare(parity, case, ours, theirs, _membranes(21), _labels(22, N))


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("targets", [(1, -1), (-0.5, -1.5), (2.0, -0.25)])
def test_mse_membrane_loss_negative_off_target_reference(parity, reduction, targets):
    """snnTorch clamps the off-class target at 0 when off_target < 0 < ... (``targets_convert``)."""
    on, off = targets
    shifted = RF.mse_membrane_loss(on_target=on - off, off_target=0, reduction=reduction)

    def reference(x, y):
        return shifted(x - off, y)

    ours = SF.mse_membrane_loss(on_target=on, off_target=off, reduction=reduction)
    case = f"mse_membrane_loss negative off {targets} {reduction}"
    _compare(parity, case, ours, reference, _membranes(23), _labels(24, N))


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("time_var_targets", [False, True])
def test_mse_membrane_loss_weighted_and_time_varying_reference(parity, reduction, time_var_targets):
    """snnTorch mis-broadcasts weight and cannot encode [time, batch] labels; reference: step by step."""
    weight = _weights(25, N)
    one_step = RF.mse_membrane_loss(on_target=1.2, off_target=0.1, reduction="none")
    labels = _labels(26, N, (T, B) if time_var_targets else (B,))

    def reference(x, y):
        per_step = y if time_var_targets else y.expand(T, B)
        steps = [one_step(x[t : t + 1], per_step[t]) * _row_weights(weight, per_step[t]) for t in range(T)]
        return _reduce(torch.stack(steps).sum(0) / T, reduction)

    ours = SF.mse_membrane_loss(time_var_targets, 1.2, 0.1, reduction=reduction, weight=weight)
    case = f"mse_membrane_loss weighted time_var={time_var_targets} {reduction}"
    _compare(parity, case, ours, reference, _membranes(27), labels)


# ---------------------------------------------------------------- temporal losses and SpikeTime


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("tolerance", [0, 1, 3])
@pytest.mark.parametrize("targets", [(1, 5), (0, 8), (2, 3)])
def test_mse_temporal_loss_labels(parity, reduction, tolerance, targets):
    on, off = targets
    theirs = RF.mse_temporal_loss(on_target=on, off_target=off, tolerance=tolerance, reduction=reduction)
    ours = SF.mse_temporal_loss(on_target=on, off_target=off, tolerance=tolerance, reduction=reduction)
    case = f"mse_temporal_loss {targets} tol={tolerance} {reduction}"
    _compare(parity, case, ours, theirs, _spikes(28, 0.2), _labels(29, N))


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("tolerance", [0, 2])
@pytest.mark.parametrize("targets", [(0, -1), (2, -1), (-3, -1)])
def test_mse_temporal_loss_negative_targets_reference(parity, reduction, tolerance, targets):
    """snnTorch's label encoding turns off_target < 0 into 0 (so by default every neuron
    should fire at t=0); the reference passes the intended times (T + t for t < 0)."""
    on, off = targets
    given = RF.mse_temporal_loss(target_is_time=True, tolerance=tolerance, reduction=reduction)
    labels = _labels(30, N)
    hot = torch.nn.functional.one_hot(labels, N).bool()
    times = torch.where(hot, on % T, off % T).float()
    ours = SF.mse_temporal_loss(on_target=on, off_target=off, tolerance=tolerance, reduction=reduction)
    case = f"mse_temporal_loss {targets} tol={tolerance} {reduction}"
    _compare(parity, case, ours, given, _spikes(31, 0.2), labels, theirs_targets=times)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("tolerance", [0, 2])
@pytest.mark.parametrize("shape", [(N,), (B, N)])
@pytest.mark.filterwarnings("ignore:Using a target size:UserWarning")  # snnTorch broadcasts [N] targets
def test_mse_temporal_loss_target_times(parity, reduction, tolerance, shape):
    times = torch.randint(-T, T + 3, shape, generator=torch.Generator().manual_seed(32)).float()
    theirs = RF.mse_temporal_loss(target_is_time=True, tolerance=tolerance, reduction=reduction)
    ours = SF.mse_temporal_loss(target_is_time=True, tolerance=tolerance, reduction=reduction)
    case = f"mse_temporal_loss target_is_time {shape} tol={tolerance} {reduction}"
    _compare(parity, case, ours, theirs, _spikes(33, 0.2), times)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_mse_temporal_loss_weighted_reference(parity, reduction):
    """snnTorch multiplies [batch, outputs] by weight[targets] along the wrong dimension."""
    weight = _weights(34, N)
    plain = RF.mse_temporal_loss(on_target=1, off_target=6, tolerance=1, reduction="none")

    def reference(x, y):
        return _reduce(plain(x, y) * _row_weights(weight, y), reduction)

    ours = SF.mse_temporal_loss(on_target=1, off_target=6, tolerance=1, reduction=reduction, weight=weight)
    _compare(
        parity, f"mse_temporal_loss weighted {reduction}", ours, reference, _spikes(35, 0.2), _labels(36, N)
    )


SHARED_TRAIN = torch.tensor([0, 1, 0, 0, 1, 0, 1, 0, 0], dtype=torch.float32)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("tolerance", [0, 2])
def test_mse_temporal_loss_multi_spike_shared_train(parity, reduction, tolerance):
    """Every neuron fires the same train: snnTorch's whole-step spike removal is then harmless."""
    spikes = SHARED_TRAIN[:, None, None].expand(T, B, N).contiguous()
    options = {"on_target": (1, 4), "off_target": (5, 7), "tolerance": tolerance, "multi_spike": True}
    theirs = RF.mse_temporal_loss(**options, reduction=reduction)
    ours = SF.mse_temporal_loss(**options, reduction=reduction)
    case = f"mse_temporal_loss multi_spike shared tol={tolerance} {reduction}"
    _compare(parity, case, ours, theirs, spikes, _labels(37, N))


def _nth_spike_removed(x: torch.Tensor, count: int) -> torch.Tensor:
    """``x`` without each neuron's first ``count`` spikes (values only; the gradient passes through)."""
    seen = torch.cumsum((x != 0).float(), 0)
    return x - (x * (seen <= count)).detach()


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("tolerance", [0, 2])
@pytest.mark.parametrize("targets", [((1, 4), (5, 7)), ((0, 3, 5), (-3, -2, -1))])
def test_mse_temporal_loss_multi_spike_reference(parity, reduction, tolerance, targets):
    """Reference: the f-th spike is the first spike once the f-1 before it are removed, scored
    with snnTorch's single-spike loss on the intended target times."""
    on, off = targets
    labels = _labels(38, N)
    hot = torch.nn.functional.one_hot(labels, N).bool()
    single = RF.mse_temporal_loss(target_is_time=True, tolerance=tolerance, reduction="none")

    def reference(x, y):
        losses = [
            single(_nth_spike_removed(x, f), torch.where(hot, on[f] % T, off[f] % T).float())
            for f in range(len(on))
        ]
        return _reduce(torch.stack(losses), reduction)

    ours = SF.mse_temporal_loss(
        on_target=on, off_target=off, tolerance=tolerance, multi_spike=True, reduction=reduction
    )
    case = f"mse_temporal_loss multi_spike {targets} tol={tolerance} {reduction}"
    _compare(parity, case, ours, reference, _spikes(39, 0.25), labels)


@pytest.mark.parametrize("tolerance", [0, 1, 4])
def test_spike_time(parity, tolerance):
    spikes, labels = _spikes(40, 0.15), _labels(41, N)
    ours_fn = SF.SpikeTime(on_target=2, off_target=6, tolerance=tolerance)
    theirs_fn = RF.SpikeTime(on_target=2, off_target=6, tolerance=tolerance)
    upstream = torch.randn(B, N, generator=torch.Generator().manual_seed(42))

    def run(fn):
        x = spikes.clone().requires_grad_(True)
        times, wanted = fn(x, labels)
        times.backward(upstream)
        return times.detach(), wanted, x.grad

    for what, a, b in zip(("times", "targets", "grad"), run(ours_fn), run(theirs_fn)):
        parity.compare(f"SpikeTime tol={tolerance}", what, a, b)


# ---------------------------------------------------------------- accuracy and regulariser


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("num_classes", [None, 3, 4])
def test_accuracy_rate(parity, seed, num_classes):
    spikes = _spikes(50 + seed, 0.2)
    labels = _labels(60 + seed, num_classes or N)
    options = {"population_code": True, "num_classes": num_classes} if num_classes else {}
    ours = SF.accuracy_rate(spikes, labels, **options)
    assert isinstance(ours, np.float64)
    parity.compare(
        f"accuracy_rate pop={num_classes} {seed}",
        "accuracy",
        ours,
        RF.accuracy_rate(spikes, labels, **options),
    )


@pytest.mark.parametrize("seed", range(4))
def test_accuracy_temporal(parity, seed):
    spikes, labels = _spikes(70 + seed, 0.1), _labels(80 + seed, N)
    first = torch.where(spikes.any(0), spikes.argmax(0), T - 1)
    labels[:3] = first.argmin(1)[:3]  # some correct predictions for sure
    ours = SF.accuracy_temporal(spikes, labels)
    parity.compare(f"accuracy_temporal {seed}", "accuracy", ours, RF.accuracy_temporal(spikes, labels))


@pytest.mark.parametrize("Lambda", [1e-5, 0.3, 2.0])
def test_l1_rate_sparsity(parity, Lambda):  # noqa: N803 - snnTorch's argument name
    ours = SF.l1_rate_sparsity(Lambda)
    theirs = RF.l1_rate_sparsity(Lambda)
    _compare(
        parity, f"l1_rate_sparsity {Lambda}", lambda x, _: ours(x), lambda x, _: theirs(x), _spikes(90), None
    )


# ---------------------------------------------------------------- snnTorch 1.0 faults snnx corrects


def test_snntorch_default_temporal_targets_are_all_zero():
    _, wanted = RF.SpikeTime()(_spikes(100), _labels(101, N))
    assert torch.all(wanted == 0)  # documented: off classes at the final step
    _, ours = SF.SpikeTime()(_spikes(100), _labels(101, N))
    assert sorted(torch.unique(ours).tolist()) == [0.0, T - 1.0]


def test_snntorch_multi_spike_removes_whole_time_steps():
    spikes, labels = _spikes(102, 0.25), _labels(103, N)
    theirs, _ = RF.SpikeTime(on_target=(1, 4), off_target=(5, 7), multi_spike=True)(spikes, labels)
    ours, _ = SF.SpikeTime(on_target=(1, 4), off_target=(5, 7), multi_spike=True)(spikes, labels)
    trains = spikes.reshape(T, -1).T
    second = [torch.nonzero(train)[1, 0] if train.sum() > 1 else torch.tensor(T - 1) for train in trains]
    second = torch.stack(second).reshape(B, N).float()
    assert torch.equal(ours[1], second) and not torch.equal(theirs[1], second)


def test_snntorch_population_rate_loss_and_weighted_mse_fail():
    with pytest.raises(TypeError):
        RF.ce_rate_loss(population_code=True, num_classes=4)(_spikes(104), _labels(105, 4))
    with pytest.raises(RuntimeError):
        RF.mse_count_loss(weight=_weights(106, N))(_spikes(104), _labels(105, N))
    with pytest.raises(RuntimeError):
        RF.mse_membrane_loss(time_var_targets=True)(_membranes(107), _labels(108, N, (T, B)))


def test_snntorch_weighted_sum_is_unreduced_and_rate_loss_is_one_element():
    weight = _weights(109, N)
    assert RF.ce_count_loss(reduction="sum", weight=weight)(_spikes(110), _labels(111, N)).shape == (B,)
    assert SF.ce_count_loss(reduction="sum", weight=weight)(_spikes(110), _labels(111, N)).shape == ()
    assert RF.ce_rate_loss()(_spikes(110), _labels(111, N)).shape == (1,)


@pytest.mark.filterwarnings("ignore:Using a target size:UserWarning")
def test_snntorch_target_times_are_modified_in_place():
    times = torch.full((N,), -1.0)
    RF.mse_temporal_loss(target_is_time=True)(_spikes(112), times)
    assert torch.all(times == T - 1)
    times = torch.full((N,), -1.0)
    SF.mse_temporal_loss(target_is_time=True)(_spikes(112), times)
    assert torch.all(times == -1)
