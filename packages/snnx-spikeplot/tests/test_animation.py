"""animator, spike_count and save_animation: frames, bar lengths, files."""

from __future__ import annotations

import itertools
import math

import matplotlib.animation
import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.animation import FuncAnimation
from PIL import Image

from snnx_spikeplot import animator, save_animation, spike_count

RNG = np.random.default_rng(1)
MOVIE = RNG.random((6, 5, 4))  # [time, height, width], every frame different
SPIKES = (RNG.random((8, 4)) < 0.5).astype(np.float32)  # [time, neurons]
LABELS = ["a", "b", "c", "d"]


def count_by_loop(spikes: np.ndarray, steps: int) -> list[float]:
    """Spikes per neuron in the first ``steps`` steps, added up one by one."""
    totals = [0.0] * spikes.shape[1]
    for t in range(steps):
        for n in range(spikes.shape[1]):
            totals[n] += float(spikes[t, n])
    return totals


def bar_lengths(ax) -> tuple[list[float], list[float]]:
    """x where each label's bar ends, from the bars' segments and from the dots."""
    bars = ax.collections[0]
    ends = [float(segment[-1][0]) for segment in bars.get_segments()]
    return ends, [float(x) for x in ax.lines[0].get_xdata()]


def gif_frames(path) -> tuple[int, tuple[int, int]]:
    with Image.open(path) as image:
        return image.n_frames, image.size


# animator


def test_animator_has_one_frame_per_step_and_shows_each_step(tmp_path, as_input):
    fig, ax = plt.subplots(figsize=(2, 2), dpi=40)
    anim = animator(as_input(MOVIE), fig, ax)
    assert isinstance(anim, FuncAnimation)
    assert len(list(anim.new_frame_seq())) == MOVIE.shape[0]
    image = ax.images[0]
    assert image.get_clim() == pytest.approx((MOVIE.min(), MOVIE.max()))
    assert not ax.axison

    shown = []
    anim.save(
        tmp_path / "movie.gif",
        writer="pillow",
        progress_callback=lambda frame, total: shown.append(np.array(image.get_array())),
    )
    assert len(shown) == MOVIE.shape[0]
    for step, frame in enumerate(shown):
        np.testing.assert_allclose(frame, MOVIE[step], rtol=1e-6)
    assert gif_frames(tmp_path / "movie.gif") == (MOVIE.shape[0], (80, 80))


def test_animator_num_steps_limits_the_frames():
    fig, ax = plt.subplots()
    assert len(list(animator(MOVIE, fig, ax, num_steps=4).new_frame_seq())) == 4


@pytest.mark.parametrize(
    ("data", "kwargs", "expected"),
    [
        (MOVIE[0], {}, r"animator: data must be 3-D \[time, height, width\], got shape \(5, 4\)"),
        (MOVIE, {"num_steps": 7}, r"animator: num_steps=7 is more than the 6 time steps"),
        (MOVIE, {"num_steps": -1}, r"animator: num_steps must be a positive integer"),
        (MOVIE[:0], {}, r"animator: data has no time steps"),
    ],
)
def test_animator_refuses_bad_input(data, kwargs, expected):
    fig, ax = plt.subplots()
    with pytest.raises(ValueError, match=expected):
        animator(data, fig, ax, **kwargs)


# spike_count, still


def test_spike_count_bars_are_the_spike_counts(as_input):
    fig, ax = plt.subplots()
    assert spike_count(as_input(SPIKES), fig, ax, LABELS) is None
    ends, dots = bar_lengths(ax)
    expected = count_by_loop(SPIKES, SPIKES.shape[0])
    assert ends == expected and dots == expected
    assert [float(y) for y in ax.lines[0].get_ydata()] == [1.0, 2.0, 3.0, 4.0]
    assert [tick.get_text() for tick in ax.get_yticklabels()] == LABELS
    assert ax.get_xlim() == (0.0, float(SPIKES.shape[0]))


def test_spike_count_num_steps_counts_only_those_steps():
    fig, ax = plt.subplots()
    spike_count(SPIKES, fig, ax, LABELS, num_steps=3)
    ends, dots = bar_lengths(ax)
    assert ends == dots == count_by_loop(SPIKES, 3)
    assert ax.get_xlim() == (0.0, 3.0)


def test_spike_count_gridshader_shades_alternate_tick_intervals():
    fig, ax = plt.subplots()
    spike_count(SPIKES, fig, ax, LABELS, gridshader=False)
    assert not ax.patches
    fig, ax = plt.subplots()
    spike_count(SPIKES, fig, ax, LABELS)
    ticks = [t for t in ax.get_xticks() if 0 < t < SPIKES.shape[0]]
    spans = sorted((patch.get_x(), patch.get_x() + patch.get_width()) for patch in ax.patches)
    assert spans and spans[0] == pytest.approx((ticks[0], ticks[1]))
    for (_, end), (start, _) in itertools.pairwise(spans):
        assert start > end  # unshaded gaps in between


def test_spike_count_time_step_labels_time_in_seconds():
    fig, ax = plt.subplots()
    spike_count(SPIKES, fig, ax, LABELS, time_step=1e-3)
    fig.canvas.draw()
    assert ax.get_xlabel() == "Time [s]"
    labels = {tick: label.get_text() for tick, label in zip(ax.get_xticks(), ax.get_xticklabels())}
    assert labels[2.0] == "0.002" and labels[0.0] == "0"


@pytest.mark.parametrize(
    ("data", "labels", "kwargs", "expected"),
    [
        (SPIKES, LABELS[:3], {}, r"spike_count: got 3 labels for 4 neurons"),
        (SPIKES, LABELS, {"num_steps": 9}, r"spike_count: num_steps=9 is more than the 8 time steps"),
        (SPIKES[:, :, None], LABELS, {}, r"spike_count: data must be 2-D \[time, neurons\]"),
        (SPIKES, LABELS, {"animate": True, "interpolate": 0}, r"interpolate must be an integer >= 1"),
    ],
)
def test_spike_count_refuses_bad_input(data, labels, kwargs, expected):
    fig, ax = plt.subplots()
    with pytest.raises(ValueError, match=expected):
        spike_count(data, fig, ax, labels, **kwargs)


# spike_count, animated


@pytest.mark.parametrize(("num_steps", "interpolate"), [(False, 1), (5, 3)])
def test_animated_spike_count_bars_follow_the_scanner(tmp_path, as_input, num_steps, interpolate):
    fig, ax = plt.subplots(figsize=(4, 2), dpi=40)
    anim = spike_count(
        as_input(SPIKES), fig, ax, LABELS, num_steps=num_steps, animate=True, interpolate=interpolate
    )
    assert isinstance(anim, FuncAnimation)
    steps = num_steps or SPIKES.shape[0]
    frames = steps * interpolate
    assert len(list(anim.new_frame_seq())) == frames

    seen = []

    def record(frame, total):
        scanner = ax.lines[-1]
        seen.append((bar_lengths(ax), float(scanner.get_xdata()[0])))

    anim.save(tmp_path / "counts.gif", writer="pillow", progress_callback=record)
    assert len(seen) == frames
    for frame, ((ends, dots), scanner_x) in enumerate(seen):
        time = frame / interpolate
        expected = count_by_loop(SPIKES, math.floor(time))
        assert ends == expected and dots == expected, frame
        assert scanner_x == pytest.approx(time)
    assert gif_frames(tmp_path / "counts.gif") == (frames, (160, 80))


# save_animation


def test_save_animation_writes_a_gif_with_every_frame(tmp_path):
    fig, ax = plt.subplots(figsize=(2, 1), dpi=50)
    anim = animator(MOVIE, fig, ax)
    written = save_animation(anim, tmp_path / "movie.GIF", fps=5)
    assert written == tmp_path / "movie.GIF"
    assert gif_frames(written) == (MOVIE.shape[0], (100, 50))
    with Image.open(written) as image:
        assert image.info["duration"] == 200  # 5 frames per second


def test_save_animation_mp4_without_ffmpeg_says_how_to_get_it(tmp_path, monkeypatch):
    monkeypatch.setattr(matplotlib.animation.writers, "is_available", lambda name: False)
    fig, ax = plt.subplots()
    anim = animator(MOVIE, fig, ax)
    with pytest.raises(RuntimeError, match=r"needs ffmpeg, which is not installed.*Install it.*\.gif"):
        save_animation(anim, tmp_path / "movie.mp4")
    assert not (tmp_path / "movie.mp4").exists()


def test_save_animation_mp4_with_ffmpeg(tmp_path):
    if not matplotlib.animation.writers.is_available("ffmpeg"):
        pytest.skip("ffmpeg is not installed here, so an .mp4 cannot be written")
    fig, ax = plt.subplots(figsize=(2, 2), dpi=40)
    written = save_animation(animator(MOVIE, fig, ax), tmp_path / "movie.mp4")
    assert written.stat().st_size > 0
    assert written.read_bytes()[4:8] == b"ftyp"  # an MP4 container


def test_save_animation_refuses_other_file_types_and_non_animations(tmp_path):
    fig, ax = plt.subplots()
    anim = animator(MOVIE, fig, ax)
    with pytest.raises(ValueError, match=r"unsupported file type '\.avi'.*'\.gif' \(Pillow\) and '\.mp4'"):
        save_animation(anim, tmp_path / "movie.avi")
    with pytest.raises(TypeError, match=r"anim must be a matplotlib Animation.*got Figure"):
        save_animation(fig, tmp_path / "movie.gif")
