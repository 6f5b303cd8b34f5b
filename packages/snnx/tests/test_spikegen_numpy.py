"""spikegen on NumPy arrays: hand-computed codes, argument errors and seeded reproducibility."""

from __future__ import annotations

import numpy as np
import pytest

import snnx
from snnx import spikegen
from snnx.errors import InputShapeError


def f32(values) -> np.ndarray:
    return np.asarray(values, dtype=np.float32)


def test_linear_latency_by_hand():
    # tau = num_steps - 1 = 4: t = 4 (1 - x) = [3.92, 2, 0], rounded to steps 4, 2, 0
    spikes = spikegen.latency(f32([0.02, 0.5, 1.0]), num_steps=5, normalize=True, linear=True)
    assert spikes.dtype == np.float32
    np.testing.assert_array_equal(spikes, np.eye(5, dtype=np.float32)[[4, 2, 0]].T)


def test_log_latency_code_by_hand():
    data = f32([0.02, 0.5, 1.0])
    times = np.log(data / (data - 0.01))
    got, below = spikegen.latency_code(data, num_steps=5)
    np.testing.assert_allclose(got, times, rtol=1e-6)
    np.testing.assert_allclose(
        spikegen.latency_code_log(data, 5, normalize=True), times * 4 / times[0], rtol=1e-6
    )
    np.testing.assert_allclose(spikegen.latency_code_log(data, 5, first_spike_time=2), times + 2, rtol=1e-6)
    assert not below.any() and spikegen.latency_code(f32([0.001]), 5)[1].all()


def test_latency_clip_silences_inputs_below_threshold_and_targets_are_applied():
    data = f32([0.005, 1.0])  # below the threshold: fires last unless clipped
    kept = spikegen.latency(data, num_steps=5, normalize=True, on_target=1.5, off_target=0.5)
    clipped = spikegen.latency(data, num_steps=5, normalize=True, clip=True)
    np.testing.assert_array_equal(kept[:, 0], [0.5, 0.5, 0.5, 0.5, 1.5])
    np.testing.assert_array_equal(kept[:, 1], [1.5, 0.5, 0.5, 0.5, 0.5])
    assert clipped[:, 0].sum() == 0 and clipped[0, 1] == 1


def test_latency_bypass_sizes_or_truncates_the_window():
    data = f32([0.5, 0.011])  # log code: t = ln(50) ... ln(0.011 / 0.001) = ln 11 = 2.4 -> step 2
    sized = spikegen.latency(data, bypass=True, tau=2)  # 2 ln 11 = 4.8 -> step 5
    assert sized.shape == (6, 2) and sized[5, 1] == 1
    truncated = spikegen.latency(data, num_steps=3, tau=2, bypass=True)
    assert truncated.shape == (3, 2) and truncated[:, 1].sum() == 0 and truncated[0, 0] == 1


def test_latency_interpolate_by_hand():
    ramps = spikegen.latency_interpolate(f32([0, 4]), num_steps=5)
    np.testing.assert_allclose(ramps, [[1, 0], [0, 0.25], [0, 0.5], [0, 0.75], [0, 1]])
    shifted = spikegen.latency_interpolate(f32([0, 4]), num_steps=5, on_target=1.25, off_target=0.25)
    np.testing.assert_allclose(shifted[:, 1], [0.25, 0.5, 0.75, 1.0, 1.25])
    late = spikegen.latency_interpolate(f32([9.0]), num_steps=5)  # beyond the window: never on
    np.testing.assert_array_equal(late[:, 0], np.zeros(5))


def test_latency_interpolation_through_latency():
    ramps = spikegen.latency(
        f32([0.02, 0.5, 1.0]), num_steps=5, normalize=True, linear=True, interpolate=True
    )
    np.testing.assert_allclose(ramps[:, 0], [0, 0.25, 0.5, 0.75, 1.0])  # spike at step 4
    np.testing.assert_allclose(ramps[:, 1], [0, 0.5, 1.0, 0, 0])  # spike at step 2, silent after


@pytest.mark.parametrize(
    ("padding", "off_spike", "series", "expected"),
    [
        (False, False, [1, 2, 2.9, 3, 3.9], [1, 1, 0, 0, 0]),
        (True, False, [1, 2, 2.9, 3, 3.9], [0, 1, 0, 0, 0]),
        (False, True, [1, 2, 0, 2, 2.9], [1, 1, -1, 1, 0]),
        (True, True, [1, 2, 0, 2, 2.9], [0, 1, -1, 1, 0]),
    ],
)
def test_delta_by_hand(padding, off_spike, series, expected):
    spikes = spikegen.delta(f32(series), threshold=1, padding=padding, off_spike=off_spike)
    np.testing.assert_array_equal(spikes, expected)
    assert spikes.dtype == np.float32


def test_delta_keeps_integer_series_integer():
    spikes = spikegen.delta(np.array([[0], [2], [2], [-1]]), threshold=2, off_spike=True)
    assert spikes.dtype == np.int64 and spikes.ravel().tolist() == [0, 1, 0, -1]


def test_one_hot_helpers_by_hand():
    one_hot = spikegen.to_one_hot(np.array([2, 0, 3]), 4)
    assert one_hot.dtype == np.float32
    np.testing.assert_array_equal(one_hot, np.eye(4)[[2, 0, 3]])
    np.testing.assert_array_equal(spikegen.to_one_hot(f32([1.0]), 2), [[0, 1]])
    np.testing.assert_array_equal(spikegen.to_one_hot_inverse(f32([0, 0, 0, 0, 1])), [1, 1, 1, 1, 0])
    np.testing.assert_array_equal(spikegen.from_one_hot(one_hot), [2, 0, 3])
    np.testing.assert_array_equal(spikegen.from_one_hot(f32([0, 0, 1, 0])), [2])


def test_target_rate_code_regular_by_hand():
    with snnx.use("numpy"):
        spikes, times = spikegen.target_rate_code(num_steps=5, rate=0.3)
        delayed, delayed_times = spikegen.target_rate_code(num_steps=5, first_spike_time=3)
        silent, none = spikegen.target_rate_code(num_steps=4, rate=0)
    assert spikes.dtype == np.float32 and times.dtype == np.int64
    assert spikes.tolist() == [1, 0, 0, 1, 0] and times.tolist() == [0, 3]  # floor(1 / 0.3) = 3
    assert delayed.tolist() == [0, 0, 0, 1, 1] and delayed_times.tolist() == [3, 4]
    assert silent.tolist() == [0, 0, 0, 0] and none.shape == (0,)


def test_rate_interpolate_by_hand():
    times = np.array([0, 4])
    np.testing.assert_allclose(spikegen.rate_interpolate(times, 5), [1, 0, 1 / 3, 2 / 3, 1], rtol=1e-6)
    np.testing.assert_allclose(
        spikegen.rate_interpolate(times, 5, on_target=1.25, off_target=0.25),
        [1.25, 0.25, 0.25 + 1 / 3, 0.25 + 2 / 3, 1.25],
        rtol=1e-6,
    )
    np.testing.assert_allclose(spikegen.rate_interpolate(np.array([1]), 4), [0, 1, 0, 0])  # off after
    np.testing.assert_array_equal(
        spikegen.rate_interpolate(np.array([], int), 3, off_target=0.2), f32([0.2] * 3)
    )


def test_targets_rate_by_hand():
    label = np.array([4])
    np.testing.assert_array_equal(spikegen.targets_rate(label, 5), [[0, 0, 0, 0, 1]])
    delayed = spikegen.targets_rate(label, 5, num_steps=5, first_spike_time=2, on_target=1.2, off_target=0.5)
    assert delayed.shape == (5, 1, 5)
    np.testing.assert_allclose(delayed[:, 0, 4], [0.5, 0.5, 1.2, 1.2, 1.2])
    np.testing.assert_allclose(delayed[:, 0, 0], [0.5] * 5)
    ramp = spikegen.targets_rate(
        label, 5, num_steps=5, correct_rate=0.25, on_target=1.2, off_target=0.5, interpolate=True
    )
    np.testing.assert_allclose(ramp[:, 0, 4], [1.2, 0.5, 0.5 + 0.7 / 3, 0.5 + 1.4 / 3, 1.2], rtol=1e-6)
    np.testing.assert_allclose(ramp[:, 0, :4], 0.5)
    # num_steps need not equal num_classes (snnTorch fails unless it does)
    mixed = spikegen.targets_rate(np.array([0, 2]), 3, num_steps=8, correct_rate=0.5, incorrect_rate=0.25)
    assert mixed.shape == (8, 2, 3)
    np.testing.assert_array_equal(mixed[:, 0, 0], [1, 0, 1, 0, 1, 0, 1, 0])
    np.testing.assert_array_equal(mixed[:, 0, 1], [1, 0, 0, 0, 1, 0, 0, 0])


def test_targets_latency_and_convert_by_hand():
    labels = np.array([0, 3])
    spikes = spikegen.targets_latency(labels, num_classes=4, num_steps=5, normalize=True)
    assert spikes.shape == (5, 2, 4)
    assert spikes[:, 0, 0].tolist() == [1, 0, 0, 0, 0] and spikes[:, 0, 1].tolist() == [0, 0, 0, 0, 1]
    ramps = spikegen.targets_convert(labels, 4, code="latency", num_steps=5, normalize=True, interpolate=True)
    np.testing.assert_allclose(ramps[:, 0, 1], [0, 0.25, 0.5, 0.75, 1])
    np.testing.assert_array_equal(spikegen.targets_convert(labels, 4), spikegen.to_one_hot(labels, 4))


def test_random_encoders_are_reproducible_with_a_seed():
    data = np.full((200, 3), 0.4)
    np.testing.assert_array_equal(
        spikegen.rate_conv(data, generator=3), spikegen.rate_conv(data, generator=3)
    )
    assert not np.array_equal(spikegen.rate_conv(data, generator=3), spikegen.rate_conv(data, generator=4))
    labels, rates = np.array([1, 0]), {"num_steps": 50, "correct_rate": 0.5, "incorrect_rate": 0.2}
    for pattern in ("uniform", "poisson"):
        first = spikegen.targets_rate(
            labels, 2, firing_pattern=pattern, generator=np.random.default_rng(8), **rates
        )
        again = spikegen.targets_rate(labels, 2, firing_pattern=pattern, generator=8, **rates)
        np.testing.assert_array_equal(first, again)
        assert first[:, 0, 1].sum() > first[:, 0, 0].sum()  # correct class fires more


def test_rate_conv_clips_like_snntorch():
    spikes = spikegen.rate_conv(f32([[-1.0, 0.0, 1.0, 3.0]] * 100), generator=1)
    assert spikes.dtype == np.float32 and spikes[:, :2].sum() == 0 and spikes[:, 2:].all()


def test_target_rate_code_uses_the_selected_backend():
    with snnx.use("numpy"):
        spikes, times = spikegen.target_rate_code(6, rate=0.5, firing_pattern="poisson", generator=2)
        assert spikegen.target_rate_code(6, rate=0.5, firing_pattern="poisson", generator=2)[0].tolist() == (
            spikes.tolist()
        )
    assert isinstance(spikes, np.ndarray) and spikes.shape == (6,)
    np.testing.assert_array_equal(times, np.flatnonzero(spikes))


BAD_CALLS = [
    (lambda: spikegen.latency(f32([0.5, 1.2]), 5), snnx.ParameterRangeError, r"data must lie in \[0, 1\]"),
    (lambda: spikegen.latency(f32([0.5]), 5, threshold=1.0), snnx.ParameterRangeError, r"threshold \(1.0\)"),
    (lambda: spikegen.latency(f32([0.5]), 5, threshold=0), snnx.ParameterRangeError, "strictly between"),
    (lambda: spikegen.latency(f32([0.5]), 5, tau=0), snnx.ParameterRangeError, r"tau \(0\) must be > 0"),
    (lambda: spikegen.latency(f32([0.5])), snnx.ParameterRangeError, "give num_steps > 0, or set bypass"),
    (
        lambda: spikegen.latency(f32([0.0105]), 2),
        snnx.ParameterRangeError,
        r"step 3, beyond num_steps - 1 \(1\)",
    ),
    (
        lambda: spikegen.latency(f32([0.5]), 5.0),
        snnx.InputDtypeError,
        "num_steps must be an integer, got 5.0",
    ),
    (lambda: spikegen.latency(f32([0.5]), 3, first_spike_time=3), snnx.ParameterRangeError, "at most"),
    (
        lambda: spikegen.latency(f32([0.5]), bypass=True, normalize=True),
        snnx.ParameterRangeError,
        "normalize",
    ),
    (lambda: spikegen.latency(np.array([1]), 5), snnx.InputDtypeError, "got dtype int64"),
    (lambda: spikegen.latency(f32([]), 5), InputShapeError, r"data is empty \(shape \(0,\)\)"),
    (lambda: spikegen.latency_code(f32([0.5]), 5, first_spike_time=-1), snnx.ParameterRangeError, ">= 0"),
    (
        lambda: spikegen.latency_code_linear(f32([-1, 2]), 5, first_spike_time=1),
        snnx.ParameterRangeError,
        "first_spike_time needs data within",
    ),
    (
        lambda: spikegen.latency_interpolate(f32([1]), 4, 0.5, 1.0),
        snnx.ParameterRangeError,
        r"on_target \(0.5\)",
    ),
    (
        lambda: spikegen.latency_interpolate(f32([1]), 0),
        snnx.ParameterRangeError,
        r"num_steps \(0\) must be >= 1",
    ),
    (lambda: spikegen.to_one_hot(np.array([0, 4]), 4), snnx.ParameterRangeError, r"\[0, 3\].*got 4"),
    (lambda: spikegen.to_one_hot(np.array([-1]), 4), snnx.ParameterRangeError, "got -1"),
    (lambda: spikegen.to_one_hot(f32([1.5]), 4), snnx.ParameterRangeError, "whole numbers.*got 1.5"),
    (lambda: spikegen.to_one_hot(np.zeros((2, 2), int), 4), InputShapeError, r"got shape \(2, 2\)"),
    (lambda: spikegen.to_one_hot(np.array([True]), 4), snnx.InputDtypeError, "got dtype bool"),
    (lambda: spikegen.to_one_hot(np.array([0]), 0), snnx.ParameterRangeError, r"num_classes \(0\)"),
    (lambda: spikegen.from_one_hot(f32([[1, 1], [0, 1]])), snnx.ParameterRangeError, "rows 0 have 2"),
    (lambda: spikegen.from_one_hot(f32(np.zeros((1, 2, 2)))), InputShapeError, r"got shape \(1, 2, 2\)"),
    (lambda: spikegen.rate_interpolate(np.array([0, 5]), 5), snnx.ParameterRangeError, r"\[0, 4\], got 5"),
    (lambda: spikegen.rate_interpolate(f32([1.5]), 5), snnx.ParameterRangeError, "whole steps"),
    (lambda: spikegen.target_rate_code(5, rate=1.5), snnx.ParameterRangeError, r"rate \(1.5\) must lie in"),
    (lambda: spikegen.target_rate_code(5, first_spike_time=6), snnx.ParameterRangeError, "at most num_steps"),
    (lambda: spikegen.target_rate_code(5, firing_pattern="burst"), snnx.ParameterRangeError, "'burst'"),
    (lambda: spikegen.target_rate_code(0), snnx.ParameterRangeError, r"num_steps \(0\)"),
    (
        lambda: spikegen.targets_rate(np.array([0]), 2, 5, correct_rate=0.2, incorrect_rate=0.5),
        snnx.ParameterRangeError,
        "must not exceed",
    ),
    (
        lambda: spikegen.targets_rate(np.array([0]), 2, correct_rate=0.5),
        snnx.ParameterRangeError,
        "needs num_steps",
    ),
    (
        lambda: spikegen.targets_rate(np.array([0]), 2, first_spike_time=2),
        snnx.ParameterRangeError,
        "num_steps",
    ),
    (lambda: spikegen.targets_convert(np.array([0]), 2, code="phase"), snnx.ParameterRangeError, "'phase'"),
    (lambda: spikegen.delta(f32(1.0)), InputShapeError, "leading time dimension"),
    (lambda: spikegen.delta(np.array([True, False])), snnx.InputDtypeError, "got dtype bool"),
    (lambda: spikegen.rate_conv(np.array([1, 0])), snnx.InputDtypeError, "floating-point"),
]


@pytest.mark.parametrize(("call", "error", "message"), BAD_CALLS)
def test_bad_arguments_raise_clear_errors(call, error, message):
    with pytest.raises(error, match=message):
        call()
