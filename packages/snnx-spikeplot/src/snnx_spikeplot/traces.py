"""``traces``: one small panel per neuron showing its membrane potential (or any trace) over time."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import matplotlib.pyplot as plt
from matplotlib.gridspec import GridSpec

from snnx_spikeplot.arrays import require_ndim, to_numpy


def _grid_shape(dim: Any) -> tuple[int, int]:
    """``dim`` checked to be ``(rows, columns)`` of positive integers."""
    try:
        rows, cols = (int(size) for size in dim)
    except (TypeError, ValueError) as error:
        raise ValueError(f"traces: dim must be (rows, columns), got {dim!r}") from error
    if rows < 1 or cols < 1:
        raise ValueError(f"traces: dim must be (rows, columns) of positive integers, got {dim!r}")
    return rows, cols


def traces(
    data: Any,
    spk: Any = None,
    dim: tuple[int, int] = (3, 3),
    spk_height: float = 5,
    titles: Sequence[str] | None = None,
) -> None:
    """Plot each neuron's trace of ``data`` ``[time, neurons]`` in its own panel of the current figure.

    Panels fill a ``dim = (rows, columns)`` grid row by row, share their y axis and have no axis
    lines. With ``spk`` (same shape as ``data``) the line of neuron ``n`` is
    ``data[:, n] + spk_height * spk[:, n]``, so each spike shows as a spike of height ``spk_height``
    riding on the trace. ``titles[n]`` (when given) titles panel ``n``.

    Raises ``ValueError`` when ``dim`` has fewer panels than ``data`` has neurons.
    """
    lines = to_numpy(data, "data").astype(float)
    require_ndim(lines, (2,), "data", "traces", "[time, neurons]")
    if spk is not None:
        spikes = to_numpy(spk, "spk")
        if spikes.shape != lines.shape:
            raise ValueError(
                f"traces: spk must have data's shape {tuple(lines.shape)} [time, neurons], "
                f"got {tuple(spikes.shape)}"
            )
        lines = lines + spk_height * spikes
    rows, cols = _grid_shape(dim)
    neurons = lines.shape[1]
    if neurons > rows * cols:
        raise ValueError(
            f"traces: dim={tuple(dim)} has {rows * cols} panels but data has {neurons} neurons; "
            f"pass a dim with rows * columns >= {neurons}, or slice data to the neurons to show"
        )
    fig = plt.gcf()
    grid = GridSpec(rows, cols, figure=fig)
    first = None
    for neuron in range(neurons):
        ax = fig.add_subplot(grid[neuron], sharey=first)
        first = first or ax
        if titles is not None and neuron < len(titles):
            ax.set_title(titles[neuron])
        ax.plot(lines[:, neuron])
        ax.axis("off")
