"""``raster``: a dot for every spike of a recording, at (time step, neuron)."""

from __future__ import annotations

from typing import Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.collections import PathCollection

from snnx_spikeplot.arrays import require_ndim, to_numpy


def raster(data: Any, ax: Axes, **kwargs: Any) -> PathCollection:
    """Scatter one dot per non-zero entry of ``data`` on ``ax``.

    ``data`` is ``[time, neurons]`` (or ``[time]``, one neuron); entry ``data[t, n] != 0`` becomes
    a dot at ``(x, y) = (t, n)``. ``kwargs`` are passed to :meth:`matplotlib.axes.Axes.scatter`
    (e.g. ``s=1.5, c="black"``). A recording without spikes gives an empty scatter.

    Returns the scatter's :class:`~matplotlib.collections.PathCollection`.
    """
    spikes = to_numpy(data, "data")
    require_ndim(spikes, (1, 2), "data", "raster", "[time, neurons] (or [time] for one neuron)")
    if spikes.ndim == 1:
        spikes = spikes[:, np.newaxis]
    steps, neurons = np.nonzero(spikes)
    return ax.scatter(steps, neurons, **kwargs)
