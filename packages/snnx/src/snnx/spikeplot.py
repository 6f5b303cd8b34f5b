"""``import snnx.spikeplot as splt``: snnTorch's spikeplot functions, provided by snnx-spikeplot."""

from __future__ import annotations

try:
    import snnx_spikeplot
except ImportError as error:
    raise ImportError(
        f"snnx.spikeplot needs the snnx-spikeplot package ({error}); install it with: pip install snnx[plot]"
    ) from error

animator = snnx_spikeplot.animator
plot_cur_mem_spk = snnx_spikeplot.plot_cur_mem_spk
plot_snn_spikes = snnx_spikeplot.plot_snn_spikes
raster = snnx_spikeplot.raster
save_animation = snnx_spikeplot.save_animation
spike_count = snnx_spikeplot.spike_count
traces = snnx_spikeplot.traces

__all__ = [
    "animator",
    "plot_cur_mem_spk",
    "plot_snn_spikes",
    "raster",
    "save_animation",
    "spike_count",
    "traces",
]
