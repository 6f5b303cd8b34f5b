"""Conformance of spike encoders.

Deterministic encoders must give the NumPy reference's values; random ones must
fire at the right rates (within 4 sigma over large samples) and repeat exactly
for the same seed.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

import numpy as np

from snnx.backend import Backend
from snnx.specs import encoders
from snnx.specs.encoders import rate as rate_spec
from snnx.testing.conformance.common import REFERENCE, SEED


def _within_4_sigma(what: str, observed: np.ndarray, expected: np.ndarray, trials: int) -> None:
    sigma = np.sqrt(expected * (1 - expected) / trials)
    assert np.all(np.abs(observed - expected) <= 4 * sigma + 1e-12), f"{what}: rates {observed} != {expected}"


def _agrees(backend: Backend, what: str, encode: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
    """``encode(ops, *args, **kwargs)`` on ``backend`` equals the reference, for every array returned.

    NumPy arrays among ``args`` are handed over as the backend's arrays, in their dtype.
    """
    results = []
    for runner in (backend, REFERENCE):
        inputs = [runner.asarray(a, str(a.dtype)) if isinstance(a, np.ndarray) else a for a in args]
        out = encode(runner.ops, *inputs, **kwargs)
        results.append([runner.to_numpy(x) for x in (out if isinstance(out, tuple) else (out,))])
    for got, expected in zip(*results):
        assert got.shape == expected.shape, f"{backend.name}: {what} shape {got.shape} != {expected.shape}"
        assert got.dtype == expected.dtype, f"{backend.name}: {what} dtype {got.dtype} != {expected.dtype}"
        np.testing.assert_allclose(
            got, expected, rtol=1e-5, atol=1e-6, err_msg=f"{backend.name}: {what} ({args[1:]}, {kwargs})"
        )


def check_rate_encoder(backend: Backend) -> None:
    """Rate coding: shape, 0/1 values, clipping, probabilities, silence, seeded reproducibility."""
    ops = backend.ops
    data = backend.asarray(np.array([[0.0, 0.25, 0.5, 1.0, 1.7, -0.3]]))
    steps = 4000
    spikes = backend.to_numpy(rate_spec(ops, data, steps, 1, 0, 0, False, backend.generator(SEED, like=data)))
    assert spikes.shape == (steps, 1, 6), f"{backend.name}: rate shape {spikes.shape}"
    assert set(np.unique(spikes)) <= {0.0, 1.0}, f"{backend.name}: rate values not 0/1"
    expected = np.array([0.0, 0.25, 0.5, 1.0, 1.0, 0.0])
    _within_4_sigma(f"{backend.name}: rate", spikes.mean(axis=0)[0], expected, steps)
    again = backend.to_numpy(rate_spec(ops, data, steps, 1, 0, 0, False, backend.generator(SEED, like=data)))
    np.testing.assert_array_equal(spikes, again, err_msg=f"{backend.name}: seeded rate coding differs")
    late = backend.to_numpy(rate_spec(ops, data, 10, 1, 0, 3, False, backend.generator(SEED, like=data)))
    assert not late[:3].any(), f"{backend.name}: spikes before first_spike_time"


def check_rate_conv_encoder(backend: Backend) -> None:
    """One Bernoulli draw per element: clipped probabilities, dtype kept, seeded reproducibility."""
    probabilities = np.array([0.0, 0.1, 0.5, 0.9, 1.0, 1.5, -0.5])
    data = backend.asarray(np.tile(probabilities, (5000, 1)), "float64")

    def draw(seed: int) -> np.ndarray:
        return backend.to_numpy(encoders.rate_spikes(backend.ops, data, backend.generator(seed, like=data)))

    spikes = draw(SEED)
    assert spikes.dtype == np.float64, f"{backend.name}: rate_conv dtype {spikes.dtype}"
    _within_4_sigma(f"{backend.name}: rate_conv", spikes.mean(axis=0), np.clip(probabilities, 0, 1), 5000)
    np.testing.assert_array_equal(spikes, draw(SEED), err_msg=f"{backend.name}: seeded rate_conv differs")
    assert not np.array_equal(spikes, draw(SEED + 1)), f"{backend.name}: rate_conv ignores its seed"


LATENCY_DATA = np.random.default_rng(SEED).uniform(0, 1, (3, 7)).astype("float32")
LATENCY_DATA[0, :3] = [0.0, 1.0, 0.005]


def check_latency_encoders(backend: Backend) -> None:
    """Latency codes and spike trains equal the reference over the options (log/linear, normalize...)."""
    for linear, normalize, clip, interpolate, first in itertools.product([False, True], repeat=2 * 2 + 1):
        options = {"linear": linear, "normalize": normalize, "first_spike_time": 2 * first}
        code = {"threshold": 0.05, "tau": 2.0, "epsilon": 1e-7, **options}
        _agrees(backend, "latency_code", encoders.latency_code, LATENCY_DATA, num_steps=12, **code)
        _agrees(
            backend,
            "latency",
            encoders.latency,
            LATENCY_DATA,
            num_steps=12 if normalize else 0,
            on_target=1.25,
            off_target=0.25,
            clip=clip,
            interpolate=interpolate,
            bypass=not normalize,
            **code,
        )
    wide = np.linspace(-0.5, 1.5, 9, dtype="float32")
    for normalize in (False, True):
        kwargs = {"threshold": 0.1, "tau": 3.0, "first_spike_time": 0, "normalize": normalize}
        _agrees(backend, "latency_code_linear", encoders.latency_code_linear, wide, num_steps=10, **kwargs)


def check_latency_interpolation(backend: Backend) -> None:
    """Ramps up to rounded spike times, including spikes at 0 and past the window."""
    times = np.array([[0.0, 0.4, 2.6, 7.9], [12.0, 10.0, 11.0, 3.0]], dtype="float32")
    for on, off in [(1.0, 0.0), (1.25, 0.25), (1.2, 0.5)]:
        _agrees(backend, "latency_interpolate", encoders.latency_interpolate, times, 10, on, off)


def check_delta_encoder(backend: Backend) -> None:
    """Delta modulation over padding, off spikes and thresholds, for float and integer series."""
    walk = np.cumsum(np.random.default_rng(SEED).normal(0, 0.3, (25, 2, 4)), axis=0)
    for series in (walk.astype("float32"), np.round(walk * 3).astype("int64")):
        for padding, off_spike, threshold in itertools.product([False, True], [False, True], [0.1, 1.0]):
            _agrees(backend, "delta", encoders.delta, series, threshold, padding, off_spike)


def check_target_codes(backend: Backend) -> None:
    """One-hot helpers, regular rate codes, interpolation and rate-coded targets equal the reference."""
    labels = np.array([0, 3, 1, 3])
    for dtype in ("int64", "float32"):
        _agrees(backend, "to_one_hot", encoders.to_one_hot, labels.astype(dtype), 4)
    one_hot = np.eye(4, dtype="float32")[labels]
    _agrees(backend, "to_one_hot_inverse", encoders.to_one_hot_inverse, one_hot)
    _agrees(backend, "from_one_hot", encoders.from_one_hot, one_hot)
    template = np.zeros(0, "float32")
    for steps, first, rate in itertools.product([1, 7, 20], [0, 1, 3], [0.0, 0.3, 1 / 3, 0.77, 1.0]):
        first = min(first, steps)
        _agrees(
            backend, "target_rate_code", encoders.target_rate_code, template, steps, first, rate, "regular"
        )
    for times in ([0, 4], [1, 2, 6], [], [2, 5, 9]):
        _agrees(
            backend, "rate_interpolate", encoders.rate_interpolate, np.array(times, "int64"), 10, 1.2, 0.5
        )
    settings = [
        {"num_steps": 0, "first_spike_time": 0, "correct_rate": 1.0, "incorrect_rate": 0.0},
        {"num_steps": 6, "first_spike_time": 2, "correct_rate": 1.0, "incorrect_rate": 0.0},
        {"num_steps": 9, "first_spike_time": 1, "correct_rate": 0.5, "incorrect_rate": 0.25},
    ]
    for setting, interpolate in itertools.product(settings, [False, True]):
        targets = dict(
            setting, on_target=1.3, off_target=0.2, firing_pattern="regular", interpolate=interpolate
        )
        _agrees(backend, "targets_rate", encoders.targets_rate, labels, 4, **targets)


def check_random_target_codes(backend: Backend) -> None:
    """Poisson and uniform target codes: rates and spread within 4 sigma, seeded reproducibility."""
    ops, steps, first, rate = backend.ops, 20000, 100, 0.3
    template = backend.asarray(np.zeros(0))

    def draw(pattern: str, seed: int) -> list[np.ndarray]:
        generator = backend.generator(seed, like=template)
        code = encoders.target_rate_code(ops, template, steps, first, rate, pattern, generator)
        return [backend.to_numpy(x) for x in code]

    spikes, times = draw("poisson", SEED)
    assert not spikes[:first].any(), f"{backend.name}: poisson spikes before first_spike_time"
    _within_4_sigma(f"{backend.name}: poisson", spikes[first:].mean(), np.float64(rate), steps - first)
    np.testing.assert_array_equal(times, np.flatnonzero(spikes), err_msg=f"{backend.name}: poisson times")
    spikes, times = draw("uniform", SEED)
    count = int(np.ceil((steps - first) * rate))
    assert times.shape == (count,) and times.min() >= first and times.max() < steps, f"{backend.name}"
    spread = (steps - first) / np.sqrt(12 * count)
    assert abs(times.mean() - (first + steps - 1) / 2) <= 4 * spread, f"{backend.name}: uniform mean"
    np.testing.assert_array_equal(spikes, np.isin(np.arange(steps), times), err_msg=f"{backend.name}")
    for pattern in ("poisson", "uniform"):
        first_draw, again, other = draw(pattern, SEED), draw(pattern, SEED), draw(pattern, SEED + 1)
        np.testing.assert_array_equal(first_draw[0], again[0], err_msg=f"{backend.name}: seeded {pattern}")
        assert not np.array_equal(first_draw[0], other[0]), f"{backend.name}: {pattern} ignores its seed"


CHECKS = (
    check_rate_encoder,
    check_rate_conv_encoder,
    check_latency_encoders,
    check_latency_interpolation,
    check_delta_encoder,
    check_target_codes,
    check_random_target_codes,
)
