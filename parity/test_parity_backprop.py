"""``snnx.backprop`` and the dataset helpers against snnTorch 1.0.

The same network is written with snnTorch's and with snnx's neurons and given the
same weights (snnTorch's ``state_dict`` loaded into snnx's), the same batches, an
SGD optimiser and the same plain-torch criterion, which also records each window's
loss. After one epoch the returned loss, the window losses and every weight must agree.

Where snnTorch's loops fail or are wrong, the expected numbers come from
``_reference``: the loop written out with snnTorch's neurons (reset per batch,
every neuron detached after each window, windows weighted by their length).
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pytest
import snntorch
import torch
from snntorch import utils as their_utils
from torch import nn

import snnx
from snnx import backprop as ours_backprop
from snnx import utils as our_utils

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)  # snnTorch deprecates its backprop module
    from snntorch import backprop as their_backprop

STEPS, BATCH, FEATURES, HIDDEN, CLASSES = 6, 4, 5, 8, 3
LR = 0.1


def _network(lib: Any, kind: str) -> nn.Sequential:
    hidden = {
        "leaky": lambda: lib.Leaky(beta=0.9, learn_threshold=True, init_hidden=True),
        "rleaky": lambda: lib.RLeaky(beta=0.85, linear_features=HIDDEN, init_hidden=True),
        "mixed": lambda: lib.Synaptic(alpha=0.7, beta=0.9, init_hidden=True),
    }[kind]()
    return nn.Sequential(
        nn.Linear(FEATURES, HIDDEN),
        hidden,
        nn.Linear(HIDDEN, CLASSES),
        lib.Leaky(beta=0.8, learn_beta=True, init_hidden=True, output=True),
    )


def _pair(kind: str, seed: int = 0) -> tuple[nn.Module, nn.Module]:
    torch.manual_seed(seed)
    theirs = _network(snntorch, kind)
    ours = _network(snnx, kind)
    ours.load_state_dict(theirs.state_dict(), strict=True)
    return ours, theirs


class Recorder:
    """A criterion both libraries accept (matched by ``__name__``) that logs its values."""

    def __init__(self, name: str = "mse_count_loss", time_var_targets: bool = False) -> None:
        self.__name__ = name
        self.time_var_targets = time_var_targets
        self.losses: list[float] = []

    def __call__(self, record: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        if self.__name__ == "mse_membrane_loss":
            loss = ((record - targets) ** 2).mean()
        else:
            loss = ((record.sum(0) - targets * record.shape[0] / STEPS) ** 2).mean()
        self.losses.append(loss.item())
        return loss


def _batches(layout: str, count: int = 3, seed: int = 1, membrane_targets: bool = False) -> list:
    generator = torch.Generator().manual_seed(seed)
    shape = {"time_first": (STEPS, BATCH, FEATURES), "batch_first": (BATCH, STEPS, FEATURES)}
    batches = []
    for _ in range(count):
        data = torch.rand(shape.get(layout, (BATCH, FEATURES)), generator=generator) * 1.5
        if membrane_targets:
            targets = torch.rand(STEPS, BATCH, CLASSES, generator=generator)
        else:
            targets = torch.randint(0, STEPS + 1, (BATCH, CLASSES), generator=generator).float()
        batches.append((data, targets))
    return batches


def _options(layout: str) -> dict[str, Any]:
    if layout == "static":
        return {"num_steps": STEPS, "time_var": False}
    return {"time_first": layout == "time_first"}


def _epoch(function: str, module: Any, net: nn.Module, batches: list, criterion: Recorder, **kwargs: Any):
    optimizer = torch.optim.SGD(net.parameters(), lr=LR)
    if module is ours_backprop:
        kwargs["progress"] = False
    return getattr(module, function)(net, batches, optimizer, criterion, **kwargs)


def _reference(net: nn.Module, batches: list, criterion: Recorder, K: int, layout: str) -> torch.Tensor:  # noqa: N803
    """The truncated loop done right, with snnTorch's neurons."""
    optimizer = torch.optim.SGD(net.parameters(), lr=LR)
    kinds = {type(module) for module in net.modules() if hasattr(module, "detach_hidden")}
    total = 0.0
    for data, targets in batches:
        their_utils.reset(net)
        for kind in kinds:
            kind.reset_hidden()
        if layout == "batch_first":
            data = data.transpose(0, 1)
        loss = 0.0
        for start in range(0, STEPS, K):
            steps = range(start, min(start + K, STEPS))
            outs = [net(data if layout == "static" else data[step]) for step in steps]
            on_membrane = criterion.__name__ == "mse_membrane_loss"
            record = torch.stack([out[-1] if on_membrane else out[0] for out in outs])
            window_targets = targets[start : start + K] if criterion.time_var_targets else targets
            window_loss = criterion(record, window_targets)
            optimizer.zero_grad()
            window_loss.backward()
            optimizer.step()
            for kind in kinds:
                kind.detach_hidden()
            loss += window_loss.item() * len(steps) / STEPS
        total += loss
    return torch.tensor(total / len(batches))


def _compare_weights(parity: Any, case: str, ours: nn.Module, theirs: nn.Module) -> None:
    their_params = dict(theirs.named_parameters())
    for name, value in ours.named_parameters():
        parity.compare(case, f"weight {name} after one epoch", value, their_params[name])


@pytest.mark.parametrize("kind", ["leaky", "rleaky", "mixed"])
@pytest.mark.parametrize("layout", ["time_first", "batch_first", "static"])
def test_bptt_matches_snntorch(parity, kind, layout):
    ours, theirs = _pair(kind)
    batches = _batches(layout)
    our_criterion, their_criterion = Recorder(), Recorder()
    our_loss = _epoch("BPTT", ours_backprop, ours, batches, our_criterion, **_options(layout))
    their_loss = _epoch("BPTT", their_backprop, theirs, batches, their_criterion, **_options(layout))
    case = f"BPTT {kind} {layout}"
    parity.compare(case, "epoch loss", our_loss, their_loss)
    parity.compare(case, "window losses", our_criterion.losses, their_criterion.losses)
    _compare_weights(parity, case, ours, theirs)


@pytest.mark.parametrize("K", [1, 2, 3, 6])
def test_tbptt_matches_snntorch_when_k_divides_the_steps(parity, K):  # noqa: N803
    ours, theirs = _pair("leaky")
    batches = _batches("static")
    our_criterion, their_criterion = Recorder(), Recorder()
    our_loss = _epoch("TBPTT", ours_backprop, ours, batches, our_criterion, K=K, **_options("static"))
    their_loss = _epoch("TBPTT", their_backprop, theirs, batches, their_criterion, K=K, **_options("static"))
    case = f"TBPTT leaky static K={K}"
    assert len(our_criterion.losses) == len(batches) * STEPS // K
    parity.compare(case, "epoch loss", our_loss, their_loss)
    parity.compare(case, "window losses", our_criterion.losses, their_criterion.losses)
    _compare_weights(parity, case, ours, theirs)


def test_rtrl_matches_snntorch(parity):
    ours, theirs = _pair("leaky")
    batches = _batches("static")
    our_criterion, their_criterion = Recorder(), Recorder()
    our_loss = _epoch("RTRL", ours_backprop, ours, batches, our_criterion, **_options("static"))
    their_loss = _epoch("RTRL", their_backprop, theirs, batches, their_criterion, **_options("static"))
    assert len(our_criterion.losses) == len(batches) * STEPS  # one update per step
    parity.compare("RTRL leaky static", "epoch loss", our_loss, their_loss)
    parity.compare("RTRL leaky static", "window losses", our_criterion.losses, their_criterion.losses)
    _compare_weights(parity, "RTRL leaky static", ours, theirs)


@pytest.mark.parametrize("K", [4, 5])
def test_tbptt_weights_the_last_short_window_by_its_length(parity, K):  # noqa: N803
    """snnTorch divides the short window's loss by its length instead of weighting it by length / T."""
    ours, theirs = _pair("leaky")
    batches = _batches("static")
    our_criterion, their_criterion = Recorder(), Recorder()
    our_loss = _epoch("TBPTT", ours_backprop, ours, batches, our_criterion, K=K, **_options("static"))
    their_loss = _epoch("TBPTT", their_backprop, theirs, batches, their_criterion, K=K, **_options("static"))
    case = f"TBPTT leaky static K={K} (short last window)"
    parity.compare(case, "window losses", our_criterion.losses, their_criterion.losses)
    _compare_weights(parity, case, ours, theirs)
    full, short = np.array(their_criterion.losses).reshape(len(batches), 2).T
    rest = STEPS % K
    parity.compare(
        case, "epoch loss, length-weighted", our_loss, np.mean(full * K / STEPS + short * rest / STEPS)
    )
    snntorch_formula = np.mean(full * K / STEPS + short / rest)
    assert float(their_loss.detach()) == pytest.approx(snntorch_formula, rel=1e-5)
    assert float(our_loss) != pytest.approx(snntorch_formula, rel=1e-3)


@pytest.mark.parametrize("layout", ["time_first", "batch_first"])
@pytest.mark.parametrize("function, K", [("TBPTT", 2), ("TBPTT", 4), ("RTRL", 1)])
def test_truncation_on_time_varying_data(parity, layout, function, K):  # noqa: N803
    """snnTorch's TBPTT and RTRL fail on time-varying data (an unset local ``K_flag``)."""
    ours, theirs = _pair("leaky")
    batches = _batches(layout)
    with pytest.raises(UnboundLocalError):
        _epoch(
            function, their_backprop, theirs, batches, Recorder(), **({"K": K} if function == "TBPTT" else {})
        )
    _, theirs = _pair("leaky")
    our_criterion, their_criterion = Recorder(), Recorder()
    kwargs = {"K": K} if function == "TBPTT" else {}
    our_loss = _epoch(function, ours_backprop, ours, batches, our_criterion, **_options(layout), **kwargs)
    their_loss = _reference(theirs, batches, their_criterion, K, layout)
    case = f"{function} leaky {layout} K={K} vs reference loop"
    parity.compare(case, "epoch loss", our_loss, their_loss)
    parity.compare(case, "window losses", our_criterion.losses, their_criterion.losses)
    _compare_weights(parity, case, ours, theirs)


@pytest.mark.parametrize("kind", ["rleaky", "mixed"])
@pytest.mark.parametrize("K", [1, 2, 4])
def test_truncation_detaches_every_neuron(parity, kind, K):  # noqa: N803
    """snnTorch detaches one neuron class only, so two kinds of neuron fail with a graph error."""
    ours, theirs = _pair(kind)
    batches = _batches("static")
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        _epoch("TBPTT", their_backprop, theirs, batches, Recorder(), K=K, **_options("static"))
    _, theirs = _pair(kind)
    our_criterion, their_criterion = Recorder(), Recorder()
    our_loss = _epoch("TBPTT", ours_backprop, ours, batches, our_criterion, K=K, **_options("static"))
    their_loss = _reference(theirs, batches, their_criterion, K, "static")
    case = f"TBPTT {kind} static K={K} vs reference loop"
    parity.compare(case, "epoch loss", our_loss, their_loss)
    parity.compare(case, "window losses", our_criterion.losses, their_criterion.losses)
    _compare_weights(parity, case, ours, theirs)


def test_time_varying_targets_restart_each_batch(parity):
    """snnTorch keeps counting windows across batches, so batch 2 gets no targets."""
    ours, theirs = _pair("leaky")
    batches = _batches("static", membrane_targets=True)
    with pytest.raises(RuntimeError):
        _epoch(
            "TBPTT",
            their_backprop,
            theirs,
            batches,
            Recorder("mse_membrane_loss", True),
            K=3,
            **_options("static"),
        )
    _, theirs = _pair("leaky")
    our_criterion = Recorder("mse_membrane_loss", time_var_targets=True)
    their_criterion = Recorder("mse_membrane_loss", time_var_targets=True)
    our_loss = _epoch("TBPTT", ours_backprop, ours, batches, our_criterion, K=3, **_options("static"))
    their_loss = _reference(theirs, batches, their_criterion, 3, "static")
    case = "TBPTT mse_membrane_loss time-varying targets K=3 vs reference loop"
    parity.compare(case, "epoch loss", our_loss, their_loss)
    parity.compare(case, "window losses", our_criterion.losses, their_criterion.losses)
    _compare_weights(parity, case, ours, theirs)


class FakeDataset:
    """What snnTorch's helpers expect of a torchvision dataset: ``.data``, ``.targets``, ``len``."""

    def __init__(self, n: int, targets_as_list: bool = False) -> None:
        self.data = torch.arange(n * 3, dtype=torch.float32).reshape(n, 3)
        targets = torch.arange(n) % 7
        self.targets = targets.tolist() if targets_as_list else targets

    def __len__(self) -> int:
        return len(self.data)


@pytest.mark.parametrize("n, subset, idx", [(60, 10, 0), (60, 10, 9), (67, 4, 2), (10, 3, 1), (9, 1, 0)])
def test_data_subset_matches_snntorch(parity, n, subset, idx):
    ours = our_utils.data_subset(FakeDataset(n), subset, idx)
    theirs = their_utils.data_subset(FakeDataset(n), subset, idx)
    case = f"data_subset n={n} subset={subset} idx={idx}"
    parity.compare(case, "data", ours.data, theirs.data)
    parity.compare(case, "targets", ours.targets, theirs.targets)


@pytest.mark.parametrize("n, split, seed", [(100, 0.1, 0), (100, 0.25, 7), (37, 0.5, 3), (10, 0.9, 123)])
def test_valid_split_matches_snntorch(parity, n, split, seed):
    ours = our_utils.valid_split(FakeDataset(n), FakeDataset(n), split, seed)
    theirs = their_utils.valid_split(FakeDataset(n), FakeDataset(n), split, seed)
    case = f"valid_split n={n} split={split} seed={seed}"
    for part, our_set, their_set in zip(("train", "val"), ours, theirs):
        parity.compare(case, f"{part} data", our_set.data, their_set.data)
        parity.compare(case, f"{part} targets", our_set.targets, their_set.targets)


def test_valid_split_keeps_list_targets(parity):
    """torchvision keeps some ``.targets`` as lists (CIFAR10); snnTorch cannot index those."""
    with pytest.raises(TypeError):
        their_utils.valid_split(FakeDataset(50, True), FakeDataset(50, True), 0.2, 5)
    ours = our_utils.valid_split(FakeDataset(50, True), FakeDataset(50, True), 0.2, 5)
    theirs = their_utils.valid_split(FakeDataset(50), FakeDataset(50), 0.2, 5)
    for part, our_set, their_set in zip(("train", "val"), ours, theirs):
        assert isinstance(our_set.targets, list)
        parity.compare("valid_split list targets", f"{part} targets", our_set.targets, their_set.targets)
        parity.compare("valid_split list targets", f"{part} data", our_set.data, their_set.data)


@pytest.mark.parametrize(
    "function, loss, kwargs",
    [
        ("TBPTT", "ce_rate_loss", {"K": 3}),
        ("RTRL", "ce_count_loss", {}),
        ("BPTT", "mse_membrane_loss", {}),
        ("TBPTT", "ce_max_membrane_loss", {"K": 2}),
    ],
)
def test_with_each_librarys_own_losses_and_regularizer(parity, function, loss, kwargs):
    from snntorch import functional as their_functional

    from snnx import functional as our_functional

    ours, theirs = _pair("leaky")
    batches = [(data, targets.argmax(-1)) for data, targets in _batches("static")]  # class labels
    results = []
    for module, functional, net in [
        (ours_backprop, our_functional, ours),
        (their_backprop, their_functional, theirs),
    ]:
        optimizer = torch.optim.SGD(net.parameters(), lr=LR)
        options = {"progress": False} if module is ours_backprop else {}
        criterion, regularization = getattr(functional, loss)(), functional.l1_rate_sparsity(Lambda=1e-2)
        results.append(
            getattr(module, function)(
                net, batches, optimizer, criterion, regularization=regularization, **_options("static"),
                **kwargs, **options,
            )
        )  # fmt: skip
    case = f"{function} {loss} + l1_rate_sparsity (each library's own)"
    our_loss, their_loss = results  # snnTorch's ce_rate_loss and mse_membrane_loss return shape (1,)
    parity.compare(case, "epoch loss", our_loss, their_loss.reshape(our_loss.shape))
    _compare_weights(parity, case, ours, theirs)
