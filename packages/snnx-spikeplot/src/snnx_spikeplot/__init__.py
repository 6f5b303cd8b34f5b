"""Plots and animations of spiking activity, with snnTorch 1.0's ``spikeplot`` API.

``raster``, ``animator``, ``spike_count`` and ``traces`` take torch tensors (any device, with or
without grad), NumPy arrays or nested lists. ``plot_cur_mem_spk`` and ``plot_snn_spikes`` are the
tutorials' helper figures. ``save_animation`` writes an animation as ``.gif`` or ``.mp4``.
Nothing here calls ``plt.show()``.
"""

from __future__ import annotations

from snnx_spikeplot.animation import animator, save_animation, spike_count
from snnx_spikeplot.raster import raster
from snnx_spikeplot.traces import traces
from snnx_spikeplot.tutorial import plot_cur_mem_spk, plot_snn_spikes

__all__ = [
    "animator",
    "plot_cur_mem_spk",
    "plot_snn_spikes",
    "raster",
    "save_animation",
    "spike_count",
    "traces",
]
