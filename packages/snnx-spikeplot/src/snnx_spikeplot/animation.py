"""Animations of spiking activity: ``animator`` (frames of images), ``spike_count`` (counts per
output neuron, still or animated) and ``save_animation`` (``.gif`` / ``.mp4`` files)."""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.animation import Animation, FuncAnimation, writers
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from snnx_spikeplot.arrays import require_ndim, to_numpy

_INK = "#333F4B"  # axes, ticks and labels of spike_count
_BAR = "#007ACC"  # spike_count's bars and dots


def _steps_to_show(num_steps: Any, available: int, function: str) -> int:
    """``num_steps`` checked against the recording's length; ``False``/``None``/``0`` mean all of it."""
    if available == 0:
        raise ValueError(f"{function}: data has no time steps (its first axis is time and has length 0)")
    if num_steps is None or num_steps is False or num_steps == 0:
        return available
    if not isinstance(num_steps, (int, np.integer)) or isinstance(num_steps, bool) or num_steps < 0:
        raise ValueError(
            f"{function}: num_steps must be a positive integer (or False for all), got {num_steps!r}"
        )
    if num_steps > available:
        raise ValueError(
            f"{function}: num_steps={num_steps} is more than the {available} time steps in data; "
            f"pass num_steps <= {available} or leave it False to use them all"
        )
    return int(num_steps)


def animator(
    data: Any, fig: Figure, ax: Axes, num_steps: int | bool = False, interval: int = 40, cmap: str = "plasma"
) -> FuncAnimation:
    """Animate ``data`` ``[time, height, width]`` as one image per time step on ``ax``.

    Frame ``t`` shows ``data[t]`` with colour map ``cmap`` on a colour scale fixed to
    ``[data.min(), data.max()]`` over all steps; the axes are hidden. ``num_steps`` limits the
    animation to the first ``num_steps`` steps (default: all). ``interval`` is the delay between
    frames in milliseconds.

    Returns a :class:`~matplotlib.animation.FuncAnimation` with one frame per step.
    """
    frames = to_numpy(data, "data").astype(np.float64)
    require_ndim(frames, (3,), "data", "animator", "[time, height, width]")
    steps = _steps_to_show(num_steps, frames.shape[0], "animator")
    ax.axis("off")
    image = ax.imshow(frames[0], cmap=cmap, vmin=frames.min(), vmax=frames.max())

    def draw(step: int) -> tuple[Any, ...]:
        image.set_data(frames[step])
        return (image,)

    return FuncAnimation(fig, draw, frames=steps, interval=interval)


def _style_count_axes(ax: Axes, labels: list[Any], time_step: float | bool) -> None:
    """Label axes and ticks of a spike-count plot: one row per label, time along x."""
    rows = np.arange(1, len(labels) + 1)
    ax.set_yticks(rows, [str(label) for label in labels])
    ax.set_ylabel("Labels", fontsize=15, fontweight="bold", color=_INK)
    if time_step:
        ax.set_xlabel("Time [s]", fontsize=15, fontweight="bold", color=_INK)
        ax.xaxis.set_major_formatter(FuncFormatter(lambda tick, _: f"{tick * time_step:g}"))
    else:
        ax.set_xlabel("Time Step", fontsize=15, fontweight="bold", color=_INK)
    ax.tick_params(axis="both", which="major", labelsize=12, colors=_INK)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    for side in ("bottom", "left"):
        ax.spines[side].set_color(_INK)
        ax.spines[side].set_linewidth(0.8)
    ax.spines["bottom"].set_position(("axes", -0.04))
    ax.spines["left"].set_position(("axes", 0.0))


def _shade_alternate_ticks(ax: Axes) -> None:
    """Shade every other interval between the x ticks inside the x limits, starting at the first tick."""
    low, high = ax.get_xlim()
    ticks = [tick for tick in ax.get_xticks() if low < tick < high]
    edges = [*ticks, high]
    for start, end in zip(edges[0::2], edges[1::2]):
        ax.axvspan(start, end, zorder=0, facecolor="lightgrey", alpha=0.7)


def spike_count(
    data: Any,
    fig: Figure,
    ax: Axes,
    labels: Sequence[Any],
    num_steps: int | bool = False,
    animate: bool = False,
    interpolate: int = 1,
    gridshader: bool = True,
    interval: int = 25,
    time_step: float | bool = False,
) -> FuncAnimation | None:
    """Horizontal bars of how often each neuron of ``data`` ``[time, neurons]`` spiked.

    Neuron ``n`` is the row ``y = n + 1`` labelled ``labels[n]``; its bar runs from ``x = 0`` to
    ``count_n(s) = sum_{t < s} data[t, n]`` and ends in a dot. The x axis is time in steps
    (``0 .. num_steps``), or in seconds (tick ``k`` labelled ``k * time_step``) when ``time_step`` is given.
    ``gridshader`` shades every other interval between the time ticks.

    Without ``animate`` the bars show the counts over the first ``num_steps`` steps (default: all)
    and nothing is returned. With ``animate=True`` a :class:`~matplotlib.animation.FuncAnimation` of
    ``num_steps * interpolate`` frames is returned: frame ``i`` draws a time scanner at
    ``t = i / interpolate`` and the counts ``count_n(floor(t))`` of the steps before it.
    """
    spikes = to_numpy(data, "data")
    require_ndim(spikes, (2,), "data", "spike_count", "[time, neurons]")
    labels = list(labels)
    if len(labels) != spikes.shape[1]:
        raise ValueError(
            f"spike_count: got {len(labels)} labels for {spikes.shape[1]} neurons (data's second axis); "
            "pass one label per neuron"
        )
    steps = _steps_to_show(num_steps, spikes.shape[0], "spike_count")
    if isinstance(interpolate, bool) or not isinstance(interpolate, (int, np.integer)) or interpolate < 1:
        raise ValueError(f"spike_count: interpolate must be an integer >= 1, got {interpolate!r}")

    rows = np.arange(1, len(labels) + 1)
    counts = spikes[:steps].sum(axis=0) if not animate else np.zeros(len(labels))
    ax.set_xlim(0, steps)
    _style_count_axes(ax, labels, time_step)
    bars = ax.hlines(y=rows, xmin=0, xmax=counts, color=_BAR, alpha=0.5, linewidth=8)
    (dots,) = ax.plot(counts, rows, "o", markersize=8, color=_BAR, alpha=0.6)
    if gridshader:
        _shade_alternate_ticks(ax)
    if not animate:
        return None

    scanner = ax.axvline(x=0, color="tab:orange", linewidth=3)

    def draw(frame: int) -> tuple[Any, ...]:
        time = frame / interpolate
        shown = spikes[: math.floor(time)].sum(axis=0)
        bars.set_segments([[(0, row), (count, row)] for row, count in zip(rows, shown)])
        dots.set_xdata(shown)
        scanner.set_xdata([time, time])
        return bars, dots, scanner

    return FuncAnimation(fig, draw, frames=steps * int(interpolate), interval=interval)


def save_animation(anim: Animation, path: str | os.PathLike[str], fps: float | None = None) -> Path:
    """Write ``anim`` to ``path``: ``.gif`` with Pillow, ``.mp4`` with ffmpeg.

    ``fps`` defaults to ``1000 / interval`` of the animation. Raises ``RuntimeError`` for ``.mp4``
    when ffmpeg is not installed, ``ValueError`` for other file types. Returns the path written.
    """
    if not isinstance(anim, Animation):
        raise TypeError(
            f"save_animation: anim must be a matplotlib Animation (e.g. from animator or "
            f"spike_count(animate=True)), got {type(anim).__qualname__}"
        )
    if fps is not None and not fps > 0:
        raise ValueError(f"save_animation: fps must be a positive number or None, got {fps!r}")
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".gif":
        writer = "pillow"
    elif suffix == ".mp4":
        if not writers.is_available("ffmpeg"):
            raise RuntimeError(
                f"save_animation: writing {path} needs ffmpeg, which is not installed (or not on PATH). "
                "Install it (e.g. `conda install ffmpeg`, `apt-get install ffmpeg` or `brew install ffmpeg`) "
                "or save as .gif instead."
            )
        writer = "ffmpeg"
    else:
        raise ValueError(
            f"save_animation: cannot write {path}: unsupported file type {suffix or '(none)'!r}; "
            "supported: '.gif' (Pillow) and '.mp4' (ffmpeg)"
        )
    anim.save(path, writer=writer, fps=fps)
    return path
