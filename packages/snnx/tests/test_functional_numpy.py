"""``snnx.functional`` on NumPy (and the toy backend): the same numbers as on torch, for every option."""

from __future__ import annotations

import importlib

import numpy as np
import pytest

import snnx
from snnx import functional as SF  # noqa: N812 - snnTorch's customary alias

T, B, N = 10, 7, 12
RNG = np.random.default_rng(0)
SPIKES = (RNG.random((T, B, N)) < 0.25).astype(np.float32)
MEMBRANES = RNG.normal(size=(T, B, N)).astype(np.float32)
LABELS = RNG.integers(0, N, B)
LABELS_4 = RNG.integers(0, 4, B)
LABELS_PER_STEP = RNG.integers(0, N, (T, B))
TARGET_TIMES = RNG.integers(-T, T, (B, N)).astype(np.float32)
WEIGHT = (RNG.random(N) + 0.5).astype(np.float32)
WEIGHT_4 = (RNG.random(4) + 0.5).astype(np.float32)
POP = {"population_code": True, "num_classes": 4}

# name, callable(output, targets), output, targets
CASES = [
    *[
        (f"{cls.__name__} {red} {tag}", cls(reduction=red, **kw), SPIKES, labels)
        for cls in (SF.ce_rate_loss, SF.ce_count_loss)
        for red in ("mean", "sum", "none")
        for tag, kw, labels in (
            ("plain", {}, LABELS),
            ("weight", {"weight": WEIGHT}, LABELS),
            ("population", POP, LABELS_4),
            ("population weight", {**POP, "weight": WEIGHT_4}, LABELS_4),
        )
    ],
    *[
        (f"ce_max_membrane_loss {red} {w is not None}", SF.ce_max_membrane_loss(red, w), MEMBRANES, LABELS)
        for red in ("mean", "sum", "none")
        for w in (None, WEIGHT)
    ],
    *[
        (
            f"mse_count_loss {rates} {red} {tag}",
            SF.mse_count_loss(*rates, reduction=red, **kw),
            SPIKES,
            labels,
        )
        for rates in ((1, 0), (0.8, 0.2), (0.35, 0.05))
        for red in ("mean", "sum", "none")
        for tag, kw, labels in (
            ("plain", {}, LABELS),
            ("weight", {"weight": WEIGHT}, LABELS),
            ("pop", POP, LABELS_4),
        )
    ],
    *[
        (
            f"mse_membrane_loss {targets} {red} {tv}",
            SF.mse_membrane_loss(tv, *targets, red, WEIGHT),
            MEMBRANES,
            labels,
        )
        for targets in ((1, 0), (1.5, -0.5))
        for red in ("mean", "sum", "none")
        for tv, labels in ((False, LABELS), (True, LABELS_PER_STEP))
    ],
    *[
        (f"mse_temporal_loss {kw} {red}", SF.mse_temporal_loss(**kw, reduction=red), SPIKES, targets)
        for kw, targets in (
            ({}, LABELS),
            ({"on_target": 2, "off_target": -2, "tolerance": 2}, LABELS),
            ({"weight": WEIGHT, "tolerance": 1}, LABELS),
            ({"on_target": (0, 3), "off_target": (-4, -1), "multi_spike": True, "tolerance": 1}, LABELS),
            ({"target_is_time": True, "tolerance": 3}, TARGET_TIMES),
            ({"target_is_time": True, "multi_spike": True}, TARGET_TIMES[:3]),
        )
        for red in ("mean", "sum", "none")
    ],
    *[
        (f"ce_temporal_loss {inv} {red} {w is not None}", SF.ce_temporal_loss(inv, red, w), SPIKES, LABELS)
        for inv in ("negate", "reciprocal")
        for red in ("mean", "sum", "none")
        for w in (None, WEIGHT)
    ],
    ("accuracy_rate", SF.accuracy_rate, SPIKES, LABELS),
    ("accuracy_rate population", lambda x, y: SF.accuracy_rate(x, y, **POP), SPIKES, LABELS_4),
    ("accuracy_temporal", SF.accuracy_temporal, SPIKES, LABELS),
    ("accuracy_temporal population", lambda x, y: SF.accuracy_temporal(x, y, **POP), SPIKES, LABELS_4),
    ("l1_rate_sparsity", lambda x, _: SF.l1_rate_sparsity(0.3)(x), SPIKES, None),
    (
        "SpikeTime times",
        lambda x, y: SF.SpikeTime(on_target=1, off_target=-1, tolerance=2)(x, y)[0],
        SPIKES,
        LABELS,
    ),
]


@pytest.mark.parametrize(("name", "fn", "output", "targets"), CASES, ids=[case[0] for case in CASES])
def test_numpy_forward_equals_torch_forward(name, fn, output, targets):
    torch = pytest.importorskip("torch", reason="the torch backend is the comparison")
    ours = fn(output, targets)
    as_tensor = None if targets is None else torch.as_tensor(targets)
    on_torch = fn(torch.from_numpy(output), as_tensor)
    on_torch = on_torch.numpy() if hasattr(on_torch, "numpy") else on_torch
    assert np.shape(ours) == np.shape(on_torch), name
    np.testing.assert_allclose(ours, on_torch, rtol=2e-6, atol=1e-6, err_msg=name)


@pytest.mark.parametrize(
    ("name", "fn", "output", "targets"), CASES[::7], ids=[case[0] for case in CASES[::7]]
)
def test_toy_backend_gives_numpy_numbers_on_its_own_arrays(name, fn, output, targets):
    toy = snnx.get_backend("toy")
    ours = fn(toy.asarray(output), targets)
    np.testing.assert_allclose(np.asarray(ours), np.asarray(fn(output, targets)), rtol=1e-6, err_msg=name)


def test_spike_times_by_hand():
    spikes = np.zeros((5, 1, 3), np.float32)
    spikes[[1, 3], 0, 0] = 1
    spikes[4, 0, 1] = 1
    times, wanted = SF.SpikeTime(on_target=(0, 2), off_target=(-1, -1), multi_spike=True)(spikes, [2])
    np.testing.assert_array_equal(times[:, 0], [[1, 4, 4], [3, 4, 4]])
    np.testing.assert_array_equal(wanted[:, 0], [[4, 4, 0], [4, 4, 2]])


def test_ce_count_loss_by_hand():
    spikes = np.zeros((3, 1, 2), np.float32)
    spikes[:, 0, 0] = 1  # counts (3, 0)
    loss = SF.ce_count_loss()(spikes, np.array([1]))
    assert loss == pytest.approx(np.log(1 + np.exp(3)), rel=1e-6)


def test_monitor_names_are_forwarded_to_the_probe_module(monkeypatch):
    probe = importlib.import_module("snnx.functional.probe")
    monkeypatch.setattr(probe, "resolve", lambda extension, name, module: (extension, name, module))
    assert SF.OutputMonitor == ("probe", "OutputMonitor", "snnx.functional.probe")
    assert "OutputMonitor" not in SF.__all__  # star-imports must not need a backend with monitors
