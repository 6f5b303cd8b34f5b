"""Parity of BatchNormTT1d/2d and GradedSpikes with snnTorch 1.0 (torch and NumPy backends)."""

from __future__ import annotations

import pytest
import torch

import snnx

snntorch = pytest.importorskip("snntorch")

STEPS = 24

BNTT_CASES = {
    "1d": ("BatchNormTT1d", (8, 5), {}),
    "1d-length": ("BatchNormTT1d", (4, 5, 6), {"eps": 1e-3, "momentum": 0.3}),
    "1d-no-affine": ("BatchNormTT1d", (8, 5), {"affine": False}),
    "1d-cumulative": ("BatchNormTT1d", (6, 5), {"momentum": None}),
    "2d": ("BatchNormTT2d", (4, 5, 3, 3), {}),
    "2d-momentum": ("BatchNormTT2d", (3, 5, 4, 2), {"momentum": 0.7, "eps": 1e-4}),
}


def _bntt_pair(name: str, features: int, time_steps: int, kwargs: dict):
    theirs = getattr(snntorch, name)(features, time_steps, **kwargs)
    with snnx.use("torch"):
        ours = getattr(snnx, name)(features, time_steps, **kwargs)
    generator = torch.Generator().manual_seed(3)
    with torch.no_grad():
        for layer in theirs:
            if layer.weight is not None:
                layer.weight.copy_(torch.rand(features, generator=generator) + 0.5)
    ours.load_state_dict(theirs.state_dict(), strict=True)
    return ours, theirs


def _run(bntt, xs):
    return [bntt[t % len(bntt)](x) for t, x in enumerate(xs)]


@pytest.mark.parametrize("case", list(BNTT_CASES))
def test_bntt_matches_snntorch(parity, case):
    name, shape, kwargs = BNTT_CASES[case]
    features, time_steps = shape[1], STEPS
    ours, theirs = _bntt_pair(name, features, time_steps, kwargs)
    case_id = f"{name}{kwargs} {case}"
    assert list(ours.state_dict()) == list(theirs.state_dict()), f"{case_id}: state_dict keys"
    assert all(layer.bias is None for layer in ours)

    generator = torch.Generator().manual_seed(11)
    epochs = [[torch.randn(shape, generator=generator) * 1.7 + 0.4 for _ in range(STEPS)] for _ in range(3)]
    for epoch, xs in enumerate(epochs):
        ours_x = [x.clone().requires_grad_(True) for x in xs]
        theirs_x = [x.clone().requires_grad_(True) for x in xs]
        got, want = _run(ours, ours_x), _run(theirs, theirs_x)
        for t, (a, b) in enumerate(zip(got, want)):
            parity.compare(case_id, f"train output epoch {epoch} step {t}", a, b)
        weights = torch.randn(shape, generator=generator)
        sum(((out * weights).sum() for out in got), torch.zeros(())).backward()
        sum(((out * weights).sum() for out in want), torch.zeros(())).backward()
        for t in range(STEPS):
            parity.compare(
                case_id, f"input gradient epoch {epoch} step {t}", ours_x[t].grad, theirs_x[t].grad
            )
    for key, value in theirs.state_dict().items():
        parity.compare(case_id, f"after training: {key}", ours.state_dict()[key], value)
    for (key, param), (their_key, their_param) in zip(ours.named_parameters(), theirs.named_parameters()):
        assert key == their_key
        parity.compare(case_id, f"weight gradient {key}", param.grad, their_param.grad)

    ours.eval()
    theirs.eval()
    xs = [torch.randn(shape, generator=generator) for _ in range(STEPS)]
    with torch.no_grad():
        for t, (a, b) in enumerate(zip(_run(ours, xs), _run(theirs, xs))):
            parity.compare(case_id, f"eval output step {t}", a, b)


@pytest.mark.parametrize("case", ["1d", "1d-length", "1d-cumulative", "2d-momentum"])
def test_numpy_bntt_matches_snntorch(parity, case):
    name, shape, kwargs = BNTT_CASES[case]
    theirs = getattr(snntorch, name)(shape[1], STEPS, **kwargs)
    with snnx.use("numpy"):
        ours = getattr(snnx, name)(shape[1], STEPS, **kwargs)
    ours.load_state_dict({key: value.numpy() for key, value in theirs.state_dict().items()})
    case_id = f"numpy {name}{kwargs} {case}"
    generator = torch.Generator().manual_seed(5)
    for mode in ("train", "eval"):
        getattr(ours, mode)()
        getattr(theirs, mode)()
        for t in range(2 * STEPS):
            x = torch.randn(shape, generator=generator) + 0.2 * t
            with torch.no_grad():
                want = theirs[t % STEPS](x)
            parity.compare(case_id, f"{mode} output call {t}", ours[t % STEPS](x.numpy()), want)
    for key, value in theirs.state_dict().items():
        parity.compare(case_id, f"after training: {key}", ours.state_dict()[key], value)


@pytest.mark.parametrize("factor", [0, None, 1.0, 2.5, -0.75])
def test_graded_spikes_matches_snntorch(parity, factor):
    size, case_id = 6, f"GradedSpikes(6, {factor})"
    torch.manual_seed(21)
    theirs = snntorch.GradedSpikes(size, factor)
    torch.manual_seed(21)
    with snnx.use("torch"):
        ours = snnx.GradedSpikes(size, factor)
    parity.compare(case_id, "initial weights (same torch seed)", ours.weights, theirs.weights)
    assert list(ours.state_dict()) == list(theirs.state_dict()) == ["weights"]
    ours.load_state_dict(theirs.state_dict(), strict=True)

    generator = torch.Generator().manual_seed(8)
    spikes = (torch.rand(STEPS, size, 4, generator=generator) < 0.4).float()
    ours_x, theirs_x = spikes.clone().requires_grad_(True), spikes.clone().requires_grad_(True)
    got = torch.stack([ours(x) for x in ours_x])
    want = torch.stack([theirs(x) for x in theirs_x])
    for t in range(STEPS):
        parity.compare(case_id, f"output step {t}", got[t], want[t])
    weights = torch.randn(got.shape, generator=generator)
    (got * weights).sum().backward()
    (want * weights).sum().backward()
    parity.compare(case_id, "input gradient", ours_x.grad, theirs_x.grad)
    parity.compare(case_id, "weights gradient", ours.weights.grad, theirs.weights.grad)

    with snnx.use("numpy"):
        reference = snnx.GradedSpikes(size, factor)
    reference.load_state_dict({"weights": theirs.weights.detach().numpy()})
    for t in range(STEPS):
        parity.compare(f"numpy {case_id}", f"output step {t}", reference(spikes[t].numpy()), want[t])
