r"""Delta modulation: spikes where a time series changes by at least a threshold."""

from __future__ import annotations

from snnx.errors import InputShapeError
from snnx.ops import Array, ArrayOps


def delta(ops: ArrayOps, data: Array, threshold: float, padding: bool, off_spike: bool) -> Array:
    r"""Spikes :math:`s_t = [x_t - x_{t-1} \ge \vartheta] - [x_t - x_{t-1} \le -\vartheta]`
    along the leading (time) dimension, in the dtype of ``data``.

    The negative term only with ``off_spike``. Before the first step :math:`x_{-1} = 0`,
    or :math:`x_{-1} = x_0` with ``padding`` (so step 0 never fires).
    """
    if len(data.shape) == 0:
        raise InputShapeError(
            "spikegen.delta: data must have a leading time dimension, got a 0-d array (shape ())."
        )
    first = data[:1]
    previous = ops.cat([first if padding else ops.zeros_like(first), data[:-1]], dim=0)
    change = data - previous
    spikes = ops.as_dtype_of(change >= threshold, data)
    if off_spike:
        spikes = spikes - ops.as_dtype_of(change <= -threshold, data)
    return spikes
