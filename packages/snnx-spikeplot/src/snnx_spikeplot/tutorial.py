"""The two figures snnTorch's tutorials define for themselves, as library functions.

``plot_cur_mem_spk`` (tutorial 2) shows one neuron: its input current, its membrane potential and its
output spikes, stacked over a shared time axis. ``plot_snn_spikes`` (tutorial 3) shows the spikes of a
two-layer network: input, hidden layer and output rasters over a shared time axis. Both accept torch
tensors (any device, with or without grad), NumPy arrays or nested lists, and return the Figure
without showing it.
"""

from __future__ import annotations

from typing import Any

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

from snnx_spikeplot.arrays import require_ndim, to_numpy
from snnx_spikeplot.raster import raster

_PANEL_HEIGHTS = {"height_ratios": [1, 1, 0.4]}
_MARKER_LINE = {"alpha": 0.25, "linestyle": "dashed", "color": "black", "linewidth": 2}


def _level(value: Any, name: str, meaning: str) -> float | None:
    """The position of an optional guide line: ``None`` when ``value`` is ``False`` or ``None``."""
    if value is False or value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"plot_cur_mem_spk: {name} takes {meaning} (a number) or False, got {value!r}")
    return float(value)


def _same_length(function: str, **arrays: np.ndarray) -> int:
    """The common number of time steps (first axis) of ``arrays``; ``ValueError`` naming them if not."""
    lengths = {name: array.shape[0] for name, array in arrays.items()}
    if len(set(lengths.values())) > 1:
        listed = ", ".join(f"{name} has {steps}" for name, steps in lengths.items())
        raise ValueError(f"{function}: all inputs must have the same number of time steps; {listed}")
    return next(iter(lengths.values()))


def plot_cur_mem_spk(
    cur: Any,
    mem: Any,
    spk: Any,
    thr_line: float | bool = False,
    vline: float | bool = False,
    title: str | bool = False,
    ylim_max1: float = 1.25,
    ylim_max2: float = 1.25,
) -> Figure:
    """Input current, membrane potential and output spikes of a neuron, one panel each.

    ``cur``, ``mem`` and ``spk`` are recordings over the same ``T`` steps, each ``[T]`` or
    ``[T, neurons]`` (several neurons draw several lines / raster rows). The panels are:

    1. ``cur[t]`` against ``t`` (orange), y from 0 to ``ylim_max1``, titled ``title`` if given;
    2. ``mem[t]`` against ``t``, y from 0 to ``ylim_max2``, with a dashed horizontal line at
       ``U = thr_line`` unless ``thr_line`` is ``False``;
    3. a raster with a ``|`` at ``(t, n)`` for every ``spk[t, n] != 0`` (row 0 for a ``[T]`` input).

    ``vline`` (a time step) draws a dashed vertical marker through all three panels. The x axis
    runs from 0 to ``T``. Returns the Figure.
    """
    function = "plot_cur_mem_spk"
    meaning = "[time] or [time, neurons]"
    arrays = {name: to_numpy(value, name) for name, value in (("cur", cur), ("mem", mem), ("spk", spk))}
    for name, array in arrays.items():
        require_ndim(array, (1, 2), name, function, meaning)
    steps = _same_length(function, **arrays)
    threshold = _level(thr_line, "thr_line", "the threshold to mark")
    marker = _level(vline, "vline", "the time step to mark")

    fig, ax = plt.subplots(3, figsize=(8, 6), sharex=True, gridspec_kw=_PANEL_HEIGHTS)
    ax[0].plot(arrays["cur"], color="tab:orange")
    ax[0].set_ylim(0, ylim_max1)
    ax[0].set_xlim(0, steps)
    ax[0].set_ylabel("Input Current ($I_{in}$)")
    if title:
        ax[0].set_title(title)

    ax[1].plot(arrays["mem"])
    ax[1].set_ylim(0, ylim_max2)
    ax[1].set_ylabel("Membrane Potential ($U_{mem}$)")
    if threshold is not None:
        ax[1].axhline(threshold, **_MARKER_LINE)

    spikes = arrays["spk"].reshape(steps, -1)
    raster(spikes, ax[2], s=400, color="black", marker="|")
    ax[2].set_ylim(-0.5, spikes.shape[1] - 0.5)
    ax[2].set_yticks([])
    ax[2].set_ylabel("Output spikes")
    ax[2].set_xlabel("Time step")
    if marker is not None:
        for panel in ax:
            panel.axvline(marker, **_MARKER_LINE)
    return fig


def _first_sample(array: np.ndarray) -> np.ndarray:
    """``[T, neurons]`` as given; ``[T, batch, ...]`` as its first sample flattened to ``[T, features]``."""
    if array.ndim == 2:
        return array
    return array[:, 0].reshape(array.shape[0], -1)


def plot_snn_spikes(spk_in: Any, spk1_rec: Any, spk2_rec: Any, title: str) -> Figure:
    """Input, hidden-layer and output spike rasters of a network, one panel each.

    Each recording is ``[T, neurons]``, or ``[T, batch, ...]`` of which the first sample is drawn
    (its features flattened); all three must have the same ``T``. Every panel puts a marker at
    ``(t, n)`` for each nonzero spike of neuron ``n`` at step ``t``. ``title`` heads the input panel.
    Returns the Figure.
    """
    function = "plot_snn_spikes"
    meaning = "[time, neurons] or [time, batch, ...]"
    given = (("spk_in", spk_in), ("spk1_rec", spk1_rec), ("spk2_rec", spk2_rec))
    arrays = {name: to_numpy(value, name) for name, value in given}
    for name, array in arrays.items():
        require_ndim(array, (2, 3, 4, 5), name, function, meaning)
    _same_length(function, **arrays)
    inputs, hidden, outputs = (_first_sample(array) for array in arrays.values())

    fig, ax = plt.subplots(3, figsize=(8, 7), sharex=True, gridspec_kw=_PANEL_HEIGHTS)
    raster(inputs, ax[0], s=2, color="black")
    ax[0].set_ylabel("Input Spikes")
    ax[0].set_title(title)
    raster(hidden, ax[1], s=2, color="black")
    ax[1].set_ylabel("Hidden Layer")
    raster(outputs, ax[2], s=200, color="black", marker="|")
    ax[2].set_ylabel("Output Spikes")
    ax[2].set_ylim(-0.5, outputs.shape[1] - 0.5)
    ax[2].set_xlabel("Time step")
    ax[2].set_xlim(-0.5, inputs.shape[0] - 0.5)
    return fig
